"""First-order optimizers in the slides' notation, run exactly while readable.

One driver (``run``) applies one local update rule per step (``RULES``). The
rules are written once, over whatever numbers the driver hands them:

* **exact** SymPy numbers (rationals, radicals, ``exp(1/2)``) while every new
  value stays readable: a rational with at most ``EXACT_DIGITS`` digits in its
  numerator and denominator, or a short radical/transcendental form
  (``hwcheck.nn.readable``);
* otherwise, from the first step whose exact values would grow past that,
  floating point with ``WORK_DIGITS`` digits, rounded once to
  ``nn.PRECISION`` (50) significant digits when the trace is returned:
  Python's ``decimal`` (C-fast) when f is a polynomial or the gradients are
  given, mpmath when f has exp, tanh, sqrt and the like.

The gradient is differentiated once (``Objective``); exact points are
substituted with ``xreplace``, floating points go through a lambdified
function, so a 1,000-step trace costs milliseconds, not seconds.

Rules (``x`` the point, ``g`` the gradient, ``α`` the learning rate; vectors
elementwise; ``t`` counts steps from 1):

* ``sgd``: x ← x − α g
* ``momentum``: gradient form v ← ρ v + g, x ← x − α v; velocity form
  v ← ρ v − α g, x ← x + v (the same iterates: v_velocity = −α v_gradient)
* ``nesterov``: the gradient is taken at the look-ahead point x + ρ v
  (velocity form; x − α ρ v in the gradient form), then as momentum
* ``adagrad``: s ← s + g², x ← x − α g / (√s + ε)
* ``rmsprop``: s ← d s + (1 − d) g², x ← x − α g / (√s + ε)
* ``adam``: m ← β₁ m + (1 − β₁) g, s ← β₂ s + (1 − β₂) g²; with bias
  correction m̂ = m / (1 − β₁ᵗ), ŝ = s / (1 − β₂ᵗ); x ← x − α m̂ / (√ŝ + ε)

>>> from hwcheck.expr import parse_expr
>>> f = Objective(parse_expr("x**2/2 + 5*y**2"), ["x", "y"])
>>> f.gradient
(x, 10*y)
>>> trace = run("momentum", [1, 1], Settings(learning_rate=sp.Rational(1, 10)), 2, objective=f)
>>> trace.iterates
[[1, 1], [9/10, 0], [18/25, -9/10]]
>>> trace.states[1]
{'velocity': [9/5, 9]}
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import mpmath
import sympy as sp
from sympy.core.expr import Expr

from hwcheck.errors import Invalid
from hwcheck.expr import derivative, symbol
from hwcheck.nn import PRECISION, readable

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
FORMS = ("gradient", "velocity")
EXACT_DIGITS = 40  # digits of a numerator or denominator kept exact
RADICAL_DIGITS = 12  # digits of the rationals inside a radical form kept exact
WORK_DIGITS = PRECISION + 10  # guard digits while iterating in floating point

# The state each optimizer keeps, named as in the slides' code.
STATE_KEYS = {
    "sgd": (),
    "momentum": ("velocity",),
    "nesterov": ("velocity",),
    "adagrad": ("grad_squared",),
    "rmsprop": ("grad_squared",),
    "adam": ("first_moment", "second_moment"),
}
BIAS_KEYS = ("first_unbias", "second_unbias")


@dataclass(frozen=True)
class Settings:
    """Hyperparameters, exact SymPy numbers (defaults as in the slides)."""

    learning_rate: Any
    rho: Any = sp.Rational(9, 10)
    momentum_form: str = "gradient"
    decay_rate: Any = sp.Rational(99, 100)
    beta1: Any = sp.Rational(9, 10)
    beta2: Any = sp.Rational(999, 1000)
    eps: Any = sp.Rational(1, 10**7)
    bias_correction: bool = True
    sign: int = 1  # -1 runs the rule on -f: gradient ascent (a misconception)

    def numbers(self) -> dict:
        return {k: getattr(self, k) for k in ("learning_rate", "rho", "decay_rate", "beta1", "beta2", "eps")}


class Undefined(Exception):
    """f or its gradient is not a finite real number at a point of the path."""


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

    def _compiled(self):
        if self._fast is None:
            modules = [{"mpf": decimal.Decimal}, "mpmath"] if self.backend is _Dec else "mpmath"
            self._fast = (sp.lambdify(self.symbols, self.expr, modules),
                          sp.lambdify(self.symbols, list(self.gradient), modules))
        return self._fast

    def grad_exact(self, point) -> list:
        sub = dict(zip(self.symbols, point))
        return [_real(tidy(g.xreplace(sub))) for g in self.gradient]

    def value_exact(self, point):
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


def _polynomial(expr) -> bool:
    """Only +, ×, whole powers, rationals and symbols (what decimal arithmetic evaluates)."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow):
            if not node.exp.is_Integer:
                return False
        elif not isinstance(node, (sp.Add, sp.Mul, sp.Symbol, sp.Rational)):
            return False
    return True


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
    """A canonical exact form: radicals expanded and denominators rationalised."""
    v = sp.sympify(v)
    if v.is_Rational or v.has(sp.Function) or v.has(sp.E):
        return v
    return sp.radsimp(sp.expand(v))


