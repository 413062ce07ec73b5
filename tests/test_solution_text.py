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


# -- reading a solution's math -----------------------------------------------------------
#
# The checks below read the Markdown a student gets. Each returns a list of defects (empty: clean),
# one line each, so that a failure says where to look.

import json
import random
import re
from decimal import Decimal, ROUND_HALF_EVEN, ROUND_HALF_UP, localcontext
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hwcheck import api, kinds
from hwcheck.errors import HwcheckError, ParseError
from hwcheck.expr import parse_expr
from hwcheck.latex_input import latex_matrix, latex_to_plain

DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE = re.compile(r"(?<![$\\])\$(?!\$)([^$\n]+?)\$")
DECIMAL = r"-?\d+\.\d+(?:\s*\\times\s*10\^\{-?\d+\})?|-?\d+\s*\\times\s*10\^\{-?\d+\}"
DECIMAL_ONLY = re.compile(rf"^\s*({DECIMAL})\s*$")
RELATIONS = {"=", r"\approx", "<", ">", r"\le", r"\leq", r"\ge", r"\geq", r"\to", r"\ne", r"\neq",
             r"\Rightarrow", r"\implies", r"\longrightarrow", r"\mapsto", r"\in", r"\sim"}
SEPARATORS = {",", ";", "&", r"\\", r"\cr", r"\quad", r"\qquad", r"\;", r"\ ", r"\thinspace", ":",
              r"\text", r"\mathrm", r"\operatorname", r"\colon", r"\forall", r"\iff", r"\mid", r"\cdots",
              r"\ldots", r"\dots", r"\enspace", r"\lbrace", r"\rbrace", r"\{", r"\}", r"\big", r"\Big", "|"}


def math_spans(md: str, raw: bool = False) -> tuple[list[str], list[str]]:
    """(display math, inline math) of a Markdown text; code spans and fences are not math.
    Unless ``raw``, GitHub's spellings (``\\cr``, ``\\thinspace``) are read back as LaTeX's."""
    md = re.sub(r"```.*?```|<!--.*?-->", "", md, flags=re.S)
    md = re.sub(r"`[^`\n]*`", "", md)
    displays = [m.strip() for m in DISPLAY.findall(md)]
    rest = DISPLAY.sub(" ", md)
    inlines = INLINE.findall(rest)
    if not raw:
        inlines = [re.sub(r"\\cr\b ?", r"\\\\ ", m).replace(r"\thinspace", r"\,") for m in inlines]
    return displays, inlines


