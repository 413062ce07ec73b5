"""Sure bounds on the value of an elementary expression at a point, by interval arithmetic.

``sp.N(expr, 30)`` of an expression that is exactly 0 (an identity checked at a point) is slow: evalf
raises its working precision again and again, trying to find 30 digits of a number that has none.
Interval arithmetic (mpmath's ``iv``, rounded outwards) instead gives, at a fixed precision, an
interval that surely holds the value: when it is tiny the value surely is; when it keeps clear of
0 the value surely does. Only where neither is sure need a caller ask evalf.

>>> x = sp.Symbol("x")
>>> lo, hi = enclose(sp.exp(x) * sp.exp(-2 * x) * sp.exp(x) - 1 + sp.tanh(x) - sp.tanh(x), {x: sp.Rational(1, 3)})
>>> -1e-40 < lo <= 0 <= hi < 1e-40
True
>>> lo, hi = enclose(sp.sqrt(2) - sp.Rational(1414, 1000), {})
>>> 0.000213 < lo <= hi < 0.000214
True
>>> enclose(sp.log(x), {x: -1}) is None, enclose(1 / x, {x: 0}) is None, enclose(sp.Abs(x), {x: 1}) is None
(True, True, True)
"""

from __future__ import annotations

import mpmath
import sympy as sp
from mpmath import iv

DIGITS = 50  # working digits: a value that is exactly 0 comes out within about 10^-50 of it


class _Unknown(Exception):
    """A function or number this evaluator does not bound (the caller falls back to evalf)."""


_FUNCTIONS = {sp.exp: iv.exp, sp.log: iv.log, sp.sin: iv.sin, sp.cos: iv.cos, sp.tan: iv.tan}


def enclose(expr, values, digits: int = DIGITS):
    """``(lo, hi)``, exact mpmath numbers with lo ≤ ``expr`` ≤ hi at the point ``values`` (symbol →
    rational, or a pair of rationals: anywhere between them); None where the value is not a finite
    real number, or the expression holds something the evaluator does not know (a Float, ``Abs``,
    ``Max``, ...).

    >>> x = sp.Symbol("x")
    >>> lo, hi = enclose(x**2 - 2, {x: (sp.Rational(141, 100), sp.Rational(142, 100))})
    >>> -0.02 < lo < 0 < hi < 0.02
    True
    """
    saved = iv.prec
    iv.dps = digits
    try:
        value = _bound(sp.sympify(expr), values, {})
    except (_Unknown, KeyError, ZeroDivisionError, ValueError, ArithmeticError):  # a complex value is a ValueError
        return None
    finally:
        iv.prec = saved
    lo, hi = (mpmath.mp.make_mpf(end) for end in value._mpi_)  # as they are (mpf() would round them)
    if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
        return None
    return lo, hi


def _bound(e, values, memo):
    if e in memo:  # a subexpression met again (a softmax's denominator, say)
        return memo[e]
    if e.is_Symbol:
        value = values[e]
        if isinstance(value, tuple):  # a range: from below its low end to above its high end
            v = iv.mpf([_rational(sp.sympify(value[0])).a, _rational(sp.sympify(value[1])).b])
        else:
            v = _rational(sp.sympify(value))
    elif e.is_Rational:
        v = _rational(e)
    elif e is sp.pi:
        v = iv.pi
    elif e is sp.E:
        v = iv.e
    elif e.is_Add:
        v = iv.mpf(0)
        for a in e.args:
            v = v + _bound(a, values, memo)
    elif e.is_Mul:
        v = iv.mpf(1)
        for a in e.args:
            v = v * _bound(a, values, memo)
    elif e.is_Pow:
        base, exponent = e.args
        b = _bound(base, values, memo)
        if exponent.is_Integer:
            v = b ** int(exponent)
        elif exponent == sp.S.Half:
            v = iv.sqrt(b)
        else:  # b^x = e^{x log b}, for b > 0 (log refuses a negative base)
            v = iv.exp(_bound(exponent, values, memo) * iv.log(b))
    elif type(e) in _FUNCTIONS and len(e.args) == 1:
        v = _FUNCTIONS[type(e)](_bound(e.args[0], values, memo))
    elif isinstance(e, sp.tanh):
        v = 1 - 2 / (iv.exp(2 * _bound(e.args[0], values, memo)) + 1)  # tanh a = 1 − 2/(e^{2a} + 1)
    else:
        raise _Unknown(type(e).__name__)
    memo[e] = v
    return v


def _rational(r):
    if not r.is_Rational:
        raise _Unknown(sp.sstr(r))
    return iv.mpf(int(r.p)) / int(r.q)


def is_zero(v) -> bool:
    """``sp.simplify(v) == 0`` for a number ``v``, without simplify where sure bounds keep clear of 0:
    simplify keeps the value, so a number that is not 0 never simplifies to 0 (and simplify's first
    call alone costs some 0.1 s, most of it importing sympy.physics.units).

    >>> is_zero(sp.sqrt(8) - 2 * sp.sqrt(2)), is_zero(sp.Rational(2, 7) - sp.sqrt(2) / 5), is_zero(0)
    (True, False, True)
    """
    v = sp.sympify(v)
    if v.is_Rational:
        return v == 0
    bounds = enclose(v, {})
    if bounds is not None and (bounds[0] > 0 or bounds[1] < 0):
        return False
    return sp.simplify(v) == 0
