"""chain_rule: the derivative of a composition, link by link.

A composition ``f = f_k(...f_2(f_1(x)))`` is a chain of links, innermost first;
the chain rule multiplies the local derivatives:
``df/dx = df/du_{k-1} · ... · du_2/du_1 · du_1/dx``, each factor evaluated at
the inner functions. Given only ``f``, the links are found by peeling the
outermost single-argument function or power (a constant factor or term stays
with it) until the argument is the variable itself; a plain polynomial is one
link.

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text("{kind: chain_rule, given: {f: 'sin(x**2)', wrt: x, at: {x: 0}}, parts: [derivative, value]}")
>>> [(name, expr) for name, expr in links(p.given)]
[('u', x**2), ('f', sin(u))]
>>> s = solve(p.given)
>>> s.answers["derivative"], s.answers["value"]
(2*x*cos(x**2), 0)
"""

from __future__ import annotations

from typing import Mapping

import sympy as sp

from hwcheck import idioms
from hwcheck.errors import Invalid
from hwcheck.expr import derivative, symbol
from hwcheck.model import Part, Solution, Step
from hwcheck.nn import settle
from hwcheck.schema import Expression, ListOf, MapOf, Number, Schema, Text, found

TITLE = "The chain rule, link by link"

# Names of the automatic links, innermost first (the outermost is f).
_NAMES = ("u", "v", "w", "p", "q", "r", "s", "g", "h", "k", "m", "n")


class Link(Schema):
    """One link of a chain: a one-key map ``{name: expression}``."""

    def convert(self, value):
        if not isinstance(value, Mapping) or len(value) != 1:
            raise Invalid("a one-key map {name: expression}, e.g. {u: 'x**2'}", found(value))
        (name, text), = value.items()
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise Invalid("a variable name as the key", f"the key {name!r}")
        try:
            return name, Expression().convert(text)
        except Invalid as exc:
            raise Invalid(exc.expected, exc.found, key=f".{name}") from None


GIVEN = {
    "f": Expression(doc="the composed function (or give chain)", default=None),
    "chain": ListOf(doc="links innermost first, e.g. [{u: 'x**2'}, {f: 'sin(u)'}] (or give f)",
                    item=Link(), default=None),
    "wrt": Text(doc="the variable to differentiate with respect to"),
    "at": MapOf(doc="values of the variables (needed for the value part)", value=Number(), default=None),
}

PARTS = {
    "derivative": Part("the derivative in the original variables", default=True),
    "value": Part("the derivative at 'at'"),
}


# -- the links --------------------------------------------------------------------------------

def _inner(expr, x):
    """The argument of the outermost single-argument function or power of ``expr``, or None."""
    if isinstance(expr, sp.Function) and len(expr.args) == 1:
        return expr.args[0]
    if expr.is_Pow:
        base, exponent = expr.args
        if not exponent.has(x):
            return base
        if not base.has(x):
            return exponent
        return None
    if expr.is_Add or expr.is_Mul:  # a constant factor or term stays with the outer function
        dependent = [a for a in expr.args if a.has(x)]
        return _inner(dependent[0], x) if len(dependent) == 1 else None
    return None


def split(expr, x, taken=()) -> list[tuple[str, sp.Expr]]:
    """Split ``expr`` into links, innermost first; the last one is called f.

    >>> from hwcheck.expr import parse_expr
    >>> x = symbol("x")
    >>> split(parse_expr("3*sin(exp(x))**2"), x)
    [('u', exp(x)), ('v', sin(u)), ('f', 3*v**2)]
    >>> split(parse_expr("x**3 + 2*x"), x)
    [('f', x**3 + 2*x)]
    """
    names = [n for n in _NAMES if n not in taken]
    outers, current = [], expr
    while len(outers) < len(names):
        inner = _inner(current, x)
        if inner is None or inner == x or not inner.has(x):
            break
        hole = sp.Dummy()
        outer = current.xreplace({inner: hole})
        if outer.has(x):  # the variable also appears outside this argument: no single link
            break
        outers.append((outer, hole))
        current = inner
    # name the links innermost first: current, then the outer functions from the inside out
    out, previous = [], None
    pieces = [(current, None)] + list(reversed(outers))
    for i, (piece, hole) in enumerate(pieces):
        name = "f" if i == len(pieces) - 1 else names[i]
        out.append((name, piece if hole is None else piece.xreplace({hole: symbol(previous)})))
        previous = name
    return out


