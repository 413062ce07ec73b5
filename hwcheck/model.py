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


@dataclass(frozen=True)
class Problem:
    id: str
    kind: str
    title: str
    statement: str
    given: Mapping[str, Any]
    parts: tuple[PartSpec, ...]
    path: str = "<memory>"
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
