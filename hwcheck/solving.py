"""Solving a checked problem: within a time budget, every way a solver can fail turned into one
``SpecError`` line that names the spec file (``hwcheck.api`` and the grader both solve through here).

>>> p = load_problem_text("{kind: init_bounds, given: {scheme: he_normal, n_in: 50, n_out: 10}}")
>>> solve(p).answers["std"]
1/5
"""

from __future__ import annotations

from contextlib import contextmanager

from hwcheck import kinds, limits
from hwcheck.errors import Invalid, SpecError
from hwcheck.model import Problem, Solution
from hwcheck.spec import problem_from_mapping, read_yaml


def load_problem_text(text: str, *, file: str = "<text>", default_id: str = "problem") -> Problem:
    """Read a spec from YAML text (handy in tests and notebooks)."""
    return problem_from_mapping(read_yaml(text, file), file=file, default_id=default_id)


def solve(problem: Problem, *, timeout: float | None = limits.SOLVE_SECONDS) -> Solution:
    """Solve a checked problem exactly, within ``timeout`` seconds (None: no limit).

    Some inputs are found wrong only while solving (f undefined along an optimizer's path); the
    kind raises ``Invalid`` and it reaches the user as a ``SpecError`` naming the file and key.
    Running out of time, or numbers too large to handle, is a ``SpecError`` too.
    """
    with guarded(problem.path, timeout):
        return kinds.get(problem.kind).solve(problem.given)


def timeout_error(file: str, seconds: float) -> SpecError:
    """The one line for a spec that ran out of its time budget."""
    return SpecError(file, "", f"a problem checked and solved within the time limit of {seconds:g} s "
                     "(--timeout SECONDS to change it)", "it still running when the limit was reached")


@contextmanager
def guarded(file: str, timeout: float | None):
    """Run a block of work on one spec: under a hard-stopped time budget, with an ``Invalid`` from
    a solver, numbers beyond the limits and a time-out all turned into a ``SpecError`` for ``file``."""
    try:
        with limits.hard_exit(timeout, str(timeout_error(file, timeout or 0))), limits.budget(timeout):
            yield
    except limits.Expired as exc:
        raise timeout_error(file, exc.seconds) from None
    except Invalid as exc:
        key = exc.key.lstrip(".")
        raise SpecError(file, f"given.{key}" if key else "given", exc.expected, exc.found,
                        exc.hint) from None
    except (OverflowError, MemoryError, RecursionError, ValueError, ZeroDivisionError) as exc:
        found = limits.resource_problem(exc)
        if found is None:
            raise
        raise SpecError(file, "given", "inputs whose numbers stay within hwcheck's limits while solving "
                        "(README, 'Limits')", found) from None
