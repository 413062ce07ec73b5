"""Drawing and self-testing variants: 30 students × every kind's practice template.

Prints the time per kind and in all, side by side with the time to solve each kind's instructor
version once (the floor: a variant is at least one solve). Run: ``python bench/bench_variants.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hwcheck import kinds, variants  # noqa: E402
from hwcheck.spec import load_problem  # noqa: E402

STUDENTS = [f"s{i:03d}" for i in range(1, 31)]


def main() -> None:
    total = total_solve = 0.0
    print(f"{'kind':<24} {'30 variants':>12} {'draws':>6} {'1 solve':>10} {'per variant / solve':>20}")
    for kind in variants.practice_kinds():
        path = variants.practice_root() / f"{kind}.yaml"
        raw = variants.read_raw(path)
        reference = load_problem(path)
        start = time.perf_counter()
        kinds.get(kind).solve(reference.given)
        solve = time.perf_counter() - start
        start = time.perf_counter()
        draws = sum(variants.draw(raw, s, file=str(path), reference=reference).draws for s in STUDENTS)
        seconds = time.perf_counter() - start
        total += seconds
        total_solve += solve
        ratio = seconds / len(STUDENTS) / solve if solve else float("nan")
        print(f"{kind:<24} {seconds:10.2f} s {draws:6d} {solve * 1000:8.1f} ms {ratio:20.1f}")
    print(f"{'all kinds':<24} {total:10.2f} s {'':6} {total_solve * 1000:8.1f} ms")
    print(f"30 students × {len(variants.practice_kinds())} kinds drawn and self-tested in {total:.1f} s "
          f"({total / len(STUDENTS):.2f} s per student)")


if __name__ == "__main__":
    main()
