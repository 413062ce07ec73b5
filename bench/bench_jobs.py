"""``--jobs 2`` over ``--jobs 1`` (issue 14): batch grading of 300 submissions, side by side.

    python bench/bench_jobs.py [N] [--repeat R] [--no-key] [--no-variants]     (N = 300, R = 5)

The class is ``bench_grade.make_class`` (every shipped problem, a mix of right, wrong, unreadable
and blank answers). The keys are built once, as ``hwcheck grade`` builds them before it forks;
then ``grade_many`` with reports written (``--out``) runs with ``jobs=1`` and ``jobs=2`` in turn,
``R`` times (interleaved, so machine load affects both alike); the figure is the median of the
repetitions' own ratios (goal: >= 1.6 on a 2-core machine). Then, once each, ``write_keys`` over
``problems/`` and ``write_variants`` for 4 students over ``problems/`` (``--no-key``,
``--no-variants`` leave them out). CPU seconds (this process, and its worker processes) are printed beside the wall time: on a
loaded machine the wall-clock ratio understates what 2 free cores give.

``measure()`` returns the figures, for one combined bench script.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from timing import pair_ratio  # noqa: E402

GOAL = 1.6
JOBS = (1, 2)


def _cpu() -> tuple[float, float]:
    """CPU seconds used so far by this process and by its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _side_by_side(run, repeat: int) -> dict:
    """``run(jobs)`` for each of JOBS in turn, ``repeat`` times: median wall and CPU seconds per jobs,
    and ``ratio``, the median of the repetitions' jobs-1 over jobs-2 wall-clock ratios."""
    samples: dict[int, list[tuple[float, float, float]]] = {jobs: [] for jobs in JOBS}
    for _ in range(repeat):
        for jobs in JOBS:
            own, children = _cpu()
            start = time.perf_counter()
            run(jobs)
            wall = time.perf_counter() - start
            own2, children2 = _cpu()
            samples[jobs].append((wall, own2 - own, children2 - children))
    out = {}
    for jobs, runs in samples.items():
        out[jobs] = {"wall": statistics.median(r[0] for r in runs), "cpu_parent": statistics.median(r[1] for r in runs),
                     "cpu_workers": statistics.median(r[2] for r in runs)}
    # each repetition's jobs-1 run over the jobs-2 run just after it: load that comes and goes cancels
    # within a pair, as in bench_kinds
    out["ratio"] = pair_ratio([r[0] for r in samples[1]], [r[0] for r in samples[2]])
    # what 2 free cores would give: the CPU seconds of jobs 1 over those of jobs 2 shared by 2 cores
    # (an estimate that ignores the serial part at the end; the wall-clock ratio is the measurement)
    out["cpu_ratio"] = (out[1]["cpu_parent"] + out[1]["cpu_workers"]) / (
        (out[2]["cpu_parent"] + out[2]["cpu_workers"]) / 2)
    return out


def measure(n: int = 300, repeat: int = 5, key: bool = True, variants: bool = True, students: int = 4,
            repeat_others: int = 1) -> dict:
    """The figures: ``{"grade": {1: {...}, 2: {...}, "ratio": r, "cpu_ratio": c}, "key": ..., "variants": ...}``
    with wall and CPU seconds (median of ``repeat`` interleaved runs; ``repeat_others`` for key and
    variants) and the machine's load."""
    import bench_grade

    from hwcheck import api
    from hwcheck.grade import batch

    figures: dict = {"cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                     "load_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    problems = ROOT / "problems"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        keys = batch.load_keys(problems)
        for _ in keys:  # the keys are built before the workers are forked
            pass
        (tmp / "subs").mkdir()
        paths, parts = bench_grade.make_class(keys, n, tmp / "subs")
        batch.grade_many(paths[:2], keys, out=tmp / "warm")  # templates compiled, steps rendered once
        figures["grade"] = _side_by_side(lambda jobs: batch.grade_many(paths, keys, out=tmp / f"grades{jobs}",
                                                                       jobs=jobs), repeat)
        figures["grade"].update(submissions=n, parts=parts)
        same = all((tmp / "grades1" / f.name).read_bytes() == f.read_bytes() for f in (tmp / "grades2").iterdir())
        figures["grade"]["same_bytes"] = same and len(list((tmp / "grades1").iterdir())) == len(
            list((tmp / "grades2").iterdir()))
        if key:
            api.write_keys([problems / "gd-1d-learning-rates.yaml"], out=tmp / "warm-key")  # matplotlib imported
            figures["key"] = _side_by_side(lambda jobs: api.write_keys([problems], out=tmp / f"key{jobs}", jobs=jobs),
                                           repeat_others)
            figures["key"]["specs"] = len(keys)
        if variants:
            roster = tmp / "roster.csv"
            roster.write_text("student\n" + "".join(f"s{i:03d}\n" for i in range(students)))
            figures["variants"] = _side_by_side(
                lambda jobs: api.write_variants([problems], roster=roster, out=tmp / f"variants{jobs}", jobs=jobs),
                repeat_others)
            figures["variants"]["students"] = students
    figures["load_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return figures


def _line(name: str, f: dict, what: str) -> str:
    one, two = f[1], f[2]
    return (f"{name:<9} {what:<34} jobs 1: {one['wall']:6.2f} s wall ({one['cpu_parent']:.2f} s CPU)   "
            f"jobs 2: {two['wall']:6.2f} s wall ({two['cpu_parent']:.2f} s CPU here + {two['cpu_workers']:.2f} s "
            f"in workers)   ratio {f['ratio']:.2f} (from CPU seconds, 2 free cores: {f['cpu_ratio']:.2f})")


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv and argv[0].isdigit() else 300
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 5
    figures = measure(n, repeat, key="--no-key" not in argv, variants="--no-variants" not in argv)
    print(f"cores: {figures['cores']}; load average {figures['load_before']:.2f} before, "
          f"{figures['load_after']:.2f} after (a loaded machine makes the wall-clock ratio smaller)")
    g = figures["grade"]
    print(_line("grade", g, f"{n} submissions, {g['parts']} parts, --out"))
    met = "met" if g["ratio"] >= GOAL else "NOT met"
    print(f"grade --jobs 2 over --jobs 1: {g['ratio']:.2f} (goal >= {GOAL}: {met}); "
          f"same bytes: {'yes' if g['same_bytes'] else 'NO'}")
    if "key" in figures:
        print(_line("key", figures["key"], f"{figures['key']['specs']} specs of problems/"))
    if "variants" in figures:
        print(_line("variants", figures["variants"], f"{figures['variants']['students']} students x problems/"))
    if not g["same_bytes"]:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
