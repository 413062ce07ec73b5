"""jacobian: the matrix of partial derivatives of f = (f_1, ..., f_m) in the variables (x_1, ..., x_n).

Layout (numerator layout, the "shape" of the notes): ``J[i, j] = ∂f_i/∂x_j``,
so rows are outputs and columns are variables: m×n, and 1×n for a scalar f.
The gradient of a scalar f is the transpose of that row, a column vector with
the shape of the variables (the shape convention). Cases the notes single out:
an elementwise function has a diagonal Jacobian; ``∂(Wx + b)/∂x = W`` and
``∂(Wx + b)/∂b = I``; the slope of x³ is 3 at x = 1 and 48 at x = 4, so a
nudge Δx of the input changes the output by about J·Δx (the linear estimate,
shown beside the exact change). The idioms of the notes are shown where SymPy
confirms them (``hwcheck.idioms``): σ′ = σ(1 − σ), tanh′ = 1 − tanh², and for a
softmax ∂p_i/∂z_j = p_i(δ_ij − p_j), J = diag(p) − ppᵀ. The answers keep SymPy's
plain form.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text('''
... kind: jacobian
... given: {f: ["2*x1 - x2 + b1", "x1 + 3*x2 + b2"], vars: [x1, x2]}
... ''')
>>> solve(p.given).answers["jacobian"]
Matrix([
[2, -1],
[1,  3]])
"""

from __future__ import annotations

import sympy as sp

from hwcheck import idioms
from hwcheck.errors import Invalid
from hwcheck.expr import derivative, symbol
from hwcheck.model import Part, Solution, Step
from hwcheck.nn import settle
from hwcheck.schema import Expression, ListOf, MapOf, Number, Schema, Text, found

TITLE = "The Jacobian matrix (rows = outputs, columns = variables)"


class ExpressionOrList(Schema):
    """One expression (a scalar f, kept as an expression) or a list of them (a tuple)."""

    def convert(self, value):
        if isinstance(value, (list, tuple)):
            return ListOf(item=Expression()).convert(value)
        return Expression().convert(value)


GIVEN = {
    "f": ExpressionOrList(doc="an expression, or a list of expressions (one per output)"),
    "vars": ListOf(doc="the variables, in the order of the columns", item=Text()),
    "at": MapOf(doc="values of the variables (needed for the value part)", value=Number(), default=None),
    "nudge": MapOf(doc="the variables moved from 'at' to these values (needed for the change part)",
                   value=Number(), default=None),
}

PARTS = {
    "jacobian": Part("m×n matrix of partial derivatives (1×n for a scalar f)", default=True),
    "gradient": Part("scalar f only: the column of partial derivatives"),
    "value": Part("the Jacobian at 'at'"),
    "change": Part("the linear estimate J·Δx of the change of f when the variables move from 'at' to 'nudge'"),
}


def outputs(given) -> list:
    return list(given.f) if isinstance(given.f, tuple) else [given.f]


def variables(given) -> list:
    return [symbol(v) for v in given.vars]


def matrix(given) -> sp.ImmutableMatrix:
    """J[i, j] = ∂f_i/∂x_j."""
    return sp.ImmutableMatrix([[derivative(fi, xj) for xj in variables(given)] for fi in outputs(given)])


def check(given, parts) -> None:
    for i, name in enumerate(given.vars):
        if not name.isidentifier() or name.startswith("_"):
            raise Invalid("variable names", found(name), key=f"vars[{i}]")
        if name in given.vars[:i]:
            raise Invalid("each variable once", f"{name!r} again", key=f"vars[{i}]")
    if "gradient" in parts and isinstance(given.f, tuple) and len(given.f) > 1:
        raise Invalid("a scalar f for the gradient part (a vector f has a Jacobian, not a gradient)",
                      f"{len(given.f)} outputs", key="f")
    if "value" in parts and given.at is None:
        raise Invalid("the point 'at' (the value part needs it)", "no 'at'", key="at")
    if given.at is not None:
        names = sorted({s.name for fi in outputs(given) for s in fi.free_symbols} | set(given.vars))
        missing = [v for v in names if v not in given.at and any(symbol(v) in fi.free_symbols for fi in outputs(given))]
        extra = [k for k in given.at if k not in names]
        if missing or extra:
            raise Invalid("a value for each variable of f (" + ", ".join(names) + ")",
                          ("no value for " + ", ".join(missing)) if missing else "unknown " + ", ".join(extra),
                          key="at")
        value = evaluate(matrix(given), given.at)
        if any(not v.is_finite or v.is_real is False for v in value):
            raise Invalid("a point where every partial derivative exists", "an infinite or complex entry", key="at")
    if "change" in parts and given.nudge is None:
        raise Invalid("the nudged point 'nudge' (the change part needs it)", "no 'nudge'", key="nudge")
    if given.nudge is not None:
        if given.at is None:
            raise Invalid("the point 'at' that 'nudge' moves from", "no 'at'", key="at")
        extra = [k for k in given.nudge if k not in given.vars]
        if extra:
            raise Invalid("variables of 'vars' (" + ", ".join(given.vars) + ")", "unknown " + ", ".join(extra),
                          key="nudge")
        moved = _point(given.at) | _point(given.nudge)
        if any(not v.is_finite or v.is_real is False for v in (settle(fi.xreplace(moved)) for fi in outputs(given))):
            raise Invalid("a nudged point where f is defined", "an infinite or complex value", key="nudge")


def evaluate(J, at) -> sp.ImmutableMatrix:
    point = {symbol(k): v for k, v in at.items()}
    return J.applyfunc(lambda e: settle(e.xreplace(point)))


def _point(values) -> dict:
    return {symbol(k): v for k, v in values.items()}


