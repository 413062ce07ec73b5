"""One training step of a small multilayer perceptron: forward pass, backpropagation, SGD update.

Layer ``l = 1..L`` (the spec's ``layers[l-1]``) computes ``z_l = W_l a_{l-1} + b_l``
and ``a_l = f_l(z_l)``, with ``a_0 = x`` and ``W_l`` of shape n_out×n_in.
With ``δ_l = ∂L/∂z_l``:

* output layer: ``δ_L = ∂L/∂a_L ∘ f′(z_L)``, where ``∂L/∂a_L = a_L − t`` for
  half_sse (½Σ(t−o)²) and ``(2/n)(a_L − t)`` for mse; for a softmax output with
  cross_entropy, ``δ_L = a_L − t`` (the softmax Jacobian and the log cancel);
* hidden layers: ``δ_l = (W_{l+1}ᵀ δ_{l+1}) ∘ f′(z_l)``;
* ``∂L/∂W_l = δ_l a_{l-1}ᵀ``, ``∂L/∂b_l = δ_l``; then
  ``W_l ← W_l − η ∂L/∂W_l`` and ``b_l ← b_l − η ∂L/∂b_l`` (every gradient is
  computed with the old weights before any is updated).

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text('''
... kind: mlp_backprop
... given: {x: [1, 2], target: [1], loss: half_sse, learning_rate: 0.5,
...         layers: [{W: [[1, -1], [0, 1]], b: [0, 0], activation: relu},
...                  {W: [[1, 2]], b: [1], activation: linear}]}
... ''')
>>> a = solve(p.given).answers
>>> a["activations"], a["loss"], a["deltas"]
([[0, 2], [5]], 8, [[0, 8], [4]])
>>> a["W_new"][0]
Matrix([
[ 1, -1],
[-4, -7]])
"""

from __future__ import annotations

import sympy as sp

from hwcheck import limits
from hwcheck import nn
from hwcheck.errors import Invalid
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import Choice, ListOf, Matrix, Number, Record, Vector

TITLE = "Backpropagation and one gradient-descent step in a multilayer perceptron"

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "softmax")  # the ones the template words
LOSSES = ("half_sse", "mse", "cross_entropy")

GIVEN = {
    "x": Vector(doc="the input a_0"),
    "target": Vector(doc="the target t (a probability vector for cross_entropy)"),
    "layers": ListOf(doc="the layers, input side first, each {W (n_out×n_in), b, activation: "
                         + " | ".join(ACTIVATIONS) + "}; z = W a + b, a = f(z)", item=Record(fields={
        "W": Matrix(doc="weights, n_out×n_in"),
        "b": Vector(doc="bias, n_out"),
        "activation": Choice(doc="f", options=ACTIVATIONS),
    })),
    "loss": Choice(doc="half_sse = ½Σ(t−o)², mse = (1/n)Σ(t−o)², cross_entropy = −Σ t log o after a softmax",
                   options=LOSSES),
    "learning_rate": Number(doc="η of the update (needed for W_new and b_new)", default=None, positive=True),
}

PARTS = {
    "activations": Part("a_1 … a_L, one vector per layer"),
    "loss": Part("the loss of the forward pass", default=True),
    "deltas": Part("δ_l = ∂L/∂z_l, one vector per layer"),
    "grad_W": Part("∂L/∂W_l = δ_l a_{l−1}ᵀ, one matrix per layer", default=True),
    "grad_b": Part("∂L/∂b_l = δ_l, one vector per layer"),
    "W_new": Part("W_l − η ∂L/∂W_l, one matrix per layer", default=True),
    "b_new": Part("b_l − η ∂L/∂b_l, one vector per layer"),
}


