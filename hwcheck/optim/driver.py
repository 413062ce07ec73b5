"""The driver: run one update rule per step, exactly while readable, then in floating point."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import sympy as sp

from hwcheck.optim.adam import _adam
from hwcheck.optim.adaptive import _adagrad, _rmsprop
from hwcheck.optim.numbers import Undefined, _Dec, _Exact, is_readable, to_sympy
from hwcheck.optim.objective import Objective, _undefined
from hwcheck.optim.settings import STATE_KEYS, Settings
from hwcheck.optim.sgd import _momentum, _nesterov, _sgd

RULES = {
    "sgd": _sgd,
    "momentum": _momentum,
    "nesterov": _nesterov,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adam": _adam,
}


@dataclass
class Trace:
    """A whole run; every number a SymPy number (exact, or a 50-digit Float)."""

    optimizer: str
    iterates: list  # steps + 1 points, each a list
    gradients: list  # the gradient used at each step (at the look-ahead point for Nesterov)
    states: list  # one map per step, the optimizer's state after it
    raw_info: list = field(default_factory=list)  # per step: lookahead, denominator (as computed)
    exact_steps: int = 0  # steps computed exactly before switching to floating point

    def detail(self, t: int) -> dict:
        """Extra values of step ``t`` (1-based) for the explanation, as SymPy numbers."""
        return {k: [to_sympy(v) for v in vs] for k, vs in self.raw_info[t - 1].items() if k != "gradient"}

    @property
    def exact(self) -> bool:
        return self.exact_steps == len(self.gradients)


def _initial_state(optimizer: str, dim: int, settings: Settings) -> dict:
    keys = STATE_KEYS[optimizer]
    return {k: [sp.Integer(0)] * dim for k in keys}


def run(optimizer: str, start: Sequence, settings: Settings, steps: int, *,
        objective: Objective | None = None, gradients: Sequence | None = None) -> Trace:
    """Run ``steps`` updates from ``start`` with the gradient of ``objective`` or the given ``gradients``.

    Raises ``Invalid`` (key ``start``) when f or its gradient is undefined on the path.
    """
    if optimizer not in RULES:
        raise ValueError(optimizer)
    rule = RULES[optimizer]
    sign = settings.sign
    exact_h = settings.numbers() | {"momentum_form": settings.momentum_form,
                                    "bias_correction": settings.bias_correction}
    x = [sp.sympify(v) for v in start]
    state = _initial_state(optimizer, len(x), settings)
    iterates, grads, states, infos = [x], [], [], []
    exact = True
    exact_steps = 0
    flt = objective.backend if objective is not None else _Dec
    with flt.context():
        flt_h = {k: (flt.num(v) if k in settings.numbers() else v) for k, v in exact_h.items()}
        for t in range(1, steps + 1):
            if exact:
                def grad(p, t=t):
                    if gradients is not None:
                        return [sign * sp.sympify(v) for v in gradients[t - 1]]
                    return [sign * v for v in objective.grad_exact(p)]
                candidate = None
                try:
                    candidate = rule(x, state, grad, t, exact_h, _Exact)
                    x_new, new_state, info = candidate
                    values = x_new + [v for vs in new_state.values() for v in vs] + info["gradient"]
                    if all(is_readable(v) for v in values):
                        x, state = x_new, new_state
                        iterates.append(x), grads.append(info["gradient"]), states.append(state)
                        infos.append(info)
                        exact_steps = t
                        continue
                except Undefined:
                    _undefined(t, x)
                # the exact forms grow past readable: go on in floating point from here
                exact = False
                x = [flt.num(v) for v in x]
                state = {k: [flt.num(v) for v in vs] for k, vs in state.items()}

            def grad_float(p, t=t):
                if gradients is not None:
                    return [sign * flt.num(v) for v in gradients[t - 1]]
                return [sign * v for v in objective.grad_float(p)]
            try:
                x, state, info = rule(x, state, grad_float, t, flt_h, flt)
            except Undefined:
                _undefined(t, iterates[-1])
            except (ArithmeticError, ValueError):  # decimal overflow: |x| beyond 10^1000000
                _undefined(t, iterates[-1], what="overflow")
            if candidate is not None:
                # the step where exact forms grew too long: values still readable stay exact
                (ex, es, ei), candidate = candidate, None
                iterates.append(_merge(ex, x)), grads.append(_merge(ei["gradient"], info["gradient"]))
                states.append({k: _merge(es[k], state[k]) for k in state})
                infos.append({k: _merge(ei[k], info[k]) for k in info})
                continue
            iterates.append(x), grads.append(info["gradient"]), states.append(state), infos.append(info)
    conv = _converter()
    return Trace(
        optimizer=optimizer,
        iterates=[conv(p) for p in iterates],
        gradients=[conv(g) for g in grads],
        states=[{k: conv(v) for k, v in s.items()} for s in states],
        raw_info=infos,
        exact_steps=exact_steps,
    )


def _merge(exact_values, mp_values) -> list:
    return [e if is_readable(e) else m for e, m in zip(exact_values, mp_values)]


def _converter():
    def conv(values):
        return [to_sympy(v) for v in values]
    return conv
