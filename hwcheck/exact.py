"""Exact arrays that are fast enough for large inputs.

An ``ExactArray`` holds integer numerators (NumPy int64 while they fit,
Python ints otherwise) over one common denominator, so a 128x128 convolution
runs at NumPy speed and stays exact. Entries that are not rational (``sqrt(2)``)
fall back to a NumPy object array of SymPy numbers. SymPy is imported only for
those (and for ``sympy()``/``tolist()``): single entries are Python ints and
``Fraction``s.

>>> a = ExactArray.from_sympy([[1, "1/2"], ["1/3", 0]])
>>> a.den, a.num.tolist()
(6, [[6, 3], [2, 0]])
>>> (a @ a).sympy()
Matrix([
[7/6, 1/2],
[1/3, 1/6]])
>>> ExactArray.from_fractions([1, Fraction(1, 2)], (2,)).entry((1,)), total(a)
(Fraction(1, 2), Fraction(11, 6))
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from math import gcd, lcm
from typing import Any

import numpy as np

# Keep int64 arithmetic when every intermediate stays below this bound.
_INT64_SAFE = 2**62
# Integers up to 2**53 are exact in float64.
_FLOAT_EXACT = 2**53


@dataclass(frozen=True, eq=False)
class ExactArray:
    """``num / den`` elementwise; ``den`` is 0 for a symbolic (object) array."""

    num: np.ndarray
    den: int = 1

    # -- construction ----------------------------------------------------
    @classmethod
    def from_fractions(cls, values: list, shape: tuple[int, ...]) -> "ExactArray":
        """From a flat row-major list of ints and Fractions (no SymPy)."""
        den = lcm(*(v.denominator for v in values)) if values else 1
        return cls(_int_array([v.numerator * (den // v.denominator) for v in values], shape), den)

    @classmethod
    def from_rows(cls, rows: list) -> "ExactArray":
        """From nested lists of Python ints (fast) or any exact numbers."""
        flat = [v for row in rows for v in row] if rows and isinstance(rows[0], list) else list(rows)
        shape = (len(rows), len(rows[0])) if rows and isinstance(rows[0], list) else (len(rows),)
        if all(type(v) is int for v in flat):
            return cls(_int_array(flat, shape), 1)
        return cls.from_sympy(np.array(flat, dtype=object).reshape(shape))

    @classmethod
    def from_sympy(cls, values) -> "ExactArray":
        """From a SymPy matrix, nested lists of numbers, or a NumPy array."""
        import sympy as sp

        if isinstance(values, sp.MatrixBase):
            fast = _from_domain_matrix(values)
            if fast is not None:
                return fast
            arr = np.array(values.tolist(), dtype=object)
        else:
            arr = np.array(values, dtype=object)
        flat = [sp.Rational(v) if isinstance(v, str) else sp.sympify(v) for v in arr.ravel()]
        if all(v.is_Rational for v in flat):
            den = lcm(*(int(v.q) for v in flat)) if flat else 1
            nums = [int(v.p) * (den // int(v.q)) for v in flat]
            return cls(_int_array(nums, arr.shape), den)
        return cls(np.array(flat, dtype=object).reshape(arr.shape), 0)

    @property
    def symbolic(self) -> bool:
        return self.den == 0

    @property
    def shape(self) -> tuple[int, ...]:
        return self.num.shape

    def _scale_bound(self) -> int:
        return int(np.abs(self.num).max()) if self.num.size and not self.symbolic else 0

    # -- arithmetic used by the kinds ------------------------------------
    def __matmul__(self, other: "ExactArray") -> "ExactArray":
        return combine(np.matmul, self, other, terms=self.shape[-1])

    def map(self, fn) -> "ExactArray":
        """Apply an index operation (rotation, slicing, padding) to the numerators."""
        return ExactArray(fn(self.num), self.den)

    # -- conversion ------------------------------------------------------
    def entry(self, index):
        """One entry: an int, a Fraction, or (symbolic arrays) a SymPy number."""
        value = self.num[index]
        if self.symbolic:
            return value
        if self.den == 1:
            return int(value)
        return Fraction(int(value), self.den)

    def sympy(self):
        """A SymPy ImmutableMatrix."""
        import sympy as sp

        return sp.ImmutableMatrix(self.tolist())

    def tolist(self) -> list:
        """Nested lists of SymPy numbers."""
        if self.symbolic:
            return self.num.tolist()
        import sympy as sp

        den = self.den
        return _nest(self.num, lambda v: sp.Rational(int(v), den))

    def floats(self) -> list:
        """Nested lists of floats, each correctly rounded from the exact value (ints when ``den`` is 1)."""
        if self.symbolic:
            import sympy as sp

            return _nest(self.num, lambda v: float(sp.N(v, 20)))
        if self.den == 1:
            return self.num.tolist()  # Python ints
        den = self.den
        # int / int is correctly rounded in Python, as float(Fraction(v, den)) is
        return _nest_lists(self.num.tolist(), lambda v: v / den)

    def strings(self) -> list:
        """Nested lists of exact values in SymPy syntax (``3``, ``-1/2``)."""
        if self.symbolic:
            import sympy as sp

            return _nest(self.num, sp.sstr)
        if self.den == 1:
            return _nest_lists(self.num.tolist(), str)
        return _nest_lists(self.num.tolist(), partial(_ratio_text, den=self.den))

    def is_integer(self) -> bool:
        if self.symbolic:
            return all(getattr(v, "is_Integer", False) for v in self.num.ravel())
        return self.den == 1 or not np.any(np.asarray(self.num % self.den, dtype=object) != 0)


def _from_domain_matrix(m) -> "ExactArray | None":
    """Integer/rational matrices straight from SymPy's internal DomainMatrix (ZZ or QQ).

    Converting 16,000 entries through SymPy objects costs ~100 ms; the domain
    elements are plain ints (ZZ) or numerator/denominator pairs (QQ). If the
    private ``_rep`` is missing (another SymPy version), the caller falls back.
    """
    rep = getattr(m, "_rep", None)
    domain = str(getattr(rep, "domain", ""))
    if domain not in ("ZZ", "QQ"):
        return None
    rows = rep.to_list()
    if domain == "ZZ":
        return ExactArray(_int_array([v for row in rows for v in row], m.shape), 1)
    flat = [v for row in rows for v in row]
    den = lcm(*(int(v.denominator) for v in flat)) if flat else 1
    return ExactArray(_int_array([int(v.numerator) * (den // int(v.denominator)) for v in flat], m.shape), den)


def _nest(arr: np.ndarray, fn) -> list:
    if isinstance(arr, np.ndarray):
        if arr.ndim == 0:
            return fn(arr.item())
        return [_nest(a, fn) for a in arr]
    return fn(arr.item() if isinstance(arr, np.generic) else arr)  # an entry of an object array


def _nest_lists(rows, fn) -> list:
    """``fn`` applied to every number of nested lists (from ``ndarray.tolist()``)."""
    if not isinstance(rows, list):
        return fn(rows)
    if rows and isinstance(rows[0], list):
        return [_nest_lists(r, fn) for r in rows]
    return [fn(v) for v in rows]


def _ratio_text(num: int, den: int) -> str:
    """``num/den`` in lowest terms as SymPy (and ``Fraction``) write it: ``3/4``, ``-1/2``, ``5``."""
    g = gcd(num, den)
    return str(num // g) if den == g else f"{num // g}/{den // g}"


def _int_array(nums, shape) -> np.ndarray:
    """Integers as int64 while they stay clear of overflow, as Python ints otherwise."""
    try:
        arr = np.array(nums, dtype=np.int64).reshape(shape)
        if arr.size == 0 or int(np.abs(arr).max()) < _INT64_SAFE:
            return arr
    except OverflowError:
        pass
    out = np.empty(len(nums), dtype=object)
    out[:] = [int(n) for n in nums]
    return out.reshape(shape)


def combine(op, a: ExactArray, b: ExactArray, terms: int) -> ExactArray:
    """``op(a, b)`` for a bilinear ``op`` that sums at most ``terms`` products.

    The result's denominator is ``a.den * b.den``. The numerators are computed
    in int64 when ``terms * max|a| * max|b|`` fits, with Python ints otherwise,
    and as SymPy objects when either side is symbolic.
    """
    if a.symbolic or b.symbolic:
        return ExactArray(op(as_objects(a), as_objects(b)), 0)
    bound = max(1, terms) * max(1, a._scale_bound()) * max(1, b._scale_bound())
    if a.num.dtype != object and b.num.dtype != object:
        if bound < _FLOAT_EXACT:
            # every product and partial sum is an integer below 2**53, so float64
            # (and its BLAS routines) computes it exactly; convert back to ints
            result = op(a.num.astype(np.float64), b.num.astype(np.float64))
            return ExactArray(result.astype(np.int64), a.den * b.den)
        if bound < _INT64_SAFE:
            return ExactArray(op(a.num, b.num), a.den * b.den)
    return ExactArray(op(a.num.astype(object), b.num.astype(object)), a.den * b.den)


def as_objects(a: ExactArray) -> np.ndarray:
    """The entries as an object array of SymPy numbers."""
    if a.symbolic:
        return a.num
    import sympy as sp

    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [sp.Rational(int(v), a.den) for v in a.num.ravel()]
    return out


def plus_scalar(a: ExactArray, c) -> ExactArray:
    """``a + c`` for a number ``c`` (an int, a Fraction or a SymPy number)."""
    if c == 0:
        return a
    q = _fraction(c)
    if a.symbolic or q is None:
        import sympy as sp

        return ExactArray(as_objects(a) + sp.sympify(c), 0)
    den = lcm(a.den, q.denominator)
    num = a.num.astype(object) * (den // a.den) + q.numerator * (den // q.denominator)
    return ExactArray(_int_array(list(num.ravel()), a.shape), den)


def _fraction(c) -> Fraction | None:
    """``c`` as a Fraction when it is rational (an int, a Fraction, a SymPy Rational), else None."""
    if isinstance(c, Fraction):
        return c
    if isinstance(c, int) and not isinstance(c, bool):
        return Fraction(c)
    if getattr(c, "is_Rational", False):
        return Fraction(int(c.p), int(c.q))
    return None


def total(a: ExactArray):
    """The exact sum of all entries: a Fraction (a SymPy number for a symbolic array)."""
    if a.symbolic:
        import sympy as sp

        return sp.Add(*a.num.ravel())
    return Fraction(int(a.num.astype(object).sum()), a.den)


def to_plain(value: Any) -> Any:
    """Turn ExactArray values into SymPy matrices (for small, display-size data)."""
    if isinstance(value, ExactArray):
        return value.sympy()
    return value
