"""window_classifier against torch autograd in float64."""

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
