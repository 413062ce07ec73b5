"""The ``hwcheck`` command: a thin layer over ``hwcheck.api``.

Each command parses its options, calls one API function and prints or writes
the result. Errors that users can fix (``HwcheckError``) become one clear line
and exit status 2; anything else is a bug and shows its traceback only with
``--debug``. Only click is imported at start-up, so ``hwcheck --help`` is fast.
"""

from __future__ import annotations

import sys

import click

FORMATS = ("md", "tex", "json", "html")


def _languages() -> tuple[str, ...]:
    from hwcheck.langs import languages

    return languages()


def _check_lang(ctx, param, value: str) -> str:
    """An unknown --lang is one clear line that lists the languages (exit status 2)."""
    if value not in _languages():
        click.echo(f"error: unknown language {value!r} for --lang; expected one of: {', '.join(_languages())}",
                   err=True)
        sys.exit(2)
    return value


def lang_option(what: str):
    """``--lang``: the languages are the folders of templates/ (``hwcheck.langs``)."""
    names = _languages()
    return click.option("--lang", default="en", show_default=True, callback=_check_lang,
                        metavar="[" + "|".join(names) + "]",
                        help=f"Language of {what}: {', '.join(names)} (fa: Persian, right to left).")
SOLVE_SECONDS = 20.0  # the default of --timeout; hwcheck.limits.SOLVE_SECONDS (kept in step by a test)


def _timeout_option(fn):
    return click.option("--timeout", type=click.FloatRange(min=0), default=SOLVE_SECONDS, show_default=True,
                        metavar="SECONDS", help="Time limit for checking and solving each spec (0: none).")(fn)


def _seconds(timeout: float) -> float | None:
    from hwcheck import limits

    limits.enable_hard_exit()
    return timeout or None


def _default_jobs() -> int:
    from hwcheck.parallel import default_jobs

    return default_jobs()


def _jobs_option(what: str):
    return click.option("--jobs", "-j", type=click.IntRange(min=1), default=_default_jobs,
                        show_default="the number of usable cores", metavar="N",
                        help=f"Processes that {what}; any N gives the same output.")


def _assignment_option(help_text: str):
    return click.option("--assignment", type=click.Path(dir_okay=False),
                        help=help_text + " (SPEC 6: its problems, weights and grading defaults).")


class Context:
    debug = False


def _run(fn, *args, **kwargs):
    """Call an API function; turn its typed errors into clean CLI errors."""
    from hwcheck.errors import HwcheckError

    try:
        return fn(*args, **kwargs)
    except HwcheckError as exc:
        for line in str(exc).splitlines():
            click.echo(f"error: {line}" if not line.startswith(" ") else line, err=True)
        sys.exit(2)
    except OSError as exc:  # the system refused a file operation (read-only folder, full disk, ...)
        from hwcheck.api import os_message

        click.echo(f"error: {os_message(exc)}", err=True)
        sys.exit(2)
    except Exception as exc:  # a bug in hwcheck: say so plainly
        if Context.debug:
            raise
        from hwcheck.errors import echo

        click.echo(f"internal error: {type(exc).__name__}: {echo(exc, 300)} (run with --debug for the traceback, "
                   "and please report it)", err=True)
        sys.exit(1)
    finally:
        if "hwcheck.startup" in sys.modules:
            sys.modules["hwcheck.startup"].settle()  # the collector back on, whatever happened
        if "hwcheck.limits" in sys.modules:
            sys.modules["hwcheck.limits"]._HardExit.enabled = False  # only for this command


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    from hwcheck.api import make_folder, write_atomic, writing

    path = Path(output)
    with writing(path):
        make_folder(path.parent)
        write_atomic(path, text)
    click.echo(f"wrote {path}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hwcheck")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def main(debug: bool) -> None:
    """Exact worked solutions and grading for deep-learning exercises.

    \b
      hwcheck solve problems/conv2d-backprop-4x4.yaml   a worked solution
      hwcheck key problems/ -o solutions/               answer keys for a set
      hwcheck kinds                                     the problem kinds
      hwcheck grade s-0001.json                         grade a submission
    """
    Context.debug = debug


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True,
              help="md: worked solution; tex: standalone LaTeX; json: the answer key; "
                   "html: one self-contained page (MathML, no script).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@lang_option("the explanation")
