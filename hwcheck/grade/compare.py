"""Compare phase: a student's value tree against the key's, leaf by leaf.

Shape first: a vector or matrix is compared entry by entry only when its
shape fits (a column written as a row is fine; a transposed matrix is
recognised and named); NumPy's broadcasting never gets a say. Partial credit
is the fraction of entries that are right. Expressions are equal when they
agree at fixed points; when the points cannot decide, SymPy decides in a
killable worker within the part's time budget, or the entry stays undecided.

>>> from hwcheck.grade.values import from_key
>>> from hwcheck.grade.parse import read
>>> key = from_key([[1, 2], [3, 4]])
>>> c = compare(read([[1, 2], [3, 5]], key), key, Context())
>>> c.right, c.total, c.wrong
(3, 4, ('[1][1]',))
>>> c = compare(read([[1, 3], [2, 4]], key), key, Context())
>>> c.right, [code for code, _ in c.notes]
(2, ['transpose_of_key'])
>>> compare(read([1, 2, 3], key), key, Context()).notes[0]
('shape', {'given': (3,), 'expected': (2, 2), 'transposed': False})
"""

from __future__ import annotations

import math
import time
from difflib import get_close_matches
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

import sympy as sp

from hwcheck.expr import symbol
from hwcheck.grade import options, predicates
from hwcheck.grade.values import Arr, Label, Map, Num, Seq, Sym, Value, leaves

MAX_LISTED = 12  # wrong entries named one by one


@dataclass
class Context:
    """What one comparison may use: tolerance, variables, time budget, symbolic pool."""

    rel: float = 1e-3
    abs: float = 1e-6
    variables: tuple[str, ...] = ()
    deadline: float = math.inf  # time.monotonic() by which symbolic work must end
    pool: object = None  # a symbolic.WorkerPool; None: no symbolic step (undecided instead)
    cache: dict = field(default_factory=dict)  # (given, expected) -> result, shared within a batch
    sigfigs: int = 3  # a number correctly rounded to at least this many significant digits is right (SPEC §9)

    @classmethod
    def for_part(cls, tolerance: Mapping, variables, *, budget: float = options.PART_BUDGET, pool=None,
                 cache=None, sigfigs: int | None = None) -> "Context":
        return cls(rel=float(tolerance.get("rel", 1e-3)), abs=float(tolerance.get("abs", 1e-6)),
                   variables=tuple(variables), deadline=time.monotonic() + budget, pool=pool,
                   cache={} if cache is None else cache, sigfigs=sigfigs or 3)

    def quick(self) -> "Context":
        """The same settings with no symbolic step (for recognising mistakes)."""
        return Context(self.rel, self.abs, self.variables, pool=None, cache=self.cache, sigfigs=self.sigfigs)


@dataclass(frozen=True)
class Comparison:
    total: int
    right: int
    undecided: int = 0
    wrong: tuple[str, ...] = ()  # paths of the first wrong entries
    n_wrong: int = 0
    notes: tuple = ()  # (code, data) pairs for the feedback template
    raw_outcomes: tuple = field(default=(), repr=False)  # (path or (prefix, n, shape), outcome) per leaf
    raw_details: tuple = field(default=(), repr=False)  # (path, given, expected, outcome), first wrong ones

    @cached_property
    def outcomes(self) -> tuple:
        """(path, outcome) of every leaf, in the key's order."""
        return tuple((_path(p), o) for p, o in self.raw_outcomes)

    @cached_property
    def details(self) -> tuple:
        """(path, written, expected to the same digits, outcome) of the first wrong entries."""
        return tuple((_path(p) or "(the answer)", *shown_pair(g, e), o) for p, g, e, o in self.raw_details)

    @property
    def fraction(self) -> float:
        return self.right / self.total if self.total else 0.0

    def counts(self) -> "Comparison":
        """The counts and notes alone, without the entries (what a part's wording uses: a graded
        part keeps this, not every value the student wrote)."""
        return Comparison(self.total, self.right, self.undecided, self.wrong, self.n_wrong, self.notes)

    @property
    def all_right(self) -> bool:
        return self.total > 0 and self.right == self.total


class _Tally:
    """Accumulates one comparison (local to ``compare``; frozen at the end)."""

    def __init__(self):
        self.total = self.right = self.undecided = self.n_wrong = 0
        self.wrong: list[str] = []
        self.notes: list = []
        self.outcomes: list = []
        self.details: list = []

    def leaf(self, outcome: str, path, given=None, expected=None) -> None:
        self.total += 1
        self.outcomes.append((path, outcome))
        if outcome == "equal":
            self.right += 1
        elif outcome == "undecided":
            self.undecided += 1
        else:
            if len(self.details) < MAX_LISTED and given is not None and expected is not None:
                self.details.append((path, given, expected, outcome))
            self._wrong(1, _path(path) if len(self.wrong) < MAX_LISTED else "")

    def wrong_leaves(self, n: int, path: str) -> None:
        if n <= 0:
            return
        self.outcomes.extend((path, "different") for _ in range(n))
        self._wrong(n, path)

    def _wrong(self, n: int, path: str) -> None:
        self.n_wrong += n
        if len(self.wrong) < MAX_LISTED:
            self.wrong.append(path or "(the answer)")

    def note(self, code: str, **data) -> None:
        if (code, data) not in self.notes:
            self.notes.append((code, data))


