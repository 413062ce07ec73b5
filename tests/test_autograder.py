"""Gradescope end to end: build the zip, lay out a folder as Gradescope does, run run_autograder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from hwcheck.cli import main

from conftest import PROBLEMS

HW = """\
id: hw4
title: Homework 4
specs: problems
problems:
  - chain-sin-square
  - {id: init-xavier-tanh-dense, weight: 2}
grading:
  reveal: REVEAL
"""


def _course(tmp_path: Path, reveal: str) -> Path:
    folder = tmp_path / "course"
    (folder / "problems").mkdir(parents=True)
    for name in ("chain-sin-square", "init-xavier-tanh-dense"):
        shutil.copy(PROBLEMS / f"{name}.yaml", folder / "problems")
    (folder / "hw4.yaml").write_text(HW.replace("REVEAL", reveal))
    return folder / "hw4.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ag")
    zips = {}
    for reveal in ("steps", "verdicts"):
        target = tmp / reveal / "autograder.zip"
        result = CliRunner().invoke(main, ["autograder", "--assignment", str(_course(tmp / reveal, reveal)),
                                           "-o", str(target)])
        assert result.exit_code == 0, result.output
        zips[reveal] = target
    return zips


def _gradescope(tmp_path: Path, archive: Path, submission: dict | str | None, name="answers.json") -> dict:
    """Lay out <root>/source (the zip, unzipped), submission/, results/ and run run_autograder."""
    root = tmp_path / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    with zipfile.ZipFile(archive) as z:
        z.extractall(root / "source")
        for info in z.infolist():  # extractall drops the mode: restore it as unzip does
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    if submission is not None:
        text = submission if isinstance(submission, str) else json.dumps(submission)
        (root / "submission" / name).write_text(text)
    env = {**os.environ, "HWCHECK_AUTOGRADER_ROOT": str(root), "HWCHECK_PYTHON": sys.executable}
    # setup.sh's install is skipped: the test environment's hwcheck is used
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def _valid(results: dict) -> None:
    """The parts of Gradescope's results.json format hwcheck writes."""
    assert isinstance(results["score"], (int, float)) and results["output_format"] == "md"
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "output_format"}
        assert test["status"] in ("passed", "failed") and test["output_format"] == "md"
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] == ("passed" if test["score"] == test["max_score"] else "failed")
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


def test_zip_layout(built):
    with zipfile.ZipFile(built["steps"]) as z:
        names = z.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        setup = z.read("setup.sh").decode()
        assignment = z.read("hwcheck_assignment/assignment.yaml").decode()
    wheel = next(n for n in names if n.endswith(".whl"))
    assert wheel.startswith("hwcheck-") and "/" not in wheel
    assert {"setup.sh", "run_autograder", "hwcheck_assignment/problems/chain-sin-square.yaml",
            "hwcheck_assignment/problems/init-xavier-tanh-dense.yaml"} <= set(names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert f'pip install --break-system-packages "./{wheel}"' in setup
    assert "specs: problems" in assignment and "weight: 2" in assignment
    with zipfile.ZipFile(built["steps"]) as z, zipfile.ZipFile(z.open(wheel)) as w:
        packaged = w.namelist()
    assert "hwcheck/autograder.py" in packaged and "hwcheck/templates/autograder/run_autograder.j2" in packaged


def test_run_autograder_writes_a_valid_results_json(built, tmp_path):
    results = _gradescope(tmp_path, built["steps"], {"student": "s-1", "answers": {
        "init-xavier-tanh-dense": {"bound": "sqrt(6/384)", "variance": "1/128"},
        "chain-sin-square": {"derivative": "2x cos(x^2)"},
        "graph-sigmod": {"value": 1}}})
    _valid(results)
    assert [t["name"] for t in results["tests"]] == ["chain-sin-square: derivative", "chain-sin-square: value",
                                                      "init-xavier-tanh-dense: bound",
                                                      "init-xavier-tanh-dense: variance"]
    assert results["score"] == 3 + 4 and [t["status"] for t in results["tests"]] == ["passed", "failed", "passed",
                                                                                       "failed"]
    assert results["output"].startswith("**Total: 7 / 10 points**")
    assert "unknown problem id `graph-sigmod`" in results["output"]  # the unknown id is named
    wrong = results["tests"][3]["output"]
    assert "1/192" in wrong or "0.0052" in wrong or "192" in wrong  # steps shown: the expected value appears


def test_reveal_verdicts_hides_the_expected_values(built, tmp_path):
    results = _gradescope(tmp_path, built["verdicts"], {"answers": {
        "init-xavier-tanh-dense": {"bound": "sqrt(6/384)", "variance": "1/128"}}}, name="mine.yaml")
    _valid(results)
    outputs = [t["output"] for t in results["tests"]]
    assert [t["status"] for t in results["tests"]] == ["failed", "failed", "passed", "failed"]
    assert all(o.strip() for o in outputs)
    for expected in ("192", "0.0052", "sqrt(6", "0.125", "1/8", "cos"):  # no expected value is shown
        assert not any(expected in o for o in outputs), (expected, outputs)


@pytest.mark.parametrize("submission, expected", [
    (None, "No submission file was found"),
    ('{"answers": {', "could not be read"),
])
def test_nothing_to_grade_still_writes_results(built, tmp_path, submission, expected):
    results = _gradescope(tmp_path, built["steps"], submission)
    _valid(results)
    assert results["score"] == 0 and results["tests"] == [] and expected in results["output"]


def test_a_bad_assignment_is_refused_before_building(tmp_path):
    path = _course(tmp_path, "steps")
    path.write_text(HW.replace("chain-sin-square", "chain-sin-sqare").replace("REVEAL", "steps"))
    result = CliRunner().invoke(main, ["autograder", "--assignment", str(path), "-o", str(tmp_path / "a.zip")])
    assert result.exit_code == 2 and "did you mean 'chain-sin-square'?" in result.output
    assert not (tmp_path / "a.zip").exists()
