"""optimizer_trace against torch.optim in float64 and independent NumPy loops (the oracles)."""

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.kinds import optimizer_trace as ot

# Objective families: (spec text, torch function of a 2-vector). Coefficients are small integers.
FAMILIES = {
    "quadratic": ("{a}*x**2 + {b}*x*y + {c}*y**2 + {d}*x - {e}*y",
                  lambda p, a, b, c, d, e: a * p[0] ** 2 + b * p[0] * p[1] + c * p[1] ** 2 + d * p[0] - e * p[1]),
    "quartic_sin_exp": ("x**4/4 + {a}*sin(x*y) + exp(y/{c}) + {d}*x",
                        lambda p, a, b, c, d, e: p[0] ** 4 / 4 + a * torch.sin(p[0] * p[1])
                        + torch.exp(p[1] / c) + d * p[0]),
}


def spec(optimizer, f, start, lr, steps, **extra):
    lines = ["kind: optimizer_trace", "given:", f"  optimizer: {optimizer}", f'  f: "{f}"',
             f"  start: {{x: {start[0]}, y: {start[1]}}}", f"  learning_rate: {lr}", f"  steps: {steps}"]
    lines += [f"  {k}: {v}" for k, v in extra.items()]
    lines.append("parts: [iterates, final, state, gradients]")
    return api.load_problem_text("\n".join(lines))


def torch_trace(optimizer, fn, start, lr, steps, rho=0.9, decay=0.99, b1=0.9, b2=0.999, eps=1e-7):
    x = torch.tensor([float(v) for v in start], dtype=torch.float64, requires_grad=True)
    make = {
        "sgd": lambda: torch.optim.SGD([x], lr=lr),
        # torch's momentum is the gradient form v = ρv + g, x -= lr·v (dampening 0)
        "momentum": lambda: torch.optim.SGD([x], lr=lr, momentum=rho, dampening=0),
        # torch: x -= lr·g / (sqrt(sum) + eps), the slides' placement of eps
        "adagrad": lambda: torch.optim.Adagrad([x], lr=lr, eps=eps, initial_accumulator_value=0, lr_decay=0),
        "rmsprop": lambda: torch.optim.RMSprop([x], lr=lr, alpha=decay, eps=eps),
        # torch: x -= lr·m̂ / (sqrt(ŝ) + eps): eps outside the root of the corrected moment, as the slides
        "adam": lambda: torch.optim.Adam([x], lr=lr, betas=(b1, b2), eps=eps),
        # torch's Nesterov tracks x̃ = x + ρu (the slides' change of variables)
        "nesterov": lambda: torch.optim.SGD([x], lr=lr, momentum=rho, dampening=0, nesterov=True),
    }
    opt = make[optimizer]()
    points = [x.detach().clone().numpy()]
    for _ in range(steps):
        opt.zero_grad()
        fn(x).backward()
        opt.step()
        points.append(x.detach().clone().numpy())
    return np.array(points)


def floats(points):
    return np.array([[float(v) for v in p] for p in points])


def close(a, b, rel=1e-9, abs_=1e-12):
    return np.allclose(a, b, rtol=rel, atol=abs_)


coef = st.integers(1, 4)
case = st.fixed_dictionaries({
    "family": st.sampled_from(sorted(FAMILIES)),
    "a": coef, "b": st.integers(-1, 1), "c": coef, "d": st.integers(-3, 3), "e": st.integers(-3, 3),
    "start": st.tuples(st.integers(-3, 3), st.integers(-2, 2)),
    "lr": st.sampled_from(["0.01", "0.05", "0.1"]),
    "steps": st.integers(1, 8),
})


@settings(max_examples=30, deadline=None)
@given(case, st.sampled_from(["sgd", "momentum", "adagrad", "rmsprop", "adam"]))
def test_matches_torch_optim(c, optimizer):
    text, fn = FAMILIES[c["family"]]
    f = text.format(**c)
    p = spec(optimizer, f, c["start"], c["lr"], c["steps"])
    ours = floats(api.solve(p).answers["iterates"])
    theirs = torch_trace(optimizer, lambda x: fn(x, c["a"], c["b"], c["c"], c["d"], c["e"]), c["start"],
                         float(c["lr"]), c["steps"])
    assert close(ours, theirs), (optimizer, f, ours, theirs)


