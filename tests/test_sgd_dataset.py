"""sgd_dataset against an independent NumPy loop and torch.optim.SGD (the oracles), and its refusals."""

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.kinds import sgd_dataset as sgd
from hwcheck.schema import convert_fields


def make_given(raw):
    g = convert_fields(sgd.GIVEN, raw)
    sgd.check(g, tuple(sgd.PARTS))
    return g


def numpy_oracle(x, y, w, b, eta, variant, batch_size, orders):
    """Straight from the definition, in float64: returns [(w, b, full-data loss)] after each update."""
    X = np.array(x, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    Y = np.array(y, dtype=float)
    w = np.atleast_1d(np.array(w, dtype=float))
    b = float(b)
    out = []
    for order in orders:
        order = list(order)
        if variant == "batch":
            batches = [order]
        elif variant == "stochastic":
            batches = [[i] for i in order]
        else:
            batches = [order[k:k + batch_size] for k in range(0, len(order), batch_size)]
        for S in batches:
            Xs, Ys = X[S], Y[S]
            r = Xs @ w + b - Ys
            gw, gb = (r[:, None] * Xs).mean(axis=0), r.mean()
            w, b = w - eta * gw, b - eta * gb
            full = X @ w + b - Y
            out.append((w.copy(), b, 0.5 * np.mean(full ** 2)))
    return out


def as_float(v):
    return np.array(v, dtype=float) if isinstance(v, list) else float(v)


@st.composite
def sgd_case(draw, entries=st.integers(-3, 3)):
    n = draw(st.integers(1, 6))
    dim = draw(st.sampled_from([None, 1, 2, 3]))
    if dim is None:
        x = draw(st.lists(entries, min_size=n, max_size=n))
        w = draw(entries)
    else:
        x = draw(st.lists(st.lists(entries, min_size=dim, max_size=dim), min_size=n, max_size=n))
        w = draw(st.lists(entries, min_size=dim, max_size=dim))
    y = draw(st.lists(entries, min_size=n, max_size=n))
    b = draw(entries)
    eta = draw(st.sampled_from(["1/10", "1/20", "0.05", "1/8", "0.3"]))
    variant = draw(st.sampled_from(sgd.VARIANTS))
    epochs = draw(st.integers(1, 3))
    raw = {"data": {"x": x, "y": y}, "init": {"w": w, "b": b}, "learning_rate": eta,
           "variant": variant, "epochs": epochs}
    index = st.integers(0, n - 1)
    how = draw(st.sampled_from(["default", "one", "per_epoch"]))
    if variant == "batch":
        order = draw(st.permutations(range(n)))
        orders = [list(range(n))] * epochs
        if how == "one":
            raw["order"], orders = order, [order] * epochs
        elif how == "per_epoch":
            orders = [list(draw(st.permutations(range(n)))) for _ in range(epochs)]
            raw["order"] = orders
    else:
        orders = [list(range(n))] * epochs
        if how == "one":
            order = draw(st.lists(index, min_size=1, max_size=7))  # repeats and omissions allowed
            raw["order"], orders = order, [order] * epochs
        elif how == "per_epoch":
            orders = [draw(st.lists(index, min_size=1, max_size=6)) for _ in range(epochs)]
            raw["order"] = orders
    size = None
    if variant == "minibatch":
        size = raw["batch_size"] = draw(st.integers(1, n))
    return raw, (x, y, w, b, float(sp.Rational(eta)), variant, size, orders)


@settings(max_examples=40, deadline=None)
@given(sgd_case())
def test_matches_numpy_loop(case):
    raw, args = case
    a = sgd.solve(make_given(raw)).answers
    expected = numpy_oracle(*args)
    assert len(a["params"]) == len(a["losses"]) == len(expected)
    for p, loss, (w, b, l) in zip(a["params"], a["losses"], expected):
        np.testing.assert_allclose(np.atleast_1d(as_float(p["w"])), w, rtol=1e-9, atol=1e-9)
        assert float(p["b"]) == pytest.approx(b, rel=1e-9, abs=1e-9)
        assert float(loss) == pytest.approx(l, rel=1e-9, abs=1e-9)
    assert a["final_w"] == a["params"][-1]["w"] and a["final_b"] == a["params"][-1]["b"]
    # rational data in, rational answers out (Fractions throughout)
    assert all(v.is_Rational for v in a["losses"])
    # a scalar x gives a scalar w, a vector x a vector w of the same length
    assert isinstance(a["final_w"], list) == isinstance(raw["init"]["w"], list)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 10**6))