def links(given) -> list[tuple[str, sp.Expr]]:
    """The chain: as given, or split from f."""
    if given.chain is not None:
        return list(given.chain)
    taken = {s.name for s in given.f.free_symbols} | {given.wrt}
    # a sigmoid is one link, σ(u), as in the notes (not 1/v with v = e^{-u} + 1)
    return [(name, idioms.from_idiom(expr))
            for name, expr in split(idioms.to_idiom(given.f), symbol(given.wrt), taken)]


def compose(chain) -> sp.Expr:
    """The composed function in the original variables."""
    expr = chain[0][1]
    for (previous, _), (_, outer) in zip(chain, chain[1:]):
        expr = outer.xreplace({symbol(previous): expr})
    return expr


def check(given, parts) -> None:
    if (given.f is None) == (given.chain is None):
        raise Invalid("either f or chain", "both" if given.f is not None else "neither", key="f")
    if not given.wrt.isidentifier():
        raise Invalid("a variable name", found(given.wrt), key="wrt")
    x = symbol(given.wrt)
    chain = links(given)
    if given.chain is not None:
        _check_chain(chain, x)
    composed = compose(chain)
    if not composed.has(x):
        raise Invalid(f"a function of {given.wrt}", f"{sp.sstr(composed)}, which does not depend on it", key="wrt")
    if "value" in parts and given.at is None:
        raise Invalid("the point 'at' (the value part needs it)", "no 'at'", key="at")
    if given.at is not None:
        variables = sorted(s.name for s in composed.free_symbols)
        missing = [v for v in variables if v not in given.at]
        extra = [k for k in given.at if k not in variables]
        if missing or extra:
            raise Invalid("a value for each variable of f (" + ", ".join(variables) + ")",
                          ("no value for " + ", ".join(missing)) if missing else "unknown " + ", ".join(extra),
                          key="at")
        value = _at(derivative(composed, x), given.at)
        if not value.is_finite or value.is_real is False:
            raise Invalid("a point where the derivative exists", f"{sp.sstr(value)} at the point", key="at")


def _check_chain(chain, x) -> None:
    names = [name for name, _ in chain]
    for i, (name, expr) in enumerate(chain):
        key = f"chain[{i}]"
        if name == x.name or name in names[:i]:
            raise Invalid("a new name for each link, not the variable", f"{name!r} again", key=key)
        uses = {s.name for s in expr.free_symbols}
        wanted = x.name if i == 0 else names[i - 1]
        if wanted not in uses:
            raise Invalid(f"a link that is a function of {wanted}", f"{name} = {sp.sstr(expr)}", key=key)
        others = (set(names) | {x.name}) - {wanted}
        if uses & others:
            raise Invalid(f"a link that uses only {wanted} (and constants): a chain",
                          f"{name} = {sp.sstr(expr)}, which uses {', '.join(sorted(uses & others))}", key=key)


def _at(expr, at):
    return settle(expr.xreplace({symbol(k): v for k, v in at.items()}))


# the functions whose simplifications a chain-rule product needs are the cheap rules below; a
# product with any other (asin, sinh, Abs, ...) still goes through SymPy's simplify
_CHEAP = (sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.tanh)


