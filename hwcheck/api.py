"""The Python API behind the CLI: one function per command, defaults here.

>>> p = load_problem_text("{kind: init_bounds, given: {scheme: he_normal, n_in: 50, n_out: 10}}")
>>> solve(p).answers["std"]
1/5
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

from hwcheck import kinds, render
from hwcheck.errors import HwcheckError, Invalid, SpecError
from hwcheck.model import Problem, Solution
from hwcheck.spec import load_problem, problem_from_mapping, read_yaml, spec_files

__all__ = ["load_problem", "load_problem_text", "solve", "render_solution", "solve_file", "render_sheet", "sheet_file",
           "write_keys", "validate", "list_kinds", "write_atomic", "write_solution", "plan_figures"]

FIGURES_MISSING = "matplotlib is not installed, so no figures were drawn (pip install matplotlib)"


def load_problem_text(text: str, *, file: str = "<text>", default_id: str = "problem") -> Problem:
    """Read a spec from YAML text (handy in tests and notebooks)."""
    return problem_from_mapping(read_yaml(text, file), file=file, default_id=default_id)


def solve(problem: Problem) -> Solution:
    """Solve a checked problem exactly.

    Some inputs are found wrong only while solving (f undefined along an optimizer's path); the
    kind raises ``Invalid`` and it reaches the user as a ``SpecError`` naming the file and key.
    """
    try:
        return kinds.get(problem.kind).solve(problem.given)
    except Invalid as exc:
        key = exc.key.lstrip(".")
        raise SpecError(problem.path, f"given.{key}" if key else "given", exc.expected, exc.found,
                        exc.hint) from None


def render_solution(problem: Problem, solution: Solution | None = None, *, format: str = "md",
                    lang: str = "en") -> str:
    """The worked solution as Markdown (``md``), LaTeX (``tex``), a self-contained HTML page (``html``)
    or the JSON answer key (``json``)."""
    if format not in render.FORMATS:
        raise HwcheckError(f"unknown format {format!r}; expected one of {', '.join(render.FORMATS)}")
    solution = solve(problem) if solution is None else solution
    if format == "html":
        return solution_page(problem, solution, lang=lang)[0]
    if format == "json":
        return json.dumps(render.answer_key(problem, solution, lang), indent=2, ensure_ascii=False) + "\n"
    return render.document(problem, solution, format, lang)


def solve_file(path: str | Path, *, format: str = "md", lang: str = "en") -> str:
    """``hwcheck solve``: read, check, solve and render one spec."""
    return render_solution(load_problem(path), format=format, lang=lang)


def draw_svgs(items, stem: str) -> dict[str, str]:
    """Draw a kind's figures as SVG text, ``{file name: svg}`` (for pages that inline them)."""
    from hwcheck import figures as fig

    with tempfile.TemporaryDirectory() as tmp:
        return {d["file"]: Path(d["path"]).read_text(encoding="utf-8") for d in fig.write(items, tmp, stem, "svg")}


def solution_page(problem: Problem, solution: Solution, *, lang: str = "en", figures: bool = True,
                  drawn: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """The worked solution as one self-contained HTML page (``hwcheck.html``), its figures inlined
    as SVG; returns ``(html, notes)``. ``drawn`` reuses figures already drawn (``{file: svg}``)."""
    from hwcheck import html

    render.environment(lang)  # an unknown language fails here, before any drawing
    planned, items, notes = plan_figures(problem, solution, figures=figures)
    svgs = drawn if drawn is not None else (draw_svgs(items, problem.id) if items else {})
    text = render.document(problem, solution, "md", lang, figures=planned)
    return html.page(text, lang, title=problem.title, figures=svgs), notes


class Written(list):
    """Paths written (a list), with ``notes``: one-line remarks for the user."""

    def __init__(self, paths=(), notes=()):
        super().__init__(paths)
        self.notes = list(notes)


def plan_figures(problem: Problem, solution: Solution, *, figures: bool = True,
                 fmt: str = "svg") -> tuple[list[dict], list, list[str]]:
    """The figures of a solution: ``([{name, file}], draw items, notes)``; nothing when the
    kind has no ``figures`` hook, ``figures`` is false, or matplotlib is missing (a note says so)."""
    from hwcheck import figures as fig

    hook = fig.hook(problem.kind) if figures else None
    if hook is None:
        return [], [], []
    if not fig.available():
        return [], [], [FIGURES_MISSING]
    items = list(hook(problem.given, solution))
    return [{"name": name, "file": fig.file_name(problem.id, name, fmt)} for name, _ in items], items, []


def write_solution(spec: str | Path, output: str | Path, *, format: str = "md", lang: str = "en",
                   figures: bool = True, figure_format: str = "svg") -> Written:
    """``hwcheck solve -o``: write the solution; for Markdown also its figures beside it
    (``<id>-<figure>.svg``, linked from the document)."""
    from hwcheck import figures as fig

    problem = load_problem(spec)
    solution = solve(problem)
    output = Path(output)
    if format == "html":  # figures inlined in the page, none beside it
        text, notes = solution_page(problem, solution, lang=lang, figures=figures)
        output.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(output, text)
        return Written([output], notes)
    planned, items, notes = plan_figures(problem, solution, figures=figures and format == "md", fmt=figure_format)
    if format == "md":
        text = render.document(problem, solution, "md", lang, figures=planned)
    else:
        text = render_solution(problem, solution, format=format, lang=lang)
    output.parent.mkdir(parents=True, exist_ok=True)
    drawn = fig.write(items, output.parent, problem.id, figure_format) if items else []
    write_atomic(output, text)
    return Written([output] + [d["path"] for d in drawn], notes)


def validate(paths: Iterable[str | Path]) -> tuple[list[Problem], list[SpecError]]:
    """Check every spec under ``paths``; return the good problems and the errors."""
    problems, errors = [], []
    files = spec_files(paths)
    for f in files:
        try:
            problems.append(load_problem(f))
        except SpecError as exc:
            errors.append(exc)
    seen: dict[str, str] = {}
    for p in problems:
        if p.id in seen:
            errors.append(SpecError(p.path, "id", "an id unique in the set", f"{p.id!r}, also used by {seen[p.id]}"))
        seen.setdefault(p.id, p.path)
    if not files:
        errors.append(SpecError(", ".join(map(str, paths)) or ".", "", "problem specs (*.yaml)", "none"))
    return problems, errors


def write_keys(paths: Iterable[str | Path], *, out: str | Path = "solutions", lang: str = "en",
               figures: bool = True, format: str = "md") -> list[Path]:
    """``hwcheck key``: solve every spec; write ``<id>.md``, ``<id>.json`` and ``KEY.md``,
    and the figures of kinds that draw them (``<id>-<figure>.svg``; not with ``figures=False``).
    With ``format="html"``, also ``<id>.html`` and ``KEY.html``: self-contained pages that link
    each other, figures inlined.

    Every spec is checked and solved before anything is written, so a bad spec
    leaves the output folder as it was. The list returned also has ``notes``.
    """
    from hwcheck import figures as fig

    if format not in ("md", "html"):
        raise HwcheckError(f"unknown format {format!r}; expected one of md, html")
    render.environment(lang)  # an unknown language fails before anything is solved
    problems, errors = validate(paths)
    if errors:
        raise KeySetError(errors)
    out = Path(out)
    pages: dict[Path, str] = {}
    svg_files: dict[Path, str] = {}
    documents: dict[Path, str] = {}
    entries = []
    drawings, notes = [], []
    for problem in problems:
        solution = solve(problem)
        planned, items, remarks = plan_figures(problem, solution, figures=figures)
        notes.extend(n for n in remarks if n not in notes)
        if items and format == "html":  # drawn once, inlined in the page and written beside it
            svgs = draw_svgs(items, problem.id)
            svg_files.update({out / name: text for name, text in svgs.items()})
        elif items:
            drawings.append((items, problem.id))
        documents[out / f"{problem.id}.md"] = render.document(problem, solution, "md", lang, figures=planned)
        if format == "html":
            pages[out / f"{problem.id}.html"] = solution_page(problem, solution, lang=lang, figures=figures,
                                                              drawn=svgs if items else {})[0]
        documents[out / f"{problem.id}.json"] = render_solution(problem, solution, format="json", lang=lang)
        entries.append({"problem": problem, "answers": render.answer_views(problem, solution, lang),
                        "instructor": render.instructor_view(problem, lang)})
    documents[out / "KEY.md"] = render.key_document(entries, lang)
    if format == "html":
        from hwcheck import html

        links = {f"{p.id}.md": f"{p.id}.html" for p in problems}
        pages[out / "KEY.html"] = html.page(documents[out / "KEY.md"], lang, links=links)
    documents.update(pages)
    out.mkdir(parents=True, exist_ok=True)
    for path, text in documents.items():
        write_atomic(path, text)
    for path, text in svg_files.items():
        write_atomic(path, text)
    drawn = [d["path"] for items, pid in drawings for d in fig.write(items, out, pid)]
    return Written(list(documents) + list(svg_files) + drawn, notes)


def render_sheet(problems: Iterable[Problem], *, format: str = "md", lang: str = "en") -> str:
    """``hwcheck sheet``: the problem sheet of ``problems`` (SPEC section 8) as Markdown or LaTeX:
    title, statement, given data and the asked parts with their points; no answers, no steps."""
    if format not in SHEET_FORMATS:
        raise HwcheckError(f"unknown sheet format {format!r}; expected one of {', '.join(SHEET_FORMATS)}")
    if format == "html":  # the Markdown sheet as one self-contained page (hwcheck.html)
        from hwcheck import html

        return html.page(render.sheet_document(list(problems), "md", lang), lang)
    return render.sheet_document(list(problems), format, lang)


def sheet_file(paths: Iterable[str | Path], *, format: str = "md", lang: str = "en") -> str:
    """The sheet of every spec under ``paths`` (files or folders); every spec is checked first."""
    problems, errors = validate(paths)
    if errors:
        raise KeySetError(errors)
    return render_sheet(problems, format=format, lang=lang)


SHEET_FORMATS = ("md", "tex", "html")


class KeySetError(HwcheckError):
    """Several specs of a set are invalid; each error is one line."""

    def __init__(self, errors: list[SpecError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def list_kinds() -> list[dict]:
    """Every registered kind with its given keys and parts."""
    out = []
    for name in kinds.names():
        kind = kinds.get(name)
        out.append({
            "name": name,
            "title": kind.title,
            "given": {k: {"doc": s.describe(), "required": s.required,
                          "default": None if s.required else s.default} for k, s in kind.given.items()},
            "parts": {k: {"doc": p.doc, "default": p.default} for k, p in kind.parts.items()},
        })
    return out


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so no reader sees half of it.

    A path that exists and is not a regular file (``/dev/null``, a pipe) is written
    directly: replacing it would destroy it.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# -- grading (SPEC sections 4 and 5); the work is in hwcheck.grade ------------------

def grade_file(path: str | Path, *, problems: str | Path = "problems", format: str = "md",
               lang: str = "en") -> str:
    """``hwcheck grade FILE``: one submission graded against the problems in ``problems``,
    as Markdown (``md``), a self-contained HTML page (``html``), SPEC JSON (``json``) or
    Gradescope ``results.json`` (``gradescope``)."""
    from hwcheck.grade import batch, options, report

    render.environment(lang)  # an unknown language is refused before any grading

    if format not in options.FORMATS:
        raise HwcheckError(f"unknown format {format!r}; expected one of {', '.join(options.FORMATS)}")
    keys = batch.load_keys(problems)
    return report.format_result(batch.grade_one(path, keys, lang=lang), format, lang)


def grade_files(paths: Iterable[str | Path], *, problems: str | Path = "problems", out: str | Path | None = None,
                format: str = "md", lang: str = "en", on_progress=None):
    """``hwcheck grade FILE... --out DIR``: grade a batch, each problem solved once.

    Returns a ``hwcheck.grade.batch.Batch`` (results, bad files, files written).
    A bad submission is reported in ``bad`` and skipped; with ``out``, every
    student gets ``<student>.md`` and ``<student>.json``, and the folder gets
    ``grades.csv`` and ``summary.md`` (all written atomically).
    """
    from hwcheck.grade import batch, options

    render.environment(lang)
    if format not in options.FORMATS:
        raise HwcheckError(f"unknown format {format!r}; expected one of {', '.join(options.FORMATS)}")
    keys = batch.load_keys(problems)
    return batch.grade_many(paths, keys, out=out, lang=lang, fmt=format, on_progress=on_progress)
