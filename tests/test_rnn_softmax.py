"""rnn_softmax: softmax counts from the seed, and the forward pass against torch in float64."""

import json
import re

import pytest
import sympy as sp
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.expr import parse_expr
from hwcheck.kinds import rnn_softmax as kind
from hwcheck.schema import convert_fields


def load(given, parts=None):
    spec = {"kind": "rnn_softmax", "given": given}
    if parts is not None:
        spec["parts"] = parts
    return api.load_problem_text(json.dumps(spec))


def answers(given, parts=None):
    return api.solve(load(given, parts)).answers


def floats(values):
    return [float(sp.N(v, 30)) for v in values]


# -- softmax counts (the seed: 1 for many-to-one, n for many-to-many, k for selected steps) ------

def test_many_to_one_is_one_call():
    assert answers({"architecture": "many_to_one", "n_words": "n"})["softmax_calls"] == 1
    assert answers({"architecture": "many_to_one", "n_words": 7})["softmax_calls"] == 1


def test_many_to_many_is_n_calls_and_n_is_the_students_n():
    calls = answers({"architecture": "many_to_many", "n_words": "n"})["softmax_calls"]
    assert calls == parse_expr("n", implicit=True)  # the symbol a student's "n" is read as
    assert answers({"architecture": "many_to_many", "n_words": 6})["softmax_calls"] == 6


def test_selected_is_k_calls():
    assert answers({"architecture": "selected", "n_words": "n", "selected": [2, 5, "n"]})["softmax_calls"] == 3
    assert answers({"architecture": "selected", "n_words": 9, "selected": [4]})["softmax_calls"] == 1


def test_calls_equal_the_number_of_probability_vectors():
    g = {"architecture": "selected", "selected": [1, 3], "x": [[1], [0], [-1]], "W_xh": [[1]], "W_hh": [["1/2"]],
         "W_hy": [[1], [-1], [0]]}
    a = answers(g, ["softmax_calls", "probabilities"])
    assert a["softmax_calls"] == len(a["probabilities"]) == 2


def test_n_words_defaults_to_the_inputs():
    g = {"architecture": "many_to_many", "x": [[1], [2], [3], [4]], "W_xh": [[1]], "W_hh": [[0]], "W_hy": [[1], [1]]}
    assert answers(g)["softmax_calls"] == 4


# -- forward pass against torch -----------------------------------------------------------

entry = st.builds(lambda k, d: f"{k}/{d}", st.integers(-6, 6), st.sampled_from([1, 2, 4]))


def mat(draw, rows, cols):
    return [draw(st.lists(entry, min_size=cols, max_size=cols)) for _ in range(rows)]


@st.composite
def rnn_problems(draw):
    n, D, H, C = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(2, 4))
    architecture = draw(st.sampled_from(kind.ARCHITECTURES))
    g = {"architecture": architecture, "x": mat(draw, n, D), "W_xh": mat(draw, H, D), "W_hh": mat(draw, H, H),
         "W_hy": mat(draw, C, H), "activation": draw(st.sampled_from(["tanh", "relu", "sigmoid"]))}
    if architecture == "selected":
        g["selected"] = sorted(draw(st.sets(st.integers(1, n), min_size=1)))
    for key, size in (("b_h", H), ("b_y", C), ("h0", H)):
        if draw(st.booleans()):
            g[key] = draw(st.lists(entry, min_size=size, max_size=size))
    k = {"many_to_one": 1, "many_to_many": n}.get(architecture) or len(g.get("selected", []))
    g["labels"] = draw(st.lists(st.integers(0, C - 1), min_size=k, max_size=k))
    return g


def t(rows):
    return torch.tensor([[float(sp.Rational(v)) for v in row] for row in rows], dtype=torch.float64)