def _tokens(tex: str):
    """Top-level tokens: (kind, text) with kind 'rel', 'sep' or 'txt'; groups stay whole."""
    out, i, depth, n = [], 0, 0, len(tex)
    buf = []

    def flush():
        if buf:
            out.append(("txt", "".join(buf)))
            buf.clear()

    while i < n:
        c = tex[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            name = m.group(0) if m else "\\"
            if name in (r"\begin", r"\left"):
                depth += 1
            elif name in (r"\end", r"\right"):
                depth -= 1
            if depth == 0 and name in (r"\text", r"\mathrm", r"\operatorname") and tex[i + len(name):i + len(name) + 1] == "{":
                # a text group is a separator (it names, it does not compute)
                j, d = i + len(name), 0
                while j < n:
                    d += tex[j] == "{"
                    d -= tex[j] == "}"
                    j += 1
                    if d == 0:
                        break
                flush()
                out.append(("sep", tex[i:j]))
                i = j
                continue
            if depth == 0 and name in RELATIONS:
                flush()
                out.append(("rel", name))
            elif depth == 0 and name in SEPARATORS:
                flush()
                out.append(("sep", name))
            else:
                buf.append(name)
            i += len(name)
            continue
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        if depth == 0 and c in "=<>":
            flush()
            out.append(("rel", c))
        elif depth == 0 and c in SEPARATORS:
            flush()
            out.append(("sep", c))
        else:
            buf.append(c)
        i += 1
    flush()
    return out


def chain(tex: str) -> list[tuple[str, str]]:
    """The math as a list of (relation before, side): a separator starts a new chain ('')."""
    sides, rel = [], ""
    for kind, text in _tokens(tex):
        if kind == "txt":
            if text.strip():
                sides.append((rel, text.strip()))
            rel = None if rel is None else rel
            rel = "+"  # two texts in a row (around a separator we skipped) are not related
        elif kind == "rel":
            rel = text
        else:
            rel = ""
    return sides


def value_of(tex: str):
    """The number a piece of LaTeX denotes (SymPy), or None when it is not a plain number."""
    tex = tex.strip().rstrip(".,;")
    if not tex or len(tex) > 400:
        return None
    if r"\begin" in tex or "\\partial" in tex or r"\sum" in tex or r"\prod" in tex:
        return None
    try:
        expr = parse_expr(latex_to_plain(tex), implicit=True)
    except (ParseError, ValueError, TypeError, ArithmeticError, RecursionError, AttributeError):
        return None
    if not isinstance(expr, sp.Expr) or expr.free_symbols or not expr.is_number:
        return None
    try:
        if not expr.is_real and sp.im(sp.N(expr, 30)) != 0:
            return None
    except (TypeError, ValueError):
        return None
    return expr


def decimal_of(text: str) -> Decimal | None:
    m = DECIMAL_ONLY.match(text)
    if not m:
        return None
    t = re.sub(r"\s", "", m.group(1))
    mant, _, exp = t.partition(r"\times10^{")
    d = Decimal(mant)
    return d.scaleb(int(exp.rstrip("}"))) if exp else d


def significant(text: str) -> int:
    """Significant digits shown by a decimal literal ('0.00123' -> 3, '1.50' -> 3)."""
    mant = re.sub(r"\s", "", text).split(r"\times")[0].lstrip("-")
    digits = mant.replace(".", "").lstrip("0")
    return max(1, len(digits))


def _round(value, k: int, mode) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = k
        ctx.rounding = mode
        f = sp.N(value, k + 30)
        return +Decimal(str(f))


def rounds_correctly(value, shown: str) -> bool:
    """Is the decimal literal ``shown`` the exact ``value`` rounded to the digits it shows?"""
    d = decimal_of(shown)
    k = significant(shown)
    return any(_round(value, k, mode) == d for mode in (ROUND_HALF_EVEN, ROUND_HALF_UP))


def _matrix_values(tex: str):
    rows = latex_matrix(tex.strip())
    if rows is None:
        return None
    return [[e for e in row] for row in rows]


def check_approx_pairs(md: str) -> list[str]:
    """(a) Every ``exact \\approx decimal`` is that exact value correctly rounded."""
    bad = []
    displays, inlines = math_spans(md)
    for math in displays + inlines:
        sides = chain(math)
        for (_, left), (rel, right) in zip(sides, sides[1:]):
            if rel != r"\approx":
                continue
            if decimal_of(right) is not None:
                v = value_of(left)
                if v is not None and not rounds_correctly(v, right):
                    bad.append(f"{left} \\approx {right}: the value is {sp.N(v, 15)}")
            elif right.startswith(r"\begin{bmatrix}") and left.startswith(r"\begin{bmatrix}"):
                bad += _matrix_pair(left, right)
    return bad


def _matrix_pair(left: str, right: str) -> list[str]:
    try:
        exact, shown = latex_matrix(left), latex_matrix(right)
    except ParseError:
        return []
    if not exact or not shown or [len(r) for r in exact] != [len(r) for r in shown]:
        return []
    bad = []
    for erow, srow in zip(exact, shown):
        for e, s in zip(erow, srow):
            try:
                v = parse_expr(e, implicit=True)
            except (ParseError, ValueError, TypeError):
                continue
            literal = _literal(s)
            if literal and v.is_number and not v.free_symbols and not rounds_correctly(v, literal):
                bad.append(f"matrix entry {literal} is not {sp.N(v, 15)} rounded")
    return bad


def _literal(plain: str) -> str | None:
    """A decimal literal back from latex_matrix's plain text ('3.5 * 10^(- 7)' -> LaTeX form)."""
    t = plain.strip().replace(" ", "")
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:\*10\^\((-?\d+)\))?", t)
    if not m or ("." not in m.group(1) and m.group(2) is None):
        return None
    return m.group(1) + (rf" \times 10^{{{m.group(2)}}}" if m.group(2) else "")