def is_readable(v) -> bool:
    """Keep ``v`` exact? Short rationals, short readable radical forms."""
    if isinstance(v, sp.Float):
        return False
    if v.is_Rational:
        return len(str(abs(v.p))) <= EXACT_DIGITS and len(str(v.q)) <= EXACT_DIGITS
    return readable(v) and all(len(str(abs(r.p))) <= RADICAL_DIGITS and len(str(r.q)) <= RADICAL_DIGITS
                               for r in v.atoms(sp.Rational))


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


# -- the update rules: one step each, from the immediate inputs only ------------------

def _sgd(x, state, grad, t, h, ops):
    g = grad(x)
    return [xi - h["learning_rate"] * gi for xi, gi in zip(x, g)], {}, {"gradient": g}


def _momentum(x, state, grad, t, h, ops, nesterov=False):
    rho, alpha = h["rho"], h["learning_rate"]
    v = state["velocity"]
    velocity_form = h["momentum_form"] == "velocity"
    lookahead = None
    if nesterov:
        # look ahead along the velocity: x + ρv (velocity form), x − αρv (gradient form)
        lookahead = [xi + rho * vi if velocity_form else xi - alpha * rho * vi for xi, vi in zip(x, v)]
    g = grad(lookahead if nesterov else x)
    if velocity_form:
        v_new = [rho * vi - alpha * gi for vi, gi in zip(v, g)]  # v ← ρv − αg
        x_new = [xi + vi for xi, vi in zip(x, v_new)]  # x ← x + v
    else:
        v_new = [rho * vi + gi for vi, gi in zip(v, g)]  # v ← ρv + g
        x_new = [xi - alpha * vi for xi, vi in zip(x, v_new)]  # x ← x − αv
    info = {"gradient": g}
    if nesterov:
        info["lookahead"] = lookahead
    return x_new, {"velocity": v_new}, info


def _adaptive(x, s, g, h, ops, scale=None):
    """x − α g / (√s + ε) elementwise; the denominators for the explanation."""
    denom = [ops.sqrt(si) + h["eps"] for si in s]
    step = [ops.div(h["learning_rate"] * gi, di) for gi, di in zip(g, denom)]
    return [xi - si for xi, si in zip(x, step)], denom


def _adagrad(x, state, grad, t, h, ops):
    g = grad(x)
    s = [si + gi * gi for si, gi in zip(state["grad_squared"], g)]  # grad_squared += dx * dx
    x_new, denom = _adaptive(x, s, g, h, ops)
    return x_new, {"grad_squared": s}, {"gradient": g, "denominator": denom}


def _rmsprop(x, state, grad, t, h, ops):
    d = h["decay_rate"]
    g = grad(x)
    s = [d * si + (1 - d) * gi * gi for si, gi in zip(state["grad_squared"], g)]
    x_new, denom = _adaptive(x, s, g, h, ops)
    return x_new, {"grad_squared": s}, {"gradient": g, "denominator": denom}


def _adam(x, state, grad, t, h, ops):
    b1, b2 = h["beta1"], h["beta2"]
    g = grad(x)
    m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(state["first_moment"], g)]
    s = [b2 * si + (1 - b2) * gi * gi for si, gi in zip(state["second_moment"], g)]
    new_state = {"first_moment": m, "second_moment": s}
    if h["bias_correction"]:
        c1, c2 = 1 - b1**t, 1 - b2**t  # the moments start at 0: divide out the bias
        m_hat = [ops.div(mi, c1) for mi in m]
        s_hat = [ops.div(si, c2) for si in s]
        new_state.update({"first_unbias": m_hat, "second_unbias": s_hat})
    else:
        m_hat, s_hat = m, s
    x_new, denom = _adaptive(x, s_hat, m_hat, h, ops)
    return x_new, new_state, {"gradient": g, "denominator": denom}


