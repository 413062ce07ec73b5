"""Loading problem specs (SPEC.md section 1): YAML -> a checked, exact ``Problem``.

Decimals are kept as the text the author wrote (``0.05`` is 1/20), duplicate
keys are refused, and every error is a ``SpecError`` that names the file, the
key, what was expected and what was found.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping

import yaml

from hwcheck import kinds
from hwcheck.errors import Invalid, SpecError, did_you_mean
from hwcheck.model import DEFAULT_TOLERANCE, PartSpec, Problem
from hwcheck.schema import convert_fields, found

SPEC_KEYS = ("id", "title", "kind", "statement", "given", "parts", "notation")
NOTATION_MAX = 40  # characters of one LaTeX symbol in `notation:`
SPEC_SUFFIXES = (".yaml", ".yml")

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ExactLoader(_Base):
    """A safe YAML loader that keeps decimals exact and refuses duplicate keys."""


def _construct_float(loader, node):
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:  # .inf, .nan
        return Decimal(text.lower().replace(".inf", "Infinity").replace(".nan", "NaN"))


class DuplicateKey(Exception):
    def __init__(self, key, line):
        super().__init__(key)
        self.key, self.line = key, line


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise DuplicateKey(key, key_node.start_mark.line + 1)
        except TypeError:  # an unhashable key; construct_mapping reports it
            break
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
ExactLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def read_yaml(text: str, file: str) -> Any:
    """Parse YAML text exactly; a ``SpecError`` naming the line if it cannot be read."""
    try:
        return yaml.load(text, Loader=ExactLoader)  # noqa: S506 - ExactLoader is a SafeLoader
    except DuplicateKey as exc:
        raise SpecError(file, str(exc.key), "each key once", f"it again on line {exc.line}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(file, "", "valid YAML", f"{problem} at {where}") from None


def load_problem(path: str | Path) -> Problem:
    """Read and check one spec file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(str(path), "", "a problem spec file", "no such file") from None
    except IsADirectoryError:
        raise SpecError(str(path), "", "a problem spec file", "a directory") from None
    except UnicodeDecodeError as exc:
        raise SpecError(str(path), "", "UTF-8 text", f"undecodable bytes at byte {exc.start}") from None
    return problem_from_mapping(read_yaml(text, str(path)), file=str(path), default_id=path.stem)


def problem_from_mapping(raw: Any, *, file: str = "<memory>", default_id: str = "problem") -> Problem:
    """Check a spec already read into Python values and build the ``Problem``."""
    if not isinstance(raw, Mapping):
        raise SpecError(file, "", "a map with keys kind, given, parts ...", found(raw))
    for key in raw:
        if key not in SPEC_KEYS:
            raise SpecError(file, str(key), "one of the keys " + ", ".join(SPEC_KEYS), "an unknown key",
                            did_you_mean(key, SPEC_KEYS))
    if "kind" not in raw:
        raise SpecError(file, "kind", "the problem kind (see 'hwcheck kinds')", "no such key")
    try:
        kind = kinds.get(raw["kind"])
    except Invalid as exc:
        raise SpecError(file, "kind", exc.expected, exc.found, exc.hint) from None

    pid = _text(raw, "id", file, default_id)
    if not pid or any(c in pid for c in '/\\:*?"<>|') or pid.startswith("."):
        raise SpecError(file, "id", "a name usable as a file name", repr(pid))
    title = _text(raw, "title", file, kind.title)
    statement = _text(raw, "statement", file, "")

    given_raw = raw.get("given")
    if given_raw is None:
        given_raw = {}
    if not isinstance(given_raw, Mapping):
        raise SpecError(file, "given", "a map of the kind's inputs", found(given_raw))
    try:
        given = convert_fields(kind.given, given_raw)
    except Invalid as exc:
        raise SpecError(file, "given" + exc.key, exc.expected, exc.found, exc.hint) from None
    parts = _parts(raw.get("parts"), kind, given, file)
    try:
        kind.check(given, tuple(p.name for p in parts))
    except Invalid as exc:
        key = "given" + exc.key if exc.key.startswith((".", "[")) else ("given." + exc.key if exc.key else "given")
        raise SpecError(file, key, exc.expected, exc.found, exc.hint) from None
    notation = _notation(raw.get("notation"), file)
    return Problem(id=pid, kind=kind.name, title=title, statement=statement, given=given, parts=parts, path=file,
                   notation=notation)


