"""Verdicts on a run, each taken from the iterates or the f values (floats, for words only)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sympy as sp

from hwcheck.optim.numbers import to_mp, to_sympy


def norm(vector) -> float:
    """The Euclidean norm as a float (for judging behaviour, never for answers)."""
    total = 0.0
    for v in vector:
        try:
            total += float(v) ** 2
        except OverflowError:
            return math.inf
    return math.sqrt(total)


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
