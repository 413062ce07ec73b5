"""The answer keys of a problem set, built once per batch.

Each problem is solved once (``solve_calls`` counts it); its answers are
normalised into value trees (``values.py``), each misconception of its kind
is run once to get the wrong answers to recognise, and its worked steps are
rendered on first need (only when some part is wrong).

Optional hooks a kind module may define (besides ``MISCONCEPTIONS``):
``PART_STEPS = {part: (macro, ...)}``, the steps to show when that part is
wrong (otherwise: the first step whose data holds the part's answer, or all
steps); ``grade_text(given, text)`` for free-text parts (the ``concept`` kind);
``GIVEN_ENTRIES = {part: (path, ...)}``, entries the statement gives (no credit);
``MISTAKE_CREDIT = {name: fraction}``, a kind's default credit for a named mistake.
A misconception may return ``model.Candidates([...])`` for a part: several wrong answers.
Besides the kind's, every part is checked against generic mistakes (transposed, sign flipped,
a factor 2 or ½, the start point left out, the value of another part of the problem).
Kind templates may set ``mistakes = {name: one-line explanation}``.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text("{id: i, kind: init_bounds, given: {scheme: xavier_normal, n_in: 3, n_out: 1}}")
>>> keys = KeySet([p])
>>> [name for name, _ in keys["i"].parts["std"].variants][:5], keys.solve_calls
(['variance_for_std', 'fan_in_only', 'sign_flipped', 'factor_two', 'factor_half'], 1)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

import sympy as sp

from hwcheck import kinds, solving
from hwcheck.grade import compare as cmp
from hwcheck.grade.values import Arr, Map, Num, Seq, Sym, Value, free_names, from_key, leaves
from hwcheck.model import Candidates, PartSpec, Problem, Solution

log = logging.getLogger(__name__)

VARIABLE_KEYS = ("wrt", "vars", "variables", "n_words")


@dataclass(frozen=True)
class PartKey:
    spec: PartSpec
    answer: Any  # the solver's exact answer
    value: Value  # normalised
    variants: tuple = ()  # ((misconception name, wrong value), ...), kind's first, then generic ones

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def points(self) -> float:
        return self.spec.points


@dataclass(frozen=True)
class ProblemKey:
    problem: Problem
    solution: Solution
    parts: Mapping[str, PartKey]
    variables: tuple[str, ...]
    text_grader: Callable | None = None
    part_steps: Mapping[str, tuple] = field(default_factory=dict)
    given_entries: Mapping[str, tuple] = field(default_factory=dict)  # part -> paths the statement gives
    mistake_credit: Mapping[str, float] = field(default_factory=dict)  # the kind's own default credits
    _memo: dict = field(default_factory=dict, compare=False, repr=False)  # rendered steps/labels, per lang

    @property
    def id(self) -> str:
        return self.problem.id

    @property
    def part_names(self) -> tuple[str, ...]:
        return self.problem.part_names

    def template_module(self, lang: str = "en"):
        if ("module", lang) not in self._memo:
            from hwcheck import render

            self._memo[("module", lang)] = render.kind_module(self.problem, lang)
        return self._memo[("module", lang)]

    def mistakes(self, lang: str = "en") -> Mapping[str, str]:
        """The kind template's ``mistakes`` dict ({} when it has none), read once per language."""
        if ("mistakes", lang) not in self._memo:
            try:
                found = getattr(self.template_module(lang), "mistakes", None)
            except Exception:  # noqa: BLE001 - a template bug must not stop grading
                log.exception("template of %s", self.problem.kind)
                found = None
            self._memo[("mistakes", lang)] = MappingProxyType(dict(found) if isinstance(found, Mapping) else {})
        return self._memo[("mistakes", lang)]

    def label(self, part: str, lang: str = "en") -> str:
        """The part's label in the kind template (its name when it has none), found once."""
        memo = ("label", part, lang)
        if memo not in self._memo:
            try:
                self._memo[memo] = str(getattr(self.template_module(lang), "labels", {}).get(part, part))
            except Exception:  # noqa: BLE001
                return part
        return self._memo[memo]

    def readings(self) -> dict:
        """The texts of this problem's answers read so far in this batch: text -> value (or why it
        cannot be read), for ``parse.read``. Not a student's own: a reading depends on the text and
        the problem's variables only, so every student who writes a text the same way (the key's
        own expression, a common mistake) shares one reading."""
        return self._memo.setdefault("readings", {})

    def steps(self, lang: str = "en") -> list[dict]:
        if ("steps", lang) not in self._memo:
            from hwcheck import render

            views = render.step_views(self.problem, self.solution, lang)
            self._memo[("steps", lang)] = [{**v, "index": i} for i, v in enumerate(views)]
        return self._memo[("steps", lang)]

    def steps_for(self, part: str, lang: str = "en") -> list[dict]:
        """The worked steps to show when ``part`` is wrong (found once per part and language)."""
        memo = ("steps_for", part, lang)
        if memo not in self._memo:
            self._memo[memo] = self._steps_for(part, lang)
        return self._memo[memo]

    def _steps_for(self, part: str, lang: str) -> list[dict]:
        views = self.steps(lang)
        wanted = self.part_steps.get(part)
        if wanted:
            chosen = [v for v in views if v["macro"] in wanted]
            if chosen:
                return chosen
        answer = self.parts[part].answer
        for step, view in zip(self.solution.steps, views):
            if any(_holds(v, answer) for v in step.data.values()):
                return [view]
        return views


