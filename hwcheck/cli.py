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
    except Exception as exc:  # a bug in hwcheck: say so plainly
        if Context.debug:
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback, "
                   "and please report it)", err=True)
        sys.exit(1)


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    from hwcheck.api import write_atomic

    path = Path(output)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True)
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
def solve(spec: str, fmt: str, output: str | None, lang: str, no_figures: bool) -> None:
    """Solve one problem spec and explain every step.

    With -o and --format md, kinds that draw figures write them beside the
    output file (<id>-<figure>.svg) and the Markdown links them; --format html
    inlines them in the page.
    """
    from hwcheck import api

    if output is None:
        _run(lambda: _emit(api.solve_file(spec, format=fmt, lang=lang), None))
        return
    written = _run(api.write_solution, spec, output, format=fmt, lang=lang, figures=not no_figures)
    for path in written:
        click.echo(f"wrote {path}", err=True)
    for note in written.notes:
        click.echo(f"note: {note}", err=True)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--out", default="solutions", show_default=True, type=click.Path(file_okay=False),
              help="Folder for <id>.md, <id>.json and KEY.md.")
@lang_option("the explanation")
@click.option("--no-figures", is_flag=True, help="Do not draw the figures of kinds that have them.")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True,
              help="html: also write <id>.html and KEY.html, self-contained pages that link each other.")
def key(paths: tuple[str, ...], out: str, lang: str, no_figures: bool, fmt: str) -> None:
    """Write answer keys for every spec in PATHS (files or folders), and their figures."""
    from hwcheck import api

    written = _run(api.write_keys, paths, out=out, lang=lang, figures=not no_figures, format=fmt)
    problems = sum(1 for p in written if str(p).endswith(".json"))
    click.echo(f"wrote {len(written)} files to {out}/ ({problems} problems and KEY.md)", err=True)
    for note in getattr(written, "notes", []):
        click.echo(f"note: {note}", err=True)


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["md", "tex", "html"]), default="md", show_default=True,
              help="md: Markdown; tex: a standalone LaTeX document (XeLaTeX for --lang fa); "
                   "html: one self-contained page.")
@lang_option("the sheet")
def sheet(specs: tuple[str, ...], output: str | None, fmt: str, lang: str) -> None:
    """Write the problem sheet of SPECS (files or folders): title, statement, given data and
    the asked parts with their points. No answers and no steps."""
    from hwcheck import api

    _run(lambda: _emit(api.sheet_file(specs, format=fmt, lang=lang), output))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def validate(paths: tuple[str, ...]) -> None:
    """Check problem specs without solving them."""
    from hwcheck import api

    problems, errors = _run(api.validate, paths)
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


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--problems", default="problems", show_default=True, type=click.Path(file_okay=False),
              help="Folder of the problem specs the submissions answer.")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "gradescope", "html"]), default="md",
              show_default=True, help="md: feedback report; json: grade result (SPEC 5); gradescope: autograder "
              "results.json; html: the report as a self-contained page (with --out: <student>.html, summary.html).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for <student>.md/.json, grades.csv and summary.md (needed for several files).")
@lang_option("the feedback")
def grade(files: tuple[str, ...], problems: str, fmt: str, out: str | None, lang: str) -> None:
    """Grade student submissions (JSON or YAML) against the problems.

    \b
      hwcheck grade s-0001.json                        print one report
      hwcheck grade submissions/*.json --out grades/   a whole class
    """
    from hwcheck import api

    if out is None:
        if len(files) > 1:
            click.echo("error: several files need --out DIR (one report per student, grades.csv, summary.md)",
                       err=True)
            sys.exit(2)
        click.echo(_run(api.grade_file, files[0], problems=problems, format=fmt, lang=lang), nl=False)
        return
    if sys.stderr.isatty():
        with click.progressbar(length=len(files), label="grading", file=sys.stderr) as bar:
            result = _run(api.grade_files, files, problems=problems, out=out, format=fmt, lang=lang,
                          on_progress=lambda path, graded: bar.update(1))
    else:
        result = _run(api.grade_files, files, problems=problems, out=out, format=fmt, lang=lang)
    for error in result.bad:
        click.echo(f"error: {error} (skipped)", err=True)
    click.echo(f"graded {len(result.results)} of {len(files)} submission(s); wrote {len(result.written)} files "
               f"to {out}/ (grades.csv, summary.md)", err=True)
    if result.bad:
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