def numpy_nesterov(grad, x, lr, rho, steps):
    """The slides' look-ahead form, in float64: u = ρu − α∇f(x + ρu); x = x + u."""
    x, u = np.array(x, float), np.zeros(len(x))
    out, vs = [x.copy()], []
    for _ in range(steps):
        u = rho * u - lr * grad(x + rho * u)
        x = x + u
        out.append(x.copy()), vs.append(u.copy())
    return np.array(out), np.array(vs)


def numpy_adam(grad, x, lr, b1, b2, eps, steps, bias=True):
    x, m, s = np.array(x, float), np.zeros(len(x)), np.zeros(len(x))
    out = [x.copy()]
    for t in range(1, steps + 1):
        g = grad(x)
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g * g
        mh, sh = (m / (1 - b1 ** t), s / (1 - b2 ** t)) if bias else (m, s)
        x = x - lr * mh / (np.sqrt(sh) + eps)
        out.append(x.copy())
    return np.array(out)


def quad_grad(a, b, c, d, e):
    return lambda p: np.array([2 * a * p[0] + b * p[1] + d, b * p[0] + 2 * c * p[1] - e])


@settings(max_examples=20, deadline=None)
@given(case, st.sampled_from(["gradient", "velocity"]))
def test_nesterov_matches_numpy_lookahead_and_torch_change_of_variables(c, form):
    f = FAMILIES["quadratic"][0].format(**c)
    p = spec("nesterov", f, c["start"], c["lr"], c["steps"], rho="0.9", momentum_form=form)
    answers = api.solve(p).answers
    ours = floats(answers["iterates"])
    ref, u = numpy_nesterov(quad_grad(c["a"], c["b"], c["c"], c["d"], c["e"]), c["start"], float(c["lr"]), 0.9,
                            c["steps"])
    assert close(ours, ref)
    v = floats([s["velocity"] for s in answers["state"]])
    assert close(v, u if form == "velocity" else -u / float(c["lr"]))
    # torch's nesterov=True runs the slides' x̃ = x + ρu
    fn = FAMILIES["quadratic"][1]
    torch_points = torch_trace("nesterov", lambda x: fn(x, c["a"], c["b"], c["c"], c["d"], c["e"]), c["start"],
                               float(c["lr"]), c["steps"])
    tilde = ref[1:] + 0.9 * u
    assert close(torch_points[1:], tilde)


@settings(max_examples=20, deadline=None)
@given(case)
def test_adam_without_bias_correction_matches_numpy(c):
    f = FAMILIES["quadratic"][0].format(**c)
    p = spec("adam", f, c["start"], c["lr"], c["steps"], bias_correction="false")
    ours = floats(api.solve(p).answers["iterates"])
    ref = numpy_adam(quad_grad(c["a"], c["b"], c["c"], c["d"], c["e"]), c["start"], float(c["lr"]), 0.9, 0.999,
                     1e-7, c["steps"], bias=False)
    assert close(ours, ref)
    # and the misconception of the bias-corrected spec is exactly this trace
    p2 = spec("adam", f, c["start"], c["lr"], c["steps"])
    wrong = ot.MISCONCEPTIONS["no_bias_correction"](p2.given)["iterates"]
    assert close(floats(wrong), ref)


def test_adam_state_and_bias_correction_exact_first_step():
    p = api.load_problem_text("""
kind: optimizer_trace
given: {optimizer: adam, gradients: [[2, -4], [1, 3]], start: {w1: 1, w2: -1}, learning_rate: 0.1, steps: 2}
""")
    answers = api.solve(p).answers
    s1 = answers["state"][0]
    assert s1["first_moment"] == [sp.Rational(1, 5), sp.Rational(-2, 5)]
    assert s1["second_moment"] == [sp.Rational(1, 250), sp.Rational(2, 125)]
    assert s1["first_unbias"] == [2, -4] and s1["second_unbias"] == [4, 16]
    # x1 = x0 − α ĝ / (|g| + ε): rational, exact
    assert answers["iterates"][1] == [1 - sp.Rational(1, 10) * 2 / (2 + sp.Rational(1, 10**7)),
                                      -1 + sp.Rational(1, 10) * 4 / (4 + sp.Rational(1, 10**7))]
    ref = numpy_adam(lambda x, it=iter([np.array([2., -4.]), np.array([1., 3.])]): next(it), [1, -1], 0.1,
                     0.9, 0.999, 1e-7, 2)
    assert close(floats(answers["iterates"]), ref)


