"""chain_rule against SymPy's own diff of the composed function, and torch autograd for values."""

import math

import pytest
import sympy as sp
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.expr import parse_expr, symbol
from hwcheck.kinds import chain_rule

X, Y = symbol("x"), symbol("y")

# outer functions: (text with a hole, the same function in torch)
POOL = [
    ("sin({})", torch.sin), ("exp({})", torch.exp), ("({})**3", lambda t: t ** 3),
    ("log(({})**2 + 1)", lambda t: torch.log(t ** 2 + 1)), ("tanh({})", torch.tanh),
    ("sqrt(({})**2 + 1)", lambda t: torch.sqrt(t ** 2 + 1)), ("sigmoid({})", torch.sigmoid),
    ("(3*({}) - 1)", lambda t: 3 * t - 1), ("cos({})", torch.cos),
]
INNER = [("x", lambda x, y: x), ("(2*x + y)", lambda x, y: 2 * x + y), ("(x*y)", lambda x, y: x * y)]

from conftest import grade_one


def _problem(text):
    return api.load_problem_text(text)


def _solve(f, at=None):
    parts = "[derivative]" if at is None else "[derivative, value]"
    at_text = "" if at is None else ", at: {%s}" % ", ".join(f"{k}: '{v}'" for k, v in at.items())
    p = _problem("kind: chain_rule\ngiven: {f: '%s', wrt: x%s}\nparts: %s" % (f, at_text, parts))
    return p, api.solve(p)


def equivalent(a, b) -> bool:
    return sp.simplify(a - b) == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(INNER), st.lists(st.sampled_from(POOL), min_size=1, max_size=3),
       st.integers(-12, 12), st.integers(-12, 12))
def test_random_compositions_match_sympy_and_torch(inner, outers, kx, ky):
    text, fn = inner
    for hole, op in outers:
        text, fn = hole.format(text), (lambda f, op=op: lambda x, y: op(f(x, y)))(fn)
    at = {"x": sp.Rational(kx, 8), "y": sp.Rational(ky, 8)} if "y" in text else {"x": sp.Rational(kx, 8)}
    x = torch.tensor(float(at["x"]), dtype=torch.float64, requires_grad=True)
    y = torch.tensor(float(at.get("y", 0)), dtype=torch.float64)
    out = fn(x, y)
    assume(out.requires_grad and math.isfinite(float(out.detach())))
    (slope,) = torch.autograd.grad(out, x)
    assume(math.isfinite(float(slope)) and abs(float(slope)) < 1e8)

    _, solution = _solve(text, at)
    assert equivalent(solution.answers["derivative"], sp.diff(parse_expr(text), X)), text
    assert math.isclose(float(solution.answers["value"]), float(slope), rel_tol=1e-9, abs_tol=1e-9), text


def test_sin_of_square_splits_into_two_links():
    p, s = _solve("sin(x**2)", {"x": 1})
    assert chain_rule.links(p.given) == [("u", X ** 2), ("f", sp.sin(symbol("u")))]
    assert equivalent(s.answers["derivative"], 2 * X * sp.cos(X ** 2))
    assert s.answers["value"] == 2 * sp.cos(1)


def test_deep_split_and_constant_factor_stays_outside():
    p, s = _solve("3*sin(exp(x))**2")
    assert [n for n, _ in chain_rule.links(p.given)] == ["u", "v", "f"]
    assert equivalent(s.answers["derivative"], sp.diff(3 * sp.sin(sp.exp(X)) ** 2, X))


def test_polynomial_is_one_link_with_the_slopes_of_x_cubed():
    # seed 002: the slope of x^3 is 3 at x = 1 and 48 at x = 4
    for point, slope in ((1, 3), (4, 48)):
        p, s = _solve("x**3", {"x": point})
        assert len(chain_rule.links(p.given)) == 1
        assert s.answers["value"] == slope
        assert s.answers["value"] == sp.diff(X ** 3, X).subs(X, point)


def test_chain_given_as_links():
    p = _problem("kind: chain_rule\ngiven: {chain: [{u: 'x**2'}, {f: 'sin(u)'}], wrt: x, at: {x: 2}}\n"
                 "parts: [derivative, value]")
    s = api.solve(p)
    assert equivalent(s.answers["derivative"], 2 * X * sp.cos(X ** 2))
    assert s.answers["value"] == 4 * sp.cos(4)


def test_other_variables_are_constants():
    p, s = _solve("exp(x*y)", {"x": 0, "y": 3})
    assert equivalent(s.answers["derivative"], Y * sp.exp(X * Y))
    assert s.answers["value"] == 3


def test_missing_inner_derivative():
    p, s = _solve("sin(x**2)", {"x": 1})
    wrong = chain_rule.MISCONCEPTIONS["missing_inner_derivative"](p.given)
    assert equivalent(wrong["derivative"], sp.cos(X ** 2)) and wrong["value"] == sp.cos(1)
    assert not equivalent(wrong["derivative"], s.answers["derivative"])
    p1, _ = _solve("x**3")
    assert chain_rule.MISCONCEPTIONS["missing_inner_derivative"](p1.given) == {}


