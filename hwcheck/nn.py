"""Primitives shared by the neural-network kinds: activations, softmax, precision.

Kinds compose these instead of re-deriving them (STYLE.md, practice 2).

Exactness policy: values stay exact (SymPy rationals, radicals, ``exp(1)``)
while they are readable; once an expression grows past ``READABLE_OPS``
operations (nested exponentials after a sigmoid layer, say) it is evaluated to
``PRECISION`` significant digits and carried as a SymPy Float, so the final
answer is still rounded only once, to far more than the 12 digits a key needs.

>>> activate("relu", sp.Rational(-1, 2)), derivative("sigmoid", sp.Integer(0))
(0, 1/4)
>>> softmax([0, sp.log(3)])
[1/4, 3/4]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy as sp

PRECISION = 50
READABLE_OPS = 24


def settle(value):
    """Keep ``value`` exact while readable; otherwise a 50-digit Float.

    >>> settle(sp.sqrt(2) / 8)
    sqrt(2)/8
    >>> settle(1 / (1 + sp.exp(-1 / (1 + sp.exp(-sp.Rational(1, 3))))))
    0.64165859613352057679729193172394391083298037485806
    """
    value = sp.sympify(value)
    if not value.is_number or value.is_Rational or value.is_Float:
        return value
    if readable(value):
        return value
    return sp.Float(sp.N(value, PRECISION), PRECISION)


def readable(value) -> bool:
    """Short, and no transcendental function inside another one's argument."""
    if sp.count_ops(value) > READABLE_OPS:
        return False
    funcs = value.atoms(sp.Function) | {p for p in value.atoms(sp.Pow) if p.base == sp.E}
    return not any(f.args[-1].has(sp.Function) or f.args[-1].has(sp.E) for f in funcs)


@dataclass(frozen=True)
class Activation:
    name: str
    fn: Callable  # z -> f(z)
    df: Callable  # (z, f(z)) -> f'(z), written in terms of f(z) where the notes do
    latex: str  # f'(z) in terms of f, for the explanation


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", lambda z: 1 / (1 + sp.exp(-z)), lambda z, a: a * (1 - a),
                          r"\sigma(z)\,(1 - \sigma(z))"),
    "tanh": Activation("tanh", sp.tanh, lambda z, a: 1 - a**2, r"1 - \tanh^2(z)"),
    "relu": Activation("relu", lambda z: sp.Max(0, z), lambda z, a: sp.Integer(1 if z > 0 else 0),
                       r"\mathbb{1}[z > 0]"),
    "linear": Activation("linear", lambda z: z, lambda z, a: sp.Integer(1), "1"),
}


def activate(name: str, z):
    """f(z) for a numeric z (exact where readable)."""
    return settle(ACTIVATIONS[name].fn(sp.sympify(z)))


def derivative(name: str, z):
    """f'(z) for a numeric z; ReLU'(0) is taken as 0, as PyTorch does."""
    act = ACTIVATIONS[name]
    z = sp.sympify(z)
    return settle(act.df(z, act.fn(z)))


def softmax(z: Sequence) -> list:
    """Softmax of a vector, computed after shifting by the maximum (the same value, exactly)."""
    z = [sp.sympify(v) for v in z]
    top = max(z, key=lambda v: sp.N(v, 30))
    shifted = [sp.exp(v - top) for v in z]
    total = sp.Add(*shifted)
    return [settle(e / total) for e in shifted]
