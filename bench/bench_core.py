"""Core speed figures (issues 2 and 14), each measured side by side with its baseline in one run.

    python bench/bench_core.py [--repeat N]

1. `hwcheck solve` on the homework problem, as a whole process, vs `python -c "import sympy, numpy"`.
2. `hwcheck --help` vs `python -c "import click"` (SymPy must not load at start-up).
3. A 128x128 input with a 5x5 kernel solved exactly (forward, dL/dW, dL/dX, dL/db) vs a plain
   NumPy float64 script doing the same arithmetic, both in this process.
4. The same 128x128 problem as a whole process, `hwcheck solve big.yaml --format json`, vs a plain
   script that reads the same YAML with yaml.CSafeLoader, computes Y, dW, dX, db with int64 NumPy
   and prints them as JSON.

Whole processes run interleaved (so that machine load affects both sides alike); each figure is a
median. CPU times of the child processes are printed beside the wall times: on a loaded machine
they are the steadier figure. hwcheck's modules are byte-compiled first, as installing a wheel
does (PYTHONDONTWRITEBYTECODE would otherwise make every run compile them again).

`measure()` returns the figures for a combined bench script.
"""

from __future__ import annotations

import argparse
import compileall
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import PYTHON, call_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = ROOT / "problems" / "conv2d-backprop-4x4.yaml"
BIG = 128  # input size of the large problem (kernel 5x5)

# The fair baseline of figure 4: the same YAML, the C loader, the same exact sums in int64, JSON out.
PLAIN_SCRIPT = '''\
import json, sys
import numpy as np
import yaml
from numpy.lib.stride_tricks import sliding_window_view as windows

with open(sys.argv[1], encoding="utf-8") as f:
    given = yaml.load(f, Loader=yaml.CSafeLoader)["given"]
X, W, G = (np.array(given[k], dtype=np.int64) for k in ("X", "W", "dL_dY"))
kh, kw = W.shape
Y = np.tensordot(windows(X, (kh, kw)), W, axes=([2, 3], [0, 1]))
dW = np.tensordot(windows(X, G.shape), G, axes=([2, 3], [0, 1]))
Gp = np.pad(G, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
dX = np.tensordot(windows(Gp, (kh, kw)), W[::-1, ::-1], axes=([2, 3], [0, 1]))
json.dump({"Y": Y.tolist(), "dL_dW": dW.tolist(), "dL_dX": dX.tolist(), "dL_db": int(G.sum())}, sys.stdout)
'''


def hwcheck_argv() -> list[str]:
    exe = shutil.which("hwcheck")
    return [exe] if exe else [PYTHON, "-m", "hwcheck"]


def precompile() -> None:
    """Byte-compile hwcheck's modules, as pip does when it installs a wheel."""
    import hwcheck

    compileall.compile_dir(str(Path(hwcheck.__file__).parent), quiet=1)


