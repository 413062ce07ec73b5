"""latex_input: LaTeX answers -> plain math, checked against SymPy's own printer.

Oracle: for a random SymPy expression ``e``, ``sympy.latex(e)`` is the LaTeX a
student could paste; ``parse_expr(latex_to_plain(sympy.latex(e)))`` must be the
same function, checked numerically at random points (complex values allowed,
so log/sqrt of negatives compare too). Hostile input must be refused with a
ParseError pointing at the offending command, quickly, without evaluating it.
"""

import cmath
import random
import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwcheck.errors import ParseError
from hwcheck.expr import parse_expr, symbol
from hwcheck.latex_input import MAX_LENGTH, latex_matrix, latex_to_plain

NAMES = ["x", "y", "a_1", "theta", "W_hh", "lamda"]
SYMS = [symbol(n) for n in NAMES]  # the real symbols parse_expr builds, so that a == b can hold exactly

leaves = st.one_of(
    st.sampled_from(SYMS),
    st.integers(-9, 9).map(sp.Integer),
    st.tuples(st.integers(-9, 9), st.integers(1, 9)).map(lambda t: sp.Rational(*t)),
    st.sampled_from([sp.pi, sp.E, sp.sqrt(2)]),
)
UNARY = [sp.sin, sp.cos, sp.tan, sp.exp, sp.log, sp.sqrt, sp.tanh, sp.sinh, sp.cosh, sp.Abs, sp.asin, sp.atan,
         lambda u: 1 / (1 + sp.exp(-u))]


def build(f):
    """Apply f to a tuple, or fall back to its first item (Max(zoo, x) refuses to be built)."""
    def apply(args):
        try:
            return f(*args)
        except (ValueError, TypeError, ZeroDivisionError):
            return args[0]
    return apply


def extend(inner):
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: t[0](t[1])),
        st.tuples(inner, inner).map(build(lambda a, b: a + b)),
        st.tuples(inner, inner).map(build(lambda a, b: a - b)),
        st.tuples(inner, inner).map(build(lambda a, b: a * b)),
        st.tuples(inner, inner).map(build(lambda a, b: a / b if b != 0 else a)),
        st.tuples(inner, st.sampled_from([2, 3, -1, -2, sp.Rational(1, 2), sp.Rational(2, 3)])).map(
            build(lambda a, n: a ** n if a != 0 else a)),
        st.tuples(inner, st.sampled_from(SYMS)).map(build(lambda a, s: a ** s if a != 0 else a)),
        st.tuples(inner, inner).map(build(sp.Max)),
        st.tuples(inner, inner, inner).map(build(sp.Min)),
    )


expressions = st.recursive(leaves, extend, max_leaves=6)


def values(expr, point):
    subs = {s: point[s.name] for s in expr.free_symbols}
    try:
        v = complex(sp.N(expr.subs(subs), 20))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return v if cmath.isfinite(v) else None


def unprintable(expr) -> bool:
    # LaTeX prints I as 'i' (a variable for a real-valued answer) and zoo as \tilde{\infty}
    return expr.has(sp.I, sp.zoo, sp.nan, sp.oo, -sp.oo)


def same_function(a, b, rng) -> bool:
    """a and b agree at random points (points where either is undefined are skipped)."""
    if a == b:
        return True
    compared = 0
    for _ in range(5):
        point = {n: sp.Rational(rng.randint(-300, 300), 97) for n in NAMES}
        va, vb = values(a, point), values(b, point)
        if va is None or vb is None:
            continue
        if abs(va - vb) > 1e-9 * (1 + abs(va)):
            return False
        compared += 1
    return compared > 0 or a == b or sp.simplify(a - b) == 0


def read(latex):
    return parse_expr(latex_to_plain(latex), implicit=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, seed=st.integers(0, 10**6))
def test_round_trip_through_sympy_latex(expr, seed):
    if unprintable(expr):
        return
    latex = sp.latex(expr)
    if "Max" in str(expr) and r"\max" not in latex or "Min" in str(expr) and r"\min" not in latex:
        pytest.skip("sympy printed Max/Min in another form")
    back = read(latex)
    assert same_function(expr, back, random.Random(seed)), (latex, latex_to_plain(latex), back)