RULES = {
    "sgd": _sgd,
    "momentum": _momentum,
    "nesterov": lambda *a: _momentum(*a, nesterov=True),
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adam": _adam,
}


# -- the driver ----------------------------------------------------------------------

@dataclass
class Trace:
    """A whole run; every number a SymPy number (exact, or a 50-digit Float)."""

    optimizer: str
    iterates: list  # steps + 1 points, each a list
    gradients: list  # the gradient used at each step (at the look-ahead point for Nesterov)
    states: list  # one map per step, the optimizer's state after it
    raw_info: list = field(default_factory=list)  # per step: lookahead, denominator (as computed)
    exact_steps: int = 0  # steps computed exactly before switching to floating point

    def detail(self, t: int) -> dict:
        """Extra values of step ``t`` (1-based) for the explanation, as SymPy numbers."""
        return {k: [to_sympy(v) for v in vs] for k, vs in self.raw_info[t - 1].items() if k != "gradient"}

    @property
    def exact(self) -> bool:
        return self.exact_steps == len(self.gradients)


def _initial_state(optimizer: str, dim: int, settings: Settings) -> dict:
    keys = STATE_KEYS[optimizer]
    return {k: [sp.Integer(0)] * dim for k in keys}


def run(optimizer: str, start: Sequence, settings: Settings, steps: int, *,
        objective: Objective | None = None, gradients: Sequence | None = None) -> Trace:
    """Run ``steps`` updates from ``start`` with the gradient of ``objective`` or the given ``gradients``.

    Raises ``Invalid`` (key ``start``) when f or its gradient is undefined on the path.
    """
    if optimizer not in RULES:
        raise ValueError(optimizer)
    rule = RULES[optimizer]
    sign = settings.sign
    exact_h = settings.numbers() | {"momentum_form": settings.momentum_form,
                                    "bias_correction": settings.bias_correction}
    x = [sp.sympify(v) for v in start]
    state = _initial_state(optimizer, len(x), settings)
    iterates, grads, states, infos = [x], [], [], []
    exact = True
    exact_steps = 0
    flt = objective.backend if objective is not None else _Dec
    with flt.context():
        flt_h = {k: (flt.num(v) if k in settings.numbers() else v) for k, v in exact_h.items()}
        for t in range(1, steps + 1):
            if exact:
                def grad(p, t=t):
                    if gradients is not None:
                        return [sign * sp.sympify(v) for v in gradients[t - 1]]
                    return [sign * v for v in objective.grad_exact(p)]
                candidate = None
                try:
                    candidate = rule(x, state, grad, t, exact_h, _Exact)
                    x_new, new_state, info = candidate
                    values = x_new + [v for vs in new_state.values() for v in vs] + info["gradient"]
                    if all(is_readable(v) for v in values):
                        x, state = x_new, new_state
                        iterates.append(x), grads.append(info["gradient"]), states.append(state)
                        infos.append(info)
                        exact_steps = t
                        continue
                except Undefined:
                    _undefined(t, x)
                # the exact forms grow past readable: go on in floating point from here
                exact = False
                x = [flt.num(v) for v in x]
                state = {k: [flt.num(v) for v in vs] for k, vs in state.items()}

            def grad_float(p, t=t):
                if gradients is not None:
                    return [sign * flt.num(v) for v in gradients[t - 1]]
                return [sign * v for v in objective.grad_float(p)]
            try:
                x, state, info = rule(x, state, grad_float, t, flt_h, flt)
            except Undefined:
                _undefined(t, iterates[-1])
            except (ArithmeticError, ValueError):  # decimal overflow: |x| beyond 10^1000000
                _undefined(t, iterates[-1], what="overflow")
            if candidate is not None:
                # the step where exact forms grew too long: values still readable stay exact
                (ex, es, ei), candidate = candidate, None
                iterates.append(_merge(ex, x)), grads.append(_merge(ei["gradient"], info["gradient"]))
                states.append({k: _merge(es[k], state[k]) for k in state})
                infos.append({k: _merge(ei[k], info[k]) for k in info})
                continue
            iterates.append(x), grads.append(info["gradient"]), states.append(state), infos.append(info)
    conv = _converter()
    return Trace(
        optimizer=optimizer,
        iterates=[conv(p) for p in iterates],
        gradients=[conv(g) for g in grads],
        states=[{k: conv(v) for k, v in s.items()} for s in states],
        raw_info=infos,
        exact_steps=exact_steps,
    )


def _merge(exact_values, mp_values) -> list:
    return [e if is_readable(e) else m for e, m in zip(exact_values, mp_values)]


