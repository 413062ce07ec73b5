"""jacobian: the matrix of partial derivatives of f = (f_1, ..., f_m) in the variables (x_1, ..., x_n).

Layout (numerator layout, the "shape" of the notes): ``J[i, j] = ∂f_i/∂x_j``,
so rows are outputs and columns are variables: m×n, and 1×n for a scalar f.
The gradient of a scalar f is the transpose of that row, a column vector with
the shape of the variables (the shape convention). Cases the notes single out:
an elementwise function has a diagonal Jacobian; ``∂(Wx + b)/∂x = W`` and
``∂(Wx + b)/∂b = I``; the slope of x³ is 3 at x = 1 and 48 at x = 4.

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
}

PARTS = {
    "jacobian": Part("m×n matrix of partial derivatives (1×n for a scalar f)", default=True),
    "gradient": Part("scalar f only: the column of partial derivatives"),
    "value": Part("the Jacobian at 'at'"),
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


def evaluate(J, at) -> sp.ImmutableMatrix:
    point = {symbol(k): v for k, v in at.items()}
    return J.applyfunc(lambda e: settle(e.xreplace(point)))


def solve(given) -> Solution:
    fs, xs = outputs(given), variables(given)
    scalar = not isinstance(given.f, tuple)
    J = matrix(given)
    m, n = J.shape
    names = [sp.Symbol("f")] if scalar else [sp.Symbol(f"f_{i + 1}") for i in range(m)]
    steps = [
        Step("layout", {"m": m, "n": n, "scalar": scalar, "names": names, "fs": fs, "xs": xs}),
        Step("entries", {"rows": [(names[i], fs[i], [(xs[j], J[i, j]) for j in range(n)]) for i in range(m)]}),
        Step("matrix", {"J": J, "m": m, "n": n, "xs": xs, "names": names,
                        "identity": m == n and J == sp.eye(n),
                        "diagonal": m == n and n > 1 and J.is_diagonal() and J != sp.eye(n),
                        "constant": all(e.is_number for e in J) and J != sp.eye(max(m, n))[:m, :n]}),
    ]
    answers = {"jacobian": J}
    if m == 1:
        gradient = list(J.row(0))
        steps.append(Step("gradient", {"gradient": gradient, "xs": xs, "J": J}))
        answers["gradient"] = gradient
    if given.at is not None:
        value = evaluate(J, given.at)
        steps.append(Step("value", {"point": {symbol(k): v for k, v in given.at.items()}, "J": J, "value": value,
                                    "scalar": scalar, "n": n}))
        answers["value"] = value
    return Solution(steps, answers)


PART_STEPS = {"jacobian": ("layout", "matrix"), "gradient": ("gradient",), "value": ("value",)}

MISCONCEPTIONS = {
    # denominator layout: rows = variables, columns = outputs (for a square J this is the transpose)
    "transposed": lambda g: ({"jacobian": matrix(g).T} if matrix(g).T != matrix(g) and len(outputs(g)) > 1
                             else {}),
}
