"""The docs stay in step with the code (sqlite-utils' test_docs practice)."""

import re

from hwcheck import kinds
from hwcheck.cli import main

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """The indented set-up commands under '## Set-up'."""
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ") and line.strip()]


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert "hwcheck key" in commands[0] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci


def test_every_command_is_documented():
    for name in main.commands:
        assert re.search(rf"hwcheck {name}\b", README), f"'hwcheck {name}' is not in the README"


def test_every_kind_is_documented():
    spec = (ROOT / "docs" / "SPEC.md").read_text(encoding="utf-8")
    for name in kinds.names():
        assert f"`{name}`" in README, f"kind {name} is missing from the README"
        assert f"`{name}`" in spec, f"kind {name} is missing from docs/SPEC.md"
