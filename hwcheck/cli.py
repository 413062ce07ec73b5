"""The ``hwcheck`` command: a thin layer over ``hwcheck.api``.

Each command parses its options, calls one API function and prints or writes
the result. Errors that users can fix (``HwcheckError``) become one clear line
and exit status 2; anything else is a bug and shows its traceback only with
``--debug``. Only click is imported at start-up, so ``hwcheck --help`` is fast.
"""

from __future__ import annotations

import sys

import click

FORMATS = ("md", "tex", "json")
SOLVE_SECONDS = 20.0  # the default of --timeout; hwcheck.limits.SOLVE_SECONDS (kept in step by a test)


def _timeout_option(fn):
    return click.option("--timeout", type=click.FloatRange(min=0), default=SOLVE_SECONDS, show_default=True,
                        metavar="SECONDS", help="Time limit for checking and solving each spec (0: none).")(fn)


def _seconds(timeout: float) -> float | None:
    from hwcheck import limits

    limits.enable_hard_exit()
    return timeout or None


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
              help="md: worked solution; tex: standalone LaTeX; json: the answer key.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--lang", default="en", show_default=True, help="Language of the explanation.")
@click.option("--no-figures", is_flag=True, help="With -o and md: do not draw the kind's figures.")
@_timeout_option
def solve(spec: str, fmt: str, output: str | None, lang: str, no_figures: bool, timeout: float) -> None:
    """Solve one problem spec and explain every step.

    With -o and --format md, kinds that draw figures write them beside the
    output file (<id>-<figure>.svg) and the Markdown links them.
    """
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
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--out", default="solutions", show_default=True, type=click.Path(file_okay=False),
              help="Folder for <id>.md, <id>.json and KEY.md.")
@click.option("--lang", default="en", show_default=True, help="Language of the explanation.")
@click.option("--no-figures", is_flag=True, help="Do not draw the figures of kinds that have them.")
@_timeout_option
def key(paths: tuple[str, ...], out: str, lang: str, no_figures: bool, timeout: float) -> None:
    """Write answer keys for every spec in PATHS (files or folders), and their figures.

    The new set replaces the old one in one step: a reader of the folder sees
    the old set or the new one, never a mix.
    """
    from hwcheck import api

    written = _run(api.write_keys, paths, out=out, lang=lang, figures=not no_figures, timeout=_seconds(timeout))
    problems = sum(1 for p in written if str(p).endswith(".json"))
    click.echo(f"wrote {len(written)} files to {out}/ ({problems} problems and KEY.md)", err=True)
    for note in getattr(written, "notes", []):
        click.echo(f"note: {note}", err=True)


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


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--problems", default="problems", show_default=True, type=click.Path(file_okay=False),
              help="Folder of the problem specs the submissions answer.")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "gradescope"]), default="md", show_default=True,
              help="md: feedback report; json: grade result (SPEC 5); gradescope: autograder results.json.")
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for <student>.md/.json, grades.csv and summary.md (needed for several files).")
@click.option("--lang", default="en", show_default=True, help="Language of the feedback.")
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
