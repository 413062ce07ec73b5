"""The allow-list parser: exact numbers, math syntax, and refusals that never reach eval."""

import builtins

import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from hwcheck.errors import ParseError
from hwcheck.expr import Limits, parse_expr, symbol
from hwcheck.schema import exact_number
from hwcheck.spec import read_yaml

x, y = symbol("x"), symbol("y")


@pytest.mark.parametrize("text, expected", [
    ("0.05", sp.Rational(1, 20)),
    ("1e-7", sp.Rational(1, 10**7)),
    ("1/3", sp.Rational(1, 3)),
    ("sqrt(2)/2", sp.sqrt(2) / 2),
    ("2^10", sp.Integer(1024)),
    ("-3.25", sp.Rational(-13, 4)),
    ("e", sp.E),
    ("pi/4", sp.pi / 4),
    ("log(e^2)", sp.Integer(2)),
])
def test_numbers_are_exact(text, expected):
    assert exact_number(text) == expected


def test_yaml_decimals_are_read_as_written():
    data = read_yaml("a: 0.1\nb: 1.0e-3\nc: 1e-7\nd: 3\ne: -2.50", "<t>")
    assert [exact_number(data[k]) for k in "abcde"] == [sp.Rational(1, 10), sp.Rational(1, 1000),
                                                        sp.Rational(1, 10**7), 3, sp.Rational(-5, 2)]


def test_expressions():
    assert parse_expr("x^2 + sin(y)") == x**2 + sp.sin(y)
    assert parse_expr("sigmoid(x)") == 1 / (1 + sp.exp(-x))
    assert parse_expr("max(x, y)") == sp.Max(x, y)
    assert parse_expr("2x cos(x^2)", implicit=True) == 2 * x * sp.cos(x**2)
    assert parse_expr("2(x+1)(x-1)", implicit=True) == 2 * (x + 1) * (x - 1)
    assert parse_expr("x y", implicit=True, symbols=["x", "y"]) == x * y


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "names may not start with '_'"),
    ("x.__class__", "attribute access"),
    ("(lambda: 1)()", "cannot be called"),
    ("lambda: 1", "a lambda"),
    ("open('f')", "unknown function 'open'"),
    ("eval('1')", "unknown function 'eval'"),
    ("[1, 2][0]", "indexing"),
    ("x if y else 1", "'if ... else'"),
    ("x % 2", "the operator '%'"),
    ("x // 2", "the operator '//'"),
    ("'text'", "the literal 'text'"),
    ("x == 1", "a comparison"),
    ("9^9^9", "the exponent is too large"),
    ("10^10^10", "the exponent is too large"),
    ("(10^100)^900", "the number is too large"),
    ("х + 1", "U+0445"),  # Cyrillic kha, a look-alike of x
    ("1/0", "division by zero"),
    ("sin()", "sin() takes 1"),
    ("sin", "needs an argument"),
    ("", "empty"),
    ("x +", "cannot read the expression"),
])
def test_refusals(text, message):
    with pytest.raises(ParseError) as info:
        parse_expr(text)
    assert message in info.value.message


def test_unknown_variable_names_the_allowed_ones():
    with pytest.raises(ParseError, match=r"unknown variable 'z' \(the variables here are: x, y\)"):
        parse_expr("x + z", symbols=["x", "y"])


def test_bounds_on_size_and_depth():
    with pytest.raises(ParseError, match="too long"):
        parse_expr("1+" * 5000 + "1")
    assert parse_expr("(" * 100 + "x" + ")" * 100) == x  # parentheses add no depth
    with pytest.raises(ParseError, match="cannot read the expression"):
        parse_expr("(" * 900 + "x" + ")" * 900)  # Python's own parser limit, reported cleanly
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_expr("sin(" * 100 + "x" + ")" * 100)
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_expr("-" * 200 + "x", limits=Limits(max_length=10_000))


def test_caret_points_at_the_bad_character():
    with pytest.raises(ParseError) as info:
        parse_expr("x + open(1)")
    assert info.value.pointed().splitlines()[-1] == "        ^"


def test_parser_never_calls_eval():
    """eval/exec are never called, and compile only ever builds an AST (ast.parse)."""
    import ast

    real_compile = builtins.compile
    calls = []

    def boom(*args, **kwargs):
        calls.append(args)
        raise AssertionError("eval or exec called")

    def ast_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            boom()
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    saved = builtins.eval, builtins.exec, builtins.compile
    builtins.eval, builtins.exec, builtins.compile = boom, boom, ast_only
    try:
        value = parse_expr("x^2/3 + 0.5 + sqrt(2) + max(x, 1)")
        with pytest.raises(ParseError):
            parse_expr("__import__('os').system('true')")
    finally:
        builtins.eval, builtins.exec, builtins.compile = saved
    assert not calls
    assert value == x**2 / 3 + sp.Rational(1, 2) + sp.sqrt(2) + sp.Max(x, 1)


@settings(max_examples=100, deadline=None)
@given(st.fractions(max_denominator=10**6))
def test_fractions_round_trip(value):
    assert exact_number(str(value)) == sp.Rational(value.numerator, value.denominator)


@settings(max_examples=100, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=6))
def test_decimals_round_trip(value):
    assert exact_number(str(value)) == sp.Rational(str(value))
