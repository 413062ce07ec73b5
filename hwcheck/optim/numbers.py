"""The numbers a run computes with: exact while readable, then floating point.

* exact SymPy numbers (rationals, radicals, ``exp(1/2)``) while every new value
  stays readable (``is_readable``);
* otherwise ``WORK_DIGITS`` digits: Python's ``decimal`` (``_Dec``) when f is a
  polynomial or the gradients are given, mpmath (``_Mp``) when f has exp, tanh,
  sqrt and the like; rounded once to ``nn.PRECISION`` (50) significant digits
  (``to_sympy``) when the trace is returned.

Each backend offers the few operations the update rules take (``num``, ``sqrt``, ``div``).
"""

from __future__ import annotations

import decimal
import importlib
from contextlib import contextmanager

import mpmath
import sympy as sp
from sympy.core.expr import Expr

from hwcheck.nn import PRECISION, readable

EXACT_DIGITS = 40  # digits of a numerator or denominator kept exact
RADICAL_DIGITS = 12  # digits of the rationals inside a radical form kept exact
WORK_DIGITS = PRECISION + 10  # guard digits while iterating in floating point


class Undefined(Exception):
    """f or its gradient is not a finite real number at a point of the path."""


def _real(v):
    if v.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or v.is_real is False or v.has(sp.I):
        raise Undefined
    return v


def _real_mp(v):
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            raise Undefined
        v = v.real
    v = mpmath.mpf(v)
    if not mpmath.isfinite(v):
        raise Undefined
    return v


def _real_dec(v):
    v = v if isinstance(v, decimal.Decimal) else decimal.Decimal(v)
    if not v.is_finite():
        raise Undefined
    return v


def tidy(v):
    """A canonical exact form: radicals expanded and denominators rationalised.

    >>> tidy(1 / (sp.Rational(1, 10**7) + sp.sqrt(10) / 50))
    (-10000000 + 2000000000000*sqrt(10))/399999999999
    """
    v = sp.sympify(v)
    if v.is_Rational or v.has(sp.Function) or v.has(sp.E):
        return v
    with _no_search_for_one_surd():
        return sp.radsimp(sp.expand(v))


_SIMPLIFY = importlib.import_module("sympy.simplify.simplify")  # the module, not the function it exports


@contextmanager
def _no_search_for_one_surd():
    """radsimp asks ``nsimplify`` whether a numeric denominator is secretly a rational number, and
    uses the answer only when it is one. That integer-relation search is 85% of radsimp's time on
    an Adam step, whose denominators are a rational plus a rational multiple of √c (c an integer
    that is not a square, or SymPy would have taken the root): such a number is never rational, so
    for it the search is skipped, and radsimp goes on exactly as after a search that found nothing."""
    search = _SIMPLIFY.nsimplify

    def nsimplify(expr, *args, **kwargs):
        return expr if _one_surd(expr) else search(expr, *args, **kwargs)
    _SIMPLIFY.nsimplify = nsimplify
    try:
        yield
    finally:
        _SIMPLIFY.nsimplify = search


def _one_surd(expr) -> bool:
    """A rational plus b·√c (b rational ≠ 0, c a positive integer SymPy left under the root)."""
    if not isinstance(expr, sp.Add):
        return False
    surds = [a for a in expr.args if not a.is_Rational]
    if len(surds) != 1:
        return False
    coeff, root = surds[0].as_coeff_Mul()
    return (coeff.is_Rational and root.is_Pow and root.exp == sp.S.Half and root.base.is_Integer
            and root.base > 1)


def is_readable(v) -> bool:
    """Keep ``v`` exact? Short rationals, short readable radical forms (the digits are the
    cheaper test, so they go first)."""
    if isinstance(v, sp.Float):
        return False
    if v.is_Rational:
        return len(str(abs(v.p))) <= EXACT_DIGITS and len(str(v.q)) <= EXACT_DIGITS
    return all(len(str(abs(r.p))) <= RADICAL_DIGITS and len(str(r.q)) <= RADICAL_DIGITS
               for r in v.atoms(sp.Rational)) and readable(v)


