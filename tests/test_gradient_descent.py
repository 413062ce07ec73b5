"""gradient_descent against torch (SGD and autograd in float64), NumPy eigenvalues, and its refusals."""

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import assume, given, settings, strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.kinds import gradient_descent as gd


def problem(f, start, lr, steps, extra=""):
    pts = ", ".join(f"{k}: {v}" for k, v in start.items())
    return api.load_problem_text(f"kind: gradient_descent\ngiven: {{f: '{f}', start: {{{pts}}}, "
                                 f"learning_rate: {lr}, steps: {steps}{extra}}}\n"
                                 "parts: [iterates, gradients, f_values, final]")


def floats(values):
    return np.array([[float(v) for v in p] if isinstance(p, list) else float(p) for p in values])


FAMILIES = {
    "quadratic": ("{a}*x**2 + {b}*x*y + {c}*y**2 - {d}*x",
                  lambda p, a, b, c, d: a * p[0] ** 2 + b * p[0] * p[1] + c * p[1] ** 2 - d * p[0]),
    "smooth": ("log(1 + x**2) + {a}*cos(y) + tanh(x*y)/{c} + {d}*y",
               lambda p, a, b, c, d: torch.log(1 + p[0] ** 2) + a * torch.cos(p[1]) + torch.tanh(p[0] * p[1]) / c
               + d * p[1]),
}


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(FAMILIES)), st.integers(1, 3), st.integers(-1, 1), st.integers(1, 3),
       st.integers(-2, 2), st.tuples(st.integers(-2, 2), st.integers(-2, 2)),
       st.sampled_from(["0.01", "0.1", "0.2"]), st.integers(1, 7))
