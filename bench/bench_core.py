"""Core speed figures (issue 2), each measured side by side with its baseline in one run.

    python bench/bench_core.py

1. `hwcheck solve` on the homework problem, as a whole process, vs `python -c "import sympy, numpy"`.
2. `hwcheck --help` vs `python -c "import click"` (SymPy must not load at start-up).
3. A 128x128 input with a 5x5 kernel solved exactly (forward, dL/dW, dL/dX, dL/db) vs a plain
   NumPy float64 script doing the same arithmetic, both in this process.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import PYTHON, call_seconds, interleaved, report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = ROOT / "problems" / "conv2d-backprop-4x4.yaml"


def hwcheck_argv() -> list[str]:
    exe = shutil.which("hwcheck")
    return [exe] if exe else [PYTHON, "-m", "hwcheck"]


def numpy_conv_backprop(X, W, G):
    """The same arithmetic in float64 NumPy: forward, dW, dX (full correlation with rot180 W), db."""
    kh, kw = W.shape
    Y = np.tensordot(sliding_window_view(X, (kh, kw)), W, axes=([2, 3], [0, 1]))
    dW = np.tensordot(sliding_window_view(X, G.shape), G, axes=([2, 3], [0, 1]))
    Gp = np.pad(G, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    dX = np.tensordot(sliding_window_view(Gp, (kh, kw)), W[::-1, ::-1], axes=([2, 3], [0, 1]))
    return Y, dW, dX, G.sum()


def main() -> int:
    ok = True
    print("hwcheck core benchmark (median of 7 runs; whole processes run interleaved)\n")
    cmd = hwcheck_argv()
    t = interleaved({
        "solve": cmd + ["solve", str(HOMEWORK)],
        "sympy": [PYTHON, "-c", "import sympy, numpy"],
        "help": cmd + ["--help"],
        "click": [PYTHON, "-c", "import click"],
    })
    ok &= report("hwcheck solve conv2d-backprop-4x4.yaml", t["solve"], 'python -c "import sympy, numpy"',
                 t["sympy"], 1.5)
    ok &= report("hwcheck --help", t["help"], 'python -c "import click"', t["click"], 1.5)

    from hwcheck.kinds import conv2d_backprop as conv
    from hwcheck.schema import convert_fields

    rng = np.random.default_rng(0)
    X = rng.integers(-9, 10, (128, 128))
    W = rng.integers(-9, 10, (5, 5))
    G = rng.integers(-9, 10, (124, 124))
    given = convert_fields(conv.GIVEN, {"X": X.tolist(), "W": W.tolist(), "dL_dY": G.tolist()})
    exact = call_seconds(lambda: conv.solve(given))
    Xf, Wf, Gf = X.astype(float), W.astype(float), G.astype(float)
    plain = call_seconds(lambda: numpy_conv_backprop(Xf, Wf, Gf))
    ok &= report("exact solve, 128x128 input, 5x5 kernel", exact, "NumPy float64, same arithmetic", plain, 2.0)
    answers = conv.solve(given).answers
    reference = numpy_conv_backprop(Xf, Wf, Gf)
    assert np.array_equal(np.array(answers["dL_dX"].floats()), reference[2]), "exact and float results differ"
    print("\n(the exact 128x128 answers equal the float64 NumPy ones: integers in, integers out)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
