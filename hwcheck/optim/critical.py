"""Where a run ends: the critical points of a one-variable polynomial, or the Hessian test (``stationary``)."""

from __future__ import annotations

import math

import mpmath
import sympy as sp

from hwcheck.expr import derivative
from hwcheck.interval import enclose
from hwcheck.nn import PRECISION
from hwcheck.optim.numbers import to_mp
from hwcheck.optim.objective import Objective
from hwcheck.optim.verdicts import Behaviour, _float


def _settled_number(v):
    """An exact number kept exact when it is rational, else a 50-digit Float."""
    v = sp.sympify(v)
    if v.is_Rational:
        return v
    return sp.Float(sp.N(v, PRECISION + 5), PRECISION)


def _at_root(poly, root):
    """``(c, f(c))`` at a ``CRootOf`` root c of f′: c as a 50-digit Float and f(c) to 55 digits, both
    from c found once to 60 digits (``_root_mp``) and f evaluated there in mpmath. f′(c) = 0, so an
    error δ in c moves f by about f″(c)·δ²/2, far below the last digit."""
    with mpmath.workdps(PRECISION + 10):
        c = _root_mp(root)
        value = mpmath.polyval([to_mp(a) for a in poly.all_coeffs()], c)
        return sp.Float(c, PRECISION), sp.Float(value, PRECISION + 5)


def _root_mp(root):
    """A real ``CRootOf`` to the working precision of mpmath. Its irreducible polynomial changes sign
    across the root's isolating interval (``Poly.intervals``), where Anderson–Björck's bracketing method
    converges fast and cannot leave; ``N`` would bisect the interval digit by digit (ten times slower)."""
    (a, b), _ = root.poly.intervals()[root.index]
    if a == b:
        return to_mp(a)
    coeffs = [to_mp(c) for c in root.poly.all_coeffs()]
    try:
        return mpmath.findroot(lambda z: mpmath.polyval(coeffs, z), (to_mp(a), to_mp(b)), solver="anderson")
    except (ValueError, ZeroDivisionError):  # not within tolerance: bisect exactly instead
        return to_mp(sp.N(root, mpmath.mp.dps + 5))


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
        if isinstance(root, sp.CRootOf):
            x, value = _at_root(poly, root)
        else:
            x = root if root.is_Rational else _settled_number(root)
            value = poly.as_expr().subs(s, root)
        if m % 2 == 0:
            kind = "flat"  # f′ does not change sign: neither a minimum nor a maximum
        else:
            higher = poly.diff((s, m + 1))
            kind = "local_min" if _positive_at(higher, root, x) else "local_max"
        points.append({"x": x, "exact": root, "value": _settled_number(value), "kind": kind})
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


def _positive_at(poly, root, approx) -> bool:
    """poly(root) > 0, for a root where poly is not 0 (f^(m+1) at a root of f′ of multiplicity m).

    The 50-digit ``approx`` of an irrational root is within 10^-45 of it (relative), so interval
    arithmetic over that neighbourhood gives the sign at once unless poly is nearly 0 there; only
    then is the exact value evaluated to 30 digits."""
    if root.is_Rational:
        return poly.eval(root) > 0
    (s,) = poly.gens
    r = sp.Rational(approx)
    near = (r - abs(r) / 10**45 - sp.Rational(1, 10**45), r + abs(r) / 10**45 + sp.Rational(1, 10**45))
    bounds = enclose(poly.as_expr(), {s: near})
    if bounds is not None and (bounds[0] > 0 or bounds[1] < 0):
        return bounds[0] > 0
    return sp.N(poly.as_expr().subs(s, root), 30) > 0


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
