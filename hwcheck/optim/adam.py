"""Adam, with or without bias correction.

m ← β₁ m + (1 − β₁) g, s ← β₂ s + (1 − β₂) g²; with bias correction
m̂ = m / (1 − β₁ᵗ), ŝ = s / (1 − β₂ᵗ); x ← x − α m̂ / (√ŝ + ε)
"""

from __future__ import annotations

from hwcheck.optim.adaptive import _adaptive


def _adam(x, state, grad, t, h, ops):
    b1, b2 = h["beta1"], h["beta2"]
    g = grad(x)
    m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(state["first_moment"], g)]
    s = [b2 * si + (1 - b2) * gi * gi for si, gi in zip(state["second_moment"], g)]
    new_state = {"first_moment": m, "second_moment": s}
    if h["bias_correction"]:
        c1, c2 = 1 - b1**t, 1 - b2**t  # the moments start at 0: divide out the bias
        m_hat = [ops.div(mi, c1) for mi in m]
        s_hat = [ops.div(si, c2) for si in s]
        new_state.update({"first_unbias": m_hat, "second_unbias": s_hat})
    else:
        m_hat, s_hat = m, s
    x_new, denom = _adaptive(x, s_hat, m_hat, h, ops)
    return x_new, new_state, {"gradient": g, "denominator": denom}
