"""Assignments (SPEC.md section 6): the problems of one homework, their weights, the grading defaults.

::

    id: hw4
    title: "Homework 4: convolutions and initialization"
    specs: ../problems            # folder of the specs, relative to this file [this file's folder]
    problems:
      - conv2d-backprop-4x4
      - {id: init-xavier-tanh-dense, weight: 2}   # weight multiplies the problem's points [1]
    grading:                      # defaults for every part; a spec's own part settings win
      tolerance: {rel: 1.0e-3, abs: 1.0e-6}
      sigfigs: 3
      carry_forward: true
      reveal: steps               # verdicts | values | steps

How the defaults meet a spec's own settings: ``tolerance`` replaces a part's tolerance only where
the part left it at hwcheck's default (``{rel: 1e-3, abs: 1e-6}``; a spec that writes exactly the
default cannot be told from one that writes nothing, and keeps the assignment's value);
``sigfigs``, ``carry_forward`` and ``reveal`` fill a part's setting where the spec left it unset
(``None``); a weight multiplies every part's points.

>>> import tempfile, pathlib, shutil
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = shutil.copy(pathlib.Path(__file__).parent.parent / "problems" / "init-xavier-tanh-dense.yaml", folder)
>>> _ = (folder / "hw.yaml").write_text("problems: [{id: init-xavier-tanh-dense, weight: 2}]")
>>> a = load_assignment(folder / "hw.yaml")
>>> a.id, [p.points for p in a.problems[0].parts], a.reveal  # the spec gives 2 and 1 points
('hw', [4, 2], 'steps')
>>> _ = (folder / "hw.yaml").write_text("problems: [init-xavier-tanh-dens]")
>>> load_assignment(folder / "hw.yaml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hwcheck.errors.SpecError: .../hw.yaml: problems[0]: expected a problem id of a spec in ..., found 'init-xavier-tanh-dens' (did you mean 'init-xavier-tanh-dense'?)
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping

from hwcheck.errors import SpecError, did_you_mean
from hwcheck.model import DEFAULT_TOLERANCE, Problem

KEYS = ("id", "title", "specs", "problems", "grading")
GRADING_KEYS = ("tolerance", "sigfigs", "carry_forward", "reveal")
REVEAL = ("verdicts", "values", "steps")
DEFAULT_REVEAL = "steps"


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    path: str
    specs: Path  # the folder the specs were read from
    problems: tuple[Problem, ...]  # in the homework's order, weights and grading defaults applied
    weights: Mapping[str, float]
    grading: Mapping[str, Any]
    reveal: str = DEFAULT_REVEAL


def load_assignment(path: str | Path) -> Assignment:
    """Read an assignment manifest and the specs it names; every error is one ``SpecError`` line."""
    from hwcheck.spec import found, read_yaml

    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(file, "", "an assignment file", "no such file") from None
    except IsADirectoryError:
        raise SpecError(file, "", "an assignment file", "a directory") from None
    except UnicodeDecodeError as exc:
        raise SpecError(file, "", "UTF-8 text", f"undecodable bytes at byte {exc.start}") from None
    except OSError as exc:
        raise SpecError(file, "", "a readable file", exc.strerror or type(exc).__name__) from None
    raw = read_yaml(text, file)
    if not isinstance(raw, Mapping):
        raise SpecError(file, "", "a map with the keys " + ", ".join(KEYS), found(raw))
    for key in raw:
        if key not in KEYS:
            raise SpecError(file, str(key), "one of the keys " + ", ".join(KEYS), "an unknown key",
                            did_you_mean(key, KEYS))
    aid = _text(raw, "id", file, path.stem)
    title = _text(raw, "title", file, aid)
    specs_raw = raw.get("specs", ".")
    if not isinstance(specs_raw, str) or not specs_raw.strip():
        raise SpecError(file, "specs", "a folder of problem specs, relative to this file", found(specs_raw))
    specs = (path.parent / specs_raw).resolve() if not Path(specs_raw).is_absolute() else Path(specs_raw)
    if not specs.is_dir():
        raise SpecError(file, "specs", "a folder of problem specs, relative to this file",
                        f"{specs_raw!r} ({specs} is not a folder)")
    entries = _entries(raw.get("problems"), file)
    grading = _grading(raw.get("grading"), file)
    available, errors = _specs(specs)
    problems, weights = [], {}
    for index, (pid, weight) in enumerate(entries):
        problem = available.get(pid)
        if problem is None:
            broken = [e for e in errors if Path(e.file).stem == pid]
            if broken:
                raise broken[0]
            ids = sorted(available)
            listing = ", ".join(ids[:8]) + (", ..." if len(ids) > 8 else "")
            raise SpecError(file, f"problems[{index}]", f"a problem id of a spec in {specs} ({listing})",
                            repr(pid), did_you_mean(pid, ids))
        if pid in weights:
            raise SpecError(file, f"problems[{index}]", "each problem once", f"{pid!r} again")
        weights[pid] = weight
        problems.append(apply_defaults(problem, weight, grading))
    return Assignment(aid, title, file, specs, tuple(problems), weights, grading,
                      grading.get("reveal", DEFAULT_REVEAL))


def _text(raw, key, file, default) -> str:
    from hwcheck.spec import found

    value = raw.get(key, default)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise SpecError(file, key, "text", found(value))
    return value.strip()


def _entries(raw, file) -> list[tuple[str, float]]:
    from hwcheck.spec import found

    if not isinstance(raw, list) or not raw:
        raise SpecError(file, "problems", "a list of problem ids (or {id, weight} maps)", found(raw))
    out = []
    for index, entry in enumerate(raw):
        key = f"problems[{index}]"
        weight: Any = 1
        if isinstance(entry, Mapping):
            extra = set(entry) - {"id", "weight"}
            if extra:
                name = sorted(map(str, extra))[0]
                raise SpecError(file, f"{key}.{name}", "id or weight", "an unknown key",
                                did_you_mean(name, ("id", "weight")))
            if "id" not in entry:
                raise SpecError(file, f"{key}.id", "the problem id", "no such key")
            weight = entry.get("weight", 1)
            entry = entry["id"]
        if isinstance(entry, int) and not isinstance(entry, bool):
            entry = str(entry)
        if not isinstance(entry, str) or not entry.strip():
            raise SpecError(file, key, "a problem id", found(entry))
        out.append((entry.strip(), _positive(weight, file, f"{key}.weight")))
    return out


def _positive(value, file, key) -> float:
    from hwcheck.spec import found

    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise SpecError(file, key, "a number > 0", found(value))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SpecError(file, key, "a number > 0", found(value)) from None
    if not number.is_finite() or number <= 0 or number > 10**6:
        raise SpecError(file, key, "a number > 0 and at most 1000000", found(value))
    number = float(number)
    return int(number) if number == int(number) else number


def _grading(raw, file) -> dict:
    from hwcheck.spec import found

    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SpecError(file, "grading", "a map with " + ", ".join(GRADING_KEYS), found(raw))
    out: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"grading.{key}"
        if key not in GRADING_KEYS:
            raise SpecError(file, where, "one of " + ", ".join(GRADING_KEYS), "an unknown key",
                            did_you_mean(key, GRADING_KEYS))
        if key == "tolerance":
            if not isinstance(value, Mapping) or not value or set(value) - {"rel", "abs"}:
                raise SpecError(file, where, "a map with rel and/or abs", found(value))
            tolerance = dict(DEFAULT_TOLERANCE)
            for t, v in value.items():
                number = _positive(v, file, f"{where}.{t}") if v not in (0, "0") else 0
                tolerance[t] = number
            out["tolerance"] = tolerance
        elif key == "sigfigs":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 15:
                raise SpecError(file, where, "a whole number from 1 to 15", found(value))
            out["sigfigs"] = value
        elif key == "carry_forward":
            if not isinstance(value, bool):
                raise SpecError(file, where, "true or false", found(value))
            out["carry_forward"] = value
        else:
            if value not in REVEAL:
                raise SpecError(file, where, "one of " + ", ".join(REVEAL), found(value),
                                did_you_mean(value, REVEAL))
            out["reveal"] = value
    return out


def _specs(folder: Path):
    """Every readable spec of the folder by id, and the errors of the others (reported only when
    the assignment names one of them: a broken spec of another homework does not stop this one)."""
    from hwcheck.spec import load_problem, spec_files

    available: dict[str, Problem] = {}
    errors: list[SpecError] = []
    for f in spec_files([folder]):
        try:
            problem = load_problem(f)
        except SpecError as exc:
            errors.append(exc)
            continue
        if problem.id in available:
            errors.append(SpecError(problem.path, "id", "an id unique in the folder",
                                    f"{problem.id!r}, also used by {available[problem.id].path}"))
            continue
        available[problem.id] = problem
    return available, errors


def apply_defaults(problem: Problem, weight: float, grading: Mapping[str, Any]) -> Problem:
    """The problem as this assignment asks it: points times ``weight``, unset settings filled."""
    parts = []
    for part in problem.parts:
        names = {f.name for f in fields(part)}
        changes: dict[str, Any] = {}
        if weight != 1:
            points = part.points * weight
            changes["points"] = int(points) if float(points) == int(points) else points
        if "tolerance" in grading and dict(part.tolerance) == dict(DEFAULT_TOLERANCE):
            changes["tolerance"] = dict(grading["tolerance"])
        for key in ("sigfigs", "carry_forward", "reveal"):
            if key in grading and key in names and getattr(part, key) is None:
                changes[key] = grading[key]
        parts.append(replace(part, **changes) if changes else part)
    return replace(problem, parts=tuple(parts))


__all__ = ["Assignment", "load_assignment", "apply_defaults", "REVEAL"]
