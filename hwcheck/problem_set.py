"""A set of problem specs checked together: every spec checked, ids unique in the set, and all the
errors reported at once (``KeySetError``, one line each)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from hwcheck import limits
from hwcheck.errors import HwcheckError, SpecError
from hwcheck.files import os_message
from hwcheck.model import Problem
from hwcheck.solving import guarded
from hwcheck.spec import load_problem, spec_files


def validate(paths: Iterable[str | Path], *,
             timeout: float | None = limits.SOLVE_SECONDS) -> tuple[list[Problem], list[SpecError]]:
    """Check every spec under ``paths`` (each within ``timeout`` seconds); return the good
    problems and the errors. Ids must be unique in the set, also ignoring case (they become
    file names, and some file systems ignore case)."""
    problems, errors = [], []
    paths = list(paths)
    try:
        files = spec_files(paths)
    except OSError as exc:
        raise HwcheckError(os_message(exc)) from None
    for f in files:
        try:
            with guarded(str(f), timeout):
                problems.append(load_problem(f))
        except SpecError as exc:
            errors.append(exc)
    seen: dict[str, Problem] = {}
    for p in problems:
        other = seen.get(p.id.casefold())
        if other is not None:
            same = "also used by" if other.id == p.id else f"the same file name as {other.id!r} in"
            errors.append(SpecError(p.path, "id", "an id unique in the set (ignoring case)",
                                    f"{p.id!r}, {same} {other.path}"))
        seen.setdefault(p.id.casefold(), p)
    if not files:
        errors.append(SpecError(", ".join(map(str, paths)) or ".", "", "problem specs (*.yaml)", "none"))
    return problems, errors


class KeySetError(HwcheckError):
    """Several specs of a set are invalid; each error is one line."""

    def __init__(self, errors: list[SpecError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
