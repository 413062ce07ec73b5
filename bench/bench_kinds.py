"""Each kind's solve time on its shipped problems, as a ratio to `python -c "import sympy, numpy"`.

    python bench/bench_kinds.py [--repeat N] [PROBLEM.yaml ...]

Every `hwcheck solve --no-figures` runs as a whole process (figures are drawn by matplotlib, a separate cost), each
run paired with a run of the baseline just before it so that machine load affects both alike. The ratio is of the
fastest of N runs on each side (``timing.paired``: slower runs measure the machine's other work); the ratio of
medians is printed beside it. Goal: ratio ≤ 1.5 for every kind. ``measure()`` returns the worst ratio per kind (for
a combined bench script).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import hwcheck_argv  # noqa: E402
from timing import PYTHON, paired  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.5
BASELINE = [PYTHON, "-c", "import sympy, numpy"]


def timings(files=None, repeat: int = 7) -> list[dict]:
    """One row per spec: ``{kind, problem, time, baseline, ratio, median_ratio}`` (seconds: the fastest of
    ``repeat`` runs; ``median_ratio``: of the medians)."""
    import yaml

    files = list(files) if files else sorted((ROOT / "problems").glob("*.yaml"))
    kind_of = {f: yaml.safe_load(f.read_text(encoding="utf-8"))["kind"] for f in files}
    with tempfile.TemporaryDirectory() as out:
        commands = {f.stem: hwcheck_argv() + ["solve", str(f), "--no-figures", "-o", f"{out}/{f.stem}.md"]
                    for f in files}
        times = paired(commands, BASELINE, repeat=repeat)
    rows = []
    for f in files:
        t = times[f.stem]
        rows.append({"kind": kind_of[f], "problem": f.stem, "time": t["min"], "baseline": t["baseline_min"],
                     "ratio": t["min"] / t["baseline_min"], "median_ratio": t["median"] / t["baseline_median"]})
    return rows


def worst_per_kind(rows, key: str = "ratio") -> dict[str, float]:
    worst: dict[str, float] = {}
    for row in rows:
        worst[row["kind"]] = max(worst.get(row["kind"], 0.0), row[key])
    return worst


def measure(files=None, repeat: int = 7) -> tuple[dict[str, float], dict[str, float]]:
    """The worst ratio per kind over its shipped problems (or ``files``), to `import sympy, numpy`:
    ``(of the fastest runs, of the medians)``."""
    rows = timings(files, repeat)
    return worst_per_kind(rows), worst_per_kind(rows, "median_ratio")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problems", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    rows = timings(args.problems, args.repeat)
    print(f'each run paired with a run of python -c "import sympy, numpy" just before it; the fastest of {args.repeat}'
          " on each side (ratio), and the ratio of the medians\n")
    print(f"{'kind':<24}{'problem':<40}{'time':>9}{'baseline':>11}{'ratio':>8}{'medians':>9}")
    for row in rows:
        print(f"{row['kind']:<24}{row['problem']:<40}{row['time'] * 1000:7.0f} ms{row['baseline'] * 1000:8.0f} ms"
              f"{row['ratio']:8.2f}{row['median_ratio']:9.2f}")
    worst, worst_median = worst_per_kind(rows), worst_per_kind(rows, "median_ratio")
    over = {k: r for k, r in worst.items() if r > GOAL}
    print(f"\nworst ratio per kind: max {max(worst.values()):.2f} (goal ≤ {GOAL}; of the medians "
          f"{max(worst_median.values()):.2f});",
          "all kinds within the goal" if not over else "over the goal: " + ", ".join(sorted(over)))
    print("  " + ", ".join(f"{k} {r:.2f}" for k, r in sorted(worst.items(), key=lambda kr: -kr[1])))
    return 0 if not over else 1


if __name__ == "__main__":
    raise SystemExit(main())
