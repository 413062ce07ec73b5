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
    """For each command: ``{"ratio", "fastest_ratio", "median", "baseline_median"}``, from ``repeat``
    runs, each just after a run of the baseline.

    ``ratio`` is the median of the runs' own ratios (each run over the baseline run beside it): a pair
    shares the machine's load of its moment, so load that comes and goes during a long benchmark
    cancels in each ratio, and the median sets aside the pairs that one burst hit on one side only.
    ``fastest_ratio`` (the fastest run over the fastest baseline run, as ``timeit`` would compare) is
    printed beside it; on a quiet machine the two agree.
    """
    samples = {name: ([], []) for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            for bucket, cmd in ((1, baseline), (0, argv)):
                start = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                samples[name][bucket].append(time.perf_counter() - start)
    return {name: {"ratio": pair_ratio(t, b),
                   "fastest_ratio": min(t) / min(b),
                   "median": statistics.median(t), "baseline_median": statistics.median(b)}
            for name, (t, b) in samples.items()}


def pair_ratio(times: list[float], baselines: list[float]) -> float:
    """The median of each run's time over its own baseline run's (``times[i]`` ran beside
    ``baselines[i]``): the figure of a paired benchmark."""
    return statistics.median(t / b for t, b in zip(times, baselines))


def report(label: str, seconds: float, baseline_label: str, baseline: float, goal: float) -> bool:
    ratio = seconds / baseline
    verdict = "ok" if ratio <= goal else "OVER GOAL"
    print(f"{label:<52} {seconds * 1000:8.1f} ms   {baseline_label:<34} {baseline * 1000:8.1f} ms"
          f"   ratio {ratio:5.2f} (goal ≤ {goal})  {verdict}")
    return ratio <= goal


PYTHON = sys.executable
