"""sgd_dataset: batch, stochastic and mini-batch gradient descent on a small dataset.

The model is linear, ``ŷ = w·x + b`` (``w`` a number when ``x`` holds numbers,
a vector when ``x`` holds vectors), and the per-example loss is
``L_i = ½(ŷ_i − y_i)²``. With the residual ``r_i = ŷ_i − y_i``:

* ``∂L_i/∂w = r_i x_i`` and ``∂L_i/∂b = r_i``;
* one update on a batch ``S`` of ``B`` examples averages them,
  ``w ← w − η (1/B) Σ_{i∈S} r_i x_i`` and ``b ← b − η (1/B) Σ_{i∈S} r_i``;
* the full-data loss is the mean ``L = (1/N) Σ_i L_i``.

Variants: ``batch`` uses all N examples in every update (one update per epoch);
``stochastic`` one example per update, in ``order``; ``minibatch`` the
consecutive slices of ``order`` of size ``batch_size`` (the last slice is
shorter when ``batch_size`` does not divide the length of ``order``).

Decisions (documented in the template's conventions too):

* ``order`` is a list of 0-based indices, used in every epoch; or a list of
  lists, one order per epoch (then it has ``epochs`` entries). An index may
  repeat or be left out (sampling with replacement). Default: 0, 1, …, N−1.
* ``batch_size`` belongs to ``minibatch`` (required there, 1 ≤ B ≤ N). With
  ``stochastic`` it may only be 1 and with ``batch`` only N (the sizes these
  variants imply); any other value is refused rather than silently ignored.
* With ``batch``, an ``order`` must be a permutation of 0…N−1 (it only orders
  the terms of the sum): every batch update uses each example exactly once.
* Rational data stays exact (Python fractions, rounded once at output). If
  any input is irrational (``sqrt(2)``) the run is carried in 50-digit floats.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text('''
... kind: sgd_dataset
... given: {data: {x: [1, 2], y: [2, 4]}, init: {w: 0, b: 0}, learning_rate: 0.5,
...         variant: stochastic, order: [1, 0]}
... ''')
>>> a = solve(p.given).answers

Example 1 first: r = 0 − 4, so w = 0 − ½(−4)(2) = 4, b = 0 − ½(−4) = 2; then
example 0: r = 4 + 2 − 2 = 4, so w = 4 − ½(4)(1) = 2, b = 2 − ½(4) = 0, the exact fit.

>>> a["params"]
[{'w': 4, 'b': 2}, {'w': 2, 'b': 0}]
>>> a["losses"]
[13, 0]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

import sympy as sp

from hwcheck import limits
from hwcheck import optim
from hwcheck.errors import Invalid
from hwcheck.model import Part, Solution, Step
from hwcheck.nn import PRECISION
from hwcheck.schema import Choice, Int, Number, Record, Schema, found, number_at

TITLE = "Gradient descent on a dataset: batch, stochastic (SGD) and mini-batch updates of a linear model"

VARIANTS = ("batch", "stochastic", "minibatch")

# Updates shown in full: all of them up to SHOW_ALL, else the first SHOW_FIRST and the last SHOW_LAST.
SHOW_ALL = 8
SHOW_FIRST = 3
SHOW_LAST = 2
# Skipped updates listed one line each in the summary of the middle, up to this many.
LIST_LIMIT = 40


class Inputs(Schema):
    """A list of numbers, or a list of vectors of one length: ``(values, dim)``, dim None for numbers."""

    def convert(self, value):
        if not isinstance(value, (list, tuple)) or not value:
            raise Invalid("a non-empty list of numbers or of vectors", found(value))
        vectors = [isinstance(v, (list, tuple)) for v in value]
        if any(vectors) and not all(vectors):
            first = vectors.index(not vectors[0])
            raise Invalid("numbers only or vectors only", f"{found(value[first])} among "
                          + ("vectors" if vectors[0] else "numbers"), key=f"[{first}]")
        if not vectors[0]:
            return tuple(number_at(v, f"[{i}]") for i, v in enumerate(value)), None
        dim = len(value[0])
        if dim == 0:
            raise Invalid("vectors of at least one number", "an empty vector", key="[0]")
        for i, v in enumerate(value):
            if len(v) != dim:
                raise Invalid(f"vectors of one length ({dim}, as x[0])", f"x[{i}] of length {len(v)}", key=f"[{i}]")
        return tuple(tuple(number_at(c, f"[{i}][{j}]") for j, c in enumerate(v)) for i, v in enumerate(value)), dim


class Weights(Schema):
    """A number or a flat list of numbers (a vector)."""

    def convert(self, value):
        if isinstance(value, (list, tuple)):
            if not value:
                raise Invalid("a number or a vector", "an empty list")
            return tuple(number_at(v, f"[{i}]") for i, v in enumerate(value))
        return number_at(value, "")


class Order(Schema):
    """0-based indices (one order for every epoch), or a list of such lists (one per epoch)."""

    def convert(self, value):
        if not isinstance(value, (list, tuple)) or not value:
            raise Invalid("a non-empty list of example indices (or one list per epoch)", found(value))
        if all(isinstance(v, (list, tuple)) for v in value):
            out = []
            for e, row in enumerate(value):
                if not row:
                    raise Invalid("a non-empty list of example indices", "an empty list", key=f"[{e}]")
                out.append(tuple(self._index(v, f"[{e}][{k}]") for k, v in enumerate(row)))
            return ("per_epoch", tuple(out))
        return ("every_epoch", tuple(self._index(v, f"[{k}]") for k, v in enumerate(value)))

    @staticmethod
    def _index(v, key):
        try:
            return Int(min=0).convert(v)
        except Invalid as exc:
            raise Invalid("an example index (a whole number ≥ 0)", exc.found, key=key) from None


GIVEN = {
    "data": Record(doc="the training set: x a list of numbers or of vectors, y a list of numbers",
                   fields={"x": Inputs(doc="inputs"), "y": Weights(doc="targets")}),
    "model": Choice(doc="the model: ŷ = w·x + b", options=("linear",), default="linear"),
    "init": Record(doc="initial parameters: w a number (x numbers) or a vector (x vectors), b a number",
                   fields={"w": Weights(doc="initial weight(s)"), "b": Number(doc="initial bias")}),
    "learning_rate": Number(doc="step size η", positive=True),
    "variant": Choice(doc="which examples each update uses", options=VARIANTS),
    "batch_size": Int(doc="examples per update (minibatch)", default=None, min=1),
    "order": Order(doc="0-based indices in the order drawn, or one list per epoch [0..N−1]", default=None),
    "epochs": Int(doc="passes over the order", default=1, min=1),
}

PARTS = {
    "params": Part("the parameters {w, b} after each update", default=True),
    "final_w": Part("w after the last update"),
    "final_b": Part("b after the last update"),
    "losses": Part("the full-data mean loss after each update"),
}


# -- checks ------------------------------------------------------------------------

def _n(given) -> int:
    return len(given.data.x[0])


def epoch_orders(given) -> list[tuple[int, ...]]:
    """The order of each epoch."""
    n = _n(given)
    if given.order is None:
        return [tuple(range(n))] * given.epochs
    mode, value = given.order
    return list(value) if mode == "per_epoch" else [value] * given.epochs


def check(given, parts) -> None:
    xs, dim = given.data.x
    ys = given.data.y
    n = len(xs)
    limits.check_count(n * given.epochs, limits.MAX_UPDATES, "examples × epochs", "epochs")
    if not isinstance(ys, tuple):
        raise Invalid(f"y, a list of {n} numbers (one per x)", "a single number", key="data.y")
    if len(ys) != n:
        raise Invalid(f"y of the length of x ({n})", f"{len(ys)} target(s)", key="data.y")
    w = given.init.w
    if dim is None and isinstance(w, tuple):
        raise Invalid("w a number (x holds numbers)", f"a vector of length {len(w)}", key="init.w")
    if dim is not None and not isinstance(w, tuple):
        raise Invalid(f"w a vector of length {dim} (x holds vectors of length {dim})", "a number", key="init.w")
    if dim is not None and len(w) != dim:
        raise Invalid(f"w a vector of length {dim} (the length of each x)", f"length {len(w)}", key="init.w")

    variant, size = given.variant, given.batch_size
    if variant == "minibatch":
        if size is None:
            raise Invalid("batch_size (examples per update) for variant minibatch", "no batch_size", key="batch_size")
        if size > n:
            raise Invalid(f"a batch size from 1 to the number of examples ({n})", f"{size}", key="batch_size")
    elif size is not None:
        implied = 1 if variant == "stochastic" else n
        if size != implied:
            raise Invalid(f"no batch_size with variant {variant} (it uses {implied} example(s) per update)",
                          f"batch_size {size}", key="batch_size",
                          hint="use variant: minibatch for other sizes")

    if given.order is not None:
        mode, value = given.order
        rows = value if mode == "per_epoch" else (value,)
        if mode == "per_epoch" and len(rows) != given.epochs:
            raise Invalid(f"one order per epoch ({given.epochs})", f"{len(rows)} order(s)", key="order")
        for e, row in enumerate(rows):
            for k, i in enumerate(row):
                if i >= n:
                    where = f"[{e}][{k}]" if mode == "per_epoch" else f"[{k}]"
                    raise Invalid(f"an example index from 0 to {n - 1}", f"{i}", key="order" + where)
            if variant == "batch" and sorted(row) != list(range(n)):
                raise Invalid(f"with variant batch, an order that lists each of 0..{n - 1} once "
                              "(every batch update uses all examples)", f"{list(row)}", key="order")


# -- arithmetic ----------------------------------------------------------------------

def _all_numbers(given):
    xs, _ = given.data.x
    flat = [c for x in xs for c in (x if isinstance(x, tuple) else (x,))]
    w = given.init.w
    flat += list(given.data.y) + list(w if isinstance(w, tuple) else (w,)) + [given.init.b, given.learning_rate]
    return flat


def is_exact(given) -> bool:
    """True when every input is rational: then the whole run is exact."""
    return all(v.is_Rational for v in _all_numbers(given))


def _field(given):
    """Fraction when every input is rational (exact), else a 50-digit Float."""
    if is_exact(given):
        return lambda v: Fraction(int(v.p), int(v.q))
    return lambda v: sp.Float(sp.N(v, PRECISION), PRECISION)


def _out(v):
    """A value of the run as a SymPy number (for answers)."""
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    if isinstance(v, int):
        return sp.Integer(v)
    return v


def _show(v):
    """A value of the run for display: exact (a SymPy number, or the 50-digit Float of an irrational
    run). The template prints it by the number policy, rounded once (``render.num``/``dec``)."""
    return _out(v)


def _vec(v: Sequence, scalar: bool, fn=_out):
    return fn(v[0]) if scalar else [fn(c) for c in v]


def _dot(a, b):
    total = a[0] * b[0]
    for p, q in zip(a[1:], b[1:]):
        total = total + p * q
    return total


def _sum(values):
    values = list(values)
    return sum(values[1:], values[0])


def _residuals(X, Y, w, b):
    # r_i = ŷ_i − y_i with ŷ_i = w·x_i + b
    return [_dot(w, x) + b - y for x, y in zip(X, Y)]


def _mean_loss(res):
    # L = (1/N) Σ_i ½ r_i²
    return _sum(r * r for r in res) / (2 * len(res))


def _batches(variant: str, order: tuple[int, ...], size: int | None) -> list[tuple[int, ...]]:
    if variant == "batch":
        return [order]
    if variant == "stochastic":
        return [(i,) for i in order]
    return [order[k: k + size] for k in range(0, len(order), size)]


def _data(given):
    """x (each a tuple), y, w (a tuple), b and η in the run's number field."""
    to = _field(given)
    xs, dim = given.data.x
    X = [tuple(to(c) for c in x) if dim is not None else (to(x),) for x in xs]
    Y = [to(y) for y in given.data.y]
    w = tuple(to(c) for c in given.init.w) if dim is not None else (to(given.init.w),)
    return X, Y, w, to(given.init.b), to(given.learning_rate)


