"""Each kind's solve time on its shipped problems, as a ratio to `python -c "import sympy, numpy"`.

    python bench/bench_kinds.py [--repeat N] [PROBLEM.yaml ...]

Every `hwcheck solve --no-figures` runs as a whole process (figures are drawn by matplotlib, a separate cost), each
run paired with a run of the baseline just before it so that machine load affects both alike. The ratio is the
median over N runs of each run's ratio to its own baseline run (``timing.paired``); the ratio of the fastest runs
is printed beside it. Goal: ratio ≤ 1.5 for every kind. ``measure()`` returns the worst ratio per kind (for
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
    """One row per spec: ``{kind, problem, time, baseline, ratio, fastest_ratio}`` (seconds: medians of
    ``repeat`` runs; ``ratio``: the median of the paired runs' ratios)."""
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
        rows.append({"kind": kind_of[f], "problem": f.stem, "time": t["median"], "baseline": t["baseline_median"],
                     "ratio": t["ratio"], "fastest_ratio": t["fastest_ratio"]})
    return rows


def worst_per_kind(rows, key: str = "ratio") -> dict[str, float]:
    worst: dict[str, float] = {}
    for row in rows:
        worst[row["kind"]] = max(worst.get(row["kind"], 0.0), row[key])
    return worst


def measure(files=None, repeat: int = 7) -> tuple[dict[str, float], dict[str, float]]:
    """The worst ratio per kind over its shipped problems (or ``files``), to `import sympy, numpy`:
    ``(median of the paired ratios, ratio of the fastest runs)``."""
    rows = timings(files, repeat)
    return worst_per_kind(rows), worst_per_kind(rows, "fastest_ratio")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problems", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    rows = timings(args.problems, args.repeat)
    print(f'each run paired with a run of python -c "import sympy, numpy" just before it; {args.repeat} pairs.\n'
          "time, baseline: medians; ratio: the median of the pairs' ratios; fastest: fastest run over fastest baseline\n")
    print(f"{'kind':<24}{'problem':<40}{'time':>9}{'baseline':>11}{'ratio':>8}{'fastest':>9}")
    for row in rows:
        print(f"{row['kind']:<24}{row['problem']:<40}{row['time'] * 1000:7.0f} ms{row['baseline'] * 1000:8.0f} ms"
              f"{row['ratio']:8.2f}{row['fastest_ratio']:9.2f}")
    worst, worst_fastest = worst_per_kind(rows), worst_per_kind(rows, "fastest_ratio")
    over = {k: r for k, r in worst.items() if r > GOAL}
    print(f"\nworst ratio per kind: max {max(worst.values()):.2f} (goal ≤ {GOAL}; of the fastest runs "
          f"{max(worst_fastest.values()):.2f});",
          "all kinds within the goal" if not over else "over the goal: " + ", ".join(sorted(over)))
    print("  " + ", ".join(f"{k} {r:.2f}" for k, r in sorted(worst.items(), key=lambda kr: -kr[1])))
    return 0 if not over else 1


if __name__ == "__main__":
    raise SystemExit(main())