@click.option("--no-figures", is_flag=True, help="With -o and md: do not draw the kind's figures.")
@_timeout_option
def solve(spec: str, fmt: str, output: str | None, lang: str, no_figures: bool, timeout: float) -> None:
    """Solve one problem spec and explain every step.

    With -o and --format md, kinds that draw figures write them beside the
    output file (<id>-<figure>.svg) and the Markdown links them; --format html
    inlines them in the page.
    """
    from hwcheck import startup

    startup.pause()  # one spec, then the process ends: no collector passes over the modules as they load
    from hwcheck import api

    seconds = _seconds(timeout)
    if output is None:
        _run(lambda: _emit(api.solve_file(spec, format=fmt, lang=lang, timeout=seconds), None))
        return
    written = _run(api.write_solution, spec, output, format=fmt, lang=lang, figures=not no_figures,
                   timeout=seconds)
    for path in written:
        click.echo(f"wrote {path}", err=True)
    for note in written.notes:
        click.echo(f"note: {note}", err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("-o", "--out", default="solutions", show_default=True, type=click.Path(file_okay=False),
              help="Folder for <id>.md, <id>.json and KEY.md.")
@lang_option("the explanation")
@click.option("--no-figures", is_flag=True, help="Do not draw the figures of kinds that have them.")
@click.option("--assignment", type=click.Path(dir_okay=False),
              help="Key the problems of this assignment (SPEC 6), weights applied, instead of PATHS.")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True,
              help="html: also write <id>.html and KEY.html, self-contained pages that link each other.")
@_timeout_option
@_jobs_option("solve and draw the specs")
def key(paths: tuple[str, ...], out: str, lang: str, no_figures: bool, assignment: str | None, fmt: str,
        timeout: float, jobs: int) -> None:
    """Write answer keys for every spec in PATHS (files or folders), and their figures.

    The new set replaces the old one in one step: a reader of the folder sees
    the old set or the new one, never a mix.
    """
    from hwcheck import api

    if bool(paths) == bool(assignment):
        click.echo("error: give spec files or folders, or --assignment FILE (one of the two)", err=True)
        sys.exit(2)
    written = _run(api.write_keys, paths, out=out, lang=lang, figures=not no_figures, assignment=assignment,
                   format=fmt, timeout=_seconds(timeout), jobs=jobs)
    problems = sum(1 for p in written if str(p).endswith(".json"))
    click.echo(f"wrote {len(written)} files to {out}/ ({problems} problems and KEY.md)", err=True)
    for note in getattr(written, "notes", []):
        click.echo(f"note: {note}", err=True)


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(exists=True))
@_assignment_option("The sheet of this assignment's problems, in its order, instead of SPECS")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["md", "tex", "html"]), default="md", show_default=True,
              help="md: Markdown; tex: a standalone LaTeX document (XeLaTeX for --lang fa); "
                   "html: one self-contained page.")
@lang_option("the sheet")
def sheet(specs: tuple[str, ...], assignment: str | None, output: str | None, fmt: str, lang: str) -> None:
    """Write the problem sheet of SPECS (files or folders): title, statement, given data and
    the asked parts with their points. No answers and no steps."""
    from hwcheck import api

    _run(lambda: _emit(api.sheet(specs, assignment=assignment, format=fmt, lang=lang), output))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@_timeout_option
def validate(paths: tuple[str, ...], timeout: float) -> None:
    """Check problem specs without solving them."""
    from hwcheck import api

    problems, errors = _run(api.validate, paths, timeout=_seconds(timeout))
    for p in problems:
        click.echo(f"ok: {p.path} ({p.kind}, parts: {', '.join(p.part_names)})")
    for e in errors:
        click.echo(f"error: {e}", err=True)
    if errors:
        sys.exit(2)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def kinds(fmt: str) -> None:
    """List the problem kinds with their given keys and parts."""
    from hwcheck import api

    listing = _run(api.list_kinds)
    if fmt == "json":
        import json

        click.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        return
    for k in listing:
        click.echo(f"{k['name']}: {k['title']}")
        for name, g in k["given"].items():
            extra = "" if g["required"] else f" [{g['default']}]"
            click.echo(f"    given  {name}{extra}: {g['doc']}")
        for name, p in k["parts"].items():
            mark = "*" if p["default"] else " "
            click.echo(f"    part {mark}{name}: {p['doc']}")
    click.echo("(* = asked when a spec lists no parts)")


