"""softmax_cross_entropy against torch.softmax / torch.nn.functional.cross_entropy in float64."""

import re

import pytest
import sympy as sp
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from hwcheck import api, nn
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


# -- the worked text (issue 8): what a student reads -----------------------------------------

import nn_text  # noqa: E402


def test_jacobian_is_diag_p_minus_ppT_as_torch():
    """The step shows J = diag(p) − p pᵀ; its entries are torch's Jacobian of softmax."""
    z = ["2", "1", "0.1"]
    p = kind.solve(convert_fields(kind.GIVEN, {"logits": z, "target": 0})).answers["probabilities"]
    J = nn.softmax_jacobian(p)
    zt = torch.tensor([float(sp.Rational(v)) for v in z], dtype=torch.float64)
    want = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), zt)
    assert [float(sp.N(v, 30)) for v in J] == pytest.approx(want.flatten().tolist(), rel=1e-12, abs=1e-15)


def test_shipped_text_reads_well():
    md, key = nn_text.render_md(api.load_problem("problems/softmax-ce-three-classes.yaml"))
    assert nn_text.text_issues(md, key) == []
    steps = nn_text.steps_of(md)
    # the idioms: the softmax Jacobian and p − y
    assert r"p_j\,(\delta_{jk} - p_k)" in steps and r"\operatorname{diag}(p) - p p^{\top}" in steps
    assert r"\frac{\partial L}{\partial z} = p - y" in steps
    # unreadable exact forms are gone: no quotient of exponentials, six-digit decimals instead
    answers = md.split("## Answers")[1]
    assert r"\frac{1}{e" not in md and "0.659001" in answers and "-0.340999" in answers
    # the loss is a decimal, the same in the steps and the Answers, and never 20 digits long
    assert "0.41703" in steps and "0.41703" in answers and "0.41703001627783348261" not in md


def test_soft_target_shows_its_terms_and_decimals():
    md, key = nn_text.render_md(api.load_problem("problems/softmax-ce-soft-target.yaml"))
    assert nn_text.text_issues(md, key) == []
    # exact forms in the Answers carry their decimals
    assert r"\frac{1}{4} \cr \frac{3}{4} \end{bmatrix} \approx \begin{bmatrix} 0.25 \cr 0.75" in md
    # 0.5 · (−log 3): a negative factor is in parentheses, the product has its dot
    assert r"0.5 \cdot \left(- \log{\left(3 \right)}\right)" in md


def test_notation_of_the_statement_is_kept():
    p = nn_text.problem("softmax_cross_entropy", {"logits": [1, 2, 3], "target": 2},
                        notation={"probabilities": r"\hat{y}", "loss": "J_{\\mathrm{CE}}", "logits": "s", "label": "k^*"})
    md, key = nn_text.render_md(p)
    assert nn_text.text_issues(md, key) == []
    assert r"\hat{y} = \operatorname{softmax}(s)" in md and r"\frac{\partial J_{\mathrm{CE}}}{\partial s}" in md
    assert r"k^* = 2" in md
    for math in nn_text.displays(md):
        assert not re.search(r"(?<![\\\w])[pLz](?![\w])", math.replace(r"\log", "")), math  # no default symbol left


def test_no_log_of_a_rounded_number_in_a_chain():
    """log(1.1106) = 0.104898 would be false at the digits shown: the rounded sum is named beside the result."""
    md, _ = nn_text.render_md(nn_text.problem("softmax_cross_entropy", {"logits": ["0.3", "-2.5", "-1.75"], "target": 0}))
    loss_line = next(d for d in nn_text.displays(md) if d.startswith(r"L = -\log p_{0}"))
    assert r"\log\left(" not in loss_line and r"\qquad \left(\sum_j e^{z_j - m} \approx" in loss_line


@settings(max_examples=8, deadline=None)
@given(problems())
def test_random_instances_read_well(problem):
    logits, target = problem
    p = nn_text.problem("softmax_cross_entropy", {"logits": logits, "target": target})
    md, key = nn_text.render_md(p)
    assert nn_text.text_issues(md, key) == []