def numpy_conv_backprop(X, W, G):
    """The same arithmetic in float64 NumPy: forward, dW, dX (full correlation with rot180 W), db."""
    kh, kw = W.shape
    Y = np.tensordot(sliding_window_view(X, (kh, kw)), W, axes=([2, 3], [0, 1]))
    dW = np.tensordot(sliding_window_view(X, G.shape), G, axes=([2, 3], [0, 1]))
    Gp = np.pad(G, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    dX = np.tensordot(sliding_window_view(Gp, (kh, kw)), W[::-1, ::-1], axes=([2, 3], [0, 1]))
    return Y, dW, dX, G.sum()


def big_arrays(n: int = BIG, k: int = 5):
    rng = np.random.default_rng(0)
    return rng.integers(-9, 10, (n, n)), rng.integers(-9, 10, (k, k)), rng.integers(-9, 10, (n - k + 1, n - k + 1))


def write_big_spec(folder: Path) -> Path:
    """The 128x128 problem as a spec file (integers, as an author would write them)."""
    X, W, G = big_arrays()

    def rows(a) -> str:
        return "[" + ", ".join("[" + ", ".join(map(str, r)) + "]" for r in a.tolist()) + "]"

    path = folder / "big.yaml"
    path.write_text(f"id: big\nkind: conv2d_backprop\ngiven:\n  X: {rows(X)}\n  W: {rows(W)}\n"
                    f"  dL_dY: {rows(G)}\nparts: [Y, dL_dW, dL_dX, dL_db]\n", encoding="utf-8")
    return path


def interleaved(commands: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, float]]:
    """(median wall seconds, median CPU seconds) of each command, run alternately."""
    samples: dict[str, tuple[list, list]] = {name: ([], []) for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            samples[name][0].append(wall)
            samples[name][1].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {name: (statistics.median(w), statistics.median(c)) for name, (w, c) in samples.items()}


def _figure(label, t, baseline_label, base, goal) -> dict:
    wall, cpu = t
    base_wall, base_cpu = base
    return {"label": label, "seconds": wall, "baseline_label": baseline_label, "baseline": base_wall,
            "ratio": wall / base_wall, "cpu": cpu, "baseline_cpu": base_cpu,
            "cpu_ratio": cpu / base_cpu if base_cpu else None, "goal": goal}


def measure(repeat: int = 7) -> dict[str, dict]:
    """The core figures: ``{name: {label, seconds, baseline_label, baseline, ratio, cpu, baseline_cpu,
    cpu_ratio, goal}}`` (seconds are medians of wall time; ``cpu`` is for whole processes only)."""
    precompile()
    cmd = hwcheck_argv()
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        big = write_big_spec(Path(tmp))
        plain = Path(tmp) / "plain.py"
        plain.write_text(PLAIN_SCRIPT, encoding="utf-8")
        t = interleaved({
            "solve": cmd + ["solve", str(HOMEWORK)],
            "sympy": [PYTHON, "-c", "import sympy, numpy"],
            "help": cmd + ["--help"],
            "click": [PYTHON, "-c", "import click"],
            "big": cmd + ["solve", str(big), "--format", "json"],
            "plain": [PYTHON, str(plain), str(big)],
        }, repeat)
    figures["solve"] = _figure("hwcheck solve conv2d-backprop-4x4.yaml", t["solve"],
                               'python -c "import sympy, numpy"', t["sympy"], 1.5)
    figures["help"] = _figure("hwcheck --help", t["help"], 'python -c "import click"', t["click"], 1.5)
    figures["big_process"] = _figure(f"hwcheck solve, {BIG}x{BIG} input, 5x5 kernel, JSON", t["big"],
                                     "NumPy int64 script, same YAML and sums", t["plain"], 2.0)

    from hwcheck.kinds import conv2d_backprop as conv
    from hwcheck.schema import convert_fields

    X, W, G = big_arrays()
    given = convert_fields(conv.GIVEN, {"X": X.tolist(), "W": W.tolist(), "dL_dY": G.tolist()})
    exact = call_seconds(lambda: conv.solve(given), repeat)
    Xf, Wf, Gf = X.astype(float), W.astype(float), G.astype(float)
    plain_seconds = call_seconds(lambda: numpy_conv_backprop(Xf, Wf, Gf), repeat)
    figures["big_inprocess"] = {**_figure(f"exact solve, {BIG}x{BIG} input, 5x5 kernel", (exact, 0),
                                          "NumPy float64, same arithmetic", (plain_seconds, 0), 2.0),
                                "cpu": None, "baseline_cpu": None}
    answers = conv.solve(given).answers
    assert np.array_equal(np.array(answers["dL_dX"].floats()), numpy_conv_backprop(Xf, Wf, Gf)[2]), \
        "exact and float results differ"
    return figures


def report(figure: dict) -> bool:
    ok = figure["ratio"] <= figure["goal"]
    cpu = f"   (CPU {figure['cpu'] * 1000:.0f} / {figure['baseline_cpu'] * 1000:.0f} ms = {figure['cpu_ratio']:.2f})" \
        if figure.get("cpu") else ""
    print(f"{figure['label']:<48} {figure['seconds'] * 1000:8.1f} ms   {figure['baseline_label']:<40} "
          f"{figure['baseline'] * 1000:8.1f} ms   ratio {figure['ratio']:5.2f} (goal ≤ {figure['goal']})  "
          f"{'ok' if ok else 'OVER GOAL'}{cpu}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"hwcheck core benchmark (medians of {args.repeat} runs; whole processes run interleaved)\n")
    figures = measure(args.repeat)
    ok = all([report(f) for f in figures.values()])
    print("\n(the exact 128x128 answers equal the float64 NumPy ones: integers in, integers out)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
