"""comp_graph against torch autograd (float64) on random expression trees, plus the notes' example."""

import math

import pytest
import sympy as sp
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hwcheck import api, graph
from hwcheck.errors import SpecError
from hwcheck.kinds import comp_graph

VARS = ("x", "y", "z")

# Each tree is (text for hwcheck, function of a dict of torch tensors), generated together,
# so the oracle never sees hwcheck's parser or its backward pass.
_leaf = st.sampled_from(VARS).map(lambda v: (v, lambda t, v=v: t[v])) | st.integers(1, 3).map(
    lambda c: (str(c), lambda t, c=c: torch.tensor(float(c), dtype=torch.float64)))

_UNARY = {
    "exp": torch.exp, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "-": torch.neg,
}

from conftest import grade_one


def _unary(child):
    def make(name, c):
        text, fn = c
        if name == "-":
            return f"(-{text})", lambda t: -fn(t)
        if name == "log":  # keep the argument positive
            return f"log({text}*{text} + 1)", lambda t: torch.log(fn(t) * fn(t) + 1)
        return f"{name}({text})", lambda t, op=_UNARY[name]: op(fn(t))

    return st.builds(make, st.sampled_from([*_UNARY, "log"]), child)


def _binary(child):
    def make(op, a, b):
        (ta, fa), (tb, fb) = a, b
        if op == "+":
            return f"({ta} + {tb})", lambda t: fa(t) + fb(t)
        if op == "-":
            return f"({ta} - {tb})", lambda t: fa(t) - fb(t)
        if op == "*":
            return f"({ta} * {tb})", lambda t: fa(t) * fb(t)
        if op == "/":  # a denominator that cannot vanish
            return f"({ta} / ({tb}*{tb} + 1))", lambda t: fa(t) / (fb(t) * fb(t) + 1)
        if op == "**2":
            return f"({ta})**2", lambda t: fa(t) ** 2
        if op == "max":
            return f"max({ta}, {tb})", lambda t: torch.maximum(fa(t), fb(t))
        return f"min({ta}, {tb})", lambda t: torch.minimum(fa(t), fb(t))

    return st.builds(make, st.sampled_from(["+", "-", "*", "/", "**2", "max", "min"]), child, child)


trees = st.recursive(_leaf, lambda child: _unary(child) | _binary(child), max_leaves=6)
points = st.fixed_dictionaries({v: st.integers(-16, 16).map(lambda k: sp.Rational(k, 8)) for v in VARS})


def _solve(f, at):
    p = api.load_problem_text("kind: comp_graph\ngiven: {f: '%s', at: {%s}}" % (
        f, ", ".join(f"{k}: '{v}'" for k, v in at.items())))
    return api.solve(p).answers


def _torch(fn, at):
    t = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in at.items()}
    out = fn(t)
    if out.requires_grad:  # a constant tree has no graph
        out.backward()
    return float(out.detach()), {k: 0.0 if t[k].grad is None else float(t[k].grad) for k in at}


def _kinks(f, at) -> bool:
    """True where a max/min (near-)ties or a relu sits (near) 0: float rounding may pick another branch
    there. Ties are tested on their own below."""
    g = graph.build(f, at)
    for node in g.nodes:
        vals = [g.nodes[i].value for i in node.inputs]
        if node.op in ("max", "min") and abs(sp.N(vals[0] - vals[1], 30)) < 1e-9:
            return True
        if node.op == "relu" and abs(sp.N(vals[0], 30)) < 1e-9:
            return True
    return False


def close(a, b):
    return math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(trees, points)
def test_random_trees_match_torch(tree, at):
    text, fn = tree
    value, grad = _torch(fn, at)
    assume(math.isfinite(value) and abs(value) < 1e6 and all(math.isfinite(g) for g in grad.values()))
    assume(not _kinks(text, at))
    answers = _solve(text, at)
    assert close(answers["value"], value), (text, at)
    for k in VARS:
        assert close(answers["gradient"][k], grad[k]), (text, at, k)


