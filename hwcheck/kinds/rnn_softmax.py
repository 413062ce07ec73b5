"""rnn_softmax: how many softmax calls an RNN classifier makes, and its forward pass.

An RNN reads the words x_1 ... x_n (steps are numbered from 1, as in the
notes) and keeps a hidden state ``h_t = act(W_xh x_t + W_hh h_{t-1} + b_h)``.
A step that produces an output computes logits ``o_t = W_hy h_t + b_y`` and
``ŷ_t = softmax(o_t)``, one call per output step:

* many_to_one: only the last step, h_n, is classified: 1 call;
* many_to_many: every step is classified: n calls;
* selected: only the listed steps: k calls (k = number of steps listed).

Each ŷ_t is a probability distribution over the classes (every entry
exp(·)/Σexp(·) > 0, and they sum to 1). With forward data and a label per
output step, the loss is the *sum* of the cross-entropies ``-log ŷ_t[y_t]``
(natural log). Predictions and labels are class indices from 0.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text("{kind: rnn_softmax, given: {architecture: many_to_many, n_words: n}}")
>>> solve(p.given).answers["softmax_calls"]
n
>>> p = load_problem_text('''
... kind: rnn_softmax
... given: {architecture: many_to_one, x: [[0], [0]], W_xh: [[1]], W_hh: [[1]],
...         W_hy: [[0], [0]], b_y: [0, "log(3)"], labels: [1]}
... parts: [softmax_calls, probabilities, loss]
... ''')
>>> a = solve(p.given).answers
>>> a["softmax_calls"], a["probabilities"], a["loss"]
(1, [[1/4, 3/4]], -log(3/4))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from hwcheck import nn
from hwcheck.errors import Invalid, ParseError
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import Choice, Int, ListOf, Matrix, Schema, Vector, found

TITLE = "Softmax outputs of an RNN classifier (many-to-one, many-to-many, selected steps)"

ARCHITECTURES = ("many_to_one", "many_to_many", "selected")
FORWARD_KEYS = ("x", "W_xh", "W_hh", "W_hy")  # all four, or none
FORWARD_PARTS = ("hidden_states", "probabilities", "predictions", "loss")
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]*$")


@dataclass(frozen=True)
class IntOrSymbol(Schema):
    """A whole number (≥ ``min``) or a symbol name such as ``n``: a SymPy Integer or Symbol.

    >>> IntOrSymbol().convert(5), IntOrSymbol().convert("n"), IntOrSymbol().convert("7")
    (5, n, 7)
    >>> IntOrSymbol().convert("n + 1")
    Traceback (most recent call last):
    ...
    hwcheck.errors.Invalid: expected a whole number or a symbol name such as n, found the text 'n + 1'
    """

    min: int = 1

    def convert(self, value):
        from hwcheck.expr import parse_expr

        expected = "a whole number or a symbol name such as n"
        if isinstance(value, str):
            try:
                parsed = parse_expr(value.strip())
            except ParseError:
                raise Invalid(expected, found(value)) from None
            if parsed.is_Symbol:
                return parsed
            if not parsed.is_Integer:
                raise Invalid(expected, found(value))
            value = int(parsed)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(expected, found(value))
        if value < self.min:
            raise Invalid(f"a whole number ≥ {self.min} or a symbol name", found(value))
        return sp.Integer(value)


@dataclass(frozen=True)
class Classes(Schema):
    """The classes: their count, or a list of labels (numbers or short words); a tuple of labels.

    >>> Classes().convert(3), Classes().convert(["neg", "pos"])
    ((0, 1, 2), ('neg', 'pos'))
    """

    def convert(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 2:
                raise Invalid("at least 2 classes", found(value))
            return tuple(range(value))
        if not isinstance(value, (list, tuple)) or len(value) < 2:
            raise Invalid("the number of classes, or a list of at least 2 class labels", found(value))
        for i, label in enumerate(value):
            ok = (isinstance(label, int) and not isinstance(label, bool)) or (
                isinstance(label, str) and _LABEL.match(label))
            if not ok:
                raise Invalid("a class label: a whole number or a word (letters, digits, spaces, -)",
                              found(label), key=f"[{i}]")
        if len(set(value)) != len(value):
            raise Invalid("distinct class labels", "a label listed twice")
        return tuple(value)


GIVEN = {
    "architecture": Choice(doc="where the RNN produces outputs", options=ARCHITECTURES),
    "n_words": IntOrSymbol(doc="number of words (time steps): a whole number or a symbol such as n; "
                               "default: the number of vectors in x", default=None),
    "selected": ListOf(doc="the output steps (1-based), for selected; integers, or the symbol of n_words "
                           "for the last step", item=IntOrSymbol(), default=None),
    "classes": Classes(doc="the classes: their count or a list of labels", default=None),
    "x": ListOf(doc="input vectors x_1 ... x_n", item=Vector(), default=None),
    "W_xh": Matrix(doc="input-to-hidden weights, H×D", default=None),
    "W_hh": Matrix(doc="hidden-to-hidden weights, H×H", default=None),
    "b_h": Vector(doc="hidden bias, H [zeros]", default=None),
    "W_hy": Matrix(doc="hidden-to-output weights, C×H", default=None),
    "b_y": Vector(doc="output bias, C [zeros]", default=None),
    "h0": Vector(doc="initial hidden state, H [zeros]", default=None),
    "activation": Choice(doc="hidden activation", options=("tanh", "relu", "sigmoid"), default="tanh"),
    "labels": ListOf(doc="the true class index (from 0) at each output step", item=Int(min=0), default=None),
}

PARTS = {
    "softmax_calls": Part("how many times softmax is applied (an integer or a symbol such as n)", default=True),
    "hidden_states": Part("h_1 ... h_n, one vector per step"),
    "probabilities": Part("ŷ_t for each output step, a probability vector over the classes"),
    "predictions": Part("the predicted class index (from 0) at each output step"),
    "loss": Part("the sum over output steps of -log ŷ_t[y_t] (natural log)"),
}


# -- checks ----------------------------------------------------------------------

def has_forward(given) -> bool:
    return given.x is not None


def word_count(given):
    """n as given, or the number of input vectors."""
    if given.n_words is not None:
        return given.n_words
    return sp.Integer(len(given.x)) if given.x is not None else None


def check(given, parts) -> None:
    _check_steps(given)
    present = [k for k in FORWARD_KEYS if given[k] is not None]
    if present and len(present) < len(FORWARD_KEYS):
        missing = [k for k in FORWARD_KEYS if given[k] is None]
        raise Invalid("all of x, W_xh, W_hh, W_hy for a forward pass", "no " + ", ".join(missing), key=missing[0])
    if not present:
        extra = [k for k in ("b_h", "b_y", "h0", "labels") if given[k] is not None]
        if extra:
            raise Invalid("x, W_xh, W_hh and W_hy beside " + extra[0], "no forward data", key=extra[0])
        asked = [p for p in parts if p in FORWARD_PARTS]
        if asked:
            raise Invalid(f"forward data (x, W_xh, W_hh, W_hy) to compute {', '.join(asked)}",
                          "no forward data", key="x")
        return
    _check_shapes(given)
    if "loss" in parts and given.labels is None:
        raise Invalid("labels (the true class at each output step) to compute the loss", "no labels", key="labels")


def _check_steps(given) -> None:
    if given.n_words is None and given.x is None:
        raise Invalid("the key 'n_words' (a whole number or a symbol such as n)", "no such key", key="n_words")
    n = word_count(given)
    if given.architecture == "selected":
        if given.selected is None:
            raise Invalid("selected: the list of output steps", "no such key", key="selected")
        last = None
        for i, step in enumerate(given.selected):
            if step.is_Symbol:
                if step != n:
                    raise Invalid(f"a step number, or {n} (the last step)", f"the symbol {step}", key=f"selected[{i}]")
            elif n.is_Integer and step > n:
                raise Invalid(f"a step between 1 and n_words = {n} (steps count from 1)", f"step {step}",
                              key=f"selected[{i}]")
            if last is not None and not _before(last, step):
                raise Invalid("distinct steps in increasing order", f"{step} after {last}", key=f"selected[{i}]")
            last = step
    elif given.selected is not None:
        raise Invalid("selected only with architecture: selected", f"architecture {given.architecture}",
                      key="selected")


def _before(a, b) -> bool:
    """a comes strictly before b; a symbol n is after every number listed."""
    if b.is_Symbol:
        return not a.is_Symbol
    return not a.is_Symbol and a < b


def _check_shapes(given) -> None:
    n = len(given.x)
    if given.n_words is not None and given.n_words != n:
        raise Invalid(f"n_words equal to the number of input vectors ({n})", f"{given.n_words}", key="n_words")
    d = given.x[0].shape[0]
    for t, x in enumerate(given.x):
        if x.shape[0] != d:
            raise Invalid(f"input vectors of one length ({d}, like x_1)", f"x_{t + 1} of length {x.shape[0]}",
                          key=f"x[{t}]")
    h = given.W_hh.shape[0]
    if given.W_hh.shape != (h, h):
        raise Invalid("a square W_hh (H×H)", "shape {}×{}".format(*given.W_hh.shape), key="W_hh")
    if given.W_xh.shape != (h, d):
        raise Invalid(f"W_xh of shape H×D = {h}×{d}", "shape {}×{}".format(*given.W_xh.shape), key="W_xh")
    if given.W_hy.shape[1] != h:
        raise Invalid(f"W_hy with H = {h} columns", "shape {}×{}".format(*given.W_hy.shape), key="W_hy")
    c = given.W_hy.shape[0]
    for key, length in (("b_h", h), ("h0", h), ("b_y", c)):
        if given[key] is not None and given[key].shape[0] != length:
            raise Invalid(f"{key} of length {length}", f"length {given[key].shape[0]}", key=key)
    if given.classes is not None and len(given.classes) != c:
        raise Invalid(f"{c} classes, one per row of W_hy", f"{len(given.classes)}", key="classes")
    if given.labels is not None:
        k = len(output_steps(given))
        if len(given.labels) != k:
            found_labels = f"{len(given.labels)} label" + ("" if len(given.labels) == 1 else "s")
            raise Invalid(f"one label per output step ({k})", found_labels, key="labels")
        for i, y in enumerate(given.labels):
            if y >= c:
                raise Invalid(f"a class index from 0 to {c - 1}", f"{y}", key=f"labels[{i}]")


# -- solving -----------------------------------------------------------------------

def output_steps(given):
    """The 1-based steps that produce an output; None for all of 1..n with a symbolic n."""
    n = word_count(given)
    if given.architecture == "many_to_one":
        return [n]
    if given.architecture == "selected":
        return list(given.selected)
    return list(range(1, int(n) + 1)) if n.is_Integer else None


def _least_n(given) -> int:
    """The shortest sentence the listed steps fit in (n comes after every number listed)."""
    if given.architecture != "selected":
        return 1
    numbers = [int(t) for t in given.selected if t.is_Integer]
    last = max(numbers, default=0)
    return last + 1 if any(t.is_Symbol for t in given.selected) else max(last, 1)


def softmax_calls(given):
    """One softmax per output step: 1, n or k."""
    if given.architecture == "many_to_one":
        return sp.Integer(1)
    if given.architecture == "selected":
        return sp.Integer(len(given.selected))
    return word_count(given)


def recurrence(given, h_prev, x_t, t) -> dict:
    """One step: a_t = W_xh x_t + W_hh h_{t-1} + b_h, h_t = act(a_t)."""
    H = given.W_hh.shape[0]
    b_h = nn.entries(given.b_h) if given.b_h is not None else [sp.Integer(0)] * H
    from_x, from_h = nn.matvec(given.W_xh, x_t), nn.matvec(given.W_hh, h_prev)
    pre = [nn.settle_mixed(u + w + b) for u, w, b in zip(from_x, from_h, b_h)]
    return {"t": t, "x": nn.entries(x_t), "h_prev": h_prev, "pre": pre, "h": nn.activate_all(given.activation, pre)}


def output(given, h_t, t) -> dict:
    """One output step: o_t = W_hy h_t + b_y, ŷ_t = softmax(o_t), prediction = argmax."""
    C = given.W_hy.shape[0]
    logits = [nn.settle_mixed(o) for o in nn.matvec(given.W_hy, h_t, given.b_y)]
    probs = nn.softmax(logits)
    numeric = [sp.N(p, 40) for p in probs]
    prediction = max(range(C), key=lambda i: (numeric[i], -i))  # the first largest, as torch.argmax
    total = nn.settle(sp.Add(*probs))
    if abs(sp.N(total - 1, nn.PRECISION)) < sp.Float(10) ** (8 - nn.PRECISION):
        total = sp.Integer(1)  # exactly 1; a settled sum differs from it only in the last digits
    return {"t": t, "h": h_t, "logits": logits, "probs": probs, "total": total, "prediction": prediction}


def class_labels(given):
    """The class labels as given, or 0 ... C-1 from the rows of W_hy; None if unknown."""
    if given.classes is not None:
        return given.classes
    return tuple(range(given.W_hy.shape[0])) if has_forward(given) else None


def solve(given) -> Solution:
    n = word_count(given)
    steps_out = output_steps(given)
    calls = softmax_calls(given)
    steps = [
        Step("count", {"architecture": given.architecture, "n": n, "steps": steps_out, "calls": calls,
                       "min_n": _least_n(given) if n.is_Symbol else None}),
        Step("distribution", {"architecture": given.architecture, "classes": class_labels(given)}),
    ]
    answers = {"softmax_calls": calls}
    if not has_forward(given):
        return Solution(steps, answers)

    H = given.W_hh.shape[0]
    h = list(given.h0) if given.h0 is not None else [sp.Integer(0)] * H
    steps.append(Step("setup", {"n": int(n), "D": given.x[0].shape[0], "H": H, "C": given.W_hy.shape[0],
                                "activation": given.activation, "h0": h, "h0_given": given.h0 is not None,
                                "b_h": given.b_h is not None, "b_y": given.b_y is not None}))
    records = []
    for t, x_t in enumerate(given.x, start=1):
        record = recurrence(given, h, x_t, t)
        records.append(record)
        h = record["h"]
    steps.append(Step("hidden", {"activation": given.activation, "records": records}))
    outputs = [output(given, records[int(t) - 1]["h"], int(t)) for t in steps_out]
    steps.append(Step("outputs", {"outputs": outputs, "classes": class_labels(given)}))
    answers.update({
        "hidden_states": [r["h"] for r in records],
        "probabilities": [o["probs"] for o in outputs],
        "predictions": [sp.Integer(o["prediction"]) for o in outputs],
    })
    if given.labels is not None:
        terms = [{"t": o["t"], "label": y, "p": o["probs"][y], "probs": o["probs"], "loss": nn.cross_entropy(o["probs"], nn.one_hot(y, len(o["probs"])))}
                 for o, y in zip(outputs, given.labels)]
        loss = nn.settle(sp.Add(*(term["loss"] for term in terms)))
        steps.append(Step("loss", {"terms": terms, "loss": loss}))
        answers["loss"] = loss
    return Solution(steps, answers)


# -- misconceptions: the solver with one rule broken ----------------------------------

def _one_per_word(given) -> dict:
    """A softmax at every word, whatever the architecture."""
    n = word_count(given)
    return {"softmax_calls": n} if n != softmax_calls(given) else {}


def _mean_loss(given) -> dict:
    """The mean of the cross-entropies instead of their sum."""
    if not has_forward(given) or given.labels is None or len(given.labels) < 2:
        return {}
    loss = solve(given).answers["loss"]
    return {"loss": nn.settle(loss / len(given.labels))}


def _one_based(given) -> dict:
    """Predictions counted from 1."""
    if not has_forward(given):
        return {}
    return {"predictions": [p + 1 for p in solve(given).answers["predictions"]]}


MISCONCEPTIONS = {
    "softmax_every_word": _one_per_word,
    "mean_instead_of_sum": _mean_loss,
    "one_based_classes": _one_based,
}
