"""Grading as a careful TA would (issue 9): rounding, credit only for work, error carried forward,
named mistakes with several candidate answers, tie conventions, short feedback, answers as written.

Every wrong answer here is produced by an independent computation (torch, plain loops, SymPy),
never by the grader's own code, and the problems are written here (not the shipped ones).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import sympy as sp
import torch

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.grade import report
from hwcheck.grade.grader import grade_part, grade_submission
from hwcheck.grade.keys import KeySet
from hwcheck.grade.submission import submission_from_data

torch.set_default_dtype(torch.float64)


def key_of(text: str):
    problem = api.load_problem_text(text)
    return KeySet([problem])[problem.id]


def grade(text_or_key, part, answer, **kw):
    key = key_of(text_or_key) if isinstance(text_or_key, str) else text_or_key
    return grade_part(key, part, answer, **kw)


# -- spec settings (the interface assignments fill) -------------------------------------------

def test_part_settings_and_the_grading_map():
    p = api.load_problem_text("""
id: s
kind: chain_rule
given: {f: 'sin(x^2)', wrt: x, at: {x: 1}}
grading: {sigfigs: 4, carry_forward: false, reveal: values, tolerance: {rel: 1.0e-6}}
parts:
  derivative: {points: 2}
  value: {points: 1, sigfigs: 2, reveal: verdicts, mistake_credit: {missing_inner_derivative: 0.5}}
