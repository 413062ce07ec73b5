"""conv2d_backprop against PyTorch autograd (the oracle), on random shapes, strides and paddings."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from hwcheck import api
from hwcheck.exact import ExactArray
from hwcheck.kinds import conv2d_backprop as conv
from hwcheck.schema import Given, convert_fields


def make_given(X, W, G=None, stride=1, padding=0, bias=0):
    raw = {"X": X, "W": W, "stride": stride, "padding": padding, "bias": bias}
    if G is not None:
        raw["dL_dY"] = G
    return convert_fields(conv.GIVEN, raw)


def torch_oracle(X, W, G, stride, padding, bias=0.0):
    def t(a):
        return torch.tensor(np.array(a, dtype=float), dtype=torch.float64, requires_grad=True)

    x, w = t(X), t(W)
    b = torch.tensor([float(bias)], dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv2d(x[None, None], w[None, None], b, stride=stride, padding=padding)[0, 0]
    y.backward(torch.tensor(np.array(G, dtype=float), dtype=torch.float64))
    return y.detach().numpy(), w.grad.numpy(), x.grad.numpy(), b.grad.numpy()[0]


def as_float(a: ExactArray) -> np.ndarray:
    return np.array(a.floats(), dtype=float)


@st.composite
def conv_case(draw, entries=st.integers(-5, 5)):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(st.integers(0, 2))
    stride = draw(st.integers(1, 3))
    h = draw(st.integers(max(1, kh - 2 * padding), 8))
    w = draw(st.integers(max(1, kw - 2 * padding), 8))
    ho, wo = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1

    def mat(r, c):
        return draw(st.lists(st.lists(entries, min_size=c, max_size=c), min_size=r, max_size=r))

    return mat(h, w), mat(kh, kw), mat(ho, wo), stride, padding


@settings(max_examples=60, deadline=None)
@given(conv_case())
def test_matches_torch_autograd(case):
    X, W, G, stride, padding = case
    solution = conv.solve(make_given(X, W, G, stride, padding, bias=1))
    y, dw, dx, db = torch_oracle(X, W, G, stride, padding, bias=1)
    a = solution.answers
    np.testing.assert_allclose(as_float(a["Y"]), y, atol=1e-9)
    np.testing.assert_allclose(as_float(a["dL_dW"]), dw, atol=1e-9)
    np.testing.assert_allclose(as_float(a["dL_dX"]), dx, atol=1e-9)
    assert float(a["dL_db"]) == pytest.approx(db)
    # exactness: integers in, integers out
    for name in ("Y", "dL_dW", "dL_dX"):
        assert a[name].is_integer() and a[name].den == 1


@settings(max_examples=25, deadline=None)
@given(conv_case(entries=st.fractions(min_value=-3, max_value=3, max_denominator=7)))
def test_rational_inputs_stay_exact(case):
    X, W, G, stride, padding = case
    solution = conv.solve(make_given([[str(v) for v in r] for r in X], [[str(v) for v in r] for r in W],
                                     [[str(v) for v in r] for r in G], stride, padding))
    # an exact reference from Python Fractions, straight from the definition
    Xp = np.zeros((len(X) + 2 * padding, len(X[0]) + 2 * padding), dtype=object)
    Xp[:] = Fraction(0)
    Xp[padding: padding + len(X), padding: padding + len(X[0])] = np.array(X, dtype=object)
    kh, kw = len(W), len(W[0])
    dXp = np.full(Xp.shape, Fraction(0), dtype=object)
    dW = np.full((kh, kw), Fraction(0), dtype=object)
    for i, row in enumerate(G):
        for j, g in enumerate(row):
            for a in range(kh):
                for b in range(kw):
                    dW[a, b] += g * Xp[i * stride + a, j * stride + b]
                    dXp[i * stride + a, j * stride + b] += g * W[a][b]
    dX = dXp[padding: padding + len(X), padding: padding + len(X[0])]
    got = solution.answers
    assert [[Fraction(s) for s in r] for r in got["dL_dW"].strings()] == dW.tolist()
    assert [[Fraction(s) for s in r] for r in got["dL_dX"].strings()] == dX.tolist()


def test_homework_problem_matches_torch(problems_dir):
    problem = api.load_problem(problems_dir / "conv2d-backprop-4x4.yaml")
    a = api.solve(problem).answers
    X, W, G = (np.array(problem.given[k].tolist(), dtype=float) for k in ("X", "W", "dL_dY"))
    y, dw, dx, _ = torch_oracle(X, W, G, 1, 0)
    assert a["dL_dW"].sympy() == sp.Matrix([[-2, 0, 2], [0, 3, -2], [2, -1, 0]])  # SPEC.md's example
    np.testing.assert_array_equal(as_float(a["dL_dW"]), dw)
    np.testing.assert_array_equal(as_float(a["dL_dX"]), dx)
    # the seed student's dL/dX (the padded dL/dY) is wrong: make sure we did not copy it
    student = [[0, 0, 0, 0], [0, 1, -1, 0], [0, -1, 1, 0], [0, 0, 0, 0]]
    assert a["dL_dX"].sympy() != sp.Matrix(student)


def test_irrational_entries_fall_back_to_symbolic():
    solution = conv.solve(make_given([["sqrt(2)", 1], [0, 1]], [[1]], [[1, 1], [1, 1]]))
    assert solution.answers["Y"].sympy()[0, 0] == sp.sqrt(2)
    assert solution.answers["dL_dW"].sympy()[0, 0] == sp.sqrt(2) + 2


def test_large_case_summarises_steps():
    rng = np.random.default_rng(0)
    X = rng.integers(-3, 4, (40, 40)).tolist()
    W = rng.integers(-2, 3, (5, 5)).tolist()
    G = rng.integers(-2, 3, (36, 36)).tolist()
    problem = api.load_problem_text(f"kind: conv2d_backprop\ngiven: {{X: {X}, W: {W}, dL_dY: {G}}}")
    md = api.render_solution(problem)
    assert "not listed one by one" in md
    assert md.count("\n- $") < 50  # no thousands of per-entry lines
    assert "\\cdots" in md  # big matrices are elided


def test_misconception_variants_differ_from_key(problems_dir):
    problem = api.load_problem(problems_dir / "conv2d-backprop-4x4.yaml")
    right = api.solve(problem).answers["dL_dX"].sympy()
    wrong = conv.MISCONCEPTIONS["kernel_not_rotated"](problem.given)["dL_dX"].sympy()
    assert wrong != right
    # not rotating = correlating the padded gradient with W itself
    G = np.array(problem.given.dL_dY.tolist(), dtype=int)
    Gp = np.pad(G, 2)
    W = np.array(problem.given.W.tolist(), dtype=int)
    direct = [[int((Gp[m:m + 3, n:n + 3] * W).sum()) for n in range(4)] for m in range(4)]
    assert wrong == sp.Matrix(direct)


def test_gradient_parts_need_dL_dY():
    with pytest.raises(Exception, match="dL_dY"):
        api.load_problem_text("kind: conv2d_backprop\ngiven: {X: [[1, 2], [3, 4]], W: [[1]]}")
    p = api.load_problem_text("kind: conv2d_backprop\ngiven: {X: [[1, 2], [3, 4]], W: [[1]]}\nparts: [Y]")
    assert api.solve(p).answers["Y"].sympy() == sp.Matrix([[1, 2], [3, 4]])


def test_given_shape_of_dL_dY_is_checked():
    with pytest.raises(Exception, match=r"given.dL_dY: expected dL_dY of the output's shape 2×2"):
        api.load_problem_text("kind: conv2d_backprop\ngiven: {X: [[1,2,3],[4,5,6],[7,8,9]], W: [[1,0],[0,1]], "
                              "dL_dY: [[1]]}")


def test_given_is_read_only():
    g = make_given([[1]], [[1]], [[1]])
    assert isinstance(g, Given)
    with pytest.raises(AttributeError):
        g.X = None


# -- the text of the solution (issue 8) ------------------------------------------------------

def _md(text):
    return api.render_solution(api.load_problem_text(f"kind: conv2d_backprop\ngiven: {text}"))


def test_the_bias_is_not_also_a_summation_index(problems_dir):
    import re

    md = api.render_solution(api.load_problem(problems_dir / "conv2d-stride2-pad1.yaml"))
    assert r"\sum_{u,v} X_{i s + u," in md and "W_{u,v} + b" in md
    assert not re.search(r"\\sum_\{[^}]*b[^}]*\}", md)  # b never runs in a sum
    assert not re.search(r"W_\{[^}]*b", md)


@pytest.mark.parametrize("given", [
    "{X: [[1, 0, 2, 1, 0], [0, 1, 1, 0, 2], [2, 1, 0, 1, 1], [1, 0, 1, 2, 0], [0, 2, 1, 0, 1]], "
    "W: [[1, 0, -1], [2, 0, -2], [1, 0, -1]], dL_dY: [[1, 0.5, -1], [0, 2, 1], [-0.5, 1, 0]], stride: 2, padding: 1}",
    "{X: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], W: [[1, 1], [1, 1]], dL_dY: [[1, 1], [1, 1]], stride: 3, padding: 2}",
])
def test_no_template_plurals(given):
    md = _md(given)
    assert "(s)" not in md


def test_long_entry_lists_are_elided():
    X = [[(3 * i + j) % 5 for j in range(6)] for i in range(6)]
    md = _md(f"{{X: {X}, W: [[1, -1, 0], [0, 1, -1], [-1, 0, 1]], dL_dY: {[[1, 0, -1, 2]] * 4}}}")
    assert md.count("- $Y_{") == 11 and "5 more entries, each computed the same way" in md
    assert md.count(r"- $\frac{\partial L}{\partial Y_{") == 11 and "5 more patches" in md
    assert "- $Y_{0,0}" in md and "- $Y_{3,3}" in md  # the first and the last entries stay
