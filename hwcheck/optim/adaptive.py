"""AdaGrad and RMSProp: a per-coordinate step scaled by the root of the squared gradients.

* ``adagrad``: s ← s + g², x ← x − α g / (√s + ε)
* ``rmsprop``: s ← d s + (1 − d) g², x ← x − α g / (√s + ε)
"""

from __future__ import annotations

def _adaptive(x, s, g, h, ops, scale=None):
    """x − α g / (√s + ε) elementwise; the denominators for the explanation."""
    denom = [ops.sqrt(si) + h["eps"] for si in s]
    step = [ops.div(h["learning_rate"] * gi, di) for gi, di in zip(g, denom)]
    return [xi - si for xi, si in zip(x, step)], denom


def _adagrad(x, state, grad, t, h, ops):
    g = grad(x)
    s = [si + gi * gi for si, gi in zip(state["grad_squared"], g)]  # grad_squared += dx * dx
    x_new, denom = _adaptive(x, s, g, h, ops)
    return x_new, {"grad_squared": s}, {"gradient": g, "denominator": denom}


def _rmsprop(x, state, grad, t, h, ops):
    d = h["decay_rate"]
    g = grad(x)
    s = [d * si + (1 - d) * gi * gi for si, gi in zip(state["grad_squared"], g)]
    x_new, denom = _adaptive(x, s, g, h, ops)
    return x_new, {"grad_squared": s}, {"gradient": g, "denominator": denom}
