"""window_classifier against torch autograd in float64."""

import re

import pytest
import sympy as sp
import torch
import yaml
from hypothesis import given, settings, strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.kinds import window_classifier as kind
from hwcheck.schema import convert_fields

# multiples of 1/8: exact in float64 as well, so z (and the sign ReLU sees) is the same in torch
value = st.integers(-16, 16).map(lambda k: f"{k}/8")
TORCH_F = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t}


def num(v):
    return float(sp.Rational(v))


def floats(values):
    if isinstance(values, sp.MatrixBase):
        return [[float(sp.N(v, 30)) for v in row] for row in values.tolist()]
    return [float(sp.N(v, 30)) for v in values]


@st.composite
def problems(draw):
    n, m = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    vec = lambda k: draw(st.lists(value, min_size=k, max_size=k))  # noqa: E731
    return {"x": vec(m), "W": [vec(m) for _ in range(n)], "b": vec(n), "u": vec(n),
            "activation": draw(st.sampled_from(sorted(TORCH_F)))}


def oracle(raw):
    t = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)  # noqa: E731
    x, b, u = (t([num(v) for v in raw[k]]) for k in ("x", "b", "u"))
    W = t([[num(v) for v in row] for row in raw["W"]])
    z = W @ x + b
    z.retain_grad()
    h = TORCH_F[raw["activation"]](z)
    s = u @ h
    s.backward()
    return {"z": z.tolist(), "h": h.tolist(), "s": s.item(), "delta": z.grad.tolist(), "ds_db": b.grad.tolist(),
            "ds_dW": W.grad.tolist(), "ds_dx": x.grad.tolist(), "ds_du": u.grad.tolist()}


@settings(max_examples=30, deadline=None)
@given(problems())
def test_matches_torch_autograd(raw):
    answers = kind.solve(convert_fields(kind.GIVEN, raw)).answers
    want = oracle(raw)
    for part, expected in want.items():
        if part == "s":
            assert float(sp.N(answers[part], 30)) == pytest.approx(expected, rel=1e-10, abs=1e-12)
            continue
        got = floats(answers[part])
        if part == "ds_dW":  # compare row by row (approx takes flat lists)
            got, expected = sum(got, []), sum(expected, [])
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-12), part
    assert sp.ImmutableMatrix(answers["ds_dW"]).shape == (len(raw["W"]), len(raw["x"]))


def test_exact_sigmoid_at_zero():
    g = convert_fields(kind.GIVEN, {"x": [1, 1], "W": [[1, -1]], "b": [0], "u": [4]})
    a = kind.solve(g).answers
    assert a["h"] == [sp.Rational(1, 2)] and a["delta"] == [1]  # 4 · σ(0)(1 − σ(0))
    assert a["ds_dW"] == sp.ImmutableMatrix([[1, 1]])
    assert a["ds_dx"] == [1, -1]


def test_sample_answers():
    a = api.solve(api.load_problem("problems/window-relu-exact.yaml")).answers
    assert a["ds_dW"] == sp.ImmutableMatrix([[2, 4, -2], [-1, -2, 1], [0, 0, 0]])
    assert a["ds_dx"] == [3, -1, 3]


def test_delta_is_shared():
    """∂s/∂b is δ itself, and ∂s/∂W and ∂s/∂x are built from the same δ."""
    g = convert_fields(kind.GIVEN, {"x": ["0.5", -1], "W": [["0.2", "0.3"], [-1, "0.1"]], "b": [0, "0.1"],
                                    "u": [1, 2], "activation": "tanh"})
    a = kind.solve(g).answers
    d = sp.ImmutableMatrix(a["delta"])
    assert a["ds_db"] == a["delta"]
    assert a["ds_dW"] == d * sp.ImmutableMatrix(g.x).T
    assert all(sp.N(p - q, 40) == 0 for p, q in zip(a["ds_dx"], g.W.T * d))


def test_misconceptions():
    g = convert_fields(kind.GIVEN, {"x": [1, 2], "W": [[1, 0], [0, 1], [1, 1]], "b": [0, 0, 0], "u": [1, 1, 1]})
    right = kind.solve(g).answers
    wrong = kind.MISCONCEPTIONS["missing_activation_derivative"](g)
    assert wrong["delta"] == [1, 1, 1] and wrong["delta"] != right["delta"]
    assert kind.MISCONCEPTIONS["transposed"](g)["ds_dW"].shape == (2, 3)