def test_momentum_forms_same_iterates_and_velocity_relation():
    base = "kind: optimizer_trace\ngiven: {optimizer: momentum, f: 'x**2/2 + 10*y**2', start: {x: -8, y: 1}, " \
           "learning_rate: 0.02, steps: 6, momentum_form: %s}\nparts: [iterates, state]"
    g = api.solve(api.load_problem_text(base % "gradient")).answers
    v = api.solve(api.load_problem_text(base % "velocity")).answers
    assert g["iterates"] == v["iterates"]  # exact rationals, equal
    assert all(isinstance(e, sp.Rational) for p in g["iterates"] for e in p)
    for sg, sv in zip(g["state"], v["state"]):
        assert sv["velocity"] == [-sp.Rational(1, 50) * e for e in sg["velocity"]]
    step = next(s for s in api.solve(api.load_problem_text(base % "gradient")).steps if s.macro == "equivalence")
    assert step.data["same"]


def test_sgd_and_momentum_stay_exact_on_polynomials():
    p = api.load_problem_text("kind: optimizer_trace\ngiven: {optimizer: sgd, f: 'x**4 - 3*x*y + y**2', "
                              "start: {x: 1/2, y: -1}, learning_rate: 0.05, steps: 3}")
    trace = api.solve(p).answers["iterates"]
    assert all(isinstance(e, sp.Rational) for point in trace for e in point)


def test_long_adam_run_switches_to_50_digits_and_agrees_with_numpy():
    p = api.load_problem_text("kind: optimizer_trace\ngiven: {optimizer: adam, f: 'x**2/2 + 10*y**2', "
                              "start: {x: -8, y: 1}, learning_rate: 0.01, steps: 300}")
    solution = api.solve(p)
    last = solution.answers["iterates"][-1]
    assert all(isinstance(e, sp.Float) and e._prec >= 160 for e in last)
    ref = numpy_adam(lambda q: np.array([q[0], 20 * q[1]]), [-8, 1], 0.01, 0.9, 0.999, 1e-7, 300)
    assert close(floats(solution.answers["iterates"]), ref, rel=1e-8, abs_=1e-10)
    md = api.render_solution(p, solution)
    assert "The updates in between apply the same rule" in md


def test_gradient_ascent_misconception_flips_the_update():
    p = api.load_problem_text("kind: optimizer_trace\ngiven: {optimizer: sgd, f: 'x**2', start: {x: 1}, "
                              "learning_rate: 0.1, steps: 2}")
    assert ot.MISCONCEPTIONS["gradient_ascent"](p.given)["iterates"] == [[1], [sp.Rational(6, 5)],
                                                                         [sp.Rational(36, 25)]]
    assert api.solve(p).answers["iterates"] == [[1], [sp.Rational(4, 5)], [sp.Rational(16, 25)]]
    assert ot.MISCONCEPTIONS["no_bias_correction"](p.given) == {}


def test_eps_read_from_yaml_string_and_compare_runs():
    p = api.load_problem_text("""
kind: optimizer_trace
given:
  optimizer: rmsprop
  f: "x**2 + y**2"
  start: {x: 1, y: 2}
  learning_rate: 0.1
  steps: 3
  eps: 1e-8
  compare: [{optimizer: adam, label: "Adam 0.1"}, {optimizer: sgd, learning_rate: 0.2}]
""")
    assert p.given.eps == sp.Rational(1, 10**8)
    solution = api.solve(p)
    runs = next(s for s in solution.steps if s.macro == "comparison").data["runs"]
    assert [r["optimizer"] for r in runs] == ["rmsprop", "adam", "sgd"]
    assert runs[2]["iterates"][1] == [sp.Rational(3, 5), sp.Rational(6, 5)]
    assert "Adam 0.1" in api.render_solution(p, solution)


