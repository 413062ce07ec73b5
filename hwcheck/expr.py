"""Reading math expressions without ``eval``.

SymPy's ``sympify`` and ``parse_expr`` call ``eval``; hwcheck never does. Text
is parsed by Python's ``ast`` module and the tree is walked against an
allow-list: numbers, names, ``+ - * / ** ^``, unary minus, and calls to the
functions in ``FUNCTIONS``. Everything else is a ``ParseError`` that carries the
offset of the offending character. The same parser reads spec expressions and
untrusted student answers; the bounds (length, depth, exponent size) protect
the second.

>>> parse_expr("x^2 + 1/3")
x**2 + 1/3
>>> parse_expr("0.05")
1/20
>>> parse_expr("2x cos(x^2)", implicit=True)
2*x*cos(x**2)
>>> parse_expr("__import__('os')")
Traceback (most recent call last):
...
hwcheck.errors.ParseError: names may not start with '_': '__import__'
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

import sympy as sp

from hwcheck import limits
from hwcheck.errors import ParseError


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


def _relu(x):
    return sp.Max(0, x)


def _log(x, base=None):
    return sp.log(x) if base is None else sp.log(x, base)


def _max(*args):
    return sp.Max(*args)


def _min(*args):
    return sp.Min(*args)


# name -> (builder, allowed argument counts). ``log`` is the natural logarithm.
FUNCTIONS: dict[str, tuple[Callable, tuple[int, ...]]] = {
    "sin": (sp.sin, (1,)), "cos": (sp.cos, (1,)), "tan": (sp.tan, (1,)),
    "asin": (sp.asin, (1,)), "acos": (sp.acos, (1,)), "atan": (sp.atan, (1,)),
    "sinh": (sp.sinh, (1,)), "cosh": (sp.cosh, (1,)), "tanh": (sp.tanh, (1,)),
    "exp": (sp.exp, (1,)), "log": (_log, (1, 2)), "ln": (sp.log, (1,)),
    "sqrt": (sp.sqrt, (1,)), "abs": (sp.Abs, (1,)), "Abs": (sp.Abs, (1,)),
    "sigmoid": (_sigmoid, (1,)), "relu": (_relu, (1,)),
    "max": (_max, (2, 3, 4, 5, 6, 7, 8)), "Max": (_max, (2, 3, 4, 5, 6, 7, 8)),
    "min": (_min, (2, 3, 4, 5, 6, 7, 8)), "Min": (_min, (2, 3, 4, 5, 6, 7, 8)),
    "sec": (sp.sec, (1,)), "csc": (sp.csc, (1,)), "cot": (sp.cot, (1,)),
    "sech": (sp.sech, (1,)), "csch": (sp.csch, (1,)), "coth": (sp.coth, (1,)),
    "asinh": (sp.asinh, (1,)), "acosh": (sp.acosh, (1,)), "atanh": (sp.atanh, (1,)),
    "arcsin": (sp.asin, (1,)), "arccos": (sp.acos, (1,)), "arctan": (sp.atan, (1,)),
    "arsinh": (sp.asinh, (1,)), "arcosh": (sp.acosh, (1,)), "artanh": (sp.atanh, (1,)),
}
_FUNCTION_POWER = re.compile(r"(?<![A-Za-z0-9_.])(" + "|".join(sorted(
    (n for n in FUNCTIONS if n not in ("max", "Max", "min", "Min", "log")), key=len, reverse=True))
    + r")\s*(?:\^|\*\*)\s*(?:([0-9])|\{([0-9])\}|\(([0-9])\))\s*\(")
CONSTANTS = {"pi": sp.pi, "e": sp.E, "E": sp.E, "oo": None}
# Spelled-out names that are Python keywords or builtins a student may type.
_FORBIDDEN_HINTS = {"lambda": "lambda expressions", "import": "imports"}


@dataclass(frozen=True)
class Limits:
    """Bounds that keep parsing and evaluation cheap for untrusted text."""

    max_length: int = 2000
    max_depth: int = 60
    max_exponent: int = 1000  # |n| in x**n for a numeric n
    max_digits: int = 10000  # digits of a number built from numeric powers


DEFAULT_LIMITS = Limits()


@lru_cache(maxsize=4096)
def symbol(name: str) -> sp.Symbol:
    """The one SymPy symbol hwcheck uses for a variable name (real-valued)."""
    return sp.Symbol(name, real=True)


def parse_expr(
    text: str,
    *,
    symbols: Iterable[str] | None = None,
    functions: Iterable[str] | None = None,
    implicit: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> sp.Expr:
    """Parse ``text`` into a SymPy expression through the allow-list.

    ``symbols``: the variable names allowed (``None``: any identifier).
    ``functions``: the function names allowed (``None``: all of ``FUNCTIONS``).
    ``implicit``: accept ``2x`` and ``x y`` for products (student syntax).
    """
    tree, source = parse_tree(text, implicit=implicit, limits=limits)
    allowed_symbols = None if symbols is None else frozenset(symbols)
    allowed_functions = FUNCTIONS.keys() if functions is None else frozenset(functions)
    return _Builder(source, allowed_symbols, allowed_functions, limits).build(tree)


def parse_tree(text: str, *, implicit: bool = False, limits: Limits = DEFAULT_LIMITS):
    """Check ``text`` and return ``(expression AST, source)`` with ``^`` read as power.

    The AST is only produced, never compiled or run. Kinds that need the shape
    of an expression (the computational graph) walk it themselves.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected an expression as text, found {type(text).__name__}")
    if len(text) > limits.max_length:
        raise ParseError(f"the expression is too long ({len(text)} characters; at most {limits.max_length})")
    source = text.strip()
    if not source:
        raise ParseError("the expression is empty")
    for i, ch in enumerate(source):
        if ch.isascii():
            if not (ch.isprintable() or ch in "\t"):
                raise ParseError(f"unexpected control character {ch!r}", source, i)
        else:
            raise ParseError(
                f"unexpected character {ch!r} (U+{ord(ch):04X}); write expressions in ASCII", source, i
            )
    source = function_powers(source)
    # '^' is power in math syntax; Python's XOR is never meant here.
    source = source.replace("^", "**")
    if implicit:
        source = _insert_products(source)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        raise ParseError(f"cannot read the expression: {exc.msg}", source, min(offset, len(source))) from None
    except (ValueError, RecursionError, MemoryError):
        raise ParseError("cannot read the expression: it is nested too deeply") from None
    if _depth(tree.body, limits.max_depth + 1) > limits.max_depth:
        raise ParseError(f"the expression is nested too deeply (more than {limits.max_depth} levels)")
    return tree.body, source