def check(given, parts) -> None:
    layers = given.layers
    limits.check_count(len(layers), limits.MAX_LAYERS, "layers", "layers")
    limits.check_count(sum(len(layer.W) for layer in layers), limits.MAX_WEIGHTS, "weights in all layers", "layers")
    size = len(given.x)
    for i, layer in enumerate(layers):
        rows, cols = layer.W.shape
        source = "x" if i == 0 else f"the output of layers[{i - 1}]"
        if cols != size:
            raise Invalid(f"W with {size} columns, the size of {source}", f"{rows}×{cols}", key=f"layers[{i}].W")
        if len(layer.b) != rows:
            raise Invalid(f"b of length {rows}, one entry per row of W", f"length {len(layer.b)}",
                          key=f"layers[{i}].b")
        if layer.activation == "softmax" and i != len(layers) - 1:
            raise Invalid("softmax only on the last layer (with the cross_entropy loss)", "softmax on a hidden layer",
                          key=f"layers[{i}].activation")
        size = rows
    if len(given.target) != size:
        raise Invalid(f"a target of length {size}, the size of the last layer", f"length {len(given.target)}",
                      key="target")
    last = layers[-1].activation
    if last == "softmax" and given.loss != "cross_entropy":
        raise Invalid("the cross_entropy loss with a softmax output", f"{given.loss} with softmax", key="loss")
    if given.loss == "cross_entropy":
        if last != "softmax":
            raise Invalid("softmax on the last layer for the cross_entropy loss", last,
                          key=f"layers[{len(layers) - 1}].activation")
        for k, v in enumerate(given.target):
            if v.is_negative:
                raise Invalid("a target of probabilities ≥ 0 for cross_entropy", f"{v} at index {k}", key=f"target[{k}]")
        if sp.Add(*given.target).equals(1) is not True:
            raise Invalid("a target whose probabilities add up to 1 for cross_entropy",
                          f"a sum of {sp.sstr(sp.Add(*given.target))}", key="target")
    updates = sorted({"W_new", "b_new"} & set(parts))
    if updates and given.learning_rate is None:
        raise Invalid(f"a learning_rate, to compute {', '.join(updates)}", "no learning_rate", key="learning_rate")


def _loss_gradient(loss: str, o: list, t: list) -> list:
    """∂L/∂o for the squared losses."""
    scale = 1 if loss == "half_sse" else sp.Rational(2, len(o))  # d/do ½(t−o)² = o − t; mse adds 2/n
    return [nn.settle(scale * (ok - tk)) for ok, tk in zip(o, t)]


def solve(given, *, use_derivative: bool = True) -> Solution:
    """``use_derivative=False`` drops every f′ factor (the misconception of that name)."""
    layers, t, lr = given.layers, nn.entries(given.target), given.learning_rate
    L = len(layers)

    # forward: z_l = W_l a_{l-1} + b_l, a_l = f_l(z_l)
    a, zs, detail = [nn.entries(given.x)], [], None
    for layer in layers:
        z = nn.matvec(layer.W, a[-1], layer.b)
        zs.append(z)
        if layer.activation == "softmax":  # the last layer (check); the loss reuses its detail
            detail = nn.softmax_detail(z)
            a.append(detail.probabilities)
        else:
            a.append(nn.activate_all(layer.activation, z))
    o = a[-1]
    if given.loss == "cross_entropy":
        loss = nn.cross_entropy_logits(zs[-1], t, detail)  # stable form of −Σ t log softmax(z)
    else:
        loss = nn.half_sse(o, t) if given.loss == "half_sse" else nn.mse(o, t)

    # backward: δ_L first, then δ_l = (W_{l+1}ᵀ δ_{l+1}) ∘ f′(z_l)
    deltas = [None] * L
    last = layers[-1].activation
    if last == "softmax":
        dL_do, fprime_out = None, None
        deltas[-1] = [nn.settle(ok - tk) for ok, tk in zip(o, t)]  # δ_L = softmax(z) − t
    else:
        dL_do = _loss_gradient(given.loss, o, t)
        fprime_out = nn.derivative_all(last, zs[-1])
        deltas[-1] = nn.hadamard(dL_do, fprime_out) if use_derivative else dL_do
    hidden = []
    for l in range(L - 2, -1, -1):
        back = nn.matvec_t(layers[l + 1].W, deltas[l + 1])  # W_{l+1}ᵀ δ_{l+1}
        fprime = nn.derivative_all(layers[l].activation, zs[l])
        deltas[l] = nn.hadamard(back, fprime) if use_derivative else back
        hidden.append({"l": l + 1, "W": layers[l + 1].W, "delta_next": deltas[l + 1], "back": back,
                       "fprime": fprime, "delta": deltas[l], "activation": layers[l].activation,
                       "a": a[l + 1], "z": zs[l]})

    grad_W = [nn.outer(deltas[l], a[l]) for l in range(L)]  # ∂L/∂W_l = δ_l a_{l-1}ᵀ
    grad_b = [list(d) for d in deltas]                       # ∂L/∂b_l = δ_l

    shown = [{"l": l + 1, "W": layers[l].W, "b": nn.entries(layers[l].b), "a_prev": a[l], "z": zs[l],
              "a": a[l + 1], "activation": layers[l].activation} for l in range(L)]
    steps = [
        Step("forward", {"layers": shown, "x": a[0]}),
        Step("loss", {"loss": given.loss, "o": o, "t": t, "value": loss, "L": L,
                      "terms": [(k, tk, ok) for k, (tk, ok) in enumerate(zip(t, o)) if tk != 0]}),
        Step("output_delta", {"loss": given.loss, "activation": last, "o": o, "t": t, "dL_do": dL_do,
                              "fprime": fprime_out, "delta": deltas[-1], "L": L, "z": zs[-1]}),
    ]
    if hidden:
        steps.append(Step("hidden_deltas", {"layers": hidden}))
    steps.append(Step("gradients", {"layers": [{"l": l + 1, "delta": deltas[l], "a_prev": a[l], "grad_W": grad_W[l]}
                                               for l in range(L)]}))
    answers = {"activations": a[1:], "loss": loss, "deltas": deltas, "grad_W": grad_W, "grad_b": grad_b}
    if lr is not None:
        W_new = [nn.sgd_step(layers[l].W, grad_W[l], lr) for l in range(L)]
        b_new = [nn.sgd_step(nn.entries(layers[l].b), grad_b[l], lr) for l in range(L)]
        steps.append(Step("update", {"lr": lr, "layers": [
            {"l": l + 1, "W": layers[l].W, "grad_W": grad_W[l], "W_new": W_new[l],
             "b": nn.entries(layers[l].b), "grad_b": grad_b[l], "b_new": b_new[l]} for l in range(L)]}))
        answers.update({"W_new": W_new, "b_new": b_new})
    return Solution(steps, answers)