BAD = [
    ("steps: 0", "given.steps"),
    ("steps: 10001", "given.steps"),
    ("f: 'foo(x)'", "given.f"),
    ("start: {y: 1}", "given.start"),
    ("rho: 1", "given.rho"),
    ("optimizer: adamw", "given.optimizer"),
]


@pytest.mark.parametrize("change,key", BAD)
def test_refusals(change, key):
    base = {"optimizer": "optimizer: sgd", "f": "f: 'x**2'", "start": "start: {x: 1}",
            "learning_rate": "learning_rate: 0.1", "steps": "steps: 2"}
    name = change.split(":")[0]
    base[name] = change
    with pytest.raises(SpecError) as info:
        api.load_problem_text("kind: optimizer_trace\ngiven:\n  " + "\n  ".join(base.values()))
    assert key in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("given_text,key", [
    ("gradients: [[1], [2]], start: {x: 1}, steps: 3", "given.gradients"),
    ("gradients: [[1], [2, 3]], start: {x: 1}, steps: 2", "given.gradients[1]"),
    ("gradients: [[1]], f: 'x', start: {x: 1}, steps: 1", "given.f"),
    ("start: {x: 1}, steps: 1", "given.f"),
])
def test_gradient_drill_refusals(given_text, key):
    with pytest.raises(SpecError) as info:
        api.load_problem_text(f"kind: optimizer_trace\ngiven: {{optimizer: sgd, learning_rate: 0.1, {given_text}}}")
    assert f"{key}:" in str(info.value)


# -- the worked text, read as a strict TA would (issue 8) -------------------------------

import re  # noqa: E402

from hwcheck import optim, render  # noqa: E402

from conftest import PROBLEMS  # noqa: E402

SHIPPED = sorted(PROBLEMS.glob("opt-*.yaml"))


def section(md, title):
    m = re.search(r"### Step \d+\. " + re.escape(title) + r"\n(.*?)(?=\n##)", md, re.S)
    assert m, title
    return m.group(1)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_text(path):
    p = api.load_problem(path)
    solution = api.solve(p)
    md = api.render_solution(p, solution)
    steps, answers = md.split("## Answers")
    assert "(s)" not in md and "first $0$" not in md and "first $1$ update" not in md
    md_inline = re.sub(r"\$\$.+?\$\$", "", md, flags=re.S)
    for m in re.findall(r"\$([^$\n]+?)\$", md_inline):
        assert "\\{" not in m and "\\}" not in m and "\\_" not in m, m
    # the last point is printed alike in the steps and in the Answers
    exact = optim.shown_exact(solution.answers["iterates"])
    for v in solution.answers["iterates"][-1]:
        shown = render.num(v) if exact else render.dec(v)
        assert shown in steps, shown
    assert not re.search(r"[1-9]\d{7,}", steps)  # no more than SIG digits anywhere


def test_adam_question_without_bias_correction_is_answered():
    p = api.load_problem(PROBLEMS / "opt-adam-gradient-drill.yaml")
    solution = api.solve(p)
    md = api.render_solution(p, solution)
    text = section(md, "The same updates without bias correction")
    # torch has no uncorrected Adam: an independent NumPy loop is the oracle
    x, m, s = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2)
    points = [x.copy()]
    for g in ([2.0, -4.0], [1.0, 3.0]):
        g = np.array(g)
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        x = x - 0.1 * m / (np.sqrt(s) + 1e-7)
        points.append(x.copy())
    assert close(floats(solution.answers["uncorrected"]), np.array(points))
    assert render.dec(solution.answers["uncorrected"][1][0]) in text
    assert "3.16" in text and "larger" in text
    assert "uncorrected" in md.split("## Answers")[1]


def test_uncorrected_part_only_for_adam():
    with pytest.raises(SpecError, match="uncorrected"):
        api.load_problem_text("kind: optimizer_trace\ngiven: {optimizer: sgd, f: 'x**2', start: {x: 1}, "
                              "learning_rate: 0.1, steps: 2}\nparts: [iterates, uncorrected]")
    p = api.load_problem_text("kind: optimizer_trace\ngiven: {optimizer: adam, f: 'x**2', start: {x: 1}, "
                              "learning_rate: 0.1, steps: 2, bias_correction: false}\nparts: [iterates, uncorrected]")
    answers = api.solve(p).answers
    assert answers["uncorrected"] == answers["iterates"]


