"""Rendering solutions: Jinja2 templates for the words, small filters for the math.

Every sentence a reader sees lives in ``templates/<lang>/``; this module only
turns values into LaTeX, decimals and JSON. Templates use ``<< >>``, ``<% %>``
and ``<# #>`` as delimiters so that TeX braces never collide with Jinja's.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import jinja2
import sympy as sp

from hwcheck.exact import ExactArray
from hwcheck.model import Problem, Solution

FORMATS = ("md", "tex", "json")
MAX_SHOWN = 10  # rows/columns of a matrix shown in full; larger ones are elided


def templates_root() -> Path:
    """The templates folder: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "en").is_dir():
            return candidate
    raise FileNotFoundError(f"hwcheck's templates were not found beside {here}")  # a packaging bug


@lru_cache(maxsize=None)
def environment(lang: str = "en") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_root() / lang)),
        undefined=jinja2.StrictUndefined,
        block_start_string="<%", block_end_string="%>",
        variable_start_string="<<", variable_end_string=">>",
        comment_start_string="<#", comment_end_string="#>",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(tex=tex, dec=decimal, exact=exact_text, md2tex=md_to_tex, esc_md=escape_md,
                       esc_tex=escape_tex, is_whole=is_whole)
    env.globals.update(idx=index_text, range=range, len=len, zip=zip, enumerate=enumerate)
    return env


# -- values -> text -----------------------------------------------------------

def _matrix_entries(value):
    if isinstance(value, ExactArray):
        return value.shape, value.entry
    m = sp.ImmutableMatrix(value)
    return m.shape, lambda ij: m[ij]


def _elided(n: int) -> list[int | None]:
    if n <= MAX_SHOWN:
        return list(range(n))
    return [0, 1, 2, 3, None, n - 2, n - 1]


def tex(value: Any) -> str:
    """LaTeX for a value: a number, an expression, a matrix, a vector (list) or a map.

    >>> tex(sp.Rational(1, 8)), tex([1, sp.sqrt(2)])
    ('\\\\frac{1}{8}', '\\\\begin{bmatrix} 1 \\\\\\\\ \\\\sqrt{2} \\\\end{bmatrix}')
    """
    if isinstance(value, (ExactArray, sp.MatrixBase)):
        if isinstance(value, ExactArray) and value.num.ndim == 1:
            return tex([value.entry((i,)) for i in range(value.shape[0])])
        (h, w), get = _matrix_entries(value)
        rows = []
        for i in _elided(h):
            if i is None:
                rows.append(" & ".join(r"\vdots" if j is not None else r"\ddots" for j in _elided(w)))
                continue
            rows.append(" & ".join(r"\cdots" if j is None else sp.latex(get((i, j))) for j in _elided(w)))
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
    if isinstance(value, Mapping):
        return r",\quad ".join(f"{sp.latex(sp.Symbol(str(k)))} = {tex(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (list, tuple, ExactArray, sp.MatrixBase, Mapping)) for v in value):
            return r",\; ".join(tex(v) for v in value)
        if len(value) > 2 * MAX_SHOWN:
            items = [tex(v) for v in value[:4]] + [r"\vdots"] + [tex(v) for v in value[-2:]]
        else:
            items = [tex(v) for v in value]
        return r"\begin{bmatrix} " + r" \\ ".join(items) + r" \end{bmatrix}"
    if value is None:
        return r"\text{--}"
    return sp.latex(sp.sympify(value))

            if len(value) > 2 * MAX_SHOWN:  # a long trace of points: the first and last few
                return r",\; ".join([tex(v) for v in value[:4]] + [r"\dots"] + [tex(v) for v in value[-2:]])

def decimal(value: Any, digits: int = 6) -> str:
    """A short decimal for display (``≈`` values in the text).

    >>> decimal(sp.sqrt(2) / 8)
    '0.176777'
    """
    number = sp.N(sp.sympify(value), digits)
    text = sp.sstr(number, full_prec=False)
    return text


def is_whole(value: Any) -> bool:
    """True when a number needs no decimal beside it (an integer or a short decimal)."""
    value = sp.sympify(value)
    if not value.is_number:
        return True
    if value.is_Integer:
        return True
    if value.is_Rational:
        q = int(value.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        return q == 1 and len(str(value.q)) <= 6
    return False


def exact_text(value: Any) -> Any:
    """The exact form in SymPy syntax, in the nesting of the value (SPEC section 3)."""
    if isinstance(value, ExactArray):
        return value.strings()
    if isinstance(value, sp.MatrixBase):
        return [[sp.sstr(v) for v in row] for row in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): exact_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [exact_text(v) for v in value]
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int)) or value is None:
        return value
    return sp.sstr(sp.sympify(value))