def _holds(value, answer) -> bool:
    """``value`` is the answer object (or an equal non-trivial SymPy value)."""
    if value is answer:
        return True
    if isinstance(answer, sp.Basic) and isinstance(value, sp.Basic):
        if answer.is_Integer and abs(int(answer)) <= 1:
            return False
        try:
            return bool(value == answer)
        except Exception:  # noqa: BLE001
            return False
    return False


class KeySet:
    """Every problem of a set, solved once: ``keys[id]`` is its ``ProblemKey``."""

    def __init__(self, problems):
        self.problems = {p.id: p for p in problems}
        self._keys: dict[str, ProblemKey] = {}
        self.solve_calls = 0
        self.cache: dict = {}  # comparison results shared by every student of the batch

    def ids(self) -> list[str]:
        return list(self.problems)

    def get(self, pid: str) -> Problem | None:
        return self.problems.get(pid)

    def __getitem__(self, pid: str) -> ProblemKey:
        if pid not in self._keys:
            self._keys[pid] = self._build(self.problems[pid])
        return self._keys[pid]

    def __iter__(self):
        return (self[pid] for pid in self.problems)

    def __len__(self):
        return len(self.problems)

    def _build(self, problem: Problem) -> ProblemKey:
        self.solve_calls += 1
        solution = solving.solve(problem)
        kind = kinds.get(problem.kind)
        text_grader = getattr(kind.module, "grade_text", None)
        values = {p.name: from_key(solution.answers[p.name]) for p in problem.parts} if text_grader is None else {}
        variables = tuple(sorted(_given_names(problem.given) | set().union(*map(free_names, values.values()))
                                 if values else _given_names(problem.given)))
        parts = {}
        for spec in problem.parts:
            answer = solution.answers.get(spec.name)
            if text_grader is not None:
                parts[spec.name] = PartKey(spec, answer, None)
                continue
            parts[spec.name] = PartKey(spec, answer, values[spec.name])
        if text_grader is None:
            parts = _with_variants(problem, kind, parts, variables, solution)
        return ProblemKey(problem, solution, parts, variables, text_grader,
                          dict(getattr(kind.module, "PART_STEPS", {}) or {}),
                          _given_entries(kind, problem), dict(getattr(kind.module, "MISTAKE_CREDIT", {}) or {}))


def _given_names(given) -> set[str]:
    """Variable names a problem's given mentions (free symbols, ``wrt``, ``vars`` ...)."""
    names: set[str] = set()
    stack = [given]
    seen = 0
    while stack and seen < 10_000:
        seen += 1
        value = stack.pop()
        if isinstance(value, sp.Basic):
            names |= {s.name for s in value.free_symbols}
        elif isinstance(value, Mapping):
            for k, v in value.items():
                if k in VARIABLE_KEYS:
                    names |= {str(x) for x in (v if isinstance(v, (list, tuple)) else [v])
                              if isinstance(x, (str, sp.Symbol)) and str(x).isidentifier()}
                stack.append(v)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return names


def _given_entries(kind, problem) -> dict:
    """part -> entry paths the statement gives (a kind's ``GIVEN_ENTRIES``: part -> paths, or a
    function of the given returning them)."""
    found = getattr(kind.module, "GIVEN_ENTRIES", {}) or {}
    out = {}
    for part, paths in found.items():
        try:
            out[part] = tuple(paths(problem.given) if callable(paths) else paths)
        except Exception:  # noqa: BLE001 - a hook that does not apply to this given
            continue
    return out


