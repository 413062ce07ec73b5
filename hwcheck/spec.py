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

from hwcheck import kinds, limits
from hwcheck.errors import Invalid, SpecError, did_you_mean
from hwcheck.model import DEFAULT_TOLERANCE, REVEAL_LEVELS, PartSpec, Problem
from hwcheck.schema import convert_fields, found

SPEC_KEYS = ("id", "title", "kind", "statement", "given", "parts", "grading", "notation", "vary", "vary_options")
PART_KEYS = ("points", "tolerance", "sigfigs", "carry_forward", "reveal", "mistake_credit")
GRADING_KEYS = ("tolerance", "sigfigs", "carry_forward", "reveal", "mistake_credit")
NOTATION_MAX = 40  # characters of one LaTeX symbol in `notation:`
SPEC_SUFFIXES = (".yaml", ".yml")

def _construct_float(loader, node):
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:  # .inf, .nan
        return Decimal(text.lower().replace(".inf", "Infinity").replace(".nan", "NaN"))


class BigNumeral(str):
    """A whole number too long for Python's int (more than ``BIG_DIGITS`` digits), kept as its text:
    the schema or the grader refuses it where it stands, with the rest of the file still read."""


BIG_DIGITS = 4000  # below Python's 4,300-digit limit for converting text to int


def _construct_int(loader, node):
    text = node.value
    digits = text[1:] if isinstance(text, str) and text[:1] == "-" else text
    if isinstance(digits, str) and len(digits) <= 18 and digits.isascii() and digits.isdigit() and digits[0] != "0":
        return int(text)  # the common case, decimal digits (a leading 0 is octal in YAML 1.1)
    text = loader.construct_scalar(node)
    plain = text.replace("_", "").lstrip("+-")
    if len(plain) > BIG_DIGITS and plain.isascii() and plain.isdigit():
        return BigNumeral(text)
    return loader.construct_yaml_int(node)


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


def _exact_loader(base: type, name: str) -> type:
    """A safe YAML loader on ``base`` that keeps decimals exact and refuses duplicate keys."""
    loader = type(name, (base,), {"__doc__": "A safe YAML loader that keeps decimals exact and refuses duplicate keys."})
    loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
    loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    return loader


# The C loader (libyaml) parses several times faster; PyYAML built without libyaml has only the
# Python one, which reads every spec to the same values and refuses the same files (a syntax
# error's wording comes from the parser and may differ).
PythonExactLoader = _exact_loader(yaml.SafeLoader, "PythonExactLoader")
ExactLoader = _exact_loader(yaml.CSafeLoader, "ExactLoader") if hasattr(yaml, "CSafeLoader") else PythonExactLoader


def read_yaml(text: str, file: str, loader=None) -> Any:
    """Parse YAML text exactly (with ``ExactLoader`` unless told); a ``SpecError`` naming the line
    if it cannot be read."""
    if not text.strip():
        raise SpecError(file, "", "a YAML document", "the file is empty")
    try:
        return yaml.load(text, Loader=loader or ExactLoader)  # noqa: S506 - a SafeLoader
    except DuplicateKey as exc:
        raise SpecError(file, limits.shorten(str(exc.key)), "each key once", f"it again on line {exc.line}") from None
    except RecursionError:
        raise SpecError(file, "", "values nested a few levels deep", "deeper nesting") from None
    except (ValueError, OverflowError) as exc:  # a constructor refused a scalar (a date, a number)
        raise SpecError(file, "", "valid YAML values", limits.shorten(str(exc).splitlines()[0])) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(file, "", "valid YAML", f"{problem} at {where}") from None