def trace(given, *, mean: bool = True, factor: int = 1) -> list[dict]:
    """Every update as data. ``mean=False`` or ``factor=2`` break one rule (for MISCONCEPTIONS)."""
    X, Y, w, b, eta = _data(given)
    updates = []
    t = 0
    for e, order in enumerate(epoch_orders(given), start=1):
        batches = _batches(given.variant, order, given.batch_size)
        for k, batch in enumerate(batches, start=1):
            t += 1
            res = _residuals([X[i] for i in batch], [Y[i] for i in batch], w, b)
            size = len(batch) if mean else 1
            # ∂L_i/∂w = r_i x_i and ∂L_i/∂b = r_i, averaged over the batch
            g_w = tuple(_sum(factor * r * X[i][j] for r, i in zip(res, batch)) / size for j in range(len(w)))
            g_b = _sum(factor * r for r in res) / size
            old_w, old_b = w, b
            w = tuple(wj - eta * gj for wj, gj in zip(w, g_w))
            b = b - eta * g_b
            all_res = _residuals(X, Y, w, b)
            updates.append({
                "t": t, "epoch": e, "k": k, "per_epoch": len(batches), "batch": batch,
                "old_w": old_w, "old_b": old_b, "res": res, "g_w": g_w, "g_b": g_b,
                "w": w, "b": b, "all_res": all_res, "loss": _mean_loss(all_res),
            })
    return updates