def _converter():
    def conv(values):
        return [to_sympy(v) for v in values]
    return conv


def _undefined(t, x, what="gradient"):
    point = ", ".join(sp.sstr(v) if isinstance(v, sp.Rational) else f"{float(v):.6g}" for v in x)
    if what == "overflow":
        raise Invalid("a run whose numbers stay below 10^1000000", f"an overflow at step {t}: the run diverges "
                      f"from x = ({point})", key="learning_rate")
    raise Invalid("f and its gradient defined (finite and real) along the path",
                  f"an undefined {what} at step {t}, x = ({point})", key="start")


def settings_from(given, **override) -> Settings:
    """Settings from a spec's given (keys missing from a kind keep their defaults)."""
    names = ("learning_rate", "rho", "momentum_form", "decay_rate", "beta1", "beta2", "eps", "bias_correction")
    values = {k: given[k] for k in names if k in given and given[k] is not None}
    values.update({k: v for k, v in override.items() if v is not None})
    return Settings(**values)


def with_sign(settings: Settings, sign: int) -> Settings:
    return replace(settings, sign=sign)


def norm(vector) -> float:
    """The Euclidean norm as a float (for judging behaviour, never for answers)."""
    total = 0.0
    for v in vector:
        try:
            total += float(v) ** 2
        except OverflowError:
            return math.inf
    return math.sqrt(total)


# -- reading a trace: which steps to show, how the run behaves ------------------------

DETAIL_HEAD, DETAIL_TAIL = 3, 2  # steps worked in full when there are many
TABLE_HEAD, TABLE_TAIL = 6, 4  # rows of the iterate table when there are many


def window(steps: int, head: int = DETAIL_HEAD, tail: int = DETAIL_TAIL) -> list:
    """The step numbers to show: all of 1..steps, or the first and last few with ``None`` between.

    >>> window(4), window(100)
    ([1, 2, 3, 4], [1, 2, 3, None, 99, 100])
    """
    if steps <= head + tail + 1:
        return list(range(1, steps + 1))
    return list(range(1, head + 1)) + [None] + list(range(steps - tail + 1, steps + 1))


def quadratic(objective: Objective, learning_rate) -> dict | None:
    """For a quadratic f (degree ≤ 2): the Hessian, its eigenvalues, L, and what γ does.

    Gradient descent on a quadratic is linear: the error e_t = x_t − x* obeys
    e_{t+1} = (I − γH) e_t, so along an eigenvector with eigenvalue λ it is
    multiplied by 1 − γλ each step; |1 − γL| < 1 needs γ < 2/L.

    >>> from hwcheck.expr import parse_expr
    >>> q = quadratic(Objective(parse_expr("x**2/2 + 10*y**2"), ["x", "y"]), sp.Rational(1, 20))
    >>> q["L"], q["threshold"], q["regime"], q["factor"]
    (20, 1/10, 'converges', 19/20)
    """
    syms = objective.symbols
    if not syms or len(syms) > 4:
        return None
    try:
        poly = sp.Poly(objective.expr, *syms)
    except sp.PolynomialError:
        return None
    if poly.total_degree() > 2 or any(not c.is_number for c in poly.coeffs()):
        return None
    H = sp.ImmutableMatrix(sp.hessian(objective.expr, syms))
    try:
        eigen = H.eigenvals()
    except Exception:  # noqa: BLE001 - an eigenvalue SymPy cannot write in radicals
        return None
    lams = sorted((sp.nsimplify(sp.radsimp(v)) if not v.is_Rational else v for v in eigen),
                  key=lambda v: float(sp.N(v, 30)))
    L, mu = lams[-1], lams[0]
    gamma = sp.sympify(learning_rate)
    factors = [sp.Abs(1 - gamma * lam) for lam in lams]
    factor = max(factors, key=lambda v: float(sp.N(v, 30)))
    if L <= 0:
        regime, threshold = "no_curvature" if L == 0 else "concave", None
    else:
        threshold = sp.Rational(2) / L
        gap = sp.N(gamma - threshold, 30)
        if mu < 0:
            regime = "saddle"
        elif gap > 0:
            regime = "diverges"
        elif gap == 0 or sp.simplify(gamma - threshold) == 0:
            regime = "oscillates"
        elif mu == 0:
            regime = "flat"
        else:
            regime = "converges"
    diagonal = H.is_diagonal()
    out = {"hessian": H, "eigenvalues": lams, "L": L, "mu": mu, "threshold": threshold,
           "factor": factor, "regime": regime, "gamma": gamma, "condition": None,
           "best_rate": None, "steps_per_digit": None, "diagonal": diagonal,
           "axes": {objective.names[i]: H[i, i] for i in range(H.shape[0])} if diagonal else None,
           "minimiser": None, "directions": directions(lams, gamma)}
    if H.det() != 0:
        # ∇f(x) = H x + ∇f(0) = 0 at the one stationary point x* = −H⁻¹ ∇f(0)
        g0 = sp.Matrix([g.xreplace({s: 0 for s in syms}) for g in objective.gradient])
        out["minimiser"] = [tidy(v) for v in -(H.inv() * g0)]
    if mu > 0:
        out["condition"] = L / mu
        out["best_rate"] = sp.Rational(2) / (L + mu)  # minimises max |1 − γλ|
        f = float(sp.N(factor, 30))
        if 0 < f < 1:
            out["steps_per_digit"] = math.ceil(math.log(10) / -math.log(f))
    return out


