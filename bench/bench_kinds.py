"""Each kind's solve time on its shipped problems, as a ratio to `python -c "import sympy"`.

    python bench/bench_kinds.py [--repeat N] [PROBLEM.yaml ...]

Every `hwcheck solve --no-figures` runs as a whole process (figures are drawn by matplotlib, a separate cost), interleaved with the baseline so that machine load
affects both alike; the figure is the median of N runs. Goal: ratio ≤ 1.5 for every kind.
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problems", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    import yaml

    files = args.problems or sorted((ROOT / "problems").glob("*.yaml"))
    kind_of = {f: yaml.safe_load(f.read_text(encoding="utf-8"))["kind"] for f in files}
    baseline = [PYTHON, "-c", "import sympy"]
    with tempfile.TemporaryDirectory() as out:
        commands = {f.stem: hwcheck_argv() + ["solve", str(f), "--no-figures", "-o", f"{out}/{f.stem}.md"]
                    for f in files}
        times = paired(commands, baseline, repeat=args.repeat)
    print(f'each run paired with a run of python -c "import sympy" just before it; medians of {args.repeat}\n')
    print(f"{'kind':<24}{'problem':<40}{'time':>9}{'sympy':>9}{'ratio':>8}")
    worst: dict[str, float] = {}
    for f in files:
        t, base = times[f.stem]
        ratio = t / base
        worst[kind_of[f]] = max(worst.get(kind_of[f], 0), ratio)
        print(f"{kind_of[f]:<24}{f.stem:<40}{t * 1000:7.0f} ms{base * 1000:7.0f} ms{ratio:8.2f}")
    over = {k: r for k, r in worst.items() if r > GOAL}
    print(f"\nworst ratio per kind: max {max(worst.values()):.2f} (goal ≤ {GOAL});",
          "all kinds within the goal" if not over else "over the goal: " + ", ".join(sorted(over)))
    return 0 if not over else 1


if __name__ == "__main__":
    raise SystemExit(main())
