"""Softmax and cross-entropy of one example, and the gradient with respect to the logits.

``p = softmax(z)``, computed after subtracting ``m = max z`` from every logit
(``exp(z_k − m) / Σ_j exp(z_j − m)`` is the same value: the factor ``exp(−m)``
cancels, and no exponential can overflow). The loss is
``L = −Σ_k y_k log p_k = log Σ_j exp(z_j − m) − Σ_k y_k (z_k − m)`` (natural log,
``Σ y = 1``), and ``∂L/∂z = p − y`` for a class index (``y`` one-hot) or a
probability vector (a soft target).

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text("{kind: softmax_cross_entropy, given: {logits: [0, 'log(3)'], target: 1}}")
>>> a = solve(p.given).answers
>>> a["probabilities"], a["loss"], a["dL_dlogits"]
([1/4, 3/4], log(4/3), [1/4, -1/4])
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from hwcheck import nn
from hwcheck.errors import Invalid
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import Int, Schema, Vector, found

TITLE = "Softmax, cross-entropy loss and its gradient with respect to the logits"


@dataclass(frozen=True)
class Target(Schema):
    """A class index (from 0) or a probability vector; returned as ``int`` or a column vector."""

    def convert(self, value):
        if isinstance(value, (list, tuple)):
            return Vector().convert(value)
        if isinstance(value, int) and not isinstance(value, bool) or isinstance(value, str):
            try:
                return Int(min=0).convert(value)
            except Invalid:
                pass
        raise Invalid("a class index (a whole number from 0) or a probability vector", found(value))


GIVEN = {
    "logits": Vector(doc="the scores z, one per class"),
    "target": Target(doc="the true class (index from 0) or a probability vector"),
}

PARTS = {
    "probabilities": Part("softmax(z), one probability per class", default=True),
    "loss": Part("cross-entropy −Σ y log p (natural log)", default=True),
    "dL_dlogits": Part("∂L/∂z = p − y", default=True),
}


def check(given, parts) -> None:
    n = len(given.logits)
    t = given.target
    if isinstance(t, int):
        if t >= n:
            raise Invalid(f"a class index from 0 to {n - 1} ({n} logits)", f"{t}", key="target")
        return
    if len(t) != n:
        raise Invalid(f"a probability vector of length {n} (one per logit)", f"length {len(t)}", key="target")
    for k, v in enumerate(t):
        if v.is_negative:
            raise Invalid("probabilities ≥ 0", f"{v} at index {k}", key=f"target[{k}]")
    total = sp.Add(*t)
    if total.equals(1) is not True:
        raise Invalid("probabilities that add up to 1", f"a sum of {sp.sstr(total)}", key="target")


def target_vector(given) -> list:
    t = given.target
    return nn.one_hot(t, len(given.logits)) if isinstance(t, int) else nn.entries(t)


def solve(given) -> Solution:
    z = nn.entries(given.logits)
    y = target_vector(given)
    index = given.target if isinstance(given.target, int) else None
    d = nn.softmax_detail(z)
    p = d.probabilities
    loss = nn.cross_entropy_logits(z, y, d)
    grad = [nn.settle(pk - yk) for pk, yk in zip(p, y)]  # dL/dz = softmax(z) − y
    # the terms y_k (z_k − m) of the stable loss that are not zero
    terms = [(k, yk, sk) for k, (yk, sk) in enumerate(zip(y, d.shifted)) if yk != 0 and sk != 0]
    steps = [
        Step("softmax", {"z": z, "top": d.top, "shifted": d.shifted, "exps": d.exps, "total": d.total, "p": p}),
        Step("loss", {"index": index, "y": y, "p": p, "shifted": d.shifted, "total": d.total, "loss": loss,
                      "terms": terms}),
        Step("gradient", {"index": index, "y": y, "p": p, "grad": grad,
                          "jacobian": nn.softmax_jacobian(p)}),  # diag(p) − p pᵀ
    ]
    return Solution(steps, {"probabilities": p, "loss": loss, "dL_dlogits": grad})


MISCONCEPTIONS = {
    # y − p instead of p − y: the direction of steepest ascent reported as the gradient
    "sign_flipped": lambda g: {"dL_dlogits": [-v for v in solve(g).answers["dL_dlogits"]]},
}


def poor(given, solution, reference_given, reference, options):
    """A poor variant (SPEC section 7): a saturated softmax, whose gradient rounds to 0."""
    from hwcheck import variants

    if variants.saturated(solution.answers["probabilities"]) and not variants.saturated(
            reference.answers["probabilities"]):
        return "saturated_softmax"
    return None
