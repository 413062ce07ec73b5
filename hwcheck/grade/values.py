"""The value trees both sides of a comparison are turned into (frozen).

* ``Num``: a number (its exact SymPy value when known, and a float);
* ``Sym``: an expression in the problem's variables;
* ``Label``: a word (a class name, an option);
* ``Arr``: a vector, a matrix or an n-d array of scalars, row-major;
* ``Map``: named values (maps of parts, ``{w, b}``);
* ``Seq``: a list of non-scalar values (one vector per layer, one map per step).

``from_key`` normalises whatever a solver returned (SymPy numbers and
expressions, ``ExactArray``, SymPy matrices, lists, dicts) into these.

>>> from_key([[1, 2], [3, 4]]).shape
(2, 2)
>>> from_key({"w": sp.Rational(1, 2), "b": [1, 2]}).keys()
('w', 'b')
>>> from_key(sp.Symbol("x") ** 2).expr
x**2
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Union

import numpy as np
import sympy as sp

from hwcheck.exact import ExactArray


@dataclass(frozen=True)
class Num:
    exact: Any  # a SymPy number, or None when only the float is known
    value: float
    text: str = ""

    @staticmethod
    def of(x, text: str = "") -> "Num":
        return Num(x, to_float(x), text or sp.sstr(x))

    def ratio(self) -> tuple[int, int] | None:
        """(numerator, denominator > 0) in lowest terms when the number is rational, else None."""
        exact = self.exact
        return (exact.p, exact.q) if exact is not None and exact.is_Rational else None


class ReadNum(Num):
    """A number a student wrote as a decimal, an integer or a fraction: its ``ratio`` is known at once
    and its SymPy value (``exact``) is made on first use, since comparing it with a rational key
    needs only the ratio. Otherwise a ``Num`` like any other.

    >>> n = ReadNum((1, 8), 0.125, "0.125")
    >>> n.ratio(), n.exact, n
    ((1, 8), 1/8, Num(exact=1/8, value=0.125, text='0.125'))
    """

    def __init__(self, ratio: tuple[int, int], value: float, text: str = ""):
        object.__setattr__(self, "_ratio", ratio)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "text", text)

    def __getattr__(self, name: str):
        if name != "exact":  # only reached for attributes not set (pickle asks for a few)
            raise AttributeError(name)
        p, q = self.__dict__["_ratio"]
        exact = sp.Integer(p) if q == 1 else sp.Rational(p, q)
        object.__setattr__(self, "exact", exact)
        return exact

    def ratio(self) -> tuple[int, int]:
        return self._ratio

    def __repr__(self) -> str:
        return f"Num(exact={self.exact!r}, value={self.value!r}, text={self.text!r})"


@dataclass(frozen=True)
class Sym:
    expr: Any  # a SymPy expression with free symbols
    text: str = ""  # as written; for a key's expression, sp.sstr(expr) (or "")


@dataclass(frozen=True)
class Label:
    text: str

    @property
    def folded(self) -> str:
        return " ".join(self.text.split()).casefold()


Scalar = Union[Num, Sym, Label]


@dataclass(frozen=True)
class Arr:
    shape: tuple[int, ...]
    items: tuple  # scalars, row-major

    @property
    def size(self) -> int:
        return len(self.items)

    @property
    def is_vector(self) -> bool:
        """At most one axis longer than 1: a vector, however it is written."""
        return sum(1 for n in self.shape if n > 1) <= 1

    def transposed(self) -> "Arr":
        h, w = self.shape
        return Arr((w, h), tuple(self.items[i * w + j] for j in range(w) for i in range(h)))


@dataclass(frozen=True)
class Map:
    items: tuple  # ((name, value), ...)
    extra: tuple = ()  # names a student wrote that the key does not have

    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.items)

    def get(self, key):
        for k, v in self.items:
            if k == key:
                return v
        return None


@dataclass(frozen=True)
class Seq:
    items: tuple
    given: int = -1  # how many items a student wrote (-1: the key's own list)


Value = Union[Num, Sym, Label, Arr, Map, Seq]


def to_float(x) -> float:
    """A float for a SymPy number (nan when it has none, ±inf when too large)."""
    try:
        if isinstance(x, sp.Integer):
            n = int(x)
            return float(n) if abs(n) < 10**308 else math.copysign(math.inf, n)
        if isinstance(x, sp.Rational):
            return int(x.p) / int(x.q)
        if isinstance(x, sp.Float):
            return float(x)
        v = complex(sp.N(x, 20))
        return v.real if v.imag == 0 else math.nan
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return math.nan


def leaves(value: Value) -> int:
    """How many scalars a value holds (the unit of partial credit)."""
    if isinstance(value, Arr):
        return value.size
    if isinstance(value, Map):
        return sum(leaves(v) for _, v in value.items)
    if isinstance(value, Seq):
        return sum(leaves(v) for v in value.items)
    return 1


def is_scalar(value: Value) -> bool:
    return isinstance(value, (Num, Sym, Label))


def free_names(value: Value) -> set[str]:
    """The names of the variables an expression value uses."""
    if isinstance(value, Sym):
        return {s.name for s in value.expr.free_symbols}
    if isinstance(value, Arr):
        return set().union(*(free_names(v) for v in value.items)) if value.items else set()
    if isinstance(value, (Map, Seq)):
        items = value.items if isinstance(value, Seq) else [v for _, v in value.items]
        return set().union(*(free_names(v) for v in items)) if items else set()
    return set()


# -- the key side ------------------------------------------------------------------

def scalar_from_key(x) -> Scalar:
    if isinstance(x, bool):
        return Label(str(x).lower())
    if isinstance(x, str):
        return Label(x)
    if isinstance(x, (int, np.integer)):
        return Num.of(sp.Integer(int(x)))
    if isinstance(x, float):
        return Num.of(sp.Rational(repr(x)) if math.isfinite(x) else sp.nan)
    x = sp.sympify(x)
    if x.is_number:
        return Num.of(x)
    return Sym(x, sp.sstr(x))


def _is_plain_scalar(x) -> bool:
    return not isinstance(x, (list, tuple, Mapping, ExactArray, sp.MatrixBase, np.ndarray))


def from_key(x) -> Value:
    """Normalise a solver's answer (see the module docstring)."""
    if isinstance(x, ExactArray):
        return _array(np.array(x.tolist(), dtype=object))
    if isinstance(x, sp.MatrixBase):
        return _array(np.array(x.tolist(), dtype=object).reshape(x.shape))
    if isinstance(x, np.ndarray):
        return _array(x.astype(object))
    if isinstance(x, Mapping):
        return Map(tuple((str(k), from_key(v)) for k, v in x.items()))
    if isinstance(x, (list, tuple)):
        if all(_is_plain_scalar(v) for v in x):
            return Arr((len(x),), tuple(scalar_from_key(v) for v in x))
        rows = [v for v in x if isinstance(v, (list, tuple))]
        if (len(rows) == len(x) and x and all(all(_is_plain_scalar(e) for e in r) for r in rows)
                and len({len(r) for r in rows}) == 1):
            return Arr((len(x), len(x[0])), tuple(scalar_from_key(e) for r in x for e in r))
        return Seq(tuple(from_key(v) for v in x))
    return scalar_from_key(x)


def _array(a: np.ndarray) -> Arr:
    return Arr(tuple(a.shape), tuple(scalar_from_key(v) for v in a.ravel()))
