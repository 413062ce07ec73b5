"""Gradient descent on a quadratic, analysed exactly: Hessian, eigenvalues, L and the 2/L threshold."""

from __future__ import annotations

import math
from functools import lru_cache

import sympy as sp

from hwcheck.interval import is_zero
from hwcheck.optim.numbers import tidy
from hwcheck.optim.objective import Objective


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
    curvature = _curvature(objective)
    if curvature is None:
        return None
    H, lams, minimiser = curvature
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
        elif gap == 0 or is_zero(gamma - threshold):
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
    if minimiser is not None:
        out["minimiser"] = list(minimiser)
    if mu > 0:
        out["condition"] = L / mu
        out["best_rate"] = sp.Rational(2) / (L + mu)  # minimises max |1 − γλ|
        f = float(sp.N(factor, 30))
        if 0 < f < 1:
            out["steps_per_digit"] = math.ceil(math.log(10) / -math.log(f))
    return out


@lru_cache(maxsize=64)
def _curvature(objective: Objective):
    """What does not depend on γ, once per f (a problem compares several rates): the Hessian, its
    eigenvalues in increasing order and the stationary point; None when f is not a quadratic."""
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
    minimiser = None
    if H.det() != 0:
        # ∇f(x) = H x + ∇f(0) = 0 at the one stationary point x* = −H⁻¹ ∇f(0)
        g0 = sp.Matrix([g.xreplace({s: 0 for s in syms}) for g in objective.gradient])
        minimiser = tuple(tidy(v) for v in -(H.inv() * g0))
    return H, lams, minimiser


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
        a != 0 and is_zero(a + b) for a, b in zip(factors_a, factors_b))