# -- verdicts on a run, each taken from the iterates or the f values ---------------------

def differences(values) -> list:
    """Successive differences v_t − v_{t−1} (exact where the values are).

    >>> differences([9, 4, 5])
    [-5, 1]
    """
    return [sp.sympify(b) - sp.sympify(a) for a, b in zip(values, values[1:])]


def _sign(v) -> int:
    x = _float(v)
    return (x > 0) - (x < 0)


def sign_changes(values) -> int:
    """How often the sign changes along a sequence (zeros are skipped).

    >>> sign_changes([1, -2, 0, 3, 4, -1])
    3
    """
    signs = [s for s in (_sign(v) for v in values) if s]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def rises(values) -> int:
    """The number of steps at which the value goes up.

    >>> rises([9, 4, 5, 1, 2])
    2
    """
    return sum(1 for d in differences(values) if _sign(d) > 0)


def monotone_decrease(values) -> bool:
    """True when the value never goes up: v_{t+1} ≤ v_t at every step.

    >>> monotone_decrease([9, 4, 4, 1]), monotone_decrease([9, 4, 5])
    (True, False)
    """
    return rises(values) == 0


def oscillates(values) -> bool:
    """The value goes down and up by turns: its differences change sign at least twice.

    >>> oscillates([5, 3, 4, 2, 3]), oscillates([5, 3, 4, 1]), oscillates([4, 2, 1])
    (True, True, False)
    """
    return sign_changes(differences(values)) >= 2


def diverges(values, norms=None) -> bool:
    """f ends above where it started and is still rising (or is not finite).

    >>> diverges([1, 2, 4]), diverges([4, 5, 1]), diverges([1, 0.5, 0.25])
    (True, False, False)
    """
    fs = [_float(v) for v in values]
    if not fs:
        return False
    if not all(math.isfinite(v) for v in fs):
        return True
    return len(fs) > 1 and fs[-1] > fs[0] and fs[-1] > fs[-2]


@dataclass(frozen=True)
class Coordinate:
    """How one coordinate moves along a run, from its steps d_t = x_t − x_{t−1}."""

    name: str
    moves: int  # steps that change it
    flips: int  # sign changes of its step: it turned back (overshot) that often
    alternating: bool  # its step changes sign at every step
    factor: Any  # d_{t+1}/d_t when that ratio is the same at every step (exact if the steps are), else None
    ratio: float | None  # the mean size |d_{t+1}/d_t| (geometric), None with fewer than two moves
    trend: str  # still, settles (stops moving), shrinks, grows, steady
    settled_at: int | None  # the last step that moved it, when it stops moving

    @property
    def overshoots(self) -> bool:
        return self.flips > 0


