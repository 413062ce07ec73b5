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

import sympy as sp  # noqa: F401 - the doctests above use it

from hwcheck.optim.driver import RULES, Trace, run
from hwcheck.optim.numbers import (EXACT_DIGITS, RADICAL_DIGITS, WORK_DIGITS, Undefined, is_readable, tidy,
                                   to_dec, to_mp, to_sympy)
from hwcheck.optim.objective import Objective
from hwcheck.optim.quadratic import directions, mirrored, quadratic
from hwcheck.optim.settings import BIAS_KEYS, FORMS, OPTIMIZERS, STATE_KEYS, Settings, settings_from, with_sign
from hwcheck.optim.show import DETAIL_HEAD, DETAIL_TAIL, TABLE_HEAD, TABLE_TAIL, decimal_is_exact, shown_exact, window
from hwcheck.optim.stationary import critical_points, hessian_test, nearest_critical, stationary
from hwcheck.optim.verdicts import (Behaviour, Coordinate, coordinate, coordinates, differences, diverges, judge,
                                    monotone_decrease, norm, oscillates, rises, sign_changes)