def test_minibatch_matches_torch_optim_sgd(n_batches, batch_size, dim, seed):
    rng = np.random.default_rng(seed)
    n = n_batches * batch_size - int(rng.integers(0, batch_size))  # the last batch may be short
    n = max(n, batch_size)
    X = rng.integers(-4, 5, size=(n, dim))
    Y = rng.integers(-4, 5, size=n)
    w0, b0 = rng.integers(-2, 3, size=dim), int(rng.integers(-2, 3))
    order = [int(i) for i in rng.permutation(n)]
    epochs = 2
    raw = {"data": {"x": X.tolist(), "y": Y.tolist()}, "init": {"w": w0.tolist(), "b": b0},
           "learning_rate": "1/10", "variant": "minibatch", "batch_size": batch_size, "order": order,
           "epochs": epochs}
    a = sgd.solve(make_given(raw)).answers

    lin = torch.nn.Linear(dim, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(w0[None, :], dtype=torch.float64))
        lin.bias.copy_(torch.tensor([b0], dtype=torch.float64))
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    Xt, Yt = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    t = 0
    for _ in range(epochs):
        for k in range(0, n, batch_size):
            S = order[k:k + batch_size]
            opt.zero_grad()
            loss = 0.5 * torch.nn.functional.mse_loss(lin(Xt[S]).squeeze(1), Yt[S])  # ½ · mean over batch
            loss.backward()
            opt.step()
            p = a["params"][t]
            np.testing.assert_allclose(as_float(p["w"]), lin.weight.detach().numpy()[0], rtol=1e-9, atol=1e-9)
            assert float(p["b"]) == pytest.approx(lin.bias.item(), rel=1e-9, abs=1e-9)
            with torch.no_grad():
                full = 0.5 * torch.nn.functional.mse_loss(lin(Xt).squeeze(1), Yt).item()
            assert float(a["losses"][t]) == pytest.approx(full, rel=1e-9, abs=1e-9)
            t += 1
    assert t == len(a["params"])


def test_shipped_stochastic_problem_by_hand():
    # x = 3, y = 7 from w = b = 0: r = -7, so w = 0 - 0.1(-7)(3) = 2.1 and b = 0.7
    p = api.load_problem("problems/sgd-stochastic-1d.yaml")
    a = api.solve(p).answers
    assert a["params"][0] == {"w": sp.Rational(21, 10), "b": sp.Rational(7, 10)}
    assert a["losses"][0] == sp.Rational(3, 400)


def test_irrational_input_runs_in_50_digits():
    raw = {"data": {"x": ["sqrt(2)", 1], "y": [1, "pi"]}, "init": {"w": 0, "b": 0}, "learning_rate": "1/10",
           "variant": "stochastic", "epochs": 3}
    a = sgd.solve(make_given(raw)).answers
    expected = numpy_oracle([2 ** 0.5, 1], [1, np.pi], 0, 0, 0.1, "stochastic", None, [[0, 1]] * 3)
    assert float(a["final_b"]) == pytest.approx(expected[-1][1], rel=1e-12)
    assert isinstance(a["final_w"], sp.Float) and a["final_w"]._prec > 150  # 50 digits, not a double


def test_long_run_shows_first_and_last_updates():
    raw = {"data": {"x": [1, 2, 3], "y": [1, 2, 2]}, "init": {"w": 0, "b": 0}, "learning_rate": "1/10",
           "variant": "stochastic", "epochs": 5}
    problem = api.load_problem_text(
        "{kind: sgd_dataset, given: {data: {x: [1, 2, 3], y: [1, 2, 2]}, init: {w: 0, b: 0},"
        " learning_rate: 0.1, variant: stochastic, epochs: 5}}")
    solution = api.solve(problem)
    macros = [s.macro for s in solution.steps]
    assert macros.count("update") == sgd.SHOW_FIRST + sgd.SHOW_LAST and "middle" in macros
    assert len(solution.answers["params"]) == 15 == len(sgd.trace(make_given(raw)))
    md = api.render_solution(problem, solution, format="md")
    assert "Updates $4$ to $13$" in md and "**Update $15$ of $15$**" in md