@pytest.mark.parametrize("given, key, words", [
    ({"x": [1, 2, 3], "W": [[1, 2]], "b": [0], "u": [1]}, "given.W", "3 columns"),
    ({"x": [1, 2], "W": [[1, 2]], "b": [0, 1], "u": [1]}, "given.b", "length 1"),
    ({"x": [1, 2], "W": [[1, 2]], "b": [0], "u": [1, 2]}, "given.u", "length 1"),
    ({"x": [1, 2], "W": [[1, 2]], "b": [0], "u": [1], "activation": "sigmod"}, "given.activation", "sigmoid"),
    ({"x": [1, 2], "W": [[1, 2]], "b": [0]}, "given.u", "no such key"),
])
def test_refusals(given, key, words):
    with pytest.raises(SpecError) as info:
        api.load_problem_text(yaml.safe_dump({"kind": "window_classifier", "given": given}), file="p.yaml")
    message = str(info.value)
    assert message.startswith(f"p.yaml: {key}:") and words in message, message


# -- the worked text (issue 8): what a student reads -----------------------------------------

import nn_text  # noqa: E402


def test_shipped_text_reads_well():
    md, key = nn_text.render_md(api.load_problem("problems/window-ner-sigmoid.yaml"))
    assert nn_text.text_issues(md, key) == []
    steps = nn_text.steps_of(md)
    # sigma' = sigma(1 - sigma) written with h, and its numbers
    assert r"f'(z) = h \circ (1 - h) = \begin{bmatrix} 0.574443 \left(1 - 0.574443\right)" in steps
    # no nested exact quotient of exponentials anywhere; every answer a 6-digit decimal
    assert r"\frac{3 \left(1" not in md and r"e^{- \frac{3}{10}}" not in md
    assert r"\delta = \begin{bmatrix} 0.366687 \cr -0.5 \end{bmatrix}" in md
    # a negative weight in the score's sum is parenthesised
    assert r"1.5 \cdot 0.574443 + \left(-2\right) \cdot 0.5 = -0.138336" in steps


def test_relu_indicator_and_exact_values():
    md, key = nn_text.render_md(api.load_problem("problems/window-relu-exact.yaml"))
    assert nn_text.text_issues(md, key) == []
    assert r"\mathbb{1}[- \frac{1}{2} > 0]" in md


def test_notation_of_the_statement_is_kept():
    p = nn_text.problem("window_classifier", {"x": [1, 2], "W": [[1, 0], [0, -1]], "b": [0, 0], "u": [3, 1],
                                              "activation": "tanh"},
                        notation={"score": "J", "hidden": "a", "pre": r"\theta", "score_weight": "v", "delta": r"\gamma"})
    md, key = nn_text.render_md(p)
    assert nn_text.text_issues(md, key) == []
    assert r"\frac{\partial J}{\partial W}" in md and r"\gamma = v \circ f'(\theta)" in md
    assert r"1 - a \circ a" in md  # tanh' = 1 - tanh^2 with the statement's a
    for math in nn_text.displays(nn_text.steps_of(md)):
        assert not re.search(r"(?<![\\\w])[szhu](?![\w])", math), math
        assert r"\delta" not in math, math


def test_wide_window_fits_the_latex_page(tmp_path):
    if nn_text.PDFLATEX is None:
        pytest.skip("pdflatex is not installed")
    row = ["-0.35", "0.125", "1.5", "-2", "0.7", "0.05", "-0.9", "0.25", "1", "-0.5"]
    p = nn_text.problem("window_classifier", {"x": row, "W": [row] * 4, "b": row[:4], "u": row[:4],
                                              "activation": "tanh"})
    assert nn_text.overfull_boxes(p, tmp_path) == []


@settings(max_examples=8, deadline=None)
@given(problems())
def test_random_instances_read_well(raw):
    md, key = nn_text.render_md(nn_text.problem("window_classifier", raw))
    assert nn_text.text_issues(md, key) == []
