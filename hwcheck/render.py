"""Rendering solutions: Jinja2 templates for the words, small filters for the math.

Every sentence a reader sees lives in ``templates/<lang>/``; this module only
turns values into LaTeX, decimals and JSON. Templates use ``<< >>``, ``<% %>``
and ``<# #>`` as delimiters so that TeX braces never collide with Jinja's.
"""

from __future__ import annotations

import re
import sys
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from hwcheck.model import Problem, Solution

FORMATS = ("md", "tex", "json", "html")  # html: the md document as a page (hwcheck.html)
MAX_SHOWN = 10  # rows/columns of a matrix shown in full; larger ones are elided


class _LazySympy:
    """``sp.name`` imports SymPy on first use: integer and rational values (Python ``int`` and
    ``Fraction``) are rendered without it, digit for digit as SymPy renders them."""

    def __getattr__(self, name):
        import sympy

        globals()["sp"] = sympy  # from now on this module's functions use SymPy itself
        return getattr(sympy, name)


sp = _LazySympy()


def _is_exact(value) -> bool:
    """Is ``value`` an ``ExactArray``? Asked without importing hwcheck.exact (and NumPy):
    if no kind has loaded it, no value can be one."""
    exact = sys.modules.get("hwcheck.exact")
    return exact is not None and isinstance(value, exact.ExactArray)


def _is_sympy(value, name: str = "Basic") -> bool:
    """Is ``value`` an instance of ``sympy.<name>``? Asked without importing SymPy: if it is not
    loaded, no value can be one."""
    sympy = sys.modules.get("sympy")
    return sympy is not None and isinstance(value, getattr(sympy, name))


def _is_matrix(value) -> bool:
    return _is_sympy(value, "MatrixBase")


def _rational(value) -> Fraction | None:
    """A Python ``int`` (not a bool) or ``Fraction`` as a Fraction; ``None`` for anything else.
    Such values take the paths below that need no SymPy; a Fraction is shown as SymPy shows a
    Rational, an int as SymPy shows an Integer (``exact_text`` and ``json_value`` keep an int an int)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    return None


def _rational_latex(q: Fraction) -> str:
    r"""SymPy's LaTeX of a Rational: ``7``, ``\frac{1}{512}``, ``- \frac{3}{4}``."""
    if q.denominator == 1:
        return str(q.numerator)
    sign = "- " if q.numerator < 0 else ""
    return rf"{sign}\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def _rational_decimal(q: Fraction, sig: int) -> Decimal:
    """``q`` rounded once, half to even, to ``sig`` significant digits (as ``_to_decimal``)."""
    ctx = Context(prec=sig, rounding=ROUND_HALF_EVEN)
    if q.denominator == 1:
        return ctx.plus(Decimal(q.numerator))
    return ctx.divide(Decimal(q.numerator), Decimal(q.denominator))


def _rational_short(q: Fraction) -> bool:
    if q.denominator == 1:
        return abs(q.numerator) < BIG_INTEGER
    return _digits(q.numerator) <= SHORT_DIGITS and _digits(q.denominator) <= SHORT_DIGITS


