"""Gradescope, end to end (SPEC.md section 9): ``hwcheck autograder --assignment FILE -o autograder.zip``.

The zip holds what Gradescope's autograder expects at its top level:

- ``setup.sh``: installs the hwcheck wheel shipped in the zip (with its dependencies) when
  Gradescope builds the image;
- ``run_autograder``: run for every submission; it calls ``python3 -m hwcheck.autograder run``,
  which grades the JSON or YAML file found under ``$HWCHECK_AUTOGRADER_ROOT/submission/``
  (default root ``/autograder``) and writes ``$HWCHECK_AUTOGRADER_ROOT/results/results.json``;
- the wheel, and ``hwcheck_assignment/`` (the assignment, rewritten to read its specs from
  ``hwcheck_assignment/problems/``, and those specs).

Gradescope unzips the zip into ``<root>/source/``. Each test of ``results.json`` is one part, with
``score``, ``max_score``, ``status`` (``passed`` when it earned full marks, else ``failed``), its
feedback and ``output_format: md``; how much the feedback shows follows the assignment's
``reveal`` (``verdicts``: the verdict and score only; ``values``; ``steps``).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from hwcheck.errors import HwcheckError

ROOT_VARIABLE = "HWCHECK_AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
FOLDER = "hwcheck_assignment"
SUBMISSION_SUFFIXES = (".json", ".yaml", ".yml")
_STAMP = (2020, 1, 1, 0, 0, 0)  # fixed dates: the same inputs give the same zip


def _template(name: str):
    import jinja2

    from hwcheck.render import templates_root

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_root() / "autograder")),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             variable_start_string="<<", variable_end_string=">>",
                             block_start_string="<%", block_end_string="%>",
                             comment_start_string="<#", comment_end_string="#>")
    return env.get_template(name)


def source_root() -> Path | None:
    """The checkout hwcheck runs from (a folder with its pyproject.toml), if any."""
    here = Path(__file__).resolve().parent.parent
    project = here / "pyproject.toml"
    if project.is_file() and 'name = "hwcheck"' in project.read_text(encoding="utf-8", errors="replace"):
        return here
    return None


def build_wheel(folder: Path) -> Path:
    """``pip wheel . --no-deps`` of the checkout hwcheck runs from, into ``folder``."""
    root = source_root()
    if root is None:
        raise HwcheckError("cannot build the hwcheck wheel: this hwcheck is not installed from a source "
                           "checkout; pass --wheel FILE (a wheel built with 'pip wheel . --no-deps')")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(folder),
               str(root)]
    done = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(folder.glob("hwcheck-*.whl"))
    if done.returncode != 0 or not wheels:
        last = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["no wheel was written"]
        raise HwcheckError(f"cannot build the hwcheck wheel ({' '.join(command[2:5])}): {last[0]}")
    return wheels[-1]


def _assignment_yaml(assignment) -> str:
    import yaml

    data = {"id": assignment.id, "title": assignment.title, "specs": "problems",
            "problems": [{"id": p.id, "weight": assignment.weights[p.id]} for p in assignment.problems]}
    if assignment.grading:
        data["grading"] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in assignment.grading.items()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def build(assignment: str | Path, output: str | Path, *, wheel: str | Path | None = None, lang: str = "en") -> Path:
    """Write the autograder zip; every problem of the assignment is solved first (a bad spec stops here,
    not on Gradescope)."""
    from hwcheck.assignment import load_assignment
    from hwcheck.grade.keys import KeySet

    found = load_assignment(assignment)
    for _ in KeySet(found.problems):
        pass  # solves each problem once: an error in a spec is reported now
    output = Path(output)
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            wheel_path = build_wheel(Path(tmp))
        else:
            wheel_path = Path(wheel)
            if not wheel_path.is_file() or not wheel_path.name.endswith(".whl"):
                raise HwcheckError(f"{wheel}: expected a wheel file (*.whl), found none")
        files: dict[str, tuple[bytes, int]] = {
            "setup.sh": (_template("setup.sh.j2").render(wheel=wheel_path.name).encode(), 0o755),
            "run_autograder": (_template("run_autograder.j2").render(folder=FOLDER, lang=lang).encode(), 0o755),
            wheel_path.name: (wheel_path.read_bytes(), 0o644),
            f"{FOLDER}/assignment.yaml": (_assignment_yaml(found).encode(), 0o644),
        }
        for problem in found.problems:
            source = Path(problem.path)
            files[f"{FOLDER}/problems/{source.name}"] = (source.read_bytes(), 0o644)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, (data, mode) in files.items():
                info = zipfile.ZipInfo(name, _STAMP)
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
    if output.parent and not output.parent.exists():
        output.parent.mkdir(parents=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, output)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return output


# -- on Gradescope -------------------------------------------------------------------------------

def find_submission(folder: Path) -> tuple[Path | None, list[Path]]:
    """The submission file to grade (the first in name order) and all candidates."""
    if not folder.is_dir():
        return None, []
    found = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUBMISSION_SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    return (found[0] if found else None), found


def results(root: Path, *, lang: str = "en") -> dict:
    """Grade the submission under ``root`` and return Gradescope's ``results.json`` data."""
    from hwcheck.assignment import load_assignment
    from hwcheck.grade import batch
    from hwcheck.grade.keys import KeySet
    from hwcheck.grade.submission import SubmissionError

    w = batch.wording(lang)
    assignment = load_assignment(root / "source" / FOLDER / "assignment.yaml")
    keys = KeySet(assignment.problems)
    chosen, candidates = find_submission(root / "submission")
    if chosen is None:
        return {"score": 0, "output": str(w.autograder_none(list(SUBMISSION_SUFFIXES))).strip(),
                "output_format": "md", "tests": []}
    try:
        result, notes = batch.grade_single(chosen, keys, lang=lang)
    except SubmissionError as exc:
        return {"score": 0, "output": str(w.autograder_unreadable(chosen.name, str(exc))).strip(),
                "output_format": "md", "tests": []}
    data = gradescope(result, assignment.reveal, lang)
    others = [p.relative_to(root / "submission").as_posix() for p in candidates if p != chosen]
    data["output"] = str(w.autograder_summary(result, chosen.relative_to(root / "submission").as_posix(),
                                              others, notes)).strip()
    data["output_format"] = "md"
    return data