def _without_derivative(given) -> dict:
    right, wrong = solve(given).answers, solve(given, use_derivative=False).answers
    return {k: wrong[k] for k in ("deltas", "grad_W", "grad_b", "W_new", "b_new")
            if k in wrong and wrong[k] != right[k]}


def _missing_half(given) -> dict:
    """The ½ of ½Σ(t−o)² forgotten when differentiating: ∂L/∂a = 2(a − t), every gradient doubled."""
    if given.loss != "half_sse":
        return {}
    a = solve(given).answers
    wrong = {"deltas": [[2 * v for v in d] for d in a["deltas"]], "grad_W": [2 * g for g in a["grad_W"]],
             "grad_b": [[2 * v for v in gb] for gb in a["grad_b"]]}
    if "W_new" in a:
        lr = given.learning_rate
        wrong["W_new"] = [nn.sgd_step(layer.W, 2 * g, lr) for layer, g in zip(given.layers, a["grad_W"])]
        wrong["b_new"] = [nn.sgd_step(nn.entries(layer.b), [2 * v for v in gb], lr)
                          for layer, gb in zip(given.layers, a["grad_b"])]
    return wrong


# The worked steps shown (once) when a part is wrong.
PART_STEPS = {"activations": ("forward",), "loss": ("forward", "loss"), "deltas": ("output_delta", "hidden_deltas"),
              "grad_W": ("gradients",), "grad_b": ("gradients",), "W_new": ("update",), "b_new": ("update",)}

MISCONCEPTIONS = {
    # δ = ∂L/∂a without the f′(z) factor, at the output and in every hidden layer
    "missing_activation_derivative": _without_derivative,
    "missing_half": _missing_half,
}


def poor(given, solution, reference_given, reference, options):
    """A poor variant (SPEC section 7): a dead ReLU layer, a saturated sigmoid or softmax."""
    from hwcheck import variants

    for layer, a, a_ref in zip(given["layers"], solution.answers["activations"], reference.answers["activations"]):
        act = layer["activation"]
        if act == "relu" and variants.dead_relu(a) and not variants.dead_relu(a_ref):
            return "dead_relu"
        if act in ("sigmoid", "softmax") and variants.saturated(a, 0.998) and not variants.saturated(a_ref, 0.998):
            return "saturated_" + act
    return None
