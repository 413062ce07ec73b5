"""vanishing_gradient against torch autograd (float64) and SymPy's own diff."""

import json

import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.kinds import vanishing_gradient as kind


def load(given, parts=None):
    spec = {"kind": "vanishing_gradient", "given": given}
    if parts is not None:
        spec["parts"] = parts
    return api.load_problem_text(json.dumps(spec))


def answers(given):
    return api.solve(load(given, list(kind.PARTS))).answers


def floats(values):
    return [float(sp.N(v, 30)) for v in values]


ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def oracle(g):
    """The same scalar chain in torch float64: activations, each local derivative, ∂a_L/∂a_l by autograd."""
    L = len(g["weights"]) if "weights" in g else g["depth"]
    ws = [float(sp.Rational(w)) for w in g["weights"]] if "weights" in g else [1.0] * L
    bs = [float(sp.Rational(b)) for b in g["biases"]] if "biases" in g else [0.0] * L
    act = ACT[g["activation"]]
    a = [torch.tensor(float(sp.Rational(g.get("x", 0))), dtype=torch.float64, requires_grad=True)]
    for w, b in zip(ws, bs):
        a.append(act(w * a[-1] + b))
    local = [torch.autograd.grad(a[l], a[l - 1], retain_graph=True)[0].item() for l in range(1, L + 1)]
    grads = torch.autograd.grad(a[-1], a[:-1])  # ∂a_L/∂a_l for l = 0 ... L-1
    return [t.item() for t in a], local, [t.item() for t in grads]


# dyadic numbers (k/4): a ReLU chain is then exact in float64 too, so z = 0 is decided alike
dyadic = st.builds(lambda k: f"{k}/4", st.integers(-10, 10))


@st.composite
def chains(draw):
    L = draw(st.integers(1, 8))
    g = {"activation": draw(st.sampled_from(["sigmoid", "tanh", "relu"])), "x": draw(dyadic)}
    if draw(st.booleans()):
        g["weights"] = draw(st.lists(dyadic, min_size=L, max_size=L))
    else:
        g["depth"] = L
    if draw(st.booleans()):
        g["biases"] = draw(st.lists(dyadic, min_size=L, max_size=L))
    return g


@settings(max_examples=40, deadline=None)
@given(chains())
def test_matches_torch_autograd(g):
    a = answers(g)
    acts, local, grads = oracle(g)
    tol = dict(rel=1e-9, abs=1e-12)
    assert floats(a["activations"]) == pytest.approx(acts, **tol)
    assert floats(a["local_derivatives"]) == pytest.approx(local, **tol)
    assert floats(a["gradients"]) == pytest.approx(grads, **tol)
    # the bound on the whole product holds for these weights, whatever x and the biases are
    assert abs(grads[0]) <= float(a["bound"]) * (1 + 1e-12)


def test_gradient_matches_sympy_diff_exactly():
    """Three tanh layers with weights and biases: ∂a_3/∂x from SymPy's diff of the composed expression."""
    x = sp.Symbol("x")
    ws, bs, x0 = [2, sp.Rational(-1, 2), 3], [0, 1, sp.Rational(-1, 4)], sp.Rational(1, 3)
    expr = x
    for w, b in zip(ws, bs):
        expr = sp.tanh(w * expr + b)
    expected = sp.diff(expr, x).subs(x, x0)
    a = answers({"weights": [2, "-1/2", 3], "biases": [0, 1, "-1/4"], "x": "1/3", "activation": "tanh"})
    assert abs(sp.N(a["gradients"][0] - expected, 60)) < 1e-45


def test_sigmoid_unit_weights_bound_is_quarter_to_the_L():
    for L in (1, 4, 10):
        a = answers({"depth": L, "x": 0, "activation": "sigmoid"})
        assert a["bound"] == sp.Rational(1, 4) ** L
    a = answers({"depth": 10, "activation": "sigmoid"})
    assert float(a["bound"]) == pytest.approx(9.5367431640625e-07)
    assert a["local_derivatives"][0] == sp.Rational(1, 4)  # σ'(0), x defaults to 0
    assert 0 < float(a["gradients"][0]) < float(a["bound"])


def test_bound_uses_the_weights_and_ignores_x_and_biases():
    g = {"weights": [2, "-1/2", 3], "activation": "tanh"}
    assert answers({**g, "x": 5})["bound"] == 3
    assert answers({**g, "x": 0, "biases": [1, 1, 1]})["bound"] == 3
    assert answers({**g, "activation": "sigmoid", "x": 0})["bound"] == sp.Rational(3, 64)


def test_dead_relu_stops_the_gradient():
    a = answers({"weights": [1, -1, 1], "biases": [0, 0, 1], "x": 1, "activation": "relu"})
    assert a["local_derivatives"] == [1, 0, 1]
    assert a["gradients"] == [0, 0, 1]  # layer 2 is dead: nothing below it gets a gradient
    assert a["bound"] == 1


def test_relu_at_zero_has_derivative_zero_like_torch():
    a = answers({"depth": 2, "x": 0, "activation": "relu"})
    assert a["local_derivatives"] == [0, 0]


def test_gradients_are_default_part():
    assert load({"depth": 3, "activation": "tanh"}).part_names == ("gradients",)