def to_mp(v):
    if isinstance(v, mpmath.mpf):
        return v
    if isinstance(v, sp.Rational):
        return mpmath.mpf(int(v.p)) / int(v.q)
    if isinstance(v, decimal.Decimal):
        return mpmath.mpf(str(v))
    if isinstance(v, sp.Float):
        return mpmath.mpf(v._mpf_)
    return mpmath.mpf(sp.N(v, WORK_DIGITS + 5)._mpf_)


def to_dec(v):
    """A number as a Decimal (rounded to the context's precision)."""
    if isinstance(v, decimal.Decimal):
        return v
    if isinstance(v, int):
        return decimal.Decimal(v)
    if isinstance(v, sp.Rational):
        return decimal.Decimal(int(v.p)) / int(v.q)
    if isinstance(v, sp.Float):
        sign, man, exp, _ = v._mpf_  # v = ±man · 2^exp = ±man · 5^(−exp) · 10^exp
        d = decimal.Decimal(man << exp) if exp >= 0 else decimal.Decimal(man * 5**(-exp)).scaleb(exp)
        return -d if sign else +d  # unary plus rounds to the context
    return decimal.Decimal(sp.sstr(sp.N(v, WORK_DIGITS + 5), full_prec=True).replace("*^", "E"))


_PREC = mpmath.libmp.dps_to_prec(PRECISION)
_DEC_CONTEXT = decimal.Context(prec=WORK_DIGITS, Emax=10**6, Emin=-10**6,
                               traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])


def to_sympy(v):
    """A floating-point number as a 50-digit SymPy Float (the one rounding)."""
    if isinstance(v, mpmath.mpf):
        # the same as sp.Float(v, 50), without its parsing overhead
        return sp.Float._new(mpmath.libmp.mpf_pos(v._mpf_, _PREC, "n"), _PREC)
    if isinstance(v, decimal.Decimal):
        if abs(v.adjusted()) > 4000:
            return sp.Float(str(v), PRECISION)
        n, d = v.as_integer_ratio()
        return _sympy_float(mpmath.libmp.from_rational(n, d, _PREC, "n"))
    return v


def _sympy_float(mpf_tuple):
    """A SymPy Float from a normalised mpf tuple at _PREC bits (what ``Float._new`` does, minus
    re-normalising: a 1,000-step Adam trace makes some 13,000 of them)."""
    if mpf_tuple == mpmath.libmp.fzero:
        return sp.S.Zero
    out = Expr.__new__(sp.Float)
    out._mpf_ = mpf_tuple
    out._prec = _PREC
    return out


class _Exact:
    """Arithmetic on exact SymPy numbers."""

    exact = True

    @staticmethod
    def num(v):
        return sp.sympify(v)

    @staticmethod
    def sqrt(v):
        return tidy(sp.sqrt(v))

    @staticmethod
    def div(a, b):
        return tidy(a / b)


class _Mp:
    """Arithmetic on mpmath numbers with WORK_DIGITS digits."""

    exact = False
    num = staticmethod(to_mp)
    sqrt = staticmethod(mpmath.sqrt)
    check = staticmethod(_real_mp)

    @staticmethod
    def div(a, b):
        return a / b

    @staticmethod
    def context():
        return mpmath.workdps(WORK_DIGITS)


class _Dec:
    """Arithmetic on Decimals with WORK_DIGITS digits (polynomial f, or given gradients)."""

    exact = False
    num = staticmethod(to_dec)
    check = staticmethod(_real_dec)

    @staticmethod
    def sqrt(v):
        return v.sqrt()

    @staticmethod
    def div(a, b):
        return a / b

    @staticmethod
    def context():
        return decimal.localcontext(_DEC_CONTEXT)