def test_momentum_buffers_have_distinct_stable_names():
    """The spec's form keeps its symbol everywhere; the other form's buffer gets another one."""
    md = api.render_solution(api.load_problem(PROBLEMS / "opt-momentum-two-forms.yaml"))
    rule, equivalence = section(md, "The update rule"), section(md, "Two ways to write momentum")
    assert r"v_{t} = \rho\, v_{t-1} - \alpha" in rule  # the velocity form, as in the statement
    assert r"v_t = \rho v_{t-1} - \alpha g_t" in equivalence and r"u_t = \rho u_{t-1} + g_t" in equivalence
    assert r"u_t = \rho u_{t-1} - \alpha" not in md and r"v_t = \rho v_{t-1} + g_t" not in md
    # coordinates (a, b) and the point are different symbols
    assert r"\mathbf{x}_t = (a,\ b)" in md


def test_bowl_verdicts_come_from_the_run():
    p = api.load_problem(PROBLEMS / "opt-bowl-sgd-momentum-adam.yaml")
    solution = api.solve(p)
    runs = next(s for s in solution.steps if s.macro == "comparison").data["runs"]
    md = api.render_solution(p, solution)
    table = section(md, "Optimizers side by side")
    bullets = [line for line in table.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(runs)
    for run, line in zip(runs, bullets):
        values = run["f_values"]
        if optim.monotone_decrease(values):
            assert run["b"].monotone and "decreasing at every step" in line
        else:
            assert f"up at {optim.rises(values)} of the 40 steps" in line and "at every step" not in line
    momentum = next(r for r in bullets if r.startswith("- SGD + Momentum"))
    assert "oscillating" in momentum


def test_point_symbol_from_indexed_coordinates_and_notation():
    md = api.render_solution(api.load_problem(PROBLEMS / "opt-adam-gradient-drill.yaml"))
    assert r"\mathbf{w}_{1}" in md and r"(w_{1},\ w_{2})" in md
    p = api.load_problem_text("kind: optimizer_trace\nnotation: {point: \\theta, velocity: m, learning_rate: \\eta}\n"
                              "given: {optimizer: momentum, f: 'x**2', start: {x: 1}, learning_rate: 0.1, steps: 2}")
    md = api.render_solution(p)
    assert r"\theta_{1}" in md and r"m_{1} = " in md and r"\eta = " in md and "v_{1}" not in md


@settings(max_examples=15, deadline=None)
@given(case, st.sampled_from(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]))
def test_random_runs_render_clean_text(c, optimizer):
    text, _ = FAMILIES[c["family"]]
    p = spec(optimizer, text.format(**c), c["start"], c["lr"], c["steps"])
    solution = api.solve(p)
    md = api.render_solution(p, solution)
    steps = md.split("## Answers")[0]
    assert "(s)" not in md
    exact = optim.shown_exact(solution.answers["iterates"])
    for v in solution.answers["iterates"][-1]:
        assert (render.num(v) if exact else render.dec(v)) in steps
    # a verdict is never "decreasing at every update" when f went up somewhere
    values = next(s for s in solution.steps if s.macro == "summary").data["f_values"]
    if not optim.monotone_decrease(values):
        assert "decreases at every update" not in md


def test_optimizer_run_on_a_quartic_says_local_not_global():
    p = api.load_problem_text("kind: optimizer_trace\ngiven: {optimizer: momentum, f: 'x**4 - 3*x**2 + x', "
                              "start: {x: 2}, learning_rate: 0.02, rho: 0.5, steps: 80}")
    md = api.render_solution(p)
    text = section(md, "The stationary points")
    assert "**not the global minimum**" in text and "-1.30084" in text and "a local maximum" in text
    summary = section(md, "Where the optimizer ends")
    assert "does **not** decrease at every update" in summary  # momentum overshoots on the way