def _simplest(expr):
    """The shortest of a few cheap forms of the derivative (count_ops), when it is shorter and brings
    in no new function (no cosh for a sigmoid): numeric content taken out of sums (2·(4x + 2y) =
    4·(2x + y)), e^a·e^b = e^{a+b}, one fraction over a common denominator with the common factors
    of a sum taken out (the product rule's x²e^{−x}... = x(2 − x)e^{−x}), 2 sin u cos u = sin 2u and
    cos²u − sin²u = cos 2u where no other sin or cos of u is left. SymPy's ``simplify`` tries far
    more, at a cost of 0.1 s to minutes per call; it is kept for derivatives with functions
    outside ``_CHEAP``.

    >>> from hwcheck.expr import parse_expr
    >>> [_simplest(parse_expr(e)) for e in ("3*(6*x - 2)/(2*sqrt(x))", "exp(x)*exp(exp(x))", "2*sin(x)*cos(x)")]
    [3*(3*x - 1)/sqrt(x), exp(x + exp(x)), sin(2*x)]
    >>> _simplest(parse_expr("cos(x)**2 - sin(x)**2")), _simplest(parse_expr("2*cos(x)*sin(x)/(sin(x)**2 + 1)"))
    (cos(2*x), 2*sin(x)*cos(x)/(sin(x)**2 + 1))
    >>> _simplest(parse_expr("2*x*cos(x**2)"))
    2*x*cos(x**2)
    """
    functions = {type(f) for f in expr.atoms(sp.Function)}
    if not functions <= set(_CHEAP):
        return _shorter(expr, sp.simplify(expr), functions)
    best = expr
    steps = [lambda e: e, lambda e: sp.powsimp(e, combine="exp"), sp.together]
    if expr.has(sp.sin) and expr.has(sp.cos):
        steps.append(_double_angle)
    for step in steps:
        best = _shorter(best, sp.Mul(*step(best).as_content_primitive()), functions)
    return best


def _shorter(expr, candidate, functions):
    """``candidate`` when it has fewer operations than ``expr`` and no function outside ``functions``."""
    if {type(f) for f in candidate.atoms(sp.Function)} <= functions and sp.count_ops(candidate) < sp.count_ops(expr):
        return candidate
    return expr


def _double_angle(expr):
    """sin u · cos u = sin(2u)/2 in every product and cos²u − sin²u = cos 2u in every sum, for each u
    whose sin and cos then all go."""
    for u in {f.args[0] for f in expr.atoms(sp.sin)}:
        if sp.cos(u) not in expr.atoms(sp.cos):
            continue
        s, c, twice = sp.sin(u), sp.cos(u), sp.expand(2 * u)

        def product(m):
            factors = list(m.args)
            if s not in factors or c not in factors:
                return m
            factors.remove(s)
            factors.remove(c)
            return sp.Mul(*factors, sp.sin(twice), sp.Rational(1, 2))

        def difference(a):
            k = a.coeff(c**2)
            if k == 0 or a.coeff(s**2) != -k:
                return a
            return a - k * c**2 + k * s**2 + k * sp.cos(twice)
        rewritten = expr.replace(lambda m: m.is_Mul, product).replace(lambda a: a.is_Add, difference)
        if not rewritten.has(s, c):
            expr = rewritten
    return expr


# -- the solution -------------------------------------------------------------------------------

def _locals(chain, x):
    """(link name, the name it is differentiated by, local derivative, local derivative in x)."""
    out, inner_of = [], {}
    previous = x
    for name, expr in chain:
        local = derivative(expr, previous)
        in_x = local.xreplace(inner_of) if inner_of else local
        out.append((sp.Symbol(name), previous, local, in_x))
        inner_of[symbol(name)] = expr.xreplace(inner_of)
        previous = symbol(name)
    return out


def _activation(shown, previous):
    """'sigmoid' or 'tanh' when a link is σ or tanh of the link just inside it (its derivative is then
    written through the link itself: s(1 − s), 1 − s²)."""
    if isinstance(shown, idioms.Sigmoid) and shown.args[0] == previous:
        return "sigmoid"
    if isinstance(shown, sp.tanh) and shown.args[0] == previous:
        return "tanh"
    return None


