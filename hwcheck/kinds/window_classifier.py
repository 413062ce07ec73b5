"""The CS224N window classifier (NER): one hidden layer and a score, differentiated by hand.

Forward: ``z = W x + b``, ``h = f(z)``, ``s = uᵀ h`` with ``x ∈ R^m`` (the
concatenated word vectors of the window), ``W`` n×m, ``b, u ∈ R^n``.

Backward, with the local error signal ``δ = ∂s/∂z = u ∘ f′(z)`` computed once
and reused (the point of backpropagation):

* ``∂s/∂b = δ`` (because ``∂z/∂b = I``);
* ``∂s/∂W = δ xᵀ``, n×m by the shape convention (the notes' ``δᵀ xᵀ`` with δ a row);
* ``∂s/∂x = Wᵀ δ``;
* ``∂s/∂u = h``.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text('''
... kind: window_classifier
... given: {x: [1, 2], W: [[1, 0], [0, -1]], b: [0, 0], u: [3, 1], activation: relu}
... ''')
>>> a = solve(p.given).answers
>>> a["s"], a["delta"], a["ds_dW"]
(3, [3, 0], Matrix([
[3, 6],
[0, 0]]))
"""

from __future__ import annotations

from hwcheck import nn
from hwcheck.errors import Invalid
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import Choice, Matrix, Vector

TITLE = "Gradients of a window classifier (one hidden layer, a score s = uᵀ f(Wx + b))"

GIVEN = {
    "x": Vector(doc="the input window (word vectors stacked), length m"),
    "W": Matrix(doc="hidden weights, n×m"),
    "b": Vector(doc="hidden bias, length n"),
    "u": Vector(doc="score weights, length n"),
    "activation": Choice(doc="the elementwise f", options=("sigmoid", "tanh", "relu", "linear"), default="sigmoid"),
}

PARTS = {
    "z": Part("z = Wx + b"),
    "h": Part("h = f(z)"),
    "s": Part("the score s = uᵀh"),
    "delta": Part("δ = ∂s/∂z = u ∘ f′(z)"),
    "ds_db": Part("∂s/∂b = δ", default=True),
    "ds_dW": Part("∂s/∂W = δxᵀ (n×m, shape convention)", default=True),
    "ds_dx": Part("∂s/∂x = Wᵀδ"),
    "ds_du": Part("∂s/∂u = h"),
}


def check(given, parts) -> None:
    n, m = given.W.shape
    if len(given.x) != m:
        raise Invalid(f"W with {len(given.x)} columns, one per entry of x", f"{m} columns", key="W")
    for key in ("b", "u"):
        if len(given[key]) != n:
            raise Invalid(f"{key} of length {n}, one entry per row of W", f"length {len(given[key])}", key=key)


def solve(given, *, use_derivative: bool = True) -> Solution:
    """``use_derivative=False`` drops the f′ factor (the misconception of that name)."""
    f = given.activation
    x, u, W = nn.entries(given.x), nn.entries(given.u), given.W
    z = nn.matvec(W, x, given.b)          # z = Wx + b
    h = nn.activate_all(f, z)             # h = f(z)
    s = nn.dot(u, h)                      # s = uᵀh
    fprime = nn.derivative_all(f, z)      # diagonal of ∂h/∂z
    delta = nn.hadamard(u, fprime) if use_derivative else list(u)  # δ = ∂s/∂z = u ∘ f′(z)
    ds_dW = nn.outer(delta, x)            # ∂s/∂W = δ xᵀ
    ds_dx = nn.matvec_t(W, delta)         # ∂s/∂x = Wᵀ δ
    steps = [
        Step("forward", {"x": x, "W": W, "b": nn.entries(given.b), "u": u, "z": z, "h": h, "s": s,
                         "activation": f}),
        Step("chain", {"activation": f}),
        Step("delta", {"u": u, "fprime": fprime, "delta": delta, "activation": f, "z": z, "h": h}),
        Step("grad_b", {"delta": delta}),
        Step("grad_W", {"delta": delta, "x": x, "grad": ds_dW, "n": W.shape[0], "m": W.shape[1]}),
        Step("grad_x", {"W": W, "delta": delta, "grad": ds_dx}),
        Step("grad_u", {"h": h}),
    ]
    answers = {"z": z, "h": h, "s": s, "delta": delta, "ds_db": list(delta), "ds_dW": ds_dW,
               "ds_dx": ds_dx, "ds_du": list(h)}
    return Solution(steps, answers)


def _without_derivative(given) -> dict:
    right, wrong = solve(given).answers, solve(given, use_derivative=False).answers
    return {k: wrong[k] for k in ("delta", "ds_db", "ds_dW", "ds_dx") if wrong[k] != right[k]}


MISCONCEPTIONS = {
    # δ = u, as if ∂h/∂z were the identity (f′ forgotten)
    "missing_activation_derivative": _without_derivative,
    # ∂s/∂W = x δᵀ (m×n): the Jacobian's layout, not the shape of W
    "transposed": lambda g: {"ds_dW": solve(g).answers["ds_dW"].T},
}


def poor(given, solution, reference_given, reference, options):
    """A poor variant (SPEC section 7): a dead ReLU layer or a saturated sigmoid/tanh."""
    from hwcheck import variants

    if given["activation"] == "relu":
        if variants.dead_relu(solution.answers["h"]) and not variants.dead_relu(reference.answers["h"]):
            return "dead_relu"
        return None
    h = solution.answers["h"]
    if given["activation"] == "tanh":
        h = [(v + 1) / 2 for v in h]  # tanh = 2 sigmoid(2z) - 1: the same saturation test
    if variants.saturated(h, 0.998) and not variants.saturated(reference.answers["h"], 0.998):
        return "saturated_activation"
    return None