def coordinate(name: str, values) -> Coordinate:
    """The behaviour of one coordinate from its values x_0 ... x_T.

    On a quadratic with a diagonal Hessian every step is 1 − γλ times the one
    before, so the factor is exact:

    >>> c = coordinate("y", [1, sp.Rational(-11, 10), sp.Rational(121, 100), sp.Rational(-1331, 1000)])
    >>> c.factor, c.flips, c.alternating, c.trend
    (-11/10, 2, True, 'grows')
    >>> coordinate("y", [1, 0, 0, 0]).trend, coordinate("x", [1, 1]).trend
    ('settles', 'still')
    """
    d = differences(values)
    moving = [k for k, v in enumerate(d) if v != 0]
    flips = sign_changes(d)
    if not moving:
        return Coordinate(name, 0, 0, False, None, None, "still", None)
    last = moving[-1]
    settled = last < len(d) - 1
    active = d[moving[0]: last + 1]
    alternating = len(active) >= 2 and flips == len(active) - 1 and all(v != 0 for v in active)
    factor, ratio = None, None
    if len(active) >= 2 and all(v != 0 for v in active):
        ratios = [b / a for a, b in zip(active, active[1:])]
        if all(not isinstance(r, sp.Float) for r in ratios) and all(r == ratios[0] for r in ratios):
            factor = ratios[0]
        elif all(abs(_float(r) - _float(ratios[0])) <= 1e-20 * max(1.0, abs(_float(ratios[0]))) for r in ratios):
            factor = to_sympy(to_mp(ratios[0])) if not ratios[0].is_Rational else ratios[0]
        first, final = abs(_float(active[0])), abs(_float(active[-1]))
        if first > 0 and final > 0 and math.isfinite(first) and math.isfinite(final):
            ratio = (final / first) ** (1 / (len(active) - 1))
        elif final == math.inf:
            ratio = math.inf
    if settled:
        trend = "settles"
    elif ratio is None:
        trend = "steady"
    elif ratio < 1 - 1e-9:
        trend = "shrinks"
    elif ratio > 1 + 1e-9:
        trend = "grows"
    else:
        trend = "steady"
    return Coordinate(name, len(moving), flips, alternating, factor, ratio, trend,
                      last + 1 if settled else None)


def coordinates(iterates, names) -> list[Coordinate]:
    """``coordinate`` for each coordinate of a trace of points."""
    return [coordinate(n, [p[i] for p in iterates]) for i, n in enumerate(names)]


def directions(eigenvalues, gamma) -> list[dict]:
    """Per eigen-direction of a quadratic: the factor q = 1 − γλ that multiplies the error there
    at every step, and what it does (shrinks / flips: overshoots / grows / stays).

    >>> [(d["factor"], d["shrinks"], d["flips"]) for d in directions([1, 20], sp.Rational(21, 200))]
    [(179/200, True, False), (-11/10, False, True)]
    """
    out = []
    for lam in eigenvalues:
        q = tidy(1 - sp.sympify(gamma) * lam)
        size = sp.N(abs(q), 30)
        out.append({"lam": lam, "factor": q, "shrinks": bool(size < 1), "grows": bool(size > 1),
                    "flips": bool(sp.N(q, 30) < 0), "zero": q == 0})
    return out


def mirrored(factors_a, factors_b) -> bool:
    """Two learning rates whose factors 1 − γλ are opposite in every direction: their errors are
    equal in size at every step and equal outright after an even number of steps.

    >>> mirrored([sp.Rational(4, 5)], [sp.Rational(-4, 5)]), mirrored([1], [1])
    (True, False)
    """
    return len(factors_a) == len(factors_b) and all(
        a != 0 and sp.simplify(a + b) == 0 for a, b in zip(factors_a, factors_b))


@dataclass(frozen=True)
class Behaviour:
    """What the run did, judged from its numbers (floats, for words only)."""

    status: str  # diverged, converged, stalled, no_progress, progressing, stationary_start
    start_norm: float
    final_norm: float
    final_gradient_norm: float | None
    last_step: float
    f_start: float | None
    f_final: float | None
    reversals: int  # successive steps pointing in opposite directions
    increases: int  # steps where f went up
    monotone: bool = True  # f never went up
    level: int = 0  # steps where f stayed exactly where it was
    f_oscillates: bool = False  # f went down and up by turns
    coordinates: tuple = ()  # a Coordinate per coordinate (when names are given)

    GRADIENT_TINY = 1e-6
    STEP_TINY = 1e-6
    GROWTH = 10.0


