"""mlp_backprop against torch autograd in float64 plus a manual SGD step, and the classic 2-2-2 example."""

import re

import pytest
import sympy as sp
import torch
import yaml
from hypothesis import given, settings, strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.kinds import mlp_backprop as kind
from hwcheck.schema import convert_fields

# multiples of 1/8 are exact in float64 too, so the first layer's z (and the sign ReLU sees) agree
value = st.integers(-12, 12).map(lambda k: f"{k}/8")
TORCH_F = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t,
           "softmax": lambda t: torch.softmax(t, 0)}
TOL = dict(rel=1e-9, abs=1e-12)


def num(v):
    return float(sp.Rational(v))


def flat(value):
    if isinstance(value, sp.MatrixBase):
        return [float(sp.N(v, 30)) for v in value]
    return [float(sp.N(v, 30)) for v in value]


@st.composite
def networks(draw):
    loss = draw(st.sampled_from(["half_sse", "mse", "cross_entropy"]))
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    layers = []
    for i in range(1, len(sizes)):
        last = i == len(sizes) - 1
        act = "softmax" if last and loss == "cross_entropy" else draw(st.sampled_from(["sigmoid", "tanh", "relu", "linear"]))
        layers.append({"W": [draw(st.lists(value, min_size=sizes[i - 1], max_size=sizes[i - 1])) for _ in range(sizes[i])],
                       "b": draw(st.lists(value, min_size=sizes[i], max_size=sizes[i])), "activation": act})
    n_out = sizes[-1]
    if loss == "cross_entropy":
        weights = draw(st.lists(st.integers(0, 3), min_size=n_out, max_size=n_out).filter(any))
        target = [f"{w}/{sum(weights)}" for w in weights]
    else:
        target = draw(st.lists(value, min_size=n_out, max_size=n_out))
    return {"x": draw(st.lists(value, min_size=sizes[0], max_size=sizes[0])), "target": target, "layers": layers,
            "loss": loss, "learning_rate": draw(st.sampled_from(["0.5", "0.1", "1/3"]))}


def oracle(raw):
    """torch autograd for the gradients; the update done by hand (param − lr · grad)."""
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    Ws = [t([[num(v) for v in row] for row in layer["W"]]).requires_grad_(True) for layer in raw["layers"]]
    bs = [t([num(v) for v in layer["b"]]).requires_grad_(True) for layer in raw["layers"]]
    a, acts, zs = t([num(v) for v in raw["x"]]), [], []
    for W, b, layer in zip(Ws, bs, raw["layers"]):
        z = W @ a + b
        z.retain_grad()
        zs.append(z)
        a = TORCH_F[layer["activation"]](z)
        acts.append(a)
    target = t([num(v) for v in raw["target"]])
    if raw["loss"] == "half_sse":
        loss = 0.5 * ((target - a) ** 2).sum()
    elif raw["loss"] == "mse":
        loss = torch.nn.functional.mse_loss(a, target)
    else:
        loss = torch.nn.functional.cross_entropy(zs[-1].unsqueeze(0), target.unsqueeze(0))
    loss.backward()
    lr = num(raw["learning_rate"])
    return {"activations": [x.tolist() for x in acts], "loss": loss.item(), "deltas": [z.grad.tolist() for z in zs],
            "grad_W": [W.grad.flatten().tolist() for W in Ws], "grad_b": [b.grad.tolist() for b in bs],
            "W_new": [(W - lr * W.grad).flatten().tolist() for W in Ws],
            "b_new": [(b - lr * b.grad).tolist() for b in bs]}


def solve_raw(raw):
    g = convert_fields(kind.GIVEN, raw)
    kind.check(g, tuple(kind.PARTS))
    return kind.solve(g).answers


@settings(max_examples=30, deadline=None)
@given(networks())
def test_matches_torch_autograd_and_sgd(raw):
    answers, want = solve_raw(raw), oracle(raw)
    assert float(sp.N(answers["loss"], 30)) == pytest.approx(want["loss"], **TOL)
    for part in ("activations", "deltas", "grad_W", "grad_b", "W_new", "b_new"):
        assert len(answers[part]) == len(raw["layers"]), part
        for got, expected in zip(answers[part], want[part]):
            assert flat(got) == pytest.approx(expected, **TOL), part
    for got, layer in zip(answers["grad_W"], raw["layers"]):
        assert got.shape == (len(layer["W"]), len(layer["W"][0]))  # the shape of W


def test_classic_2_2_2_published_figures():
    """The widely used worked example: total error 0.298371109, w5 → 0.35891648, w1 → 0.149780716."""
    a = api.solve(api.load_problem("problems/mlp-classic-2-2-2.yaml")).answers
    assert float(a["loss"]) == pytest.approx(0.298371109, abs=5e-10)
    assert a["activations"][1][0] == pytest.approx(0.75136507, abs=5e-9)  # out_o1
    assert float(a["W_new"][1][0, 0]) == pytest.approx(0.35891648, abs=5e-9)  # w5
    assert float(a["W_new"][1][1, 1]) == pytest.approx(0.561370121, abs=5e-10)  # w8
    assert float(a["W_new"][0][0, 0]) == pytest.approx(0.149780716, abs=5e-10)  # w1
    assert float(a["W_new"][0][1, 1]) == pytest.approx(0.29950229, abs=5e-9)  # w4
    assert float(a["grad_W"][1][0, 0]) == pytest.approx(0.082167041, abs=5e-10)  # ∂E/∂w5