def test_matches_torch_sgd_and_autograd(family, a, b, c, d, start, lr, steps):
    text, fn = FAMILIES[family]
    p = problem(text.format(a=a, b=b, c=c, d=d), {"x": start[0], "y": start[1]}, lr, steps)
    answers = api.solve(p).answers
    x = torch.tensor([float(v) for v in start], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([x], lr=float(lr))
    points, grads, values = [x.detach().clone().numpy()], [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = fn(x, a, b, c, d)
        loss.backward()
        values.append(loss.item())
        grads.append(x.grad.detach().clone().numpy())
        opt.step()
        points.append(x.detach().clone().numpy())
    values.append(fn(x, a, b, c, d).item())
    assert np.allclose(floats(answers["iterates"]), np.array(points), rtol=1e-9, atol=1e-12)
    assert np.allclose(floats(answers["gradients"]), np.array(grads), rtol=1e-9, atol=1e-12)
    assert np.allclose(floats(answers["f_values"]), np.array(values), rtol=1e-9, atol=1e-12)
    assert answers["final"] == answers["iterates"][-1]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(-3, 3), st.integers(1, 6), st.sampled_from(["1/50", "1/10", "1/4", "1"]))
def test_quadratic_L_is_the_largest_hessian_eigenvalue(a, b, c, lr):
    f = f"{a}*x**2 + {b}*x*y + {c}*y**2"
    step = next(s for s in api.solve(problem(f, {"x": 1, "y": 1}, lr, 2)).steps if s.macro == "quadratic")
    H = np.array([[2 * a, b], [b, 2 * c]], dtype=float)
    lam = np.linalg.eigvalsh(H)
    assert abs(float(step.data["L"]) - lam[-1]) < 1e-9
    gamma = float(sp.Rational(lr))
    if lam[0] > 0:
        expected = "diverges" if gamma > 2 / lam[-1] + 1e-12 else (
            "oscillates" if abs(gamma - 2 / lam[-1]) < 1e-12 else "converges")
    elif lam[0] < 0:
        expected = "saddle"
    else:
        expected = "flat" if gamma < 2 / lam[-1] else "diverges"
    assert step.data["regime"] == expected
    assert abs(float(step.data["factor"]) - max(abs(1 - gamma * lam))) < 1e-9


def behaviour(f, start, lr, steps):
    solution = api.solve(problem(f, start, lr, steps))
    return next(s for s in solution.steps if s.macro == "behaviour").data["b"].status, solution


def test_behaviour_is_judged():
    assert behaviour("x**2", {"x": 1}, "1.1", 10)[0] == "diverged"
    assert behaviour("x**2/2 + 10*y**2", {"x": -8, "y": 1}, "0.105", 12)[0] == "diverged"
    status, solution = behaviour("x**2", {"x": 3}, "0.5", 3)
    assert status == "converged" and solution.answers["final"] == [0]
    assert behaviour("x**2", {"x": 1}, "1e-9", 5)[0] == "stalled"
    assert behaviour("x**2 + y**2", {"x": 0, "y": 0}, "0.1", 3)[0] == "stationary_start"
    assert behaviour("(w - 3)**2", {"w": 0}, "0.1", 8)[0] == "progressing"
    # γ = 2/L exactly: the quadratic step says it oscillates
    step = next(s for s in api.solve(problem("x**2", {"x": 1}, "1", 4)).steps if s.macro == "quadratic")
    assert step.data["regime"] == "oscillates" and step.data["threshold"] == 1


def test_exact_rationals_and_text():
    p = problem("(w - 3)**2", {"w": 0}, "0.1", 3)
    answers = api.solve(p).answers
    assert answers["iterates"] == [[0], [sp.Rational(3, 5)], [sp.Rational(27, 25)], [sp.Rational(183, 125)]]
    assert answers["f_values"][0] == 9
    md = api.render_solution(p)
    assert r"\dfrac{2}{L} = 1" in md and "Still descending" in md


def test_long_run_is_summarised_and_rounded_once():
    p = problem("x**4/4 - x", {"x": 2}, "0.01", 400)
    solution = api.solve(p)
    last = solution.answers["iterates"][-1][0]
    assert isinstance(last, sp.Float)
    x = 2.0
    for _ in range(400):
        x -= 0.01 * (x ** 3 - 1)
    assert abs(float(last) - x) < 1e-12
    md = api.render_solution(p, solution)
    assert "The steps in between apply the same rule" in md and md.count("**Step ") == 5


def test_gradient_ascent_misconception():
    p = problem("x**2", {"x": 1}, "0.25", 2)
    assert gd.MISCONCEPTIONS["gradient_ascent"](p.given)["iterates"] == [[1], [sp.Rational(3, 2)],
                                                                         [sp.Rational(9, 4)]]


@pytest.mark.parametrize("given_text,key", [
    ("f: 'x**2', start: {x: 1}, learning_rate: 0.1, steps: 0", "given.steps"),
    ("f: 'x**2', start: {x: 1}, learning_rate: 0.1, steps: 10001", "given.steps"),
    ("f: 'x**2 + y', start: {x: 1}, learning_rate: 0.1, steps: 2", "given.start"),
    ("f: 'grad(x)', start: {x: 1}, learning_rate: 0.1, steps: 2", "given.f"),
    ("f: 'x**2', start: {x: 1}, learning_rate: -0.1, steps: 2", "given.learning_rate"),
    ("f: 'x**2', start: {x: 1}, learning_rate: 0.1, steps: 2, compare: [{rate: 1}]", "given.compare[0].rate"),
])
def test_refusals(given_text, key):
    with pytest.raises(SpecError) as info:
        api.load_problem_text(f"kind: gradient_descent\ngiven: {{{given_text}}}")
    assert f"{key}:" in str(info.value) and "\n" not in str(info.value)


def test_undefined_gradient_on_the_path_is_one_clear_error():
    p = problem("log(x)", {"x": 1}, "2", 2)  # x1 = 1 − 2 = −1: log undefined there
    with pytest.raises(SpecError) as info:  # the solver's Invalid, with the file and key added
        api.solve(p)
    assert info.value.key == "given.start" and "undefined f at step 1, x = (-1)" in str(info.value)
    assert "\n" not in str(info.value)


# -- the worked text, read as a strict TA would (issue 8) -------------------------------

import re  # noqa: E402

from hwcheck import optim, render  # noqa: E402
from hwcheck.expr import parse_expr, symbol  # noqa: E402

from conftest import PROBLEMS  # noqa: E402

SHIPPED = sorted(PROBLEMS.glob("gd-*.yaml"))


def text_of(path_or_problem):
    p = api.load_problem(path_or_problem) if not hasattr(path_or_problem, "given") else path_or_problem
    return api.render_solution(p)


def section(md, title):
    """The text of one solution step (its ### heading to the next heading)."""
    m = re.search(r"### Step \d+\. " + re.escape(title) + r"\n(.*?)(?=\n##)", md, re.S)
    assert m, title
    return m.group(1)


def inline_math(md):
    md = re.sub(r"\$\$.+?\$\$", "", md, flags=re.S)
    return re.findall(r"\$([^$\n]+?)\$", md)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_no_template_leftovers_and_github_safe_math(path):
    md = text_of(path)
    assert "(s)" not in md and "first $0$" not in md and "first $1$ step" not in md
    for m in inline_math(md):
        assert "\\{" not in m and "\\}" not in m and "\\_" not in m, m
    assert not re.search(r"[1-9]\d{7,}", md.split("## Answers")[0]), "an unreadable exact form in the steps"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_iterate_is_printed_as_in_the_answers(path):
    """The steps show each point by the policy of its whole answer, so the digits agree."""
    p = api.load_problem(path)
    solution = api.solve(p)
    md = api.render_solution(p, solution)
    answers = md.split("## Answers")[1]
    final = solution.answers["iterates"][-1]
    exact = gd.shown_exact(solution.answers["iterates"])
    for v in final:
        shown = render.num(v) if exact else render.dec(v)
        assert shown in md.split("## Answers")[0] and shown in answers, shown


def test_bowl_verdict_is_per_coordinate_and_why_the_small_rate_converges():
    md = text_of(PROBLEMS / "gd-bowl-too-large.yaml")
    behaviour = section(md, "How the descent behaves")
    assert "overshoots the minimum by more than it gains" not in md
    x_line = next(line for line in behaviour.splitlines() if line.startswith("- $x$"))
    y_line = next(line for line in behaviour.splitlines() if line.startswith("- $y$"))
    assert "never overshooting" in x_line and r"\frac{179}{200}" in x_line and r"\lambda = 1" in x_line
    assert "overshoots at every step" in y_line and r"- \frac{11}{10}" in y_line and "diverges" in y_line
    quad = section(md, "What the learning rate does to this quadratic")
    assert r"\gamma = \frac{1}{20} < 2/L" in quad and "**converges**" in quad
    table = quad.split(r"\begin{array}")[1]
    assert r"\frac{19}{20} & 0" in table  # the factors 1 − γλ of γ = 0.05


def test_one_dimension_rates_verdicts_and_the_mirror_rate():
    md = text_of(PROBLEMS / "gd-1d-learning-rates.yaml")
    table = section(md, "Learning rates side by side")
    row = next(line for line in table.splitlines() if line.startswith(r"- $\gamma = \frac{9}{10}$"))
    assert "$w$ overshoots and changes side at every step" in row and "decreasing at every step" in row
    assert "the same point" in table and "an even number" in table
    assert r"\frac{4}{5}" in table and r"- \frac{4}{5}" in table
    # the statement's symbols: f(w), w_0, not x
    assert "w_{0}" in md and "x_0" not in md and "x_{0}" not in md


def test_quartic_run_reaches_a_local_minimum_and_says_where_the_global_one_is():
    md = text_of(PROBLEMS / "gd-quartic-local-minimum.yaml")
    text = section(md, "Where the descent ends: the stationary points")
    assert "-1.30084" in text and "0.169938" in text and "1.1309" in text
    assert "**not the global minimum**" in text and "a local maximum" in text
    cp = optim.critical_points(optim.Objective(parse_expr("x**4 - 3*x**2 + x"), ["x"]))
    roots = np.roots([4, 0, -6, 1]).real
    assert sorted(float(p["x"]) for p in cp["points"]) == pytest.approx(sorted(roots), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-9, 9), min_size=3, max_size=5), st.integers(1, 5), st.integers(1, 3))
