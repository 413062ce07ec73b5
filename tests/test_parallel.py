"""``--jobs N`` (hwcheck.parallel): the same bytes as ``--jobs 1``, in the same order, for grade, key and
variants; errors, time limits and dead workers inside worker processes."""

from __future__ import annotations

import csv
import gc
import importlib.util
import io
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hwcheck import limits, parallel
from hwcheck.cli import main
from hwcheck.errors import HwcheckError, SpecError

from conftest import PROBLEMS, ROOT

pytestmark = pytest.mark.skipif(parallel._fork_context() is None, reason="no fork on this system: --jobs runs serially")

PARENT = os.getpid()


# -- the ordered map ---------------------------------------------------------------------------

def _slow_square(x: int) -> tuple[int, bool]:
    time.sleep(0.02 * (x % 3))  # later items often finish first
    return x * x, os.getpid() != PARENT


def test_results_come_back_in_input_order_from_workers():
    out = list(parallel.ordered_map(_slow_square, range(40), jobs=2))
    assert [value for value, _ in out] == [x * x for x in range(40)]
    assert all(in_worker for _, in_worker in out)


def test_a_closure_runs_in_workers_and_only_results_travel():
    offset = {"n": 1000}  # not sent: the workers inherit it
    assert list(parallel.ordered_map(lambda x: x + offset["n"], [3, 1, 2], jobs=2)) == [1003, 1001, 1002]


@pytest.mark.parametrize("jobs,items", [(1, range(5)), (2, [7]), (4, [])])
def test_one_job_or_one_item_runs_here(jobs, items):
    assert list(parallel.ordered_map(lambda x: (x, os.getpid()), items, jobs=jobs)) == [(x, PARENT) for x in items]


@pytest.mark.parametrize("jobs", [0, -1, 1.5, "2", True, None])
def test_jobs_is_a_whole_number_of_at_least_one(jobs):
    with pytest.raises(HwcheckError, match="jobs must be a whole number of at least 1"):
        parallel.ordered_map(abs, [1, 2], jobs=jobs)


def test_default_jobs_is_the_number_of_usable_cores():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert parallel.default_jobs() == expected >= 1


def _fails_at_five(x: int) -> int:
    if x == 5:
        raise SpecError("p.yaml", "given.f", "a function", f"one that fails in process {os.getpid()}")
    return x


def test_an_authors_error_in_a_worker_is_raised_here_in_its_place():
    seen = []
    with pytest.raises(SpecError) as caught:
        for x in parallel.ordered_map(_fails_at_five, range(30), jobs=2):
            seen.append(x)
    assert seen == [0, 1, 2, 3, 4]  # the items before it, as a serial loop gives them
    assert caught.value.file == "p.yaml" and caught.value.key == "given.f"
    assert f"process {PARENT}" not in str(caught.value)  # raised in a worker, sent back whole


def _bug_at_three(x: int) -> int:
    if x == 3:
        raise ZeroDivisionError(f"in process {os.getpid()}")
    return x


def test_a_bug_in_a_worker_is_raised_here_with_its_own_traceback():
    with pytest.raises(ZeroDivisionError, match=f"in process {PARENT}$") as caught:
        list(parallel.ordered_map(_bug_at_three, range(20), jobs=2))
    assert any(entry.name == "_bug_at_three" for entry in caught.traceback)


def _dies_in_a_worker(x: int) -> tuple[int, bool]:
    if x == 4 and os.getpid() != PARENT:
        os._exit(9)  # as if killed (out of memory)
    return x, os.getpid() == PARENT


def test_a_worker_that_dies_loses_no_item():
    out = list(parallel.ordered_map(_dies_in_a_worker, range(24), jobs=2))
    assert [x for x, _ in out] == list(range(24))
    assert dict(out)[4] is True  # done again here


def test_results_that_cannot_travel_are_made_here():
    out = list(parallel.ordered_map(lambda x: (lambda: (x, os.getpid())), range(6), jobs=2))
    assert [f() for f in out] == [(x, PARENT) for x in range(6)]


def test_redo_names_results_to_make_here():
    out = list(parallel.ordered_map(lambda x: (x, os.getpid()), range(10), jobs=2, redo=lambda r: r[0] % 2 == 0))
    assert all((pid == PARENT) == (x % 2 == 0) for x, pid in out)


