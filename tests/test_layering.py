"""Imports go one way (issue 14): ``hwcheck.api`` is the façade over the core, so no module under
``hwcheck/`` but ``cli.py`` imports it, and kinds declare figures as data without importing the
drawing code (``hwcheck.figures``) or matplotlib. Read from the source with ``ast``: imports inside
functions count, docstring examples do not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "hwcheck"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, anywhere in it, as absolute dotted
    names; ``from a import b`` counts as ``a`` and ``a.b`` (b may be a module), relative imports are
    resolved, and ``importlib.import_module("a")`` / ``__import__("a")`` with a literal name count."""
    package = module if is_package else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module
            out.add(origin)
            out.update(f"{origin}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("import_module", "__import__"):
                out.add(node.args[0].value)
    return out


def imports(path: Path, *targets: str) -> list[str]:
    """The imports of the file ``path`` that are one of ``targets`` or inside one."""
    found = imported(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    return sorted(m for m in found if any(m == t or m.startswith(t + ".") for t in targets))


def test_the_package_is_read():
    names = {module_name(p) for p in MODULES}
    assert {"hwcheck.api", "hwcheck.cli", "hwcheck.figures", "hwcheck.grade.batch",
            "hwcheck.kinds.gradient_descent"} <= names


def test_only_the_cli_imports_the_api():
    offenders = {module_name(p): imports(p, "hwcheck.api") for p in MODULES if p != PACKAGE / "cli.py"}
    assert {m: found for m, found in offenders.items() if found} == {}


def test_kinds_import_neither_the_drawing_code_nor_matplotlib():
    kinds = [p for p in MODULES if p.parent == PACKAGE / "kinds"]
    assert len(kinds) >= 14
    offenders = {module_name(p): imports(p, "hwcheck.figures", "matplotlib") for p in kinds}
    assert {m: found for m, found in offenders.items() if found} == {}


@pytest.mark.parametrize("source, module, caught", [
    ("from hwcheck import api", "hwcheck.grade.keys", True),
    ("import hwcheck.api as façade", "hwcheck.figures", True),
    ("from hwcheck.api import write_atomic", "hwcheck.grade.batch", True),
    ("def f():\n    from hwcheck.api import solve\n    return solve", "hwcheck.figures", True),
    ("class K:\n    def m(self):\n        from ..api import solve", "hwcheck.grade.keys", True),
    ("from . import api", "hwcheck.figures", True),
    ("from .. import api", "hwcheck.grade.__init__", True),  # in a package's __init__, ".." is hwcheck
    ("import importlib\nimportlib.import_module('hwcheck.api')", "hwcheck.spec", True),
    ('"""\n>>> from hwcheck.api import load_problem_text\n"""', "hwcheck.kinds.jacobian", False),
    ("from hwcheck import apiary, render", "hwcheck.figures", False),
    ("from . import api", "hwcheck.grade.__init__", False),  # hwcheck.grade.api, not the façade
])
def test_every_form_of_import_is_seen(source, module, caught):
    is_package = module.endswith(".__init__")
    found = imported(source, module.removesuffix(".__init__"), is_package)
    assert any(m == "hwcheck.api" or m.startswith("hwcheck.api.") for m in found) is caught, found
