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
from test_solution_text import rendered, text_problems  # the text checks of issue 8

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


# -- the text of the solution and the idioms of the notes (issue 8) --------------------------

def test_the_nudge_is_answered_with_the_linear_estimate_and_the_exact_change(problems_dir):
    p = api.load_problem(problems_dir / "jacobian-cube-slope.yaml")
    s = api.solve(p)
    assert s.answers["change"] == sp.Rational(48, 100)  # J Δx = 48 · 0.01
    exact = sp.Rational(401, 100) ** 3 - 64  # finite difference, the oracle of the estimate
    assert abs(exact - s.answers["change"]) < sp.Rational(1, 100) ** 2 * 13
    md = api.render_solution(p)
    assert r"\Delta f \approx J\,\Delta x = 48 \cdot 0.01 = \frac{12}{25}" in md
    assert "f(4.01) - f(4) = 64.481201 - 64 = 0.481201" in md and "0.001201" in md


def test_the_point_is_named_not_the_yaml_key(problems_dir):
    md = api.render_solution(api.load_problem(problems_dir / "jacobian-cube-slope.yaml"))
    assert r"\text{at}" not in md and r"J\big|_{x = 4}" in md
    assert "(s)" not in md


def test_sigmoid_is_written_as_the_notes_write_it_with_the_statement_s_names():
    p = _load("['sigmoid(z1)', 'sigmoid(z2)']", ["z1", "z2"], {"z1": 0, "z2": 1}, "[jacobian, value]")
    p = type(p)(**{**p.__dict__, "notation": {"output": "h"}})
    md = api.render_solution(p)
    steps = md.split("## Answers")[0]
    assert r"h_{1} = \sigma\left(z_{1}\right)" in steps and "f_{1}" not in md
    assert r"\sigma\left(z_{1}\right)\left(1 - \sigma\left(z_{1}\right)\right) = h_{1}\left(1 - h_{1}\right)" in steps
    # the plain quotient of exponentials appears once, as the equal form beside the idiom
    assert steps.count(r"\frac{e^{- z_{1}}}{\left(1 + e^{- z_{1}}\right)^{2}}") == 1


def test_softmax_jacobian_is_diag_p_minus_p_p_transposed_and_matches_torch():
    logits = ["z1", "z2", "z3"]
    den = " + ".join(f"exp({z})" for z in logits)
    fs = "[" + ", ".join(f"'exp({z})/({den})'" for z in logits) + "]"
    p = _load(fs, logits, {"z1": 0, "z2": "log(2)", "z3": "log(3)"}, "[jacobian, value]")
    s = api.solve(p)
    z = torch.tensor([0.0, math.log(2), math.log(3)], dtype=torch.float64)
    expected = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, 0), z)
    got = torch.tensor([[float(v) for v in row] for row in s.answers["value"].tolist()], dtype=torch.float64)
    assert torch.allclose(got, expected, atol=1e-12)
    assert s.answers["value"][0, 0] == sp.Rational(5, 36)  # p_1(1 - p_1), p = (1/6, 1/3, 1/2)
    md = api.render_solution(p)
    assert r"\operatorname{diag}(p) - p\,p^{\top}" in md and r"p_i\left(\delta_{ij} - p_j\right)" in md
    assert r"p_{1}\left(1 - p_{1}\right) & -p_{1} p_{2} & -p_{1} p_{3}" in md


def test_a_near_softmax_is_not_taken_for_one():
    """e^{z1}/(e^{z1} + e^{z2}) and 2e^{z2}/(...) is not a softmax: no idiom is claimed."""
    md = api.render_solution(_load("['exp(z1)/(exp(z1) + exp(z2))', '2*exp(z2)/(exp(z1) + exp(z2))']",
                                   ["z1", "z2"]))
    assert "softmax" not in md.split("## Solution")[1]


@pytest.mark.parametrize("f, at, shown", [
    ("3*x2 - exp(2)", "{x1: '-3/2', x2: 1, x3: 0}", r"= 3 - e^{2} - \left(3 - e^{2}\right) = 0$"),
    ("x1**2 - 5", "{x1: 1, x2: 0, x3: 0}", r"= -3.9799 - \left(-4\right) = 0.0201"),
    ("x1**2", "{x1: 2, x2: 0, x3: 0}", r"= 1.0201 - 4 = -2.9799"),
])
def test_the_exact_change_brackets_a_value_subtracted(f, at, shown):
    """Found by test_random_jacobians_read_well: f(x + dx) - f(x) printed as 3 - e^2 - 3 - e^2 = 0."""
    p = api.load_problem_text(f"kind: jacobian\ngiven: {{f: '{f}', vars: [x1, x2, x3], at: {at}, nudge: {{x1: '1.01'}}}}\n"
                              "parts: [jacobian, gradient, value, change]")
    md, key = rendered(p)
    assert shown in md and text_problems(md, key) == []
    assert shown.split(" = ")[1] in api.render_solution(p, lang="fa")  # the Persian text brackets it too


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(exprs, min_size=1, max_size=3), st.lists(st.integers(-12, 12), min_size=3, max_size=3))
def test_random_jacobians_read_well(fs, ks):
    """Random Jacobians (with their value and, for a scalar f, a nudge) through the text checks of
    test_solution_text."""
    text = "[" + ", ".join(f"'{t}'" for t, _ in fs) + "]" if len(fs) > 1 else f"'{fs[0][0]}'"
    at = ", ".join(f"{n}: '{sp.Rational(k, 8)}'" for n, k in zip(VARS, ks))
    nudge = "" if len(fs) > 1 else ", nudge: {x1: '%s'}" % (sp.Rational(ks[0], 8) + sp.Rational(1, 100))
    parts = "[jacobian, value]" if len(fs) > 1 else "[jacobian, gradient, value, change]"
    try:
        p = api.load_problem_text(f"kind: jacobian\ngiven: {{f: {text}, vars: [x1, x2, x3], at: {{{at}}}{nudge}}}\n"
                                  f"parts: {parts}")
    except SpecError:
        assume(False)
        return
    md, key = rendered(p)
    assert text_problems(md, key) == []
