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
        paths = [{"via": g.nodes[c].symbol, "upstream": up, "local": lo, "product": pr, "output": c == g.output,
                  "op": g.nodes[c].op, "args": [g.arg(k) for k in g.nodes[c].inputs]}
                 for c, up, lo, pr in back.paths[i]]
        args = [g.arg(j) for j in node.inputs]
        rows.append({"index": i, "name": node.symbol, "op": node.op, "args": args, "value": node.value, "local": local,
                     "grad": back.grads[i], "paths": paths, "output": i == g.output,
                     "arg_values": [g.nodes[j].value for j in node.inputs],
                     "tie": node.op in ("max", "min") and sum(1 for v in node.local if v != 0) > 1})
    return rows


# The LaTeX drawing of the graph (picture mode: no package needed), in millimetres; the
# Markdown has a Mermaid flowchart, which GitHub lays out itself.
BOX_W, BOX_H, CHANNEL, ROW_H, PAGE_W = 30, 13, 12, 16, 160
DRAW_LIMIT = 14  # nodes at most in the LaTeX drawing (one row each); larger graphs rely on the table


def _drawing(g: G.Graph, back: G.Backward, rows: list[dict]) -> dict | None:
    """Positions of the nodes and the edges' corners for the LaTeX picture; ids for Mermaid.
    None when there is no operation to draw (f is a constant or an input)."""
    order = [i for i in g.inputs if i in back.order] + [i for i in back.order if i not in g.inputs]
    spots = G.layout(g, order)
    if not any(g.nodes[i].op != "input" for i in spots):
        return None
    ids = {i: f"n{k}" for k, i in enumerate(spots)}
    n_rows = len(spots)
    layers = max(layer for layer, _ in spots.values()) + 1
    pitch = BOX_W + CHANNEL
    width = (layers - 1) * pitch + BOX_W
    height = (n_rows - 1) * ROW_H + BOX_H
    by_layer: dict[int, list[int]] = {}
    for i, (layer, _) in spots.items():
        by_layer.setdefault(layer, []).append(i)
    boxes, edges = {}, []
    for i, (layer, row) in spots.items():
        boxes[i] = (layer * pitch, (n_rows - 1 - row) * ROW_H)
    for i in spots:
        for k, j in enumerate(g.nodes[i].inputs):
            if j not in spots:
                continue  # a constant: shown inside the node's formula
            (xs, ys), (xd, yd) = boxes[j], boxes[i]
            peers = by_layer[spots[j][0]]
            xv = xs + BOX_W + CHANNEL * (peers.index(j) + 1) / (len(peers) + 1)  # this source's vertical
            y0, y1 = ys + BOX_H / 2, yd + BOX_H / 2
            edges.append({"source": ids[j], "target": ids[i], "local": g.nodes[i].local[k],
                          "from": (xs + BOX_W, y0), "corner": (xv, y0), "to": (xv, y1), "end": (xd, y1)})
    return {"ids": [ids[r["index"]] for r in rows], "edges": edges,
            "boxes": [boxes[r["index"]] for r in rows], "width": width, "height": height,
            "scale": min(1, PAGE_W / width), "tex": n_rows <= DRAW_LIMIT}


def solve(given) -> Solution:
    g = G.build(given.f, given.at, max_rule=tie_rule(given))
    back = G.backward(g)
    rows = _rows(g, back)
    ops = {r["op"] for r in rows}
    fanout = [r["name"] for r in rows if len(r["paths"]) > 1]
    unused = [name for name, i in zip(given.at, g.inputs) if i not in back.order]
    value = g.nodes[g.output].value
    steps = [
        Step("graph", {"rows": rows, "inputs": [sp.Symbol(n) for n in given.at], "unused": unused,
                       "drawing": _drawing(g, back, rows)}),
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
            gradient = G.backward(graph, keep=(j, k)).gradient
            if gradient != back.gradient and gradient not in candidates:
                candidates.append(gradient)
    return {"gradient": Candidates(candidates)} if candidates else {}


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


def poor(given, solution, reference_given, reference, options):
    """A poor variant (SPEC section 7): a tie at a max or min, unless the spec allows ties."""
    if options.get("allow_ties"):
        return None
    if _has_tie(given) and not _has_tie(reference_given):
        return "tie_at_max_or_min"
    return None


def _has_tie(given) -> bool:
    import sympy as sp

    from hwcheck.expr import parse_expr

    expr = parse_expr(str(given["f"]))
    at = {str(k): v for k, v in given["at"].items()}
    values = {s: at[s.name] for s in expr.free_symbols if s.name in at}
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Max, sp.Min)):
            args = [sp.nsimplify(a.subs(values)) for a in node.args]
            if len(set(args)) < len(args):
                return True
    return False