def load_problem(path: str | Path) -> Problem:
    """Read and check one spec file."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > limits.MAX_SPEC_BYTES:
            raise SpecError(str(path), "", f"a spec file of at most {limits.MAX_SPEC_BYTES:,} bytes",
                            f"{path.stat().st_size:,} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(str(path), "", "a problem spec file", "no such file") from None
    except IsADirectoryError:
        raise SpecError(str(path), "", "a problem spec file", "a directory") from None
    except OSError as exc:
        raise SpecError(str(path), "", "a readable file", exc.strerror or type(exc).__name__) from None
    text = decode(raw, str(path), SpecError)
    return problem_from_mapping(read_yaml(text, str(path)), file=str(path), default_id=path.stem)


def decode(raw: bytes, file: str, error=SpecError) -> str:
    """UTF-8 text (a byte-order mark is fine); an empty file and UTF-16/32 are named as such.
    ``error(file, key, expected, found)`` builds the exception."""
    if not raw.strip():
        raise error(file, "", "a file with content", "the file is empty")
    for boms, name in (((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"), "UTF-32"), ((b"\xff\xfe", b"\xfe\xff"), "UTF-16")):
        if raw.startswith(boms):
            raise error(file, "", "UTF-8 text", f"{name} text (save the file as UTF-8)")
    if b"\x00" in raw[:1000]:
        even, odd = raw[:1000:2].count(0), raw[1:1000:2].count(0)
        name = "UTF-16" if max(even, odd) > len(raw[:1000]) // 4 else "binary data (NUL bytes)"
        raise error(file, "", "UTF-8 text", f"{name} text (save the file as UTF-8)" if name == "UTF-16" else name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(file, "", "UTF-8 text", f"undecodable bytes at byte {exc.start}") from None


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
    if not isinstance(raw["kind"], str):
        raise SpecError(file, "kind", "the name of a kind (see 'hwcheck kinds')", found(raw["kind"]))
    try:
        kind = kinds.get(raw["kind"])
    except Invalid as exc:
        raise SpecError(file, "kind", exc.expected, limits.shorten(exc.found), exc.hint) from None

    pid = _text(raw, "id", file, default_id)
    problem = id_problem(pid)
    if problem:
        raise SpecError(file, "id", "a name usable as a file name (" + ID_RULE + ")", problem)
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
    grading = _grading(raw.get("grading"), file)
    parts = _parts(raw.get("parts"), kind, given, file, grading)
    vary = {}
    if "vary" in raw or "vary_options" in raw:  # SPEC section 7: checked here, drawn by hwcheck.variants
        from hwcheck import variants

        variants.parse_vary(raw.get("vary"), given_raw, file)
        variants.vary_options(raw.get("vary_options"), file)
        vary = dict(raw.get("vary") or {})
    try:
        kind.check(given, tuple(p.name for p in parts))
    except Invalid as exc:
        key = "given" + exc.key if exc.key.startswith((".", "[")) else ("given." + exc.key if exc.key else "given")
        raise SpecError(file, key, exc.expected, exc.found, exc.hint) from None
    notation = _notation(raw.get("notation"), file)
    return Problem(id=pid, kind=kind.name, title=title, statement=statement, given=given, parts=parts, path=file,
                   notation=notation, vary=vary)


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


ID_RULE = f"at most {limits.MAX_ID_LENGTH} characters and {2 * limits.MAX_ID_LENGTH} bytes in UTF-8, printable, no / \\ : * ? \" < > |, not starting with ."
RESERVED_IDS = {"key", "con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def id_problem(pid: str) -> str:
    """What makes ``pid`` unusable as a file name stem (``<id>.md``, ``<id>-compare.svg``), or ''.

    >>> id_problem("conv2d-backprop-4x4"), id_problem("KEY"), id_problem("a/b")
    ('', "'KEY', the name of the set's index KEY.md", "'a/b', which holds '/'")
    """
    if not pid:
        return "an empty id"
    shown = repr(limits.shorten(pid))
    if len(shown) > 100:  # escapes (\U000f5eda) can make the echo long: cut it again
        shown = shown[:97] + "..."
    size = len(pid.encode("utf-8", "surrogatepass"))
    if len(pid) > limits.MAX_ID_LENGTH or size > 2 * limits.MAX_ID_LENGTH:
        return f"an id of {len(pid):,} characters, {size:,} bytes in UTF-8"
    for ch in pid:
        if ch in '/\\:*?"<>|':
            return f"{shown}, which holds {ch!r}"
        if not ch.isprintable():
            return f"{shown}, which holds the control character U+{ord(ch):04X}"
    if pid.startswith(".") or pid.endswith((".", " ")) or pid != pid.strip():
        return f"{shown}, which starts with '.' or ends with '.' or a space"
    if pid.split(".")[0].casefold() in RESERVED_IDS:
        what = "the name of the set's index KEY.md" if pid.casefold() == "key" else "a name reserved by Windows"
        return f"{shown}, {what}"
    return ""


def _text(raw, key, file, default):
    value = raw.get(key, default)
    if value is None:
        return default
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and key == "id":
        return str(value) if limits.digits_of(int(value)) <= limits.MAX_ID_LENGTH else "9" * 1000
    if not isinstance(value, str):
        raise SpecError(file, key, "text", found(value))
    if len(value) > limits.MAX_TEXT:
        raise SpecError(file, key, f"text of at most {limits.MAX_TEXT:,} characters", found(value))
    return value.strip() if key != "statement" else value


def _parts(raw, kind, given, file, grading=None) -> tuple[PartSpec, ...]:
    grading = grading or {}
    if raw is None:
        return tuple(PartSpec(name, **_part_settings({}, grading, file, f"parts.{name}"))
                     for name in kind.default_parts(given))
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
        extra = set(options) - set(PART_KEYS)
        if extra:
            raise SpecError(file, f"{key}.{sorted(extra)[0]}", "one of " + ", ".join(PART_KEYS), "an unknown key",
                            did_you_mean(sorted(extra)[0], PART_KEYS))
        points = _nonnegative(options.get("points", 1), file, f"{key}.points")
        out.append(PartSpec(name=name, points=points, **_part_settings(options, grading, file, key)))
    return tuple(out)


def _grading(raw, file) -> dict:
    """The optional top-level ``grading:`` map: defaults for every part (SPEC §6 keys)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SpecError(file, "grading", "a map with " + ", ".join(GRADING_KEYS), found(raw))
    extra = set(raw) - set(GRADING_KEYS)
    if extra:
        bad = sorted(map(str, extra))[0]
        raise SpecError(file, f"grading.{bad}", "one of " + ", ".join(GRADING_KEYS), "an unknown key",
                        did_you_mean(bad, GRADING_KEYS))
    return dict(raw)


