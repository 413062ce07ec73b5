"""SymPy is imported only when a value needs it: integer and rational data stay Python ints,
Fractions and NumPy arrays from the spec to JSON and Markdown, shown digit for digit as SymPy
shows them."""

import random
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy as sp

from hwcheck import render
from hwcheck.exact import ExactArray, plus_scalar, total

from conftest import PROBLEMS

NO_SYMPY = [
    ("conv2d-backprop-4x4.yaml", "json"),  # integers
    ("conv2d-backprop-4x4.yaml", "md"),
    ("conv2d-stride2-pad1.yaml", "json"),  # decimals (0.5) and a bias
    ("conv2d-stride2-pad1.yaml", "md"),
    ("conv2d-stride2-pad1.yaml", "tex"),
    ("conv2d-stride2-pad1.yaml", "html"),
    ("concept-resnet-skip.yaml", "json"),  # prose
    ("concept-resnet-skip.yaml", "md"),
]


def _solve_in_a_fresh_process(name: str, fmt: str, *args: str) -> subprocess.CompletedProcess:
    code = ("import sys\n"
            "from hwcheck.cli import main\n"
            f"sys.argv = ['hwcheck', 'solve', {str(PROBLEMS / name)!r}, '--format', {fmt!r}, *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print('SYMPY LOADED' if 'sympy' in sys.modules else 'no sympy', file=sys.stderr)\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


@pytest.mark.parametrize("name, fmt", NO_SYMPY)
def test_solve_runs_without_sympy(name, fmt):
    run = _solve_in_a_fresh_process(name, fmt)
    assert run.stderr.strip().endswith("no sympy")
    assert run.stdout.startswith({"json": "{", "md": "# ", "tex": "\\documentclass", "html": "<!DOCTYPE html>"}[fmt])


def test_the_check_is_not_vacuous():
    """An irrational bias needs SymPy, and then it is loaded (so the check above can fail)."""
    code = ("import sys\nfrom hwcheck.api import load_problem_text, render_solution\n"
            "p = load_problem_text('{kind: conv2d_backprop, given: {X: [[1, 2], [3, 4]], W: [[1]], "
            "dL_dY: [[1, 0], [0, 1]], bias: sqrt(2)}}')\n"
            "render_solution(p, format='json')\nprint('sympy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def _random_rational(rng: random.Random) -> Fraction:
    digits = rng.choice([1, 2, 4, 5, 8, 16, 20])
    den = rng.choice([1, 1, rng.randint(1, 10 ** rng.choice([1, 3, 4, 5, 9])), 2 ** rng.randint(0, 60)])
    return Fraction(rng.randint(-10**digits, 10**digits), den)


FILTERS = {
    "num": render.num, "dec": render.dec, "dec3": lambda v: render.dec(v, 3), "approx": render.approx,
    "is_short": render.is_short, "exact_tex": render.exact_tex, "exact_text": render.exact_text,
    "json_value": render.json_value, "is_whole": render.is_whole,
}


@pytest.mark.parametrize("name", FILTERS)
def test_a_fraction_renders_as_sympy_renders_the_rational(name):
    rng = random.Random(name)
    fn = FILTERS[name]
    values = [_random_rational(rng) for _ in range(400)]
    values += [Fraction(0), Fraction(7), Fraction(-3, 4), Fraction(10**15), Fraction(-10**15 + 1),
               Fraction(999999), Fraction(10**6), Fraction(1, 3 * 2**50), Fraction(2**60 + 1, 3)]
    for q in values:
        assert fn(q) == fn(sp.Rational(q.numerator, q.denominator)), (name, q)


@pytest.mark.parametrize("name", ["num", "dec", "exact_tex", "json_value", "is_short", "approx"])
def test_an_int_renders_as_sympy_renders_the_integer(name):
    for n in [0, 5, -7, 999999, 10**6, -10**6 - 1, 10**15 - 1, 10**15, -(10**20) - 3, 123456789]:
        assert FILTERS[name](n) == FILTERS[name](sp.Integer(n)), (name, n)


def test_containers_of_fractions_render_as_sympy_containers():
    rng = random.Random(1)
    for _ in range(60):
        rows = [[_random_rational(rng) for _ in range(3)] for _ in range(2)]
        as_sympy = [[sp.Rational(q.numerator, q.denominator) for q in row] for row in rows]
        assert render.tex(rows) == render.tex(as_sympy)
        assert render.approx(rows[0]) == render.approx(as_sympy[0])
        assert render.exact_text(rows) == render.exact_text(as_sympy)
        assert render.json_value(rows) == render.json_value(as_sympy)


def test_exact_arrays_render_as_their_sympy_matrices():
    rng = random.Random(2)
    for _ in range(40):
        shape = (rng.randint(1, 12), rng.randint(1, 12))
        flat = [_random_rational(rng) for _ in range(shape[0] * shape[1])]
        a = ExactArray.from_fractions(flat, shape)
        m = sp.Matrix(shape[0], shape[1], [sp.Rational(q.numerator, q.denominator) for q in flat])
        assert render.tex(a) == render.tex(m)
        assert render.approx(a) == render.approx(m)
        assert a.strings() == render.exact_text(m)
        assert a.floats() == [[float(v) for v in row] for row in m.tolist()]
        assert a.entry((0, 0)) == flat[0] and total(a) == sum(flat)
        assert plus_scalar(a, Fraction(1, 7)).sympy() == m + sp.ones(*shape) * sp.Rational(1, 7)


def test_prose_is_told_without_the_parser():
    for text in ["Because the derivatives multiply.", "نرخ یادگیری زیاد است", "", "a\nb", "y = F(x) + x"]:
        assert render._surely_prose(text) and render._string_math(text) is None
    for text in ["x^2 + 1", "1/3", "sqrt(2)/2", "x**2", "relu(x)"]:
        assert not render._surely_prose(text) and render._string_math(text) is not None


def test_the_api_imports_only_what_every_command_needs():
    """Format- and language-specific modules load when a command needs them, not with the API."""
    heavy = ["sympy", "numpy", "jinja2", "markdown_it", "latex2mathml", "nh3", "matplotlib",
             "hwcheck.html", "hwcheck.bidi", "hwcheck.textnorm", "hwcheck.variants", "hwcheck.figures",
             "hwcheck.expr", "hwcheck.exact"]
    code = f"import sys, hwcheck.api\nprint([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_an_english_markdown_solution_loads_no_html_or_bidi_code():
    code = ("import sys\nfrom hwcheck import api\n"
            f"api.solve_file({str(PROBLEMS / 'init-he-relu-conv.yaml')!r})\n"
            "print([m for m in ('markdown_it', 'latex2mathml', 'nh3', 'hwcheck.html', 'hwcheck.bidi') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
