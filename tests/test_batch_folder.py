"""--out holds exactly this run's files; report names never collide (students, class files, case)."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck import api, files
from hwcheck.grade import batch

from conftest import PROBLEMS


@pytest.fixture
def problems(tmp_path):
    folder = tmp_path / "problems"
    folder.mkdir()
    shutil.copy(PROBLEMS / "init-xavier-tanh-dense.yaml", folder)
    return folder


def _sub(folder, name, student):
    path = folder / name
    path.write_text(json.dumps({"student": student, "answers": {"init-xavier-tanh-dense": {"bound": "1/8"}}}))
    return path


def test_a_rerun_leaves_only_this_runs_files(problems, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the instructor's own file")
    (out / "old-report.md").write_text("written by hand, or by an hwcheck without a manifest")
    first = [_sub(subs, f"{s}.json", s) for s in ("ann", "ben", "cat")]
    api.grade_files(first, problems=problems, out=out, format="gradescope")
    assert (out / "ben.md").exists() and (out / "ben.results.json").exists()

    result = api.grade_files([first[0], first[2]], problems=problems, out=out)  # ben left the class; no gradescope
    names = sorted(p.name for p in out.iterdir())
    assert names == [".hwcheck-manifest.json", "ann.json", "ann.md", "cat.json", "cat.md", "grades.csv",
                     "notes.txt", "old-report.md", "review.csv", "summary.md"]
    assert (out / "notes.txt").read_text() == "the instructor's own file"
    assert sorted(p.name for p in result.removed) == ["ann.results.json", "ben.json", "ben.md", "ben.results.json",
                                                       "cat.results.json"]
    manifest = json.loads((out / ".hwcheck-manifest.json").read_text())
    assert sorted(manifest["files"]) == sorted(n for n in names if n not in (".hwcheck-manifest.json", "notes.txt",
                                                                              "old-report.md"))
    assert "ben" not in (out / "grades.csv").read_text()


def test_a_manifest_cannot_reach_outside_the_folder(problems, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / "sub").mkdir()
    (out / batch.MANIFEST).write_text(json.dumps({"files": ["../victim.txt", str(victim), "sub", "..", "sub/x"]}))
    api.grade_files([_sub(subs, "a.json", "a")], problems=problems, out=out)
    assert victim.read_text() == "keep me" and (out / "sub").is_dir()


def test_a_run_killed_midway_leaves_a_manifest_that_covers_everything(problems, tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    subs.mkdir()
    out = tmp_path / "out"
    api.grade_files([_sub(subs, "ann.json", "ann")], problems=problems, out=out)
    real = files.write_atomic
    calls = []

    def dying(path, text):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(path, text)

    monkeypatch.setattr(files, "write_atomic", dying)
    with pytest.raises(KeyboardInterrupt):
        api.grade_files([_sub(subs, "bob.json", "bob")], problems=problems, out=out)
    monkeypatch.setattr(files, "write_atomic", real)
    listed = set(json.loads((out / batch.MANIFEST).read_text())["files"])
    on_disk = {p.name for p in out.iterdir()} - {batch.MANIFEST}
    assert on_disk <= listed  # every file hwcheck wrote is listed, so the next run can clean up
    api.grade_files([_sub(subs, "bob.json", "bob")], problems=problems, out=out)
    assert not (out / "ann.md").exists() and (out / "bob.md").exists()


def test_report_names_never_collide(problems, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    students = ["summary", "SUMMARY", "x", "x.results", "x_results", "grades", "review", "s1", "S1", "Con",
                "写" * 90]
    files = [_sub(subs, f"f{i:02}.json", s) for i, s in enumerate(students)]
    out = tmp_path / "out"
    result = api.grade_files(files, problems=problems, out=out, format="gradescope")
    assert all(row.graded for row in result.rows), [row.error for row in result.rows]
    written = [p.name.casefold() for p in result.written]
    assert len(written) == len(set(written)) == 3 * len(students) + 3  # and grades.csv, summary.md, review.csv
    assert (out / "summary.md").read_text().startswith("# Class summary")
    assert json.loads((out / "summary~2.json").read_text())["student"] == "summary"
    assert json.loads((out / "x.results.json").read_text())["score"] == 2  # x's Gradescope file is x's
    assert json.loads((out / "x_results.json").read_text())["student"] in ("x.results", "x_results")
    long = next(p for p in out.iterdir() if p.name.startswith("写"))
    assert len(long.name.encode()) < 255


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.sampled_from("aA.bB_-@+é写"), min_size=1, max_size=8), min_size=1, max_size=12))
def test_stems_are_distinct_ignoring_case_and_never_a_class_file(students):
    stems = batch.report_stems((s, f"f{i}") for i, s in enumerate(students))
    names = [f"{s}{suffix}".casefold() for s in stems for suffix in (".md", ".json", ".results.json")]
    assert len(names) == len(set(names))
    assert not set(names) & {n.casefold() for n in (*batch.CLASS_FILES, batch.MANIFEST)}
    assert all("." not in s and "/" not in s for s in stems)