def function_powers(source: str) -> str:
    """``f^2(x)`` (a course's notation for (f(x))²) as ``(f(x))^2``, for the known functions
    (not ``f^-1``, which is an inverse).

    >>> function_powers("tanh^2(1) + sin^{2}(x y)"), function_powers("1 - sech^2(x)")
    ('(tanh(1))^2 + (sin(x y))^2', '1 - (sech(x))^2')
    """
    for _ in range(50):  # bounded: each pass rewrites one occurrence
        match = _FUNCTION_POWER.search(source)
        if match is None:
            return source
        open_at = match.end() - 1
        depth, close_at = 0, None
        for i in range(open_at, len(source)):
            if source[i] == "(":
                depth += 1
            elif source[i] == ")":
                depth -= 1
                if depth == 0:
                    close_at = i
                    break
        if close_at is None:
            return source  # unbalanced: the parser reports it
        power = match.group(2) or match.group(3) or match.group(4)
        call = f"{match.group(1)}{source[open_at:close_at + 1]}"
        source = f"{source[:match.start()]}({call})^{power}{source[close_at + 1:]}"
    return source


def _depth(node: ast.AST, cap: int) -> int:
    """Depth of the tree, stopping early once ``cap`` is reached."""
    best, stack = 0, [(node, 1)]
    while stack:
        current, d = stack.pop()
        best = max(best, d)
        if best >= cap:
            return best
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(current))
    return best