@settings(max_examples=20, deadline=None)
@given(entries=st.lists(st.lists(expressions, min_size=2, max_size=2), min_size=1, max_size=3),
       seed=st.integers(0, 10**6))
def test_matrix_round_trip(entries, seed):
    m = sp.Matrix(entries)
    if unprintable(m):
        return
    rows = latex_matrix(sp.latex(m))
    assert [len(r) for r in rows] == [2] * len(entries)
    rng = random.Random(seed)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            assert same_function(m[r, c], parse_expr(text, implicit=True), rng), (r, c, text)


@pytest.mark.parametrize("latex, plain_expr", [
    (r"\frac{1}{2} x^{2}", "x^2/2"),
    (r"\dfrac{a}{b} + \tfrac12", "a/b + 1/2"),
    (r"\sqrt{x} + \sqrt[3]{8}", "sqrt(x) + 2"),
    (r"x_1 x_{2} W_{hh}", "x_1*x_2*W_hh"),
    (r"2 \cdot 3 \times x", "6x"),
    (r"\left( x + 1 \right) \left[ y - 1 \right]", "(x+1)(y-1)"),
    (r"\{x + 1\}^2", "(x+1)^2"),
    (r"\sin x + \sin(x) + \sin{x} + \sin\left(x\right)", "4 sin(x)"),
    (r"\sin 2x \cos x", "sin(2x) cos(x)"),
    (r"\sin^{2} x + \cos^2(x)", "1"),
    (r"\sin^{-1} x", "asin(x)"),
    (r"\exp(x) - e^{x}", "0"),
    (r"\ln x - \log(x)", "0"),
    (r"\log_{2} 8", "3"),
    (r"\tanh x", "tanh(x)"),
    (r"\sigma(z)", "1/(1 + exp(-z))"),
    (r"\sigma z", "sigma z"),
    (r"\pi r^2", "pi r^2"),
    (r"\max(0, x) + \min\left(x, 1\right)", "max(0, x) + min(x, 1)"),
    (r"\operatorname{relu}(x) + \operatorname{ReLU}(y)", "relu(x) + relu(y)"),
    (r"\mathrm{sigmoid}(x)", "sigmoid(x)"),
    (r"\mathrm{d} x", "d x"),
    (r"x^23", "3 x^2"),
    (r"x \, y \; z \! w \quad v", "x y z w v"),
    (r"|x - 1| + \left|y\right|", "abs(x - 1) + abs(y)"),
    (r"$\alpha + \beta$", "alpha + beta"),
    (r"\lambda \eta", "lamda eta"),
    (r"\bigl(x + 1\bigr)^{2}", "(x + 1)^2"),
    (r"3.5 x", "7x/2"),
    (r"1.0 \cdot 10^{-5}", "1/100000"),
    ("x \u2212 2 \u00d7 y", "x - 2y"),
    (r"relu(x) + sigmoid(x)", "relu(x) + sigmoid(x)"),
])
def test_examples(latex, plain_expr):
    got = read(latex)
    want = parse_expr(plain_expr, implicit=True)
    assert sp.simplify(got - want) == 0, (latex_to_plain(latex), got, want)


def test_matrix_forms():
    assert latex_matrix(r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}") == [["a", "b"], ["c", "d"]]
    assert latex_matrix(r"$\begin{pmatrix} 1 \\ 2 \\ \end{pmatrix}$") == [["1"], ["2"]]
    assert latex_matrix(r"\begin{array}{cc} 1 & x_1 \end{array}") == [["1", "x_1"]]
    assert latex_to_plain(r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}") == "[[a, b], [c, d]]"
    assert latex_matrix(r"x^2 + 1") is None


