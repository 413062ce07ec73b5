"""Side-by-side timing helpers for the bench scripts (repeated runs, interleaved with their baselines)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def run_seconds(argv: list[str], repeat: int = 7) -> float:
    """Median wall time of running ``argv`` as a whole process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def call_seconds(fn, repeat: int = 7) -> float:
    """Median wall time of calling ``fn()`` in this process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(commands: dict[str, list[str]], repeat: int = 7) -> dict[str, float]:
    """Median times of several commands, run alternately so machine load affects them alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def paired(commands: dict[str, list[str]], baseline: list[str], repeat: int = 5) -> dict[str, dict[str, float]]:
    """For each command, its times and those of the baseline run just before each of its runs:
    ``{"min", "median", "baseline_min", "baseline_median"}`` in seconds.

    Pairing each run with its own baseline keeps the ratio honest when the machine's load changes
    during a long benchmark. The fastest of N runs is the figure to compare, as the ``timeit`` docs
    advise: a slower run measures other processes' interference, not the program, and on a shared VM
    that interference alone moves a median by a tenth. Medians are kept for reading beside it.
    """
    samples = {name: ([], []) for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            for bucket, cmd in ((1, baseline), (0, argv)):
                start = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                samples[name][bucket].append(time.perf_counter() - start)
    return {name: {"min": min(t), "median": statistics.median(t), "baseline_min": min(b),
                   "baseline_median": statistics.median(b)} for name, (t, b) in samples.items()}


def report(label: str, seconds: float, baseline_label: str, baseline: float, goal: float) -> bool:
    ratio = seconds / baseline
    verdict = "ok" if ratio <= goal else "OVER GOAL"
    print(f"{label:<52} {seconds * 1000:8.1f} ms   {baseline_label:<34} {baseline * 1000:8.1f} ms"
          f"   ratio {ratio:5.2f} (goal ≤ {goal})  {verdict}")
    return ratio <= goal


PYTHON = sys.executable