def _exact(text):
    try:
        return parse_expr(str(text))
    except (ParseError, ValueError, TypeError):
        return None


def _flat(x):
    if isinstance(x, list):
        return [v for e in x for v in _flat(e)]
    return [x]


def answers_section(md: str) -> dict[str, str]:
    """Each Answers line's math: part name -> the text of its line(s)."""
    section = md.split("## Answers", 1)[-1] if "## Answers" in md else ""
    out = {}
    for m in re.finditer(r"^- \*\*`([^`]+)`\*\*(.*?)(?=^- \*\*`|\Z)", section, flags=re.S | re.M):
        out[m.group(1)] = m.group(2)
    return out


def check_answers(md: str, key: dict) -> list[str]:
    """(a) Every decimal in the Answers is the key's exact value correctly rounded."""
    bad = []
    for name, line in answers_section(md).items():
        if name not in key["answers"]:
            continue
        exact = key["answers"][name]["exact"]
        values = [_exact(e) for e in _flat(exact)]
        displays, inlines = math_spans(line)
        for math in displays + inlines:
            sides = chain(math)
            for rel, side in sides[1:]:
                if rel not in ("=", r"\approx"):
                    continue
                if decimal_of(side) is not None and len(values) == 1 and values[0] is not None:
                    if not rounds_correctly(values[0], side):
                        bad.append(f"Answers {name}: {side} is not {exact} rounded")
                elif side.startswith(r"\begin{bmatrix}") and r"\vdots" not in side and r"\cdots" not in side:
                    try:
                        rows = latex_matrix(side)
                    except ParseError:
                        continue
                    shown = _flat(rows or [])
                    if len(shown) != len(values):
                        continue
                    for s, v in zip(shown, values):
                        lit = _literal(s)
                        if lit and v is not None and v.is_number and not rounds_correctly(v, lit):
                            bad.append(f"Answers {name}: entry {lit} is not {sp.N(v, 15)} rounded")
    return bad


def decimals_in(tex: str) -> list[str]:
    return [m.group(0) for m in re.finditer(DECIMAL, tex)]


def check_steps_agree_with_answers(md: str, key: dict) -> list[str]:
    """(a) A decimal in the steps that stands for an answer is printed as the Answers print it:
    never with more digits, and never with digits that are not its correct rounding."""
    steps = md.split("## Answers", 1)[0]
    displays, inlines = math_spans(steps)
    shown = [d for math in displays + inlines for d in decimals_in(math)]
    answers = answers_section(md)
    bad = []
    for name, entry in key["answers"].items():
        if name not in answers:
            continue
        values = [v for v in (_exact(e) for e in _flat(entry["exact"])) if v is not None and v.is_number
                  and not v.free_symbols and not v.is_Integer]
        answer_digits = [significant(d) for d in decimals_in(answers[name])] or [render.SIG]
        k_answer = max(answer_digits)
        for v in values:
            fv = abs(sp.N(v, 30))
            for d in shown:
                k = significant(d)
                dv = decimal_of(d)
                if dv is None or k < 4:
                    continue
                close = abs(sp.Float(str(dv), 40) - sp.N(v, 40)) <= sp.Float(10) ** (2 - min(k, 7)) * fv
                if not close:
                    continue
                if rounds_correctly(v, d) and k > k_answer:
                    bad.append(f"{name}: the steps print {d} ({k} digits), the Answers {k_answer}")
                elif not rounds_correctly(v, d) and k >= 7:
                    bad.append(f"{name}: the steps print {d}, not the correct rounding of {sp.N(v, 15)}")
    return bad


