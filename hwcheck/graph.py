"""A computational graph built from an expression, micrograd-style.

Every node computes its forward value and its *local* gradients
(∂node/∂input, one per input) from its immediate inputs only, when it is
created. One driver, ``backward``, orders the graph topologically and runs
from ∂f/∂f = 1 towards the inputs, multiplying each node's upstream gradient
by its local gradients and **summing** where a value fans out (feeds several
nodes).

The expression is read by ``hwcheck.expr.parse_tree`` (an allow-listed AST; it
is walked, never compiled). Subtraction and division keep their own nodes
(``a - b`` has local gradients 1 and −1, ``a / b`` has 1/b and −a/b², the
rules of the primitive rewrites a + (−1)·b and a·b⁻¹) so the node table reads
like the expression. Identical subexpressions become one node. A subtree
without inputs is a constant, folded exactly.

Conventions: ``max``/``min`` route the upstream gradient to the larger
(smaller) input; on a tie it is split equally among the tied inputs, as
``torch.maximum``/``torch.minimum`` do; ``relu'(0) = 0``, as ``torch.relu``.

>>> g = build("(x + y) * max(y, z)", {"x": 1, "y": 2, "z": 0})
>>> [(n.name, n.op, n.value) for n in g.nodes if n.op != "input"]
[('a', 'add', 3), ('b', 'max', 2), ('f', 'mul', 6)]
>>> backward(g).gradient
{'x': 2, 'y': 5, 'z': 0}
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Mapping

import sympy as sp

from hwcheck.errors import Invalid, ParseError
from hwcheck.expr import CONSTANTS, parse_expr, parse_tree
from hwcheck.nn import settle

FUNCTIONS = {"exp": 1, "log": 1, "sigmoid": 1, "tanh": 1, "relu": 1, "max": None, "min": None}
ALLOWED = "+ - * / ** exp log max min sigmoid tanh relu"
# Names an intermediate node may take (e is Euler's number, f the output; i, j, l, o read badly).
_NAMES = [c for c in "abcdghkmnpqrstuvwxyz"]


@dataclass(frozen=True)
class Node:
    """One value of the graph.

    ``op``: input, const, add, sub, mul, div, neg, pow, exp, log, max, min, sigmoid, tanh, relu.
    ``inputs``: indices of the nodes it reads. ``local[k]`` = ∂(this node)/∂(inputs[k]) at the point;
    ``rule[k]`` the same derivative as an expression in the node symbols (None for max/min/relu,
    whose rule is an indicator).
    """

    name: str
    op: str
    inputs: tuple[int, ...]
    value: Any
    local: tuple = ()
    rule: tuple = ()

    @property
    def symbol(self):
        return self.value if self.op == "const" else sp.Symbol(self.name)


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    output: int
    inputs: tuple[int, ...]  # the input nodes, in the order of ``at``

    def arg(self, i):
        """How node ``i`` appears as an argument: its symbol, or the number of a constant."""
        return self.nodes[i].symbol


@dataclass(frozen=True)
class Backward:
    """The result of the backward pass.

    ``grads[i]`` = ∂f/∂node_i; ``paths[i]``: the contributions summed into it, each
    ``(consumer index, upstream ∂f/∂consumer, local ∂consumer/∂node_i, product)``.
    """

    order: tuple[int, ...]
    grads: tuple
    paths: tuple
    gradient: dict  # input name -> ∂f/∂input


def compare(a, b) -> int:
    """Sign of a − b, exact for rationals; others are compared to 50 digits (ties below 1e-40)."""
    d = sp.sympify(a - b)
    if d == 0:
        return 0
    if d.is_Rational:
        return 1 if d > 0 else -1
    n = sp.N(d, 60)
    scale = 1 + abs(sp.N(a, 20))
    if abs(n) < sp.Float("1e-40") * scale:
        return 0
    return 1 if n > 0 else -1


class _Builder:
    def __init__(self, source: str, at: Mapping[str, Any], max_rule: str):
        self.source, self.max_rule = source, max_rule
        self.nodes: list[Node] = []
        self.memo: dict = {}
        self.names = [n for n in _NAMES if n not in at]
        for name, value in at.items():
            self._add(("input", name), Node(name, "input", (), sp.sympify(value)))

    def _add(self, key, node: Node) -> int:
        if key in self.memo:
            return self.memo[key]
        self.nodes.append(node)
        self.memo[key] = len(self.nodes) - 1
        return self.memo[key]

    def _fresh(self) -> str:
        k = sum(1 for n in self.nodes if n.op not in ("input", "const"))
        return self.names[k] if k < len(self.names) else f"v{k + 1}"

    def fail(self, expected, found):
        raise Invalid(expected, found, key="f")

    def text(self, node) -> str:
        return ast.get_source_segment(self.source, node) or "?"

    def const(self, value) -> int:
        value = settle(value)
        return self._add(("const", sp.srepr(value)), Node(sp.sstr(value), "const", (), value))

    def build(self, node) -> int:
        if not self._uses_inputs(node):
            try:
                return self.const(parse_expr(self.text(node), symbols=()))
            except ParseError as exc:
                self.fail("an expression in the inputs named in 'at'", f"{self.text(node)!r}: {exc.message}")
        if isinstance(node, ast.Name):
            return self.memo[("input", node.id)]
        if isinstance(node, ast.UnaryOp):
            inner = self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return inner
            if isinstance(node.op, ast.USub):
                return self.op("neg", [inner], node)
        if isinstance(node, ast.BinOp):
            ops = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
            if type(node.op) in ops:
                return self.op(ops[type(node.op)], [self.build(node.left), self.build(node.right)], node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            name, count = node.func.id, FUNCTIONS[node.func.id]
            if node.keywords or (count and len(node.args) != count) or (not count and len(node.args) < 2):
                want = "one argument" if count else "two or more arguments"
                self.fail(f"{name}() with {want}", repr(self.text(node)))
            return self.op(name, [self.build(a) for a in node.args], node)
        self.fail(f"an expression built from {ALLOWED}", repr(self.text(node)))

    def _uses_inputs(self, node) -> bool:
        calls = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
        return any(isinstance(n, ast.Name) and id(n) not in calls and ("input", n.id) in self.memo
                   for n in ast.walk(node))

    def op(self, op: str, inputs: list[int], where) -> int:
        key = (op, tuple(inputs))
        if key in self.memo:
            return self.memo[key]
        vals = [self.nodes[i].value for i in inputs]
        syms = [self.nodes[i].symbol for i in inputs]
        out = sp.Symbol(self._fresh())
        value, local, rule = self._rule(op, vals, syms, out, where)
        node = Node(out.name, op, tuple(inputs), settle(value), tuple(settle(g) for g in local), tuple(rule))
        return self._add(key, node)

    # -- the local rules: value, ∂out/∂input_k at the point, ∂out/∂input_k as an expression ---------
    def _rule(self, op, v, s, out, where):
        one = sp.Integer(1)
        if op == "add":
            return v[0] + v[1], (one, one), (one, one)
        if op == "sub":
            return v[0] - v[1], (one, -one), (one, -one)
        if op == "neg":
            return -v[0], (-one,), (-one,)
        if op == "mul":  # mul swaps: ∂(ab)/∂a = b, ∂(ab)/∂b = a
            return v[0] * v[1], (v[1], v[0]), (s[1], s[0])
        if op == "div":
            if v[1] == 0:
                self.fail("a denominator that is not 0 at the point", f"{self.text(where)!r} divides by 0")
            return v[0] / v[1], (1 / v[1], -v[0] / v[1] ** 2), (1 / s[1], -s[0] / s[1] ** 2)
        if op == "pow":
            return self._pow(v, s, where)
        if op == "exp":
            value = settle(sp.exp(v[0]))
            return value, (value,), (out,)
        if op == "log":
            if compare(v[0], 0) <= 0:
                self.fail("log of a positive number at the point", f"{self.text(where)!r} of {sp.sstr(v[0])}")
            return sp.log(v[0]), (1 / v[0],), (1 / s[0],)
        if op == "sigmoid":
            value = settle(1 / (1 + sp.exp(-v[0])))
            return value, (value * (1 - value),), (out * (1 - out),)
        if op == "tanh":
            value = settle(sp.tanh(v[0]))
            return value, (1 - value ** 2,), (1 - out ** 2,)
        if op == "relu":  # relu'(0) = 0, as torch.relu
            return (v[0] if compare(v[0], 0) > 0 else sp.Integer(0)), (one if compare(v[0], 0) > 0 else 0 * one,), (None,)
        if op in ("max", "min"):
            return self._extreme(op, v)
        raise AssertionError(op)  # pragma: no cover - build() only creates the ops above

    def _pow(self, v, s, where):
        base, exp = v
        if s[1].is_Symbol:  # the exponent depends on the inputs: d(a^b)/db = a^b ln a
            if compare(base, 0) <= 0:
                self.fail("a positive base where the exponent depends on the inputs",
                          f"{self.text(where)!r} with base {sp.sstr(base)}")
            value = settle(base ** exp)
            return value, (exp * base ** (exp - 1), value * sp.log(base)), \
                (s[1] * s[0] ** (s[1] - 1), s[0] ** s[1] * sp.log(s[0]))
        if base == 0 and not (exp.is_Integer and exp >= 1):
            self.fail("a power whose derivative exists at the point",
                      f"{self.text(where)!r} at base 0")
        if compare(base, 0) < 0 and not exp.is_Integer:
            self.fail("a real power at the point", f"{self.text(where)!r} of a negative base")
        return base ** exp, (exp * base ** (exp - 1), 0), (exp * s[0] ** (exp - 1), None)

    def _extreme(self, op, v):
        sign = 1 if op == "max" else -1
        best = v[0]
        for x in v[1:]:
            if sign * compare(x, best) > 0:
                best = x
        winners = [compare(x, best) == 0 for x in v]
        if self.max_rule == "split":  # the misconception: every input gets an equal share
            local = [sp.Rational(1, len(v))] * len(v)
        elif self.max_rule == "first":  # tie: all of it to the first input that ties (some course notes)
            first = winners.index(True)
            local = [sp.Integer(1) if k == first else sp.Integer(0) for k in range(len(v))]
        else:  # route to the winner; a tie splits equally, as torch.maximum / torch.minimum
            local = [sp.Rational(1, sum(winners)) if w else sp.Integer(0) for w in winners]
        return best, tuple(local), (None,) * len(v)


def build(text: str, at: Mapping[str, Any], *, max_rule: str = "route") -> Graph:
    """The graph of ``text`` at the point ``at`` (forward values and local gradients filled in).

    Errors (an operation not allowed, a name without a value, log of a non-positive
    number, division by zero at the point) are ``Invalid`` with key ``f``.
    """
    try:
        tree, source = parse_tree(text)
    except ParseError as exc:
        raise Invalid("an expression", f"{text!r}: {exc.message}", key="f") from None
    for name in CONSTANTS:
        if name in at:
            raise Invalid("input names that are not constants (e, E, pi)", f"an input named {name!r}", key="at")
    builder = _Builder(source, at, max_rule)
    out = builder.build(tree)
    nodes = builder.nodes
    if nodes[out].op not in ("input", "const"):
        # The output is called f, as in the notes.
        old = nodes[out]
        rule = tuple(r if r is None else sp.sympify(r).xreplace({old.symbol: sp.Symbol("f")}) for r in old.rule)
        nodes[out] = Node("f", old.op, old.inputs, old.value, old.local, rule)
        if "f" in at:
            raise Invalid("input names other than f (the output is called f)", "an input named 'f'", key="at")
    inputs = tuple(i for i, n in enumerate(nodes) if n.op == "input")
    return Graph(tuple(nodes), out, inputs)


def topological_order(graph: Graph) -> list[int]:
    """The nodes ``f`` depends on, each after all of its inputs (a depth-first search from ``f``)."""
    order: list[int] = []
    seen: set[int] = set()

    def visit(i: int) -> None:
        stack = [(i, False)]
        while stack:
            j, done = stack.pop()
            if done:
                order.append(j)
                continue
            if j in seen:
                continue
            seen.add(j)
            stack.append((j, True))
            stack.extend((k, False) for k in reversed(graph.nodes[j].inputs) if k not in seen)

    visit(graph.output)
    return order


def backward(graph: Graph, *, accumulate: bool = True, keep: tuple[int, int] | None = None) -> Backward:
    """Run backpropagation from ∂f/∂f = 1.

    ``accumulate=False`` is the fan-out misconception: a node keeps only the last
    path that reaches it instead of the sum over its paths. ``keep=(node, k)``: that node
    alone keeps only its ``k``-th contribution (in backward order), one candidate of the
    same misconception.
    """
    order = topological_order(graph)
    grads = [sp.Integer(0)] * len(graph.nodes)
    paths: list[list] = [[] for _ in graph.nodes]
    grads[graph.output] = sp.Integer(1)
    for i in reversed(order):
        node = graph.nodes[i]
        for k, j in enumerate(node.inputs):
            if graph.nodes[j].op == "const":
                continue
            product = settle(grads[i] * node.local[k])
            paths[j].append((i, grads[i], node.local[k], product))
            if keep is not None and j == keep[0]:
                if len(paths[j]) - 1 == keep[1]:
                    grads[j] = product
                continue
            # fan-out: a value used by several nodes gets the SUM of their contributions
            grads[j] = settle(grads[j] + product) if accumulate else product
    gradient = {graph.nodes[i].name: grads[i] for i in graph.inputs}
    return Backward(tuple(order), tuple(grads), tuple(tuple(p) for p in paths), gradient)


def layout(graph: Graph, order) -> dict[int, tuple[int, int]]:
    """Where to draw each node (constants left out): ``{index: (layer, row)}``.

    The layer is the length of the longest path from an input (inputs are layer 0), so every
    edge goes from left to right; each node has a row of its own (the order of ``order``), so a
    horizontal run at a node's row never crosses another node.

    >>> g = build("(x + y) * max(y, z)", {"x": 1, "y": 2, "z": 0})
    >>> spots = layout(g, [0, 1, 2, 3, 4, 5]); [spots[i] for i in range(6)]
    [(0, 0), (0, 1), (0, 2), (1, 3), (1, 4), (2, 5)]
    """
    layer: dict[int, int] = {}
    for i in order:  # inputs before their consumers
        node = graph.nodes[i]
        if node.op == "const":
            continue
        inner = [layer[j] for j in node.inputs if j in layer]
        layer[i] = 1 + max(inner) if inner else 0
    rows = [i for i in order if i in layer]
    return {i: (layer[i], rows.index(i)) for i in rows}