def json_value(value: Any) -> Any:
    """Numbers as JSON numbers (each rounded once from the exact value); symbols as text."""
    if isinstance(value, ExactArray):
        return value.floats()
    if isinstance(value, sp.MatrixBase):
        return [[json_value(v) for v in row] for row in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, int):
        return value
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


def escape_tex(text: Any) -> str:
    """Escape plain text for LaTeX (no math inside)."""
    return "".join(_TEX_SPECIAL.get(c, c) for c in str(text))


def escape_md(text: Any) -> str:
    """Escape text from outside (a student's answer) so Markdown shows it verbatim."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>$])", r"\\\1", str(text))


def md_to_tex(text: str) -> str:
    """The small Markdown subset hwcheck's templates and statements use, as LaTeX.

    Paragraphs, ``**bold**``, ``*italic*``, `` `code` ``, ``- `` lists,
    ``$...$`` and ``$$...$$`` math (kept as math).
    """
    out_lines: list[str] = []
    in_list = False
    for block in _split_display(text):
        if block.startswith("$$"):
            if in_list:
                out_lines.append(r"\end{itemize}")
                in_list = False
            out_lines.append(r"\[" + block[2:-2].strip() + r"\]")
            continue
        for line in block.split("\n"):
            item = re.match(r"^\s*[-*]\s+(.*)$", line)
            if item and not line.strip().startswith("**"):
                if not in_list:
                    out_lines.append(r"\begin{itemize}")
                    in_list = True
                out_lines.append(r"\item " + _inline_tex(item.group(1)))
                continue
            if in_list and line.strip():
                out_lines.append(r"\end{itemize}")
                in_list = False
            heading = re.match(r"^(#+)\s+(.*)$", line)
            if heading:
                out_lines.append(r"\paragraph{" + _inline_tex(heading.group(2)) + "}")
            else:
                out_lines.append(_inline_tex(line))
    if in_list:
        out_lines.append(r"\end{itemize}")
    return "\n".join(out_lines)


def _split_display(text: str) -> list[str]:
    parts = re.split(r"(\$\$.+?\$\$)", text, flags=re.S)
    return [p for p in parts if p]


def _inline_tex(line: str) -> str:
    pieces = []
    for piece in _MATH.split(line):
        if piece.startswith("$"):
            pieces.append(piece)
            continue
        code_spans = re.split(r"(`[^`]+`)", piece)
        text = []
        for span in code_spans:
            if span.startswith("`") and span.endswith("`") and len(span) > 1:
                text.append(r"\texttt{" + escape_tex(span[1:-1]) + "}")
                continue
            span = escape_tex(span)
            span = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", span)
            span = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*", r"\\emph{\1}", span)
            text.append(span.replace("≈", r"$\approx$").replace("×", r"$\times$").replace("→", r"$\to$"))
        pieces.append("".join(text))
    return "".join(pieces)


# -- documents --------------------------------------------------------------------

def step_views(problem: Problem, solution: Solution, lang: str = "en") -> list[dict]:
    """Each step rendered in Markdown: ``{"macro", "title", "text"}``."""
    env = environment(lang)
    module = env.get_template(f"kinds/{problem.kind}.j2").make_module({"given": problem.given})
    titles = getattr(module, "titles")
    views = []
    for step in solution.steps:
        macro = getattr(module, step.macro)
        views.append({"macro": step.macro, "title": titles[step.macro],
                      "text": str(macro(**step.data)).strip()})
    return views


def answer_views(problem: Problem, solution: Solution, lang: str = "en") -> list[dict]:
    env = environment(lang)
    module = env.get_template(f"kinds/{problem.kind}.j2").make_module({"given": problem.given})
    labels = getattr(module, "labels")
    views = []
    for part in problem.parts:
        value = solution.answers[part.name]
        views.append({"name": part.name, "label": labels[part.name], "value": value, "points": part.points,
                      "scalar": not isinstance(value, (list, tuple, dict, ExactArray, sp.MatrixBase)),
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
    }
    return env.get_template(f"solution.{fmt}.j2").render(**context)


def _conventions(problem: Problem, lang: str) -> str:
    env = environment(lang)
    module = env.get_template(f"kinds/{problem.kind}.j2").make_module({"given": problem.given})
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


def key_document(entries: list[dict], lang: str = "en") -> str:
    """KEY.md: the answers of a whole problem set on one page."""
    return environment(lang).get_template("key.md.j2").render(entries=entries)
        "figures": figure_views(problem, figures or [], lang),
def figure_views(problem: Problem, figures: list[dict], lang: str = "en") -> list[dict]:
    """Each figure with its caption (the kind template's ``figure_titles``, else its name)."""
    if not figures:
        return []
    env = environment(lang)
    module = env.get_template(f"kinds/{problem.kind}.j2").make_module({"given": problem.given})
    titles = getattr(module, "figure_titles", {})
    return [{**f, "title": titles.get(f["name"], f["name"])} for f in figures]