def _rounding_budget(tex: str) -> tuple:
    """(absolute, relative) error the decimals in ``tex`` may carry: half a unit in the last place
    of each decimal, counting at least SIG digits (a shorter one may be a SIG-digit rounding whose
    trailing zeros were dropped: 0.2894 for 0.28939954)."""
    absolute, relative = sp.Float(0), sp.Float(0)
    for d in decimals_in(tex):
        k, v = max(significant(d), render.SIG), decimal_of(d)
        if v:
            half = sp.Float(5) * sp.Float(10) ** (v.adjusted() - k)
            absolute += half
            relative += half / abs(sp.Float(str(v), 30))
    return absolute, relative


def check_chains(md: str) -> list[str]:
    """(b) In every chain a = b = c whose sides are numbers, the sides are equal (within the
    rounding of the digits shown)."""
    bad = []
    displays, inlines = math_spans(md)
    for math in displays + inlines:
        for line in re.split(r"\\\\|\\cr", math):
            sides = chain(line.replace("&", ""))
            for (_, left), (rel, right) in zip(sides, sides[1:]):
                if rel != "=":
                    continue
                a, b = value_of(left), value_of(right)
                if a is None or b is None:
                    continue
                diff = abs(sp.N(a - b, 40))
                scale = max(abs(sp.N(a, 40)), abs(sp.N(b, 40)))
                absolute, relative = _rounding_budget(left + " " + right)
                ok = diff <= 2 * absolute + (2 * relative + sp.Float(10) ** -30) * scale
                if not ok:
                    bad.append(f"{left} = {right}: {sp.N(a, 12)} is not {sp.N(b, 12)}")
    return bad


# GitHub applies Markdown's backslash escapes (a backslash before ASCII punctuation) inside inline
# $...$ before MathJax sees the math: \{ \} \_ lose their backslash, \, becomes a comma and \\ a
# single backslash (GitHub's math docs advise $`...`$ for such math; render.github_math rewrites them).
# An inline span that starts or ends with a space, or breaks a line, is not read as math at all.
GITHUB_DROPS = re.compile(r"\\[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]")


def check_inline_math(md: str) -> list[str]:
    """(c) No inline math uses a construct GitHub's renderer drops."""
    bad = []
    _, inlines = math_spans(md, raw=True)
    for math in inlines:
        for m in GITHUB_DROPS.finditer(math):
            bad.append(f"inline math uses {m.group(0)}: ${math[:60]}$")
        if math != math.strip():
            bad.append(f"inline math starts or ends with a space: ${math[:60]}$")
    return bad


def check_leftovers(md: str) -> list[str]:
    """(d) No template leftovers."""
    bad = []
    text = re.sub(r"```.*?```|<!--.*?-->", "", md, flags=re.S)
    for m in re.finditer(r"\w\(s\)", text):
        bad.append(f"a '(s)' plural: ...{text[max(0, m.start() - 30):m.end()]}")
    for m in re.finditer(r"\\frac\{[^{}]*\}\{[^{}]*\}\^", text):
        bad.append(f"a fraction raised to a power without parentheses: {m.group(0)}")
    displays, inlines = math_spans(text)
    for math in displays + inlines:
        for line in re.split(r"\\\\|\\cr", math):
            sides = chain(line.replace("&", ""))
            for (_, left), (rel, right) in zip(sides, sides[1:]):
                if rel == "=" and re.sub(r"\s", "", left) == re.sub(r"\s", "", right):
                    bad.append(f"a repeated side '= {right} = {right}'")
    for m in re.finditer(r"(?<![\w.])\d+\.\d+", text):
        if significant(m.group(0)) > 12:
            bad.append(f"a decimal with more than 12 significant digits: {m.group(0)}")
    for m in re.finditer(r"(?<![\w.])\d{16,}(?![\d])", text):
        bad.append(f"an integer of {len(m.group(0))} digits: {m.group(0)[:20]}...")
    return bad


