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

import mpmath
import sympy as sp

from hwcheck.interval import enclose

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
    """Short, and no transcendental function inside another one's argument (checked first: it is
    the cheaper test, and the one a nested exponential fails)."""
    funcs = value.atoms(sp.Function) | {p for p in value.atoms(sp.Pow) if p.base == sp.E}
    if any(f.args[-1].has(sp.Function) or f.args[-1].has(sp.E) for f in funcs):
        return False
    return sp.count_ops(value) <= READABLE_OPS


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
    "relu": Activation("relu", lambda z: _relu(z), lambda z, a: sp.Integer(1 if _positive(z) else 0),
                       r"\mathbb{1}[z > 0]"),
    "linear": Activation("linear", lambda z: z, lambda z, a: sp.Integer(1), "1"),
}


def _sign(z) -> int | None:
    """The sign of a number, when it is sure without evalf (a rational, a Float, or sure bounds
    from interval arithmetic); None otherwise."""
    if z.is_Number:
        return 1 if z.is_positive else -1 if z.is_negative else 0
    bounds = enclose(z, {})
    if bounds is None or bounds[0] <= 0 <= bounds[1]:
        return None
    return 1 if bounds[0] > 0 else -1


def _relu(z):
    """max(0, z), as SymPy's Max gives it (z itself, or 0), without its evalf where the sign is sure."""
    s = _sign(z)
    if s is None:
        return sp.Max(0, z)
    return z if s > 0 else sp.S.Zero


def _positive(z) -> bool:
    s = _sign(z)
    return bool(z > 0) if s is None else s > 0


def activate(name: str, z):
    """f(z) for a numeric z (exact where readable)."""
    return settle(ACTIVATIONS[name].fn(sp.sympify(z)))


def derivative(name: str, z):
    """f'(z) for a numeric z; ReLU'(0) is taken as 0, as PyTorch does."""
    act = ACTIVATIONS[name]
    z = sp.sympify(z)
    return settle(act.df(z, act.fn(z)))


def largest(z: Sequence):
    """The largest entry, the first of equal ones (as ``max`` with 30-digit keys finds it). Sure
    bounds decide when they set one entry apart from all the others; evalf only when they do not.

    >>> largest([sp.Integer(1), sp.tanh(2), sp.Rational(1, 2)]), largest([sp.Float(2.5, 50), sp.exp(1)])
    (1, E)
    """
    bounds = [_bounds(v) for v in z]
    if None not in bounds:
        k = max(range(len(z)), key=lambda i: bounds[i][0])
        if all(z[j] == z[k] or bounds[j][1] < bounds[k][0] for j in range(len(z))):
            return next(v for v in z if v == z[k])
    return max(z, key=lambda v: sp.N(v, 30))


def _bounds(v):
    if v.is_Float:
        end = mpmath.mp.make_mpf(v._mpf_)
        return end, end
    return enclose(v, {})


def softmax(z: Sequence) -> list:
    """Softmax of a vector, computed after shifting by the maximum (the same value, exactly)."""
    z = [sp.sympify(v) for v in z]
    top = largest(z)
    shifted = [sp.exp(v - top) for v in z]
    total = sp.Add(*shifted)
    return [settle(e / total) for e in shifted]


# -- vector steps (added for window_classifier, mlp_backprop, softmax_cross_entropy) -----------
# Vectors come in as flat sequences or SymPy column matrices and go out as Python lists of
# settled SymPy numbers; matrices go out as ``sp.ImmutableMatrix``. Every entry is settled
# once, where it is computed, so chains of steps keep the precision policy above.

def entries(v) -> list:
    """The entries of a vector (a list, a tuple, or a column/row SymPy matrix) as SymPy numbers.

    >>> entries(sp.Matrix([1, 2])), entries(["1/2", 3])
    ([1, 2], [1/2, 3])
    """
    if isinstance(v, sp.MatrixBase):
        if 1 not in v.shape:
            raise ValueError(f"a vector, not a {v.shape[0]}×{v.shape[1]} matrix")
        return list(v)
    return [sp.sympify(e) for e in v]