EXIT_CODES = """\b
Exit status:
  0  every file graded, nothing to warn about
  1  internal error (a bug in hwcheck; --debug shows the traceback)
  2  usage or input error: a bad option, problem set, assignment or
     review.csv (nothing graded); for one FILE without --out, a file
     that cannot be read
  3  graded, with warnings: a file that could not be read (its row
     in grades.csv says why), answers to unknown problem ids or parts,
     or a student id used by several files"""


@main.command(epilog=EXIT_CODES)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--problems", default=None, type=click.Path(file_okay=False),
              help="Folder of the problem specs the submissions answer.  [default: problems]")
@_assignment_option("Grade the problems of this assignment instead of a whole folder")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "gradescope", "html"]), default="md",
              show_default=True, help="md: feedback report; json: grade result (SPEC 5); gradescope: autograder "
              "results.json; html: the report as a self-contained page (with --out: <student>.html, summary.html).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for the reports, grades.csv, summary.md and review.csv (needed for several files); "
                   "files an earlier run wrote there are replaced or removed, others are left alone.")
@click.option("--reviewed", type=click.Path(dir_okay=False),
              help="A review.csv whose score (and comment) cells a TA filled in: merged into the results.")
@click.option("--variants", type=click.Path(file_okay=False, exists=True),
              help="A folder written by 'hwcheck variants': grade each student against their own numbers.")
@lang_option("the feedback")
@_jobs_option("read, grade and report the files (with --out)")
def grade(files: tuple[str, ...], problems: str | None, assignment: str | None, fmt: str, out: str | None,
          reviewed: str | None, variants: str | None, lang: str, jobs: int) -> None:
    """Grade student submissions (JSON or YAML) against the problems.

    Every file gets a row in grades.csv: graded, or why not. Answers to
    problem ids or parts that are not in the set are named as warnings;
    every other answer is graded.

    \b
      hwcheck grade s-0001.json                        print one report
      hwcheck grade submissions/*.json --out grades/   a whole class
      hwcheck grade subs/*.json --assignment hw4.yaml --out grades/ --reviewed grades/review.csv
      hwcheck grade subs/*.json --variants hw4-variants/ --out grades/   each student's own numbers
    """
    from hwcheck import api

    if out is None:
        if len(files) > 1:
            click.echo("error: several files need --out DIR (one report per student, grades.csv, summary.md)",
                       err=True)
            sys.exit(2)
        text = _run(api.grade_file, files[0], problems=problems, assignment=assignment, format=fmt, lang=lang,
                    reviewed=reviewed, variants=variants)
        click.echo(text, nl=False)
        for line in text.warnings:
            click.echo(f"warning: {files[0]}: {line}", err=True)
        sys.exit(3 if text.warnings else 0)
    kwargs = dict(problems=problems, assignment=assignment, out=out, format=fmt, lang=lang, reviewed=reviewed,
                  variants=variants, jobs=jobs)
    if sys.stderr.isatty():
        with click.progressbar(length=len(files), label="grading", file=sys.stderr) as bar:
            batch = _run(api.grade_files, files, **kwargs, on_progress=lambda path, graded: bar.update(1))
    else:
        batch = _run(api.grade_files, files, **kwargs)
    _report_batch(batch, out, lang)
    sys.exit(batch.exit_status)


def _report_batch(batch, out: str, lang: str) -> None:
    """stderr: one line per file that is not simply ok, removed stale files, unused reviews, the counts."""
    from hwcheck.grade.batch import say

    for row in batch.rows:
        if Context.debug and row.exception is not None:
            import traceback

            traceback.print_exception(row.exception, file=sys.stderr)
        if not row.ok:
            click.echo(say(lang, "row_line", row), err=True)
    for entry in batch.unused_reviews:
        click.echo(say(lang, "unused_review", entry), err=True)
    for path in batch.removed:
        click.echo(say(lang, "removed", path), err=True)
    click.echo(say(lang, "done", batch.counts, out.rstrip("/")), err=True)


