"""interval.enclose against SymPy's own 40-digit evalf, and idioms.same's answers with and without it."""

import random

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwcheck import idioms, interval
from hwcheck.expr import parse_expr, symbol

X, Y = symbol("x"), symbol("y")
POOL = ["sin({})", "exp({})", "({})**3", "log(({})**2 + 1)", "tanh({})", "sqrt(({})**2 + 1)", "1/({})",
        "cos({})", "tan({})", "(3*({}) - 1)", "2**({})", "({})**(1/3)"]
INNER = ["x", "(2*x + y)", "(x*y - 1)", "(exp(x) + exp(y) + exp(x*y))"]


def _compose(inner, outers):
    text = inner
    for hole in outers:
        text = hole.format(text)
    return parse_expr(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(INNER), st.lists(st.sampled_from(POOL), min_size=1, max_size=3),
       st.integers(-300, 300), st.integers(-300, 300))
def test_the_bounds_hold_the_value(inner, outers, kx, ky):
    expr = _compose(inner, outers)
    point = {X: sp.Rational(kx, 100), Y: sp.Rational(ky, 100)}
    bounds = interval.enclose(expr, point)
    if bounds is None:
        return  # nothing claimed (outside the domain, a complex value, or past mpmath's exponents)
    value = sp.N(expr.xreplace(point), 80)  # (SymPy itself overflows on exp(exp(exp(e^2.65 + ...))))
    assert value.is_real and value.is_finite, (expr, point, bounds)
    lo, hi = bounds
    # compared as mpmath numbers, nothing rounded; the 80-digit value is itself within 10^-78 of the truth
    with mpmath.workdps(120):
        v = mpmath.mp.make_mpf(value._mpf_) if value.is_Float else mpmath.mpf(int(value))
        slack = abs(v) * mpmath.mpf(10) ** -78
        assert lo - slack <= v <= hi + slack


@pytest.mark.parametrize("text", ["exp(x)*exp(-x) - 1", "tanh(x*y) - (exp(2*x*y) - 1)/(exp(2*x*y) + 1)",
                                  "sin(x)**2 + cos(x)**2 - 1", "log((x*y - 1)**2 + 1)", "sqrt(x**2 + 1)/(x - 3)"])
def test_the_bounds_are_tight(text):
    """Tight enough to tell 10^-26 from 0 (a well-conditioned expression loses a few of 50 digits)."""
    lo, hi = interval.enclose(parse_expr(text), {X: sp.Rational(37, 100), Y: sp.Rational(-211, 100)})
    assert hi - lo < 1e-45


def test_what_it_declines():
    assert interval.enclose(sp.log(X), {X: -1}) is None  # complex
    assert interval.enclose(1 / (X - 1), {X: 1}) is None  # a pole
    assert interval.enclose(sp.Abs(X) + sp.Float("0.5"), {X: 1}) is None  # unknown to the evaluator
    assert interval.enclose(X, {}) is None  # no value for x


def _same_by_evalf(shown, plain, tries=8):
    """idioms.same as it was before the interval check: evalf at every point."""
    difference = sp.sympify(idioms.from_idiom(shown) - plain)
    if difference == 0:
        return True
    symbols = sorted(difference.free_symbols, key=lambda s: s.name)
    rng = random.Random(8)
    for _ in range(tries):
        point = {s: sp.Rational(rng.randint(-300, 300), 100) for s in symbols}
        value = sp.N(difference.xreplace(point), 30)
        if not value.is_number or not value.is_finite:
            continue
        if abs(value) > sp.Float("1e-25"):
            return False
    return True


@pytest.mark.parametrize("text", ["sigmoid(2*x - 1)", "sigmoid(x*y)", "tanh(sigmoid(x))", "sigmoid(sigmoid(x))**3",
                                  "sigmoid(log(x**2 + 1))"])
@pytest.mark.parametrize("change", [0, 1, "1e-30", "1e-20"])
def test_same_answers_as_evalf_alone(text, change):
    """The bounds only shortcut the evalf check: same answer, for identities and for near misses."""
    plain = sp.diff(parse_expr(text), X)
    shown = sp.diff(idioms.to_idiom(parse_expr(text)), X) + sp.Rational(change)
    assert idioms.same(shown, plain) == _same_by_evalf(shown, plain)
    assert idioms.same(shown, plain) == (sp.Rational(change) < sp.Rational(1, 10**25))


# -- nn's shortcuts: the same choices as the evalf they skip -----------------------------------

from hwcheck import nn  # noqa: E402

_NUMBERS = [sp.Integer(1), sp.Integer(0), sp.Rational(-1, 2), sp.Rational(1, 2), sp.Float("0.5", 50),
            sp.Float("-0.25", 50), sp.tanh(sp.Rational(1, 2)), sp.tanh(sp.Rational(1, 2)) / 2 - sp.Rational(1, 5),
            sp.exp(-1), 1 / (1 + sp.exp(-1)), sp.sqrt(2) - sp.Rational(141421356237, 10**11),
            sp.sqrt(2) - sp.Rational(141421356238, 10**11), sp.Float(0.0, 50)]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(_NUMBERS), min_size=1, max_size=6))
def test_largest_is_max_by_evalf(z):
    expected = max(z, key=lambda v: sp.N(v, 30))
    got = nn.largest(z)
    assert got == expected and z.index(got) == z.index(expected)


@pytest.mark.parametrize("z", _NUMBERS)
def test_relu_is_sympy_max(z):
    assert nn.activate("relu", z) == nn.settle(sp.Max(0, z))
    assert nn.derivative("relu", z) == sp.Integer(1 if z > 0 else 0)


@pytest.mark.parametrize("text", ["(1 + sqrt(2))**2 - 3 - 2*sqrt(2)", "sqrt(2)/5 - 2/7", "(3 + sqrt(5))/2 - 2/(3 - sqrt(5))",
                                  "1/10 - 2/(10 + sqrt(2)) ", "exp(1/2)*exp(-1/2) - 1", "0", "tanh(1) - 1/3"])
def test_is_zero_is_simplify(text):
    v = parse_expr(text)
    assert interval.is_zero(v) == (sp.simplify(v) == 0)