def matvec(W, x, b=None) -> list:
    """``W x + b`` (``b`` optional): the affine step of a dense layer.

    >>> matvec(sp.Matrix([[1, 2], [3, 4]]), [1, sp.Rational(1, 2)], [0, -1])
    [2, 4]
    """
    W = sp.ImmutableMatrix(W)
    x = entries(x)
    if W.shape[1] != len(x):
        raise ValueError(f"W has {W.shape[1]} columns but x has {len(x)} entries")
    bias = entries(b) if b is not None else [sp.Integer(0)] * W.shape[0]
    return [settle_mixed(sp.Add(*(W[i, j] * x[j] for j in range(len(x))), bias[i])) for i in range(W.shape[0])]


def matvec_t(W, d) -> list:
    """``Wᵀ d``: a gradient sent back through a dense layer.

    >>> matvec_t(sp.Matrix([[1, 2], [3, 4]]), [1, -1])
    [-2, -2]
    """
    return matvec(sp.ImmutableMatrix(W).T, d)


def activate_all(name: str, z) -> list:
    """``f(z)`` elementwise (``softmax`` is a vector function and is not accepted here).

    >>> activate_all("relu", [-1, 2])
    [0, 2]
    """
    return [activate(name, v) for v in entries(z)]


def derivative_all(name: str, z) -> list:
    """``f'(z)`` elementwise, the diagonal of the Jacobian ``∂f(z)/∂z``.

    >>> derivative_all("sigmoid", [0, 0])
    [1/4, 1/4]
    """
    return [derivative(name, v) for v in entries(z)]


def hadamard(a, b) -> list:
    """Elementwise product ``a ∘ b``.

    >>> hadamard([1, 2], [3, sp.Rational(1, 2)])
    [3, 1]
    """
    a, b = entries(a), entries(b)
    if len(a) != len(b):
        raise ValueError(f"vectors of lengths {len(a)} and {len(b)}")
    return [settle_mixed(p * q) for p, q in zip(a, b)]


def dot(a, b):
    """``aᵀ b``.

    >>> dot([1, 2], [3, 4])
    11
    """
    a, b = entries(a), entries(b)
    if len(a) != len(b):
        raise ValueError(f"vectors of lengths {len(a)} and {len(b)}")
    return settle_mixed(sp.Add(*(p * q for p, q in zip(a, b))))


def outer(a, b) -> sp.ImmutableMatrix:
    """``a bᵀ``: the gradient of a weight matrix, ``δ aᵀ`` (shape len(a) × len(b)).

    >>> outer([1, 2], [3, 4, 5])
    Matrix([
    [3, 4,  5],
    [6, 8, 10]])
    """
    a, b = entries(a), entries(b)
    return sp.ImmutableMatrix([[settle_mixed(p * q) for q in b] for p in a])


def sgd_step(param, grad, learning_rate):
    """``param − learning_rate · grad`` for a number, a vector (list) or a matrix.

    >>> sgd_step([1, 2], [1, -1], sp.Rational(1, 2))
    [1/2, 5/2]
    """
    lr = sp.sympify(learning_rate)
    if isinstance(param, sp.MatrixBase):
        grad = sp.ImmutableMatrix(grad)
        return sp.ImmutableMatrix(param.shape[0], param.shape[1],
                                  lambda i, j: settle_mixed(param[i, j] - lr * grad[i, j]))
    if isinstance(param, (list, tuple)):
        return [settle_mixed(p - lr * g) for p, g in zip(entries(param), entries(grad))]
    return settle_mixed(sp.sympify(param) - lr * sp.sympify(grad))


def one_hot(index: int, n: int) -> list:
    """The class ``index`` (from 0) as a probability vector of length ``n``.

    >>> one_hot(1, 3)
    [0, 1, 0]
    """
    return [sp.Integer(1 if k == index else 0) for k in range(n)]


@dataclass(frozen=True)
class SoftmaxDetail:
    """The stable softmax, step by step: ``shifted = z − max z``, ``exps = exp(shifted)``."""

    top: sp.Expr
    shifted: list
    exps: list
    total: sp.Expr
    probabilities: list


