from hwcheck.cli import main

main()