def test_notes_example_value_6_gradient_2_5_0():
    answers = _solve("(x + y) * max(y, z)", {"x": 1, "y": 2, "z": 0})
    assert answers["value"] == 6 and answers["gradient"] == {"x": 2, "y": 5, "z": 0}
    value, grad = _torch(lambda t: (t["x"] + t["y"]) * torch.maximum(t["y"], t["z"]), {"x": 1, "y": 2, "z": 0})
    assert value == 6 and grad == {"x": 2.0, "y": 5.0, "z": 0.0}


@pytest.mark.parametrize("f, fn", [("max(x, y)", torch.maximum), ("min(x, y)", torch.minimum)])
def test_ties_split_like_torch(f, fn):
    at = {"x": 1, "y": 1}
    _, grad = _torch(lambda t: fn(t["x"], t["y"]), at)
    assert _solve(f, at)["gradient"] == {"x": sp.Rational(1, 2), "y": sp.Rational(1, 2)}
    assert grad == {"x": 0.5, "y": 0.5}


def test_relu_at_zero_like_torch():
    _, grad = _torch(lambda t: torch.relu(t["x"]), {"x": 0})
    assert _solve("relu(x)", {"x": 0})["gradient"]["x"] == 0 and grad["x"] == 0.0


def test_three_way_max_routes_to_the_largest():
    assert _solve("max(x, y, z)", {"x": 1, "y": 3, "z": 2})["gradient"] == {"x": 0, "y": 1, "z": 0}


def test_fanout_sums_paths_and_misconceptions_differ():
    problem = api.load_problem_text("{kind: comp_graph, given: {f: '(x + y) * max(y, z)', at: {x: 1, y: 2, z: 0}}}")
    right = api.solve(problem).answers["gradient"]
    fan = comp_graph.MISCONCEPTIONS["fanout_not_summed"](problem.given)["gradient"]
    assert fan["y"] != right["y"] and fan["y"] in (2, 3)  # one path only
    split = comp_graph.MISCONCEPTIONS["max_gradient_split"](problem.given)["gradient"]
    assert split["z"] == sp.Rational(3, 2) and split["y"] == 2 + sp.Rational(3, 2)
    # no max: the split misconception gives nothing to recognise
    p2 = api.load_problem_text("{kind: comp_graph, given: {f: 'x*x + x', at: {x: 3}}}")
    assert api.solve(p2).answers["gradient"] == {"x": 7}
    assert comp_graph.MISCONCEPTIONS["max_gradient_split"](p2.given) == {}
    assert comp_graph.MISCONCEPTIONS["fanout_not_summed"](p2.given)["gradient"]["x"] != 7


def test_rationals_stay_exact():
    answers = _solve("x / y + x * y - y**-2", {"x": "1/3", "y": 2})
    assert answers["value"] == sp.Rational(1, 6) + sp.Rational(2, 3) - sp.Rational(1, 4)
    assert answers["gradient"] == {"x": sp.Rational(1, 2) + 2, "y": -sp.Rational(1, 12) + sp.Rational(1, 3) + sp.Rational(1, 4)}
    assert all(v.is_Rational for v in answers["gradient"].values())


def test_solution_names_the_patterns():
    from conftest import PROBLEMS

    p = api.load_problem(PROBLEMS / "graph-max-fanout.yaml")
    md = api.render_solution(p, format="md")
    for phrase in ("Add distributes", "Mul swaps", "Max routes", "fan-out", "torch.maximum"):
        assert phrase in md
    assert "\\begin{array}" in md


@pytest.mark.parametrize("f, at, key, fragment", [
    ("sin(x)", "{x: 1}", "given.f", "sin(x)"),
    ("x + w", "{x: 1}", "given.f", "'w'"),
    ("log(x)", "{x: 0}", "given.f", "log"),
    ("1 / (x - 1)", "{x: 1}", "given.f", "divides by 0"),
    ("x +", "{x: 1}", "given.f", "expression"),
    ("x ** y", "{x: -1, y: 2}", "given.f", "positive base"),
    ("x ** 0.5", "{x: 0}", "given.f", "derivative"),
    ("max(x)", "{x: 1}", "given.f", "two or more"),
    ("f * 2", "{f: 1}", "given.at", "f"),
    ("e * x", "{e: 1, x: 2}", "given.at", "'e'"),
])
def test_refusals(f, at, key, fragment):
    with pytest.raises(SpecError) as err:
        api.load_problem_text(f"{{kind: comp_graph, given: {{f: '{f}', at: {at}}}}}")
    assert err.value.key == key and fragment in str(err.value)