def test_critical_points_have_the_digits_sympy_bisects_to(coeffs, lead, scale):
    """Each irrational critical point and its value, found by a bracketing method inside the root's
    isolating interval, have the 50 digits that SymPy's own exact bisection (``N``) gives."""
    x = symbol("x")
    degree = len(coeffs)
    f = lead * x**degree + sum(sp.Rational(c, scale) * x**k for k, c in enumerate(coeffs))
    cp = optim.critical_points(optim.Objective(f, ["x"]))
    assume(cp is not None)
    roots = sp.Poly(f, x).diff(x).real_roots()
    assert [p["exact"] for p in cp["points"]] == list(dict.fromkeys(roots))
    for p in cp["points"]:
        root = p["exact"]
        if root.is_Rational:
            continue
        assert p["x"] == sp.Float(sp.N(root, 55), 50)
        assert p["value"] == sp.Float(sp.N(f.subs(x, root), 55), 50)


def test_unbounded_polynomial_has_no_global_minimum():
    p = problem("x**3 - 3*x", {"x": 2}, "0.05", 80)
    text = section(text_of(p), "Where the descent ends: the stationary points")
    assert "no global minimum" in text and "unbounded below" in text and "a local minimum" in text


@pytest.mark.parametrize("f,start,kind", [
    ("cosh(x) + (y - 1)**2", {"x": 1, "y": 0}, "local minimum"),
    ("x**2 - y**2 + y**4", {"x": 1, "y": 0}, "saddle point"),  # y stays 0: the run slides into the saddle
])
def test_converged_point_is_classified_by_the_hessian(f, start, kind):
    md = text_of(problem(f, start, "0.25", 200))
    assert "**Converged.**" in md
    text = section(md, "Where the descent ends: the stationary points")
    assert kind in text


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 30), st.sampled_from(["1/20", "1/10", "3/10", "1/2"]),
       st.integers(-3, 3), st.integers(1, 3), st.integers(3, 9))