def _notation(raw, file) -> dict:
    """The optional ``notation:`` map, role -> LaTeX symbol (``{loss: E, point: w}``)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SpecError(file, "notation", "a map of role: LaTeX symbol (for example {loss: E})", found(raw))
    out = {}
    for role, symbol in raw.items():
        if not isinstance(role, str) or not role.strip():
            raise SpecError(file, "notation", "role names as text", found(role))
        key = f"notation.{role}"
        if isinstance(symbol, (int, Decimal)) and not isinstance(symbol, bool):
            symbol = str(symbol)
        if not isinstance(symbol, str) or not symbol.strip():
            raise SpecError(file, key, "a short LaTeX symbol (for example E or \\theta)", found(symbol))
        symbol = symbol.strip()
        if len(symbol) > NOTATION_MAX or "\n" in symbol or "$" in symbol:
            raise SpecError(file, key, f"a short LaTeX symbol (at most {NOTATION_MAX} characters, no $ or line break)",
                            repr(symbol if len(symbol) <= 60 else symbol[:57] + "..."))
        if symbol.count("{") != symbol.count("}"):
            raise SpecError(file, key, "a LaTeX symbol with balanced braces", repr(symbol))
        out[role] = symbol
    return out


def _text(raw, key, file, default):
    value = raw.get(key, default)
    if value is None:
        return default
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and key == "id":
        return str(value)
    if not isinstance(value, str):
        raise SpecError(file, key, "text", found(value))
    return value.strip() if key != "statement" else value


def _parts(raw, kind, given, file) -> tuple[PartSpec, ...]:
    if raw is None:
        return tuple(PartSpec(name) for name in kind.default_parts(given))
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, list):
        raw = {name: None for name in raw} if all(isinstance(n, str) for n in raw) else raw
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError(file, "parts", "a list of part names or a map name: {points, tolerance}", found(raw))
    out = []
    for name, options in raw.items():
        key = f"parts.{name}"
        if name not in kind.parts:
            raise SpecError(file, key, f"a part of {kind.name} (" + ", ".join(kind.parts) + ")",
                            "an unknown part", did_you_mean(name, kind.parts))
        options = {} if options is None else options
        if not isinstance(options, Mapping):
            raise SpecError(file, key, "a map with points and tolerance", found(options))
        extra = set(options) - {"points", "tolerance"}
        if extra:
            raise SpecError(file, f"{key}.{sorted(extra)[0]}", "points or tolerance", "an unknown key")
        points = _nonnegative(options.get("points", 1), file, f"{key}.points")
        tolerance = dict(DEFAULT_TOLERANCE)
        tol = options.get("tolerance", {}) or {}
        if not isinstance(tol, Mapping) or set(tol) - {"rel", "abs"}:
            raise SpecError(file, f"{key}.tolerance", "a map with rel and/or abs", found(tol))
        for t in ("rel", "abs"):
            if t in tol:
                tolerance[t] = _nonnegative(tol[t], file, f"{key}.tolerance.{t}")
        out.append(PartSpec(name=name, points=points, tolerance=tolerance))
    return tuple(out)


def _nonnegative(value, file, key) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise SpecError(file, key, "a number ≥ 0", found(value))
    try:
        number = float(Decimal(str(value)))
    except InvalidOperation:
        raise SpecError(file, key, "a number ≥ 0", found(value)) from None
    if not number >= 0 or number == float("inf"):
        raise SpecError(file, key, "a number ≥ 0", found(value))
    return int(number) if number == int(number) else number


def spec_files(paths) -> list[Path]:
    """The spec files named by ``paths`` (files, or folders searched for *.yaml)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.suffix in SPEC_SUFFIXES and f.is_file()))
        else:
            out.append(p)
    return out