def oracle(g):
    """A plain torch float64 loop: h_t = act(W_xh x_t + W_hh h_{t-1} + b_h), logits, softmax, summed CE."""
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[g["activation"]]
    W_xh, W_hh, W_hy = t(g["W_xh"]), t(g["W_hh"]), t(g["W_hy"])
    H, C = W_hh.shape[0], W_hy.shape[0]
    b_h = t([g["b_h"]])[0] if "b_h" in g else torch.zeros(H, dtype=torch.float64)
    b_y = t([g["b_y"]])[0] if "b_y" in g else torch.zeros(C, dtype=torch.float64)
    h = t([g["h0"]])[0] if "h0" in g else torch.zeros(H, dtype=torch.float64)
    states = []
    for x in t(g["x"]):
        h = act(W_xh @ x + W_hh @ h + b_h)
        states.append(h)
    n = len(states)
    steps = {"many_to_one": [n], "many_to_many": list(range(1, n + 1))}.get(g["architecture"]) or g["selected"]
    logits = torch.stack([W_hy @ states[s - 1] + b_y for s in steps])
    loss = F.cross_entropy(logits, torch.tensor(g["labels"]), reduction="sum")
    return [s.tolist() for s in states], torch.softmax(logits, dim=1).tolist(), logits, loss.item()


@settings(max_examples=30, deadline=None)
@given(rnn_problems())
def test_forward_matches_torch(g):
    a = answers(g, list(kind.PARTS))
    states, probs, logits, loss = oracle(g)
    assert len(a["hidden_states"]) == len(states)
    for mine, theirs in zip(a["hidden_states"], states):
        assert floats(mine) == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    assert len(a["probabilities"]) == len(probs) == a["softmax_calls"]
    for mine, theirs in zip(a["probabilities"], probs):
        assert floats(mine) == pytest.approx(theirs, rel=1e-9, abs=1e-12)
        assert sum(floats(mine)) == pytest.approx(1, abs=1e-12)
    assert float(sp.N(a["loss"], 30)) == pytest.approx(loss, rel=1e-9, abs=1e-12)
    for pred, row in zip(a["predictions"], logits):
        top = row.max()
        # where two classes tie (up to float noise) either index is an argmax
        assert row[int(pred)] >= top - 1e-9
        assert int(pred) == int(torch.argmax(row)) or (row.sort(descending=True).values[:2].diff().abs() < 1e-9).all()