def test_grader_names_the_graph_mistakes(tmp_path):
    parts = grade_one(tmp_path, "graph-max-fanout.yaml", {"value": 6, "gradient": {"x": 2, "y": 5, "z": 0}})
    assert parts["value"]["verdict"] == parts["gradient"]["verdict"] == "correct"
    split = grade_one(tmp_path / "a", "graph-max-fanout.yaml", {"value": 6, "gradient": {"x": 2, "y": 3.5, "z": 1.5}})
    assert split["gradient"]["diagnosis"] == "max_gradient_split"
    fan = grade_one(tmp_path / "b", "graph-max-fanout.yaml", {"value": 6, "gradient": {"x": 2, "y": 2, "z": 0}})
    assert fan["gradient"]["diagnosis"] == "fanout_not_summed"


# -- the text of the solution (issue 8) ------------------------------------------------------

def _md(f, at, fmt="md", notation=""):
    p = api.load_problem_text(f"{{kind: comp_graph, given: {{f: '{f}', at: {at}}}{notation}}}")
    return api.render_solution(p, format=fmt)


def test_the_graph_is_drawn_as_a_mermaid_flowchart_with_values_and_gradients():
    import re

    md = _md("(x + y) * max(y, z)", "{x: 1, y: 2, z: 0}")
    block = re.search(r"```mermaid\nflowchart LR\n(.*?)\n```", md, re.S)
    assert block, "no Mermaid flowchart in the Markdown"
    lines = block.group(1).splitlines()
    nodes = [line for line in lines if "[" in line]
    edges = [line for line in lines if "-->" in line]
    assert len(nodes) == 6 and len(edges) == 6  # x, y, z, a, b, f; y fans out to a and b
    assert any("f = a · b<br/>= 6<br/>∂f/∂f = 1" in n for n in nodes)
    assert any("y = 2<br/>∂f/∂y = 5" in n for n in nodes)
    assert not any('"' in n.split('["', 1)[1][:-2] for n in nodes)  # no quote inside a label


def test_the_graph_is_drawn_in_latex_and_the_mermaid_block_left_out():
    tex = _md("(x + y) * max(y, z)", "{x: 1, y: 2, z: 0}", "tex")
    assert r"\begin{picture}" in tex and tex.count(r"\framebox") == 6 and tex.count(r"\vector") == 6
    assert "mermaid" not in tex and "<!--" not in tex and "-->" not in tex
    md = _md("(x + y) * max(y, z)", "{x: 1, y: 2, z: 0}")
    assert "<!-- latex" in md  # hidden from Markdown readers, kept for md2tex


def test_a_constant_or_an_input_alone_has_no_drawing():
    assert "mermaid" not in _md("2 * 3", "{x: 1}") and "mermaid" not in _md("x", "{x: 1}")


def test_the_backward_pass_is_never_a_tautology():
    """∂f/∂b = ∂f/∂f · ∂f/∂b says nothing: from the output the local gradient is written as the
    derivative of the output's own formula."""
    md = _md("(x + y) * max(y, z)", "{x: 1, y: 2, z: 0}")
    assert r"\frac{\partial f}{\partial f} \cdot" not in md
    assert r"\frac{\partial f}{\partial b} = \frac{\partial}{\partial b}\left(a \cdot b\right) = 3" in md


def test_the_output_keeps_the_statement_s_name_and_powers_of_fractions_get_parentheses():
    md = _md("(x / 2) ** 2 + x", "{x: 3}", notation=", notation: {output: q}")
    assert r"\frac{\partial q}{\partial q} = 1" in md and r"\nabla q" in md and r"\frac{\partial f}" not in md
    assert r"\left(\frac{3}{2}\right)^{2}" in md and r"\frac{3}{2}^{2}" not in md


def test_non_rational_values_follow_the_number_policy():
    md = _md("tanh(x) * x", "{x: 1}")
    # tanh(1) = 0.761594155955765..., shown to 6 significant digits with "≈", never with "="
    assert "0.761594" in md and "= 0.761594" not in md.replace(r"\approx 0.761594", "")
