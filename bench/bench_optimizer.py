"""Optimizer traces at speed (issue 4): a 1,000-step Adam trace on a 2-D quadratic.

    python bench/bench_optimizer.py

Times ``hwcheck solve`` on a temporary spec (Adam, f = x²/2 + 10y², 1,000 steps) as a
whole process, side by side with ``python -c "import sympy"`` in the same run (interleaved,
median of 3), and prints both times and their ratio. The goal is under 2 s for the solve.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import PYTHON, interleaved  # noqa: E402

SPEC = """\
id: bench-adam-1000
kind: optimizer_trace
given:
  optimizer: adam
  f: "x**2/2 + 10*y**2"
  start: {x: -8, y: 1}
  learning_rate: 0.01
  steps: 1000
parts: [iterates, final, state]
"""
GOAL_SECONDS = 2.0


def hwcheck_argv() -> list[str]:
    exe = shutil.which("hwcheck")
    return [exe] if exe else [PYTHON, "-m", "hwcheck"]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "adam.yaml"
        spec.write_text(SPEC, encoding="utf-8")
        t = interleaved({
            "solve": hwcheck_argv() + ["solve", str(spec)],
            "sympy": [PYTHON, "-c", "import sympy"],
        }, repeat=3)
    ratio = t["solve"] / t["sympy"]
    verdict = "ok" if t["solve"] < GOAL_SECONDS else "OVER GOAL"
    print("hwcheck optimizer benchmark (median of 3; whole processes run interleaved)\n")
    print(f"hwcheck solve, Adam, 1,000 steps, 2-D quadratic   {t['solve'] * 1000:8.1f} ms")
    print(f'python -c "import sympy"                          {t["sympy"] * 1000:8.1f} ms')
    print(f"ratio {ratio:.2f}; goal: the solve under {GOAL_SECONDS:.0f} s: {verdict}")
    return 0 if t["solve"] < GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