def test_misconceptions_differ_from_the_answer():
    p = load({"weights": [2, 3], "x": "1/2", "activation": "sigmoid"})
    right = api.solve(p).answers["gradients"]
    for name, mistake in kind.MISCONCEPTIONS.items():
        wrong = mistake(p.given)["gradients"]
        assert floats(wrong) != pytest.approx(floats(right)), name


@pytest.mark.parametrize("given, key", [
    ({"activation": "tanh"}, "given.weights"),
    ({"weights": [1, 2], "depth": 2, "activation": "tanh"}, "given.depth"),
    ({"depth": 3, "biases": [0, 0], "activation": "tanh"}, "given.biases"),
    ({"depth": 0, "activation": "tanh"}, "given.depth"),
    ({"depth": 101, "activation": "tanh"}, "given.depth"),
    ({"weights": [1] * 101, "activation": "tanh"}, "given.weights"),
    ({"weights": [], "activation": "tanh"}, "given.weights"),
    ({"weights": [1, "w"], "activation": "tanh"}, r"given.weights\[1\]"),
    ({"depth": 3, "activation": "softplus"}, "given.activation"),
    ({"depth": 3}, "given.activation"),
    ({"depth": 3, "x": "y", "activation": "relu"}, "given.x"),
])
def test_refusals_name_the_key(given, key):
    with pytest.raises(SpecError, match=rf"<text>: {key}: expected"):
        load(given)


# -- the worked text, read as a strict TA would (issue 8) -------------------------------

import re  # noqa: E402

from hwcheck import optim, render  # noqa: E402

from conftest import PROBLEMS  # noqa: E402

SHIPPED = sorted(PROBLEMS.glob("vanishing-*.yaml"))


def _factors_parenthesised(md):
    """Every left factor of a product `A \\cdot B` that is a sum or difference is in parentheses."""
    for m in re.finditer(r"= ([^=$]+?) \\cdot ", md):
        left = m.group(1).strip()
        if re.search(r"\S [-+] ", left):
            assert left.startswith(r"\left("), left


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_text(path):
    p = api.load_problem(path)
    solution = api.solve(p)
    md = api.render_solution(p, solution)
    steps, answers = md.split("## Answers")
    _factors_parenthesised(steps)
    assert r"1 - \tanh^{2}{\left(1 \right)} \cdot 2" not in md
    # every gradient is printed with the same digits in the steps and in the Answers
    exact = optim.shown_exact(solution.answers["gradients"])
    for g in solution.answers["gradients"]:
        shown = render.num(g) if exact else render.dec(g)
        assert shown in steps, shown
    assert "(s)" not in md
    # L is the depth; the loss has its own symbol
    assert r"\partial L}" not in md and r"\frac{\partial E}{\partial w_l}" in md


def test_tanh_digits_agree_between_steps_and_answers():
    p = api.load_problem(PROBLEMS / "vanishing-tanh-weights.yaml")
    md = api.render_solution(p)
    assert "0.250204" in md.split("## Answers")[0] and "0.250204" in md.split("## Answers")[1]
    assert "0.250203868251" not in md and "0.250203868249" not in md


def test_a_chain_of_identical_layers_is_said_once():
    """30 lines of 1·1 = 1 become one line per step, whatever the depth."""
    short = api.render_solution(load({"depth": 10, "x": 1, "activation": "relu"}))
    deep = api.render_solution(load({"depth": 80, "x": 1, "activation": "relu"}))
    assert len(deep.splitlines()) == len(short.splitlines())
    assert deep.count(r"1 \cdot 1 = 1") <= 2
    assert "l = 1, \\dots, 80" in deep


def test_relu_question_is_answered():
    md = api.render_solution(api.load_problem(PROBLEMS / "vanishing-relu-depth-10.yaml"))
    assert "helps against vanishing gradients" in md


def test_sigmoid_and_tanh_slopes_use_the_idioms():
    md = api.render_solution(load({"depth": 3, "x": 1, "activation": "sigmoid"}))
    assert re.search(r"f'\(z_\{2\}\) = a_\{2\}(\\,|\\thinspace)\(1 - a_\{2\}\)", md)
    assert re.search(r"f'\(z_l\) = a_l(\\,|\\thinspace)\(1 - a_l\)", md)
    md = api.render_solution(load({"weights": [2, 1], "x": "1/2", "activation": "tanh"}))
    assert "1 - a_{1}^{2}" in md


def test_notation_roles():
    spec = {"kind": "vanishing_gradient", "given": {"depth": 3, "activation": "tanh"},
            "notation": {"loss": "J", "depth": "N"}}
    md = api.render_solution(api.load_problem_text(json.dumps(spec)))
    assert r"\frac{\partial J}{\partial w_l}" in md and "a_{N}" in md and "a_{L}" not in md


@settings(max_examples=25, deadline=None)
@given(chains())
def test_random_chains_render_clean_text(g):
    p = load(g, list(kind.PARTS))
    solution = api.solve(p)
    md = api.render_solution(p, solution)
    steps = md.split("## Answers")[0]
    _factors_parenthesised(steps)
    assert "(s)" not in md and "\\_" not in md
    exact = optim.shown_exact(solution.answers["gradients"])
    for v in solution.answers["gradients"]:
        assert (render.num(v) if exact else render.dec(v)) in steps
    L = len(solution.answers["gradients"])
    assert len(md.splitlines()) < 70 + 4 * L  # one line per layer and step at most
