"""comp_graph: forward and backward pass through the computational graph of an expression.

The expression is split into nodes (``hwcheck.graph``): each node computes its
value and its local gradients; the backward pass starts from ∂f/∂f = 1,
multiplies each node's upstream gradient by its local gradients and sums over
the paths where a value fans out. The patterns the notes name: **add
distributes** the upstream gradient unchanged, **mul swaps** (each factor gets
the upstream times the other factor), **max routes** it to the larger input
(a tie is split equally, as ``torch.maximum`` does). Values are exact.

The example of the notes (CS224N lecture 3):

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text("{kind: comp_graph, given: {f: '(x + y) * max(y, z)', at: {x: 1, y: 2, z: 0}}}")
>>> s = solve(p.given)
>>> s.answers["value"], s.answers["gradient"]
(6, {'x': 2, 'y': 5, 'z': 0})
"""

from __future__ import annotations

import sympy as sp

from hwcheck import graph as G
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import Choice, MapOf, Number, Text

TITLE = "Forward and backward pass through a computational graph"

GIVEN = {
    "f": Text(doc="expression using + - * / ** exp log max min sigmoid tanh relu"),
    "at": MapOf(doc="values of the inputs; their order is the order of the inputs", value=Number()),
    "tie": Choice(doc="a tie at a max/min: split (an equal share to each tying input, as torch) or first "
                      "(all of it to the first tying input)", options=("split", "first"), default="split"),
}

PARTS = {
    "value": Part("f at the point", default=True),
    "gradient": Part("map input -> df/dinput", default=True),
}


def check(given, parts) -> None:
    G.build(given.f, given.at, max_rule=tie_rule(given))  # refuses what cannot be built or differentiated at the point


def _rows(g: G.Graph, back: G.Backward) -> list[dict]:
    """One row per node f depends on, in topological order (constants are shown inside their consumers)."""
    rows = []
    # the inputs first, in the order of 'at', then the operations in topological order
    order = [i for i in g.inputs if i in back.order] + [i for i in back.order if i not in g.inputs]
    for i in order:
        node = g.nodes[i]
        if node.op == "const":
            continue
        local = [{"arg": g.arg(j), "value": node.local[k], "rule": node.rule[k]}
                 for k, j in enumerate(node.inputs) if g.nodes[j].op != "const"]
        paths = [{"via": g.nodes[c].symbol, "upstream": up, "local": lo, "product": pr}
                 for c, up, lo, pr in back.paths[i]]
        args = [g.arg(j) for j in node.inputs]
        rows.append({"name": node.symbol, "op": node.op, "args": args, "value": node.value, "local": local,
                     "grad": back.grads[i], "paths": paths, "output": i == g.output,
                     "arg_values": [g.nodes[j].value for j in node.inputs],
                     "tie": node.op in ("max", "min") and sum(1 for v in node.local if v != 0) > 1})
    return rows


def solve(given) -> Solution:
    g = G.build(given.f, given.at, max_rule=tie_rule(given))
    back = G.backward(g)
    rows = _rows(g, back)
    ops = {r["op"] for r in rows}
    fanout = [r["name"] for r in rows if len(r["paths"]) > 1]
    unused = [name for name, i in zip(given.at, g.inputs) if i not in back.order]
    value = g.nodes[g.output].value
    steps = [
        Step("graph", {"rows": rows, "inputs": [sp.Symbol(n) for n in given.at], "unused": unused}),
        Step("forward", {"rows": rows, "value": value}),
        Step("local", {"rows": rows}),
        Step("backward", {"rows": list(reversed(rows)), "fanout": fanout}),
        Step("table", {"rows": rows}),
        Step("patterns", {"ops": sorted(ops), "fanout": fanout, "gradient": back.gradient,
                          "ties": [r["name"] for r in rows if r["tie"]]}),
    ]
    return Solution(steps, {"value": value, "gradient": back.gradient})


def _differs(given, gradient) -> dict:
    right = G.backward(G.build(given.f, given.at, max_rule=tie_rule(given))).gradient
    return {"gradient": gradient} if any(gradient[k] != right[k] for k in right) else {}


def tie_rule(given) -> str:
    """The graph's max/min rule for the spec's ``tie`` (split: as torch; first: to the first tying input)."""
    return "first" if given.get("tie") == "first" else "route"


def _tie_convention(given) -> dict:
    """The other tie convention than the course's (split where it routes to the first, or the reverse)."""
    other = "route" if tie_rule(given) == "first" else "first"
    return _differs(given, G.backward(G.build(given.f, given.at, max_rule=other)).gradient)


def _one_path(given) -> dict:
    """A value that fans out keeps a single path's contribution (each path in turn: one candidate each)."""
    from hwcheck.model import Candidates

    graph = G.build(given.f, given.at, max_rule=tie_rule(given))
    back = G.backward(graph)
    candidates = []
    for j, paths in enumerate(back.paths):
        for k in range(len(paths) if len(paths) > 1 else 0):
            gradient = _backward_keeping(graph, j, k)
            if gradient != back.gradient and gradient not in candidates:
                candidates.append(gradient)
    return {"gradient": Candidates(candidates)} if candidates else {}


def _backward_keeping(graph, node: int, path: int) -> dict:
    """The backward pass where ``node`` keeps only its ``path``-th contribution (in backward order)."""
    from hwcheck.nn import settle

    order = G.topological_order(graph)
    grads = [sp.Integer(0)] * len(graph.nodes)
    grads[graph.output] = sp.Integer(1)
    seen = 0
    for i in reversed(order):
        n = graph.nodes[i]
        for k, j in enumerate(n.inputs):
            if graph.nodes[j].op == "const":
                continue
            product = settle(grads[i] * n.local[k])
            if j == node:
                if seen == path:
                    grads[j] = product
                seen += 1
            else:
                grads[j] = settle(grads[j] + product)
    return {graph.nodes[i].name: grads[i] for i in graph.inputs}


PART_STEPS = {"value": ("forward",), "gradient": ("backward", "patterns")}

MISCONCEPTIONS = {
    # at a tie, the other convention than the course's (split equally, or all to the first input)
    "tie_convention": _tie_convention,
    # a value that fans out keeps only the last path that reaches it, not the sum
    "fanout_not_summed": lambda g: _differs(g, G.backward(G.build(g.f, g.at, max_rule=tie_rule(g)),
                                                          accumulate=False).gradient),
    # max/min send an equal share to every input instead of routing to the winner
    "max_gradient_split": lambda g: _differs(g, G.backward(G.build(g.f, g.at, max_rule="split")).gradient),
    # a value that fans out keeps one path's contribution alone (any one of its paths)
    "fanout_one_path": _one_path,
}