def judge(iterates, gradients, f_values=None, final_gradient=None, names=None) -> Behaviour:
    """Diverged (‖x‖ grows tenfold, or f ends above f(x_0) and still rising), converged (∇f ≈ 0),
    stalled (tiny steps), or still going; with whether f fell at every step, and how each
    coordinate moved (``coordinates``)."""
    fl = [[_float(v) for v in p] for p in iterates]
    x0, xT = norm(iterates[0]), norm(iterates[-1])
    steps = [[b - a for a, b in zip(p, q)] for p, q in zip(fl, fl[1:])]
    last = math.sqrt(sum(d * d for d in steps[-1])) if steps else 0.0
    reversals = sum(1 for d1, d2 in zip(steps, steps[1:]) if sum(a * b for a, b in zip(d1, d2)) < 0)
    fs = [_float(v) for v in f_values] if f_values is not None else None
    increases = sum(1 for a, b in zip(fs, fs[1:]) if b > a) if fs else 0
    g_final = norm(final_gradient) if final_gradient is not None else None
    g_first = norm(gradients[0]) if gradients else None
    if g_first == 0 and all(norm(g) == 0 for g in gradients):
        status = "stationary_start"
    elif not math.isfinite(xT) or xT >= Behaviour.GROWTH * max(1.0, x0) and xT > norm(iterates[-2]) or (
            fs and (not math.isfinite(fs[-1]) or fs[-1] > fs[0] and fs[-1] > fs[-2])):
        # ‖x‖ blew up, or f ends above where it started and is still rising
        status = "diverged"
    elif g_final is not None and g_final <= Behaviour.GRADIENT_TINY:
        status = "converged"
    elif last <= Behaviour.STEP_TINY * max(1.0, xT):
        status = "stalled"
    elif fs and fs[-1] >= fs[0]:
        status = "no_progress"  # f ends no lower than it started (a bounce at γ = 2/L, a climb)
    else:
        status = "progressing"
    return Behaviour(status, x0, xT, g_final, last, fs[0] if fs else None, fs[-1] if fs else None,
                     reversals, increases, monotone=increases == 0,
                     level=sum(1 for d in differences(f_values) if d == 0) if f_values else 0,
                     f_oscillates=bool(f_values) and oscillates(f_values),
                     coordinates=tuple(coordinates(iterates, names)) if names else ())


def _float(v) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf


def shown_exact(values) -> bool:
    """Does the number policy show this whole answer exactly (every entry short)? Then each of its
    values is shown exactly in the worked steps too; otherwise every value as a decimal, as the
    Answers show it (``render.tex`` applies the policy to a whole container at once).

    >>> shown_exact([[1, sp.Rational(1, 2)], [0]]), shown_exact([sp.Rational(1, 3), sp.Rational(1, 12345)])
    (True, False)
    """
    from hwcheck.render import is_short

    def leaves(v):
        if isinstance(v, (list, tuple)):
            for e in v:
                yield from leaves(e)
        elif isinstance(v, dict):
            for e in v.values():
                yield from leaves(e)
        elif v is not None:
            yield v
    return all(is_short(v) for v in leaves(values))


def decimal_is_exact(v) -> bool:
    """Is the decimal that ``render.dec`` prints for ``v`` exactly ``v``? (Then ``=`` may precede
    it; a rounded one is written after ``\\approx``.)

    >>> decimal_is_exact(sp.Rational(1, 8)), decimal_is_exact(sp.Rational(1, 3))
    (True, False)
    """
    from hwcheck.render import dec

    text = dec(v)
    if "times" in text:
        mantissa, exponent = text.split(r" \times 10^")
        shown = sp.Rational(mantissa) * sp.Integer(10) ** int(exponent.strip("{}"))
    else:
        shown = sp.Rational(text)
    return sp.sympify(v) == shown


# -- stationary points -----------------------------------------------------------------

def _settled_number(v):
    """An exact number kept exact when it is rational, else a 50-digit Float."""
    v = sp.sympify(v)
    if v.is_Rational:
        return v
    return sp.Float(sp.N(v, PRECISION + 5), PRECISION)


def critical_points(objective: Objective) -> dict | None:
    """For a polynomial f of one variable (degree ≥ 3): every real critical point, found exactly,
    classified, and the global minimum (None when f is unbounded below).

    A root c of f′ of multiplicity m is an extremum when m is odd; the sign of f^(m+1)(c)
    then says minimum (> 0) or maximum (< 0). Roots are exact (``real_roots``); values that
    are not rational are 50-digit Floats.

    >>> from hwcheck.expr import parse_expr
    >>> cp = critical_points(Objective(parse_expr("x**4 - 3*x**2 + x"), ["x"]))
    >>> [(p["kind"], round(float(p["x"]), 4)) for p in cp["points"]], cp["global_min"]
    ([('local_min', -1.3008), ('local_max', 0.1699), ('local_min', 1.1309)], 0)
    >>> critical_points(Objective(parse_expr("x**3 - 3*x"), ["x"]))["global_min"] is None
    True
    """
    if len(objective.symbols) != 1:
        return None
    (s,) = objective.symbols
    try:
        poly = sp.Poly(objective.expr, s)
    except sp.PolynomialError:
        return None
    if poly.degree() < 3 or not all(c.is_Rational for c in poly.all_coeffs()):
        return None
    dpoly = poly.diff(s)
    roots = dpoly.real_roots()
    points = []
    for root in dict.fromkeys(roots):  # distinct, in increasing order
        m = roots.count(root)
        if m % 2 == 0:
            kind = "flat"  # f′ does not change sign: neither a minimum nor a maximum
        else:
            higher = poly.diff((s, m + 1)).as_expr().subs(s, root)
            kind = "local_min" if sp.N(higher, 30) > 0 else "local_max"
        value = poly.as_expr().subs(s, root)
        points.append({"x": root if root.is_Rational else _settled_number(root), "exact": root,
                       "value": _settled_number(value), "kind": kind})
    lead = poly.LC()
    bounded = poly.degree() % 2 == 0 and lead > 0
    global_min = None
    if bounded:
        minima = [k for k, p in enumerate(points) if p["kind"] == "local_min"]
        global_min = min(minima, key=lambda k: (points[k]["value"], k))
        for p in points:
            if p["kind"] == "local_min" and p is not points[global_min] and p["value"] == points[global_min]["value"]:
                p["kind"] = "global_min_tie"
    return {"name": objective.names[0], "points": points, "global_min": global_min, "bounded": bounded,
            "degree": poly.degree()}


