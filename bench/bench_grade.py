"""Grading throughput (issue 5): a class of generated submissions to the shipped problems.

    python bench/bench_grade.py [N]        (N submissions, default 300)

Each submission answers every part of every shipped problem with a mix of
syntaxes: right answers (numbers, fractions, decimals, expressions), the wrong
answers of the kinds' misconceptions, perturbed numbers, unreadable text
(injections, exponent bombs, look-alike letters) and blanks. Prints the total
time, the marginal cost per submission (batch of N vs batch of 1, both with
the keys built once), parts graded per second (goal: >= 1,000 on one core),
and checks that every problem was solved once for the whole batch.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hwcheck import solving  # noqa: E402
from hwcheck.grade import batch  # noqa: E402
from hwcheck.grade.values import Arr, Label, Map, Num, Seq, Sym  # noqa: E402

GOAL = 1000  # parts per second
UNREADABLE = ["__import__('os')", "9^9^9", "(x+1)^100000", "2х", "sqrt(", "x" * 3000, "1/0", "[1, 2]", True,
              "lambda: 1", "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x))))))))))))))))"]


def write(value, rng: random.Random, wrong: bool = False):
    """A raw answer for a key value; ``wrong`` perturbs one number in it."""
    if isinstance(value, Arr):
        flat = [write(v, rng) for v in value.items]
        if wrong and flat:
            i = rng.randrange(len(flat))
            flat[i] = _perturb(value.items[i])
        return _nest(flat, value.shape)
    if isinstance(value, Map):
        return {k: write(v, rng) for k, v in value.items}
    if isinstance(value, Seq):
        return [write(v, rng) for v in value.items]
    if isinstance(value, Label):
        return value.text
    if isinstance(value, Sym):
        return sp.sstr(value.expr).replace("**", "^") if not wrong else sp.sstr(2 * value.expr)
    if wrong:
        return _perturb(value)
    x = value.exact
    style = rng.choice(("number", "fraction", "decimal", "expression"))
    if style == "fraction" and x.is_Rational:
        return f"{x.p}/{x.q}"
    if style == "decimal":
        return f"{value.value:.6g}"
    if style == "expression" and len(sp.sstr(x)) < 200:
        return sp.sstr(x)
    return int(x) if x.is_Integer else value.value


def _perturb(value):
    if isinstance(value, Num):
        return value.value * 1.5 + 1
    return 7


def _nest(flat, shape):
    if len(shape) == 1:
        return flat
    step = len(flat) // shape[0]
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def make_class(keys, n: int, folder: Path, seed: int = 5) -> tuple[list[Path], int]:
    rng = random.Random(seed)
    paths, parts = [], 0
    for s in range(n):
        answers = {}
        for key in keys:
            answers[key.id] = {}
            for name in key.part_names:
                parts += 1
                part = key.parts[name]
                roll = rng.random()
                if key.text_grader is not None:
                    answers[key.id][name] = part.answer if roll < 0.6 else "I am not sure."
                elif roll < 0.55:
                    answers[key.id][name] = write(part.value, rng)
                elif roll < 0.7 and part.variants:
                    answers[key.id][name] = write(rng.choice(part.variants)[1], rng)
                elif roll < 0.82:
                    answers[key.id][name] = write(part.value, rng, wrong=True)
                elif roll < 0.92:
                    answers[key.id][name] = rng.choice(UNREADABLE)
                # else: left blank (missing)
        path = folder / f"s-{s:04d}.json"
        path.write_text(json.dumps({"student": f"s-{s:04d}", "answers": answers}, default=str))
        paths.append(path)
    return paths, parts


def main(n: int = 300) -> None:
    problems = ROOT / "problems"
    solved = []
    real_solve = solving.solve
    solving.solve = lambda p: solved.append(p.id) or real_solve(p)
    start = time.perf_counter()
    keys = batch.load_keys(problems)
    for _ in keys:  # build every key (solve once, misconceptions once)
        pass
    keys_time = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths, parts = make_class(keys, n, tmp)
        # warm up (templates compiled, worked steps rendered once per problem)
        batch.grade_many(paths[:1], keys)
        start = time.perf_counter()
        one = batch.grade_many(paths[:1], keys)
        t_one = time.perf_counter() - start
        start, cpu = time.perf_counter(), time.process_time()
        result = batch.grade_many(paths, keys, out=tmp / "out")
        t_all = time.perf_counter() - start
        t_cpu = time.process_time() - cpu
    per_part = parts / t_all
    verdicts: dict[str, int] = {}
    for r in result.results:
        for p in r.problems:
            for q in p.parts:
                verdicts[q.verdict] = verdicts.get(q.verdict, 0) + 1
    print(f"problems: {len(keys)} (keys built in {keys_time:.2f} s); submissions: {n}; parts: {parts}")
    print(f"verdicts: {json.dumps(verdicts, sort_keys=True)}; bad files: {len(result.bad)}")
    print(f"total time (grade + write md/json/csv/summary): {t_all:.2f} s")
    print(f"marginal cost per submission: {(t_all - t_one) / max(1, n - 1) * 1000:.1f} ms "
          f"(one submission alone: {t_one * 1000:.1f} ms)")
    print(f"parts graded per second: {per_part:,.0f} (goal >= {GOAL:,}: {'met' if per_part >= GOAL else 'NOT met'})")
    # on a shared, loaded machine the wall-clock figure understates the speed; CPU time does not
    print(f"parts graded per CPU-second: {parts / t_cpu:,.0f} (error carried forward on, as by default)")
    once = sorted(solved) == sorted(keys.ids()) and len(one.results) == 1
    print(f"each problem solved once per batch: {'yes' if once else 'NO'} ({len(solved)} solves "
          f"for {len(keys)} problems, {n + 2} submissions graded)")
    if not once:
        sys.exit(1)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
