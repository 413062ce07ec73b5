"""TA review: review.csv out, a TA's scores and comments back into the reports and grades.csv."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from click.testing import CliRunner

from hwcheck import api
from hwcheck.cli import main
from hwcheck.grade import review

from conftest import PROBLEMS


@pytest.fixture
def setup(tmp_path):
    problems = tmp_path / "problems"
    problems.mkdir()
    for name in ("concept-zero-init", "init-xavier-tanh-dense"):
        shutil.copy(PROBLEMS / f"{name}.yaml", problems)
    subs = tmp_path / "subs"
    subs.mkdir()
    answers = {"ann": "=SUM(A1) all neurons stay symmetric and get the same gradient",
               "bob": "Xavier keeps the variance of activations"}
    files = []
    for student, text in answers.items():
        path = subs / f"{student}.json"
        path.write_text(json.dumps({"student": student, "answers": {
            "concept-zero-init": {"answer": text}, "init-xavier-tanh-dense": {"bound": "1/8"}}}))
        files.append(path)
    return problems, files, tmp_path / "out"


def _csv(path):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_review_round_trip(setup, tmp_path):
    problems, files, out = setup
    first = api.grade_files(files, problems=problems, out=out)
    assert first.counts["pending"] == 2
    rows = _csv(out / "review.csv")
    assert list(rows[0]) == ["student", "problem", "part", "answer", "suggested_score", "max_score", "score",
                             "comment", "file"]
    assert [(r["student"], r["problem"], r["part"], r["score"]) for r in rows] == [
        ("ann", "concept-zero-init", "answer", ""), ("bob", "concept-zero-init", "answer", "")]
    assert rows[0]["answer"].startswith("'=SUM(A1)")  # formula injection neutralised
    grades = {r["student"]: r for r in _csv(out / "grades.csv")}
    assert grades["ann"]["review"] == "waiting for review (1 part)"

    # a TA fills ann's score in a copy of review.csv (a spreadsheet may drop the protecting quote)
    rows[0]["score"], rows[0]["comment"] = "4.5", "Symmetry and gradients: well put."
    rows[0]["answer"] = rows[0]["answer"][1:]
    filled = tmp_path / "filled.csv"
    with open(filled, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = CliRunner().invoke(main, ["grade", *map(str, files), "--problems", str(problems), "--out", str(out),
                                       "--reviewed", str(filled)])
    assert result.exit_code == 0, result.output
    grades = {r["student"]: r for r in _csv(out / "grades.csv")}
    assert grades["ann"]["concept-zero-init"] == "4.5" and grades["ann"]["total"] == "6.5"
    assert grades["ann"]["review"] == "reviewed" and grades["bob"]["review"] == "waiting for review (1 part)"
    report = json.loads((out / "ann.json").read_text())
    part = report["problems"]["concept-zero-init"]["parts"]["answer"]
    assert part["score"] == 4.5 and part["verdict"] == "partial"
    assert "**Reviewed by a TA:** 4.5 / 5. Symmetry and gradients: well put\\." in part["feedback"]
    assert "Reviewed by a TA" in (out / "ann.md").read_text()
    assert "- Answers waiting for review: 1" in (out / "summary.md").read_text()

    # the scores survive a re-run without --reviewed: the folder's own review.csv keeps them
    api.grade_files(files, problems=problems, out=out)
    grades = {r["student"]: r for r in _csv(out / "grades.csv")}
    assert grades["ann"]["total"] == "6.5"
    kept = {r["student"]: r for r in _csv(out / "review.csv")}
    assert kept["ann"]["score"] == "4.5" and kept["ann"]["comment"] == "Symmetry and gradients: well put."

    # a changed answer waits for a new review
    files[0].write_text(json.dumps({"student": "ann", "answers": {"concept-zero-init": {"answer": "new text"}}}))
    again = api.grade_files(files, problems=problems, out=out)
    assert {r["student"]: r for r in _csv(out / "grades.csv")}["ann"]["review"] == "waiting for review (1 part)"
    assert [e.student for e in again.unused_reviews] == ["ann"]


def test_a_bad_review_file_is_one_clear_line(setup, tmp_path):
    problems, files, out = setup
    api.grade_files(files, problems=problems, out=out)
    rows = _csv(out / "review.csv")
    for bad, message in (("lots", "line 2: score: expected a number ≥ 0"),
                         ("99", "line 2: score: expected a number from 0 to 5")):
        rows[0]["score"] = bad
        filled = tmp_path / "filled.csv"
        with open(filled, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        result = CliRunner().invoke(main, ["grade", *map(str, files), "--problems", str(problems), "--out",
                                           str(out), "--reviewed", str(filled)])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    (tmp_path / "empty.csv").write_text("student,problem\n")
    result = CliRunner().invoke(main, ["grade", str(files[0]), "--problems", str(problems),
                                       "--reviewed", str(tmp_path / "empty.csv")])
    assert result.exit_code == 2 and "no column 'part'" in result.output


def test_review_single_file_and_cells():
    assert review.csv_cell("@x") == "'@x" and review.csv_cell("\tx") == "'\tx" and review.csv_cell("a=b") == "a=b"
    assert review._uncell("'=x") == "=x" and review._uncell("'it's") == "'it's"