""")
    d, v = p.parts
    assert (d.sigfigs, d.carry_forward, d.reveal, d.tolerance["rel"]) == (4, False, "values", 1e-6)
    assert (v.sigfigs, v.reveal, v.mistake_credit) == (2, "verdicts", {"missing_inner_derivative": 0.5})
    plain = api.load_problem_text("{kind: chain_rule, given: {f: 'sin(x)', wrt: x}}").parts[0]
    assert (plain.sigfigs, plain.carry_forward, plain.reveal, plain.mistake_credit) == (None, None, None, None)
    # an assignment fills what the spec left unset
    assert dataclasses.replace(plain, sigfigs=5).sigfigs == 5


@pytest.mark.parametrize("bad,where", [
    ("parts: {derivative: {sigfigs: 0}}", "parts.derivative.sigfigs"),
    ("parts: {derivative: {carry_forward: 'yes'}}", "parts.derivative.carry_forward"),
    ("parts: {derivative: {reveal: everything}}", "parts.derivative.reveal"),
    ("parts: {derivative: {mistake_credit: {x: 2}}}", "parts.derivative.mistake_credit.x"),
    ("grading: {sigfig: 3}", "grading.sigfig"),
])
def test_bad_settings_are_refused_naming_the_key(bad, where):
    with pytest.raises(SpecError) as exc:
        api.load_problem_text("{kind: chain_rule, given: {f: 'sin(x)', wrt: x}, %s}" % bad)
    assert where in str(exc.value)


# -- rounding-aware numbers (SPEC §9) ----------------------------------------------------------

SIGMOID = "{id: sig, kind: chain_rule, given: {f: 'sigmoid(-x)', wrt: x, at: {x: 1}}, parts: [value]}"


def _sigmoid_slope() -> float:
    x = torch.tensor(1.0, requires_grad=True)
    torch.sigmoid(-x).backward()
    return float(x.grad)  # −0.196612…


def test_a_correctly_rounded_value_is_right():
    exact = _sigmoid_slope()
    assert f"{exact:.3g}" == "-0.197" and abs(exact + 0.197) / 0.197 > 1e-3  # outside the tolerance
    key = key_of(SIGMOID)
    assert grade(key, "value", "-0.197").verdict == "correct"
    assert grade(key, "value", -0.197).verdict == "correct"
    assert grade(key, "value", "-0.1966").verdict == "correct"
    assert grade(key, "value", "-0.198").verdict == "incorrect"  # wrongly rounded


def test_too_few_digits_says_give_more_digits():
    g = grade(SIGMOID, "value", "-0.2")
    assert g.verdict == "incorrect" and g.score == 0
    assert "You wrote `-0.2`; the answer is `-0.197`." in g.feedback
    assert "give at least 3 significant digits" in g.feedback
    four = grade(SIGMOID.replace("parts: [value]", "parts: {value: {sigfigs: 4}}"), "value", "-0.197")
    assert four.verdict == "incorrect" and "at least 4 significant digits" in four.feedback


def test_wrong_entries_of_a_matrix_show_written_beside_expected():
    key = key_of(CONV)
    right = _conv_torch()["dW"]
    wrong = right.copy()
    wrong[1][1] += 1
    wrong[2][0] = 0.123
    g = grade(key, "dL_dW", wrong.tolist())
    assert g.verdict == "partial"
    table = [line for line in g.feedback.splitlines() if line.startswith("| `[")]
    assert table == [f"| `[1][1]` | `{float(wrong[1][1])!r}` | `{right[1][1]:g}` |",
                     f"| `[2][0]` | `0.123` | `{right[2][0]:g}` |"]
    hidden = grade(key, "dL_dW", wrong.tolist(), reveal="verdicts")
    assert "Expected" not in hidden.feedback and f"`{right[1][1]:g}`" not in hidden.feedback
    assert "`[1][1]`" in hidden.feedback


# -- credit only for work -----------------------------------------------------------------------

GD = "{id: gd, kind: gradient_descent, given: {f: 'x^2 + 3*y^2', start: {x: 1, y: 1}, learning_rate: 0.1, " \
     "steps: 3}, parts: [iterates]}"


def _gd_run(start, lr=0.1, steps=3, slip=None):
    """Plain-loop gradient descent on x² + 3y² (∇ = (2x, 6y)); ``slip`` = (t, i, value) overwrites an entry."""
    points = [list(start)]
    for t in range(1, steps + 1):
        x, y = points[-1]
        nxt = [x - lr * 2 * x, y - lr * 6 * y]
        if slip and slip[0] == t:
            nxt[slip[1]] = slip[2]
        points.append(nxt)
    return points


def test_the_start_point_earns_nothing():
    junk = [[1, 1], [5, 5], [6, 6], [7, 7]]
    g = grade(GD, "iterates", junk)
    assert g.score == 0 and g.verdict == "incorrect"


def test_start_point_left_out_is_named_and_costs_nothing():
    g = grade(GD, "iterates", _gd_run([1, 1])[1:])
    assert g.diagnosis == "start_point_left_out" and g.score == 1
    assert "start point" in g.feedback


def test_a_named_mistake_earns_its_credit_not_crumbs():
    key = key_of(CONV)
    # kernel not rotated: the full correlation of dL/dY with W itself (torch, independently)
    X = torch.tensor(CONV_X)
    W = torch.tensor(CONV_W)
    G = torch.tensor(CONV_G)
    flipped = torch.flip(W, (0, 1))
    Xr = X.clone().requires_grad_(True)
    torch.nn.functional.conv2d(Xr[None, None], flipped[None, None]).backward(G[None, None])
    wrong = Xr.grad.numpy()
    right = _conv_torch()["dX"]
    assert (wrong == right).any() and not (wrong == right).all()  # some entries coincide
    g = grade(key, "dL_dX", wrong.tolist())
    assert g.diagnosis == "kernel_not_rotated" and g.score == 0
    generous = key_of(CONV.replace("parts: [Y, dL_dW, dL_dX]",
                                   "parts: {dL_dX: {points: 4, mistake_credit: {kernel_not_rotated: 0.25}}}"))
    g = grade(generous, "dL_dX", wrong.tolist())
    assert (g.diagnosis, g.score, g.verdict) == ("kernel_not_rotated", 1, "partial")


def test_transposition_is_one_rule_whatever_the_shape():
    square = grade(CONV, "dL_dW", _conv_torch()["dW"].T.tolist())
    window = key_of(WINDOW)
    h, delta = _window_torch()
    wide = grade(window, "ds_dW", np.outer(delta, WIN_X).T.tolist())
    assert square.diagnosis == "transposed" and wide.diagnosis == "transposed"
    assert square.score == wide.score == 0


# -- error carried forward ----------------------------------------------------------------------

def test_gradient_descent_carries_from_a_slip():
    student = _gd_run([1, 1], slip=(1, 1, 0.5))  # y_1 = 0.5 instead of 0.4, then the rule applied to it
    g = grade(GD, "iterates", student)
    assert g.carried_forward == ("[2][1]", "[3][1]")
    assert g.score == pytest.approx(5 / 6, abs=1e-4)
    assert "The first wrong entry is `[1][1]`" in g.feedback and "error carried forward" in g.feedback
    off = grade(GD.replace("parts: [iterates]", "parts: {iterates: {carry_forward: false}}"), "iterates", student)
    assert off.carried_forward == () and off.score == pytest.approx(3 / 6, abs=1e-4)


def test_no_carried_credit_from_a_copy_of_the_start():
    copied = [[1, 1], [1, 1]] + _gd_run([1, 1], steps=2)[1:]  # x_1 written as the start: the run shifted
    g = grade(GD, "iterates", copied)
    # x_2 (= the right x_1) follows from the copy of the start: no credit; x_3 follows from x_2: credit
    assert g.carried_forward == ("[3][0]", "[3][1]") and g.score == pytest.approx(2 / 6, abs=1e-4)


def test_carried_f_values_follow_the_students_own_points():
    student = _gd_run([1, 1], slip=(1, 0, 0.7))
    f_own = [x * x + 3 * y * y for x, y in student]
    key = key_of(GD.replace("parts: [iterates]", "parts: [iterates, f_values]"))
    result = grade_submission(KeySet([key.problem]), submission_from_data(
        {"student": "s1", "answers": {"gd": {"iterates": student, "f_values": f_own}}}, KeySet([key.problem])))
    iterates, f_values = result.problems[0].parts
    assert iterates.verdict == "partial" and f_values.verdict == "correct" and f_values.carried_forward


def _torch_replay(opt_factory, points, grads_of):
    """torch.optim stepping from each of the student's own points: the next point it gives."""
    p = torch.tensor(points[0], requires_grad=True)
    opt = opt_factory([p])
    out = []
    for point in points[:-1]:
        with torch.no_grad():
            p.copy_(torch.tensor(point))
        opt.zero_grad()
        p.grad = grads_of(p.detach())
        opt.step()
        out.append(p.detach().tolist())
    return out