def _shown(chain, factors, x):
    """The links and their derivatives as the notes write them (σ for the sigmoid, σ′ = σ(1 − σ)),
    each checked by SymPy against the plain form; the plain form where the check fails."""
    links_shown, out, inner_of = [], [], {}
    previous = x
    for (name, expr), (link, by, local, in_x) in zip(chain, factors):
        shown = idioms.to_idiom(expr)
        shown_local = idioms.idiomatic(local, sp.diff(shown, previous)) if idioms.has_idiom(shown) else local
        shown_in_x = shown_local.xreplace(inner_of) if inner_of else shown_local
        if idioms.has_idiom(shown_in_x):
            shown_in_x = idioms.idiomatic(in_x, shown_in_x)
        links_shown.append((link, shown))
        out.append({"name": link, "by": by, "local": shown_local, "in_x": shown_in_x,
                    "act": _activation(shown, previous)})
        inner_of[symbol(name)] = shown.xreplace(inner_of)
        previous = symbol(name)
    return links_shown, out


def solve(given) -> Solution:
    x = symbol(given.wrt)
    chain = links(given)
    composed = compose(chain)
    factors = _locals(chain, x)
    product = sp.Mul(*(f[3] for f in factors))
    several = len(composed.free_symbols) > 1
    links_shown, shown = _shown(chain, factors, x)
    composed_shown = idioms.to_idiom(composed)
    product_shown = sp.Mul(*(f["in_x"] for f in shown))
    # with a sigmoid, the idiom is the readable form; the answer stays the plain product, as SymPy's
    # diff writes it (simplify would fold the exponentials into forms no one reads)
    derivative = product if idioms.has_idiom(product_shown) else _simplest(product)
    # the derivative as the notes write it (σ′ kept whole), when SymPy confirms it equals the answer
    derivative_shown = product_shown if idioms.has_idiom(product_shown) and idioms.same(product_shown, derivative) \
        else derivative
    steps = [
        Step("links", {"links": links_shown, "split": given.chain is None, "composed": composed_shown, "x": x}),
        Step("local", {"factors": shown, "partial": several}),
        Step("product", {"factors": shown, "product": product_shown, "derivative": derivative,
                         "shown": derivative_shown, "x": x, "output": sp.Symbol(chain[-1][0]), "partial": several}),
    ]
    answers = {"derivative": derivative}
    if given.at is not None:
        point = {symbol(k): v for k, v in given.at.items()}
        values = [_at(f[3], given.at) for f in factors]
        value = _at(derivative, given.at)
        steps.append(Step("value", {"point": point, "factors": shown, "values": values, "value": value,
                                    "x": x, "output": sp.Symbol(chain[-1][0]), "partial": several}))
        answers["value"] = value
    return Solution(steps, answers)


def _missing_inner(given) -> dict:
    """Only the outermost link differentiated (at the inner function); the inner factors forgotten."""
    chain = links(given)
    if len(chain) < 2:
        return {}
    outer = _locals(chain, symbol(given.wrt))[-1][3]
    wrong = {"derivative": outer}
    if given.at is not None:
        wrong["value"] = _at(outer, given.at)
    return wrong


def _link_dropped(given) -> dict:
    """One factor of the chain left out (each link in turn: one candidate answer per link)."""
    from hwcheck.model import Candidates

    chain = links(given)
    if len(chain) < 2:
        return {}
    factors = [f[3] for f in _locals(chain, symbol(given.wrt))]
    products = [sp.Mul(*(f for k, f in enumerate(factors) if k != i)) for i in range(len(factors))]
    wrong = {"derivative": Candidates(products)}
    if given.at is not None:
        wrong["value"] = Candidates(_at(p, given.at) for p in products)
    return wrong


PART_STEPS = {"derivative": ("local", "product"), "value": ("value",)}

MISCONCEPTIONS = {"missing_inner_derivative": _missing_inner, "chain_link_dropped": _link_dropped}
