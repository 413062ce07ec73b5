"""SGD, momentum (both forms) and Nesterov: one step each, from the immediate inputs only.

Every rule takes the point ``x``, the optimizer's state, a gradient function, the
step ``t`` (from 1), the hyperparameters ``h`` and the arithmetic ``ops``, and returns
(new point, new state, what the explanation shows).

* ``sgd``: x ← x − α g
* ``momentum``: gradient form v ← ρ v + g, x ← x − α v; velocity form
  v ← ρ v − α g, x ← x + v (the same iterates: v_velocity = −α v_gradient)
* ``nesterov``: the gradient is taken at the look-ahead point x + ρ v
  (velocity form; x − α ρ v in the gradient form), then as momentum
"""

from __future__ import annotations

def _sgd(x, state, grad, t, h, ops):
    g = grad(x)
    return [xi - h["learning_rate"] * gi for xi, gi in zip(x, g)], {}, {"gradient": g}


def _momentum(x, state, grad, t, h, ops, nesterov=False):
    rho, alpha = h["rho"], h["learning_rate"]
    v = state["velocity"]
    velocity_form = h["momentum_form"] == "velocity"
    lookahead = None
    if nesterov:
        # look ahead along the velocity: x + ρv (velocity form), x − αρv (gradient form)
        lookahead = [xi + rho * vi if velocity_form else xi - alpha * rho * vi for xi, vi in zip(x, v)]
    g = grad(lookahead if nesterov else x)
    if velocity_form:
        v_new = [rho * vi - alpha * gi for vi, gi in zip(v, g)]  # v ← ρv − αg
        x_new = [xi + vi for xi, vi in zip(x, v_new)]  # x ← x + v
    else:
        v_new = [rho * vi + gi for vi, gi in zip(v, g)]  # v ← ρv + g
        x_new = [xi - alpha * vi for xi, vi in zip(x, v_new)]  # x ← x − αv
    info = {"gradient": g}
    if nesterov:
        info["lookahead"] = lookahead
    return x_new, {"velocity": v_new}, info


def _nesterov(*args):
    return _momentum(*args, nesterov=True)