def _insert_products(source: str) -> str:
    """Insert ``*`` where math syntax multiplies by juxtaposition.

    ``2x`` -> ``2*x``, ``x y`` -> ``x*y``, ``(a)(b)`` -> ``(a)*(b)``, ``2(x+1)``
    -> ``2*(x+1)``; a known function name followed by ``(`` stays a call.
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source  # the parser reports the real problem with its offset
    out: list[str] = []
    prev = None
    pos = 0
    lines_offset = 0
    for tok in tokens:
        if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
            continue
        start = tok.start[1] + lines_offset
        if prev is not None and _juxtaposed(prev, tok):
            out.append(source[pos:start] + "*")
        else:
            out.append(source[pos:start])
        out.append(tok.string)
        pos = start + len(tok.string)
        prev = tok
    out.append(source[pos:])
    return "".join(out)


def _juxtaposed(prev: tokenize.TokenInfo, tok: tokenize.TokenInfo) -> bool:
    ends_operand = prev.type in (tokenize.NUMBER, tokenize.NAME) or prev.string == ")"
    starts_operand = tok.type in (tokenize.NUMBER, tokenize.NAME) or tok.string == "("
    if not (ends_operand and starts_operand):
        return False
    if prev.type == tokenize.NAME and tok.string == "(" and prev.string in FUNCTIONS:
        return False  # a call: sin(x)
    return True


class _Builder:
    """Walks an allow-listed AST and builds the SymPy expression directly."""

    def __init__(self, source, symbols, functions, limits):
        self.source, self.symbols, self.functions, self.limits = source, symbols, functions, limits

    def fail(self, message: str, node: ast.AST):
        raise ParseError(message, self.source, getattr(node, "col_offset", None))

    def build(self, node: ast.AST):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self.fail(f"{_describe(node)} is not allowed in an expression", node)
        return method(node)

    def _Constant(self, node: ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{_describe(node)} is not allowed in an expression", node)
        literal = ast.get_source_segment(self.source, node) or repr(value)
        literal = literal.replace("_", "")
        if len(literal) > 200 or limits.literal_too_large(literal, self.limits.max_digits):
            self.fail("the number is too long", node)
        # Read the literal as written: 0.05 is 1/20, not the nearest binary float.
        return sp.Integer(value) if isinstance(value, int) else sp.Rational(literal)

    def _Name(self, node: ast.Name):
        name = node.id
        if name.startswith("_"):
            raise ParseError(f"names may not start with '_': {name!r}", self.source, node.col_offset)
        if self.symbols is not None and name in self.symbols:
            return symbol(name)
        if name in CONSTANTS and CONSTANTS[name] is not None:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            self.fail(f"the function {name!r} needs an argument in parentheses", node)
        if self.symbols is None:
            return symbol(name)
        expected = ", ".join(sorted(self.symbols)) or "none"
        self.fail(f"unknown variable {name!r} (the variables here are: {expected})", node)

    def _UnaryOp(self, node: ast.UnaryOp):
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        self.fail(f"the operator {_OPS.get(type(node.op), '?')!r} is not allowed", node)

    def _BinOp(self, node: ast.BinOp):
        op = type(node.op)
        if op not in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow):
            self.fail(f"the operator {_OPS.get(op, '?')!r} is not allowed", node)
        left, right = self.build(node.left), self.build(node.right)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if op is ast.Div:
            if right == 0:
                self.fail("division by zero", node)
            return left / right
        return self._power(left, right, node)

    def _power(self, base, exponent, node):
        if exponent.is_number:
            if exponent.has(sp.zoo, sp.nan) or abs(exponent) > self.limits.max_exponent:
                self.fail(f"the exponent is too large (at most {self.limits.max_exponent})", node)
            if base.is_number and base != 0 and not base.has(sp.zoo, sp.nan):
                size = abs(float(sp.log(sp.Abs(base), 10).evalf(15))) * float(abs(exponent).evalf(15))
                if size > self.limits.max_digits:
                    self.fail("the number is too large", node)
                if limits.power_digits(base, exponent) > 10 * self.limits.max_digits:
                    self.fail("the number has too many digits", node)
            if base == 0 and exponent.is_negative:
                self.fail("division by zero", node)
        return sp.Pow(base, exponent)

    def _Call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name):
            self.fail(f"{_describe(node.func)} cannot be called", node)
        name = node.func.id
        if name.startswith("_"):
            raise ParseError(f"names may not start with '_': {name!r}", self.source, node.col_offset)
        if name not in FUNCTIONS or name not in self.functions:
            allowed = ", ".join(sorted(f for f in self.functions if f in FUNCTIONS))
            self.fail(f"unknown function {name!r} (allowed: {allowed})", node)
        if node.keywords:
            self.fail(f"keyword arguments are not allowed in {name}()", node)
        builder, counts = FUNCTIONS[name]
        if len(node.args) not in counts:
            want = " or ".join(str(c) for c in counts[:2]) + (" or more" if len(counts) > 2 else "")
            self.fail(f"{name}() takes {want} argument(s), found {len(node.args)}", node)
        return builder(*[self.build(arg) for arg in node.args])


_OPS = {
    ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
    ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not",
}


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access ('.')", ast.Subscript: "indexing ('[...]')",
        ast.Lambda: "a lambda", ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict",
        ast.Set: "a set", ast.Compare: "a comparison", ast.BoolOp: "'and'/'or'",
        ast.IfExp: "'if ... else'", ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator",
        ast.NamedExpr: "':='", ast.Starred: "'*' unpacking", ast.JoinedStr: "an f-string",
        ast.Await: "'await'", ast.Yield: "'yield'",
    }
    if isinstance(node, ast.Constant):
        return f"the literal {node.value!r}"[:60]
    return kinds.get(type(node), f"'{type(node).__name__}'")


def is_finite_number(value) -> bool:
    """True for a finite real number (Python or SymPy)."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


@lru_cache(maxsize=1024)
def derivative(expr, var):
    """``d expr / d var``, with the step function at 0 taken as 0 (relu'(0) = 0, as PyTorch).

    SymPy differentiates ``Max(0, x)`` to ``Heaviside(x)``, whose value at 0 is 1/2. Kept for the
    next call with the same expression: a kind's check, its solve and its misconceptions ask for the
    same derivatives (SymPy expressions are immutable, so sharing the result is safe).

    >>> derivative(parse_expr("relu(x)"), symbol("x")).subs(symbol("x"), 0)
    0
    """
    result = sp.diff(expr, var)
    if result.has(sp.Heaviside):
        result = result.replace(sp.Heaviside, lambda arg, *h0: sp.Heaviside(arg, 0))
    return result
