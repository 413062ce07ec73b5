"""f, its gradient (differentiated once) and fast evaluators at exact or floating points."""

from __future__ import annotations

import decimal
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Sequence

import sympy as sp

from hwcheck.errors import Invalid
from hwcheck.expr import derivative, symbol
from hwcheck.optim.numbers import Undefined, _Dec, _Mp, _real, is_readable, tidy, to_sympy


class Objective:
    """f, its symbolic gradient (differentiated once) and fast evaluators."""

    def __init__(self, expr, names: Sequence[str]):
        self.expr = sp.sympify(expr)
        self.names = tuple(names)
        self.symbols = tuple(symbol(n) for n in self.names)
        self.gradient = tuple(derivative(self.expr, s) for s in self.symbols)
        # polynomials evaluate in decimal (fast); anything with functions in mpmath
        self.backend = _Dec if all(_polynomial(e) for e in (self.expr, *self.gradient)) else _Mp
        self._fast: tuple[Callable, Callable] | None = None
        self._rational_polys: _RationalPolynomials | None | bool = False  # built on first use

    @property
    def _rational(self) -> _RationalPolynomials | None:
        if self._rational_polys is False:
            self._rational_polys = _RationalPolynomials.of(self.expr, self.gradient, self.symbols)
        return self._rational_polys

    def _compiled(self):
        if self._fast is None:
            modules = [{"mpf": decimal.Decimal}, "mpmath"] if self.backend is _Dec else "mpmath"
            self._fast = (sp.lambdify(self.symbols, self.expr, modules),
                          sp.lambdify(self.symbols, list(self.gradient), modules))
        return self._fast

    def grad_exact(self, point) -> list:
        if self._rational is not None and all(v.is_Rational for v in point):
            return self._rational.gradient(point)
        sub = dict(zip(self.symbols, point))
        return [_real(tidy(g.xreplace(sub))) for g in self.gradient]

    def value_exact(self, point):
        if self._rational is not None and all(v.is_Rational for v in point):
            return self._rational.value(point)
        return _real(tidy(self.expr.xreplace(dict(zip(self.symbols, point)))))

    def grad_float(self, point) -> list:
        """∇f at a point of backend numbers (inside ``backend.context()``)."""
        try:
            return [self.backend.check(v) for v in self._compiled()[1](*point)]
        except (ZeroDivisionError, ValueError, OverflowError, ArithmeticError):
            raise Undefined from None

    def value_float(self, point):
        try:
            return self.backend.check(self._compiled()[0](*point))
        except (ZeroDivisionError, ValueError, OverflowError, ArithmeticError):
            raise Undefined from None

    def gradient_at(self, point):
        """∇f at a point of a trace (exact where the point is); None where it is undefined."""
        try:
            if all(not isinstance(v, sp.Float) for v in point):
                return self.grad_exact(point)
            with self.backend.context():
                return [to_sympy(v) for v in self.grad_float([self.backend.num(v) for v in point])]
        except Undefined:
            return None

    def value(self, point):
        """f at a point of a trace (exact or Float), exact where the point is."""
        if all(not isinstance(v, sp.Float) for v in point):
            v = self.value_exact(point)
            if is_readable(v):
                return v
        with self.backend.context():
            return to_sympy(self.value_float([self.backend.num(v) for v in point]))

    def values(self, points) -> list:
        """f along a whole trace: exact while the points are, then floating point."""
        out = []
        fast = False
        try:
            for p in points:
                if fast or any(isinstance(v, sp.Float) for v in p):
                    fast = True
                    with self.backend.context():
                        out.append(to_sympy(self.value_float([self.backend.num(v) for v in p])))
                else:
                    out.append(self.value(p))
        except Undefined:
            _undefined(len(out), points[len(out)], what="f")
        return out


@lru_cache(maxsize=64)
def objective(expr, names: tuple) -> Objective:
    """The ``Objective`` of f in these variables, made once: a problem's runs (compared rates, the
    misconceptions) share its gradient and its compiled evaluators."""
    return Objective(expr, names)


class _RationalPolynomials:
    """f and its gradient when they are polynomials with rational coefficients, evaluated at a
    rational point in Python fractions: the same Rational that ``xreplace`` gives, without building
    and canonicalising a SymPy tree per point (a long exact trace evaluates thousands)."""

    def __init__(self, polys):
        self.polys = polys  # f, then ∂f/∂x_i: each a list of (exponents, Fraction coefficient)

    @classmethod
    def of(cls, expr, gradient, symbols) -> _RationalPolynomials | None:
        polys = []
        for e in (expr, *gradient):
            if not _polynomial(e):
                return None
            try:
                poly = sp.Poly(e, *symbols)
            except sp.PolynomialError:
                return None
            if not all(c.is_Rational for c in poly.coeffs()):
                return None
            polys.append([(m, Fraction(int(c.p), int(c.q))) for m, c in poly.terms()])
        return cls(polys)

    @staticmethod
    def _at(terms, point):
        total = Fraction(0)
        for exponents, c in terms:
            for v, k in zip(point, exponents):
                if k:
                    c = c * v**k
            total += c
        return sp.Rational(total.numerator, total.denominator)

    def value(self, point):
        return self._at(self.polys[0], [Fraction(int(v.p), int(v.q)) for v in point])

    def gradient(self, point) -> list:
        point = [Fraction(int(v.p), int(v.q)) for v in point]
        return [self._at(terms, point) for terms in self.polys[1:]]


def _polynomial(expr) -> bool:
    """Only +, ×, whole powers, rationals and symbols (what decimal arithmetic evaluates)."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow):
            if not node.exp.is_Integer:
                return False
        elif not isinstance(node, (sp.Add, sp.Mul, sp.Symbol, sp.Rational)):
            return False
    return True


def _undefined(t, x, what="gradient"):
    point = ", ".join(sp.sstr(v) if isinstance(v, sp.Rational) else f"{float(v):.6g}" for v in x)
    if what == "overflow":
        raise Invalid("a run whose numbers stay below 10^1000000", f"an overflow at step {t}: the run diverges "
                      f"from x = ({point})", key="learning_rate")
    raise Invalid("f and its gradient defined (finite and real) along the path",
                  f"an undefined {what} at step {t}, x = ({point})", key="start")
