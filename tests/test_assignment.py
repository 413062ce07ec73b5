"""Assignments (SPEC section 6): one homework's problems, weights and grading defaults."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from hwcheck import api
from hwcheck.assignment import load_assignment
from hwcheck.cli import main
from hwcheck.errors import HwcheckError, SpecError

from conftest import PROBLEMS

HW = """\
id: hw4
title: "Homework 4: initialization and the chain rule"
specs: ../problems
problems:
  - chain-sin-square
  - {id: init-xavier-tanh-dense, weight: 2}
grading:
  tolerance: {rel: 1.0e-2}
  reveal: values
"""


@pytest.fixture
def course(tmp_path):
    problems = tmp_path / "problems"
    problems.mkdir()
    for name in ("chain-sin-square", "init-xavier-tanh-dense", "conv2d-backprop-4x4", "softmax-ce-three-classes"):
        shutil.copy(PROBLEMS / f"{name}.yaml", problems)
    (problems / "broken-other-week.yaml").write_text("kind: nope\n")  # not in hw4: must not stop it
    homework = tmp_path / "hw"
    homework.mkdir()
    (homework / "hw4.yaml").write_text(HW)
    return problems, homework / "hw4.yaml"


def test_load_applies_order_weights_and_defaults(course):
    _, path = course
    hw = load_assignment(path)
    assert (hw.id, hw.title, hw.reveal) == ("hw4", "Homework 4: initialization and the chain rule", "values")
    assert [p.id for p in hw.problems] == ["chain-sin-square", "init-xavier-tanh-dense"]
    init = {p.name: p for p in hw.problems[1].parts}
    assert (init["bound"].points, init["variance"].points) == (4, 2)  # 2 and 1, weight 2
    assert init["bound"].tolerance == {"rel": 0.01, "abs": 1e-6}


def test_a_spec_own_tolerance_wins(course, tmp_path):
    problems, path = course
    text = (problems / "chain-sin-square.yaml").read_text().replace(
        "value: {points: 1}", "value: {points: 1, tolerance: {rel: 0.5}}")
    (problems / "chain-sin-square.yaml").write_text(text)
    parts = {p.name: p for p in load_assignment(path).problems[0].parts}
    assert parts["value"].tolerance["rel"] == 0.5 and parts["derivative"].tolerance["rel"] == 0.01


@pytest.mark.parametrize("text, message", [
    (HW.replace("- chain-sin-square", "- chain-sin-sqare"),
     "problems[0]: expected a problem id of a spec in"),
    (HW.replace("weight: 2", "weight: -1"), "problems[1].weight: expected a number > 0"),
    (HW.replace("reveal: values", "reveal: everything"), "grading.reveal: expected one of verdicts, values, steps"),
    (HW.replace("grading:", "grding:"), "grding: expected one of the keys id, title, specs, problems, grading"),
    (HW.replace("specs: ../problems", "specs: ../nowhere"), "specs: expected a folder of problem specs"),
    (HW + "  sigfigs: 0\n", "grading.sigfigs: expected a whole number from 1 to 15"),
    ("problems: []\n", "problems: expected a list of problem ids"),
])
def test_bad_assignments_are_refused_clearly(course, text, message):
    _, path = course
    path.write_text(text)
    with pytest.raises(SpecError, match=None) as info:
        load_assignment(path)
    assert message in str(info.value) and str(path) in str(info.value)
    if "sqare" in text:
        assert "did you mean 'chain-sin-square'?" in str(info.value)


def test_a_broken_spec_the_assignment_names_is_reported(course):
    problems, path = course
    (problems / "chain-sin-square.yaml").write_text("kind: chain_rul\n")
    with pytest.raises(SpecError, match="did you mean 'chain_rule'"):
        load_assignment(path)


def test_grade_with_an_assignment(course, tmp_path):
    problems, path = course
    sub = tmp_path / "s.json"
    sub.write_text(json.dumps({"student": "s", "answers": {
        "init-xavier-tanh-dense": {"bound": "0.1255"},  # within the assignment's 1 %
        "conv2d-backprop-4x4": {"Y": [[1]]}}}))  # in the folder, not in hw4: a warning, not graded
    runner = CliRunner()
    result = runner.invoke(main, ["grade", str(sub), "--assignment", str(path), "--format", "json"])
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert list(data["problems"]) == ["chain-sin-square", "init-xavier-tanh-dense"]
    assert data["max_score"] == 4 + 6 and data["score"] == 4
    assert "unknown problem id 'conv2d-backprop-4x4'" in result.stderr
    # without it, every spec of the folder is graded (v1), so the folder's broken spec is reported
    result = runner.invoke(main, ["grade", str(sub), "--problems", str(problems)])
    assert result.exit_code == 2 and "broken-other-week.yaml" in result.output
    with pytest.raises(HwcheckError, match="not both"):
        api.grade_file(sub, problems=problems, assignment=path)
    out = tmp_path / "out"
    batch = api.grade_files([sub], assignment=path, out=out)
    assert batch.keys.ids() == ["chain-sin-square", "init-xavier-tanh-dense"]
    assert (out / "grades.csv").read_text().splitlines()[0] == (
        "student,file,status,counts,chain-sin-square,init-xavier-tanh-dense,total,max_score,review")


def test_key_with_an_assignment(course, tmp_path):
    _, path = course
    out = tmp_path / "keys"
    runner = CliRunner()
    result = runner.invoke(main, ["key", "--assignment", str(path), "-o", str(out), "--no-figures"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["KEY.md", "chain-sin-square.json", "chain-sin-square.md",
                                                     "init-xavier-tanh-dense.json", "init-xavier-tanh-dense.md"]
    key = json.loads((out / "init-xavier-tanh-dense.json").read_text())
    assert key["answers"]["bound"]["points"] == 4
    result = runner.invoke(main, ["key", "-o", str(out)])
    assert result.exit_code == 2 and "--assignment" in result.output


def test_sheet_problems_follow_the_assignment(course):
    problems, path = course
    assert [p.id for p in api.problems_for(assignment=path)] == ["chain-sin-square", "init-xavier-tanh-dense"]
    with pytest.raises(HwcheckError, match="not both"):
        api.problems_for([problems], assignment=path)
    with pytest.raises(HwcheckError, match="no problem specs"):
        api.problems_for([])


def test_sheet_plumbing_hands_the_assignment_problems_to_render_sheet(course, monkeypatch):
    _, path = course
    seen = {}

    def render_sheet(problems, *, format, lang):  # the signature issue 8's api.render_sheet has
        seen["ids"] = [p.id for p in problems]
        seen["points"] = [p.points for p in problems[1].parts]
        return f"{format}/{lang}"

    monkeypatch.setattr(api, "render_sheet", render_sheet, raising=False)
    assert api.sheet(assignment=path, format="tex", lang="en") == "tex/en"
    assert seen == {"ids": ["chain-sin-square", "init-xavier-tanh-dense"], "points": [4, 2]}
