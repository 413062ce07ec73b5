"""The frozen data that flows between the phases (load -> check -> solve -> render).

Solvers return data, never sentences: a ``Step`` names a macro of the kind's
template and carries the values that macro shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

DEFAULT_TOLERANCE = MappingProxyType({"rel": 1e-3, "abs": 1e-6})


@dataclass(frozen=True)
class Part:
    """A part a kind offers: ``default`` parts are asked when a spec lists none."""

    doc: str
    default: bool = False


@dataclass(frozen=True)
class PartSpec:
    """A part as a problem asks it: its points and grading tolerance."""

    name: str
    points: float = 1
    tolerance: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TOLERANCE))
    # Optional grading settings (SPEC §6, §9). None means "not set": an assignment's
    # ``grading`` defaults fill these with ``dataclasses.replace``; unset at grading time means
    # the default in brackets.
    sigfigs: int | None = None  # [3] a value correctly rounded to this many significant digits is right
    carry_forward: bool | None = None  # [True] error carried forward where the kind supports it
    reveal: str | None = None  # [steps] what feedback shows: verdicts | values | steps
    mistake_credit: Mapping[str, float] | None = None  # named mistake -> fraction of the points [0]


DEFAULT_SIGFIGS = 3
REVEAL_LEVELS = ("verdicts", "values", "steps")


class Candidates(tuple):
    """Several wrong answers one misconception can produce (each path of a fan-out,
    each dropped link of a chain): a misconception returns ``{part: Candidates([...])}``."""


@dataclass(frozen=True)
class Problem:
    id: str
    kind: str
    title: str
    statement: str
    given: Mapping[str, Any]
    parts: tuple[PartSpec, ...]
    path: str = "<memory>"
    vary: Mapping[str, Any] = field(default_factory=dict)  # SPEC section 7: keys redrawn per student
    notation: Mapping[str, str] = field(default_factory=dict)  # role -> LaTeX symbol (spec key `notation:`)

    @property
    def part_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts)


@dataclass(frozen=True)
class Step:
    """One worked step: ``macro`` in the kind's template, shown with ``data``."""

    macro: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))


@dataclass(frozen=True)
class Solution:
    """Ordered steps and the exact answer of every part the kind computed."""

    steps: tuple[Step, ...]
    answers: Mapping[str, Any]

    def __post_init__(self):
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "answers", MappingProxyType(dict(self.answers)))


@dataclass(frozen=True)
class Figure:
    """A figure a kind declares beside its solution, as plain data; ``hwcheck.figures`` draws it
    (kinds never import the drawing code). ``name`` names the file (``<id>-<name>.svg``), ``kind``
    says how it is drawn (``hwcheck.figures.DRAWINGS``), and ``data`` holds what it shows: numbers,
    SymPy expressions and labels, keyed by the drawing's parameter names."""

    name: str
    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))