def softmax_detail(z: Sequence) -> SoftmaxDetail:
    """The intermediate values of ``softmax`` (same probabilities, exactly).

    >>> d = softmax_detail([0, sp.log(3)])
    >>> d.top, d.shifted, d.total, d.probabilities
    (log(3), [-log(3), 0], 4/3, [1/4, 3/4])
    """
    z = entries(z)
    top = largest(z)
    shifted = [settle_mixed(v - top) for v in z]
    exps = [settle_mixed(sp.exp(s)) for s in shifted]
    total = settle_mixed(sp.Add(*exps))
    return SoftmaxDetail(top, shifted, exps, total, softmax(z))


def softmax_jacobian(probabilities: Sequence) -> sp.ImmutableMatrix:
    """``∂p_i/∂z_j = p_i (δ_ij − p_j)``, that is ``diag(p) − p pᵀ`` (rows = outputs p_i).

    >>> softmax_jacobian([sp.Rational(1, 4), sp.Rational(3, 4)])
    Matrix([
    [ 3/16, -3/16],
    [-3/16,  3/16]])
    """
    p = entries(probabilities)
    n = len(p)
    return sp.ImmutableMatrix(n, n, lambda i, j: settle_mixed(p[i] * ((1 if i == j else 0) - p[j])))


def cross_entropy_logits(z: Sequence, target: Sequence, detail: SoftmaxDetail | None = None):
    """``−Σ_k y_k log softmax(z)_k`` for a probability vector ``y``, in the stable form
    ``log Σ_j exp(z_j − m) − Σ_k y_k (z_k − m)`` with ``m = max z`` (uses ``Σ y = 1``).
    ``detail``: ``softmax_detail(z)`` when the caller has it already.

    >>> cross_entropy_logits([0, sp.log(3)], [0, 1])  # −log(3/4)
    log(4/3)
    """
    d = softmax_detail(z) if detail is None else detail
    y = entries(target)
    return settle_mixed(sp.log(d.total) - sp.Add(*(yk * sk for yk, sk in zip(y, d.shifted))))


def cross_entropy(probabilities: Sequence, target: Sequence):
    """``−Σ_k y_k log p_k`` for probabilities ``p`` already computed (terms with y_k = 0 dropped).

    >>> cross_entropy([sp.Rational(1, 4), sp.Rational(3, 4)], [1, 0])
    log(4)
    """
    p, y = entries(probabilities), entries(target)
    return settle_mixed(-sp.Add(*(yk * sp.log(pk) for yk, pk in zip(y, p) if yk != 0)))


def half_sse(output: Sequence, target: Sequence):
    """``½ Σ (t − o)²``.

    >>> half_sse([1, 2], [0, 0])
    5/2
    """
    o, t = entries(output), entries(target)
    return settle_mixed(sp.Rational(1, 2) * sp.Add(*((tk - ok) ** 2 for ok, tk in zip(o, t))))


def mse(output: Sequence, target: Sequence):
    """``(1/n) Σ (t − o)²`` over the ``n`` outputs.

    >>> mse([1, 2], [0, 0])
    5/2
    """
    o, t = entries(output), entries(target)
    return settle_mixed(sp.Add(*((tk - ok) ** 2 for ok, tk in zip(o, t))) / len(o))


def settle_mixed(value):
    """``settle``, and a value in which a settled Float already appears becomes one Float too.

    ``settle`` keeps a short expression exact even when a factor of it is a 50-digit Float
    (``0.2247...·(1 − σ(1/2))·σ(1/2)``); such a mix is no more exact than the Float and reads
    badly, so it is evaluated to ``PRECISION`` digits like any unreadable value.

    >>> settle_mixed(sp.Float("0.5", PRECISION) * sp.tanh(sp.Rational(1, 2)))
    0.23105857863000487925115924182183627436514464016506
    >>> settle_mixed(sp.tanh(sp.Rational(1, 2)) / 2)
    tanh(1/2)/2
    """
    value = sp.sympify(value)
    if value.is_number and not value.is_Float and value.has(sp.Float):
        # what settle would come to: a readable value is evaluated here, an unreadable one there
        return sp.Float(sp.N(value, PRECISION), PRECISION)
    return settle(value)
