"""Weight initialisation: the bounds and spreads of Xavier/Glorot, He/Kaiming and LeCun.

Each scheme picks the weights' variance so that signals keep their variance
from layer to layer:

* Xavier: ``Var(W) = gain² · 2 / (fan_in + fan_out)`` (forward and backward
  pass balanced; for tanh and sigmoid);
* He: ``Var(W) = gain² · 2 / fan`` (ReLU zeroes half its inputs and halves
  the variance, so the factor 2 restores it); ``fan`` is fan_in or fan_out;
* LeCun: ``Var(W) = gain² / fan_in``.

A uniform U[-a, a] has variance a²/3, so ``bound = √3 · std``. For a conv
layer, ``fan_in = in_channels · kh · kw`` and ``fan_out = out_channels · kh · kw``.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text("{kind: init_bounds, given: {scheme: xavier_uniform, n_in: 256, n_out: 128}}")
>>> solve(p.given).answers["bound"]  # sqrt(6 / 384)
1/8
"""

from __future__ import annotations

import sympy as sp

from hwcheck.errors import Invalid
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import Choice, Int, IntOrPair, Number, Record

TITLE = "Initialisation bounds (Xavier/Glorot, He/Kaiming, LeCun)"

SCHEMES = ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal")

GIVEN = {
    "scheme": Choice(doc="initialisation scheme", options=SCHEMES),
    "n_in": Int(doc="inputs of a dense layer", default=None, min=1),
    "n_out": Int(doc="outputs of a dense layer", default=None, min=1),
    "conv": Record(doc="a conv layer instead of n_in/n_out", default=None, fields={
        "in_channels": Int(min=1), "out_channels": Int(min=1), "kernel_size": IntOrPair(min=1),
    }),
    "mode": Choice(doc="the fan He uses", options=("fan_in", "fan_out"), default="fan_in"),
    "gain": Number(doc="extra gain multiplying the std", default=1, positive=True),
    "activation": Choice(doc="the activation after the layer (explains the gain; He assumes relu)",
                         options=("linear", "sigmoid", "tanh", "relu", "selu"), default=None),
}

# torch.nn.init.calculate_gain: the gain PyTorch recommends for each activation (for selu the
# 3/4 of calculate_gain is for Kaiming; SELU's own rule is LeCun's with gain 1)
RECOMMENDED_GAIN = {"linear": 1, "sigmoid": 1, "tanh": sp.Rational(5, 3), "relu": sp.sqrt(2), "selu": 1}

PARTS = {
    "fan_in": Part("inputs feeding one unit"),
    "fan_out": Part("units one input feeds"),
    "bound": Part("a in U[-a, a] (uniform schemes)", default=True),
    "std": Part("the standard deviation (normal schemes)", default=True),
    "variance": Part("the variance of the weights"),
}


def family(scheme: str) -> str:
    return scheme.split("_")[0]


def is_uniform(scheme: str) -> bool:
    return scheme.endswith("_uniform")


def default_parts(given) -> tuple[str, ...]:
    return ("bound",) if is_uniform(given.scheme) else ("std",)


def check(given, parts) -> None:
    dense = given.n_in is not None or given.n_out is not None
    if dense and given.conv is not None:
        raise Invalid("either n_in and n_out, or conv", "both", key="conv")
    if not dense and given.conv is None:
        raise Invalid("n_in and n_out, or conv: {in_channels, out_channels, kernel_size}", "neither", key="n_in")
    if dense and (given.n_in is None or given.n_out is None):
        missing = "n_in" if given.n_in is None else "n_out"
        raise Invalid(f"{missing} beside {'n_out' if missing == 'n_in' else 'n_in'}", "no " + missing, key=missing)
    if "bound" in parts and not is_uniform(given.scheme):
        raise Invalid("the part 'std' for a normal scheme ('bound' is for uniform schemes)",
                      f"'bound' with {given.scheme}", key="scheme")
    if given.mode != "fan_in" and family(given.scheme) != "he":
        raise Invalid("mode only with a He scheme", f"mode {given.mode} with {given.scheme}", key="mode")
    if family(given.scheme) == "he" and given.activation not in (None, "relu"):
        raise Invalid("activation relu with a He scheme (its factor 2 is the ReLU's)",
                      f"activation {given.activation}", key="activation")


def fans(given) -> tuple[int, int, int]:
    """(fan_in, fan_out, receptive field size)."""
    if given.conv is None:
        return given.n_in, given.n_out, 1
    kh, kw = given.conv.kernel_size
    return given.conv.in_channels * kh * kw, given.conv.out_channels * kh * kw, kh * kw


def solve(given) -> Solution:
    fan_in, fan_out, field = fans(given)
    scheme, gain = given.scheme, given.gain
    fam = family(scheme)
    if fam == "xavier":
        base = sp.Rational(2, fan_in + fan_out)
    elif fam == "he":
        base = sp.Rational(2, fan_in if given.mode == "fan_in" else fan_out)
    else:
        base = sp.Rational(1, fan_in)
    variance = gain**2 * base
    std = sp.sqrt(variance)
    activation = given.activation
    steps = [
        Step("fans", {"conv": given.conv, "n_in": given.n_in, "n_out": given.n_out,
                      "fan_in": fan_in, "fan_out": fan_out, "field": field}),
    ]
    if gain != 1 or (activation is not None and fam != "he"):
        recommended = RECOMMENDED_GAIN.get(activation) if activation is not None else None
        steps.append(Step("gain", {"gain": gain, "activation": activation, "family": fam,
                                   "recommended": recommended, "squared": sp.Pow(gain, 2, evaluate=False),
                                   "gain_squared": gain**2}))
    steps += [
        Step("variance", {"family": fam, "mode": given.mode, "fan_in": fan_in, "fan_out": fan_out,
                          "gain": gain, "squared": sp.Pow(gain, 2, evaluate=False), "base": base,
                          "variance": variance, "fan_sum": fan_in + fan_out}),
        Step("std", {"variance": variance, "std": std, "root": sp.sqrt(variance, evaluate=False)}),
    ]
    answers = {"fan_in": sp.Integer(fan_in), "fan_out": sp.Integer(fan_out), "variance": variance, "std": std}
    if is_uniform(scheme):
        bound = sp.sqrt(3 * variance)  # Var(U[-a, a]) = a²/3
        steps.append(Step("bound", {"std": std, "variance": variance, "bound": bound, "family": fam,
                                    "gain": gain, "mode": given.mode, "three_var": 3 * variance}))
        answers["bound"] = bound
    steps.append(Step("summary", {"scheme": scheme, "uniform": is_uniform(scheme),
                                  "std": std, "bound": answers.get("bound")}))
    return Solution(steps, answers)


def _swap(given, **change):
    from hwcheck.schema import Given

    return solve(Given({**given, **change})).answers


MISCONCEPTIONS = {
    # the variance reported where the std (or the bound) was asked, and the reverse
    "variance_for_std": lambda g: {"std": solve(g).answers["variance"]},
    "std_for_variance": lambda g: {"variance": solve(g).answers["std"]},
    # Xavier computed with fan_in alone (as LeCun/He do)
    "fan_in_only": lambda g: {k: v for k, v in _swap(g, scheme=g.scheme.replace("xavier", "lecun")).items()
                              if k in ("bound", "std", "variance")} if family(g.scheme) == "xavier" else {},
}