def test_short_last_minibatch_is_said():
    md = api.solve_file("problems/sgd-minibatch-2d.yaml")
    assert "The last slice is shorter" in md and "shorter than $2$" in md


def test_batch_size_consistent_with_variant_is_accepted():
    base = "{kind: sgd_dataset, given: {data: {x: [1, 2], y: [1, 2]}, init: {w: 0, b: 0}, learning_rate: 0.1, "
    a = api.solve(api.load_problem_text(base + "variant: batch, batch_size: 2}}")).answers
    b = api.solve(api.load_problem_text(base + "variant: minibatch, batch_size: 2}}")).answers
    assert a == b
    api.load_problem_text(base + "variant: stochastic, batch_size: 1}}")


def test_misconceptions_differ_from_the_answer():
    p = api.load_problem("problems/sgd-minibatch-2d.yaml")
    right = api.solve(p).answers
    for name, wrong in sgd.MISCONCEPTIONS.items():
        got = wrong(p.given)
        assert got and got["final_w"] != right["final_w"], name


GOOD = {"data": "{x: [1, 2, 3, 4], y: [3, 5, 7, 9]}", "init": "{w: 0, b: 0}", "learning_rate": "0.1",
        "variant": "stochastic"}


def spec(**change):
    given = {**GOOD, **change}
    body = ", ".join(f"{k}: {v}" for k, v in given.items() if v is not None)
    return "{kind: sgd_dataset, given: {" + body + "}}"


@pytest.mark.parametrize("change, key, words", [
    ({"order": "[0, 4, 1]"}, "given.order[1]", "from 0 to 3"),
    ({"order": "[[0, 1], [2, 9]]", "epochs": "2"}, "given.order[1][1]", "from 0 to 3"),
    ({"order": "[[0, 1]]", "epochs": "2"}, "given.order", "one order per epoch"),
    ({"order": "[0, -1]"}, "given.order[1]", "index"),
    ({"variant": "minibatch", "batch_size": "5"}, "given.batch_size", "from 1 to the number of examples (4)"),
    ({"variant": "minibatch", "batch_size": "0"}, "given.batch_size", "≥ 1"),
    ({"variant": "minibatch", "batch_size": "-2"}, "given.batch_size", "≥ 1"),
    ({"variant": "minibatch"}, "given.batch_size", "batch_size"),
    ({"variant": "stochastic", "batch_size": "2"}, "given.batch_size", "no batch_size with variant stochastic"),
    ({"variant": "batch", "batch_size": "3"}, "given.batch_size", "no batch_size with variant batch"),
    ({"variant": "batch", "order": "[0, 1, 1, 3]"}, "given.order", "lists each of 0..3 once"),
    ({"data": "{x: [1, 2, 3], y: [3, 5, 7, 9]}"}, "given.data.y", "length of x (3)"),
    ({"data": "{x: [1, 2, 3, 4], y: 3}"}, "given.data.y", "list of 4 numbers"),
    ({"data": "{x: [[1, 2], [3], [1, 1], [0, 0]], y: [1, 2, 3, 4]}", "init": "{w: [0, 0], b: 0}"},
     "given.data.x[1]", "vectors of one length"),
    ({"data": "{x: [[1, 2], 3, [1, 1], [0, 0]], y: [1, 2, 3, 4]}"}, "given.data.x[1]", "vectors only"),
    ({"init": "{w: [0, 0], b: 0}"}, "given.init.w", "w a number"),
    ({"data": "{x: [[1, 2], [3, 4], [1, 1], [0, 0]], y: [1, 2, 3, 4]}"}, "given.init.w", "w a vector of length 2"),
    ({"data": "{x: [[1, 2], [3, 4], [1, 1], [0, 0]], y: [1, 2, 3, 4]}", "init": "{w: [0, 0, 0], b: 0}"},
     "given.init.w", "length 3"),
    ({"variant": "sgd"}, "given.variant", "one of batch, stochastic, minibatch"),
    ({"learning_rate": "0"}, "given.learning_rate", "positive"),
    ({"init": "{w: 0}"}, "given.init.b", "'b'"),
    ({"model": "quadratic"}, "given.model", "linear"),
])
def test_refusals_name_the_key(change, key, words):
    with pytest.raises(SpecError) as err:
        api.load_problem_text(spec(**change))
    message = str(err.value)
    assert err.value.key == key, message
    assert words in message, message
    assert "\n" not in message


