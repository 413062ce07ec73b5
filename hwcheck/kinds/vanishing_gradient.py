"""vanishing_gradient: the gradient through a deep chain of one-unit layers, and its bound.

The net is ``a_0 = x``, ``z_l = w_l a_{l-1} + b_l``, ``a_l = act(z_l)`` for
l = 1 ... L. By the chain rule the gradient of the output with respect to any
earlier activation is a product of *local* derivatives:

* ``∂a_l/∂a_{l-1} = act'(z_l) · w_l``;
* ``∂a_L/∂a_l = Π_{k=l+1..L} act'(z_k) · w_k`` (``∂a_L/∂a_L = 1``); the first,
  ``∂a_L/∂a_0``, is ``∂a_L/∂x``.

Since ``|act'| ≤ c`` (c = 1/4 for the sigmoid, 1 for tanh and ReLU), every such
product is at most ``c^L · Π|w_l|`` in size: ``0.25^L`` for sigmoid layers with
unit weights, which is why the first layers of a deep sigmoid net learn slowly.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text("{kind: vanishing_gradient, given: {depth: 2, x: 0, activation: sigmoid}}")
>>> a = solve(p.given).answers
>>> a["local_derivatives"][0], a["bound"]
(1/4, 1/16)
>>> p = load_problem_text("{kind: vanishing_gradient, given: {weights: [2, -1], x: 1, activation: relu}}")
>>> solve(p.given).answers["gradients"], solve(p.given).answers["bound"]
([0, 0], 2)
"""

from __future__ import annotations

import sympy as sp

from hwcheck import nn, optim
from hwcheck.errors import Invalid
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import Choice, Int, ListOf, Number

TITLE = "Vanishing gradients through a deep chain of layers"

MAX_DEPTH = 100
# The largest value of act'(z) over all z, and where it is reached.
MAX_SLOPE = {"sigmoid": sp.Rational(1, 4), "tanh": sp.Integer(1), "relu": sp.Integer(1)}

GIVEN = {
    "weights": ListOf(doc="the weights w_1 ... w_L, one per layer", item=Number(), default=None),
    "depth": Int(doc="the depth L, with unit weights (instead of weights)", default=None, min=1, max=MAX_DEPTH),
    "biases": ListOf(doc="the biases b_1 ... b_L [zeros]", item=Number(), default=None),
    "x": Number(doc="the input a_0 [0]", default=0),
    "activation": Choice(doc="the activation of every layer", options=("sigmoid", "tanh", "relu")),
}

PARTS = {
    "activations": Part("a_0 ... a_L (a_0 = x)"),
    "local_derivatives": Part("∂a_l/∂a_{l-1} = act'(z_l) w_l for l = 1 ... L"),
    "gradients": Part("∂a_L/∂a_l for l = 0 ... L-1 (the first is ∂a_L/∂x)", default=True),
    "bound": Part("the largest the product can be for these weights: c^L Π|w_l| (c = max act')"),
}


def check(given, parts) -> None:
    if given.weights is not None and given.depth is not None:
        raise Invalid("either weights or depth", "both", key="depth")
    if given.weights is None and given.depth is None:
        raise Invalid("weights (w_1 ... w_L) or depth (L layers with unit weights)", "neither", key="weights")
    L = depth(given)
    if L > MAX_DEPTH:
        raise Invalid(f"at most {MAX_DEPTH} layers", f"{L} weights", key="weights")
    if given.biases is not None and len(given.biases) != L:
        raise Invalid(f"one bias per layer ({L})", f"{len(given.biases)} bias(es)", key="biases")


def depth(given) -> int:
    return len(given.weights) if given.weights is not None else given.depth


def weights(given) -> list:
    return list(given.weights) if given.weights is not None else [sp.Integer(1)] * given.depth


def biases(given) -> list:
    return list(given.biases) if given.biases is not None else [sp.Integer(0)] * depth(given)


def layer(act: str, a_prev, w, b) -> dict:
    """One layer's local rule: z = w a + b, a = act(z), ∂a/∂a_prev = act'(z) · w."""
    z = nn.settle_mixed(w * a_prev + b)
    slope = nn.derivative(act, z)
    return {"z": z, "a": nn.activate(act, z), "slope": slope, "w": w, "local": nn.settle_mixed(slope * w)}


def backward(locals_: list) -> list:
    """∂a_L/∂a_l for l = 0 ... L-1: multiply the local derivatives from the output down."""
    grads = [sp.Integer(1)]  # ∂a_L/∂a_L
    for d in reversed(locals_):
        grads.append(nn.settle_mixed(grads[-1] * d))  # ∂a_L/∂a_{l-1} = ∂a_L/∂a_l · ∂a_l/∂a_{l-1}
    return list(reversed(grads[1:]))


