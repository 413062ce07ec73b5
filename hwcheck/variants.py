"""Per-student variants (SPEC section 7): each student gets their own numbers, tested first.

A spec's ``vary:`` block names given keys (a dotted path reaches inside: ``start.x``,
``layers.0.W``) and how to redraw them: ``int: [lo, hi]`` (inclusive, optional ``step``),
``decimal: [lo, hi]`` with ``places``, ``choice: [...]``; ``vector: n`` or ``matrix: [r, c]``
around an element rule; ``nonzero: true`` leaves 0 out. The ``given`` block stays the
instructor's version and fixes every shape.

**Deterministic draws.** A student's numbers depend only on the spec id, the student id and
the ``vary`` block: they seed SHA-256 in counter mode (``Stream``), whose bytes are the same
on every machine and Python version, and integers are drawn from it by rejection sampling.

**Variants that teach.** A draw is rejected, and drawn again (at most ``TRIES`` times), when

- the kind's own ``poor(variant, reference)`` hook names a rule it breaks (a dead ReLU layer, a
  saturated softmax, a tie at a max, a run that diverges where the instructor's converges ...);
- an answer is all zeros where the instructor's is not (``zero_answer``);
- an exact number in the solution (an answer or an intermediate value of a step) has more digits
  than ``vary_options.max_digits``, or, without it, more than one digit more than the instructor's
  version needs (``too_many_digits``);
- the self-test fails (``mistake_hidden``): the variant's key must grade itself as correct in
  every answer syntax, and every named mistake of the kind, applied to the variant, must be
  graded wrong and recognised under its own name.

After ``TRIES`` rejected draws the command stops with an error naming the spec and the rule
that kept failing.

>>> raw = {"id": "p", "kind": "init_bounds", "given": {"scheme": "he_normal", "n_in": 50, "n_out": 10},
...        "vary": {"n_in": {"choice": [8, 18, 32, 50, 72, 98]}}}
>>> a, b = draw(raw, "s-01"), draw(raw, "s-01")
>>> a.problem.given["n_in"] == b.problem.given["n_in"], "vary" in a.raw
(True, False)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

from hwcheck.errors import HwcheckError, SpecError
from hwcheck.model import Problem

TRIES = 200  # draws per student before a spec is declared unable to give a good variant
RULE_KEYS = ("int", "decimal", "choice")
SHAPE_KEYS = ("vector", "matrix")
OPTION_KEYS = ("step", "places", "nonzero")
VARY_OPTIONS = ("max_digits", "allow_ties", "tries")
MAX_CELLS = 400  # values drawn for one key


# -- the generator -----------------------------------------------------------------

class Stream:
    """Uniform integers from SHA-256 in counter mode: the same on every machine and version.

    >>> a, b = Stream(b"x"), Stream(b"x")
    >>> [a.below(6) for _ in range(8)] == [b.below(6) for _ in range(8)]
    True
    >>> all(0 <= Stream(bytes([i])).below(3) < 3 for i in range(50))
    True
    """

    def __init__(self, seed: bytes):
        self.seed = seed
        self.counter = 0
        self.buffer = b""

    def _bytes(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def below(self, n: int) -> int:
        """A uniform integer in [0, n), by rejection sampling on 64-bit words."""
        if n <= 0:
            raise ValueError("n must be positive")
        limit = (1 << 64) - (1 << 64) % n
        while True:
            word = int.from_bytes(self._bytes(8), "big")
            if word < limit:
                return word % n


def seed_for(spec_id: str, student: str, vary: Mapping) -> bytes:
    """The seed of one student's draws: a hash of the spec id, the student id and the vary block."""
    canonical = json.dumps([spec_id, student, _plain(vary)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def _plain(value):
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


# -- rules -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """How to draw one given key (``path``: its dotted path below ``given``)."""

    path: tuple
    values: tuple  # the allowed element values (exact: int, Decimal or str)
    shape: tuple  # () scalar, (n,) vector, (r, c) matrix

    @property
    def key(self) -> str:
        return ".".join(str(p) for p in self.path)

    def outcomes(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return len(self.values) ** n

    def draw(self, stream: Stream):
        def one():
            return self.values[stream.below(len(self.values))]
        if not self.shape:
            return one()
        if len(self.shape) == 1:
            return [one() for _ in range(self.shape[0])]
        return [[one() for _ in range(self.shape[1])] for _ in range(self.shape[0])]


def _fail(file, key, expected, found_):
    from hwcheck.schema import found

    raise SpecError(file, key, expected, found(found_) if not isinstance(found_, str) else found_)


def _number(value, file, key):
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        _fail(file, key, "a number", value)
    try:
        return Decimal(str(value))
    except Exception:  # noqa: BLE001 - InvalidOperation and friends
        _fail(file, key, "a number", value)


def _element_values(rule: Mapping, file: str, key: str) -> tuple:
    kinds_ = [k for k in RULE_KEYS if k in rule]
    if len(kinds_) != 1:
        _fail(file, key, "exactly one of int, decimal or choice", ", ".join(kinds_) or "none of them")
    kind = kinds_[0]
    spec = rule[kind]
    nonzero = rule.get("nonzero", False)
    if not isinstance(nonzero, bool):
        _fail(file, f"{key}.nonzero", "true or false", nonzero)
    if kind == "choice":
        if not isinstance(spec, list) or not spec or len(spec) > 1000:
            _fail(file, f"{key}.choice", "a non-empty list of at most 1000 values", spec)
        values = []
        for i, v in enumerate(spec):
            if isinstance(v, str):
                values.append(v)
            else:
                values.append(_exact(_number(v, file, f"{key}.choice[{i}]")))
    else:
        if not isinstance(spec, list) or len(spec) != 2:
            _fail(file, f"{key}.{kind}", "a list [lo, hi]", spec)
        lo, hi = (_number(v, file, f"{key}.{kind}") for v in spec)
        if lo > hi:
            _fail(file, f"{key}.{kind}", "lo ≤ hi", f"[{lo}, {hi}]")
        if kind == "int":
            step = rule.get("step", 1)
            if isinstance(step, bool) or not isinstance(step, int) or step <= 0:
                _fail(file, f"{key}.step", "a positive integer", step)
            if lo != int(lo) or hi != int(hi):
                _fail(file, f"{key}.int", "whole numbers [lo, hi]", spec)
            if (hi - lo) / step > 100000:
                _fail(file, f"{key}.int", "at most 100000 values", f"[{lo}, {hi}]")
            values = list(range(int(lo), int(hi) + 1, step))
        else:
            places = rule.get("places")
            if isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= 6:
                _fail(file, f"{key}.places", "an integer from 0 to 6", places)
            unit = Decimal(1).scaleb(-places)
            first, last = lo.quantize(unit), hi.quantize(unit)
            count = int((last - first) / unit) + 1
            if count > 100000:
                _fail(file, f"{key}.decimal", "at most 100000 values", f"[{lo}, {hi}] with {places} places")
            values = [_exact(first + i * unit) for i in range(count) if lo <= first + i * unit <= hi]
    if nonzero:
        values = [v for v in values if isinstance(v, str) or v != 0]
    if not values:
        _fail(file, key, "a rule that allows at least one value", "none")
    return tuple(values)


def _exact(d: Decimal):
    """An int when whole, else the Decimal (written back to YAML as a plain decimal)."""
    return int(d) if d == d.to_integral_value() else d.normalize()


def _shape_of(value) -> tuple:
    if isinstance(value, list):
        if value and all(isinstance(r, list) for r in value):
            return (len(value), len(value[0]))
        return (len(value),)
    return ()


def _get(given: Any, path: tuple):
    node = given
    for step in path:
        if isinstance(node, Mapping) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            raise KeyError(step)
    return node


def _path(key: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in str(key).split("."))


def parse_vary(vary: Any, given_raw: Mapping, file: str) -> tuple[Rule, ...]:
    """Check a ``vary:`` block against the instructor's ``given`` and return its rules."""
    if not isinstance(vary, Mapping) or not vary:
        _fail(file, "vary", "a map of given key -> draw rule", vary)
    rules = []
    for key, rule in vary.items():
        where = f"vary.{key}"
        path = _path(key)
        try:
            current = _get(given_raw, path)
        except KeyError:
            _fail(file, where, "a key of given (a dotted path reaches inside: start.x, layers.0.W)", "no such key")
        if not isinstance(rule, Mapping):
            _fail(file, where, "a map such as {int: [-3, 3]} or {matrix: [2, 2], choice: [-1, 1]}", rule)
        extra = set(rule) - set(RULE_KEYS) - set(SHAPE_KEYS) - set(OPTION_KEYS)
        if extra:
            _fail(file, f"{where}.{sorted(map(str, extra))[0]}",
                  "one of " + ", ".join(RULE_KEYS + SHAPE_KEYS + OPTION_KEYS), "an unknown key")
        shape: tuple = ()
        if "vector" in rule and "matrix" in rule:
            _fail(file, where, "vector or matrix, not both", "both")
        if "vector" in rule:
            n = rule["vector"]
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_CELLS:
                _fail(file, f"{where}.vector", f"a length from 1 to {MAX_CELLS}", n)
            shape = (n,)
        if "matrix" in rule:
            rc = rule["matrix"]
            if (not isinstance(rc, list) or len(rc) != 2
                    or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in rc)
                    or rc[0] * rc[1] > MAX_CELLS):
                _fail(file, f"{where}.matrix", f"[rows, cols] with at most {MAX_CELLS} entries", rc)
            shape = tuple(rc)
        if shape != _shape_of(current):
            def describe(s):
                return {0: "a number", 1: f"a vector of {s[0]}" if s else ""}.get(len(s)) or f"a {s[0]}×{s[1]} matrix"
            _fail(file, where, f"the shape of given.{key}: {describe(_shape_of(current))}",
                  describe(shape) if shape else "a number")
        rules.append(Rule(path, _element_values(rule, file, where), shape))
    return tuple(rules)


def vary_options(raw: Any, file: str) -> dict:
    """``vary_options``: ``max_digits`` (bound on exact numbers), ``allow_ties``, ``tries``."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        _fail(file, "vary_options", "a map with " + ", ".join(VARY_OPTIONS), raw)
    for k, v in raw.items():
        if k not in VARY_OPTIONS:
            _fail(file, f"vary_options.{k}", "one of " + ", ".join(VARY_OPTIONS), "an unknown key")
        if k == "allow_ties":
            if not isinstance(v, bool):
                _fail(file, f"vary_options.{k}", "true or false", v)
        elif isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 10000:
            _fail(file, f"vary_options.{k}", "an integer from 1 to 10000", v)
    return dict(raw)


# -- drawing one variant ------------------------------------------------------------

class VariantError(HwcheckError):
    """No good variant could be drawn for a spec."""


def _set(given: dict, path: tuple, value) -> None:
    node = given
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _copy(value):
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def read_raw(path: str | Path) -> dict:
    from hwcheck.spec import read_yaml

    path = Path(path)
    return read_yaml(path.read_text(encoding="utf-8-sig"), str(path))


@dataclass(frozen=True)
class Variant:
    student: str
    problem: Problem
    raw: dict  # the concrete spec (no vary), ready to be written as YAML
    draws: int  # how many draws it took


def draw(raw: Mapping, student: str, *, file: str = "<memory>", default_id: str = "problem",
         reference: Problem | None = None) -> Variant:
    """The checked, self-tested variant of one student."""
    from hwcheck.spec import problem_from_mapping

    base = {k: v for k, v in raw.items() if k not in ("vary", "vary_options")}
    if reference is None:
        reference = problem_from_mapping(base, file=file, default_id=default_id)
    if "vary" not in raw:
        return Variant(student, reference, base, 0)
    rules = parse_vary(raw["vary"], raw.get("given") or {}, file)
    options = vary_options(raw.get("vary_options"), file)
    stream = Stream(seed_for(reference.id, student, raw["vary"]))
    ref_info = _reference_info(reference)
    failures: Counter = Counter()
    tries = options.get("tries", TRIES)
    for attempt in range(1, tries + 1):
        given = _copy(raw.get("given") or {})
        for rule in rules:
            _set(given, rule.path, rule.draw(stream))
        concrete = dict(base, given=given)
        try:
            problem = problem_from_mapping(concrete, file=file, default_id=default_id)
            rule_broken = poor_rule(problem, reference, ref_info, options)
        except SpecError as exc:  # the draw breaks a cross-key check of the kind
            rule_broken = "invalid: " + (exc.key or "given")
        if rule_broken is None:
            return Variant(student, problem, concrete, attempt)
        failures[rule_broken] += 1
    worst, count = failures.most_common(1)[0]
    raise VariantError(f"{file}: vary: expected a variant that makes a good exercise for student {student!r}, "
                       f"found {tries} rejected draws (the rule that kept failing: {worst}, {count} times); "
                       "widen the vary ranges or relax vary_options")


# -- what makes a poor variant ---------------------------------------------------------

def _reference_info(problem: Problem) -> dict:
    from hwcheck import kinds
    solution = kinds.get(problem.kind).solve(problem.given)
    return {"solution": solution, "digits": _max_digits(solution), "zero": _zero_parts(problem, solution)}


def poor_rule(problem: Problem, reference: Problem, ref_info: Mapping, options: Mapping) -> str | None:
    """The name of the first rule the variant breaks, or None when it is a good exercise."""
    from hwcheck import kinds
    from hwcheck.errors import Invalid

    kind = kinds.get(problem.kind)
    try:
        solution = kind.solve(problem.given)
    except Invalid:
        return "invalid"
    hook = getattr(kind.module, "poor", None)
    if hook is not None:
        broken = hook(problem.given, solution, reference.given, ref_info["solution"], dict(options))
        if broken:
            return broken
    zero = _zero_parts(problem, solution) - ref_info["zero"]
    if zero:
        return "zero_answer"
    bound = options.get("max_digits") or max(ref_info["digits"] + 1, 2)
    if _max_digits(solution) > bound:
        return "too_many_digits"
    return self_test(problem, solution)


def _numbers(value):
    import sympy as sp

    if isinstance(value, Mapping):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, sp.MatrixBase):
        yield from value
    elif hasattr(value, "tolist") and hasattr(value, "den"):  # an ExactArray: its exact entries
        yield from _numbers(value.tolist())
    elif isinstance(value, sp.Basic):
        yield value
    elif isinstance(value, str):
        from fractions import Fraction
        try:
            yield sp.Rational(Fraction(value))
        except (ValueError, ZeroDivisionError):
            return
    elif isinstance(value, int) and not isinstance(value, bool):
        yield sp.Integer(value)
    elif isinstance(value, (float, Decimal)):
        yield sp.Float(str(value))


def _max_digits(solution) -> int:
    """The most digits of any exact rational in the steps and answers (numerator or denominator)."""
    import sympy as sp

    most = 1
    sources = [solution.answers] + [dict(s.data) for s in solution.steps]
    for source in sources:
        for v in _numbers(source):
            if isinstance(v, sp.Basic):
                for r in v.atoms(sp.Rational) if not v.is_Rational else {v}:
                    most = max(most, len(str(abs(int(r.p)))), len(str(int(r.q))))
    return most


def _zero_parts(problem: Problem, solution) -> frozenset:
    import sympy as sp

    zero = set()
    for part in problem.part_names:
        values = list(_numbers(solution.answers.get(part)))
        if values and all(isinstance(v, sp.Basic) and v.is_number and v == 0 for v in values):
            zero.add(part)
    return frozenset(zero)


# -- the self-test -----------------------------------------------------------------------

def answer_syntaxes(answer_key: Mapping) -> list[tuple[str, Any]]:
    """The ways a student may write a key's answer: JSON numbers, exact strings, LaTeX."""
    out = [("value", answer_key["value"])]
    if "exact" in answer_key:
        out.append(("exact", answer_key["exact"]))
    latex = answer_key.get("latex")
    scalar = not isinstance(answer_key["value"], (list, dict))
    if scalar and isinstance(latex, str) and "begin{" not in latex and "\\text" not in latex and len(latex) < 200:
        out.append(("latex", f"${latex}$"))
    return out


def self_test(problem: Problem, solution=None) -> str | None:
    """None when the variant's key grades itself correct in every syntax and every named mistake is
    graded wrong under its own name; else the name of the check that failed."""
    from hwcheck import render
    from hwcheck.grade.grader import grade_part
    from hwcheck.grade.keys import KeySet

    keys = KeySet([problem])
    key = keys[problem.id]
    if key.text_grader is not None:
        return None  # free text is reviewed by a person
    if solution is None:
        solution = key.solution
    answers = render.answer_key(problem, solution)["answers"]
    for part, entry in answers.items():
        for syntax, written in answer_syntaxes(entry):
            grade = grade_part(key, part, written, cache=keys.cache)
            if grade.verdict != "correct":
                raise VariantError(f"{problem.path}: parts.{part}: expected the key to grade itself as correct "
                                   f"({syntax} syntax), found {grade.verdict}; this is a bug in hwcheck, "
                                   "please report it")
    mistakes = mistakes_of(problem)
    for name, wrong_answers in mistakes.items():
        for part, candidates in wrong_answers.items():
            if part not in key.parts:
                continue
            for wrong in candidates:
                written = render.json_value(wrong)
                grade = grade_part(key, part, written, cache=keys.cache)
                if grade.verdict not in ("incorrect", "partial"):
                    return f"mistake_hidden ({name} on {part})"
                if grade.diagnosis != name and not _also_made_by(grade.diagnosis, part, written, mistakes):
                    return f"mistake_hidden ({name} on {part})"
    return None


def _also_made_by(other: str | None, part: str, written, mistakes: Mapping) -> bool:
    """Does the named mistake ``other`` give this same answer too? (Two mistakes can coincide by
    their nature: dropping the inner link of a chain is forgetting the inner derivative.)"""
    from hwcheck import render

    if other is None or other not in mistakes or part not in mistakes[other]:
        return False
    return any(_close(render.json_value(c), written) for c in mistakes[other][part])


def _close(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def mistakes_of(problem: Problem) -> dict:
    """Each named mistake of the kind applied to the problem: ``{name: {part: [wrong answers]}}``
    (a mistake may give several candidates for a part: ``model.Candidates``)."""
    from hwcheck import kinds
    from hwcheck.model import Candidates

    out = {}
    for name, fn in kinds.get(problem.kind).misconceptions.items():
        try:
            wrong = fn(problem.given)
        except Exception:  # noqa: BLE001 - a mistake that does not apply to this instance
            continue
        if isinstance(wrong, Mapping):
            out[name] = {part: list(a) if isinstance(a, Candidates) else [a] for part, a in wrong.items()}
    return out


# -- many students -------------------------------------------------------------------

def read_roster(path: str | Path) -> list[dict]:
    """The roster: a CSV with a ``student`` column (other columns are kept)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), "", "a readable UTF-8 CSV roster", type(exc).__name__) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "student" not in (rows[0].keys() if rows else ()):
        raise SpecError(str(path), "student", "a CSV with a 'student' column and one row per student",
                        "no such column" if rows else "no rows")
    seen = set()
    out = []
    for i, row in enumerate(rows, start=2):
        student = (row.get("student") or "").strip()
        if not student:
            raise SpecError(str(path), f"line {i}", "a student id", "an empty cell")
        if student in seen:
            raise SpecError(str(path), f"line {i}", "each student once", f"{student!r} again")
        seen.add(student)
        out.append({**row, "student": student})
    return out


def folder_name(student: str) -> str:
    """A file-system-safe folder name for a student id, distinct for distinct ids.

    >>> folder_name("s-0001"), folder_name("a/b")[:4]
    ('s-0001', 'a_b-')
    """
    import re

    safe = re.sub(r"[^A-Za-z0-9._-]", "_", student)[:60].lstrip(".") or "_"
    if safe == student and safe.lower() not in ("keys", "roster", "con", "nul", "prn", "aux"):
        return safe
    return safe + "-" + hashlib.sha256(student.encode("utf-8")).hexdigest()[:8]


def dump_spec(raw: Mapping) -> str:
    """A concrete spec as YAML: keys in the author's order, decimals written exactly."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def decimal(dumper, value):
        text = format(value, "f")
        if "." not in text:
            text += ".0"
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)

    Dumper.add_representer(Decimal, decimal)

    def flow_lists(dumper, value):
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value,
                                         flow_style=all(not isinstance(v, Mapping) for v in value))

    Dumper.add_representer(list, flow_lists)
    return yaml.dump(_copy(dict(raw)), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


# -- checks the kinds' ``poor`` hooks share ------------------------------------------------

def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return float("nan")


def _flat(value) -> list:
    return [_float(v) for v in _numbers(value)]


def saturated(probabilities, cut: float = 0.999) -> bool:
    """A softmax or sigmoid output this close to 1 (or 0) leaves a gradient that rounds to 0.

    >>> saturated([[0.2, 0.8]]), saturated([0.9995, 0.0005])
    (False, True)
    """
    values = _flat(probabilities)
    return any(v >= cut or v <= 1 - cut for v in values if v == v)


def dead_relu(activations) -> bool:
    """Every unit of a ReLU layer is off: nothing flows back through it.

    >>> dead_relu([0, 0]), dead_relu([0, 1])
    (True, False)
    """
    values = _flat(activations)
    return bool(values) and all(v == 0 for v in values)


def diverging(points) -> bool:
    """A run whose last point is more than twice as far from 0 as its start (or not finite).

    >>> diverging([[1, 1], [-2, 0.5], [4, 0.2]]), diverging([[1], [0.5], [0.25]])
    (True, False)
    """
    first, last = _flat(points[0]), _flat(points[-1])
    size0 = max((abs(v) for v in first), default=0.0)
    size = max((abs(v) for v in last), default=0.0)
    return not size == size or size == float("inf") or size > 2 * max(size0, 1e-9)


def rising(values) -> bool:
    """A loss that ends higher than it started.

    >>> rising([3, 2, 1]), rising([1, 2])
    (False, True)
    """
    flat = _flat(values)
    return len(flat) > 1 and not flat[-1] <= flat[0]


def same_behaviour(flag_variant: bool, flag_reference: bool, name: str) -> str | None:
    """``name`` (or ``not_<name>``) when the variant behaves unlike the instructor's version."""
    if flag_variant == flag_reference:
        return None
    return name if flag_variant else "not_" + name


# -- a roster of students ---------------------------------------------------------------

INDEX = "variants.csv"  # OUT/variants.csv: student -> folder, read by ``hwcheck grade --variants``


def build(problems: Iterable[Problem], roster: list[dict], *, on_progress=None, jobs: int = 1) -> dict:
    """Every student's variants of every (checked) problem: ``{student: [Variant, ...]}``, in roster
    order. A problem that cannot give a good variant for some student stops everything (nothing is
    written); a problem without ``vary`` is the same for everyone. ``jobs``: processes drawing the
    students' variants (``hwcheck.parallel``); the variants are the same whatever it is."""
    from hwcheck import parallel

    sources = [(read_raw(p.path), p) for p in problems]

    def one(student: str) -> list[Variant]:
        return [draw(raw, student, file=p.path, default_id=Path(p.path).stem, reference=p) for raw, p in sources]

    students = [row["student"] for row in roster]
    out: dict[str, list[Variant]] = {}
    for student, items in zip(students, parallel.ordered_map(one, students, jobs=jobs)):
        out[student] = items
        if on_progress is not None:
            on_progress(student)
    return out


def index_text(roster: list[dict]) -> str:
    """``variants.csv``: the roster's columns plus the folder of each student."""
    columns = list(roster[0].keys()) if roster else ["student"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns + ["folder"], lineterminator="\n")
    writer.writeheader()
    for row in roster:
        writer.writerow({**row, "folder": folder_name(row["student"])})
    return buffer.getvalue()


def read_index(out: str | Path) -> dict[str, Path]:
    """``{student: folder}`` of a variants folder written by ``hwcheck variants``."""
    out = Path(out)
    path = out / INDEX
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    except OSError:
        raise SpecError(str(path), "", f"the {INDEX} that 'hwcheck variants -o {out}' writes", "no such file") from None
    return {row["student"]: out / row["folder"] for row in rows if row.get("student") and row.get("folder")}


# -- practice ---------------------------------------------------------------------------

def practice_root() -> Path:
    return Path(__file__).resolve().parent / "practice"


def practice_kinds() -> list[str]:
    return sorted(p.stem for p in practice_root().glob("*.yaml"))


def practice(kind: str, seed: int | None = None) -> tuple[dict, Problem]:
    """A fresh problem of ``kind``: its built-in template drawn for the practice seed ``seed``
    (a new random seed when None; the problem id carries it, so it can be drawn again)."""
    import os

    from hwcheck.errors import did_you_mean

    kinds_ = practice_kinds()
    if kind not in kinds_:
        raise HwcheckError(f"no practice template for {kind!r}; expected one of {', '.join(kinds_)}"
                           + (f" ({did_you_mean(kind, kinds_)})" if did_you_mean(kind, kinds_) else ""))
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "big") % 1_000_000
    path = practice_root() / f"{kind}.yaml"
    raw = read_raw(path)
    variant = draw(raw, f"practice-{seed}", file=str(path), default_id=path.stem)
    concrete = dict(variant.raw, id=f"{variant.problem.id}-{seed}")
    from hwcheck.spec import problem_from_mapping

    return concrete, problem_from_mapping(concrete, file=str(path))


def blank_answers(problem: Problem, student: str = "me") -> str:
    """A submission file (SPEC section 4) with an empty answer for every part, to fill in."""
    answers = {problem.id: {name: "" for name in problem.part_names}}
    return json.dumps({"student": student, "answers": answers}, indent=2, ensure_ascii=False) + "\n"


# -- grading each student against their own variant -------------------------------------

class VariantKeys:
    """``hwcheck grade --variants OUT``: each student's own solved problem set.

    A student in ``OUT/variants.csv`` is graded against the concrete specs in their folder, with the
    points, tolerances and weights of the instructor's version (``fallback``); a student who is not
    in the roster is graded against the instructor's version, with a ``not_in_roster`` warning."""

    def __init__(self, out: str | Path, fallback):
        self.out = Path(out)
        self.folders = read_index(out)
        self.fallback = fallback
        self._sets: dict = {}

    def for_student(self, student: str):
        """``(KeySet, warning code or None)``."""
        from dataclasses import replace

        from hwcheck.grade.keys import KeySet
        from hwcheck.spec import load_problem

        folder = self.folders.get(student)
        if folder is None or not folder.is_dir():
            return self.fallback, "not_in_roster"
        if student not in self._sets:
            own = {}
            for f in sorted(folder.glob("*.yaml")):
                problem = load_problem(f)
                own[problem.id] = problem
            problems = []
            for pid in self.fallback.ids():
                base = self.fallback.get(pid)
                mine = own.get(pid)
                problems.append(base if mine is None or mine.kind != base.kind else replace(mine, parts=base.parts))
            self._sets[student] = KeySet(problems)
        return self._sets[student], None