def _part_settings(options, grading, file, key) -> dict:
    """tolerance, sigfigs, carry_forward, reveal, mistake_credit of one part; the part's own
    setting wins over the spec's ``grading`` default; unset ones stay None (SPEC §6)."""
    out = {}
    tolerance = dict(DEFAULT_TOLERANCE)
    for source, where in ((grading, "grading"), (options, key)):
        tol = source.get("tolerance", {}) or {}
        if not isinstance(tol, Mapping) or set(tol) - {"rel", "abs"}:
            raise SpecError(file, f"{where}.tolerance", "a map with rel and/or abs", found(tol))
        for t in ("rel", "abs"):
            if t in tol:
                tolerance[t] = _nonnegative(tol[t], file, f"{where}.tolerance.{t}")
    out["tolerance"] = tolerance
    for name in ("sigfigs", "carry_forward", "reveal", "mistake_credit"):
        if options.get(name) is not None:
            value, where = options[name], f"{key}.{name}"
        elif grading.get(name) is not None:
            value, where = grading[name], f"grading.{name}"
        else:
            continue
        out[name] = _setting(name, value, file, where)
    return out


def _setting(name, value, file, where):
    if name == "sigfigs":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 15:
            raise SpecError(file, where, "a whole number of significant digits from 1 to 15", found(value))
        return value
    if name == "carry_forward":
        if not isinstance(value, bool):
            raise SpecError(file, where, "true or false", found(value))
        return value
    if name == "reveal":
        if value not in REVEAL_LEVELS:
            raise SpecError(file, where, "one of " + ", ".join(REVEAL_LEVELS), found(value),
                            did_you_mean(str(value), REVEAL_LEVELS))
        return value
    if not isinstance(value, Mapping):
        raise SpecError(file, where, "a map mistake name: fraction of the points (0 to 1)", found(value))
    credit = {}
    for mistake, fraction in value.items():
        number = _nonnegative(fraction, file, f"{where}.{mistake}")
        if number > 1:
            raise SpecError(file, f"{where}.{mistake}", "a fraction of the points from 0 to 1", found(fraction))
        credit[str(mistake)] = number
    return credit


def _nonnegative(value, file, key, most: float = limits.MAX_POINTS) -> float:
    expected = f"a number from 0 to {most:,}"
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)) or isinstance(value, BigNumeral):
        raise SpecError(file, key, expected, found(value))
    if isinstance(value, int) and limits.digits_of(value) > 30:
        raise SpecError(file, key, expected, found(value))
    try:
        number = float(Decimal(value.strip() if isinstance(value, str) else str(value)))
    except (InvalidOperation, ValueError):
        raise SpecError(file, key, expected, found(value)) from None
    if not 0 <= number <= most:
        raise SpecError(file, key, expected, found(value))
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
