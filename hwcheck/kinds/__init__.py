"""The registry of problem kinds.

A kind is one module in this package and one template,
``templates/<lang>/kinds/<name>.j2``. The module defines:

``TITLE``
    a one-line description;
``GIVEN``
    a dict of given key -> schema (``hwcheck.schema``);
``PARTS``
    a dict of part name -> ``Part`` (the ``default`` ones are asked when a
    spec lists no parts);
``solve(given) -> Solution``
    the exact solution: ordered steps and an answer for each part;

and optionally:

``check(given, parts)``
    cross-key checks (raise ``Invalid`` with the key);
``default_parts(given)``
    the parts asked when a spec lists none, where they depend on the given
    (the ``default`` flags of ``PARTS`` otherwise);
``MISCONCEPTIONS``
    a dict of mistake name -> function ``given -> answers`` (the solver
    with one rule broken), used by the grader to name mistakes.

Modules are found by name, without importing them, so listing names is cheap.

>>> "conv2d_backprop" in names()
True
>>> get("init_bounds").parts["bound"].default
True
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any, Callable, Mapping

from hwcheck import startup
from hwcheck.errors import Invalid, did_you_mean


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    given: Mapping[str, Any]
    parts: Mapping[str, Any]
    solve: Callable
    check: Callable
    misconceptions: Mapping[str, Callable]
    module: ModuleType

    def default_parts(self, given) -> tuple[str, ...]:
        hook = getattr(self.module, "default_parts", None)
        if hook is not None:
            return tuple(hook(given))
        return tuple(name for name, part in self.parts.items() if part.default)


def names() -> list[str]:
    """The registered kind names, in alphabetical order."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def _no_check(given, parts) -> None:
    return None


@lru_cache(maxsize=None)
def get(name: str) -> Kind:
    """The kind called ``name``; ``Invalid`` (with a suggestion) if there is none."""
    if name not in names():
        raise Invalid("a registered kind (" + ", ".join(names()) + ")", f"{name!r}",
                      hint=did_you_mean(name, names()) or "run 'hwcheck kinds' to list them")
    module = importlib.import_module(f"{__name__}.{name}")
    startup.settle()  # the kind's modules (SymPy with them) are in: the collector may resume
    return Kind(
        name=name,
        title=module.TITLE,
        given=module.GIVEN,
        parts=module.PARTS,
        solve=module.solve,
        check=getattr(module, "check", _no_check),
        misconceptions=getattr(module, "MISCONCEPTIONS", {}),
        module=module,
    )