def test_the_collector_is_paused_while_the_workers_run_and_nothing_stays_frozen():
    """The parent only gathers results meanwhile: the cyclic collector's passes over them are put off."""
    import gc

    assert gc.isenabled() and gc.get_freeze_count() == 0
    seen = [gc.isenabled() for _ in parallel.ordered_map(abs, range(-10, 10), jobs=2)]
    assert seen == [False] * 20
    assert gc.isenabled() and gc.get_freeze_count() == 0  # frozen at the end, handed back by ``settled``
    results = parallel.ordered_map(abs, range(-10, 10), jobs=2)
    next(results)
    results.close()  # stopped early
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()  # the caller's choice is kept
    try:
        assert list(parallel.ordered_map(abs, [-1, -2], jobs=2)) == [1, 2] and not gc.isenabled()
    finally:
        gc.enable()


def test_settled_inside_settled_leaves_the_freeze_to_the_outer_block():
    import gc

    def frozen(obj) -> bool:  # the collector's generations list every tracked object but the frozen ones
        return not any(o is obj for o in gc.get_objects())

    marker = [object()]
    with parallel.settled():
        assert frozen(marker)
        with parallel.settled():
            pass
        assert frozen(marker)
        assert list(parallel.ordered_map(abs, [-1, -2, -3], jobs=2)) == [1, 2, 3]
        assert frozen(marker)
    assert not frozen(marker) and gc.get_freeze_count() == 0


def _spin(seconds: float) -> tuple[str, int]:
    try:
        with limits.budget(seconds):
            start = time.process_time()
            while time.process_time() - start < 30:
                pass
    except limits.Expired:
        return "expired", os.getpid()
    return "not cut off", os.getpid()


def test_the_cpu_time_budget_holds_in_each_worker():
    out = list(parallel.ordered_map(_spin, [0.2, 0.2, 0.2, 0.2], jobs=2))
    assert [verdict for verdict, _ in out] == ["expired"] * 4
    assert PARENT not in {pid for _, pid in out}


def test_a_worker_starts_its_own_symbolic_pool():
    """The parent's SymPy worker answers the parent: two processes sharing its pipe would mix up answers."""
    import sympy as sp

    from hwcheck.grade import symbolic

    x = sp.Symbol("x")
    parents = symbolic.pool()
    assert parents.equivalent(sp.sin(x) ** 2 + sp.cos(x) ** 2, sp.Integer(1), timeout=60) == "equal"

    def decide(pair):
        a, b = (sp.sympify(t) for t in pair)
        return symbolic.pool() is not parents, symbolic.pool().equivalent(a, b, timeout=60)

    pairs = [("sin(x)**2 + cos(x)**2", "1"), ("x + 1", "x"), ("(x + 1)**2", "x**2 + 2*x + 1"), ("x", "2*x")] * 2
    out = list(parallel.ordered_map(decide, pairs, jobs=2))
    assert [own for own, _ in out] == [True] * len(pairs)
    assert [verdict for _, verdict in out] == ["equal", "different", "equal", "different"] * 2


# -- hwcheck grade --jobs ----------------------------------------------------------------------

SET = ["conv2d-backprop-4x4", "init-xavier-tanh-dense", "chain-sin-square", "gd-1d-learning-rates", "concept-zero-init"]