def text_problems(md: str, key: dict | None = None) -> list[str]:
    """Every check above on one solution's Markdown (``key``: its answer key, SPEC section 3)."""
    bad = check_approx_pairs(md) + check_chains(md) + check_inline_math(md) + check_leftovers(md)
    if key is not None:
        bad += check_answers(md, key) + check_steps_agree_with_answers(md, key)
    return bad


def rendered(problem) -> tuple[str, dict]:
    solution = api.solve(problem)
    md = render.document(problem, solution, "md")
    key = json.loads(api.render_solution(problem, solution, format="json"))
    return md, key


# -- the checks catch what they are meant to catch -----------------------------------------

@pytest.mark.parametrize("md, check, expect", [
    (r"$$h_1 = \tanh\left(\frac{1}{2}\right) \approx 0.462117135525$$", check_approx_pairs, "0.462117135525"),
    (r"$\frac{1}{3} \approx 0.334$", check_approx_pairs, "0.334"),
    (r"$$x = \begin{bmatrix} \frac{1}{3} \\ \frac{2}{3} \end{bmatrix} \approx \begin{bmatrix} 0.333333 \\ 0.666666 \end{bmatrix}$$",
     check_approx_pairs, "0.666666"),
    (r"$$\frac{1}{512} = \frac{2}{512} = 0.25$$", check_chains, r"\frac{1}{512} = \frac{2}{512}"),
    (r"$$a = 0.5 \cdot 1.41421 = 0.8$$", check_chains, "0.8"),
    (r"$A = \{1, 2\}$", check_inline_math, r"\{"),
    (r"$\mathrm{first\_moment}$", check_inline_math, r"\_"),
    (r"$\sigma\,(1 - \sigma)$", check_inline_math, r"\,"),
    (r"$\begin{bmatrix} 1 \\ 2 \end{bmatrix}$", check_inline_math, "\\\\"),
    (r"$ x$ is", check_inline_math, "space"),
    ("The first $1$ update(s) are exact.", check_leftovers, "(s)"),
    (r"$$\frac{5}{3}^2$$", check_leftovers, "fraction"),
    (r"$$a = \frac{1}{512} = \frac{1}{512}$$", check_leftovers, "repeated"),
    (r"$$x \approx 0.4621171572600098$$", check_leftovers, "12 significant"),
    (r"$$-\frac{1082022699327332498100696241}{512000000000000000000000000}$$", check_leftovers, "digits"),
])
def test_each_check_catches_its_defect(md, check, expect):
    found = check(md)
    assert found and any(expect in line for line in found), found


def test_the_checks_pass_good_text():
    good = (r"$$h_1 = \tanh\left(\frac{1}{2}\right) \approx 0.462117$$ and $\frac{1}{3} \approx 0.333333$, "
            r"$$\frac{1}{512} = \frac{2}{1024} \approx 0.00195313$$ $$a = 0.5 \cdot 1.41421 = 0.707105$$ "
            r"$A = \lbrace 1, 2\rbrace$, $\begin{bmatrix} 1 \cr 2 \end{bmatrix}$, two updates, "
            r"$$\left(\frac{5}{3}\right)^{2} = \frac{25}{9}$$")
    assert text_problems(good) == []


def test_answers_are_checked_against_the_key():
    key = {"answers": {"x": {"exact": "1/3"}, "v": {"exact": ["1/3", "2/3"]}}}
    good = ("## Answers\n\n- **`x`** (1 pt): $x = \\frac{1}{3} \\approx 0.333333$\n"
            "- **`v`** (1 pt): $v = \\begin{bmatrix} 0.333333 \\cr 0.666667 \\end{bmatrix}$\n")
    assert check_answers(good, key) == []
    wrong = good.replace("0.333333$", "0.333334$").replace("0.666667", "0.666666")
    assert len(check_answers(wrong, key)) == 2
    steps = "## Step 1\n\n$$x = 0.333333333333$$\n\n" + good
    assert check_steps_agree_with_answers(steps, key)
    off = "## Step 1\n\n$$x \\approx 0.3333334$$\n\n" + good
    assert check_steps_agree_with_answers(off, key)
    assert check_steps_agree_with_answers("## Step 1\n\n$$x \\approx 0.333333$$\n\n" + good, key) == []