def test_exact_for_relu_and_linear():
    raw = {"x": [1, 2], "target": [1], "loss": "half_sse", "learning_rate": "0.5",
           "layers": [{"W": [[1, -1], [0, 1]], "b": [0, 0], "activation": "relu"},
                      {"W": [[1, 2]], "b": [1], "activation": "linear"}]}
    a = solve_raw(raw)
    assert a["deltas"] == [[0, 8], [4]]  # δ2 = o − t = 4; δ1 = Wᵀδ2 ∘ relu′(z1) = [4, 8] ∘ [0, 1]
    assert a["grad_W"][0] == sp.ImmutableMatrix([[0, 0], [8, 16]])
    assert a["b_new"] == [[0, -4], [-1]]


def test_mse_scales_the_output_gradient():
    base = {"x": [1], "target": [0, 0], "learning_rate": 1,
            "layers": [{"W": [[1], [2]], "b": [0, 0], "activation": "linear"}]}
    half = solve_raw({**base, "loss": "half_sse"})
    mse = solve_raw({**base, "loss": "mse"})
    assert half["deltas"] == [[1, 2]] and mse["deltas"] == [[1, 2]]  # 2/n = 1 for n = 2
    three = {**base, "target": [0, 0, 0], "layers": [{"W": [[1], [2], [3]], "b": [0, 0, 0], "activation": "linear"}]}
    assert solve_raw({**three, "loss": "mse"})["deltas"] == [[sp.Rational(2, 3), sp.Rational(4, 3), 2]]


def test_missing_activation_derivative():
    g = api.load_problem("problems/mlp-classic-2-2-2.yaml").given
    right, wrong = kind.solve(g).answers, kind.MISCONCEPTIONS["missing_activation_derivative"](g)
    assert set(wrong) == {"deltas", "grad_W", "grad_b", "W_new", "b_new"}
    o, t = right["activations"][-1], [sp.Rational(1, 100), sp.Rational(99, 100)]
    assert flat(wrong["deltas"][-1]) == pytest.approx([float(ok - tk) for ok, tk in zip(o, t)])  # no σ′ factor


def test_forward_only_needs_no_learning_rate():
    text = yaml.safe_dump({"kind": "mlp_backprop", "parts": ["activations", "loss", "grad_W"], "given": {
        "x": [1], "target": [1], "loss": "half_sse", "layers": [{"W": [[2]], "b": [0], "activation": "linear"}]}})
    p = api.load_problem_text(text)
    assert api.solve(p).answers["grad_W"] == [sp.ImmutableMatrix([[1]])]


def _spec(**change):
    given = {"x": [1, 2], "target": [0.5], "loss": "half_sse", "learning_rate": 0.1,
             "layers": [{"W": [[1, 0], [0, 1]], "b": [0, 0], "activation": "sigmoid"},
                        {"W": [[1, 1]], "b": [0], "activation": "sigmoid"}]}
    given.update(change)
    return yaml.safe_dump({"kind": "mlp_backprop", "given": given})


two_layers = lambda first, second: [  # noqa: E731
    {"W": [[1, 0], [0, 1]], "b": [0, 0], "activation": "sigmoid", **first},
    {"W": [[1, 1]], "b": [0], "activation": "sigmoid", **second}]


@pytest.mark.parametrize("change, key, words", [
    ({"layers": two_layers({}, {"W": [[1, 1, 1]]})}, "given.layers[1].W", "2 columns"),
    ({"layers": two_layers({"W": [[1, 0, 0], [0, 1, 0]]}, {})}, "given.layers[0].W", "2 columns, the size of x"),
    ({"layers": two_layers({"b": [0]}, {})}, "given.layers[0].b", "length 2"),
    ({"layers": two_layers({"activation": "softmax"}, {})}, "given.layers[0].activation", "only on the last layer"),
    ({"layers": two_layers({}, {"activation": "softmax"})}, "given.loss", "the cross_entropy loss with a softmax output"),
    ({"loss": "cross_entropy"}, "given.layers[1].activation", "softmax on the last layer"),
    ({"target": [0.5, 0.5]}, "given.target", "length 1"),
    ({"layers": two_layers({}, {"activation": "softplus"})}, "given.layers[1].activation", "one of"),
    ({"layers": two_layers({}, {"bias": [0]})}, "given.layers[1].bias", "unknown key"),
    ({"learning_rate": None}, "given.learning_rate", "W_new"),
    ({"learning_rate": -1}, "given.learning_rate", "positive"),
    ({"loss": "hinge"}, "given.loss", "half_sse"),
])
def test_refusals(change, key, words):
    with pytest.raises(SpecError) as info:
        api.load_problem_text(_spec(**change), file="p.yaml")
    message = str(info.value)
    assert message.startswith(f"p.yaml: {key}:") and words in message, message