def _bench_grade():
    spec = importlib.util.spec_from_file_location("bench_grade", ROOT / "bench" / "bench_grade.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _class(tmp_path: Path) -> tuple[Path, list[str]]:
    """~20 files: generated answers (right, wrong, unreadable, blank), files that cannot be read,
    a student id used twice, an unknown problem id, and an answer that never finishes reading."""
    from hwcheck.grade import batch

    problems = tmp_path / "problems"
    problems.mkdir()
    for name in SET:
        shutil.copy(PROBLEMS / f"{name}.yaml", problems)
    subs = tmp_path / "subs"
    subs.mkdir()
    paths, _ = _bench_grade().make_class(batch.load_keys(problems), 14, subs, seed=11)
    (subs / "bad-json.json").write_text("{not json")
    (subs / "bad-bytes.json").write_bytes(b"\xff\xfe\x00garbage")
    (subs / "empty.json").write_text("")
    first = json.loads(paths[0].read_text())
    (subs / "dup-late.json").write_text(json.dumps({**first, "submitted_at": "2026-01-02T10:00:00Z"}))
    (subs / "dup-early.json").write_text(json.dumps({**first, "submitted_at": "2026-01-01T10:00:00Z"}))
    (subs / "typo.json").write_text(json.dumps({"student": "typo", "answers": {"chain-sin-sqare": {"value": 1}}}))
    (subs / "spin.json").write_text(json.dumps({"student": "spin", "answers": {
        "chain-sin-square": {"derivative": "SPIN", "value": "0"}}}))
    return problems, sorted(str(p) for p in subs.glob("*.json"))


@pytest.fixture
def spinning_reader(monkeypatch, tmp_path):
    """The answer ``SPIN`` never finishes reading (pure Python, so only the CPU-time budget stops it);
    the hard stop comes at 0.4 s of CPU instead of 3 s, to keep the test short. Each process that
    spins writes its id to ``spun``."""
    from hwcheck.grade import grader

    spun = tmp_path / "spun"
    real = grader.read

    def read(raw, *args, **kwargs):
        if raw == "SPIN":
            with open(spun, "a") as f:
                f.write(f"{os.getpid()}\n")
            start = time.process_time()
            while time.process_time() - start < 30:  # not cut off: a wrong feedback, not a hung test
                pass
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(grader, "read", read)
    monkeypatch.setattr(limits, "PART_MARGIN", 0.4 - 2.0)
    return spun


def _run(args: list[str]) -> dict:
    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return {"exit": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_grade_jobs_2_writes_the_bytes_of_jobs_1(tmp_path, spinning_reader, monkeypatch):
    monkeypatch.chdir(tmp_path)
    problems, files = _class(tmp_path)
    assert len(files) == 21
    # a TA's score for one answer waiting for review: reviews are applied in the workers too
    first = _run(["grade", *files, "--problems", str(problems), "--out", "first", "--jobs", "1"])
    assert first["exit"] == 3
    reviews = list(csv.DictReader(io.StringIO((tmp_path / "first" / "review.csv").read_text())))
    assert reviews and all(r["score"] == "" for r in reviews)
    chosen = dict(reviews[-1], score="0")
    with open(tmp_path / "reviewed.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(chosen))
        writer.writeheader()
        writer.writerow(chosen)

    runs = {}
    for jobs in ("1", "2"):
        runs[jobs] = _run(["grade", *files, "--problems", str(problems), "--out", f"out{jobs}", "--jobs", jobs,
                           "--reviewed", "reviewed.csv"])
        runs[jobs]["stderr"] = runs[jobs]["stderr"].replace(f"out{jobs}", "OUT")
    assert runs["1"] == runs["2"]
    assert runs["2"]["exit"] == 3
    assert _files(tmp_path / "out1") == _files(tmp_path / "out2")

    grades = (tmp_path / "out2" / "grades.csv").read_text().splitlines()
    assert [line.split(",")[1] for line in grades[1:]] == files  # a row per file, in the order given
    reviewed = list(csv.DictReader(io.StringIO((tmp_path / "out2" / "review.csv").read_text())))
    assert [r["score"] for r in reviewed] == [""] * (len(reviews) - 1) + ["0"]  # the TA's score, applied in a worker
    spin = json.loads((tmp_path / "out2" / "spin.json").read_text())["problems"]["chain-sin-square"]["parts"]
    assert spin["derivative"]["verdict"] == "invalid" and "time limit (0.4 s)" in spin["derivative"]["feedback"]
    spun = [int(pid) for pid in spinning_reader.read_text().split()]
    assert len(spun) == 3 and spun[:2] == [PARENT, PARENT] and spun[2] != PARENT  # cut off inside a worker


def test_grade_jobs_with_one_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    problems, files = _class(tmp_path)
    one = [f for f in files if f.endswith("s-0003.json")]
    runs = [_run(["grade", *one, "--problems", str(problems), "--out", f"out{j}", "--jobs", j]) for j in ("1", "2")]
    assert runs[0]["stdout"] == runs[1]["stdout"] and runs[0]["exit"] == runs[1]["exit"] == 0
    assert _files(tmp_path / "out1") == _files(tmp_path / "out2")


def test_a_bug_while_grading_one_file_keeps_its_traceback(tmp_path, monkeypatch):
    """The row of a file hwcheck failed on holds the exception, with its traceback (``--debug``):
    such a file is graded again in the parent process."""
    from hwcheck import api
    from hwcheck.grade import batch

    problems, files = _class(tmp_path)
    real = batch.grade_submission

    def grade_submission(keys, submission, **kwargs):
        if submission.student == "typo":
            raise RuntimeError("a bug")
        return real(keys, submission, **kwargs)

    monkeypatch.setattr(batch, "grade_submission", grade_submission)
    rows = {j: api.grade_files(files, problems=problems, jobs=j).rows for j in (1, 2)}
    assert [(r.file, r.error) for r in rows[1]] == [(r.file, r.error) for r in rows[2]]
    [bug] = [r for r in rows[2] if r.exception is not None]
    assert bug.student == "typo" and bug.exception.__traceback__ is not None


def test_results_from_workers_word_their_feedback_again(tmp_path):
    """A part's view (what ``reveal`` words the feedback from) travels packed; it opens on first use."""
    from hwcheck import api
    from hwcheck.grade import report

    problems, files = _class(tmp_path)
    batches = {j: api.grade_files(files[:6], problems=problems, jobs=j) for j in (1, 2)}
    assert batches[1].rows == batches[2].rows  # answers and results alike (the answers travel packed too)
    plain = {j: [{pid: dict(parts) for pid, parts in r.answers.items()} for r in b.rows] for j, b in batches.items()}
    assert plain[1] == plain[2] and any(plain[2])
    results = {j: b.results for j, b in batches.items()}
    for reveal in ("verdicts", "values", "steps"):
        assert [report.format_result(r, "md", reveal=reveal) for r in results[1]] == \
            [report.format_result(r, "md", reveal=reveal) for r in results[2]]
    part = results[2][0].problems[0].parts[0]
    assert dict(part.view) == dict(results[1][0].problems[0].parts[0].view) != {}


@pytest.mark.parametrize("command", [["grade", "x.json"], ["key", "problems"],
                                     ["variants", "problems", "--roster", "r.csv", "-o", "v"]])
@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_jobs_below_one_is_a_usage_error(tmp_path, monkeypatch, command, value):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.csv").write_text("student\ns1\n")
    (tmp_path / "problems").mkdir()
    result = _run([*command, "--jobs", value])
    assert result["exit"] == 2
    assert "--jobs" in result["stderr"] and "Traceback" not in result["stderr"]


def test_the_python_api_refuses_jobs_below_one(tmp_path):
    from hwcheck import api

    with pytest.raises(HwcheckError, match="jobs must be"):
        api.grade_files([], problems=PROBLEMS, jobs=0)
    with pytest.raises(HwcheckError, match="jobs must be"):
        api.write_keys([PROBLEMS], out=tmp_path / "k", jobs=0)
    with pytest.raises(HwcheckError, match="jobs must be"):
        api.write_variants([PROBLEMS], roster=tmp_path / "r.csv", out=tmp_path / "v", jobs=-1)


# -- hwcheck key --jobs, hwcheck variants --jobs -----------------------------------------------

def test_key_jobs_2_writes_the_bytes_of_jobs_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("gd-1d-learning-rates", "chain-sin-square", "init-he-relu-conv", "softmax-ce-three-classes"):
        shutil.copy(PROBLEMS / f"{name}.yaml", specs)  # one with figures
    runs = {j: _run(["key", "specs", "-o", f"key{j}", "--jobs", j, "--format", "html"]) for j in ("1", "2")}
    assert runs["1"]["exit"] == runs["2"]["exit"] == 0
    assert runs["1"]["stderr"].replace("key1", "OUT") == runs["2"]["stderr"].replace("key2", "OUT")
    assert _files(tmp_path / "key1") == _files(tmp_path / "key2")
    assert any(name.endswith(".svg") for name in _files(tmp_path / "key2"))


def test_key_a_spec_that_fails_while_solving_in_a_worker(tmp_path, monkeypatch):
    """It passes ``validate`` and fails only while solving: the same one line, exit 2, nothing written."""
    monkeypatch.chdir(tmp_path)
    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("chain-sin-square", "init-he-relu-conv", "softmax-ce-three-classes"):
        shutil.copy(PROBLEMS / f"{name}.yaml", specs)
    (specs / "zz-log.yaml").write_text("id: zz-log\nkind: gradient_descent\n"
                                       "given: {f: 'log(w)', start: {w: 1}, learning_rate: 10, steps: 3}\n")
    runs = {j: _run(["key", "specs", "-o", "key", "--jobs", j]) for j in ("1", "2")}
    assert runs["1"] == runs["2"]
    assert runs["2"]["exit"] == 2
    assert runs["2"]["stderr"].startswith("error: specs/zz-log.yaml: given.start: expected f and its gradient")
    assert not (tmp_path / "key").exists()


def test_variants_jobs_2_writes_the_bytes_of_jobs_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("chain-sin-square", "init-he-relu-conv"):
        shutil.copy(PROBLEMS / f"{name}.yaml", specs)
    (tmp_path / "roster.csv").write_text("student,name\ns1,Ali\ns2,Sara\ns3,Reza\nzed,Zed\n")
    runs = {j: _run(["variants", "specs", "--roster", "roster.csv", "-o", f"v{j}", "--jobs", j]) for j in ("1", "2")}
    assert runs["1"]["exit"] == runs["2"]["exit"] == 0
    assert runs["1"]["stderr"].replace("v1", "OUT") == runs["2"]["stderr"].replace("v2", "OUT")
    assert _files(tmp_path / "v1") == _files(tmp_path / "v2")
    assert (tmp_path / "v2" / "variants.csv").read_text().splitlines()[1:] == [
        "s1,Ali,s1", "s2,Sara,s2", "s3,Reza,s3", "zed,Zed,zed"]


# -- reports written where they are graded, moved into place at the end -------------------------

def _grade_into(tmp_path, out: Path, jobs: int, **kwargs):
    from hwcheck import api

    problems, files = _class(tmp_path) if not (tmp_path / "problems").exists() else (
        tmp_path / "problems", sorted(str(p) for p in (tmp_path / "subs").glob("*.json")))
    return api.grade_files(files, problems=problems, out=out, jobs=jobs, **kwargs)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("existing", [False, True])
def test_a_grading_run_stopped_midway_leaves_the_folder_as_it_was(tmp_path, jobs, existing):
    out = tmp_path / "out"
    if existing:
        _grade_into(tmp_path, out, 1)
        (out / "mine.txt").write_text("mine")
    before = _files(out) if existing else None
    seen = []

    def stop(path, result):
        seen.append(path)
        if len(seen) == 5:
            raise KeyboardInterrupt  # Ctrl-C midway: the reports of 5 files are written by now

    with pytest.raises(KeyboardInterrupt):
        _grade_into(tmp_path, out, jobs, on_progress=stop)
    if existing:
        assert _files(out) == before  # no new report, no staging folder left behind
        assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".hwcheck-manifest.json"]
    else:
        assert not out.exists()  # the folder this run created is gone with it


@pytest.mark.parametrize("jobs", [1, 2])
def test_reports_get_the_mode_open_gives(tmp_path, jobs):
    import stat

    old = os.umask(0o027)
    try:
        out = tmp_path / "out"
        _grade_into(tmp_path, out, jobs)
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
        assert set(modes.values()) == {0o640}, modes
        (out / "s-0001.md").chmod(0o600)  # a mode the instructor chose survives a re-run
        _grade_into(tmp_path, out, jobs)
        assert stat.S_IMODE((out / "s-0001.md").stat().st_mode) == 0o600
        assert not [p for p in out.iterdir() if "staging" in p.name]
    finally:
        os.umask(old)


def test_a_report_that_cannot_be_written_in_a_worker_is_one_clear_error(tmp_path, monkeypatch):
    real = Path.write_bytes

    def full(self, data):
        if self.suffix == ".json" and self.parent.name.startswith(".hwcheck-staging-"):
            raise OSError(28, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(SpecError, match="No space left on device") as caught:
        _grade_into(tmp_path, tmp_path / "out", 2)
    assert "a folder hwcheck can write to" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_worked_steps_travel_by_name_and_come_back_equal(tmp_path):
    """A wrong part's worked steps are its key's own: a worker sends their names, not their text."""
    import pickle

    from multiprocessing.reduction import ForkingPickler

    from hwcheck.grade import batch
    from hwcheck.grade import review as rv

    problems, files = _class(tmp_path)
    keys = batch.load_keys(problems)
    graded = [batch._grade_file(Path(f), keys, lang="en", variants=None, reviews=rv.merge(), fmt=None)
              for f in files]
    graded = next(g for g in graded if g.row.result is not None
                  and any(p.steps for pr in g.row.result.problems for p in pr.parts))
    steps = [p.steps for pr in graded.row.result.problems for p in pr.parts]
    batch._SHARED_KEYS[id(keys)] = (keys, "en")
    try:
        refs = batch._steps_refs([graded.row.result])
        assert len(refs) == sum(1 for s in steps if s)
        back = pickle.loads(ForkingPickler.dumps(graded))
        assert [p.steps for pr in back.row.result.problems for p in pr.parts] == steps
    finally:
        batch._SHARED_KEYS.pop(id(keys), None)
    assert batch._steps_refs([graded.row.result]) == {}  # outside a batch the steps travel whole


def test_settled_skips_full_passes_inside_and_restores_the_thresholds():
    before = gc.get_threshold()
    with parallel.settled():
        inside = gc.get_threshold()
        seen = list(parallel.ordered_map(_threshold_in_worker, range(3), jobs=2))
    assert inside[:2] == before[:2] and inside[2] >= parallel.FULL_PASS_THRESHOLD
    assert all(t == inside for t in seen)  # the workers inherit it
    assert gc.get_threshold() == before


def _threshold_in_worker(_):
    return gc.get_threshold()
