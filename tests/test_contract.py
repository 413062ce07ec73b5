"""One contract over the whole registry (STYLE.md, practices 9 and 12).

Every kind has a sample problem in problems/, solves it, answers every part it
asks, and renders to Markdown, LaTeX and JSON with no undefined template
variable (the environment is StrictUndefined).
"""

import json

import pytest

from hwcheck import api, kinds
from hwcheck.spec import spec_files

from conftest import PROBLEMS

SAMPLES = {}
for path in spec_files([PROBLEMS]):
    try:
        SAMPLES.setdefault(api.load_problem(path).kind, []).append(path)
    except Exception:  # an unreadable sample fails test_every_sample_is_valid
        pass


def test_every_sample_is_valid():
    problems, errors = api.validate([PROBLEMS])
    assert not errors, [str(e) for e in errors]


@pytest.mark.parametrize("name", kinds.names())
def test_kind_has_sample(name):
    assert SAMPLES.get(name), f"no problem of kind {name} in problems/"


@pytest.mark.parametrize("name", kinds.names())
def test_kind_module_shape(name):
    kind = kinds.get(name)
    assert kind.title and kind.given and kind.parts
    assert kind.module.__doc__, f"{name} has no module docstring"
    default = [p for p, part in kind.parts.items() if part.default]
    assert default, f"{name} has no default part"


@pytest.mark.parametrize("path", [p for paths in SAMPLES.values() for p in paths], ids=lambda p: p.stem)
def test_sample_solves_and_renders(path):
    problem = api.load_problem(path)
    solution = api.solve(problem)
    assert solution.steps
    for part in problem.part_names:
        assert part in solution.answers and solution.answers[part] is not None, part
    md = api.render_solution(problem, solution, format="md")
    tex = api.render_solution(problem, solution, format="tex")
    key = json.loads(api.render_solution(problem, solution, format="json"))
    assert problem.title in md
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert set(key["answers"]) == set(problem.part_names)
    for entry in key["answers"].values():
        assert {"value", "exact", "latex", "points"} <= set(entry)
    assert len(key["steps"]) == len(solution.steps)


@pytest.mark.parametrize("path", [paths[0] for paths in SAMPLES.values()], ids=lambda p: p.stem)
def test_every_mistake_has_its_explanation(path):
    """The grader names a mistake with one line from the kind's template (its ``mistakes`` dict)."""
    from hwcheck import render

    problem = api.load_problem(path)
    named = set(kinds.get(problem.kind).misconceptions)
    explained = set(getattr(render.kind_module(problem), "mistakes", {}) or {})
    assert named <= explained, f"{problem.kind}: no wording for {sorted(named - explained)}"
