"""Backpropagation through one 2-D convolution (cross-correlation, as in frameworks).

Forward: ``Y[i,j] = sum_ab Xp[i*s + a, j*s + b] * W[a,b] + bias``, where ``Xp``
is ``X`` zero-padded by ``p`` on every side. Backward, for a given ``dL/dY``:

* ``dL/dW = sum_ij dL/dY[i,j] * (the input patch under Y[i,j])``;
* ``dL/dX`` = the full cross-correlation of ``dL/dY`` (dilated by the stride,
  padded by ``k-1``) with the kernel rotated by 180 degrees, cropped by ``p``;
* ``dL/db = sum_ij dL/dY[i,j]``.

Arithmetic is exact: the inputs are scaled to integers and the sums run in
NumPy, so large inputs stay fast.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text('''
... kind: conv2d_backprop
... given: {X: [[1, 2, 1, 0], [2, 1, 0, 1], [1, 0, 2, 1], [0, 1, 2, 1]],
...         W: [[1, -1, 0], [0, 1, -1], [-1, 0, 1]], dL_dY: [[1, -1], [-1, 1]]}
... ''')
>>> solve(p.given).answers["dL_dW"].sympy()
Matrix([
[-2,  0,  2],
[ 0,  3, -2],
[ 2, -1,  0]])
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hwcheck.errors import Invalid
from hwcheck.exact import ExactArray, combine, plus_scalar, total
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import ExactMatrix, Given, Int, PlainNumber

TITLE = "Backpropagation through a 2-D convolution"

GIVEN = {
    "X": ExactMatrix(doc="input, H×W"),
    "W": ExactMatrix(doc="kernel, kh×kw"),
    "dL_dY": ExactMatrix(doc="upstream gradient, the shape of Y (needed for gradients)", default=None),
    "stride": Int(doc="stride", default=1, min=1),
    "padding": Int(doc="zero padding on every side", default=0, min=0),
    "bias": PlainNumber(doc="bias added to every output", default=0),
}

PARTS = {
    "Y": Part("the forward output"),
    "dL_dW": Part("gradient with respect to the kernel", default=True),
    "dL_dX": Part("gradient with respect to the input", default=True),
    "dL_db": Part("gradient with respect to the bias"),
}

# Above this many multiply-adds per answer, the steps show a few entries, not all.
DETAIL_LIMIT = 400


def output_shape(given) -> tuple[int, int]:
    (h, w), (kh, kw) = given.X.shape, given.W.shape
    p, s = given.padding, given.stride
    return (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1


def check(given, parts) -> None:
    (h, w), (kh, kw), p = given.X.shape, given.W.shape, given.padding
    if kh > h + 2 * p or kw > w + 2 * p:
        raise Invalid(
            f"a kernel no larger than the padded input ({h + 2 * p}×{w + 2 * p})",
            f"a {kh}×{kw} kernel",
            key="W",
        )
    gradients = {"dL_dW", "dL_dX", "dL_db"} & set(parts)
    if gradients and given.dL_dY is None:
        raise Invalid(f"dL_dY, to compute {', '.join(sorted(gradients))}", "no dL_dY", key="dL_dY")
    if given.dL_dY is not None and given.dL_dY.shape != output_shape(given):
        ho, wo = output_shape(given)
        raise Invalid(f"dL_dY of the output's shape {ho}×{wo}", "shape {}×{}".format(*given.dL_dY.shape), key="dL_dY")


def _windows(a: np.ndarray, kh: int, kw: int, stride: int = 1) -> np.ndarray:
    """All kh×kw windows of ``a``, stepping by ``stride``: shape (Ho, Wo, kh, kw)."""
    return sliding_window_view(a, (kh, kw))[::stride, ::stride]


def _correlate(a: ExactArray, k: ExactArray, stride: int = 1) -> ExactArray:
    """Valid cross-correlation of ``a`` with kernel ``k``."""
    kh, kw = k.shape

    def op(x, w):
        return np.tensordot(_windows(x, kh, kw, stride), w, axes=([2, 3], [0, 1]))

    return combine(op, a, k, terms=kh * kw)


def _pad(a: ExactArray, ph: int, pw: int) -> ExactArray:
    return a.map(lambda n: np.pad(n, ((ph, ph), (pw, pw))))


def _dilate(a: ExactArray, s: int) -> ExactArray:
    """Insert ``s - 1`` zeros between neighbouring entries (the stride, undone)."""
    if s == 1:
        return a
    h, w = a.shape

    def op(n):
        out = np.zeros(((h - 1) * s + 1, (w - 1) * s + 1), dtype=n.dtype)
        out[::s, ::s] = n
        return out

    return a.map(op)


def _entry_terms(window: ExactArray, kernel: ExactArray, index) -> dict:
    """The products of one output entry, for display (zeros left out)."""
    terms = []
    for a in range(kernel.shape[0]):
        for b in range(kernel.shape[1]):
            x, k = window.entry((index[0] + a, index[1] + b)), kernel.entry((a, b))
            if x != 0 and k != 0:
                terms.append((x, k))
    return {"index": index, "terms": terms}


def _detail(shape, kernel_size) -> bool:
    return shape[0] * shape[1] * kernel_size <= DETAIL_LIMIT


def solve(given) -> Solution:
    X, W = given.X, given.W
    s, p = given.stride, given.padding
    kh, kw = W.shape
    h, w = X.shape
    ho, wo = output_shape(given)
    Xp = _pad(X, p, p)
    covered = ((ho - 1) * s + kh, (wo - 1) * s + kw)  # rows/columns of Xp the kernel reaches

    # Y = Xp ⋆ W + b (cross-correlation)
    Y = plus_scalar(_correlate(Xp, W, s), given.bias)
    detail = _detail((ho, wo), kh * kw)
    steps = [
        Step("setup", {"X": X, "W": W, "stride": s, "padding": p, "bias": given.bias,
                             "out_shape": (ho, wo), "covered": covered, "in_shape": (h + 2 * p, w + 2 * p)}),
        Step("forward", {"Xp": Xp, "W": W, "Y": Y, "padding": p, "stride": s, "bias": given.bias,
                         "entries": [_forward_entry(Xp, W, s, (i, j)) for i in range(ho) for j in range(wo)]
                         if detail else None}),
    ]
    answers = {"Y": Y}
    if given.dL_dY is None:
        return Solution(steps, answers)

    G = given.dL_dY
    # dL/dW[a,b] = sum_ij dL/dY[i,j] * Xp[i*s + a, j*s + b]: correlate Xp with dilated dL/dY
    Gd = _dilate(G, s)
    dW = _correlate(Xp.map(lambda n: n[: covered[0], : covered[1]]), Gd)
    steps.append(Step("grad_W", {
        "G": G, "dW": dW, "stride": s,
        "patches": [{"index": (i, j), "g": G.entry((i, j)),
                     "patch": Xp.map(lambda n, i=i, j=j: n[i * s: i * s + kh, j * s: j * s + kw])}
                    for i in range(ho) for j in range(wo)] if detail else None,
    }))
    # dL/db = sum of dL/dY (the bias is added to every output entry)
    db = total(G)
    steps.append(Step("grad_b", {"G": G, "db": db}))
    # dL/dXp = full correlation of dilated dL/dY with rot180(W); then crop the padding
    Wr = W.map(lambda n: n[::-1, ::-1].copy())
    Gp = _pad(Gd, kh - 1, kw - 1)
    full = _correlate(Gp, Wr)
    hp, wp = h + 2 * p, w + 2 * p

    def place(n):
        out = np.zeros((hp, wp), dtype=n.dtype)
        out[: n.shape[0], : n.shape[1]] = n  # rows the kernel never reached get 0
        return out[p: p + h, p: p + w]

    dX = full.map(place)
    detail_x = _detail(full.shape, kh * kw)
    steps.append(Step("grad_X", {
        "W": W, "Wr": Wr, "G": G, "Gd": Gd, "Gp": Gp, "full": full, "dX": dX,
        "stride": s, "padding": p, "kh": kh, "kw": kw, "uncovered": covered != (hp, wp),
        "entries": [_entry_terms(Gp, Wr, (m, n)) | {"value": full.entry((m, n))}
                    for m in range(full.shape[0]) for n in range(full.shape[1])] if detail_x else None,
    }))
    answers.update({"dL_dW": dW, "dL_db": db, "dL_dX": dX})
    return Solution(steps, answers)


def _forward_entry(Xp: ExactArray, W: ExactArray, s: int, index) -> dict:
    i, j = index
    window = Xp.map(lambda n: n[i * s:, j * s:])
    return _entry_terms(window, W, (0, 0)) | {"index": index}


def _rotation_skipped(given) -> dict:
    """dL/dX with the kernel used as given, not rotated: the solver run on rot180(W)."""
    rotated = given.W.map(lambda n: n[::-1, ::-1].copy())
    return {"dL_dX": solve(Given({**given, "W": rotated})).answers["dL_dX"]}


def _transposed(given) -> dict:
    """Both gradients transposed."""
    answers = solve(given).answers
    return {name: answers[name].map(lambda n: n.T.copy()) for name in ("dL_dW", "dL_dX")}


def _bias_forgotten(given) -> dict:
    """Y without the bias added to every entry."""
    if given.bias == 0:
        return {}
    return {"Y": solve(Given({**given, "bias": given.bias - given.bias})).answers["Y"]}


MISCONCEPTIONS = {
    "bias_forgotten": _bias_forgotten,
    "kernel_not_rotated": _rotation_skipped,
    "transposed": _transposed,
}
