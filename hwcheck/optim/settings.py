"""The optimizers, the state each keeps, and their hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
FORMS = ("gradient", "velocity")

# The state each optimizer keeps, named as in the slides' code.
STATE_KEYS = {
    "sgd": (),
    "momentum": ("velocity",),
    "nesterov": ("velocity",),
    "adagrad": ("grad_squared",),
    "rmsprop": ("grad_squared",),
    "adam": ("first_moment", "second_moment"),
}
BIAS_KEYS = ("first_unbias", "second_unbias")


@dataclass(frozen=True)
class Settings:
    """Hyperparameters, exact SymPy numbers (defaults as in the slides)."""

    learning_rate: Any
    rho: Any = sp.Rational(9, 10)
    momentum_form: str = "gradient"
    decay_rate: Any = sp.Rational(99, 100)
    beta1: Any = sp.Rational(9, 10)
    beta2: Any = sp.Rational(999, 1000)
    eps: Any = sp.Rational(1, 10**7)
    bias_correction: bool = True
    sign: int = 1  # -1 runs the rule on -f: gradient ascent (a misconception)

    def numbers(self) -> dict:
        return {k: getattr(self, k) for k in ("learning_rate", "rho", "decay_rate", "beta1", "beta2", "eps")}



def settings_from(given, **override) -> Settings:
    """Settings from a spec's given (keys missing from a kind keep their defaults)."""
    names = ("learning_rate", "rho", "momentum_form", "decay_rate", "beta1", "beta2", "eps", "bias_correction")
    values = {k: given[k] for k in names if k in given and given[k] is not None}
    values.update({k: v for k, v in override.items() if v is not None})
    return Settings(**values)


def with_sign(settings: Settings, sign: int) -> Settings:
    return replace(settings, sign=sign)
