"""A class with typos, copies and resubmissions: a grades.csv row for every file, every known answer graded."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from click.testing import CliRunner

from hwcheck import api
from hwcheck.cli import main
from hwcheck.errors import HwcheckError
from hwcheck.grade import batch

from conftest import PROBLEMS

SET = ["init-xavier-tanh-dense", "chain-sin-square", "graph-max-fanout"]


@pytest.fixture
def problems(tmp_path):
    folder = tmp_path / "problems"
    folder.mkdir()
    for name in SET:
        shutil.copy(PROBLEMS / f"{name}.yaml", folder)
    return folder


def _write(folder, name, data):
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


RIGHT = {"init-xavier-tanh-dense": {"bound": "sqrt(6/384)", "variance": "1/192"},
         "chain-sin-square": {"derivative": "2x cos(x^2)"},
         "graph-max-fanout": {"value": 6, "gradient": {"x": 2, "y": 5, "z": 0}}}


@pytest.fixture
def mixed(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    files = {
        "good": _write(subs, "01-ada.json", {"student": "ada", "answers": RIGHT}),
        "broken": _write(subs, "02-bo.json", '{"student": "bo", "answers": {'),
        # 11 of 13 right, and a typo in one id: the known answers must still count
        "typo": _write(subs, "03-cy.json", {"student": "cy", "answers": {
            "init-xavier-tanh-dense": RIGHT["init-xavier-tanh-dense"],
            "chain-sin-sqare": {"derivative": "2x cos(x^2)"},
            "graph-max-fanuot": {"value": 6},
            "graph-max-fanout": {"value": 6, "gradient": {"x": 2, "y": 5, "z": 0}, "gradeint": 1}}}),
        "copy": _write(subs, "04-copy-of-ada.json", {"student": "ada", "answers": {
            "init-xavier-tanh-dense": {"bound": "1/8"}}}),
        "first": _write(subs, "05-di.json", {"student": "di", "submitted_at": "2026-03-02T09:00:00Z",
                                             "answers": {"graph-max-fanout": {"value": 5}}}),
        "resubmitted": _write(subs, "06-di-again.json", {"student": "di", "submitted_at": "2026-03-01T09:00:00+00:00",
                                                         "answers": {"graph-max-fanout": {"value": 6}}}),
    }
    return files


def _rows(out):
    return list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))


def test_a_row_for_every_file_with_a_status_that_explains_it(problems, mixed, tmp_path):
    out = tmp_path / "out"
    result = api.grade_files(list(mixed.values()), problems=problems, out=out)
    rows = _rows(out)
    assert [r["file"] for r in rows] == [str(p) for p in mixed.values()]  # none dropped, in the given order
    by_file = {r["file"]: r for r in rows}
    good, broken, typo = (by_file[str(mixed[k])] for k in ("good", "broken", "typo"))

    assert broken["status"].startswith("not graded, could not be read: line 1") and "valid JSON" in broken["status"]
    assert broken["total"] == "0" and broken["student"] == "02-bo" and broken["max_score"] == "11"

    # every unknown id is named, each with its suggestion, and the known answers are graded
    assert "'chain-sin-sqare' were not graded (did you mean 'chain-sin-square'?)" in typo["status"]
    assert "'graph-max-fanuot' were not graded (did you mean 'graph-max-fanout'?)" in typo["status"]
    assert "no such part (did you mean 'gradient'?)" in typo["status"]
    assert typo["init-xavier-tanh-dense"] == "3" and typo["graph-max-fanout"] == "4"
    assert typo["chain-sin-square"] == "0"  # its answer went to the misspelt id

    # duplicates: both graded, both flagged, the last file name counts (no submitted_at on both)
    ada = [r for r in rows if r["student"] == "ada"]
    assert len(ada) == 2 and all("duplicate student id" in r["status"] for r in ada)
    assert good["counts"] == "no" and by_file[str(mixed["copy"])]["counts"] == "yes"
    assert good["total"] == "10" and by_file[str(mixed["copy"])]["total"] == "2"
    # a resubmission: both carry submitted_at, so the newest counts, whatever the file names say
    di = {r["file"]: r for r in rows if r["student"] == "di"}
    assert di[str(mixed["first"])]["counts"] == "yes" and di[str(mixed["resubmitted"])]["counts"] == "no"
    assert "also in " + str(mixed["resubmitted"]) in di[str(mixed["first"])]["status"]

    assert result.counts == {"files": 6, "graded": 5, "warnings": 1, "unreadable": 1, "duplicates": 4,
                             "students": 3, "pending": 0}
    assert result.exit_status == batch.EXIT_WARNINGS

    # duplicates' reports do not overwrite each other; the file that counts has the plain name
    assert json.loads((out / "ada.json").read_text())["score"] == 2
    assert json.loads((out / "ada~2.json").read_text())["score"] == 10
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## Duplicate student ids" in summary and "newest `submitted_at`" in summary
    assert "04\\-copy\\-of\\-ada\\.json (2 / 11, **counts**)" in summary
    assert summary.rstrip().endswith(
        "- Files graded: 5 of 6\n- Files with warnings: 1\n- Files not graded (unreadable): 1\n"
        "- Files sharing a student id: 4\n- Answers waiting for review: 0")


def test_cli_exit_status_and_stderr(problems, mixed, tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(main, ["grade", *map(str, mixed.values()), "--problems", str(problems), "--out", str(out)])
    assert result.exit_code == 3, result.output
    lines = result.output.splitlines()
    assert any(line.startswith(str(mixed["broken"]) + ": not graded, could not be read") for line in lines)
    assert any(line.startswith(str(mixed["copy"]) + ": duplicate student id") for line in lines)
    assert lines[-1] == (f"graded 5 of 6 files into {out}/: 1 with warnings, 1 not graded, "
                         "4 sharing a student id, 0 answers waiting for review")
    clean = runner.invoke(main, ["grade", str(mixed["good"]), "--problems", str(problems), "--out", str(out)])
    assert clean.exit_code == 0, clean.output
    help_text = runner.invoke(main, ["grade", "--help"]).output
    assert "Exit status:" in help_text and "3  graded, with warnings" in help_text


def test_one_file_alone_is_graded_with_its_warnings(problems, mixed):
    runner = CliRunner()
    result = runner.invoke(main, ["grade", str(mixed["typo"]), "--problems", str(problems), "--format", "json"])
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["problems"]["graph-max-fanout"]["score"] == 4
    assert len(data["warnings"]) == 3 and "did you mean 'graph-max-fanout'?" in data["warnings"][1]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3 and "did you mean 'chain-sin-square'?" in warnings[0]
    text = api.grade_file(mixed["typo"], problems=problems)
    assert text.startswith("# Grade report") and len(text.warnings) == 3
    assert "**Warnings**\n\n- answers for the unknown problem id `chain-sin-sqare` were not graded (did you mean " \
        "`chain-sin-square`?)" in text


class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [ValueError("Exceeds the limit (4300 digits) for integer string conversion"),
                                   OSError(36, "File name too long"), RecursionError("deep"), Boom("a bug")])
def test_whatever_goes_wrong_with_one_file_the_batch_goes_on(problems, mixed, tmp_path, monkeypatch, error):
    real = batch.read_submission

    def flaky(path, keys):
        if "03-cy" in str(path):
            raise error
        return real(path, keys)

    monkeypatch.setattr(batch, "read_submission", flaky)
    out = tmp_path / "out"
    (out).mkdir()
    (out / "grades.csv").write_text("student,total\nstale,99\n")
    result = api.grade_files(list(mixed.values()), problems=problems, out=out)
    rows = _rows(out)
    assert len(rows) == 6 and "stale" not in (out / "grades.csv").read_text()
    failed = next(r for r in rows if r["file"] == str(mixed["typo"]))
    assert failed["status"].startswith("not graded") and type(error).__name__ in failed["status"]
    assert failed["total"] == "0"
    assert sum(r.graded for r in result.rows) == 4


@pytest.mark.parametrize("error", [ZeroDivisionError("oops"), HwcheckError("a limit")])
def test_a_failure_while_grading_one_file_does_not_stop_the_others(problems, mixed, tmp_path, monkeypatch, error):
    real = batch.grade_submission

    def flaky(keys, submission, **kw):
        if submission.student == "cy":
            raise error
        return real(keys, submission, **kw)

    monkeypatch.setattr(batch, "grade_submission", flaky)
    result = api.grade_files(list(mixed.values()), problems=problems, out=tmp_path / "out")
    row = next(r for r in result.rows if r.student == "cy")
    expected = "not graded: a limit" if isinstance(error, HwcheckError) else \
        "hwcheck failed on this file (a bug, please report it): ZeroDivisionError: oops"
    assert not row.graded and expected in row.error
    assert sum(r.graded for r in result.rows) == 4


def test_one_file_alone_that_breaks_the_reader_is_one_clear_line(problems, mixed, monkeypatch):
    def broken(path, keys):
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")

    monkeypatch.setattr(batch, "read_submission", broken)
    result = CliRunner().invoke(main, ["grade", str(mixed["good"]), "--problems", str(problems)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith(f"error: {mixed['good']}: expected a file hwcheck can read, found ValueError")


def test_batch_wording_exists_in_persian():
    assert batch.say("fa", "counts_word", True) != "yes"  # templates/fa/grade/batch.j2, not the English fallback