def _answers(updates, scalar: bool) -> dict:
    params = [{"w": _vec(u["w"], scalar), "b": _out(u["b"])} for u in updates]
    return {"params": params, "final_w": params[-1]["w"], "final_b": params[-1]["b"],
            "losses": [_out(u["loss"]) for u in updates]}


# -- solve -------------------------------------------------------------------------

def solve(given) -> Solution:
    xs, dim = given.data.x
    scalar = dim is None
    n = len(xs)
    X, Y, w0, b0, eta = _data(given)
    updates = trace(given)
    total = len(updates)
    answers = _answers(updates, scalar)

    def vec(v):
        return _vec(v, scalar, _show)

    Xs = [vec(x) for x in X]
    loss0 = _mean_loss(_residuals(X, Y, w0, b0))
    # one printing per answer: the parameters (and the losses) exactly when the policy shows the
    # whole answer exactly, else every one as a decimal, as in the Answers
    show = {"p": optim.shown_exact(answers["params"]) and optim.shown_exact([_show(b0), vec(w0)]),
            "l": optim.shown_exact(answers["losses"] + [_show(loss0)])}
    # the predictions, residuals and gradients of an update follow its parameters
    show["p"] = show["p"] and optim.shown_exact([[_show(r) for r in u["res"] + u["all_res"]] for u in updates])
    plans = [_batches(given.variant, order, given.batch_size) for order in epoch_orders(given)]
    steps = [Step("setup", {
        "n": n, "dim": dim, "x": Xs, "y": [_show(y) for y in Y], "w0": vec(w0), "b0": _show(b0),
        "eta": _show(eta), "variant": given.variant, "batch_size": given.batch_size, "epochs": given.epochs,
        "order_given": given.order is not None,
        "per_epoch_orders": given.order is not None and given.order[0] == "per_epoch",
        "plans": [[list(batch) for batch in plan] for plan in plans], "updates": total,
        "short": sorted({len(plan[-1]) for plan in plans
                         if given.variant == "minibatch" and len(plan[-1]) < given.batch_size}),
        "loss0": _show(loss0), "exact": is_exact(given), "show": show,
    })]

    def view(u):
        return {
            "t": u["t"], "epoch": u["epoch"], "k": u["k"], "per_epoch": u["per_epoch"],
            "epochs": given.epochs, "total": total, "variant": given.variant, "batch_size": given.batch_size,
            "scalar": scalar, "eta": _show(eta), "n": n,
            "rows": [{"i": i, "x": Xs[i], "y": _show(Y[i]), "yhat": _show(r + Y[i]), "r": _show(r)}
                     for i, r in zip(u["batch"], u["res"])],
            "old_w": vec(u["old_w"]), "old_b": _show(u["old_b"]), "g_w": vec(u["g_w"]), "g_b": _show(u["g_b"]),
            "w": vec(u["w"]), "b": _show(u["b"]), "all_res": [_show(r) for r in u["all_res"]],
            "loss": _show(u["loss"]), "show": show,
            # the loss after a sum of exact squares: "=" only when its printed decimal is exact
            "loss_rel": "=" if show["l"] or optim.decimal_is_exact(_show(u["loss"])) else r"\approx",
        }

    if total <= SHOW_ALL:
        steps += [Step("update", view(u)) for u in updates]
    else:
        middle = updates[SHOW_FIRST:-SHOW_LAST]
        steps += [Step("update", view(u)) for u in updates[:SHOW_FIRST]]
        steps.append(Step("middle", {
            "first": middle[0]["t"], "last": middle[-1]["t"], "count": len(middle), "scalar": scalar,
            "show": show,
            "loss_before": _show(updates[SHOW_FIRST - 1]["loss"]), "loss_after": _show(middle[-1]["loss"]),
            "rows": [{"t": u["t"], "epoch": u["epoch"], "batch": list(u["batch"]), "w": vec(u["w"]),
                      "b": _show(u["b"]), "loss": _show(u["loss"])} for u in middle]
            if len(middle) <= LIST_LIMIT else None,
        }))
        steps += [Step("update", view(u)) for u in updates[-SHOW_LAST:]]
    losses = [loss0] + [u["loss"] for u in updates]
    steps.append(Step("summary", {
        "scalar": scalar, "final_w": vec(updates[-1]["w"]), "final_b": _show(updates[-1]["b"]),
        "losses": [_show(v) for v in losses], "updates": total, "variant": given.variant,
        "epochs": given.epochs, "monotone": optim.monotone_decrease(losses), "rises": optim.rises(losses),
        "oscillates": optim.oscillates(losses), "show": show,
    }))
    return Solution(steps, answers)


def _broken(given, **rule) -> dict[str, Any]:
    return _answers(trace(given, **rule), given.data.x[1] is None)


# The worked steps shown (once) when a part is wrong.
PART_STEPS = {"params": ("update", "middle"), "final_w": ("update", "middle"), "final_b": ("update", "middle"),
              "losses": ("update", "middle", "summary")}

MISCONCEPTIONS = {
    # the batch gradient summed over the examples instead of averaged (differs only when B > 1)
    "summed_not_averaged": lambda g: _broken(g, mean=False)
    if g.variant == "batch" or (g.variant == "minibatch" and g.batch_size > 1) else {},
    # the ½ of ½(ŷ−y)² forgotten when differentiating: gradient 2 r_i x_i
    "missing_half": lambda g: _broken(g, factor=2),
}


def poor(given, solution, reference_given, reference, options):
    """A poor variant (SPEC section 7): a loss that rises where the instructor's falls, or the reverse."""
    from hwcheck import variants

    return variants.same_behaviour(variants.rising(solution.answers["losses"]),
                                   variants.rising(reference.answers["losses"]), "loss_rises")
