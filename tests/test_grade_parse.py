"""Parse and compare phases: syntaxes, shapes, tolerance, maps and lists, expressions, LaTeX.

Expected values come from SymPy's own diff or from the solver's exact key, never
hard-coded results of the grader."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck import api
from hwcheck.grade import compare as cmp
from hwcheck.grade import predicates
from hwcheck.grade.grader import grade_part
from hwcheck.grade.keys import KeySet
from hwcheck.grade.parse import Unreadable, read
from hwcheck.grade.values import Num, from_key

from conftest import PROBLEMS

x, y = sp.symbols("x y")

CHAIN = api.load_problem_text("{id: c, kind: chain_rule, given: {f: 'sin(x^2) * exp(-x)', wrt: x}}")
TOL = api.load_problem_text("""
id: t
kind: init_bounds
given: {scheme: xavier_uniform, n_in: 256, n_out: 128}
parts: {bound: {points: 2, tolerance: {rel: 0.05, abs: 0}}, variance: {points: 1, tolerance: {rel: 0, abs: 0}}}
""")
KEYS = KeySet([CHAIN, TOL, api.load_problem(PROBLEMS / "conv2d-backprop-4x4.yaml"),
               api.load_problem(PROBLEMS / "sgd-stochastic-1d.yaml")])


@pytest.mark.parametrize("text", ["1/8", " 0.125 ", "1.25e-1", "sqrt(6/384)", "2^-3", "(1/2)^3", "0.5^3",
                                  "1/(2*4)", "1 / 8", "$\\frac{1}{8}$", "$\\sqrt{\\frac{6}{384}}$"])
def test_number_syntaxes(text):
    value = read(text, Num.of(sp.Rational(1, 8)))
    assert abs(value.value - 0.125) < 1e-15


@settings(max_examples=30, deadline=None)
@given(st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6))
def test_fractions_and_decimals_read_exactly(q):
    key = Num.of(sp.Rational(q.numerator, q.denominator))
    ctx = cmp.Context(rel=0, abs=0)
    assert cmp.scalar(read(f"{q.numerator}/{q.denominator}", key), key, ctx)[0] == "equal"
    assert cmp.scalar(read(str(q.numerator), Num.of(sp.Integer(q.numerator))), Num.of(sp.Integer(q.numerator)),
                      ctx)[0] == "equal"


def test_derivative_in_student_syntax_matches_sympy_diff():
    key = KEYS["c"]
    from hwcheck.expr import symbol

    X = symbol("x")
    assert sp.simplify(key.parts["derivative"].value.expr - sp.diff(sp.sin(X**2) * sp.exp(-X), X)) == 0
    for text in ["2x cos(x^2) exp(-x) - sin(x^2) exp(-x)", "exp(-x)(2x cos(x^2) - sin(x^2))",
                 "(2*x*cos(x**2) - sin(x**2))/exp(x)", "$e^{-x} \\left(2 x \\cos(x^{2}) - \\sin(x^{2})\\right)$"]:
        assert grade_part(key, "derivative", text).verdict == "correct", text
    wrong = grade_part(key, "derivative", "cos(x^2) exp(-x) - sin(x^2) exp(-x)")
    assert wrong.verdict == "incorrect"


def test_equivalent_but_not_simplified_is_said():
    key = KEYS["c"]
    long = "2x cos(x^2) exp(-x) - sin(x^2) exp(-x) + sin(x)^2 + cos(x)^2 - 1 + (x+1)^2 - x^2 - 2x - 1"
    grade = grade_part(key, "derivative", long)
    assert grade.verdict == "correct" and "can be simplified" in grade.feedback


def test_unknown_variable_is_invalid_with_a_caret():
    grade = grade_part(KEYS["c"], "derivative", "2y cos(y^2)")
    assert grade.verdict == "invalid" and "unknown variable 'y'" in grade.feedback and grade.score == 0


def test_part_tolerance_is_used():
    key = KEYS["t"]
    assert grade_part(key, "bound", "0.13").verdict == "correct"  # within rel 5 %
    assert grade_part(key, "bound", "0.14").verdict == "incorrect"
    assert grade_part(key, "variance", "1/192").verdict == "correct"  # tolerance 0: exact only
    assert grade_part(key, "variance", "0.005208333").verdict == "incorrect"


def test_default_tolerance_edges():
    assert predicates.close(1.0009, 1.0, rel=1e-3, abs=1e-6)
    assert not predicates.close(1.0011, 1.0, rel=1e-3, abs=1e-6)
    assert predicates.close(5e-7, 0.0, rel=1e-3, abs=1e-6)
    assert not predicates.close(float("nan"), 0.0, rel=1, abs=1)


def test_shapes_are_checked_before_values():
    key = KEYS["conv2d-backprop-4x4"]
    dW = key.parts["dL_dW"].value
    rows = [[int(v.exact) for v in dW.items[i * 3:(i + 1) * 3]] for i in range(3)]
    grade = grade_part(key, "dL_dW", rows[:2])
    assert grade.verdict == "incorrect" and "shape 2×3" in grade.feedback and "3×3" in grade.feedback
    grade = grade_part(key, "dL_dW", [rows[0][0]])  # would broadcast in NumPy
    assert grade.verdict == "incorrect" and "shape 1" in grade.feedback
    one_off = [r[:] for r in rows]
    one_off[2][1] += 1
    grade = grade_part(key, "dL_dW", one_off)
    assert grade.verdict == "partial" and grade.score == pytest.approx(4 * 8 / 9, abs=1e-3)
    assert "`[2][1]`" in grade.feedback


def test_non_square_transpose_is_named():
    wide = api.load_problem_text("""
