"""Defaults of the grader, in one place (the API and the CLI both read them).

Nothing heavy is imported here, so the CLI can show these in ``--help`` cheaply.
"""

FORMATS = ("md", "json", "gradescope", "html")
DEFAULT_FORMAT = "md"
DEFAULT_PROBLEMS = "problems"
PART_BUDGET = 2.0  # seconds of symbolic work one part may use
MAX_FILE_BYTES = 8_000_000  # a submission file larger than this is refused
MAX_NODES = 200_000  # values in one submission (lists, maps and leaves together)
MAX_DEPTH = 12  # nesting of lists/maps inside one submission
MAX_LEAVES = 10_000  # entries of one part's answer
MAX_NUMBER_DIGITS = 300  # digits of a number literal in an answer