def _shown(fs, xs, J):
    """The outputs and the Jacobian as the notes write them (sigmoid as σ, softmax as diag(p) − ppᵀ).

    Returns (outputs shown, Jacobian entries shown, softmax pattern or None). A softmax pattern is
    ``[[(i, k, diagonal?)]]``: entry (i, j) is p_i(1 − p_i) or −p_i p_k, k the output whose logit is x_j.
    """
    shown = [idioms.to_idiom(fi) for fi in fs]
    logits = idioms.softmax(fs)
    if logits is not None and sorted(map(str, logits)) == sorted(map(str, xs)) and len(xs) == len(fs):
        owner = {str(a): i for i, a in enumerate(logits)}
        p = sp.symbols(f"p_1:{len(fs) + 1}")
        pattern = [[(i, owner[str(x)], i == owner[str(x)]) for x in xs] for i in range(len(fs))]
        by_p = idioms.softmax_jacobian(p)
        check = sp.ImmutableMatrix(len(fs), len(xs), lambda i, j: by_p[i, owner[str(xs[j])]])
        if all(idioms.same(check[i, j].xreplace(dict(zip(p, fs))), J[i, j])
               for i in range(J.shape[0]) for j in range(J.shape[1])):
            return fs, None, {"pattern": pattern, "logits": logits}
    entries = []
    for i, fi in enumerate(shown):
        row = []
        for j, x in enumerate(xs):
            d = sp.diff(fi, x) if idioms.has_idiom(fi) else J[i, j]
            row.append(d if d is J[i, j] or not idioms.has_idiom(d) else idioms.idiomatic(J[i, j], d))
        entries.append(row)
    return shown, entries, None


def _activation(fi, shown_fi, x):
    """'sigmoid' or 'tanh' when f_i is σ(x) or tanh(x) of the variable x itself (its derivative is then
    written through f_i: f_i(1 − f_i), 1 − f_i²); else None."""
    if isinstance(shown_fi, idioms.Sigmoid) and shown_fi.args[0] == x:
        return "sigmoid"
    if isinstance(fi, sp.tanh) and fi.args[0] == x:
        return "tanh"
    return None


def solve(given) -> Solution:
    fs, xs = outputs(given), variables(given)
    scalar = not isinstance(given.f, tuple)
    J = matrix(given)
    m, n = J.shape
    shown, entries, softmax = _shown(fs, xs, J)
    if softmax is not None:  # the same entries in their shortest form: e^{z_i}(Σ_{k≠i} e^{z_k}) / (Σ_k e^{z_k})²
        J = J.applyfunc(sp.factor)
    if softmax is None:
        shown_J = sp.ImmutableMatrix(entries)
        rows = [{"i": i, "f": shown[i],
                 "partials": [{"x": xs[j], "d": entries[i][j], "act": _activation(fs[i], shown[i], xs[j])}
                              for j in range(n)]} for i in range(m)]
    else:
        shown_J = None
        rows = [{"i": i, "f": fs[i], "partials": []} for i in range(m)]
    steps = [
        Step("layout", {"m": m, "n": n, "scalar": scalar, "fs": shown if softmax is None else fs, "xs": xs,
                        "softmax": softmax}),
    ]
    if softmax is None:
        steps.append(Step("entries", {"rows": rows}))
    else:
        steps.append(Step("softmax", {"m": m, "xs": xs, "logits": softmax["logits"],
                                      "pattern": softmax["pattern"]}))
    steps.append(Step("matrix", {"J": J, "shown": shown_J, "m": m, "n": n, "xs": xs, "softmax": softmax,
                                 "identity": m == n and J == sp.eye(n),
                                 "diagonal": m == n and n > 1 and J.is_diagonal() and J != sp.eye(n),
                                 "constant": all(e.is_number for e in J) and J != sp.eye(max(m, n))[:m, :n]}))
    answers = {"jacobian": J}
    if m == 1:
        gradient = list(J.row(0))
        steps.append(Step("gradient", {"gradient": gradient, "shown": list(shown_J.row(0)) if shown_J is not None
                                       else gradient, "xs": xs, "J": J}))
        answers["gradient"] = gradient
    if given.at is not None:
        point = _point(given.at)
        value = evaluate(J, given.at)
        probabilities = [settle(fi.xreplace(point)) for fi in fs] if softmax is not None else None
        steps.append(Step("value", {"point": point, "J": J, "value": value, "scalar": scalar, "n": n, "m": m,
                                    "probabilities": probabilities}))
        answers["value"] = value
        if given.nudge is not None:
            moved = point | _point(given.nudge)
            dx = [moved[x] - point.get(x, 0) for x in xs]
            estimate = [settle(sum((value[i, j] * dx[j] for j in range(n)), sp.Integer(0))) for i in range(m)]
            before = [settle(fi.xreplace(point)) for fi in fs]
            after = [settle(fi.xreplace(moved)) for fi in fs]
            exact = [settle(a - b) for a, b in zip(after, before)]
            steps.append(Step("change", {"point": point, "moved": moved, "xs": xs, "dx": dx, "value": value,
                                         "estimate": estimate, "before": before, "after": after, "exact": exact,
                                         "scalar": scalar, "m": m, "n": n}))
            answers["change"] = estimate[0] if m == 1 else estimate
    return Solution(steps, answers)


PART_STEPS = {"jacobian": ("layout", "matrix"), "gradient": ("gradient",), "value": ("value",),
              "change": ("change",)}

MISCONCEPTIONS = {
    # denominator layout: rows = variables, columns = outputs (for a square J this is the transpose)
    "transposed": lambda g: ({"jacobian": matrix(g).T} if matrix(g).T != matrix(g) and len(outputs(g)) > 1
                             else {}),
}