id: w
kind: conv2d_backprop
given: {X: [[1, 2, 0, 1, 3], [0, 1, 2, 1, 1], [2, 1, 0, 0, 1]], W: [[1, -1], [2, 0]], dL_dY: [[1, 0, -1, 2], [0, 1, 1, -1]]}
""")
    key = KeySet([wide])["w"]
    dX = key.parts["dL_dX"].value
    assert dX.shape == (3, 5)
    transposed = [[float(v.value) for v in dX.transposed().items[i * 3:(i + 1) * 3]] for i in range(5)]
    grade = grade_part(key, "dL_dX", transposed)
    assert grade.diagnosis == "transposed" and "transpose" in grade.feedback


def test_vectors_in_any_orientation():
    key = from_key(sp.ImmutableMatrix([[1], [2], [3]]))
    ctx = cmp.Context()
    for raw in ([1, 2, 3], [[1], [2], [3]], [[1, 2, 3]], ["1", "2", "3.0"]):
        assert cmp.compare(read(raw, key), key, ctx).all_right, raw


def test_maps_and_lists():
    key = KEYS["sgd-stochastic-1d"]
    params = [{"w": str(p["w"]), "b": str(p["b"])} for p in key.parts["params"].answer]
    assert grade_part(key, "params", params).verdict == "correct"
    partial = grade_part(key, "params", params[:2] + [{"w": params[2]["w"], "wb": 1}])
    assert partial.verdict == "partial"
    assert "Your list has 3 item(s); 4 were expected" in partial.feedback
    assert "did you mean `w`?" in partial.feedback or "did you mean `b`?" in partial.feedback
    grade = grade_part(key, "params", {"w": 1})
    assert grade.verdict == "invalid" and "Expected a list of 4 item(s), found a map" in grade.feedback


@pytest.mark.parametrize("raw,code", [
    ("sqrt(", "parse"), ("2х", "lookalike"), ([[1, 2], [3]], "type"), ("1e999999", "not_finite"), ("2 + 1e99999999", "number_range"),
    (True, "type"), ("x" * 5000, "too_long"), ("log(0)", "not_finite"), ("sqrt(-2)", "not_real"),
    ("$\\frac{1}{$", "latex"), ("10^400", "parse"),
])
def test_unreadable_codes(raw, code):
    with pytest.raises(Unreadable) as info:
        read(raw, Num.of(sp.Rational(1, 8)))
    assert info.value.code == code or (code == "not_finite" and info.value.code == "number_range")


def test_ragged_matrix_is_invalid_with_its_row():
    key = KEYS["conv2d-backprop-4x4"]
    grade = grade_part(key, "dL_dW", [[1, 2, 3], [1, 2], [1, 2, 3]])
    assert grade.verdict == "invalid" and "item 1" in grade.feedback and "has 2 entries" in grade.feedback
