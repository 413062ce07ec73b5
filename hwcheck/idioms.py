"""The derivative idioms a course teaches, for display: σ′ = σ(1 − σ), tanh′ = 1 − tanh², and the
softmax Jacobian p_i(δ_ij − p_j) = diag(p) − ppᵀ.

The expression parser reads ``sigmoid(z)`` as ``1/(1 + exp(-z))`` (so that graders compare plain
SymPy); differentiated, that is a quotient of exponentials no course writes. ``to_idiom`` finds the
sigmoid in an expression and writes it as ``Sigmoid(z)``, a SymPy function that prints as
``\\sigma(z)`` and differentiates to ``σ(z)(1 − σ(z))``; ``from_idiom`` undoes it. tanh is SymPy's own
(its derivative is already ``1 - tanh(z)**2``). The solvers keep their answers in the plain form and
show the idiom only where SymPy confirms that both are the same function (``same``).

>>> from hwcheck.expr import parse_expr, symbol
>>> z = symbol("z")
>>> s = to_idiom(parse_expr("sigmoid(2*z - 1)"))
>>> s, sp.latex(s)
(Sigmoid(2*z - 1), '\\\\sigma\\\\left(2 z - 1\\\\right)')
>>> d = sp.diff(s, z); d, sp.latex(d)
(2*SigmoidPrime(2*z - 1), '2 \\\\sigma\\\\left(2 z - 1\\\\right)\\\\left(1 - \\\\sigma\\\\left(2 z - 1\\\\right)\\\\right)')
>>> same(d, sp.diff(parse_expr("sigmoid(2*z - 1)"), z))
True
>>> softmax([parse_expr("exp(z1)/(exp(z1) + exp(z2))"), parse_expr("exp(z2)/(exp(z1) + exp(z2))")])
[z1, z2]
"""

from __future__ import annotations

import random

import sympy as sp

from hwcheck.interval import enclose

_SURELY_ZERO, _SURELY_NOT = 1e-26, 1e-24  # either side of same's 10^-25


class Sigmoid(sp.Function):
    """σ(z) = 1/(1 + e^{−z}), for display; ``σ′ = σ(1 − σ)``."""

    nargs = 1

    def fdiff(self, argindex=1):
        return SigmoidPrime(self.args[0])

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))

    def _eval_evalf(self, prec):
        return (1 / (1 + sp.exp(-self.args[0])))._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        text = r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"
        return text if exp is None else text + "^{" + exp + "}"


class SigmoidPrime(sp.Function):
    """σ′(z) = σ(z)(1 − σ(z)), kept as one factor so that it prints in the order the notes write it."""

    nargs = 1

    def fdiff(self, argindex=1):
        s = Sigmoid(self.args[0])
        return SigmoidPrime(self.args[0]) * (1 - 2 * s)

    def expanded(self):
        s = Sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_evalf(self, prec):
        s = 1 / (1 + sp.exp(-self.args[0]))
        return (s * (1 - s))._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        s = r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"
        text = s + r"\left(1 - " + s + r"\right)"
        return text if exp is None else r"\left(" + text + r"\right)^{" + exp + "}"


def _exp_arg(e):
    return e.args[0] if isinstance(e, sp.exp) else None


def _sigmoid_of(e):
    """The u of σ(u) when ``e`` is 1/(1 + e^{−u}) or e^{u}/(1 + e^{u}); else None."""
    if e.is_Pow and e.exp == -1 and e.base.is_Add and len(e.base.args) == 2 and sp.S.One in e.base.args:
        other = e.base.args[0] if e.base.args[1] == 1 else e.base.args[1]
        w = _exp_arg(other)
        if w is not None:
            return -w
    if e.is_Mul and len(e.args) == 2:
        for a, b in (e.args, e.args[::-1]):
            w = _exp_arg(a)
            if w is not None and b.is_Pow and b.exp == -1 and sp.expand(b.base - a) == 1:
                return w
    return None