def nearest_critical(cp: dict, point) -> int | None:
    """The index of the critical point the run ends at: the nearest one, when the final point is
    closer to it than a tenth of the gap to any other (and within 10⁻³ of it)."""
    if not cp or not cp["points"]:
        return None
    x = _float(point[0])
    xs = [_float(p["x"]) for p in cp["points"]]
    k = min(range(len(xs)), key=lambda i: abs(xs[i] - x))
    gap = min((abs(xs[k] - xs[j]) for j in range(len(xs)) if j != k), default=math.inf)
    dist = abs(xs[k] - x)
    return k if dist <= 1e-3 * max(1.0, abs(xs[k])) and dist < gap / 10 else None


def hessian_test(objective: Objective, point) -> dict | None:
    """The Hessian at a point and what its eigenvalues say: minimum (all > 0), maximum (all < 0),
    saddle (both signs) or undecided (a zero eigenvalue). None when f has more than 4 variables
    or the Hessian is not finite there.

    >>> from hwcheck.expr import parse_expr
    >>> hessian_test(Objective(parse_expr("x**2 - y**2"), ["x", "y"]), [0, 0])["kind"]
    'saddle'
    """
    if not 1 <= len(objective.symbols) <= 4:
        return None
    H = sp.hessian(objective.expr, objective.symbols)
    sub = dict(zip(objective.symbols, point))
    try:
        with mpmath.workdps(40):
            M = mpmath.matrix([[to_mp(sp.N(H[i, j].xreplace(sub), 45)) for j in range(H.shape[1])]
                               for i in range(H.shape[0])])
            lams = sorted(mpmath.eigsy(M)[0])
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None
    if not all(mpmath.isfinite(v) for v in lams):
        return None
    tiny = mpmath.mpf(10) ** -25 * max(1, max(abs(v) for v in lams))
    signs = [0 if abs(v) <= tiny else (1 if v > 0 else -1) for v in lams]
    if all(s > 0 for s in signs):
        kind = "minimum"
    elif all(s < 0 for s in signs):
        kind = "maximum"
    elif 1 in signs and -1 in signs:
        kind = "saddle"
    else:
        kind = "undecided"
    return {"eigenvalues": [sp.Float(mpmath.nstr(v, 30), 30) if signs[i] else sp.Integer(0)
                            for i, v in enumerate(lams)], "kind": kind}


def stationary(objective: Objective, iterates, behaviour: Behaviour, hessian: bool = True) -> dict | None:
    """Where a run ends, classified, for the explanation: every critical point of a one-variable
    polynomial (which one the run reached; local or global minimum), or, when the run converged,
    the Hessian test at its limit (``hessian=False`` skips it, e.g. when a quadratic's analysis
    already says it). None when neither applies."""
    cp = critical_points(objective)
    data = {"cp": None, "reached": None, "status": behaviour.status, "start": iterates[0],
            "final": iterates[-1], "second": None, "fprime": None, "hessian": None}
    if cp is not None:
        reached = None if behaviour.status == "diverged" else nearest_critical(cp, iterates[-1])
        return data | {"cp": cp, "reached": reached, "fprime": objective.gradient[0],
                       "second": derivative(objective.gradient[0], objective.symbols[0])}
    if hessian and behaviour.status == "converged":
        test = hessian_test(objective, iterates[-1])
        if test is not None:
            return data | {"hessian": test}
    return None
