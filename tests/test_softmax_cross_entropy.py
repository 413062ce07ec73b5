"""softmax_cross_entropy against torch.softmax / torch.nn.functional.cross_entropy in float64."""

import pytest
import sympy as sp
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.kinds import softmax_cross_entropy as kind
from hwcheck.schema import convert_fields


def solve(logits, target):
    g = convert_fields(kind.GIVEN, {"logits": logits, "target": target})
    kind.check(g, tuple(kind.PARTS))
    return kind.solve(g).answers


def floats(values):
    return [float(sp.N(v, 30)) for v in values]


def oracle(logits, target):
    z = torch.tensor([float(sp.Rational(v)) for v in logits], dtype=torch.float64, requires_grad=True)
    if isinstance(target, int):
        t = torch.tensor([target])
    else:
        t = torch.tensor([[float(sp.Rational(v)) for v in target]], dtype=torch.float64)
    loss = F.cross_entropy(z.unsqueeze(0), t)
    loss.backward()
    return torch.softmax(z.detach(), 0).tolist(), loss.item(), z.grad.tolist()


# logits as short decimals (read exactly), wide enough that the max shift matters
logit = st.integers(-4000, 4000).map(lambda k: f"{k / 100}")


@st.composite
def problems(draw):
    n = draw(st.integers(2, 6))
    logits = draw(st.lists(logit, min_size=n, max_size=n))
    if draw(st.booleans()):
        return logits, draw(st.integers(0, n - 1))
    weights = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n).filter(any))
    total = sum(weights)
    return logits, [f"{w}/{total}" for w in weights]


@settings(max_examples=30, deadline=None)
@given(problems())
def test_matches_torch(problem):
    logits, target = problem
    a = solve(logits, target)
    p, loss, grad = oracle(logits, target)
    assert floats(a["probabilities"]) == pytest.approx(p, rel=1e-9, abs=1e-12)
    assert float(sp.N(a["loss"], 30)) == pytest.approx(loss, rel=1e-9, abs=1e-12)
    assert floats(a["dL_dlogits"]) == pytest.approx(grad, rel=1e-9, abs=1e-12)


def test_exact_where_readable():
    a = solve([0, "log(3)"], 1)
    assert a["probabilities"] == [sp.Rational(1, 4), sp.Rational(3, 4)]
    assert sp.simplify(a["loss"] - sp.log(sp.Rational(4, 3))) == 0
    assert a["dL_dlogits"] == [sp.Rational(1, 4), -sp.Rational(1, 4)]


def test_shift_does_not_change_the_result():
    # logits that overflow a naive exp in float64; the shifted softmax is exact and finite
    a = solve([1000, 1000 + sp.log(3)], 0)
    assert a["probabilities"] == [sp.Rational(1, 4), sp.Rational(3, 4)]
    assert sp.simplify(a["loss"] - sp.log(4)) == 0


def test_soft_target_equals_mixture_of_hard_targets():
    logits = ["0.3", "-1.2", "2.5"]
    soft = solve(logits, ["1/4", "3/4", 0])["loss"]
    hard = sp.Rational(1, 4) * solve(logits, 0)["loss"] + sp.Rational(3, 4) * solve(logits, 1)["loss"]
    assert abs(sp.N(soft - hard, 40)) < 1e-35


def test_sign_flipped_misconception():
    g = convert_fields(kind.GIVEN, {"logits": [0, "log(3)"], "target": 1})
    wrong = kind.MISCONCEPTIONS["sign_flipped"](g)["dL_dlogits"]
    assert wrong == [-sp.Rational(1, 4), sp.Rational(1, 4)]


@pytest.mark.parametrize("given, key, words", [
    ({"logits": [1, 2], "target": 2}, "given.target", "class index from 0 to 1"),
    ({"logits": [1, 2], "target": -1}, "given.target", "class index"),
    ({"logits": [1, 2], "target": [0.5, 0.25]}, "given.target", "add up to 1"),
    ({"logits": [1, 2], "target": [1]}, "given.target", "length 2"),
    ({"logits": [1, 2], "target": [1.5, -0.5]}, "given.target[1]", "≥ 0"),
    ({"logits": [1, 2], "target": "cat"}, "given.target", "class index"),
    ({"logits": [[1, 2]], "target": 0}, "given.logits", "vector"),
])
def test_refusals(given, key, words):
    import yaml

    text = yaml.safe_dump({"kind": "softmax_cross_entropy", "given": given})
    with pytest.raises(SpecError) as info:
        api.load_problem_text(text, file="p.yaml")
    message = str(info.value)
    assert message.startswith(f"p.yaml: {key}:"), message
    assert words in message, message