def templates_root() -> Path:
    """The templates folder: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "en").is_dir():
            return candidate
    raise FileNotFoundError(f"hwcheck's templates were not found beside {here}")  # a packaging bug


@lru_cache(maxsize=None)
def environment(lang: str = "en") -> "jinja2.Environment":
    import jinja2

    from hwcheck import langs
    from hwcheck.template_cache import bytecode_cache

    langs.check(lang)  # an unknown language is one clear error that lists the languages
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_root() / lang)),
        undefined=jinja2.StrictUndefined,
        block_start_string="<%", block_end_string="%>",
        variable_start_string="<<", variable_end_string=">>",
        comment_start_string="<#", comment_end_string="#>",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False,
        # compiled templates are cached across runs (keyed by the template's source checksum)
        bytecode_cache=bytecode_cache(),
    )
    env.filters.update(fit=fit_display, tex_width=tex_width, tex=tex, num=num, approx=approx, dec=dec, exact_tex=exact_tex, is_short=is_short,
                       exact=exact_text, md2tex=md_to_tex, esc_md=escape_md, esc_tex=escape_tex, is_whole=is_whole)
    # --lang fa: prose digits in Persian (۱۲), and LaTeX for a right-to-left (xepersian) document
    from hwcheck.textnorm import persian_digits

    env.filters.update(fa=persian_digits)
    if langs.direction(lang) == "rtl":
        env.filters.update(md2tex=lambda text: md_to_tex(text, rtl=True))
    env.globals.update(idx=index_text, range=range, len=len, zip=zip, enumerate=enumerate)
    return env


# -- values -> text -----------------------------------------------------------
#
# The number policy (README, "Numbers in solutions"). One scalar is shown
#   - as it is when it is an integer (up to 15 digits);
#   - exactly when ``is_short``: a rational whose numerator and denominator have at
#     most SHORT_DIGITS digits each, or a small numeric expression (a radical, pi, e,
#     a named function) whose rationals are that short and whose LaTeX is at most
#     SHORT_LATEX characters; an expression in variables is always exact;
#   - otherwise as a decimal with SIG significant digits.
# Every decimal is the exact value (or the 50-digit Float a kind settled on) rounded
# once, half to even, with Python's ``decimal``; trailing zeros are dropped, and
# outside 1e-4 <= |v| < 1e6 it is written ``d.ddddd \times 10^{k}``.
# A container (vector, matrix, map, list of vectors) is exact only when every entry is.

SIG = 6  # significant digits of a decimal in a solution
SHORT_DIGITS = 4  # digits of a numerator or denominator shown as a fraction
SHORT_LATEX = 24  # characters of LaTeX for a short exact irrational (\frac{\sqrt{2}}{8})
SHORT_OPS = 6  # operations in a short exact irrational
BIG_INTEGER = 10**15  # an integer at least this large is written in scientific form
_PLAIN_RANGE = (-4, 5)  # decimal exponents printed positionally: 1e-4 <= |v| < 1e6


def _matrix_entries(value):
    if _is_exact(value):
        return value.shape, value.entry
    m = sp.ImmutableMatrix(value)
    return m.shape, lambda ij: m[ij]


def _elided(n: int) -> list[int | None]:
    if n <= MAX_SHOWN:
        return list(range(n))
    return [0, 1, 2, 3, None, n - 2, n - 1]


def _scalar(value: Any):
    """A scalar as a SymPy object (a math string through the allow-list parser), or
    the string itself when it is prose."""
    if isinstance(value, str):
        expr = _string_math(value)
        return value if expr is None else expr
    if _is_sympy(value):
        return value
    if isinstance(value, bool):
        return sp.sympify(value)
    if isinstance(value, float):
        return sp.Float(value, 17) if value == value and abs(value) != float("inf") else sp.sympify(value)
    return sp.sympify(value)


def _is_number(v) -> bool:
    return isinstance(v, sp.Expr) and bool(v.is_number) and not v.has(sp.zoo, sp.nan, sp.oo, -sp.oo)


def _digits(n: int) -> int:
    return len(str(abs(int(n))))


def is_short(value: Any) -> bool:
    """Is ``value`` shown exactly (True) rather than as a decimal (False)?

    >>> is_short(3), is_short(sp.Rational(1, 512)), is_short(sp.Rational(12345, 7))
    (True, True, False)
    >>> is_short(sp.sqrt(2) / 8), is_short(sp.pi / 4), is_short(sp.Symbol("x") ** 2 / 3)
    (True, True, True)
    >>> is_short(sp.Float("0.25", 50)), is_short(sp.exp(-sp.Rational(1, 3)) / (1 + sp.exp(-sp.Rational(1, 3))))
    (False, False)
    """
    q = _rational(value)
    if q is not None:
        return _rational_short(q)
    v = _scalar(value)
    if isinstance(v, str) or not isinstance(v, sp.Expr):
        return True
    return _expr_short(v)


@lru_cache(maxsize=4096, typed=True)  # asked of one value by num, approx and dec, in each step that shows it
def _expr_short(v) -> bool:
    if v.is_Integer:
        return abs(int(v)) < BIG_INTEGER
    if v.is_Rational:
        return _digits(v.p) <= SHORT_DIGITS and _digits(v.q) <= SHORT_DIGITS
    if v.is_Float:
        return False
    if not _is_number(v):
        return True  # an expression in variables is always shown exactly
    if v.has(sp.Float):
        return False
    if any(_digits(r.p) > SHORT_DIGITS or _digits(r.q) > SHORT_DIGITS for r in v.atoms(sp.Rational)):
        return False
    return sp.count_ops(v) <= SHORT_OPS and len(sp.latex(v)) <= SHORT_LATEX


@lru_cache(maxsize=4096)  # a value is shown in several steps and in the Answers: evaluated once
def _to_decimal(v, sig: int) -> Decimal:
    """``v`` (a real SymPy number) rounded once, half to even, to ``sig`` significant digits."""
    ctx = Context(prec=sig, rounding=ROUND_HALF_EVEN)
    if v.is_Integer:
        return ctx.plus(Decimal(int(v)))
    if v.is_Rational:
        return ctx.divide(Decimal(int(v.p)), Decimal(int(v.q)))
    if v.is_Float:
        return ctx.plus(_float_exact(v))
    # an irrational number: evaluate with many guard digits; widen them until the value is
    # clear of a rounding boundary (a tie at the last shown digit)
    for extra in (25, 60, 120):
        f = sp.N(v, sig + extra)
        if not f.is_Float:
            if f.is_Integer or f.is_Rational:
                return _to_decimal(f, sig)
            raise ValueError(f"not a real number: {v}")
        d = _float_exact(f)
        rounded = ctx.plus(d)
        bound = Decimal(10) ** (d.adjusted() - sig - extra + 3)  # the evaluation's error, generously
        lo, hi = ctx.plus(d - bound), ctx.plus(d + bound)
        if lo == hi == rounded:
            return rounded
    return rounded


def _float_exact(f) -> Decimal:
    """The exact binary value of a SymPy Float as a Decimal."""
    sign, man, exp, _ = f._mpf_
    if not man:
        return Decimal(0)
    man = -int(man) if sign else int(man)
    if exp >= 0:
        return Decimal(man * 2 ** int(exp))
    return Decimal(man * 5 ** int(-exp)).scaleb(int(exp))


def format_decimal(d: Decimal) -> str:
    r"""LaTeX for a rounded Decimal: trailing zeros dropped, scientific outside 1e-4 <= |v| < 1e6.

    >>> format_decimal(Decimal("0.1250")), format_decimal(Decimal("-1.23400E-7")), format_decimal(Decimal("1.00000E+6"))
    ('0.125', '-1.234 \\times 10^{-7}', '1 \\times 10^{6}')
    """
    if d.is_zero():
        return "0"
    e = d.adjusted()
    if _PLAIN_RANGE[0] <= e <= _PLAIN_RANGE[1]:
        text = format(d.normalize(), "f")
        return text
    mantissa = format(d.scaleb(-e).normalize(), "f")
    return rf"{mantissa} \times 10^{{{e}}}"


def dec(value: Any, digits: int = SIG) -> str:
    r"""The decimal alone: ``digits`` significant digits, correctly rounded from the exact value.

    >>> dec(sp.sqrt(2) / 8), dec(sp.Rational(2, 3)), dec(sp.Rational(1, 8)), dec(12)
    ('0.176777', '0.666667', '0.125', '12')
    >>> dec(sp.Rational(1, 3) * 10**-7), dec(sp.Rational(-2, 3), 3), dec(sp.Float("0.46211715726000975850", 50))
    ('3.33333 \\times 10^{-8}', '-0.667', '0.462117')
    >>> dec(sp.Rational(9999995, 10)), dec([sp.Rational(1, 3), 2])
    ('1 \\times 10^{6}', '\\begin{bmatrix} 0.333333 \\\\ 2 \\end{bmatrix}')
    """
    if _is_container(value):
        return _container_tex(value, "dec", digits)
    q = _rational(value)
    if q is not None:
        if q.denominator == 1 and abs(q.numerator) < 10**6:
            return str(q.numerator)
        return format_decimal(_rational_decimal(q, digits))
    v = _scalar(value)
    if isinstance(v, str):
        return text_tex(v)
    if not isinstance(v, sp.Expr):
        return sp.latex(v)
    if v.is_Integer and abs(int(v)) < 10**6:
        return str(int(v))
    if not _is_number(v):
        return _latex_rounded(v, digits)
    if v.is_real is False or (v.is_real is None and sp.im(sp.N(v, 30)) != 0):  # real unless it may not be
        re_, im_ = (sp.re(v), sp.im(v))
        return sp.latex(sp.Float(str(_to_decimal(sp.sympify(re_), digits)), digits)
                        + sp.I * sp.Float(str(_to_decimal(sp.sympify(im_), digits)), digits), full_prec=False)
    return format_decimal(_to_decimal(v, digits))


def num(value: Any) -> str:
    r"""LaTeX of one scalar by the number policy: an integer as it is, a short exact form
    exactly, anything else as a decimal with SIG digits. Containers go to ``tex``.

    >>> num(7), num(sp.Rational(1, 512)), num(sp.Rational(-1082022699327332498100696241, 512000000000000000000000000))
    ('7', '\\frac{1}{512}', '-2.11333')
    >>> num(sp.sqrt(2) / 8), num(sp.Symbol("w") / 3), num(sp.Float("0.29837110876000268163", 50))
    ('\\frac{\\sqrt{2}}{8}', '\\frac{w}{3}', '0.298371')
    """
    if value is None:
        return r"\text{--}"
    if _is_container(value):
        return tex(value)
    q = _rational(value)
    if q is not None:
        if q.denominator == 1 and abs(q.numerator) < BIG_INTEGER:
            return str(q.numerator)
        return _rational_latex(q) if _rational_short(q) else dec(q)
    v = _scalar(value)
    if isinstance(v, str):
        return text_tex(v)
    if not isinstance(v, sp.Expr):
        return sp.latex(v)
    if v.is_Integer and abs(int(v)) < BIG_INTEGER:
        return str(int(v))
    if is_short(v):
        return _latex_rounded(v, SIG)
    return dec(v)


def approx(value: Any, digits: int = SIG) -> str:
    r"""``" \approx <decimal>"`` beside an exact form that ``num`` (or ``tex``) shows;
    ``""`` for an integer, an expression in variables, prose, or a value already shown as a decimal.

    >>> approx(sp.Rational(1, 3)), approx(5), approx(sp.Rational(123456, 7)), approx(sp.Symbol("x"))
    (' \\approx 0.333333', '', '', '')
    >>> approx([sp.Rational(1, 2), 1])
    ' \\approx \\begin{bmatrix} 0.5 \\\\ 1 \\end{bmatrix}'
    """
    if _is_container(value):
        entries = list(_leaves(value))
        if _container_exact(entries) and any(_needs_decimal(e) for e in entries):
            return r" \approx " + _container_tex(value, "dec", digits)
        return ""
    if not _needs_decimal(value):
        return ""
    return r" \approx " + dec(value, digits)


def _needs_decimal(value) -> bool:
    """Shown exactly, numeric and not an integer: its decimal belongs beside it."""
    q = _rational(value)
    if q is not None:
        return q.denominator != 1 and _rational_short(q)
    v = _scalar(value)
    if isinstance(v, str) or not isinstance(v, sp.Expr) or not _is_number(v):
        return False
    if v.is_Integer or v.is_Float:
        return False
    return is_short(v)


def is_whole(value: Any) -> bool:
    """True when a value needs no decimal beside it (``approx`` would add nothing); prose is whole."""
    return not approx(value)


def _latex_rounded(v, digits: int) -> str:
    """Exact LaTeX, except that Floats inside an expression are shown rounded to ``digits``."""
    floats = v.atoms(sp.Float) if _is_sympy(v) else ()
    if floats:
        v = v.xreplace({f: sp.Float(str(_to_decimal(f, digits)), digits + 2) for f in floats})
        return sp.latex(v, full_prec=False)
    return sp.latex(v)


def exact_tex(value: Any) -> str:
    """The exact LaTeX of a scalar, whatever its length (for the rare place that must show it)."""
    q = _rational(value)
    if q is not None:
        return _rational_latex(q)
    v = _scalar(value)
    return text_tex(v) if isinstance(v, str) else sp.latex(v)


def _is_container(value) -> bool:
    return isinstance(value, (list, tuple, Mapping)) or _is_matrix(value) or _is_exact(value)


def _leaves(value):
    """Every scalar inside a container (for a large exact array, only the entries shown)."""
    if _is_exact(value) or _is_matrix(value):
        (shape, get) = _matrix_entries(value) if not (_is_exact(value) and value.num.ndim == 1) else \
            ((value.shape[0], 1), lambda ij: value.entry((ij[0],)))
        h, w = shape
        for i in _elided(h):
            for j in _elided(w):
                if i is not None and j is not None:
                    yield get((i, j))
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _container_exact(entries) -> bool:
    return all(is_short(e) for e in entries)


def _entry_tex(v, mode: str, digits: int = SIG) -> str:
    if mode == "dec":
        return dec(v, digits)
    if mode == "exact":
        q = _rational(v)
        if q is not None:
            return _rational_latex(q)
        s = _scalar(v)
        if isinstance(s, str):
            return text_tex(s)
        if v is None:
            return r"\text{--}"
        return _latex_rounded(s, digits) if isinstance(s, sp.Expr) else sp.latex(s)
    return num(v)


def tex(value: Any) -> str:
    r"""LaTeX for a value by the number policy: a scalar as ``num`` shows it; a vector (list),
    matrix, map or list of vectors with every entry exact when every entry is short, and
    otherwise every non-integer entry as a decimal (never fractions beside decimals).

    >>> tex(sp.Rational(1, 8)), tex([1, sp.sqrt(2)])
    ('\\frac{1}{8}', '\\begin{bmatrix} 1 \\\\ \\sqrt{2} \\end{bmatrix}')
    >>> tex([sp.Rational(1, 3), sp.Rational(12345, 7)])
    '\\begin{bmatrix} 0.333333 \\\\ 1763.57 \\end{bmatrix}'
    """
    if not _is_container(value):
        return num(value)
    mode = "exact" if _container_exact(list(_leaves(value))) else "dec"
    return _container_tex(value, mode)


def _container_tex(value, mode: str, digits: int = SIG) -> str:
    def one(v):
        return _container_tex(v, mode, digits) if _is_container(v) else _entry_tex(v, mode, digits)

    if _is_matrix(value) or _is_exact(value):
        if _is_exact(value) and value.num.ndim == 1:
            return _container_tex([value.entry((i,)) for i in range(value.shape[0])], mode, digits)
        (h, w), get = _matrix_entries(value)
        rows = []
        for i in _elided(h):
            if i is None:
                rows.append(" & ".join(r"\vdots" if j is not None else r"\ddots" for j in _elided(w)))
                continue
            rows.append(" & ".join(r"\cdots" if j is None else one(get((i, j))) for j in _elided(w)))
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
    if isinstance(value, Mapping):
        items = r",\; ".join(f"{key_tex(k)}: {one(v)}" for k, v in value.items())
        return r"\left\lbrace " + items + r" \right\rbrace"
    # a list
    if value and all(_is_container(v) for v in value):
        if len(value) > 2 * MAX_SHOWN:  # a long trace of points: the first and last few
            return r",\; ".join([one(v) for v in value[:4]] + [r"\dots"] + [one(v) for v in value[-2:]])
        return r",\; ".join(one(v) for v in value)
    if len(value) > 2 * MAX_SHOWN:
        items = [one(v) for v in value[:4]] + [r"\vdots"] + [one(v) for v in value[-2:]]
    else:
        items = [one(v) for v in value]
    return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"


def key_tex(key) -> str:
    """A map key in math: a variable name as a symbol (``x_1``), longer names upright
    (an underscore becomes a space: GitHub drops ``\\_`` in inline math).

    >>> key_tex("x_1"), key_tex("first_moment")
    ('x_{1}', '\\\\mathrm{first\\\\ moment}')
    """
    name = str(key)
    if re.fullmatch(r"[A-Za-z](_?[A-Za-z0-9]{0,2})?", name):
        return sp.latex(sp.Symbol(name))
    return r"\mathrm{" + escape_tex(name.replace("_", " ")).replace(" ", r"\ ") + "}"


def _string_math(value: str):
    """A string answer read as math through the allow-list parser (never ``sympify``, which evals);
    ``None`` when it is prose (a ``concept`` answer)."""
    if _surely_prose(value):
        return None
    from hwcheck.errors import ParseError
    from hwcheck.expr import parse_expr

    try:
        return parse_expr(value)
    except (ParseError, ValueError, TypeError, ArithmeticError, RecursionError):
        return None


def _surely_prose(text: str) -> bool:
    """True when the expression parser would refuse ``text`` for the reasons it checks first (so
    prose is told without importing the parser and SymPy): a character outside printable ASCII,
    or, in text without ``^`` or ``**`` (which the parser rewrites first), Python syntax errors.

    >>> _surely_prose("Because the derivatives multiply."), _surely_prose("نرخ یادگیری"), _surely_prose("x^2 + 1")
    (True, True, False)
    """
    import ast

    source = text.strip()
    if not source.isascii() or not source.replace("\t", " ").isprintable():
        return True
    if "^" in source or "**" in source:
        return False
    try:
        ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return False


def text_tex(value: str) -> str:
    r"""Prose for math mode: ``\text{...}`` with white space collapsed and TeX specials escaped.

    >>> text_tex("ReLU & skip\n connections")
    '\\text{ReLU \\& skip connections}'
    >>> tex("Because the derivatives multiply."), tex("1/8")
    ('\\text{Because the derivatives multiply.}', '\\frac{1}{8}')
    """
    return r"\text{" + escape_tex(" ".join(value.split())) + "}"


decimal = dec  # the former name


def exact_text(value: Any) -> Any:
    """The exact form in SymPy syntax, in the nesting of the value (SPEC section 3)."""
    if _is_exact(value):
        return value.strings()
    if _is_matrix(value):
        return [[sp.sstr(v) for v in row] for row in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): exact_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [exact_text(v) for v in value]
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int)) or value is None:
        return value
    if isinstance(value, Fraction):
        return str(value)  # as SymPy writes a Rational: 3/4, -5, 7
    return sp.sstr(sp.sympify(value))


# float(Fraction) rounds once; the SymPy path below rounds a 30-digit value to a float. Both give
# the same float while the denominator is below 2**46 and the value below 2**53: the 30-digit value
# then never lands on a midpoint between two floats unless the exact value does.
_SAFE_DENOMINATOR = 2**46


def json_value(value: Any) -> Any:
    """Numbers as JSON numbers (each rounded once from the exact value); symbols as text."""
    if _is_exact(value):
        return value.floats()
    if _is_matrix(value):
        return [[json_value(v) for v in row] for row in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return value.numerator
        if value.denominator < _SAFE_DENOMINATOR and abs(value.numerator) < value.denominator * 2**53:
            return float(value)
    value = sp.sympify(value)
    if value.is_Integer:
        return int(value)
    if value.is_number:
        return float(sp.N(value, 30))
    return sp.sstr(value)


def index_text(index) -> str:
    """Matrix indices for display: (0, 1) -> '0,1'."""
    return ",".join(str(i) for i in index)


# -- text for one format ----------------------------------------------------------

_MATH = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+?\$)", re.S)
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "$": r"\$"}


# GitHub applies Markdown's backslash escapes (a backslash before ASCII punctuation) inside
# inline $...$ math before MathJax sees it: \{ becomes {, \, becomes a comma, \\ becomes \.
# Markdown output rewrites these in inline math into the letter-named commands MathJax knows.
_GITHUB_INLINE = {"\\\\": r"\cr", "\\{": r"\lbrace", "\\}": r"\rbrace", "\\,": r"\thinspace",
                  "\\;": "\\ ", "\\:": "\\ ", "\\|": r"\Vert"}
_INLINE_ESCAPE = re.compile(r"(\\\\|\\[{},;:|])([A-Za-z]?)")


def github_math(text: str) -> str:
    r"""Markdown whose inline math survives GitHub's renderer (display math is left as it is).

    >>> print(github_math(r"$A = \{1,\; 2\}$, $\begin{bmatrix} 1 \\ 2 \end{bmatrix}$, $\sigma\,(1)$, $$a \\ b$$"))
    $A = \lbrace1,\  2\rbrace$, $\begin{bmatrix} 1 \cr 2 \end{bmatrix}$, $\sigma\thinspace(1)$, $$a \\ b$$
    """
    def command(m: re.Match) -> str:
        name, letter = _GITHUB_INLINE[m.group(1)], m.group(2)
        return name + (" " + letter if letter and name[-1].isalpha() else letter)

    def inline(m: re.Match) -> str:
        span = m.group(0)
        if span.startswith("$$"):
            return span
        return "$" + _INLINE_ESCAPE.sub(command, span[1:-1]) + "$"

    parts = _VERBATIM.split(text)  # code and HTML comments (a TikZ/LaTeX twin of a figure) are not math
    return "".join(p if i % 2 else _MATH.sub(inline, p) for i, p in enumerate(parts))


_VERBATIM = re.compile(r"(```.*?```|<!--.*?-->|`[^`\n]*`)", re.S)


def escape_tex(text: Any) -> str:
    """Escape plain text for LaTeX (no math inside)."""
    return "".join(_TEX_SPECIAL.get(c, c) for c in str(text))


def escape_md(text: Any) -> str:
    """Escape text from outside (a student's answer) so Markdown shows it verbatim."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>$])", r"\\\1", str(text))


def md_to_tex(text: str, rtl: bool = False) -> str:
    """The small Markdown subset hwcheck's templates and statements use, as LaTeX.

    Paragraphs, ``**bold**``, ``*italic*``, `` `code` ``, ``- `` lists,
    ``$...$`` and ``$$...$$`` math (kept as math). A line with Persian (Arabic
    script) becomes ``\\hwfa{...}``, a right-to-left paragraph that
    ``solution.tex.j2`` typesets with ArabTeX; see ``_rtl_tex``. With ``rtl`` (a
    right-to-left document: ``--lang fa``, XeLaTeX with xepersian) every line is
    right to left and its left-to-right runs are set in ``\\lr{...}``; see ``_rtl_line_tex``.

    Two blocks are for one format only: a ```` ```mermaid ```` fenced block (a drawing that
    GitHub renders) is left out, and a ``<!-- latex ... -->`` block (hidden in Markdown) is
    LaTeX written by a kind template, passed through as it is:

    >>> print(md_to_tex("A *graph*:\\n```mermaid\\nflowchart LR\\n```\\n<!-- latex\\n\\\\begin{picture}(1,1)\\\\end{picture}\\n-->"))
    A \\emph{graph}:
    \\begin{picture}(1,1)\\end{picture}
    """
    if "```mermaid" in text or "<!-- latex" in text:
        return "\n".join(piece[len("<!-- latex"):-len("-->")].strip("\n") if piece.startswith("<!-- latex")
                         else md_to_tex(piece.strip("\n"), rtl) for piece in _ONE_FORMAT.split(text)
                         if piece.strip() and not piece.startswith("```mermaid"))
    line_tex = _rtl_line_tex if rtl else _line_tex
    out_lines: list[str] = []
    in_list = False
    for block in _split_display(text):
        if block.startswith("$$"):
            if in_list:
                out_lines.append(r"\end{itemize}")
                in_list = False
            out_lines.append(fit_display(block[2:-2]))
            continue
        for line in block.split("\n"):
            item = re.match(r"^\s*[-*]\s+(.*)$", line)
            if item and not line.strip().startswith("**"):
                if not in_list:
                    out_lines.append(r"\begin{itemize}")
                    in_list = True
                out_lines.append(r"\item " + line_tex(item.group(1)))
                continue
            if in_list and line.strip():
                out_lines.append(r"\end{itemize}")
                in_list = False
            heading = re.match(r"^(#+)\s+(.*)$", line)
            if heading:
                out_lines.append(r"\paragraph{" + (_rtl_line_tex if rtl else _inline_tex)(heading.group(2)) + "}")
            else:
                out_lines.append(line_tex(line))
    if in_list:
        out_lines.append(r"\end{itemize}")
    return "\n".join(out_lines)


_ONE_FORMAT = re.compile(r"(```mermaid\n.*?\n```|<!-- latex\n.*?\n-->)", re.S)


# -- display math that fits the LaTeX page ---------------------------------------------------
#
# A4 with 2.2 cm margins leaves about 470pt, some 85 digits at 11pt. Widths below are estimated
# in digit widths; a display wider than FIT_WIDTH is broken at its top-level relations and commas
# into the lines of an aligned block (flush left); a single piece still too wide (a wide matrix) is scaled down to
# the line as a last resort.

FIT_WIDTH = 66.0
_WIDE_OPS = {r"\approx": 2.5, r"\cdot": 1.2, r"\times": 2, r"\to": 2.5, r"\le": 2.5, r"\ge": 2.5,
             r"\quad": 2, r"\qquad": 4, r"\;": 0.5, r"\,": 0.3, r"\ ": 0.6, r"\!": -0.3, r"\dots": 2,
             r"\cdots": 2.5, r"\ldots": 2, r"\longrightarrow": 3.5, r"\Rightarrow": 2.5, r"\mapsto": 2.5,
             r"\left": 0, r"\right": 0, r"\displaystyle": 0, r"\limits": 0, r"\hline": 0, r"\big": 0.3,
             r"\Big": 0.4, r"\bigg": 0.5, r"\Bigg": 0.6, r"\top": 1, r"\partial": 1}
_NO_WIDTH_ARGS = {r"\mathbf", r"\mathrm", r"\operatorname", r"\boldsymbol", r"\mathcal", r"\hat", r"\bar",
                  r"\tilde", r"\vec", r"\overline", r"\mathbb", r"\operatorname*"}


def _group(s: str, i: int) -> tuple[str, int]:
    """The brace group starting at ``s[i] == '{'``: (its inside, the index after it)."""
    depth, j = 0, i
    while j < len(s):
        if s[j] == "\\":
            j += 2
            continue
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return s[i + 1:j], j + 1
        j += 1
    return s[i + 1:], len(s)


def _environment(s: str, i: int, name: str) -> tuple[str, int]:
    r"""The body of ``\begin{name}`` whose ``{name}`` ends at ``i``, and the index after ``\end{name}``."""
    depth, j = 1, i
    pattern = re.compile(r"\\(begin|end)\{" + re.escape(name) + r"\}")
    for m in pattern.finditer(s, i):
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return s[i:m.start()], m.end()
    return s[i:], len(s)


def _top_split(s: str, seps: tuple[str, ...]) -> list[str]:
    """``s`` split at ``seps`` outside braces and environments."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(s):
        if s.startswith(r"\begin", i):
            depth += 1
        elif s.startswith(r"\end", i):
            depth -= 1
        if s[i] == "\\" and depth == 0 and not s.startswith("\\\\", i):
            i += 2
            continue
        if s[i] == "{":
            depth += 1
        elif s[i] == "}":
            depth -= 1
        if depth == 0:
            for sep in seps:
                if s.startswith(sep, i):
                    out.append(s[start:i])
                    i += len(sep)
                    start = i
                    break
            else:
                i += 1
            continue
        i += 2 if s[i] == "\\" else 1
    out.append(s[start:])
    return out


def tex_width(s: str, scale: float = 1.0) -> float:
    r"""The estimated printed width of math LaTeX, in digit widths (about 5.5pt at 11pt).

    >>> tex_width("12 + 34") == tex_width("1234") + 2.2
    True
    >>> tex_width(r"\begin{bmatrix} 1 & 22 \\ 333 & 4 \end{bmatrix}") > tex_width("333 & 22")
    True
    """
    width, i, n = 0.0, 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+\*?|.)", s[i:], re.S)
            if m is None:  # a lone backslash at the end
                break
            name = m.group(0)
            i += len(name)
            if name == r"\begin":
                env, i = _group(s, i)
                if env == "array" and i < n and s[i] == "{":
                    _, i = _group(s, i)
                body, i = _environment(s, i, env)
                width += _matrix_width(body, scale)
            elif name in (r"\frac", r"\dfrac", r"\tfrac", r"\binom"):
                a, i = _group(s, i) if i < n and s[i] == "{" else (s[i:i + 1], i + 1)
                b, i = _group(s, i) if i < n and s[i] == "{" else (s[i:i + 1], i + 1)
                inner = 1.0 if name == r"\dfrac" else 0.8
                width += max(tex_width(a, scale * inner), tex_width(b, scale * inner)) + 0.4 * scale
            elif name in (r"\text", r"\mathrm", r"\operatorname", r"\textbf", r"\mathit") and i < n and s[i] == "{":
                inside, i = _group(s, i)
                width += (len(inside) * 0.95 if name.startswith(r"\text") else tex_width(inside, scale)) * scale
            elif name == r"\sqrt":
                if i < n and s[i] == "[":
                    i = s.index("]", i) + 1
                inside, i = _group(s, i) if i < n and s[i] == "{" else (s[i:i + 1], i + 1)
                width += tex_width(inside, scale) + 1.2 * scale
            elif name in _NO_WIDTH_ARGS:
                pass
            elif name in _WIDE_OPS:
                width += _WIDE_OPS[name] * scale
            elif name == "\\\\":
                pass
            else:
                width += scale  # a Greek letter, a symbol, a named function's letters
                if name[1:] in ("sin", "cos", "tan", "tanh", "exp", "log", "ln", "max", "min", "diag", "sigma"):
                    width += (len(name) - 2) * 0.9 * scale
            continue
        if c in "^_":
            i += 1
            if i < n and s[i] == "{":
                inside, i = _group(s, i)
            else:
                inside, i = s[i:i + 1], i + 1
            width += tex_width(inside, scale * 0.7)
            continue
        if c == "{":
            inside, i = _group(s, i)
            width += tex_width(inside, scale)
            continue
        if c in "+-=<>":
            width += 2.2 * scale
        elif c in ",;":
            width += 0.6 * scale
        elif c in " }&":
            pass
        elif c == ".":
            width += 0.5 * scale
        else:
            width += scale
        i += 1
    return width


def _matrix_width(body: str, scale: float) -> float:
    rows = [r for r in _top_split(body, ("\\\\", r"\cr")) if r.strip() and r.strip() != r"\hline"]
    cells = [[tex_width(c.replace(r"\hline", ""), scale) for c in _top_split(r, ("&",))] for r in rows]
    if not cells:
        return 0.0
    cols = max(len(r) for r in cells)
    widths = [max((r[j] for r in cells if j < len(r)), default=0.0) for j in range(cols)]
    return sum(widths) + 2.0 * scale * (cols - 1) + 2.0 * scale


_BREAKS = ("=", r"\approx", r"\le", r"\ge", r"\to", r",\;", r",\ ", r",\quad", r", ")


def fit_display(math: str, width: float = FIT_WIDTH) -> str:
    r"""Display math for LaTeX that fits the line: ``\[...\]`` when it does; otherwise its
    top-level relations and commas start new lines of an ``aligned`` block; a piece that alone is
    too wide (a wide matrix) is scaled to the line width.

    >>> fit_display("x = 1")
    '\\[x = 1\\]'
    >>> print(fit_display(r"x = " + r",\; ".join(f"v_{{{k}}}" for k in range(30)), 40))
    \[\begin{aligned}
    &x = v_{0},\; v_{1},\; v_{2},\; v_{3},\; v_{4},\; v_{5},\; v_{6},\; v_{7},\; v_{8},\; v_{9},\; v_{10},\; v_{11},\; \\
    &v_{12},\; v_{13},\; v_{14},\; v_{15},\; v_{16},\; v_{17},\; v_{18},\; v_{19},\; v_{20},\; v_{21},\; v_{22},\; \\
    &v_{23},\; v_{24},\; v_{25},\; v_{26},\; v_{27},\; v_{28},\; v_{29}
    \end{aligned}\]
    """
    math = math.strip()
    if tex_width(math) <= width:
        return r"\[" + math + r"\]"
    pieces = [p for piece in _pieces(math) for p in
              (_top_split_keep(piece, (" + ", " - ")) if tex_width(piece) > width else [piece])]
    lines: list[str] = []
    for piece in pieces:
        if lines and tex_width(lines[-1] + piece) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    lines = [_scaled(line.strip(), width) for line in lines if line.strip()]
    if len(lines) == 1:
        return r"\[" + lines[0] + r"\]"
    return "\\[\\begin{aligned}\n" + " \\\\\n".join("&" + line for line in lines) + "\n\\end{aligned}\\]"


def _pieces(math: str) -> list[str]:
    """``math`` cut before each top-level relation and after each top-level comma."""
    marks = []
    depth, i = 0, 0
    while i < len(math):
        if math.startswith(r"\begin", i) or math.startswith(r"\left", i):
            depth += 1
        elif math.startswith(r"\end", i) or math.startswith(r"\right", i):
            depth -= 1
        ch = math[i]
        if ch in "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if depth == 0:
            if ch == "=" or any(math.startswith(r, i) and not math[i + len(r):i + len(r) + 1].isalpha()
                                for r in (r"\approx", r"\le", r"\ge", r"\to")):
                marks.append(("before", i))
            elif ch == ",":
                sep = re.match(r",\s*(\\[;, ]|\\quad\b|\\qquad\b)?\s*", math[i:])
                marks.append(("after", i + len(sep.group(0))))
        i += 2 if ch == "\\" and depth == 0 and i + 1 < len(math) and not math[i + 1].isalpha() else 1
    cuts = sorted({0, len(math)} | {pos for _, pos in marks})
    return [math[a:b] for a, b in zip(cuts, cuts[1:]) if math[a:b]]


def _top_split_keep(s: str, seps: tuple[str, ...]) -> list[str]:
    """``s`` cut before each top-level ``seps`` (kept at the start of the next piece)."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(s):
        if s.startswith(r"\begin", i) or s.startswith(r"\left", i):
            depth += 1
        elif s.startswith(r"\end", i) or s.startswith(r"\right", i):
            depth -= 1
        if s[i] == "{":
            depth += 1
        elif s[i] == "}":
            depth -= 1
        if depth == 0 and i > start and any(s.startswith(sep, i) for sep in seps):
            out.append(s[start:i])
            start = i
        i += 2 if s[i] == "\\" else 1
    out.append(s[start:])
    return out


def _scaled(line: str, width: float) -> str:
    """A line that is still too wide: a list of items inside it is broken first (nothing to do
    here), else the line is scaled to the text width (the last resort)."""
    if tex_width(line) <= width * 1.02:
        return line
    return r"\resizebox{\linewidth}{!}{$\displaystyle " + line + "$}"


def _split_display(text: str) -> list[str]:
    parts = re.split(r"(\$\$.+?\$\$)", text, flags=re.S)
    return [p for p in parts if p]


# Symbols that pdflatex's utf8 input cannot typeset in text: set them as math.
_TEXT_SYMBOLS = {"≈": r"$\approx$", "×": r"$\times$", "→": r"$\to$", "−": r"$-$", "≤": r"$\le$",
                 "≥": r"$\ge$", "≠": r"$\ne$", "∂": r"$\partial$", "∑": r"$\sum$", "√": r"$\surd$",
                 "η": r"$\eta$", "σ": r"$\sigma$", "ρ": r"$\rho$", "α": r"$\alpha$", "β": r"$\beta$",
                 "γ": r"$\gamma$", "δ": r"$\delta$", "ε": r"$\varepsilon$", "θ": r"$\theta$",
                 "λ": r"$\lambda$", "μ": r"$\mu$", "∇": r"$\nabla$", "∈": r"$\in$", "⋅": r"$\cdot$"}

# Persian/Arabic letters (with the Arabic-script presentation forms).
_ARABIC = "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff"
_RTL_LETTER = re.compile(f"[{_ARABIC}]")
_RTL_WORD = f"[{_ARABIC}][{_ARABIC}\u200c\u200d\u200f]*"
_RTL_RUN = re.compile(f"({_RTL_WORD}(?:[ \t]+{_RTL_WORD})*)")  # Persian words and the spaces between them
_STRONG = re.compile(f"[A-Za-z{_ARABIC}]")


def _line_tex(line: str) -> str:
    r"""One line of text. Its first letter sets its direction (as in Unicode's bidi rule):
    a Persian line is a right-to-left paragraph (``_rtl_tex``); a Latin line keeps its
    Persian phrases as inline right-to-left runs, ``\hwfarun{...}``.

    >>> print(_line_tex("`same` (2 pts): same output, \"خروجی تمام نرون‌ها یکسان\", `تقارن`"))
    \texttt{same} (2 pts): same output, "\hwfarun{خروجی تمام نرون‌ها یکسان}", \hwfarun{تقارن}
    """
    first = _STRONG.search(_MATH.sub("", line))
    if first is not None and _RTL_LETTER.match(first.group()):
        return _rtl_tex(line)
    return _inline_tex(line)


def _rtl_tex(line: str) -> str:
    r"""A Persian line as ``\hwfa{...}``: Persian runs as they are (ArabTeX reads UTF-8),
    everything else (Latin words, numbers, math, code) inside ``\LR{...}`` so that it
    is set left to right and never read as ArabTeX transliteration.

    >>> print(_rtl_tex("چرا He برای ReLU مناسب است؟ ($x_1$)"))
    \hwfa{چرا \LR{He} برای \LR{ReLU} مناسب است؟ (\LR{$x_1$})}
    """
    out = []
    for piece in _MATH.split(line):
        if piece.startswith("$"):
            out.append(r"\LR{" + piece + "}")
            continue
        for run in _RTL_RUN.split(piece):
            if not run or _RTL_LETTER.match(run):
                out.append(run)
                continue
            lead, core, trail = re.match(r"^([\s()]*)(.*?)([\s()]*)$", run, re.S).groups()
            out.append(lead + (r"\LR{" + _inline_tex(core) + "}" if core else "") + trail)
    return r"\hwfa{" + "".join(out).strip() + "}"


def _rtl_line_tex(line: str) -> str:
    r"""One line of a right-to-left document (XeLaTeX, xepersian): math stays math (the bidi
    package sets it left to right), and code and every left-to-right run of text
    (``hwcheck.bidi.ltr_runs``) go in ``\lr{...}``, so that ``-2`` never becomes ``2-``.

    >>> print(_rtl_line_tex("**گام ۱.** مقدار $x_1$ برابر -2 است و `ReLU` و (1, -2, 3)."))
    \textbf{گام ۱.} مقدار $x_1$ برابر \lr{-2} است و \lr{\texttt{ReLU}} و \lr{(1, -2, 3)}.
    """
    from hwcheck import bidi

    kept: list[str] = []

    def keep(tex_text: str) -> str:  # placeholders hold no letter or digit, so no run crosses them
        kept.append(tex_text)
        return "\ue000" + chr(0xE100 + len(kept) - 1) + "\ue001"

    text = _MATH.sub(lambda m: keep(m.group(0)), line)
    text = re.sub(r"`[^`]+`", lambda m: keep(m.group(0)[1:-1].strip() if _RTL_LETTER.search(m.group(0))
                                          else r"\lr{\texttt{" + escape_tex(m.group(0)[1:-1]) + "}}"), text)
    text = bidi.wrap(text, bidi.ltr_runs(text), lambda piece: piece,
                     lambda piece: keep(r"\lr{" + _inline_tex(piece) + "}"))
    text = escape_tex(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", text)
    text = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*", r"\\emph{\1}", text)
    text = "".join(_TEXT_SYMBOLS.get(c, c) for c in text)
    for _ in range(3):  # kept pieces may hold kept pieces
        text = re.sub("\ue000(.)\ue001", lambda m: kept[ord(m.group(1)) - 0xE100], text)
    return text


def _code_tex(code: str) -> str:
    """A code span; a Persian one (a rubric phrase) is set as a right-to-left run instead."""
    if _RTL_LETTER.search(code):
        return r"\hwfarun{" + code.strip() + "}"
    return r"\texttt{" + escape_tex(code) + "}"


def _inline_math_tex(span: str) -> str:
    """Inline math as it is, unless it is too wide for a line: then it is displayed, broken to fit."""
    inner = span[2:-2] if span.startswith("$$") else span[1:-1]
    if span.startswith("$$") or tex_width(inner) > FIT_WIDTH * 0.9:
        return "\n" + fit_display(inner) + "\n"
    return span


def _inline_tex(line: str) -> str:
    r"""One line of Markdown text as LaTeX. Math and code spans are set aside first, so that
    ``**bold**`` and ``*italic*`` may contain them.

    >>> print(_inline_tex("**Update $1$ of $6$** (`order_1`): 50% *new*"))
    \textbf{Update $1$ of $6$} (\texttt{order\_1}): 50\% \emph{new}
    """
    kept: list[str] = []

    def keep(tex_text: str) -> str:
        kept.append(tex_text)
        return f"\x00{len(kept) - 1}\x00"

    text = _MATH.sub(lambda m: keep(_inline_math_tex(m.group(0))), line)
    text = re.sub(r"`[^`]+`", lambda m: keep(_code_tex(m.group(0)[1:-1])), text)
    text = _RTL_RUN.sub(lambda m: keep(r"\hwfarun{" + m.group(0) + "}"), text)  # Persian inside a Latin line
    text = escape_tex(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", text)
    text = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*", r"\\emph{\1}", text)
    text = "".join(_TEXT_SYMBOLS.get(c, c) for c in text)
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)


# -- documents --------------------------------------------------------------------

def kind_module(problem: Problem, lang: str = "en"):
    """The kind's template as a module: its ``labels``, ``titles``, ``conventions()`` and step macros."""
    context = {"given": problem.given, "notation": dict(getattr(problem, "notation", None) or {})}
    return environment(lang).get_template(f"kinds/{problem.kind}.j2").make_module(context)


def step_views(problem: Problem, solution: Solution, lang: str = "en") -> list[dict]:
    """Each step rendered in Markdown: ``{"macro", "title", "text"}``."""
    module = kind_module(problem, lang)
    titles = getattr(module, "titles")
    views = []
    for step in solution.steps:
        macro = getattr(module, step.macro)
        views.append({"macro": step.macro, "title": titles[step.macro],
                      "text": str(macro(**step.data)).strip()})
    return views


def answer_views(problem: Problem, solution: Solution, lang: str = "en") -> list[dict]:
    module = kind_module(problem, lang)
    labels = getattr(module, "labels")
    views = []
    for part in problem.parts:
        value = solution.answers[part.name]
        views.append({"name": part.name, "label": labels[part.name], "value": value, "points": part.points,
                      "scalar": not (isinstance(value, (list, tuple, dict)) or _is_matrix(value) or _is_exact(value)),
                      "prose": isinstance(value, str) and _string_math(value) is None,
                      "tex": tex(value)})
    return views


def document(problem: Problem, solution: Solution, fmt: str = "md", lang: str = "en", *,
             figures: list[dict] | None = None) -> str:
    """The worked solution as a Markdown or a standalone LaTeX document.

    ``figures``: ``[{"name", "file"}]`` drawn beside the document (``api.write_solution``);
    their captions come from the kind template's ``figure_titles``.
    """
    env = environment(lang)
    context = {
        "problem": problem,
        "steps": step_views(problem, solution, lang),
        "answers": answer_views(problem, solution, lang),
        "conventions": _conventions(problem, lang),
        "figures": figure_views(problem, figures or [], lang),
    }
    text = env.get_template(f"solution.{fmt}.j2").render(**context)
    return github_math(text) if fmt == "md" else text


def figure_views(problem: Problem, figures: list[dict], lang: str = "en") -> list[dict]:
    """Each figure with its caption (the kind template's ``figure_titles``, else its name)."""
    if not figures:
        return []
    module = kind_module(problem, lang)
    titles = getattr(module, "figure_titles", {})
    return [{**f, "title": titles.get(f["name"], f["name"])} for f in figures]


def _conventions(problem: Problem, lang: str) -> str:
    module = kind_module(problem, lang)
    return str(module.conventions()).strip()


def answer_key(problem: Problem, solution: Solution, lang: str = "en") -> dict:
    """The answer key of SPEC section 3."""
    answers = {}
    for view in answer_views(problem, solution, lang):
        part = next(p for p in problem.parts if p.name == view["name"])
        answers[view["name"]] = {
            "value": json_value(view["value"]),
            "exact": exact_text(view["value"]),
            "latex": view["tex"],
            "points": part.points,
            "tolerance": dict(part.tolerance),
        }
    steps = []
    for view in step_views(problem, solution, lang):
        displays = [m.strip() for m in re.findall(r"\$\$(.+?)\$\$", view["text"], flags=re.S)]
        steps.append({"title": view["title"], "text": view["text"], "latex": displays})
    return {"id": problem.id, "kind": problem.kind, "title": problem.title, "answers": answers, "steps": steps}


# -- the problem sheet (SPEC section 8) --------------------------------------------------

def sheet_document(problems: list[Problem], fmt: str = "md", lang: str = "en") -> str:
    """The hand-out for ``problems``: title, statement, given data and the asked parts with their
    points, for every problem; no answers and no steps (nothing is solved)."""
    views = [sheet_view(p, lang) for p in problems]
    text = environment(lang).get_template(f"sheet.{fmt}.j2").render(problems=views)
    return github_math(text) if fmt == "md" else text


def sheet_view(problem: Problem, lang: str = "en") -> dict:
    from hwcheck import kinds

    module = kind_module(problem, lang)
    labels = getattr(module, "labels", {})
    sheet_labels = getattr(module, "sheet_labels", {})
    hidden = set(getattr(kinds.get(problem.kind).module, "SHEET_HIDDEN", ()))
    parts = [{"name": p.name, "points": p.points, "text": sheet_labels.get(p.name),
              "label": labels.get(p.name)} for p in problem.parts]
    given = [item for key, value in _given_as_written(problem).items() if key not in hidden
             for item in [_given_item(key, value)] if item is not None]
    total = sum(p.points for p in problem.parts)
    return {"problem": problem, "given": given, "parts": parts, "total": total}


def _given_as_written(problem: Problem) -> Mapping:
    """The spec's ``given`` as its author wrote it (``0.10`` stays 0.10), else the checked values."""
    from hwcheck.spec import read_yaml

    try:
        raw = read_yaml(Path(problem.path).read_text(encoding="utf-8-sig"), problem.path)
        given = raw.get("given") if isinstance(raw, Mapping) else None
        if isinstance(given, Mapping):
            return given
    except (OSError, ValueError, Exception):  # noqa: BLE001 - a spec from memory, or one changed since
        pass
    return {k: v for k, v in problem.given.items() if v is not None}


def _given_item(key: str, value) -> dict | None:
    """One line of the Given list: ``{name, math, text, block}`` (``block``: display math)."""
    if value is None:
        return None
    if isinstance(value, str) and _keyword(value) is not None:
        word = _keyword(value)
        return {"name": key, "math": None, "text": word, "block": False, "code": word.isidentifier()}
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        rows = [_written_tex(v) for v in value]
        return {"name": key, "math": rows, "text": None, "block": True, "code": False}
    math = _written_tex(value)
    block = isinstance(value, (list, Mapping)) and r"egin" in math
    return {"name": key, "math": [math] if block else math, "text": None, "block": block, "code": False}


def _keyword(value: str):
    """A string shown as words: prose, or one name such as ``sigmoid`` or ``xavier_uniform``."""
    expr = _string_math(value)
    if expr is None:
        return " ".join(value.split())
    if isinstance(expr, sp.Symbol) and len(value.strip()) > 1 and value.strip().isidentifier() \
            and not re.fullmatch(r"[A-Za-z]_?\d+", value.strip()):
        return value.strip()
    return None


def _written_tex(value) -> str:
    """LaTeX of a given value as written: decimals keep their digits, expressions are typeset."""
    if isinstance(value, Mapping):
        return r",\ ".join(f"{key_tex(k)} = {_written_tex(v)}" for k, v in value.items())
    if isinstance(value, list):
        if value and all(isinstance(v, list) and not any(isinstance(e, (list, Mapping)) for e in v) for v in value):
            rows = [" & ".join(_written_tex(e) for e in row) for row in value]
            return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
        if any(isinstance(v, (list, Mapping)) for v in value):
            return r",\ ".join(_written_tex(v) for v in value)
        return r"\begin{bmatrix} " + r" \\ ".join(_written_tex(v) for v in value) + r" \end{bmatrix}"
    if isinstance(value, bool):
        return r"\text{" + str(value).lower() + "}"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        keyword = _keyword(value)
        if keyword is not None:
            return text_tex(keyword)
        expr = _string_math(value)
        return num(expr) if expr.is_number else sp.latex(expr)
    return tex(value)


def instructor_view(problem: Problem, lang: str = "en") -> dict:
    """What KEY.md adds for the instructor, never a student's solution: each part's points and
    tolerance, the kind's named mistakes with their one-line explanations (the template's
    ``mistakes``), and the text of the template's ``instructor()`` macro, whose arguments come
    from the kind module's ``instructor_data(given)`` (none when it has no such function)."""
    from hwcheck import kinds

    module = kind_module(problem, lang)
    kind = kinds.get(problem.kind)
    text = ""
    macro = getattr(module, "instructor", None)
    if macro is not None:
        hook = getattr(kind.module, "instructor_data", None)
        text = str(macro(**(hook(problem.given) if hook else {}))).strip()
    explained = dict(getattr(module, "mistakes", {}) or {})
    mistakes = [{"name": name, "text": explained.get(name, "")} for name in kind.misconceptions]
    mistakes += [{"name": name, "text": line} for name, line in explained.items() if name not in kind.misconceptions]
    parts = [{"name": p.name, "points": p.points, "tolerance": dict(p.tolerance)} for p in problem.parts]
    return {"text": text, "mistakes": mistakes, "parts": parts, "numeric": problem.kind != "concept"}


def key_document(entries: list[dict], lang: str = "en") -> str:
    """KEY.md: the answers of a whole problem set on one page."""
    return github_math(environment(lang).get_template("key.md.j2").render(entries=entries))