def to_idiom(expr):
    """``expr`` with every sigmoid written as ``Sigmoid(u)``."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    u = _sigmoid_of(expr)
    if u is not None:
        return Sigmoid(to_idiom(u))
    if expr.is_Pow and expr.exp.is_Integer and expr.exp < -1:  # SymPy writes σ(u)^n as (1 + e^{-u})^{-n}
        u = _sigmoid_of(sp.Pow(expr.base, -1))
        if u is not None:
            return Sigmoid(to_idiom(u)) ** (-expr.exp)
    args = [to_idiom(a) for a in expr.args]
    return expr.func(*args) if args != list(expr.args) else expr


def from_idiom(expr):
    """``expr`` with every ``Sigmoid(u)`` written back as 1/(1 + e^{−u})."""
    if not isinstance(expr, sp.Basic):
        return expr
    expr = expr.replace(lambda e: isinstance(e, SigmoidPrime), lambda e: e.expanded())
    return expr.replace(lambda e: isinstance(e, Sigmoid), lambda e: 1 / (1 + sp.exp(-e.args[0])))


def has_idiom(expr) -> bool:
    return isinstance(expr, sp.Basic) and expr.has(Sigmoid, SigmoidPrime)


def same(shown, plain, tries: int = 8) -> bool:
    """SymPy's check that the idiomatic form ``shown`` equals the plain ``plain``: the difference is
    0 as SymPy writes it, or it vanishes to 30 digits at ``tries`` random rational points (two
    different elementary functions agree at 8 random points only by accident; ``simplify`` would
    prove it, at a cost of seconds per expression).

    At each point, sure bounds from interval arithmetic decide first (``interval.enclose``): within
    10^-26 of 0 the 30-digit value is surely below 10^-25, and beyond 10^-24 surely above it. evalf,
    slow on a difference that is exactly 0, is asked only where the bounds cannot tell."""
    difference = sp.sympify(from_idiom(shown) - plain)
    if difference == 0:
        return True
    symbols = sorted(difference.free_symbols, key=lambda s: s.name)
    rng = random.Random(8)
    for _ in range(tries):
        point = {s: sp.Rational(rng.randint(-300, 300), 100) for s in symbols}
        bounds = enclose(difference, point)
        if bounds is not None:
            lo, hi = bounds
            if -_SURELY_ZERO <= lo and hi <= _SURELY_ZERO:
                continue
            if lo > _SURELY_NOT or hi < -_SURELY_NOT:
                return False
        value = sp.N(difference.xreplace(point), 30)
        if not value.is_number or not value.is_finite:
            continue  # outside the domain: this point says nothing
        if abs(value) > sp.Float("1e-25"):
            return False
    return True


def idiomatic(plain, shown):
    """``shown`` when it is the same function as ``plain``, else ``plain``."""
    return shown if same(shown, plain) else plain


def softmax(outputs) -> list | None:
    """The logits (a_1, ..., a_m) when ``outputs`` are exactly e^{a_i} / Σ_k e^{a_k}, one per logit; else None."""
    if len(outputs) < 2:
        return None
    logits, denominator = [], None
    for f in outputs:
        num, den = sp.fraction(sp.together(f))
        a = _exp_arg(num)
        if a is None or not den.is_Add:
            return None
        if denominator is None:
            denominator = den
        elif sp.expand(den - denominator) != 0:
            return None
        logits.append(a)
    terms = [_exp_arg(t) for t in sp.Add.make_args(denominator)]
    if any(t is None for t in terms) or sorted(map(sp.srepr, terms)) != sorted(map(sp.srepr, logits)):
        return None
    return logits


def softmax_jacobian(probabilities) -> sp.ImmutableMatrix:
    """∂p_i/∂a_j = p_i(δ_ij − p_j), that is diag(p) − p pᵀ, in the symbols ``probabilities``."""
    p = list(probabilities)
    m = len(p)
    return sp.ImmutableMatrix(m, m, lambda i, j: p[i] * (1 - p[i]) if i == j else -p[i] * p[j])
