"""Tiny pure comparison predicates (STYLE.md, practice 8); ``compare.py`` is the one wrapper.

Numbers: ``|given - expected| <= abs + rel * |expected|`` (NumPy's ``isclose``
rule, the defaults rel 1e-3 and abs 1e-6 come from the part). Expressions:
evaluated in floats at fixed pseudo-random points by a small evaluator over
the SymPy tree (no ``lambdify``, which calls ``exec``); SymPy's own
simplification runs later, in a killable worker (``symbolic.py``), only when
the points cannot decide.

>>> close(0.12501, 0.125, rel=1e-3, abs=1e-6), close(0.13, 0.125, rel=1e-3, abs=1e-6)
(True, False)
>>> x = sp.Symbol("x")
>>> agreement(samples(2 * x * sp.cos(x**2), ("x",)), samples(sp.diff(sp.sin(x**2), x), ("x",)), 1e-3, 1e-6)
'equal'
>>> agreement(samples(x * sp.cos(x**2), ("x",)), samples(sp.diff(sp.sin(x**2), x), ("x",)), 1e-3, 1e-6)
'different'
>>> shape_relation((3, 2), (2, 3)), shape_relation((1, 3), (3,)), shape_relation((2, 2), (2, 2))
('transposed', 'vector', 'same')
"""

from __future__ import annotations

import math
import random
import re
from decimal import Decimal
from functools import lru_cache

import sympy as sp

N_POINTS = 10
MIN_POINTS = 4  # points where both sides are defined, needed to decide
TIGHT = 1e-9  # agreement this close at every point counts as the same function


def close(given: float, expected: float, *, rel: float, abs: float) -> bool:  # noqa: A002 - the SPEC's names
    """The NumPy ``isclose`` rule; never true for nan or inf."""
    if not (math.isfinite(given) and math.isfinite(expected)):
        return False
    return math.fabs(given - expected) <= abs + rel * math.fabs(expected)


_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")


def written_digits(text: str) -> tuple[int, int] | None:
    """(significant digits, exponent of the last digit) of a number written as a plain decimal.

    >>> written_digits("0.0297"), written_digits("-0.197"), written_digits("1.50"), written_digits("1/3")
    ((3, -4), (3, -3), (3, -2), None)
    """
    if not text or not _DECIMAL.fullmatch(text.strip()):
        return None
    d = Decimal(text.strip())
    digits = d.as_tuple().digits
    sig = len(digits)
    for digit in digits:
        if digit:
            break
        sig -= 1
    return sig, d.as_tuple().exponent


def rounded(text: str, expected: float, sigfigs: int) -> str:
    """``equal`` when ``text`` is ``expected`` correctly rounded to the digits written, with at least
    ``sigfigs`` significant digits; ``short`` when correctly rounded but to fewer digits; else ``different``.

    >>> rounded("-0.197", -0.196612, 3), rounded("0.0297", 0.029738, 3), rounded("0.03", 0.029738, 3)
    ('equal', 'equal', 'short')
    >>> rounded("0.0298", 0.029738, 3), rounded("0.0297", 0.029738, 4)
    ('different', 'short')
    """
    found = written_digits(text)
    if found is None or not math.isfinite(expected):
        return "different"
    sig, exponent = found
    given = float(Decimal(text.strip()))
    half = 0.5 * 10.0 ** exponent
    if math.fabs(given - expected) > half * (1 + 1e-9) + 1e-300:
        return "different"
    return "equal" if sig >= sigfigs and (given != 0 or expected == 0) else "short"


def format_like(value: float, text: str = "", exact=None, sigfigs: int = 3) -> str:
    """``value`` to the decimals of the student's ``text`` (at least ``sigfigs`` significant digits).

    >>> format_like(-0.196612, "-0.25"), format_like(0.029738, "0.03"), format_like(2.0, "2.5", None)
    ('-0.197', '0.0297', '2.00')
    """
    if exact is not None and getattr(exact, "is_Integer", False):
        return str(int(exact))
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    found = written_digits(text) if text else None
    magnitude = math.floor(math.log10(math.fabs(value)))
    if not -5 <= magnitude <= 8:
        sig = max(sigfigs, found[0] if found else 0)
        return f"{value:.{sig - 1}e}"
    places = max(0, sigfigs - 1 - magnitude)
    if found is not None and "e" not in text.lower():  # the student's decimals, up to 6 significant digits
        places = max(places, min(-found[1], max(0, 5 - magnitude)))
    elif found is None and exact is not None and getattr(exact, "is_Rational", False):
        shown = rational_text(exact)
        if len(shown) <= 12:
            return shown
    return f"{value:.{min(places, 15)}f}"


def rational_text(x) -> str:
    """``str(x)`` of a SymPy rational (``p/q``, or ``p``), without SymPy's printer.

    >>> [rational_text(sp.Rational(p, q)) for p, q in ((1, 2), (-3, 7), (0, 1), (12, 1))]
    ['1/2', '-3/7', '0', '12']
    """
    return str(x.p) if x.q == 1 else f"{x.p}/{x.q}"


def labels_equal(given: str, expected: str) -> bool:
    return " ".join(given.split()).casefold() == " ".join(expected.split()).casefold()


