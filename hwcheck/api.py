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

__all__ = ["load_problem", "load_problem_text", "solve", "render_solution", "solve_file",
           "write_keys", "validate", "list_kinds", "write_atomic", "write_solution", "plan_figures",
           "grade_file", "grade_files", "load_assignment", "problems_for", "sheet", "build_autograder"]

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
    """The worked solution as Markdown (``md``), LaTeX (``tex``) or the JSON answer key (``json``)."""
    if format not in render.FORMATS:
        raise HwcheckError(f"unknown format {format!r}; expected one of {', '.join(render.FORMATS)}")
    solution = solve(problem) if solution is None else solution
    if format == "json":
        return json.dumps(render.answer_key(problem, solution, lang), indent=2, ensure_ascii=False) + "\n"
    return render.document(problem, solution, format, lang)


def solve_file(path: str | Path, *, format: str = "md", lang: str = "en") -> str:
    """``hwcheck solve``: read, check, solve and render one spec."""
    return render_solution(load_problem(path), format=format, lang=lang)


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
               figures: bool = True, assignment: str | Path | None = None) -> list[Path]:
    """``hwcheck key``: solve every spec; write ``<id>.md``, ``<id>.json`` and ``KEY.md``,
    and the figures of kinds that draw them (``<id>-<figure>.svg``; not with ``figures=False``).

    Every spec is checked and solved before anything is written, so a bad spec
    leaves the output folder as it was. The list returned also has ``notes``.
    """
    from hwcheck import figures as fig

    problems, errors = validate(paths) if assignment is None else (list(load_assignment(assignment).problems), [])
    if errors:
        raise KeySetError(errors)
    out = Path(out)
    documents: dict[Path, str] = {}
    entries = []
    drawings, notes = [], []
    for problem in problems:
        solution = solve(problem)
        planned, items, remarks = plan_figures(problem, solution, figures=figures)
        notes.extend(n for n in remarks if n not in notes)
        if items:
            drawings.append((items, problem.id))
        documents[out / f"{problem.id}.md"] = render.document(problem, solution, "md", lang, figures=planned)
        documents[out / f"{problem.id}.json"] = render_solution(problem, solution, format="json", lang=lang)
        entries.append({"problem": problem, "answers": render.answer_views(problem, solution, lang)})
    documents[out / "KEY.md"] = render.key_document(entries, lang)
    out.mkdir(parents=True, exist_ok=True)
    for path, text in documents.items():
        write_atomic(path, text)
    drawn = [d["path"] for items, pid in drawings for d in fig.write(items, out, pid)]
    return Written(list(documents) + drawn, notes)


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
    render_sheet = globals().get("render_sheet")
    if render_sheet is None:
        raise HwcheckError("problem sheets are not available in this version of hwcheck")
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


def _check_format(format: str) -> None:
    from hwcheck.grade import options

    if format not in options.FORMATS:
        raise HwcheckError(f"unknown format {format!r}; expected one of {', '.join(options.FORMATS)}")


class GradedFile(str):
    """A report (the text, a ``str``) with ``warnings``: lines about the file (unknown problem ids ...)."""

    warnings: tuple[str, ...] = ()


def grade_file(path: str | Path, *, problems: str | Path | None = None, format: str = "md", lang: str = "en",
               assignment: str | Path | None = None, reviewed: str | Path | None = None) -> GradedFile:
    """``hwcheck grade FILE``: one submission graded against the problems in ``problems`` (default
    ``problems/``) or those of ``assignment``, as Markdown (``md``), SPEC JSON (``json``) or Gradescope
    ``results.json`` (``gradescope``). Answers to problem ids or parts not in the set are left out and
    named in ``.warnings``; an unreadable file raises its ``SubmissionError``."""
    from hwcheck.grade import batch
    from hwcheck.grade import review as rv

    _check_format(format)
    keys = _grading_keys(problems, assignment)
    reviews = rv.merge(rv.read(reviewed)) if reviewed is not None else None
    result, notes = batch.grade_single(path, keys, lang=lang, reviews=reviews)
    text = GradedFile(batch.render_result(result, format, lang, notes))
    text.warnings = tuple(batch.say(lang, "note", n) for n in notes)
    return text


def grade_files(paths: Iterable[str | Path], *, problems: str | Path | None = None, out: str | Path | None = None,
                format: str = "md", lang: str = "en", assignment: str | Path | None = None,
                reviewed: str | Path | None = None, on_progress=None):
    """``hwcheck grade FILE... --out DIR``: grade a class, each problem solved once.

    Returns a ``hwcheck.grade.batch.Batch``: a ``Row`` for every file (graded, or why not), the
    files written and removed, and ``exit_status``. With ``out``, every graded file gets
    ``<stem>.md`` and ``<stem>.json`` (``<stem>.results.json`` too with ``format="gradescope"``), and
    the folder gets ``grades.csv`` (a row per file, with its status), ``summary.md`` and
    ``review.csv``; files an earlier run wrote there and this one did not are removed (all writes
    atomic). ``reviewed``: a ``review.csv`` with a TA's scores to merge in.
    """
    from hwcheck.grade import batch

    _check_format(format)
    keys = _grading_keys(problems, assignment)
    return batch.grade_many(paths, keys, out=out, lang=lang, fmt=format, reviewed=reviewed,
                            on_progress=on_progress)


def build_autograder(assignment: str | Path, output: str | Path, *, wheel: str | Path | None = None,
                     lang: str = "en") -> Path:
    """``hwcheck autograder --assignment FILE -o autograder.zip``: a Gradescope autograder (see
    ``hwcheck.autograder``)."""
    from hwcheck import autograder

    return autograder.build(assignment, output, wheel=wheel, lang=lang)