@pytest.mark.parametrize("latex, message, at", [
    (r"\begin{bmatrix} 1 & 2 \\ 3 \end{bmatrix}", "row 2", None),
    (r"\begin{bmatrix} 1 & \\ 3 & 4 \end{bmatrix}", "empty", "&"),
    (r"2 \begin{bmatrix} 1 \end{bmatrix}", "whole answer", r"\begin"),
    (r"\begin{bmatrix} 1 \end{bmatrix} x", "nothing after", None),
    (r"\begin{vmatrix} 1 \end{vmatrix}", "environment", r"\begin"),
    (r"\begin{document} x \end{document}", "environment", r"\begin"),
    (r"\begin{bmatrix} \begin{bmatrix} 1 \end{bmatrix} \end{bmatrix}", "inside a matrix", r"\begin{bmatrix} 1"),
])
def test_bad_matrices(latex, message, at):
    with pytest.raises(ParseError) as info:
        latex_matrix(latex)
    assert message in info.value.message
    if at is not None:
        assert latex[info.value.offset:].startswith(at), info.value.pointed()


# -- hostile input ---------------------------------------------------------------------------

@pytest.mark.parametrize("latex, command", [
    (r"\input{/etc/passwd}", r"\input"),
    (r"x + \def\x{1}", r"\def"),
    (r"\csname relax\endcsname", r"\csname"),
    ("\\catcode`\\^=11", r"\catcode"),
    (r"\write18{rm -rf /}", r"\write"),
    (r"\immediate\openout", r"\immediate"),
    (r"x^{\include{a}}", r"\include"),
    (r"\newcommand{\f}{x}", r"\newcommand"),
    (r"$\frac{1}{\expandafter x}$", r"\expandafter"),
    (r"\operatorname{system}(1)", r"\operatorname"),
])
def test_dangerous_commands_refused_with_caret(latex, command):
    with pytest.raises(ParseError) as info:
        latex_to_plain(latex)
    assert latex[info.value.offset:].startswith(command), info.value.pointed()
    assert "^" in info.value.pointed()


@pytest.mark.parametrize("latex, offset_char", [
    ("x = 1", "="), ("x % comment", "%"), ("f'(x)", "'"), ("__import__(1)", "_"), ("__import__('os')", "'"),
    ("x \\\\ y", "\\"), ("a & b", "&"), ("x_{t-1}", "-"), ("\\sin", "\\"), ("(x + 1", "("),
    ("x + \u202e", "\u202e"), ("\\left( x", "\\"), ("x \\right)", "\\"), ("{}", "{"),
])
def test_unreadable_refused(latex, offset_char):
    with pytest.raises(ParseError) as info:
        latex_to_plain(latex)
    assert info.value.offset is not None and latex[info.value.offset] == offset_char, info.value.pointed()


@pytest.mark.parametrize("latex", ids=["braces", "sqrt", "frac", "left", "bars", "powers"], argvalues=[
    "{" * 4000 + "x" + "}" * 4000,
    r"\sqrt{" * 1000 + "x" + "}" * 1000,
    r"\frac{1}{" * 800 + "x" + "}" * 800,
    r"\left(" * 1000 + "x" + r"\right)" * 1000,
    "|" * 5000,
    "x^{" * 2000 + "2" + "}" * 2000,
])
def test_deep_nesting_refused_quickly(latex):
    start = time.perf_counter()
    with pytest.raises(ParseError):
        latex_to_plain(latex)
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("size", [MAX_LENGTH + 1, 1 << 20])
def test_long_input_refused_at_once(size):
    for text in ("x" * size, ("x+" * size)[:size], "\\" * size):
        start = time.perf_counter()
        with pytest.raises(ParseError, match="too long"):
            latex_to_plain(text)
        with pytest.raises(ParseError, match="too long"):
            latex_matrix(text)
        assert time.perf_counter() - start < 1


def test_not_text_refused():
    with pytest.raises(ParseError):
        latex_to_plain(["x"])
    with pytest.raises(ParseError, match="empty"):
        latex_to_plain("$ $")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(list("\\{}^_()[]|&$%xy12+-*/ .,=") + [
    "\\frac", "\\sqrt", "\\left", "\\right", "\\sin", "\\begin{bmatrix}", "\\end{bmatrix}", "\\\\"]),
    max_size=30).map("".join))
def test_fuzz_only_parse_errors(text):
    """Any soup of LaTeX pieces either translates to something parse_expr reads or refuses, or is a
    ParseError; never another exception."""
    try:
        out = latex_to_plain(text)
    except ParseError:
        return
    if out.startswith("[["):
        return
    try:
        parse_expr(out, implicit=True)
    except ParseError:
        pass