def bound(act: str, ws: list):
    """c^L Π|w_l|: each local derivative is at most c |w_l| in size."""
    return sp.Mul(*(MAX_SLOPE[act] * abs(w) for w in ws))


def runs(rows: list, key) -> list[dict]:
    """Consecutive rows with the same ``key`` grouped, so that a chain of identical layers is said
    once (``{"first", "last", "row"}``, the row of the first layer of the run).

    >>> [(g["first"], g["last"]) for g in runs([{"l": 1, "v": 1}, {"l": 2, "v": 1}, {"l": 3, "v": 2}],
    ...                                          key=lambda r: r["v"])]
    [(1, 2), (3, 3)]
    """
    out: list[dict] = []
    for row in rows:
        k = key(row)
        if out and out[-1]["key"] == k:
            out[-1]["last"] = row["l"]
        else:
            out.append({"first": row["l"], "last": row["l"], "row": row, "key": k})
    return [{k: v for k, v in g.items() if k != "key"} for g in out]


def forward(given) -> list[dict]:
    """Every layer's record (``layer``), with its number ``l`` and its input ``a_prev``."""
    act = given.activation
    a, layers = given.x, []
    for l, (w, b) in enumerate(zip(weights(given), biases(given)), start=1):
        record = layer(act, a, w, b) | {"l": l, "a_prev": a}
        layers.append(record)
        a = record["a"]
    return layers


def solve(given) -> Solution:
    act, ws, bs = given.activation, weights(given), biases(given)
    L = len(ws)
    layers = forward(given)
    locals_ = [r["local"] for r in layers]
    grads = backward(locals_)
    top = bound(act, ws)
    weight_product = sp.Mul(*(abs(w) for w in ws))
    # ∂a_L/∂a_l = ∂a_L/∂a_{l+1} · ∂a_{l+1}/∂a_l, listed from the output down
    chain = [{"l": l, "grad": grads[l], "above": grads[l + 1] if l < L - 1 else None, "local": locals_[l]}
             for l in range(L - 1, -1, -1)]
    # one printing per answer (activations, local derivatives, gradients), as the Answers print it
    show = {"a": optim.shown_exact([given.x] + [r["a"] for r in layers]), "d": optim.shown_exact(locals_),
            "g": optim.shown_exact(grads)}
    steps = [
        Step("network", {"L": L, "weights": ws, "biases": bs, "unit": given.weights is None,
                         "zero_bias": given.biases is None, "x": given.x, "activation": act,
                         "slope_tex": nn.ACTIVATIONS[act].latex, "c": MAX_SLOPE[act]}),
        Step("forward", {"activation": act, "groups": runs(layers, lambda r: (r["z"], r["a"])), "show": show}),
        Step("local", {"activation": act, "show": show,
                       "groups": runs(layers, lambda r: (r["z"], r["a"], r["slope"], r["w"], r["local"]))}),
        Step("backward", {"L": L, "groups": runs(chain, lambda r: (r["grad"], r["above"], r["local"])),
                          "show": show}),
        Step("bound", {"activation": act, "L": L, "c": MAX_SLOPE[act], "weight_product": weight_product,
                       "unit": all(abs(w) == 1 for w in ws), "bound": top, "first": grads[0],
                       "dead": [r["l"] for r in layers if r["slope"] == 0], "show": show}),
        Step("meaning", {"activation": act, "L": L, "first": grads[0], "last": locals_[-1], "bound": top,
                         "c": MAX_SLOPE[act], "show": show}),
    ]
    answers = {
        "activations": [given.x] + [r["a"] for r in layers],
        "local_derivatives": locals_,
        "gradients": grads,
        "bound": top,
    }
    return Solution(steps, answers)


# -- misconceptions: the solver with one rule broken ----------------------------------

def _slopes_only(given) -> dict:
    """The weights left out of the local derivatives (act'(z_l) alone)."""
    wrong = backward([r["slope"] for r in forward(given)])
    return {"gradients": wrong} if wrong != solve(given).answers["gradients"] else {}


def _sum_not_product(given) -> dict:
    """The local derivatives added instead of multiplied."""
    locals_ = solve(given).answers["local_derivatives"]
    wrong = [nn.settle_mixed(sp.Add(*locals_[l:])) for l in range(len(locals_))]
    return {"gradients": wrong} if wrong != solve(given).answers["gradients"] else {}


MISCONCEPTIONS = {
    "weights_left_out": _slopes_only,
    "sum_instead_of_product": _sum_not_product,
}