def _with_variants(problem, kind, parts: dict, variables, solution=None) -> dict:
    """Attach each misconception's wrong answers to the parts it changes (a misconception may give
    several candidates for a part: ``model.Candidates``)."""
    found: dict[str, list] = {name: [] for name in parts}
    for name, fn in kind.misconceptions.items():
        try:
            wrong = fn(problem.given) or {}
        except Exception:  # noqa: BLE001 - a variant that does not apply to this given
            log.debug("misconception %s of %s does not apply", name, kind.name, exc_info=True)
            continue
        for part, answer in wrong.items():
            if part not in parts:
                continue
            for candidate in (answer if isinstance(answer, Candidates) else (answer,)):
                try:
                    value = from_key(candidate)
                except Exception:  # noqa: BLE001
                    continue
                if _same(value, parts[part], variables):
                    continue  # for this given the mistake changes nothing: it cannot be recognised
                found[part].append((name, value))
    others = {}
    if solution is not None:
        for other, answer in solution.answers.items():
            try:
                others[other] = from_key(answer)
            except Exception:  # noqa: BLE001
                continue
    for part, key in parts.items():
        names = {n for n, _ in found[part]}
        for name, value in _generic_variants(key.value, kind, problem):
            if name not in names and not _same(value, key, variables):
                found[part].append((name, value))
        for other, value in others.items():
            if other != part and leaves(value) == leaves(key.value) and type(value) is type(key.value) \
                    and not _same(value, key, variables):
                found[part].append((f"neighbouring_part:{other}", value))
    return {part: PartKey(key.spec, key.answer, key.value, tuple(found[part])) for part, key in parts.items()}


def _same(value: Value, key: PartKey, variables) -> bool:
    ctx = cmp.Context.for_part(key.spec.tolerance, variables, sigfigs=key.spec.sigfigs)
    try:
        return cmp.compare(value, key.value, ctx).all_right
    except Exception:  # noqa: BLE001
        return True


def _generic_variants(value: Value, kind=None, problem=None):
    """Mistakes any kind can show: a transposed matrix, a flipped sign, a factor 2 or ½ too many,
    an iterate list without its start point."""
    if isinstance(value, Arr) and len(value.shape) == 2 and not value.is_vector:
        yield "transposed", value.transposed()
    negated = _scaled(value, -1)
    if negated is not None and leaves(value) > 0:
        yield "sign_flipped", negated
    for name, factor in (("factor_two", 2), ("factor_half", sp.Rational(1, 2))):
        scaled = _scaled(value, factor)
        if scaled is not None and leaves(value) > 0:
            yield name, scaled
    given = _given_entries(kind, problem) if kind is not None else {}
    if any(p == "[0]" for paths in given.values() for p in paths):
        shifted = _without_first(value)
        if shifted is not None:
            yield "start_point_left_out", shifted


def _without_first(value: Value):
    if isinstance(value, Arr) and len(value.shape) == 2 and value.shape[0] > 1:
        h, w = value.shape
        return Arr((h - 1, w), value.items[w:])
    if isinstance(value, Seq) and len(value.items) > 1:
        return Seq(value.items[1:])
    return None


def _scaled(value: Value, factor):
    """``value`` times ``factor`` (None when that changes nothing: all zeros)."""
    if isinstance(value, Num):
        return Num.of(factor * value.exact) if value.exact is not None and value.exact != 0 else None
    if isinstance(value, Sym):
        return Sym(factor * value.expr)
    if isinstance(value, Arr):
        items = [_scaled(v, factor) for v in value.items]
        if any(v is None and not (isinstance(o, Num) and o.exact == 0) for v, o in zip(items, value.items)):
            return None
        if all(v is None for v in items):
            return None
        return Arr(value.shape, tuple(o if v is None else v for v, o in zip(items, value.items)))
    if isinstance(value, Map):
        items = [(k, _scaled(v, factor)) for k, v in value.items]
        if all(v is None for _, v in items):
            return None
        return Map(tuple((k, v if v is not None else o) for (k, v), (_, o) in zip(items, value.items)))
    if isinstance(value, Seq):
        items = [_scaled(v, factor) for v in value.items]
        if all(v is None for v in items):
            return None
        return Seq(tuple(v if v is not None else o for v, o in zip(items, value.items)))
    return None


def _negate(value: Value):
    return _scaled(value, -1)