def compare(given: Value, expected: Value, ctx: Context) -> Comparison:
    tally = _Tally()
    _compare(given, expected, ctx, tally, "")
    return Comparison(tally.total, tally.right, tally.undecided, tuple(tally.wrong), tally.n_wrong,
                      tuple(tally.notes), tuple(tally.outcomes), tuple(tally.details))


def _compare(given, expected, ctx, tally: _Tally, path: str) -> None:
    if given is None:
        _absent(expected, tally, path)
        return
    if isinstance(expected, Arr):
        _arrays(given, expected, ctx, tally, path)
    elif isinstance(expected, Map):
        _maps(given, expected, ctx, tally, path)
    elif isinstance(expected, Seq):
        _seqs(given, expected, ctx, tally, path)
    else:
        outcome, note = scalar(given, expected, ctx)
        tally.leaf(outcome, path, given, expected)
        if note:
            tally.note(note, path=path)


def matches(given, expected, ctx: Context) -> bool:
    """``compare(given, expected, ctx).all_right``, stopping at the first entry that differs
    (for recognising mistakes: most candidates differ at once)."""
    if given is None:
        return False
    if isinstance(expected, Arr):
        if not isinstance(given, Arr) or predicates.shape_relation(given.shape, expected.shape) not in ("same",
                                                                                                      "vector"):
            return False
        return expected.size > 0 and all(scalar(g, e, ctx)[0] == "equal" for g, e in zip(given.items, expected.items))
    if isinstance(expected, Map):
        return isinstance(given, Map) and all(matches(given.get(k), v, ctx) for k, v in expected.items)
    if isinstance(expected, Seq):
        return isinstance(given, Seq) and given.given in (-1, len(expected.items)) and \
            len(given.items) >= len(expected.items) and \
            all(matches(g, e, ctx) for g, e in zip(given.items, expected.items))
    return scalar(given, expected, ctx)[0] == "equal"


def _absent(expected, tally: _Tally, path: str) -> None:
    """Every leaf of ``expected`` wrong, each under its own path (so that entries stay aligned)."""
    if isinstance(expected, Arr):
        for n in range(expected.size):
            tally.total += 1
            tally.wrong_leaves(1, path + _index(n, expected.shape))
    elif isinstance(expected, Map):
        for name, sub in expected.items:
            _absent(sub, tally, f"{path}.{name}")
    elif isinstance(expected, Seq):
        for i, sub in enumerate(expected.items):
            _absent(sub, tally, f"{path}[{i}]")
    else:
        tally.total += 1
        tally.wrong_leaves(1, path)


def _arrays(given, expected: Arr, ctx, tally, path) -> None:
    if not isinstance(given, Arr):
        _absent(expected, tally, path)
        return
    relation = predicates.shape_relation(given.shape, expected.shape)
    if relation in ("same", "vector"):
        shape = expected.shape
        right = tally.right
        for n, (g, e) in enumerate(zip(given.items, expected.items)):
            outcome, note = scalar(g, e, ctx)
            tally.leaf(outcome, (path, n, shape), g, e)
            if note:
                tally.note(note, path=path)
        square = len(shape) == 2 and shape[0] == shape[1] > 1
        if square and tally.right - right < expected.size and _all_equal(given.transposed(), expected, ctx):
            tally.note("transpose_of_key", path=path, given=given.shape, expected=shape)
        return
    _absent(expected, tally, path)
    if relation == "transposed" and _all_equal(given.transposed(), expected, ctx):
        tally.note("transpose_of_key", path=path, given=given.shape, expected=expected.shape)
    else:
        tally.note("shape", given=given.shape, expected=expected.shape, transposed=relation == "transposed")


def _all_equal(given: Arr, expected: Arr, ctx) -> bool:
    return all(scalar(g, e, ctx)[0] == "equal" for g, e in zip(given.items, expected.items))


def _maps(given, expected: Map, ctx, tally, path) -> None:
    if not isinstance(given, Map):
        _absent(expected, tally, path)
        return
    for name, sub in expected.items:
        value = given.get(name)
        if value is None:
            tally.note("missing_key", path=path, key=name)
        _compare(value, sub, ctx, tally, f"{path}.{name}")
    for name in given.extra:
        close = get_close_matches(name, expected.keys(), n=1)
        tally.note("extra_key", path=path, key=name, closest=close[0] if close else None)