# -- every shipped problem -------------------------------------------------------------------

SHIPPED = sorted(PROBLEMS.glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_solution_text(path):
    md, key = rendered(api.load_problem(path))
    assert text_problems(md, key) == []


# -- random instances of every kind: the shipped specs with their numbers redrawn --------------

KEEP = {"selected", "classes", "labels", "order", "target", "steps", "epochs", "batch_size", "stride",
        "padding", "kernel_size", "n_words", "depth", "n_in", "n_out", "rubric", "activation", "scheme"}


def _redraw(value, rng: random.Random, top: bool = True):
    """The numbers of a spec's ``given`` drawn afresh, keeping their sign and whether they lie in
    (0, 1]; integers at the top of ``given`` (sizes, steps), index lists and expressions are kept."""
    if isinstance(value, dict):
        return {k: (v if k in KEEP else _redraw(v, rng, top)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redraw(v, rng, False) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if top else (rng.randint(0, 3) if value >= 0 else rng.randint(-3, -1))
    if isinstance(value, Decimal):
        if 0 < value <= 1:
            return Decimal(rng.randint(1, 9)) / 10
        size = Decimal(rng.randint(1, 20)) / rng.choice([4, 10, 8, 5])
        return size if value > 0 else (-size if value < 0 else Decimal(0))
    if isinstance(value, str) and re.fullmatch(r"-?\d+/\d+", value.strip()):
        sign = "-" if value.strip().startswith("-") else ""
        return f"{sign}{rng.randint(1, 9)}/{rng.randint(1, 9)}"
    return value


def _raw_specs():
    from hwcheck.spec import read_yaml
    by_kind: dict[str, list] = {}
    for path in SHIPPED:
        raw = read_yaml(path.read_text(encoding="utf-8"), str(path))
        by_kind.setdefault(raw["kind"], []).append(raw)
    return by_kind


RAW = _raw_specs()


@pytest.mark.parametrize("kind", sorted(RAW))
@settings(max_examples=3, deadline=None, derandomize=True, report_multiple_bugs=False,
          phases=[Phase.explicit, Phase.generate],  # a seed has nothing to shrink
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(seed=st.integers(0, 2**32 - 1))
def test_random_instances_read_well(kind, seed):
    from hypothesis import assume

    rng = random.Random(seed)
    raw = dict(rng.choice(RAW[kind]))
    raw["given"] = _redraw(raw.get("given") or {}, rng, True)
    try:
        problem = problem_from_mapping(raw, file=f"random-{kind}.yaml")
        md, key = rendered(problem)
    except HwcheckError:
        assume(False)
        return
    assert text_problems(md, key) == []


# -- two audiences ---------------------------------------------------------------------------

GRADER_WORDS = re.compile(r"toleran|rubric|misconception|needs.review|grader|20[\s,]?000 characters", re.I)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_student_solutions_carry_no_grading_details(path):
    problem = api.load_problem(path)
    md = render.document(problem, api.solve(problem), "md")
    found = GRADER_WORDS.findall(md)
    assert not found, found


def test_key_md_has_what_the_instructor_needs(tmp_path):
    specs = [PROBLEMS / "conv2d-backprop-4x4.yaml", PROBLEMS / "concept-zero-init.yaml"]
    api.write_keys(specs, out=tmp_path, figures=False)
    key = (tmp_path / "KEY.md").read_text(encoding="utf-8")
    student = (tmp_path / "conv2d-backprop-4x4.md").read_text(encoding="utf-8")
    module = render.kind_module(api.load_problem(specs[0]))
    for name, line in module.mistakes.items():
        assert f"`{name}`: {line}" in key and name not in student
    assert "relative tolerance of $0.001$" in key and "absolute one of $1 \\times 10^{-6}$" in key
    rubric = api.load_problem(specs[1]).given.rubric
    assert all(f"`{item['id']}`" in key for item in rubric) and "always flagged for review" in key