@pytest.mark.parametrize("name,factory", [
    ("momentum", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    ("adam", lambda ps: torch.optim.Adam(ps, lr=0.1, betas=(0.9, 0.999), eps=1e-7)),
    ("rmsprop", lambda ps: torch.optim.RMSprop(ps, lr=0.1, alpha=0.99, eps=1e-7)),
])
def test_optimizer_iterates_carry_from_a_slip(name, factory):
    spec = ("{id: o, kind: optimizer_trace, given: {optimizer: %s, f: 'x^2 + 3*y^2', start: {x: 5, y: -3}, "
            "learning_rate: 0.1, steps: 4}, parts: [iterates]}" % name)
    grads = lambda p: torch.tensor([2 * p[0], 6 * p[1]])  # noqa: E731
    right = [[5.0, -3.0]] + _torch_replay(factory, [[5.0, -3.0]] * 5, grads)[:1]
    # the student slips at x_1 (a wrong x coordinate), then applies the rule correctly from it
    points = [[5.0, -3.0], [right[1][0] + 0.5, right[1][1]]]
    for _ in range(3):
        points.append(_torch_replay(factory, points + [None], grads)[-1])
    g = grade(spec, "iterates", points)
    assert g.carried_forward == ("[2][0]", "[3][0]", "[4][0]"), g.feedback
    assert g.score == pytest.approx(7 / 8, abs=1e-4)


def test_sgd_params_carry_from_a_slip():
    spec = ("{id: s, kind: sgd_dataset, given: {data: {x: [1, 2, 3], y: [2, 3, 5]}, init: {w: 0, b: 0}, "
            "learning_rate: 0.1, variant: stochastic}, parts: [params]}")
    X, Y = [1, 2, 3], [2, 3, 5]
    w, b, params = 0.0, 0.0, []
    for i in range(3):
        r = w * X[i] + b - Y[i]
        w, b = w - 0.1 * r * X[i], b - 0.1 * r
        if i == 0:
            b += 0.1  # the slip
        params.append({"w": w, "b": b})
    g = grade(spec, "params", params)
    assert g.carried_forward == ("[1].w", "[1].b", "[2].w", "[2].b")
    assert g.score == pytest.approx(5 / 6, abs=1e-4)


def test_mlp_new_weights_carry_from_the_students_own_gradients():
    spec = ("{id: m, kind: mlp_backprop, given: {x: [1, 2], target: [1], loss: half_sse, learning_rate: 0.5, "
            "layers: [{W: [[1, -1], [0.5, 1]], b: [0, 0], activation: sigmoid}, "
            "{W: [[1, 2]], b: [1], activation: linear}]}, parts: [grad_W, W_new]}")
    key = key_of(spec)
    grads = [np.array(m.tolist(), dtype=float) for m in key.parts["grad_W"].answer]
    grads[0][0][0] += 0.3  # a slip in one gradient entry
    W_new = [np.array([[1, -1], [0.5, 1]]) - 0.5 * grads[0], np.array([[1, 2]]) - 0.5 * grads[1]]
    keys = KeySet([key.problem])
    sub = submission_from_data({"student": "s1", "answers": {"m": {"grad_W": [g.tolist() for g in grads],
                                                                   "W_new": [w.tolist() for w in W_new]}}}, keys)
    grad_part, w_part = grade_submission(keys, sub).problems[0].parts
    assert grad_part.verdict == "partial" and w_part.verdict == "correct"
    assert w_part.carried_forward == ("[0][0][0]",)


def test_window_backward_from_the_students_own_forward_values_and_no_credit_from_zeros():
    key = key_of(WINDOW.replace("parts: [ds_dW]", "parts: [h, delta]"))
    h, delta = _window_torch()
    h_own = h.copy()
    h_own[0] += 0.1  # a slip in the forward pass
    delta_own = np.array(WIN_U) * h_own * (1 - h_own)  # σ′ from the student's own h
    keys = KeySet([key.problem])
    sub = submission_from_data({"student": "s1", "answers": {"w": {"h": h_own.tolist(),
                                                                   "delta": delta_own.tolist()}}}, keys)
    hp, dp = grade_submission(keys, sub).problems[0].parts
    assert hp.verdict == "partial" and dp.verdict == "correct" and dp.carried_forward == ("[0]",)
    zeros = submission_from_data({"student": "s2", "answers": {"w": {"h": [0, 0], "delta": [0, 0]}}}, keys)
    hp, dp = grade_submission(keys, zeros).problems[0].parts
    assert dp.carried_forward == () and dp.score == 0


# -- named mistakes, each produced independently -----------------------------------------------

FANOUT = "{id: g, kind: comp_graph, given: {f: '(x + y) * max(y, z)', at: {x: 1, y: 2, z: 0}}, parts: [gradient]}"


def test_each_single_fanout_path_is_recognised():
    x, y, z = (torch.tensor(v, requires_grad=True) for v in (1.0, 2.0, 0.0))
    ((x + y) * torch.maximum(y, z)).backward()
    assert (float(x.grad), float(y.grad), float(z.grad)) == (2, 5, 0)
    # path through the max alone: (x + y)·∂max/∂y = 3; path through the sum alone: max(y, z) = 2
    for only in (3, 2):
        g = grade(FANOUT, "gradient", {"x": 2, "y": only, "z": 0})
        assert g.diagnosis in ("fanout_one_path", "fanout_not_summed") and g.score == 0, (only, g.diagnosis)
    assert grade(FANOUT, "gradient", {"x": 2, "y": 3, "z": 0}).diagnosis == "fanout_one_path"


def test_tie_conventions_split_and_first():
    spec = "{id: t, kind: comp_graph, given: {f: 'max(x, y) * z', at: {x: 1, y: 1, z: 3}%s}, parts: [gradient]}"
    x, y, z = (torch.tensor(v, requires_grad=True) for v in (1.0, 1.0, 3.0))
    (torch.maximum(x, y) * z).backward()
    split = {"x": float(x.grad), "y": float(y.grad), "z": float(z.grad)}
    x, y, z = (torch.tensor(v, requires_grad=True) for v in (1.0, 1.0, 3.0))
    (torch.stack([x, y]).max(dim=0).values * z).backward()  # max over a dim routes to the first index
    first = {"x": float(x.grad), "y": float(y.grad), "z": float(z.grad)}
    assert split == {"x": 1.5, "y": 1.5, "z": 1} and first == {"x": 3, "y": 0, "z": 1}
    assert grade(spec % "", "gradient", split).verdict == "correct"
    assert grade(spec % ", tie: first", "gradient", first).verdict == "correct"
    assert grade(spec % "", "gradient", first).diagnosis == "tie_convention"
    assert grade(spec % ", tie: first", "gradient", split).diagnosis == "tie_convention"


def test_a_dropped_link_of_a_chain_is_recognised():
    spec = ("{id: c, kind: chain_rule, given: {chain: [{u: 'x^2 + 1'}, {v: 'u^3'}, {f: 'sin(v)'}], wrt: x, "
            "at: {x: 0.7}}, parts: [derivative, value]}")
    x = sp.Symbol("x")
    u, v = x**2 + 1, (x**2 + 1) ** 3
    links = [sp.cos(v), 3 * u**2, 2 * x]  # the three local derivatives, by hand
    for dropped in range(3):
        wrong = sp.Mul(*(f for k, f in enumerate(links) if k != dropped))
        g = grade(spec, "derivative", str(wrong).replace("**", "^"))
        assert g.diagnosis == "chain_link_dropped", (dropped, g.diagnosis)
        value = float(wrong.subs(x, sp.Rational(7, 10)))
        assert grade(spec, "value", f"{value:.6f}").diagnosis == "chain_link_dropped"


def test_rmsprop_without_decay_and_adam_bias_correction_swapped():
    grads = lambda p: torch.tensor([2 * p[0], 6 * p[1]])  # noqa: E731
    base = ("{id: o, kind: optimizer_trace, given: {optimizer: %s, f: 'x^2 + 3*y^2', start: {x: 1, y: -1}, "
            "learning_rate: 0.1, steps: 3, eps: 1.0e-10%s}, parts: [iterates]}")

    def run(factory):
        points = [[1.0, -1.0]]
        for _ in range(3):
            points.append(_torch_replay(factory, points + [None], grads)[-1])
        return points
    no_decay = run(lambda ps: torch.optim.RMSprop(ps, lr=0.1, alpha=0.0, eps=1e-10))
    adagrad = run(lambda ps: torch.optim.Adagrad(ps, lr=0.1, eps=1e-10))
    for wrong in (no_decay, adagrad):
        assert grade(base % ("rmsprop", ""), "iterates", wrong).diagnosis == "rmsprop_no_decay"
    corrected = run(lambda ps: torch.optim.Adam(ps, lr=0.1, eps=1e-10))
    g = grade(base % ("adam", ", bias_correction: false"), "iterates", corrected)
    assert g.diagnosis == "bias_correction_applied" and g.score == 0


def test_bias_forgotten_in_a_convolution():
    key = key_of(CONV.replace("dL_dY:", "bias: 2, dL_dY:"))
    Y = torch.nn.functional.conv2d(torch.tensor(CONV_X)[None, None], torch.tensor(CONV_W)[None, None])[0, 0]
    assert grade(key, "Y", (Y + 2).tolist()).verdict == "correct"
    assert grade(key, "Y", Y.tolist()).diagnosis == "bias_forgotten"


def test_half_of_a_squared_error_forgotten_in_an_mlp():
    spec = ("{id: m, kind: mlp_backprop, given: {x: [1, 2], target: [1, 0], loss: half_sse, learning_rate: 0.5, "
            "layers: [{W: [[1, -1], [0.5, 1]], b: [0, 0], activation: tanh}, "
            "{W: [[1, 2], [0, 1]], b: [1, 0], activation: sigmoid}]}, parts: [grad_W]}")
    W1 = torch.tensor([[1, -1], [0.5, 1]], requires_grad=True)
    W2 = torch.tensor([[1.0, 2], [0, 1]], requires_grad=True)
    o = torch.sigmoid(W2 @ torch.tanh(W1 @ torch.tensor([1.0, 2])) + torch.tensor([1.0, 0]))
    ((o - torch.tensor([1.0, 0])) ** 2).sum().backward()  # no ½
    g = grade(spec, "grad_W", [W1.grad.tolist(), W2.grad.tolist()])
    assert g.diagnosis == "missing_half"


def test_generic_mistakes_factor_and_neighbouring_part():
    spec = "{id: s, kind: softmax_cross_entropy, given: {logits: [1, 2, 0.5], target: 1}, parts: [probabilities, dL_dlogits]}"
    z = torch.tensor([1.0, 2, 0.5], requires_grad=True)
    loss = torch.nn.functional.cross_entropy(z[None], torch.tensor([1]))
    loss.backward()
    p = torch.softmax(z.detach(), 0)
    assert grade(spec, "dL_dlogits", (2 * z.grad).tolist()).diagnosis == "factor_two"
    g = grade(spec, "dL_dlogits", p.tolist())
    assert g.diagnosis == "neighbouring_part" and "`probabilities`" in g.feedback


# -- answers as students write them -------------------------------------------------------------

def test_lists_written_as_strings():
    key = key_of(CONV)
    dW = _conv_torch()["dW"].astype(int).tolist()
    assert grade(key, "dL_dW", json.dumps(dW)).verdict == "correct"
    assert grade(key, "dL_dW", str([tuple(r) for r in dW])).verdict == "correct"  # "[(..), (..)]"
    spec = "{id: v, kind: softmax_cross_entropy, given: {logits: [1, 1], target: 0}, parts: [probabilities]}"
    assert grade(spec, "probabilities", "(0.5, 0.5)").verdict == "correct"
    assert grade(spec, "probabilities", "(0.5, 0.4)").verdict == "partial"


def test_function_powers_and_latex_function_names():
    spec = "{id: t, kind: chain_rule, given: {f: 'tanh(x)', wrt: x, at: {x: 1}}, parts: [derivative, value]}"
    assert grade(spec, "value", "1 - tanh^2(1)").verdict == "correct"
    assert grade(spec, "value", f"{1 - math.tanh(1) ** 2:.4f}").verdict == "correct"
    assert grade(spec, "derivative", "sech^2(x)").verdict == "correct"
    assert grade(spec, "derivative", r"$\operatorname{sech}^2(x)$").verdict == "correct"
    assert grade(spec, "derivative", r"$1 - \tanh^2 x$").verdict in ("correct", "invalid")
    sig = "{id: s, kind: chain_rule, given: {f: 'sigmoid(x)^2', wrt: x}, parts: [derivative]}"
    assert grade(sig, "derivative", "2 sigmoid^2(x) (1 - sigmoid(x))").verdict == "correct"


# -- short feedback -----------------------------------------------------------------------------

def test_student_text_goes_in_code_spans_without_backslashes():
    g = grade(SIGMOID, "value", "-0.2")
    assert "\\-" not in g.feedback
    assert report.code("a`b") == "``a`b``" and report.code("`x`") == "`` `x` ``"
    keys = KeySet([api.load_problem_text(SIGMOID)])
    result = grade_submission(keys, submission_from_data({"student": "s-0001", "answers": {}}, keys))
    assert "# Grade report: `s-0001`" in report.format_result(result)


def test_steps_once_per_problem_and_only_with_reveal_steps():
    spec = GD.replace("parts: [iterates]", "parts: [iterates, final, f_values]")
    keys = KeySet([api.load_problem_text(spec)])
    wrong = _gd_run([1, 1], lr=0.2)
    sub = submission_from_data({"student": "s1", "answers": {"gd": {
        "iterates": wrong, "final": wrong[-1], "f_values": [1, 2, 3, 4]}}}, keys)
    result = grade_submission(keys, sub)
    md = report.format_result(result)
    assert md.count("How to get it") == 1 and md.count("*The iterations.*") == 1
    assert "How to get it" not in report.format_result(result, reveal="values")
    assert "Expected" in report.format_result(result, reveal="values")
    verdicts = report.format_result(result, reveal="verdicts")
    assert "How to get it" not in verdicts and "Expected" not in verdicts
    data = json.loads(report.format_result(result, "json"))
    assert data["problems"]["gd"]["steps"].count("*The iterations.*") == 1
    assert all("How to get it" not in p["feedback"] for p in data["problems"]["gd"]["parts"].values())


def test_a_student_with_eleven_wrong_parts_over_thirteen_problems_gets_a_few_screens():
    specs = [
        GD.replace("id: gd", "id: gd%d" % i).replace("learning_rate: 0.1", f"learning_rate: 0.{i + 1}")
        for i in range(4)
    ] + [CONV.replace("{X:", "{bias: %d, X:" % i).replace("id: conv,", "id: conv%d," % i) for i in range(3)] + [
        SIGMOID.replace("id: sig", "id: sig%d" % i).replace("x: 1}", f"x: {i + 1}}}") for i in range(3)
    ] + [WINDOW.replace("id: w", "id: w%d" % i).replace("parts: [ds_dW]", "parts: [h, ds_dW]") for i in range(3)]
    keys = KeySet([api.load_problem_text(s) for s in specs])
    wrong = {("gd0", "iterates"), ("gd1", "iterates"), ("gd2", "iterates"), ("gd3", "iterates"),
             ("conv0", "Y"), ("conv0", "dL_dW"), ("conv1", "dL_dX"), ("sig0", "value"), ("sig1", "value"),
             ("sig2", "value"), ("w0", "ds_dW")}
    answers = {key.id: {name: _written(key.parts[name].value, (key.id, name) in wrong) for name in key.part_names}
               for key in keys}
    result = grade_submission(keys, submission_from_data({"student": "s1", "answers": answers}, keys))
    verdicts = {(q.id, p.name): p.verdict for q in result.problems for p in q.parts}
    assert len(result.problems) == 13 and {k for k, v in verdicts.items() if v != "correct"} == wrong
    md = report.format_result(result)
    assert len(md.splitlines()) < 350, len(md.splitlines())  # about 30 lines per wrong part, worked steps included
    assert md.count("How to get it") == 10  # once per problem with a wrong part


def _written(value, wrong: bool):
    """A student's answer for a key value: right to 6 digits, or every entry scrambled."""
    from hwcheck.grade.values import Arr

    def one(v):
        return round(v.value * 1.7 + 0.3, 3) if wrong else float(f"{v.value:.6g}")
    if isinstance(value, Arr):
        flat = [one(v) for v in value.items]
        if len(value.shape) == 2:
            h, w = value.shape
            return [flat[i * w:(i + 1) * w] for i in range(h)]
        return flat
    return one(value)


def test_the_key_grades_itself_correct_with_carry_forward_on():
    for spec in (GD, CONV, WINDOW, SIGMOID, FANOUT):
        key = key_of(spec)
        for name in key.part_names:
            answer = key.parts[name].answer
            answer = answer.tolist() if hasattr(answer, "tolist") else answer
            g = grade(key, name, json.loads(json.dumps(answer, default=str)))
            assert g.verdict == "correct" and g.carried_forward == (), (spec, name, g.feedback)


# -- fixtures: problems written here, with torch answers ----------------------------------------

CONV_X = [[1.0, 2, 1, 0], [2, 1, 0, 1], [1, 0, 2, 1], [0, 1, 2, 1]]
CONV_W = [[1.0, -1, 0], [0, 1, -1], [-1, 0, 1]]
CONV_G = [[1.0, -1], [-1, 1]]
CONV = ("{id: conv, kind: conv2d_backprop, given: {X: %s, W: %s, dL_dY: %s}, parts: [Y, dL_dW, dL_dX]}"
        % (CONV_X, CONV_W, CONV_G))


def _conv_torch():
    X = torch.tensor(CONV_X, requires_grad=True)
    W = torch.tensor(CONV_W, requires_grad=True)
    Y = torch.nn.functional.conv2d(X[None, None], W[None, None])[0, 0]
    Y.backward(torch.tensor(CONV_G))
    return {"Y": Y.detach().numpy(), "dW": W.grad.numpy(), "dX": X.grad.numpy()}


WIN_X = [1.0, -1, 2, 0.5]
WIN_W = [[0.5, -1, 0, 1], [1, 0.5, -0.5, 0]]
WIN_B = [0.1, -0.2]
WIN_U = [1.0, -2]
WINDOW = ("{id: w, kind: window_classifier, given: {x: %s, W: %s, b: %s, u: %s}, parts: [ds_dW]}"
          % (WIN_X, WIN_W, WIN_B, WIN_U))


def _window_torch():
    z = torch.tensor(WIN_W) @ torch.tensor(WIN_X) + torch.tensor(WIN_B)
    zr = z.clone().requires_grad_(True)
    h = torch.sigmoid(zr)
    (torch.tensor(WIN_U) @ h).backward()
    return h.detach().numpy(), zr.grad.numpy()