@settings(max_examples=10, deadline=None)
@given(rnn_problems())
def test_hidden_states_match_torch_nn_rnn(g):
    """The same recurrence as torch.nn.RNN (its two biases folded into b_h)."""
    if g["activation"] == "sigmoid":  # nn.RNN offers tanh and relu only
        g = {**g, "activation": "tanh"}
    W_xh, W_hh = t(g["W_xh"]), t(g["W_hh"])
    H, D = W_xh.shape
    rnn = torch.nn.RNN(D, H, nonlinearity=g["activation"], dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(W_xh)
        rnn.weight_hh_l0.copy_(W_hh)
        rnn.bias_ih_l0.copy_(t([g["b_h"]])[0] if "b_h" in g else torch.zeros(H, dtype=torch.float64))
        rnn.bias_hh_l0.zero_()
        h0 = (t([g["h0"]])[0] if "h0" in g else torch.zeros(H, dtype=torch.float64)).reshape(1, 1, H)
        out, _ = rnn(t(g["x"]).unsqueeze(1), h0)
    mine = answers(g, ["hidden_states"])["hidden_states"]
    assert [floats(h) for h in mine] == [pytest.approx(row, rel=1e-9, abs=1e-12) for row in out[:, 0, :].tolist()]


def test_exact_when_readable():
    g = {"architecture": "many_to_one", "x": [[0], [0]], "W_xh": [[1]], "W_hh": [[1]],
         "W_hy": [[0], [0]], "b_y": [0, "log(3)"], "labels": [1]}
    a = answers(g, ["probabilities", "predictions", "loss"])
    assert a["probabilities"] == [[sp.Rational(1, 4), sp.Rational(3, 4)]]
    assert a["predictions"] == [1]
    assert sp.simplify(a["loss"] - sp.log(sp.Rational(4, 3))) == 0


def test_ties_predict_the_first_class():
    g = {"architecture": "many_to_one", "x": [[1]], "W_xh": [[1]], "W_hh": [[0]], "W_hy": [[1], [1], [0]]}
    assert answers(g, ["predictions"])["predictions"] == [0]


def test_misconceptions_differ_from_the_answer():
    g = {"architecture": "many_to_one", "n_words": "n"}
    p = load(g)
    assert kind.MISCONCEPTIONS["softmax_every_word"](p.given) == {"softmax_calls": sp.Symbol("n", real=True)}
    g = {"architecture": "many_to_many", "x": [[1], [2]], "W_xh": [[1]], "W_hh": [[0]], "W_hy": [[1], [0]],
         "labels": [0, 1]}
    p = load(g, ["loss", "predictions"])
    right = api.solve(p).answers
    assert kind.MISCONCEPTIONS["mean_instead_of_sum"](p.given)["loss"] != right["loss"]
    assert kind.MISCONCEPTIONS["one_based_classes"](p.given)["predictions"] == [q + 1 for q in right["predictions"]]
    assert kind.MISCONCEPTIONS["softmax_every_word"](p.given) == {}  # many-to-many: n is right


# -- refusals ----------------------------------------------------------------------------

FWD = {"architecture": "many_to_many", "x": [[1, 0], [0, 1]], "W_xh": [[1, 0], [0, 1]], "W_hh": [[0, 0], [0, 0]],
       "W_hy": [[1, 0], [0, 1], [1, 1]]}


@pytest.mark.parametrize("given, parts, key", [
    ({"architecture": "many_to_one", "n_words": "n"}, ["probabilities"], "given.x"),
    ({"architecture": "many_to_one", "n_words": 3}, ["loss"], "given.x"),
    ({"architecture": "many_to_one"}, None, "given.n_words"),
    ({"architecture": "many_to_one", "n_words": "n + 1"}, None, "given.n_words"),
    ({"architecture": "many_to_one", "n_words": 0}, None, "given.n_words"),
    ({"architecture": "many_to_one", "n_words": "e"}, None, "given.n_words"),
    ({"architecture": "selected", "n_words": 4}, None, "given.selected"),
    ({"architecture": "selected", "n_words": 4, "selected": [2, 5]}, None, r"given.selected\[1\]"),
    ({"architecture": "selected", "n_words": 4, "selected": [0]}, None, r"given.selected\[0\]"),
    ({"architecture": "selected", "n_words": 4, "selected": [3, 2]}, None, r"given.selected\[1\]"),
    ({"architecture": "selected", "n_words": "n", "selected": ["n", 2]}, None, r"given.selected\[1\]"),
    ({"architecture": "selected", "n_words": "n", "selected": [1, "m"]}, None, r"given.selected\[1\]"),
    ({"architecture": "many_to_one", "n_words": 4, "selected": [2]}, None, "given.selected"),
    ({"architecture": "sideways", "n_words": 4}, None, "given.architecture"),
    ({"architecture": "many_to_one", "n_words": 4, "classes": 1}, None, "given.classes"),
    ({"architecture": "many_to_one", "n_words": 4, "classes": ["a", "a"]}, None, "given.classes"),
    ({"architecture": "many_to_one", "n_words": 4, "classes": ["ok", "not_ok"]}, None, r"given.classes\[1\]"),
    ({"architecture": "many_to_one", "n_words": 4, "b_h": [1]}, None, "given.b_h"),
    ({**FWD, "W_hy": None}, None, "given.W_hy"),
    ({**FWD, "n_words": 3}, None, "given.n_words"),
    ({**FWD, "n_words": "n"}, None, "given.n_words"),
    ({**FWD, "x": [[1, 0], [1]]}, None, r"given.x\[1\]"),
    ({**FWD, "W_hh": [[0, 0]]}, None, "given.W_hh"),
    ({**FWD, "W_xh": [[1, 0, 0], [0, 1, 0]]}, None, "given.W_xh"),
    ({**FWD, "W_hy": [[1, 0, 0]]}, None, "given.W_hy"),
    ({**FWD, "b_h": [1, 2, 3]}, None, "given.b_h"),
    ({**FWD, "h0": [1]}, None, "given.h0"),
    ({**FWD, "b_y": [1, 2]}, None, "given.b_y"),
    ({**FWD, "classes": 4}, None, "given.classes"),
    ({**FWD, "labels": [0]}, None, "given.labels"),
    ({**FWD, "labels": [0, 3]}, None, r"given.labels\[1\]"),
    ({**FWD, "labels": [0, -1]}, None, r"given.labels\[1\]"),
    (FWD, ["loss"], "given.labels"),
    ({**FWD, "activation": "softmax"}, None, "given.activation"),
])
def test_refusals_name_the_key(given, parts, key):
    given = {k: v for k, v in given.items() if v is not None}
    with pytest.raises(SpecError, match=rf"<text>: {key}: expected"):
        load(given, parts)


def test_schema_types():
    g = convert_fields(kind.GIVEN, {"architecture": "many_to_one", "n_words": "7", "classes": ["neg", "pos"]})
    assert g.n_words == 7 and g.classes == ("neg", "pos")


def test_string_labels_render():
    g = {**FWD, "classes": ["negative", "neutral", "positive"], "labels": [2, 0]}
    p = load(g, list(kind.PARTS))
    md = api.render_solution(p, format="md")
    assert r"\text{negative}" in md and "(" in md
    tex = api.render_solution(p, format="tex")
    assert tex.rstrip().endswith(r"\end{document}")


# -- the worked text (issue 8): what a student reads -----------------------------------------

import nn_text  # noqa: E402


def test_forward_digits_are_rounded_once():
    """h_1 = tanh(1/2) is 0.462117157260...: printed 0.462117, never 0.462117135525 (rounded twice)."""
    md, key = nn_text.render_md(api.load_problem("problems/rnn-forward-five-classes.yaml"))
    assert nn_text.text_issues(md, key) == []
    assert "0.462117135525" not in md and md.count("0.462117") >= 2  # the step and the Answers
    # every step's loss term and the total, each rounded once from the exact value
    assert r"-\log \hat{y}_{1, 0} \approx 1.93005" in md and "5.34584" in md.split("## Answers")[1]


def test_shipped_statements_are_answered_and_render_on_github():
    for name in ("rnn-sentiment-many-to-one", "rnn-sentiment-many-to-many", "rnn-sentiment-selected",
                 "rnn-forward-five-classes"):
        p = api.load_problem(f"problems/{name}.yaml")
        md, key = nn_text.render_md(p)
        assert nn_text.text_issues(md, key) == [], name
        assert r"\{" not in md and r"\}" not in md, name  # GitHub drops them (statement and steps)
    md, _ = nn_text.render_md(api.load_problem("problems/rnn-sentiment-many-to-one.yaml"))
    # "how many times is softmax applied, and why is its output a probability distribution?"
    assert r"N_{\text{softmax}} = 1" in md
    assert "probability distribution" in md and r"\sum_{c} \hat{y}_{t,c}" in md and "strictly between 0 and 1" in md


def test_notation_of_the_statement_is_kept():
    g = {"architecture": "many_to_many", "x": [[1], [2]], "W_xh": [[1]], "W_hh": [["1/2"]], "W_hy": [[1], [-1]],
         "labels": [0, 1]}
    p = nn_text.problem("rnn_softmax", g, parts=list(kind.PARTS),
                        notation={"hidden": "s", "output": r"\hat{p}", "logits": "z", "loss": "J", "pre": "u"})
    md, key = nn_text.render_md(p)
    assert nn_text.text_issues(md, key) == []
    assert r"s_{1}, s_{2} = " in md and r"\hat{p}_{1} = \operatorname{softmax}(z_{1})" in md
    assert r"u_{1} = W_{xh} x_{1} + W_{hh} s_{0} + b_h" in md
    for math in nn_text.displays(nn_text.steps_of(md)):
        assert not re.search(r"(?<![\\\w{])[hoaL](?![\w])", math), math
        assert r"\hat{y}" not in math, math


def test_label_count_message_has_no_plural_leftover():
    with pytest.raises(SpecError) as info:
        load({**FWD, "labels": [0]})
    assert "found 1 label" in str(info.value) and "(s)" not in str(info.value)


def test_wide_states_fit_the_latex_page(tmp_path):
    if nn_text.PDFLATEX is None:
        pytest.skip("pdflatex is not installed")
    row = ["-0.35", "0.125", "1.5", "-2", "0.7", "0.05"]
    g = {"architecture": "many_to_many", "x": [row[:4]] * 4, "W_xh": [row[:4]] * 6, "W_hh": [row] * 6,
         "W_hy": [row] * 6, "labels": [0, 1, 2, 3]}
    assert nn_text.overfull_boxes(load(g, list(kind.PARTS)), tmp_path) == []


@settings(max_examples=8, deadline=None)
@given(rnn_problems())
def test_random_instances_read_well(g):
    md, key = nn_text.render_md(load(g, list(kind.PARTS)))
    assert nn_text.text_issues(md, key) == []