def gradescope(result, reveal: str, lang: str = "en") -> dict:
    """One test per part, with ``status``. Each part's feedback is worded at its ``reveal`` level when
    grading (the assignment's default, or the spec's own); a grader without reveal levels gets a
    verdict-and-score line for ``reveal: verdicts``, so no expected value leaks."""
    from dataclasses import fields

    from hwcheck.grade import batch, report
    from hwcheck.model import PartSpec

    data = batch.with_status(json.loads(report.format_result(result, "gradescope", lang)))
    if reveal == "verdicts" and "reveal" not in {f.name for f in fields(PartSpec)}:
        w = batch.wording(lang)
        parts = [part for problem in result.problems for part in problem.parts]
        for test, part in zip(data["tests"], parts):
            test["output"] = str(w.autograder_verdict(part)).strip()
    data["score"] = result.score
    return data


def run(root: str | Path | None = None, *, lang: str = "en") -> Path:
    """``run_autograder``: write ``<root>/results/results.json`` (root: ``$HWCHECK_AUTOGRADER_ROOT``,
    default ``/autograder``). Whatever goes wrong, Gradescope gets a results.json that says so."""
    from hwcheck.grade import batch

    root = Path(root or os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT)
    try:
        data = results(root, lang=lang)
    except HwcheckError as exc:
        data = {"score": 0, "output": str(batch.wording(lang).autograder_broken(str(exc))).strip(),
                "output_format": "md", "tests": []}
    except Exception as exc:  # noqa: BLE001 - a student must see a result, and the instructor the cause
        data = {"score": 0, "output": str(batch.wording(lang).autograder_broken(
            f"{type(exc).__name__}: {exc}")).strip(), "output_format": "md", "tests": []}
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "results.json"
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m hwcheck.autograder run [--root DIR] [--lang en]`` (what ``run_autograder`` calls)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m hwcheck.autograder")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--root", default=None)
    parser.add_argument("--lang", default="en")
    args = parser.parse_args(argv)
    run(args.root, lang=args.lang)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

__all__ = ["build", "run", "results", "gradescope", "find_submission", "build_wheel", "main"]
