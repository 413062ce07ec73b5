"""gradient_descent against torch (SGD and autograd in float64), NumPy eigenvalues, and its refusals."""

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

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
