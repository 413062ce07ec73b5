"""init_bounds against torch.nn.init: its fan computation, its gains, and samples it draws."""

import math

import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from hwcheck import api
from hwcheck.kinds import init_bounds
from hwcheck.schema import convert_fields

TORCH = {
    "xavier_uniform": torch.nn.init.xavier_uniform_,
    "xavier_normal": torch.nn.init.xavier_normal_,
    "he_uniform": lambda t, mode: torch.nn.init.kaiming_uniform_(t, mode=mode, nonlinearity="relu"),
    "he_normal": lambda t, mode: torch.nn.init.kaiming_normal_(t, mode=mode, nonlinearity="relu"),
}


def torch_expected(scheme, tensor, mode="fan_in", gain=1.0):
    """std and bound as torch.nn.init computes them (its own fan and gain helpers)."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(tensor)
    if scheme.startswith("xavier"):
        std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    elif scheme.startswith("he"):
        fan = torch.nn.init._calculate_correct_fan(tensor, mode)
        std = gain * torch.nn.init.calculate_gain("relu") / math.sqrt(fan)
    else:  # LeCun: torch has no helper; kaiming with the linear gain is the same rule
        std = gain * torch.nn.init.calculate_gain("linear") / math.sqrt(fan_in)
    return fan_in, fan_out, std, math.sqrt(3.0) * std


layer = st.one_of(
    st.tuples(st.integers(1, 600), st.integers(1, 600)).map(lambda t: {"n_in": t[0], "n_out": t[1]}),
    st.tuples(st.integers(1, 64), st.integers(1, 64), st.integers(1, 7), st.integers(1, 7)).map(
        lambda t: {"conv": {"in_channels": t[0], "out_channels": t[1], "kernel_size": [t[2], t[3]]}}),
)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(init_bounds.SCHEMES), layer, st.sampled_from(["fan_in", "fan_out"]),
       st.sampled_from([1, "5/3", "sqrt(2)"]))
def test_matches_torch_formulas(scheme, shape, mode, gain):
    if not scheme.startswith("he"):
        mode = "fan_in"
    g = convert_fields(init_bounds.GIVEN, {"scheme": scheme, "mode": mode, "gain": gain, **shape})
    init_bounds.check(g, ())
    a = init_bounds.solve(g).answers
    if "conv" in shape:
        c = shape["conv"]
        tensor = torch.empty(c["out_channels"], c["in_channels"], *c["kernel_size"])
    else:
        tensor = torch.empty(shape["n_out"], shape["n_in"])  # torch weights are out x in
    fan_in, fan_out, std, bound = torch_expected(scheme, tensor, mode, float(sp.sympify(gain)))
    assert (int(a["fan_in"]), int(a["fan_out"])) == (fan_in, fan_out)
    assert float(a["std"]) == pytest.approx(std, rel=1e-12)
    assert float(a["variance"]) == pytest.approx(std**2, rel=1e-12)
    if scheme.endswith("uniform"):
        assert float(a["bound"]) == pytest.approx(bound, rel=1e-12)
    # answers are exact: squares of the std are rational (times the gain squared)
    assert sp.simplify(a["std"] ** 2 - a["variance"]) == 0


@pytest.mark.parametrize("scheme", ["xavier_uniform", "he_uniform", "xavier_normal", "he_normal"])
def test_torch_samples_fit_the_answers(scheme):
    torch.manual_seed(0)
    g = convert_fields(init_bounds.GIVEN, {"scheme": scheme, "n_in": 400, "n_out": 300})
    a = init_bounds.solve(g).answers
    w = torch.empty(300, 400, dtype=torch.float64)
    fn = TORCH[scheme]
    fn(w) if scheme.startswith("xavier") else fn(w, "fan_in")
    assert w.std().item() == pytest.approx(float(a["std"]), rel=0.02)
    if scheme.endswith("uniform"):
        assert w.abs().max().item() <= float(a["bound"])
        assert w.abs().max().item() == pytest.approx(float(a["bound"]), rel=0.01)


def test_exact_forms(problems_dir):
    p = api.load_problem(problems_dir / "init-xavier-tanh-dense.yaml")
    a = api.solve(p).answers
    assert a["bound"] == sp.sqrt(6) / sp.sqrt(256 + 128) == sp.Rational(1, 8)
    assert a["variance"] == sp.Rational(1, 192)
    conv = api.load_problem_text("{kind: init_bounds, given: {scheme: he_normal, "
                                 "conv: {in_channels: 3, out_channels: 16, kernel_size: 3}}}")
    assert api.solve(conv).answers["std"] == sp.sqrt(sp.Rational(2, 27)) == sp.sqrt(6) / 9


@pytest.mark.parametrize("text, key", [
    ("{scheme: he_uniform}", "given.n_in"),
    ("{scheme: he_uniform, n_in: 3}", "given.n_out"),
    ("{scheme: he_uniform, n_in: 3, n_out: 2, conv: {in_channels: 1, out_channels: 1, kernel_size: 3}}",
     "given.conv"),
    ("{scheme: xavier_uniform, n_in: 3, n_out: 2, mode: fan_out}", "given.mode"),
    ("{scheme: kaiming_uniform, n_in: 3, n_out: 2}", "given.scheme"),
    ("{scheme: he_uniform, n_in: 0, n_out: 2}", "given.n_in"),
])
def test_bad_given_is_refused(text, key):
    with pytest.raises(Exception) as info:
        api.load_problem_text(f"{{kind: init_bounds, given: {text}}}")
    assert f": {key}: expected" in str(info.value)


def test_bound_is_only_for_uniform_schemes():
    with pytest.raises(Exception, match="'bound' with he_normal"):
        api.load_problem_text("{kind: init_bounds, given: {scheme: he_normal, n_in: 3, n_out: 2}, parts: [bound]}")
    p = api.load_problem_text("{kind: init_bounds, given: {scheme: he_normal, n_in: 8, n_out: 2}}")
    assert p.part_names == ("std",)


# -- the text of the solution (issue 8) ------------------------------------------------------

def _md(given):
    return api.render_solution(api.load_problem_text(f"{{kind: init_bounds, given: {given}}}"), format="md")


def test_a_fraction_gain_is_squared_in_parentheses_and_explained():
    md = _md("{scheme: xavier_normal, n_in: 300, n_out: 100, gain: 5/3, activation: tanh}")
    assert r"\frac{5}{3}^" not in md
    assert r"\left(\frac{5}{3}\right)^{2}" in md
    assert 'calculate_gain("tanh")' in md and "squashes" in md  # where 5/3 comes from
    body = md.split("## Conventions", 1)[1]
    assert "He" not in body and "ReLU" not in body  # only what applies to Xavier with tanh
    assert "The gain" in md and "multiplies the standard deviation" in md


@pytest.mark.parametrize("given", [
    "{scheme: lecun_normal, n_in: 512, n_out: 256}",
    "{scheme: xavier_uniform, n_in: 256, n_out: 128}",
    "{scheme: he_normal, n_in: 64, n_out: 10, mode: fan_out}",
    "{scheme: lecun_uniform, conv: {in_channels: 3, out_channels: 8, kernel_size: 1}, gain: 2}",
])
def test_no_link_of_a_chain_is_repeated(given):
    import re

    md = _md(given)
    for display in re.findall(r"\$\$(.+?)\$\$", md, re.S):
        links = [link.strip() for link in display.split(" = ")]
        assert all(a != b for a, b in zip(links, links[1:])), display


def test_he_gain_is_mentioned_only_for_he():
    assert "ReLU gain" in _md("{scheme: he_uniform, n_in: 5, n_out: 3}")
    for scheme in ("xavier_uniform", "lecun_normal"):
        assert "ReLU" not in _md(f"{{scheme: {scheme}, n_in: 5, n_out: 3}}").split("## Conventions", 1)[1]


def test_he_with_another_activation_is_refused():
    with pytest.raises(Exception, match="given.activation: expected activation relu"):
        api.load_problem_text("{kind: init_bounds, given: {scheme: he_normal, n_in: 3, n_out: 2, activation: tanh}}")