# -- the worked text, read as a strict TA would (issue 8) -------------------------------

import json  # noqa: E402
import re  # noqa: E402

from hwcheck import optim, render  # noqa: E402

from conftest import PROBLEMS  # noqa: E402

SHIPPED = sorted(PROBLEMS.glob("sgd-*.yaml"))


def inline_math(md):
    return re.findall(r"\$([^$\n]+?)\$", re.sub(r"\$\$.+?\$\$", "", md, flags=re.S))


def check_text(problem):
    solution = api.solve(problem)
    md = api.render_solution(problem, solution)
    steps = md.split("## Answers")[0]
    assert "(s)" not in md
    for m in inline_math(md):
        assert "\\{" not in m and "\\}" not in m and "\\_" not in m, m
    assert not re.search(r"\\frac\{[^{}]*\}\{[^{}]*\}\^", md), "a fraction to a power needs parentheses"
    assert not re.search(r"[1-9]\d{7,}", steps), "more digits than the policy prints"
    # the final parameters print alike in the steps and the Answers
    summary = next(s for s in solution.steps if s.macro == "summary").data
    exact = summary["show"]["p"]  # the policy of the whole run (parameters, residuals, gradients)
    assert exact <= optim.shown_exact(solution.answers["params"])
    for v in [solution.answers["final_b"]] + (solution.answers["final_w"] if isinstance(
            solution.answers["final_w"], list) else [solution.answers["final_w"]]):
        shown = render.num(v) if exact else render.dec(v)
        assert shown in steps, shown
    # the verdict on the losses is taken from them
    losses = summary["losses"]
    if optim.monotone_decrease(losses):
        assert "It never increases." in md
    else:
        assert "It never increases." not in md and "goes **up**" in md
    return md, solution


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_text(path):
    check_text(api.load_problem(path))


def test_minibatch_digits_and_plurals():
    md, solution = check_text(api.load_problem(PROBLEMS / "sgd-minibatch-2d.yaml"))
    assert "holds only $1$ example," in md and "$T = 6$ updates" in md
    assert r"S = \lbrace 3, 0 \rbrace" in md
    # every printed loss is the correct rounding of the exact loss (the old text printed 10 digits)
    for loss in solution.answers["losses"]:
        assert render.dec(loss) in md


def test_a_rounded_loss_follows_approx_not_equals():
    md, solution = check_text(api.load_problem(PROBLEMS / "sgd-minibatch-2d.yaml"))
    for line in md.splitlines():
        if line.startswith("$$L = "):
            value = line.rstrip("$").split()[-1]
            rel = line.rstrip("$").split()[-2]
            exact = any(optim.decimal_is_exact(v) and render.dec(v) == value for v in solution.answers["losses"])
            assert rel == ("=" if exact else r"\approx"), line


def test_notation_roles():
    raw = {"kind": "sgd_dataset", "notation": {"loss": "J", "learning_rate": r"\alpha"},
           "given": {"data": {"x": [1, 2], "y": [1, 3]}, "init": {"w": 0, "b": 0}, "learning_rate": "0.1",
                     "variant": "batch"}}
    md = api.render_solution(api.load_problem_text(json.dumps(raw)))
    assert r"\nabla_w J_S" in md and r"\alpha = " in md and r"\eta" not in md


@settings(max_examples=20, deadline=None)
@given(sgd_case())
def test_random_instances_read_well(case):
    raw, _ = case
    check_text(api.load_problem_text(json.dumps({"kind": "sgd_dataset", "given": raw})))