@main.command()
@_assignment_option("The Gradescope assignment")
@click.option("-o", "--output", default="autograder.zip", show_default=True, type=click.Path(dir_okay=False),
              help="The zip to upload to Gradescope.")
@click.option("--wheel", type=click.Path(dir_okay=False, exists=True),
              help="Ship this hwcheck wheel instead of building one from the source checkout.")
@lang_option("the feedback")
def autograder(assignment: str | None, output: str, wheel: str | None, lang: str) -> None:
    """Build a Gradescope autograder zip for an assignment.

    \b
      hwcheck autograder --assignment hw4.yaml -o autograder.zip

    The zip holds setup.sh (installs the hwcheck wheel shipped inside it),
    run_autograder (grades the JSON or YAML file under
    $HWCHECK_AUTOGRADER_ROOT/submission/, default root /autograder, and
    writes results/results.json) and the assignment with its specs.
    """
    from hwcheck import api

    if assignment is None:
        click.echo("error: hwcheck autograder needs --assignment FILE", err=True)
        sys.exit(2)
    path = _run(api.build_autograder, assignment, output, wheel=wheel, lang=lang)
    click.echo(f"wrote {path}", err=True)


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(exists=True))
@_assignment_option("Draw the problems of this assignment instead of SPECS")
@click.option("--roster", required=True, type=click.Path(dir_okay=False, exists=True),
              help="CSV with a 'student' column (other columns are kept).")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Folder for <student>/ (specs and sheet), keys/<student>/ and variants.csv.")
@lang_option("the sheets and keys")
@_jobs_option("draw and write the students' variants")
def variants(specs: tuple[str, ...], assignment: str | None, roster: str, out: str, lang: str, jobs: int) -> None:
    """Give every student of a roster their own numbers (the specs' vary: blocks).

    \b
      hwcheck variants problems/ --roster roster.csv -o hw4-variants/
      hwcheck grade subs/*.json --variants hw4-variants/ --out results/

    Each variant is drawn deterministically from the spec id, the student id and the vary block,
    rejected and drawn again when it makes a poor exercise, and self-tested before it is written.
    """
    from hwcheck import api

    count = _count_rows(roster)
    if sys.stderr.isatty() and count > 1:
        with click.progressbar(length=count, label="drawing variants", file=sys.stderr) as bar:
            written = _run(api.write_variants, specs, roster=roster, out=out, lang=lang, assignment=assignment,
                           on_progress=lambda student: bar.update(1), jobs=jobs)
    else:
        written = _run(api.write_variants, specs, roster=roster, out=out, lang=lang, assignment=assignment,
                       jobs=jobs)
    click.echo(f"wrote {len(written)} files to {out}/ for {count} student(s)", err=True)


def _count_rows(path: str) -> int:
    try:
        with open(path, encoding="utf-8-sig") as f:
            return max(0, sum(1 for line in f if line.strip()) - 1)
    except (OSError, UnicodeDecodeError):
        return 0


@main.command()
@click.argument("kind")
@click.option("--seed", type=click.IntRange(0), help="Draw this practice problem again (the seed is in its id).")
@click.option("-o", "--out", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the problem spec and its blank answer file.")
def practice(kind: str, seed: int | None, out: str) -> None:
    """Write a fresh practice problem of KIND and a blank answer file for it.

    \b
      hwcheck practice conv2d_backprop -o practice/
      (fill in practice/<id>-answers.json, then)
      hwcheck grade practice/<id>-answers.json --problems practice/
      hwcheck solve practice/<id>.yaml                 the worked solution
    """
    from hwcheck import api

    written = _run(api.write_practice, kind, seed=seed, out=out)
    for path in written:
        click.echo(f"wrote {path}", err=True)
    spec, answers = written
    click.echo(f"next: fill in {answers}, then run 'hwcheck grade {answers} --problems {spec.parent}'; "
               f"'hwcheck solve {spec}' shows the worked solution", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