def _seqs(given, expected: Seq, ctx, tally, path) -> None:
    if not isinstance(given, Seq):
        _absent(expected, tally, path)
        return
    if given.given not in (-1, len(expected.items)):
        tally.note("length", path=path, given=given.given, expected=len(expected.items))
    for i, sub in enumerate(expected.items):
        _compare(given.items[i] if i < len(given.items) else None, sub, ctx, tally, f"{path}[{i}]")


def _path(spec) -> str:
    """A leaf's path: kept as (prefix, n, shape) for array entries until it is needed."""
    if isinstance(spec, tuple):
        prefix, n, shape = spec
        return prefix + _index(n, shape)
    return spec


def _index(n: int, shape) -> str:
    out = []
    for size in reversed(shape):
        out.append(n % size)
        n //= size
    return "".join(f"[{i}]" for i in reversed(out))


# -- one scalar ------------------------------------------------------------------------

def scalar(given, expected, ctx: Context) -> tuple[str, str | None]:
    """(``equal`` | ``different`` | ``undecided``, an optional note code)."""
    if isinstance(expected, Num) and isinstance(given, Num):  # the usual case first (never a Label)
        return _numbers(given, expected, ctx), None
    if isinstance(expected, Label) or isinstance(given, Label):
        same = isinstance(given, Label) and isinstance(expected, Label) and \
            predicates.labels_equal(given.text, expected.text)
        return ("equal" if same else "different"), None
    return _expressions(given, expected, ctx)


def _numbers(given: Num, expected: Num, ctx: Context) -> str:
    ratio = given.ratio
    if ratio is not None and ratio == expected.ratio:  # both rational and equal: the certain case
        return "equal"
    if ctx.rel == 0 and ctx.abs == 0:
        if given.exact is not None and expected.exact is not None and given.exact == expected.exact:
            return "equal"
        same = math.isfinite(expected.value) and given.value == expected.value
        return "equal" if same else "different"
    if predicates.close(given.value, expected.value, rel=ctx.rel, abs=ctx.abs):
        return "equal"
    g, e = given.value, expected.value
    if g != 0 and math.fabs(g - e) > 0.5000001 * math.fabs(g):
        return "different"  # no correct rounding is this far off (half a unit of the first digit at most)
    return predicates.rounded(given.text, expected.value, ctx.sigfigs)


def shown_pair(given, expected) -> tuple[str, str]:
    """What the student wrote and what was expected, the expected number to the same digits
    (at least enough for 3 significant digits)."""
    written = given.text if getattr(given, "text", "") else (
        sp.sstr(given.exact) if isinstance(given, Num) else str(getattr(given, "expr", given)))
    if isinstance(expected, Num):
        return written, predicates.format_like(expected.value, given.text if isinstance(given, Num) else "",
                                               expected.exact)
    if isinstance(expected, Sym):  # a key's expression carries SymPy's text of it (values.from_key)
        return written, (expected.text or sp.sstr(expected.expr)).replace("**", "^")
    return written, getattr(expected, "text", str(expected))


def _expr(value):
    return value.exact if isinstance(value, Num) else value.expr


def _samples(value, ctx: Context, trusted: bool) -> tuple:
    expr = _expr(value)
    key = ("samples", expr, ctx.variables, trusted)
    found = ctx.cache.get(key)
    if found is None:
        if isinstance(value, Num):
            found = (value.value,) * predicates.N_POINTS
        else:
            found = predicates.samples(expr, ctx.variables, trusted=trusted)
        ctx.cache[key] = found
    return found


def _expressions(given, expected, ctx: Context) -> tuple[str, str | None]:
    g, e = _expr(given), _expr(expected)
    if g is None or e is None:
        return "different", None
    if g == e:
        return "equal", None
    verdict = predicates.agreement(_samples(given, ctx, False), _samples(expected, ctx, True), ctx.rel, ctx.abs)
    if verdict in ("equal", "close"):
        unsimplified = isinstance(expected, Sym) and isinstance(given, Sym) and _longer(g, e)
        return "equal", ("not_simplified" if unsimplified else None)
    if verdict == "different":
        return "different", None
    return _symbolic(g, e, ctx), None


def _longer(given, expected) -> bool:
    """The student's form is much longer than the key's (equivalent but not simplified)."""
    g, e = sp.count_ops(given), sp.count_ops(expected)
    return g > e + 3 and g > 1.5 * e


def _symbolic(given, expected, ctx: Context) -> str:
    if ctx.pool is None:
        return "undecided"
    # the key may use symbols with other assumptions: unify by name
    expected = expected.xreplace({s: symbol(s.name) for s in expected.free_symbols})
    given = given.xreplace({s: symbol(s.name) for s in given.free_symbols})
    key = ("symbolic", given, expected)
    if key in ctx.cache:
        return ctx.cache[key]
    remaining = ctx.deadline - time.monotonic()
    if remaining <= 0.05:
        return "undecided"
    result = ctx.pool.equivalent(given, expected, timeout=remaining)
    if result != "undecided":  # a time-out may succeed with a fresher budget
        ctx.cache[key] = result
    return result
