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
substituted with ``xreplace`` (a polynomial is evaluated in Python fractions),
floating points go through a lambdified function, so a 1,000-step trace costs
milliseconds, not seconds.

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
>>> from hwcheck.optim import Objective, Settings, run
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

import importlib

import sympy as sp  # noqa: F401 - the doctests above use it

# Each name and the module that defines it, loaded on first use (PEP 562): a kind that only reads
# a finished trace (shown_exact, the verdicts) does not pay for the driver, the objective and the
# stationary-point analysis. ``from hwcheck.optim import X`` works for every name here.
_HOME = {
    "driver": ("RULES", "Trace", "run"),
    "numbers": ("EXACT_DIGITS", "RADICAL_DIGITS", "WORK_DIGITS", "Undefined", "is_readable", "tidy", "to_dec",
                "to_mp", "to_sympy"),
    "objective": ("Objective", "objective"),
    "quadratics": ("directions", "mirrored", "quadratic"),
    "settings": ("BIAS_KEYS", "FORMS", "OPTIMIZERS", "STATE_KEYS", "Settings", "settings_from", "with_sign"),
    "show": ("DETAIL_HEAD", "DETAIL_TAIL", "TABLE_HEAD", "TABLE_TAIL", "decimal_is_exact", "shown_exact", "window"),
    "critical": ("critical_points", "hessian_test", "nearest_critical", "stationary"),
    "verdicts": ("Behaviour", "Coordinate", "coordinate", "coordinates", "differences", "diverges", "judge",
                 "monotone_decrease", "norm", "oscillates", "rises", "sign_changes"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'hwcheck.optim' has no attribute {name!r}")
    module = importlib.import_module(f"hwcheck.optim.{_MODULE_OF[name]}")
    for other in _HOME[_MODULE_OF[name]]:
        globals()[other] = getattr(module, other)  # found directly next time
    return globals()[name]


def __dir__():
    return sorted(set(globals()) | set(_MODULE_OF))
