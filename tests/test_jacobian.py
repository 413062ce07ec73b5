"""jacobian against SymPy diff entrywise and torch.autograd.functional.jacobian at random points."""

import math

import pytest
import sympy as sp
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.expr import parse_expr, symbol
from hwcheck.kinds import jacobian

VARS = ("x1", "x2", "x3")

# (text, torch function of the variable vector v), generated together
_leaf = st.sampled_from(range(3)).map(lambda i: (VARS[i], lambda v, i=i: v[i])) | st.integers(1, 3).map(
    lambda c: (str(c), lambda v, c=c: torch.tensor(float(c), dtype=torch.float64)))

from conftest import grade_one


def _extend(child):
    def unary(name, c):
        text, fn = c
        op = {"exp": torch.exp, "sin": torch.sin}[name]
        return f"{name}({text})", lambda v: op(fn(v))

    def binary(op, a, b):
        (ta, fa), (tb, fb) = a, b
        if op == "/":  # a denominator that cannot vanish
            return f"({ta} / ({tb}*{tb} + 1))", lambda v: fa(v) / (fb(v) * fb(v) + 1)
        torch_op = {"+": torch.add, "-": torch.sub, "*": torch.mul}[op]
        return f"({ta} {op} {tb})", lambda v: torch_op(fa(v), fb(v))

    return st.builds(unary, st.sampled_from(["exp", "sin"]), child) | \
        st.builds(binary, st.sampled_from(["+", "-", "*", "/"]), child, child)


exprs = st.recursive(_leaf, _extend, max_leaves=5)


def _load(f, vars_, at=None, parts=None):
    text = "kind: jacobian\ngiven:\n  f: %s\n  vars: [%s]\n" % (f, ", ".join(vars_))
    if at is not None:
        text += "  at: {%s}\n" % ", ".join(f"{k}: '{v}'" for k, v in at.items())
    if parts:
        text += f"parts: {parts}\n"
    return api.load_problem_text(text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(exprs, min_size=1, max_size=3), st.lists(st.integers(-12, 12), min_size=3, max_size=3))
def test_random_jacobians_match_sympy_and_torch(fs, ks):
    at = {name: sp.Rational(k, 8) for name, k in zip(VARS, ks)}
    point = torch.tensor([float(at[n]) for n in VARS], dtype=torch.float64)
    J_torch = torch.autograd.functional.jacobian(lambda v: torch.stack([fn(v) for _, fn in fs]), point)
    assume(bool(torch.isfinite(J_torch).all()) and float(J_torch.abs().max()) < 1e8)

    p = _load("[" + ", ".join(f"'{t}'" for t, _ in fs) + "]", VARS, at, "[jacobian, value]")
    answers = api.solve(p).answers
    J, value = answers["jacobian"], answers["value"]
    assert J.shape == (len(fs), 3) == value.shape  # rows = outputs, columns = variables
    for i, (text, _) in enumerate(fs):
        for j, name in enumerate(VARS):
            assert sp.simplify(J[i, j] - sp.diff(parse_expr(text), symbol(name))) == 0
            assert math.isclose(float(value[i, j]), float(J_torch[i, j]), rel_tol=1e-9, abs_tol=1e-9), (text, name)


def test_elementwise_function_has_diagonal_jacobian():
    p = _load("['tanh(z1)', 'tanh(z2)']", ["z1", "z2"], {"z1": 0, "z2": 1}, "[jacobian, value]")
    s = api.solve(p)
    assert s.answers["jacobian"].is_diagonal()
    z = torch.tensor([0.0, 1.0], dtype=torch.float64)
    expected = torch.autograd.functional.jacobian(torch.tanh, z)
    for i in range(2):
        for j in range(2):
            assert math.isclose(float(s.answers["value"][i, j]), float(expected[i, j]), abs_tol=1e-12)


def test_affine_map_gives_W_and_I():
    W = sp.Matrix([[2, -1], [1, 3]])
    f = "['2*x1 - x2 + b1', 'x1 + 3*x2 + b2']"
    assert api.solve(_load(f, ["x1", "x2"])).answers["jacobian"] == W
    assert api.solve(_load(f, ["b1", "b2"])).answers["jacobian"] == sp.eye(2)
    # against torch: d(Wx + b)/dx and d(Wx + b)/db at any point
    Wt, x, b = torch.tensor([[2.0, -1.0], [1.0, 3.0]], dtype=torch.float64), torch.ones(2, dtype=torch.float64), \
        torch.zeros(2, dtype=torch.float64)
    assert torch.equal(torch.autograd.functional.jacobian(lambda x: Wt @ x + b, x), Wt)
    assert torch.equal(torch.autograd.functional.jacobian(lambda b: Wt @ x + b, b), torch.eye(2, dtype=torch.float64))


@pytest.mark.parametrize("point, slope", [(1, 3), (4, 48)])  # seed 002: the slopes of x^3
def test_slopes_of_x_cubed(point, slope):
    s = api.solve(_load("'x**3'", ["x"], {"x": point}, "[jacobian, gradient, value]"))
    assert s.answers["value"] == sp.Matrix([[slope]])
    x = torch.tensor(float(point), dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(x ** 3, x)
    assert float(g) == slope
    assert s.answers["jacobian"].shape == (1, 1) and s.answers["gradient"] == [3 * symbol("x") ** 2]


def test_scalar_gradient_is_the_transposed_row():
    s = api.solve(_load("'x*y**2'", ["x", "y"], None, "[jacobian, gradient]"))
    x, y = symbol("x"), symbol("y")
    assert s.answers["jacobian"] == sp.Matrix([[y ** 2, 2 * x * y]])
    assert s.answers["gradient"] == [y ** 2, 2 * x * y]


def test_transposed_misconception():
    p = _load("['x*y', 'x + y**2']", ["x", "y"])
    wrong = jacobian.MISCONCEPTIONS["transposed"](p.given)["jacobian"]
    assert wrong == api.solve(p).answers["jacobian"].T != api.solve(p).answers["jacobian"]


@pytest.mark.parametrize("f, vars_, at, parts, key, fragment", [
    ("['x', 'y']", ["x", "y"], None, "[gradient]", "given.f", "scalar f"),
    ("'x'", ["x"], None, "[value]", "given.at", "at"),
    ("'x*y'", ["x"], {"x": 1}, "[value]", "given.at", "no value for y"),
    ("'x'", ["x"], {"x": 1, "t": 1}, "[value]", "given.at", "unknown t"),
    ("'sqrt(x)'", ["x"], {"x": 0}, "[value]", "given.at", "exists"),
    ("'x'", ["x", "x"], None, None, "given.vars[1]", "each variable once"),
    ("'x'", ["'2x'"], None, None, "given.vars[0]", "variable names"),
])
def test_refusals(f, vars_, at, parts, key, fragment):
    with pytest.raises(SpecError) as err:
        _load(f, vars_, at, parts)
    assert err.value.key == key and fragment in str(err.value), str(err.value)




def test_grader_names_the_transposed_jacobian(tmp_path):
    parts = grade_one(tmp_path, "jacobian-affine-x.yaml", {"jacobian": [[2, -1], [1, 3]]})
    assert parts["jacobian"]["verdict"] == "correct"
    wrong = grade_one(tmp_path / "a", "jacobian-affine-x.yaml", {"jacobian": [[2, 1], [-1, 3]]})
    assert wrong["jacobian"]["diagnosis"] == "transposed"