@pytest.mark.parametrize("given_text, parts, key, fragment", [
    ("{f: 'sin(x)', chain: [{f: 'sin(x)'}], wrt: x}", None, "given.f", "both"),
    ("{wrt: x}", None, "given.f", "neither"),
    ("{f: 'sin(x)', wrt: x}", "[value]", "given.at", "at"),
    ("{f: 'sin(y)', wrt: x}", None, "given.wrt", "does not depend"),
    ("{f: 'sin(x*y)', wrt: x, at: {x: 1}}", None, "given.at", "no value for y"),
    ("{f: 'sin(x)', wrt: x, at: {x: 1, t: 2}}", None, "given.at", "unknown t"),
    ("{f: 'sqrt(x)', wrt: x, at: {x: 0}}", None, "given.at", "derivative exists"),
    ("{chain: [{u: 'x**2'}, {f: 'sin(x)'}], wrt: x}", None, "given.chain[1]", "function of u"),
    ("{chain: [{u: 'x**2'}, {f: 'sin(u) + x'}], wrt: x}", None, "given.chain[1]", "uses x"),
    ("{chain: [{u: 'x**2', v: 'u'}], wrt: x}", None, "given.chain[0]", "one-key map"),
    ("{f: 'sin(x)', wrt: '2x'}", None, "given.wrt", "variable name"),
])
def test_refusals(given_text, parts, key, fragment):
    text = f"kind: chain_rule\ngiven: {given_text}\n" + (f"parts: {parts}\n" if parts else "")
    with pytest.raises(SpecError) as err:
        _problem(text)
    assert err.value.key == key and fragment in str(err.value), str(err.value)




def test_grader_names_the_missing_inner_derivative(tmp_path):
    parts = grade_one(tmp_path, "chain-sin-square.yaml", {"derivative": "2x cos(x^2)", "value": "sqrt(2 pi)/2"})
    assert parts["derivative"]["verdict"] == parts["value"]["verdict"] == "correct"
    wrong = grade_one(tmp_path / "a", "chain-sin-square.yaml", {"derivative": "cos(x^2)", "value": "sqrt(2)/2"})
    assert wrong["derivative"]["diagnosis"] == wrong["value"]["diagnosis"] == "missing_inner_derivative"


# -- the idioms of the notes and the text of the solution (issue 8) --------------------------

from hwcheck import idioms  # noqa: E402


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(INNER), st.lists(st.sampled_from(POOL), min_size=1, max_size=3),
       st.integers(-12, 12), st.integers(-12, 12))
def test_every_shown_derivative_is_the_derivative(inner, outers, kx, ky):
    """What a solution prints (σ kept as σ, σ′ as σ(1 − σ)) is the same function as SymPy's
    derivative: checked at a point against torch autograd, independently of ``idioms.same``."""
    text, fn = inner
    for hole, op in outers:
        text, fn = hole.format(text), (lambda f, op=op: lambda x, y: op(f(x, y)))(fn)
    p, solution = _solve(text)
    shown = next(s.data["shown"] for s in solution.steps if s.macro == "product")
    x = torch.tensor(kx / 8, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(ky / 8, dtype=torch.float64)
    out = fn(x, y)
    assume(out.requires_grad and math.isfinite(float(out.detach())))
    (slope,) = torch.autograd.grad(out, x)
    assume(math.isfinite(float(slope)) and abs(float(slope)) < 1e8)
    value = sp.N(idioms.from_idiom(shown).xreplace({X: sp.Rational(kx, 8), Y: sp.Rational(ky, 8)}), 30)
    assert math.isclose(float(value), float(slope), rel_tol=1e-9, abs_tol=1e-9), text
    if "sigmoid" in text:
        assert idioms.has_idiom(shown) and r"\sigma" in sp.latex(shown) and "1 + e^{-" not in sp.latex(shown), text


def test_the_idiom_check_can_fail():
    z = symbol("z")
    s = idioms.to_idiom(parse_expr("sigmoid(z)"))
    assert idioms.same(sp.diff(s, z), sp.diff(parse_expr("sigmoid(z)"), z))
    assert not idioms.same(idioms.Sigmoid(z) ** 2, sp.diff(parse_expr("sigmoid(z)"), z))
    assert idioms.idiomatic(parse_expr("exp(z)"), idioms.Sigmoid(z)) == parse_expr("exp(z)")


def test_the_sigmoid_link_reads_s_times_one_minus_s(problems_dir):
    md = api.render_solution(api.load_problem(problems_dir / "chain-links-sigmoid.yaml"))
    steps = md.split("## Answers")[0]
    assert r"s = \sigma\left(z\right)" in steps
    assert r"\frac{d s}{d z} = \sigma\left(z\right)\left(1 - \sigma\left(z\right)\right) = s\left(1 - s\right)" in steps
    assert r"2 \sigma\left(2 x - 1\right)\left(1 - \sigma\left(2 x - 1\right)\right)" in steps
    assert r"\text{at}" not in md and r"\Big|_{x = \frac{1}{2}}" in md


def test_tanh_link_reads_one_minus_the_square():
    p = _problem("kind: chain_rule\ngiven: {chain: [{z: '3*x'}, {h: 'tanh(z)'}], wrt: x}")
    md = api.render_solution(p)
    assert r"\frac{d h}{d z} = 1 - \tanh^{2}{\left(z \right)} = 1 - h^{2}" in md


def test_a_rounded_value_is_never_claimed_equal(problems_dir):
    md = api.render_solution(api.load_problem(problems_dir / "chain-sin-square.yaml"))
    assert r"\left(\sqrt{\pi}\right) \approx 1.25331" in md
    assert "= 1.25331" not in md.split("## Answers")[0]