def test_per_coordinate_factor_is_one_minus_gamma_lambda(a, c, lr, x0, y0, steps):
    """On a diagonal quadratic each coordinate's step is exactly (1 − γλ) times the one before,
    and the verdict words follow the sign and size of that factor."""
    p = problem(f"{a}*x**2/2 + {c}*y**2/2", {"x": x0, "y": y0}, lr, steps)
    solution = api.solve(p)
    b = next(s for s in solution.steps if s.macro == "behaviour").data["b"]
    gamma = sp.Rational(lr)
    for coord, lam in zip(b.coordinates, (a, c)):
        q = 1 - gamma * lam
        if coord.trend in ("still", "settles"):
            continue
        assert coord.factor == q
        assert coord.alternating == (q < 0)
        assert coord.trend == ("shrinks" if abs(q) < 1 else "grows" if abs(q) > 1 else "steady")
    md = api.render_solution(p, solution)
    if any(c.alternating and c.trend == "grows" for c in b.coordinates):
        assert "**diverges**" in md


def test_verdict_functions():
    assert optim.monotone_decrease([3, 2, 2, 1]) and not optim.monotone_decrease([3, 2, 2.5])
    assert optim.oscillates([5, 3, 4, 2, 3]) and not optim.oscillates([5, 4, 3])
    assert optim.diverges([1, 3, 9]) and not optim.diverges([9, 3, 4, 1])
    assert optim.sign_changes([1, -1, 1, -1]) == 3 and optim.rises([1, 2, 1, 2]) == 2
    c = optim.coordinate("y", [1, -2, 4, -8])
    assert (c.factor, c.alternating, c.trend, c.overshoots) == (-2, True, "grows", True)
    c = optim.coordinate("x", [8, 4, 2, 1])
    assert (c.factor, c.alternating, c.trend, c.overshoots) == (sp.Rational(1, 2), False, "shrinks", False)


