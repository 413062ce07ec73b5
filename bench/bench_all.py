"""Every speed figure of the README's table, measured in one run (issue 14), with its goal.

    python bench/bench_all.py            # about 5 minutes on the project's 2-core machine
    python bench/bench_all.py --quick    # fewer repeats and a smaller class (a rough look)

1. `hwcheck solve` of a 128x128 input with a 5x5 kernel, --format json, as a whole process, against a
   NumPy int64 script that reads the same YAML and does the same sums (bench_core).  goal <= 2
2. every shipped kind's `hwcheck solve` against `python -c "import sympy, numpy"` (bench_kinds,
   the worst problem of each kind; the median of 7 runs' ratios to the baseline run beside each).  goal <= 1.5
3. marginal grading throughput on one core, error carried forward on (bench_grade).  goal >= 5,000 parts/s
4. batch grading of 300 submissions, `--jobs 2` over `--jobs 1` (bench_jobs).  goal >= 1.6

Whole processes are run interleaved with their baselines so that machine load affects both alike; the
ratios are the figures to read. hwcheck's modules are byte-compiled first, as a wheel install does.
"""

from __future__ import annotations

import compileall
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_core  # noqa: E402
import bench_grade  # noqa: E402
import bench_jobs  # noqa: E402
import bench_kinds  # noqa: E402


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    repeat = 3 if quick else 7
    n = 100 if quick else 300
    start = time.perf_counter()
    compileall.compile_dir(str(HERE.parent / "hwcheck"), quiet=1)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"hwcheck speed figures: {cores} cores, load average {load:.2f} at the start\n")

    core = bench_core.measure(repeat)
    for f in core.values():
        print(f"  {f['label']:<48} {f['seconds'] * 1000:8.1f} ms   {f['baseline_label']:<40} "
              f"{f['baseline'] * 1000:8.1f} ms   ratio {f['ratio']:5.2f} (goal ≤ {f['goal']})")
    kinds, kinds_fastest = bench_kinds.measure(repeat=3 if quick else 7)
    print("\n  solve over import sympy, numpy: median of 7 paired runs' ratios (fastest run over fastest baseline)")
    for kind, ratio in sorted(kinds.items()):
        print(f"  solve, worst shipped {kind + ' problem':<40} ratio {ratio:5.2f} ({kinds_fastest[kind]:.2f}) (goal ≤ 1.5)")
    grade = bench_grade.measure(n)
    print(f"\n  grading, marginal, one core: {grade['grading_pps']:,.0f} parts/s alone, {grade['batch_pps']:,.0f} "
          f"parts/s with every report written ({grade['parts_per_submission']:.0f} parts per submission, "
          f"{grade['batch_ms']:.1f} ms CPU per extra submission)")
    jobs = bench_jobs.measure(n, repeat=2 if quick else 5, key=False, variants=False)
    g = jobs["grade"]
    print(f"  grading {n} submissions: --jobs 1 {g[1]['wall']:.2f} s, --jobs 2 {g[2]['wall']:.2f} s "
          f"(same bytes: {'yes' if g['same_bytes'] else 'NO'})")

    rows = [
        ("128x128 input, 5x5 kernel, whole process (vs NumPy script)", core["big_process"]["ratio"], "≤ 2",
         core["big_process"]["ratio"] <= 2),
        ("every kind's solve, worst (vs import sympy, numpy)", max(kinds.values()), "≤ 1.5",
         max(kinds.values()) <= 1.5),
        ("marginal grading, parts/s on one core (reports written)", grade["batch_pps"], "≥ 5,000",
         grade["batch_pps"] >= 5000),
        (f"--jobs 2 over --jobs 1, {n} submissions", g["ratio"], "≥ 1.6", g["ratio"] >= 1.6),
    ]
    print(f"\nthe issue's four figures (load average {os.getloadavg()[0]:.2f} at the end, "
          f"{time.perf_counter() - start:.0f} s in all):")
    for label, value, goal, ok in rows:
        shown = f"{value:,.0f}" if value > 100 else f"{value:.2f}"
        print(f"  {label:<60} {shown:>8}   goal {goal:<8} {'met' if ok else 'NOT met'}")
    return 0 if all(ok for *_, ok in rows) and g["same_bytes"] else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
