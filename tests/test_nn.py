"""hwcheck.nn primitives against torch in float64 (and exact identities where they are exact)."""

import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from hwcheck import nn

small = st.integers(-16, 16).map(lambda k: sp.Rational(k, 8))  # dyadic: exact in float64 too


def f64(values):
    return torch.tensor([float(sp.N(v, 30)) for v in values], dtype=torch.float64)


def floats(values):
    return [float(sp.N(v, 30)) for v in values]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_matvec_outer_hadamard_match_torch(n, m, data):
    W = sp.ImmutableMatrix(n, m, data.draw(st.lists(small, min_size=n * m, max_size=n * m)))
    x, b = data.draw(st.lists(small, min_size=m, max_size=m)), data.draw(st.lists(small, min_size=n, max_size=n))
    d = data.draw(st.lists(small, min_size=n, max_size=n))
    Wt = torch.tensor(W.tolist(), dtype=torch.float64)
    assert floats(nn.matvec(W, x, b)) == pytest.approx((Wt @ f64(x) + f64(b)).tolist())
    assert floats(nn.matvec_t(W, d)) == pytest.approx((Wt.T @ f64(d)).tolist())
    assert sp.ImmutableMatrix(nn.outer(d, x)) == sp.ImmutableMatrix(d) * sp.ImmutableMatrix(x).T
    assert floats(nn.hadamard(d, b)) == pytest.approx((f64(d) * f64(b)).tolist())
    assert float(nn.dot(d, b)) == pytest.approx(float(f64(d) @ f64(b)))


@pytest.mark.parametrize("name, fn", [("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
                                      ("relu", torch.relu), ("linear", lambda t: t)])
def test_elementwise_activation_and_derivative_match_autograd(name, fn):
    z = [sp.Rational(-3, 2), sp.Integer(0), sp.Rational(1, 3), sp.Integer(2)]
    t = f64(z).requires_grad_(True)
    fn(t).sum().backward()
    assert floats(nn.activate_all(name, z)) == pytest.approx(fn(f64(z)).tolist(), rel=1e-12)
    assert floats(nn.derivative_all(name, z)) == pytest.approx(t.grad.tolist(), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-300, 300).map(lambda k: sp.Rational(k, 10)), min_size=2, max_size=5), st.data())
def test_softmax_detail_and_cross_entropy_match_torch(z, data):
    d = nn.softmax_detail(z)
    assert d.probabilities == nn.softmax(z)  # the same values, exactly
    assert max(d.shifted) == 0 and all(s <= 0 for s in d.shifted)
    assert floats(d.probabilities) == pytest.approx(torch.softmax(f64(z), 0).tolist(), rel=1e-10, abs=1e-15)
    k = data.draw(st.integers(0, len(z) - 1))
    y = nn.one_hot(k, len(z))
    want = torch.nn.functional.cross_entropy(f64(z).unsqueeze(0), torch.tensor([k])).item()
    assert float(sp.N(nn.cross_entropy_logits(z, y), 30)) == pytest.approx(want, rel=1e-10, abs=1e-15)
    assert float(sp.N(nn.cross_entropy(d.probabilities, y), 30)) == pytest.approx(want, rel=1e-10, abs=1e-15)


def test_losses_and_sgd_step():
    o, t = [sp.Rational(1, 2), sp.Integer(2)], [sp.Integer(0), sp.Integer(1)]
    assert nn.half_sse(o, t) == sp.Rational(5, 8)
    assert nn.mse(o, t) == sp.Rational(5, 8)
    assert float(nn.mse(o, t)) == pytest.approx(torch.nn.functional.mse_loss(f64(o), f64(t)).item())
    W = sp.ImmutableMatrix([[1, 2], [3, 4]])
    assert nn.sgd_step(W, sp.ImmutableMatrix([[2, 0], [0, 2]]), sp.Rational(1, 2)) == sp.ImmutableMatrix([[0, 2], [3, 3]])
    assert nn.sgd_step(sp.Integer(1), sp.Integer(4), sp.Rational(1, 4)) == 0


def test_entries_refuses_a_matrix():
    with pytest.raises(ValueError):
        nn.entries(sp.Matrix([[1, 2], [3, 4]]))
