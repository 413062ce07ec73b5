"""Output formats (md, SPEC JSON, Gradescope), the batch (CSV, summary, atomic writes,
bad files skipped), and the thin CLI over hwcheck.api."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from hwcheck import api, solving
from hwcheck.cli import main
from hwcheck.errors import HwcheckError
from hwcheck.grade.grader import VERDICTS

from conftest import PROBLEMS

SET = ["conv2d-backprop-4x4", "init-xavier-tanh-dense", "sgd-stochastic-1d"]


@pytest.fixture
def problems(tmp_path):
    folder = tmp_path / "problems"
    folder.mkdir()
    for name in SET:
        shutil.copy(PROBLEMS / f"{name}.yaml", folder)
    return folder


def _key(pid):
    return json.loads(api.render_solution(api.load_problem(PROBLEMS / f"{pid}.yaml"), format="json"))["answers"]


def _submission(folder, student, answers, name=None):
    path = folder / (name or f"{student}.json")
    path.write_text(json.dumps({"student": student, "answers": answers}), encoding="utf-8")
    return path


@pytest.fixture
def class_files(tmp_path):
    conv = _key("conv2d-backprop-4x4")
    folder = tmp_path / "subs"
    folder.mkdir()
    good = _submission(folder, "s_1", {
        "conv2d-backprop-4x4": {p: conv[p]["exact"] for p in conv},
        "init-xavier-tanh-dense": {"bound": "sqrt(6/384)", "variance": "1/192"},
    })
    transposed = [list(r) for r in zip(*conv["dL_dW"]["value"])]
    wrong = _submission(folder, "s-2", {
        "conv2d-backprop-4x4": {"dL_dW": transposed, "Y": [[1, 2], [3]], "dL_dX": conv["dL_dX"]["value"]},
        "init-xavier-tanh-dense": {"bound": "1/8", "variance": "sqrt(1/192)"},
    })
    bad = folder / "s-3.json"
    bad.write_text('{"student": "s-3", "answers": {"init-xavier-tanh-dense": {"bound": 1}')
    return [good, bad, wrong]


def test_json_format_follows_spec_section_5(problems, class_files):
    data = json.loads(api.grade_file(class_files[2], problems=problems, format="json"))
    assert set(data) == {"student", "score", "max_score", "problems"} and data["student"] == "s-2"
    assert set(data["problems"]) == set(SET)
    total = 0
    for pid, problem in data["problems"].items():
        assert problem["score"] == pytest.approx(sum(p["score"] for p in problem["parts"].values()))
        for part in problem["parts"].values():
            assert {"score", "max_score", "verdict", "feedback"} <= set(part)
            assert part["verdict"] in VERDICTS and 0 <= part["score"] <= part["max_score"]
        total += problem["score"]
    assert data["score"] == pytest.approx(total)
    conv = data["problems"]["conv2d-backprop-4x4"]["parts"]
    assert conv["dL_dW"]["diagnosis"] == "transposed" and conv["dL_dW"]["verdict"] in ("incorrect", "partial")
    assert conv["Y"]["verdict"] == "invalid" and "same length" in conv["Y"]["feedback"]
    assert conv["dL_dX"]["verdict"] == "correct"
    init = data["problems"]["init-xavier-tanh-dense"]["parts"]
    assert init["variance"]["diagnosis"] == "std_for_variance"
    assert "square it" in init["variance"]["feedback"]  # the explanation from the kind's template
    assert data["problems"]["sgd-stochastic-1d"]["parts"]["params"]["verdict"] == "missing"


def test_gradescope_format(problems, class_files):
    data = json.loads(api.grade_file(class_files[0], problems=problems, format="gradescope"))
    n_parts = sum(len(api.load_problem(problems / f"{p}.yaml").parts) for p in SET)
    assert len(data["tests"]) == n_parts
    for test in data["tests"]:
        assert {"name", "score", "max_score", "output"} <= set(test) and ": " in test["name"]
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    conv = [t for t in data["tests"] if t["name"].startswith("conv2d-backprop-4x4: ")]
    assert all(t["score"] == t["max_score"] for t in conv)


def test_markdown_report(problems, class_files):
    md = api.grade_file(class_files[2], problems=problems)
    assert md.startswith("# Grade report: `s-2`")
    assert "**Recognised mistake** (`transposed`)" in md
    assert "How to get it" in md and "rot" not in md.split("`dL_dW`")[0]
    md = api.grade_file(class_files[0], problems=problems, format="md")
    assert "`s_1`" in md  # student text in a code span, not escaped


def test_batch_writes_everything_and_skips_the_bad_file(problems, class_files, tmp_path, monkeypatch):
    calls = []
    real_solve = solving.solve
    monkeypatch.setattr(solving, "solve", lambda p: calls.append(p.id) or real_solve(p))
    out = tmp_path / "grades"
    seen = []
    batch = api.grade_files(class_files, problems=problems, out=out, on_progress=lambda p, r: seen.append(p))
    assert sorted(calls) == sorted(SET)  # each problem solved once for the whole batch
    assert len(seen) == 3 and [r.student for r in batch.results] == ["s_1", "s-2"]
    assert len(batch.bad) == 1 and "s-3.json" in str(batch.bad[0]) and "valid JSON" in str(batch.bad[0])
    names = sorted(p.name for p in out.iterdir())
    assert names == [".hwcheck-manifest.json", "grades.csv", "review.csv", "s-2.json", "s-2.md", "s_1.json",
                     "s_1.md", "summary.md"]
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [r["student"] for r in rows] == ["s_1", "s-3", "s-2"]  # a row for every file, the bad one too
    assert rows[1]["status"].startswith("not graded, could not be read") and rows[1]["total"] == "0"
    for row in rows:
        assert float(row["total"]) == pytest.approx(sum(float(row[pid]) for pid in batch.keys.ids()))
    summary = (out / "summary.md").read_text()
    assert "3 submission files: 2 graded, 1 not graded" in summary
    assert "`transposed`" in summary and "`std_for_variance`" in summary
    assert json.loads((out / "s_1.json").read_text())["student"] == "s_1"


def test_writes_are_atomic(problems, class_files, tmp_path, monkeypatch):
    out = tmp_path / "grades"
    api.grade_files(class_files[:1], problems=problems, out=out)
    before = (out / "s_1.md").read_text()

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises((OSError, HwcheckError), match="disk full"):  # one clear line, not a traceback
        api.grade_files(class_files[2:], problems=problems, out=out)
    assert (out / "s_1.md").read_text() == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".hwcheck-manifest.json"]  # no temp file


def test_cli_grade(problems, class_files, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["grade", str(class_files[0]), "--problems", str(problems)])
    assert result.exit_code == 0 and result.output.startswith("# Grade report")
    result = runner.invoke(main, ["grade", str(class_files[0]), "--problems", str(problems), "--format", "json"])
    assert json.loads(result.output)["student"] == "s_1"
    result = runner.invoke(main, ["grade", str(class_files[1]), "--problems", str(problems)])
    assert result.exit_code == 2 and "s-3.json" in result.output and "Traceback" not in result.output
    result = runner.invoke(main, ["grade", *map(str, class_files), "--problems", str(problems)])
    assert result.exit_code == 2 and "--out" in result.output
    out = tmp_path / "out"
    result = runner.invoke(main, ["grade", *map(str, class_files), "--problems", str(problems), "--out", str(out),
                                  "--format", "gradescope"])
    assert result.exit_code == 3  # one file was bad; the others were graded
    assert "s-3.json" in result.output and "graded 2 of 3" in result.output
    assert (out / "s-2.results.json").exists() and (out / "grades.csv").exists()
    result = runner.invoke(main, ["grade", "--help"])
    assert result.exit_code == 0 and "--problems" in result.output


def test_cli_reports_an_author_error(tmp_path, class_files):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "p.yaml").write_text("kind: conv2d_backprp\ngiven: {}\n")
    result = CliRunner().invoke(main, ["grade", str(class_files[0]), "--problems", str(folder)])
    assert result.exit_code == 2 and "did you mean 'conv2d_backprop'?" in result.output
