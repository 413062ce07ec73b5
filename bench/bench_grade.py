"""Grading throughput (issues 5 and 14): a class of generated submissions to the shipped problems.

    python bench/bench_grade.py [N]        (N submissions, default 300)

Each submission answers every part of every shipped problem with a mix of
syntaxes: right answers (numbers, fractions, decimals, expressions), the wrong
answers of the kinds' misconceptions, perturbed numbers, unreadable text
(injections, exponent bombs, look-alike letters) and blanks. Error carried
forward is on (the default).

Marginal figures (issue 14, goal >= 5,000 parts/s on one core), in CPU time
(``time.process_time``: a shared, loaded machine skews it far less than the wall clock),
after a warm-up on a few other submissions (keys built, templates compiled, worked steps
rendered once):

- **whole batch** (the issue's figure): ``batch.grade_many`` with ``--out``, i.e. reading each
  file, grading, writing its md/json reports, grades.csv, review.csv and summary.md; the marginal
  cost per submission is (batch of N - batch of 1) / (N - 1);
- **grading alone**: ``grade_submission`` over the parsed submissions of a second class (after
  its first one), so that no measured submission was graded before.

``measure()`` returns the figures (for a combined bench script); ``main`` prints them and checks
that every problem was solved once for the whole run.
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
from hwcheck.grade import batch, grader  # noqa: E402
from hwcheck.grade.values import Arr, Label, Map, Num, Seq, Sym  # noqa: E402

GOAL = 5000  # parts per second, marginal, one core (issue 14)
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


def _cpu(fn) -> tuple[float, float, object]:
    """(CPU seconds, wall seconds, result) of ``fn()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def measure(n: int = 300, keys=None, problems: Path = ROOT / "problems") -> dict:
    """Grade a generated class of ``n`` submissions (``n`` >= 2); the figures as a dict:
    ``parts`` (per batch), ``parts_per_submission``, ``grading_pps`` and ``batch_pps`` (marginal
    parts per CPU-second: grading alone, whole batch with reports), ``grading_ms`` and ``batch_ms``
    (marginal CPU ms per submission), ``batch_cpu_s`` / ``batch_wall_s`` (the whole batch of ``n``),
    ``verdicts``, ``bad``, ``problems``, ``keys`` (the KeySet used) and ``one_result`` (the batch of
    one graded exactly one file)."""
    if keys is None:
        keys = batch.load_keys(problems)
    for _ in keys:  # build every key (solve once, misconceptions once)
        pass
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # three classes, so that no measured file was graded before (a class shares answers, and
        # grading remembers what it read and worded: a file graded twice would cost less)
        folders = {name: tmp / name for name in ("warm", "class", "alone")}
        for folder in folders.values():
            folder.mkdir()
        warm, _ = make_class(keys, 5, folders["warm"], seed=99)
        paths, parts = make_class(keys, n, folders["class"], seed=5)
        alone, _ = make_class(keys, n, folders["alone"], seed=6)
        per_submission = parts / n
        # warm up (templates compiled, worked steps rendered once per problem)
        batch.grade_many(warm, keys, out=tmp / "warm-out")
        # the whole batch: read, grade, write every report and the class files
        b_one, _, one = _cpu(lambda: batch.grade_many(paths[:1], keys, out=tmp / "one"))
        b_all, b_wall, result = _cpu(lambda: batch.grade_many(paths, keys, out=tmp / "out"))
        # grading alone, over another class's parsed submissions
        submissions = [batch.read(p, keys)[0] for p in alone]
        g_one, _, _ = _cpu(lambda: [grader.grade_submission(keys, s) for s in submissions[:1]])
        g_all, _, _ = _cpu(lambda: [grader.grade_submission(keys, s) for s in submissions[1:]])
    grading = max(g_all, 1e-9) / (n - 1)
    whole = max(b_all - b_one, 1e-9) / (n - 1)
    verdicts: dict[str, int] = {}
    for r in result.results:
        for p in r.problems:
            for q in p.parts:
                verdicts[q.verdict] = verdicts.get(q.verdict, 0) + 1
    return {"n": n, "problems": len(keys), "parts": parts, "parts_per_submission": per_submission,
            "grading_ms": grading * 1000, "grading_pps": per_submission / grading,
            "batch_ms": whole * 1000, "batch_pps": per_submission / whole,
            "batch_cpu_s": b_all, "batch_wall_s": b_wall, "verdicts": verdicts, "bad": len(result.bad),
            "keys": keys, "one_result": len(one.results) == 1}


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
    f = measure(n, keys)
    print(f"problems: {f['problems']} (keys built in {keys_time:.2f} s); submissions: {n}; parts: {f['parts']} "
          f"({f['parts_per_submission']:.0f} per submission); error carried forward on")
    print(f"verdicts: {json.dumps(f['verdicts'], sort_keys=True)}; bad files: {f['bad']}")
    print(f"whole batch of {n} (read, grade, write md/json/csv/summary): {f['batch_cpu_s']:.2f} s CPU, "
          f"{f['batch_wall_s']:.2f} s wall")
    print(f"marginal, grading alone (grade_submission):      {f['grading_ms']:6.1f} ms per submission, "
          f"{f['grading_pps']:7,.0f} parts/s (goal >= {GOAL:,}: {'met' if f['grading_pps'] >= GOAL else 'NOT met'})")
    print(f"marginal, whole batch with reports (the issue's): {f['batch_ms']:6.1f} ms per submission, "
          f"{f['batch_pps']:7,.0f} parts/s (goal >= {GOAL:,}: {'met' if f['batch_pps'] >= GOAL else 'NOT met'})")
    print("(CPU time of this process, time.process_time: load on the machine inflates it far less than the wall "
          "clock, but some)")
    once = sorted(solved) == sorted(keys.ids()) and f["one_result"]
    print(f"each problem solved once per batch: {'yes' if once else 'NO'} ({len(solved)} solves "
          f"for {len(keys)} problems, over every batch of this run)")
    if not once:
        sys.exit(1)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
