"""The Python API behind the CLI: one function per command, defaults here.

This module is the façade: it composes the core (``solving``, ``problem_set``, ``files``,
``figures``, ``render``, ``grade``, ``variants``) and nothing in the core imports it back
(``tests/test_layering.py``). The core's public names are re-exported here.

>>> p = load_problem_text("{kind: init_bounds, given: {scheme: he_normal, n_in: 50, n_out: 10}}")
>>> solve(p).answers["std"]
1/5
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from hwcheck import kinds, limits, render
from hwcheck.errors import HwcheckError
from hwcheck.files import (current_umask, file_mode, make_folder, os_message, publish_folder,  # noqa: F401
                           write_atomic, writing)
from hwcheck.model import Problem, Solution
from hwcheck.problem_set import KeySetError, validate
from hwcheck.solving import guarded, load_problem_text, solve, timeout_error  # noqa: F401
from hwcheck.spec import load_problem

__all__ = ["load_problem", "load_problem_text", "solve", "render_solution", "solve_file", "render_sheet", "sheet_file",
           "write_keys", "validate", "list_kinds", "write_atomic", "write_solution", "plan_figures",
           "grade_file", "grade_files", "load_assignment", "problems_for", "sheet", "build_autograder",
           "write_variants", "write_practice"]


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


def solve_file(path: str | Path, *, format: str = "md", lang: str = "en",
               timeout: float | None = limits.SOLVE_SECONDS) -> str:
    """``hwcheck solve``: read, check, solve and render one spec, all within ``timeout`` seconds."""
    with guarded(str(path), timeout):
        problem = load_problem(path)
        return render_solution(problem, solve(problem, timeout=None), format=format, lang=lang)


def solution_page(problem: Problem, solution: Solution, *, lang: str = "en", figures: bool = True,
                  drawn: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """The worked solution as one self-contained HTML page (``hwcheck.html``), its figures inlined
    as SVG; returns ``(html, notes)``. ``drawn`` reuses figures already drawn (``{file: svg}``)."""
    from hwcheck import figures as fig
    from hwcheck import html

    render.environment(lang)  # an unknown language fails here, before any drawing
    planned, items, notes = plan_figures(problem, solution, figures=figures)
    svgs = drawn if drawn is not None else (fig.svgs(items, problem.id) if items else {})
    text = render.document(problem, solution, "md", lang, figures=planned)
    return html.page(text, lang, title=problem.title, figures=svgs), notes


def plan_figures(problem: Problem, solution: Solution, *, figures: bool = True,
                 fmt: str = "svg") -> tuple[list[dict], list, list[str]]:
    """The figures of a solution: ``([{name, file}], figures to draw, notes)`` (``hwcheck.figures.plan``)."""
    from hwcheck import figures as fig

    return fig.plan(problem, solution, figures=figures, fmt=fmt)


def __getattr__(name: str):
    # hwcheck.figures is imported only where figures are drawn, so its note is looked up on use
    if name == "FIGURES_MISSING":
        from hwcheck.figures import FIGURES_MISSING

        return FIGURES_MISSING
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Written(list):
    """Paths written (a list), with ``notes``: one-line remarks for the user."""

    def __init__(self, paths=(), notes=()):
        super().__init__(paths)
        self.notes = list(notes)


def write_solution(spec: str | Path, output: str | Path, *, format: str = "md", lang: str = "en",
                   figures: bool = True, figure_format: str = "svg",
                   timeout: float | None = limits.SOLVE_SECONDS) -> Written:
    """``hwcheck solve -o``: write the solution; for Markdown also its figures beside it
    (``<id>-<figure>.svg``, linked from the document). Checking, solving, rendering and drawing
    share one budget of ``timeout`` seconds; nothing is written when it runs out."""
    from hwcheck import figures as fig

    output = Path(output)
    with guarded(str(spec), timeout):
        problem = load_problem(spec)
        solution = solve(problem, timeout=None)
        if format == "html":  # figures inlined in the page, none beside it
            text, notes = solution_page(problem, solution, lang=lang, figures=figures)
            pictures = []
        else:
            planned, items, notes = plan_figures(problem, solution, figures=figures and format == "md",
                                                 fmt=figure_format)
            if format == "md":
                text = render.document(problem, solution, "md", lang, figures=planned)
            else:
                text = render_solution(problem, solution, format=format, lang=lang)
            pictures = fig.render(items, problem.id, figure_format) if items else []
    with writing(output):
        make_folder(output.parent)
        drawn = []
        for name, data in pictures:
            write_atomic(output.parent / name, data)
            drawn.append(output.parent / name)
        write_atomic(output, text)
    return Written([output] + drawn, notes)


def write_keys(paths: Iterable[str | Path], *, out: str | Path = "solutions", lang: str = "en",
               figures: bool = True, assignment: str | Path | None = None, format: str = "md",
               timeout: float | None = limits.SOLVE_SECONDS, jobs: int = 1) -> list[Path]:
    """``hwcheck key``: solve every spec; write ``<id>.md``, ``<id>.json`` and ``KEY.md``,
    and the figures of kinds that draw them (``<id>-<figure>.svg``; not with ``figures=False``).
    With ``format="html"``, also ``<id>.html`` and ``KEY.html``: self-contained pages that link
    each other, figures inlined.

    Every spec is checked, solved, rendered and drawn (each within ``timeout`` seconds) before
    anything is written; the new set is then built in a staging folder and swapped into place,
    so a reader sees the old set or the new one, never a mix, and a bad spec or a run stopped
    midway leaves the output folder as it was. Files in the folder that this run does not
    write are kept. The list returned also has ``notes``. ``jobs``: processes that solve, render
    and draw the specs (``hwcheck.parallel``); the files are the same bytes whatever it is.
    """
    from hwcheck import figures as fig
    from hwcheck import parallel

    parallel.check_jobs(jobs)
    if format not in ("md", "html"):
        raise HwcheckError(f"unknown format {format!r}; expected one of md, html")
    render.environment(lang)  # an unknown language fails before anything is solved
    problems, errors = validate(paths, timeout=timeout) if assignment is None else \
        (list(load_assignment(assignment).problems), [])
    if errors:
        raise KeySetError(errors)
    out = Path(out)

    def one(problem: Problem) -> dict:  # checked, solved, rendered and drawn (in a worker when jobs > 1)
        with guarded(problem.path, timeout):
            solution = solve(problem, timeout=None)
            planned, items, remarks = plan_figures(problem, solution, figures=figures)
            made = {"remarks": remarks,
                    "md": render.document(problem, solution, "md", lang, figures=planned),
                    "json": render_solution(problem, solution, format="json", lang=lang),
                    "answers": render.answer_views(problem, solution, lang),
                    "instructor": render.instructor_view(problem, lang)}
        try:  # a figure's error is raised once every spec is solved, in problem order
            with guarded(problem.path, timeout):
                made["drawn"] = fig.render(items, problem.id) if items else []
                if format == "html":  # the figures drawn once, inlined in the page and written beside it
                    svgs = {name: data.decode("utf-8") if isinstance(data, bytes) else data
                            for name, data in made["drawn"]}
                    made["page"] = solution_page(problem, solution, lang=lang, figures=figures, drawn=svgs)[0]
        except Exception as exc:  # noqa: BLE001 - raised below, after the other specs' errors
            made["failed"] = exc
        return made

    documents: dict[str, str | bytes] = {}
    entries = []
    notes: list[str] = []
    made = []
    for problem, m in zip(problems, parallel.ordered_map(one, problems, jobs=jobs, redo=lambda m: "failed" in m)):
        notes.extend(n for n in m["remarks"] if n not in notes)
        documents[f"{problem.id}.md"] = m["md"]
        documents[f"{problem.id}.json"] = m["json"]
        entries.append({"problem": problem, "answers": m["answers"], "instructor": m["instructor"]})
        made.append(m)
    for m in made:
        if "failed" in m:
            raise m["failed"]
    pictures = [picture for m in made for picture in m["drawn"]]  # figures after all documents, in problem order
    pages = {f"{problem.id}.html": m["page"] for problem, m in zip(problems, made) if "page" in m}
    documents["KEY.md"] = render.key_document(entries, lang)
    if format == "html":
        from hwcheck import html

        links = {f"{p.id}.md": f"{p.id}.html" for p in problems}
        pages["KEY.html"] = html.page(documents["KEY.md"], lang, links=links)
    documents.update(pages)
    with writing(out):
        publish_folder(out, {**dict(pictures), **documents})
    return Written([out / name for name in documents] + [out / name for name, _ in pictures], notes)


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


# -- variants and practice (SPEC section 7); the work is in hwcheck.variants ------------

def write_variants(specs: Iterable[str | Path] = (), *, roster: str | Path, out: str | Path, lang: str = "en",
                   assignment: str | Path | None = None, on_progress=None, jobs: int = 1) -> Written:
    """``hwcheck variants``: each student's concrete specs and problem sheet in ``OUT/<student>/``,
    the instructor's keys in ``OUT/keys/<student>/``, and ``OUT/variants.csv``.

    Every variant is drawn and self-tested before anything is written; re-running gives the same bytes.
    ``jobs``: processes that draw and render the students' variants (the same bytes whatever it is).
    """
    from hwcheck import parallel, variants

    parallel.check_jobs(jobs)
    students = variants.read_roster(roster)
    drawn = variants.build(problems_for(specs, assignment=assignment), students, on_progress=on_progress, jobs=jobs)
    out = Path(out)

    def one(student: str) -> dict[Path, str]:  # a student's specs, keys and sheet (in a worker when jobs > 1)
        folder = variants.folder_name(student)
        items = drawn[student]
        made: dict[Path, str] = {}
        for v in items:
            made[out / folder / f"{v.problem.id}.yaml"] = variants.dump_spec(v.raw)
            solution = solve(v.problem)
            made[out / "keys" / folder / f"{v.problem.id}.json"] = render_solution(
                v.problem, solution, format="json", lang=lang)
            made[out / "keys" / folder / f"{v.problem.id}.md"] = render.document(v.problem, solution, "md", lang)
        made[out / folder / "sheet.md"] = render_sheet([v.problem for v in items], format="md", lang=lang)
        return made

    documents: dict[Path, str] = {out / variants.INDEX: variants.index_text(students)}
    for made in parallel.ordered_map(one, list(drawn), jobs=jobs):
        documents.update(made)
    for path, text in documents.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    return Written(list(documents))


def write_practice(kind: str, *, seed: int | None = None, out: str | Path = ".") -> Written:
    """``hwcheck practice KIND``: a fresh problem of that kind (its built-in template with new numbers)
    and a blank answer file for it."""
    from hwcheck import variants

    raw, problem = variants.practice(kind, seed)
    out = Path(out)
    spec_path = out / f"{problem.id}.yaml"
    answers_path = out / f"{problem.id}-answers.json"
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(spec_path, variants.dump_spec(raw))
    write_atomic(answers_path, variants.blank_answers(problem))
    return Written([spec_path, answers_path])


# -- grading (SPEC sections 4, 5 and 9); the work is in hwcheck.grade ----------------

def load_assignment(path: str | Path):
    """``--assignment FILE`` (SPEC section 6): an ``hwcheck.assignment.Assignment`` (``.id``, ``.title``,
    ``.problems`` with weights and grading defaults applied, ``.reveal``)."""
    from hwcheck.assignment import load_assignment as load

    return load(path)


def problems_for(paths: Iterable[str | Path] = (), *, assignment: str | Path | None = None) -> list[Problem]:
    """The problems a command works on: those of ``assignment`` (in the homework's order), or every
    spec under ``paths``. Both, or neither, is a usage error."""
    paths = list(paths)
    if assignment is not None:
        if paths:
            raise HwcheckError("give problem specs or --assignment, not both")
        return list(load_assignment(assignment).problems)
    if not paths:
        raise HwcheckError("no problem specs given (name spec files or folders, or use --assignment FILE)")
    problems, errors = validate(paths)
    if errors:
        raise KeySetError(errors)
    return problems


def sheet(paths: Iterable[str | Path] = (), *, assignment: str | Path | None = None, format: str = "md",
          lang: str = "en") -> str:
    """``hwcheck sheet [SPECS...] [--assignment FILE]``: the hand-out of the chosen problems
    (``render_sheet`` does the rendering)."""
    return render_sheet(problems_for(paths, assignment=assignment), format=format, lang=lang)


def _grading_keys(problems: str | Path | None, assignment: str | Path | None):
    """The solved problem set: the assignment's problems (its grading defaults in their parts), or
    every spec in ``problems`` (default ``problems/``)."""
    from hwcheck.grade import batch, options
    from hwcheck.grade.keys import KeySet

    if assignment is not None:
        if problems is not None:
            raise HwcheckError("use --problems or --assignment, not both (an assignment names its specs folder)")
        return KeySet(load_assignment(assignment).problems)
    return batch.load_keys(options.DEFAULT_PROBLEMS if problems is None else problems)


def _check_format(format: str, lang: str = "en") -> None:
    from hwcheck.grade import options

    render.environment(lang)  # an unknown language is refused before any grading
    if format not in options.FORMATS:
        raise HwcheckError(f"unknown format {format!r}; expected one of {', '.join(options.FORMATS)}")


class GradedFile(str):
    """A report (the text, a ``str``) with ``warnings``: lines about the file (unknown problem ids ...)."""

    warnings: tuple[str, ...] = ()


def grade_file(path: str | Path, *, problems: str | Path | None = None, format: str = "md", lang: str = "en",
               assignment: str | Path | None = None, reviewed: str | Path | None = None,
               variants: str | Path | None = None) -> GradedFile:
    """``hwcheck grade FILE``: one submission graded against the problems in ``problems`` (default
    ``problems/``) or those of ``assignment``, as Markdown (``md``), SPEC JSON (``json``) or Gradescope
    ``results.json`` (``gradescope``). Answers to problem ids or parts not in the set are left out and
    named in ``.warnings``; an unreadable file raises its ``SubmissionError``."""
    from hwcheck.grade import batch
    from hwcheck.grade import review as rv

    _check_format(format, lang)
    keys = _grading_keys(problems, assignment)
    reviews = rv.merge(rv.read(reviewed)) if reviewed is not None else None
    result, notes = batch.grade_single(path, keys, lang=lang, reviews=reviews,
                                       variants=_variant_keys(variants, keys))
    text = GradedFile(batch.render_result(result, format, lang, notes))
    text.warnings = tuple(batch.say(lang, "note", n) for n in notes)
    return text


def grade_files(paths: Iterable[str | Path], *, problems: str | Path | None = None, out: str | Path | None = None,
                format: str = "md", lang: str = "en", assignment: str | Path | None = None,
                reviewed: str | Path | None = None, on_progress=None, variants: str | Path | None = None,
                jobs: int = 1):
    """``hwcheck grade FILE... --out DIR``: grade a class, each problem solved once.

    Returns a ``hwcheck.grade.batch.Batch``: a ``Row`` for every file (graded, or why not), the
    files written and removed, and ``exit_status``. With ``out``, every graded file gets
    ``<stem>.md`` and ``<stem>.json`` (``<stem>.results.json`` too with ``format="gradescope"``), and
    the folder gets ``grades.csv`` (a row per file, with its status), ``summary.md`` and
    ``review.csv``; files an earlier run wrote there and this one did not are removed (all writes
    atomic). ``reviewed``: a ``review.csv`` with a TA's scores to merge in. ``jobs``: processes that
    read, grade and report the files; the keys are solved once, here, before (the same bytes whatever it is).
    """
    from hwcheck.grade import batch

    _check_format(format, lang)
    keys = _grading_keys(problems, assignment)
    return batch.grade_many(paths, keys, out=out, lang=lang, fmt=format, reviewed=reviewed,
                            on_progress=on_progress, variants=_variant_keys(variants, keys), jobs=jobs)


def _variant_keys(variants: str | Path | None, keys):
    """``--variants OUT``: each student's own problem set (``hwcheck variants`` wrote OUT)."""
    if variants is None:
        return None
    from hwcheck.variants import VariantKeys

    return VariantKeys(variants, keys)


def build_autograder(assignment: str | Path, output: str | Path, *, wheel: str | Path | None = None,
                     lang: str = "en") -> Path:
    """``hwcheck autograder --assignment FILE -o autograder.zip``: a Gradescope autograder (see
    ``hwcheck.autograder``)."""
    from hwcheck import autograder

    return autograder.build(assignment, output, wheel=wheel, lang=lang)