def shape_relation(given: tuple, expected: tuple) -> str:
    """``same``, ``vector`` (both vectors of one length, written differently),
    ``transposed`` (a matrix's two axes swapped) or ``different``."""
    if tuple(given) == tuple(expected):
        return "same"
    size = math.prod(expected)
    if sum(n > 1 for n in given) <= 1 and sum(n > 1 for n in expected) <= 1 and math.prod(given) == size:
        return "vector"
    if len(given) == 2 and len(expected) == 2 and tuple(given) == tuple(reversed(expected)):
        return "transposed"
    return "different"


# -- expressions at points ------------------------------------------------------------

@lru_cache(maxsize=64)
def points(names: tuple[str, ...]) -> tuple[dict, ...]:
    """Fixed pseudo-random points: mostly positive (log, sqrt), some negative (relu, max, abs)."""
    rng = random.Random(20240917 + len(names))
    out = []
    for k in range(N_POINTS):
        point = {}
        for name in names:
            magnitude = rng.uniform(0.3, 2.2)
            point[name] = magnitude if k < 6 or rng.random() < 0.4 else -magnitude
        out.append(point)
    return tuple(out)


def samples(expr, names: tuple[str, ...], *, trusted: bool = False) -> tuple[float, ...]:
    """``expr`` at each of ``points(names)``; nan where it is undefined there.

    ``trusted``: the expression comes from a solver, so SymPy's ``evalf`` may
    evaluate what the small evaluator does not know (never for student input,
    where ``evalf`` could need unbounded precision)."""
    out = []
    for point in points(tuple(sorted(names))):
        try:
            value = evaluate(expr, point, trusted=trusted)
        except (ValueError, ZeroDivisionError, TypeError, KeyError, RecursionError):
            value = math.nan
        out.append(value if isinstance(value, float) else math.nan)
    return tuple(out)


def agreement(given: tuple, expected: tuple, rel: float, abs: float) -> str:  # noqa: A002
    """``equal`` (tight at every shared point), ``close`` (within tolerance),
    ``different`` or ``unknown`` (too few points where both are defined)."""
    shared = 0
    tight = True
    for g, e in zip(given, expected):
        if math.isnan(e) and math.isnan(g):
            continue
        if math.isnan(e) or math.isnan(g):
            if math.isnan(e) and not math.isinf(g):
                continue  # outside the key's domain: this point says nothing
            return "different" if not math.isnan(e) else "unknown"
        if math.isinf(e) or math.isinf(g):
            if e != g:
                return "different"
            continue
        if not close(g, e, rel=rel, abs=abs):
            return "different"
        shared += 1
        tight = tight and math.fabs(g - e) <= TIGHT * max(1.0, math.fabs(e))
    if shared < MIN_POINTS:
        return "unknown"
    return "equal" if tight else "close"


_UNARY = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos,
    "atan": math.atan, "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh, "exp": math.exp,
    "Abs": math.fabs, "sign": lambda v: float((v > 0) - (v < 0)),
    "Heaviside": lambda v: 1.0 if v > 0 else (0.0 if v < 0 else 0.5),
    "sec": lambda v: 1 / math.cos(v), "csc": lambda v: 1 / math.sin(v), "cot": lambda v: 1 / math.tan(v),
    "sech": lambda v: 1 / math.cosh(v), "csch": lambda v: 1 / math.sinh(v), "coth": lambda v: 1 / math.tanh(v),
    "asinh": math.asinh, "acosh": math.acosh, "atanh": math.atanh,
}


def evaluate(expr, point: dict, *, trusted: bool = False) -> float:
    """A float for ``expr`` at ``point`` (name -> float); raises ValueError where undefined.

    Handles what the allow-list parser can build, in plain floats (an overflow
    is ±inf, a domain error is ValueError); anything else is ValueError, or for
    ``trusted`` (solver) expressions SymPy's ``evalf``.

    >>> evaluate(sp.sin(sp.Integer(10)**300) + 1, {}) == math.sin(1e300) + 1
    True
    """
    if expr.is_Symbol:
        return float(point[expr.name])
    if expr.is_Number or expr.is_NumberSymbol:
        try:
            return float(expr)
        except OverflowError:
            return math.copysign(math.inf, 1 if expr > 0 else -1)
    args = expr.args
    try:
        if expr.is_Add:
            return math.fsum(evaluate(a, point, trusted=trusted) for a in args)
        if expr.is_Mul:
            out = 1.0
            for a in args:
                out *= evaluate(a, point, trusted=trusted)
            return out
        if expr.is_Pow:
            base, exp = evaluate(args[0], point, trusted=trusted), evaluate(args[1], point, trusted=trusted)
            if base == 0 and exp < 0:
                raise ZeroDivisionError
            if base < 0 and not float(exp).is_integer():
                raise ValueError("complex")
            return math.pow(base, exp)
        name = type(expr).__name__
        if name in _UNARY and len(args) == 1:
            return _UNARY[name](evaluate(args[0], point, trusted=trusted))
        if name == "log":
            value = evaluate(args[0], point, trusted=trusted)
            return math.log(value) if len(args) == 1 else math.log(value, evaluate(args[1], point, trusted=trusted))
        if name in ("Max", "Min"):
            values = [evaluate(a, point, trusted=trusted) for a in args]
            return max(values) if name == "Max" else min(values)
    except OverflowError:
        return math.inf
    if not trusted:
        raise ValueError(f"no float evaluation of {type(expr).__name__}")
    value = complex(expr.evalf(15, subs={s: point[s.name] for s in expr.free_symbols}))
    if value.imag:
        raise ValueError("complex")
    return value.real