def test_notation_roles_are_used():
    p = api.load_problem_text("kind: gradient_descent\nnotation: {loss: E, point: \\theta, learning_rate: \\eta}\n"
                              "given: {f: 'x**2 + y**2', start: {x: 1, y: 1}, learning_rate: 0.25, steps: 2}")
    md = api.render_solution(p)
    assert r"\theta_{1}" in md and r"\nabla E" in md and r"\eta = \frac{1}{4}" in md
    assert r"\mathbf{x}" not in md


@pytest.mark.parametrize("lang, says, not_said", [
    ("en", "- $y$ **overshoots at every step** until step $3$", "$y$ reaches its final value"),
    ("fa", "تا گام $3$ در هر گام از کمینه رد می‌شود", "$y$ در گام $3$ به مقدار نهایی‌اش می‌رسد"),
])
def test_a_coordinate_that_overshot_then_stopped_is_said_to_overshoot(lang, says, not_said):
    """y: 2, −0.2, 0.24, 0.064, 0.064 — three steps across the minimum, then a zero partial derivative
    (found by the random-runs test: the text said only that y 'reaches its final value')."""
    p = problem("x**2 + x*y + 3*y**2", {"x": -1, "y": 2}, "0.2", 4)
    md = api.render_solution(p, api.solve(p), lang=lang)
    assert says in md and not_said not in md


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(sorted(FAMILIES)), st.integers(1, 3), st.integers(-1, 1), st.integers(1, 3),
       st.integers(-2, 2), st.tuples(st.integers(-2, 2), st.integers(-2, 2)),
       st.sampled_from(["0.01", "0.1", "0.2", "0.6"]), st.integers(1, 12))
def test_random_runs_render_clean_text(family, a, b, c, d, start, lr, steps):
    text, _ = FAMILIES[family]
    p = problem(text.format(a=a, b=b, c=c, d=d), {"x": start[0], "y": start[1]}, lr, steps)
    solution = api.solve(p)
    md = api.render_solution(p, solution)
    steps_text = md.split("## Answers")[0]
    assert "(s)" not in md and not re.search(r"[1-9]\d{7,}", steps_text)
    exact = gd.shown_exact(solution.answers["iterates"])
    for v in solution.answers["iterates"][-1]:
        assert (render.num(v) if exact else render.dec(v)) in steps_text
    b_ = next(s for s in solution.steps if s.macro == "behaviour").data["b"]
    if not optim.monotone_decrease(solution.answers["f_values"]):
        assert "decreases at every step" not in md
    for coord in b_.coordinates:
        if coord.alternating:
            assert f"- ${coord.name}$ **overshoots at every step**" in md


def test_a_run_that_only_bounces_is_not_called_descending():
    """γ = 2/L on x²: x flips between 1 and −1, f stays at 1."""
    md = text_of(problem("x**2", {"x": 1}, "1", 4))
    text = section(md, "How the descent behaves")
    assert "**No progress.**" in text and "Still descending" not in text
    assert "never changes" in text and "bounces between two values" in text
    assert "decreases at every step" not in text


def test_a_saddle_quadratic_is_not_promised_convergence():
    md = text_of(problem("x**2 - y**2", {"x": 1, "y": 1}, "0.1", 5))
    text = section(md, "How the descent behaves")
    assert "more steps are needed to converge" not in text and "no minimum" in text