def test_cross_entropy_target_must_be_a_distribution():
    given = {"x": [1], "target": [0.5, 0.25], "loss": "cross_entropy", "learning_rate": 1,
             "layers": [{"W": [[1], [2]], "b": [0, 0], "activation": "softmax"}]}
    with pytest.raises(SpecError, match=r"given\.target: .*add up to 1"):
        api.load_problem_text(yaml.safe_dump({"kind": "mlp_backprop", "given": given}))


# -- the worked text (issue 8): what a student reads -----------------------------------------

import nn_text  # noqa: E402


def test_classic_text_keeps_the_statement_notation_and_digits():
    md, key = nn_text.render_md(api.load_problem("problems/mlp-classic-2-2-2.yaml"))
    assert nn_text.text_issues(md, key) == []
    steps = nn_text.steps_of(md)
    # the statement's E_total, never an L for the loss (and L is not the number of layers either)
    assert r"E_{\text{total}} = \frac{1}{2} \sum_k" in steps and r"\partial E_{\text{total}}" in steps
    assert not re.search(r"(?<![\\\w])L(?![\w])", steps)
    # one rounding, six digits, the same in the steps and the Answers: no 20-digit decimals
    assert "0.298371" in steps and "0.29837110876000268861" not in md
    assert "0.358916" in steps and "0.358916" in md.split("## Answers")[1]
    # the statement's 4-digit published figures are the roundings of the answers
    a = key["answers"]
    assert round(a["loss"]["value"], 4) == 0.2984 and round(a["W_new"]["value"][1][0][0], 4) == 0.3589
    # the given data as the spec writes it (0.15, not 3/20)
    assert r"\begin{bmatrix} 0.15 & 0.2 \\ 0.25 & 0.3 \end{bmatrix}" in steps


def test_idioms_with_their_numbers():
    md, _ = nn_text.render_md(api.load_problem("problems/mlp-classic-2-2-2.yaml"))
    # sigma' = sigma(1 - sigma), from the forward values
    assert r"\sigma(z^{[2]})\thinspace\bigl(1 - \sigma(z^{[2]})\bigr) = o \circ (1 - o)" in md
    assert r"0.751365 \left(1 - 0.751365\right)" in md
    md, _ = nn_text.render_md(api.load_problem("problems/mlp-tanh-relu-softmax.yaml"))
    assert r"1 - \tanh^2(z^{[1]}) = 1 - a^{[1]} \circ a^{[1]}" in md and r"1 - \left(0.761594\right)^2" in md
    assert r"\operatorname{ReLU}'(z^{[2]}) = \mathbb{1}[z^{[2]} > 0]" in md and r"\mathbb{1}[-0.409416 > 0]" in md
    # softmax + cross-entropy: the Jacobian diag(o) − o oᵀ and o − t; δ is only the error signal
    assert r"\operatorname{diag}(o) - o o^{\top}" in md and r"\delta^{[3]} = o - t" in md
    assert r"\delta_{jk}" not in md


def test_parentheses_by_precedence():
    """(t − o)² with a negative or fractional o: parenthesised, never '- -' or a bare \\frac{..}{..}^2."""
    raw = {"x": [1], "target": [0, 1], "loss": "half_sse", "learning_rate": "1/2",
           "layers": [{"W": [["-1/2"], ["1/3"]], "b": [0, 0], "activation": "linear"}]}
    md, key = nn_text.render_md(nn_text.problem("mlp_backprop", raw))
    assert nn_text.text_issues(md, key) == []
    assert r"\left(0 - \left(- \frac{1}{2}\right)\right)^2" in md and r"\left(1 - \frac{1}{3}\right)^2" in md
    assert "- -" not in md and not re.search(r"\\frac\{[^{}]*\}\{[^{}]*\}\^", md)


def test_cross_entropy_loss_does_not_log_a_rounded_number():
    md, _ = nn_text.render_md(api.load_problem("problems/mlp-tanh-relu-softmax.yaml"))
    line = next(d for d in nn_text.displays(md) if d.startswith(r"L = -\sum_k t_k \log o_k"))
    assert line == r"L = -\sum_k t_k \log o_k = -\log o_{1} \approx 1.21092 \qquad \left(o_{1} = 0.297922\right)"


def test_wide_layers_fit_the_latex_page(tmp_path):
    if nn_text.PDFLATEX is None:
        pytest.skip("pdflatex is not installed")
    row = ["-0.35", "0.125", "1.5", "-2", "0.7", "0.05", "-0.9"]
    raw = {"x": row[:6], "target": row[:5], "loss": "mse", "learning_rate": 0.1,
           "layers": [{"W": [row[:6]] * 7, "b": row, "activation": "sigmoid"},
                      {"W": [row] * 5, "b": row[:5], "activation": "tanh"}]}
    assert nn_text.overfull_boxes(nn_text.problem("mlp_backprop", raw), tmp_path) == []


@settings(max_examples=8, deadline=None)
@given(networks())
def test_random_instances_read_well(raw):
    md, key = nn_text.render_md(nn_text.problem("mlp_backprop", raw))
    assert nn_text.text_issues(md, key) == []
