"""Reading a submission file (SPEC.md section 4), strictly.

JSON or YAML (by extension; otherwise a leading ``{`` means JSON); a UTF-8
byte-order mark is fine. Refused, with one message naming the file and the
key path: an empty file, UTF-16, bad syntax (with line and column), values
that are not JSON data, nesting or size beyond the limits (the values are
counted before the file is parsed), unknown top-level keys, unknown problem
ids or parts (with the closest suggestion). What is inside one answer is
checked later, part by part: a bad answer makes that part ``invalid``, never
the whole file. That includes NaN, Infinity, a whole number too long to read,
and a key written twice (the part it belongs to, or every part of a problem
whose id is written twice).

>>> from hwcheck.api import load_problem_text
>>> from hwcheck.grade.keys import KeySet
>>> keys = KeySet([load_problem_text("{id: init, kind: init_bounds, given: {scheme: he_normal, n_in: 2, n_out: 1}}")])
>>> submission_from_text('{"student": "s1", "answers": {"init": {"std": 1}}}', keys).answers["init"]["std"]
1
>>> submission_from_text('{"student": "s1", "answers": {"inti": {}}}', keys, file="s1.json")
Traceback (most recent call last):
...
hwcheck.grade.submission.SubmissionError: s1.json: answers.inti: expected a problem id (init), found an unknown id (did you mean 'init'?)
>>> submission_from_text('{"student": "s1", "answers": {"init": {"std": NaN}}}', keys).answers["init"]["std"]
Decimal('NaN')
>>> submission_from_text('{"student": "s1", "answers": {"init": {"std": 1, "std": 2}}}', keys).answers["init"]["std"]
Refused('duplicate_key', key='std')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from collections.abc import Mapping  # isinstance through typing.Mapping is several times slower
from typing import Any

from hwcheck.errors import HwcheckError, SpecError, did_you_mean
from hwcheck.grade import options

TOP_KEYS = ("student", "answers", "submitted_at")  # submitted_at: optional, read by grade/batch.py
_STUDENT_ID = re.compile(r"[\w.@+-]{1,100}")


class SubmissionError(HwcheckError):
    """A submission file that cannot be read; names the file and the key path."""

    def __init__(self, file: str, where: str, expected: str, found: str, hint: str = ""):
        from hwcheck.errors import echo

        where, expected, found = echo(where), echo(expected, 400), echo(found, 200)
        self.file, self.where, self.expected, self.found, self.hint = file, where, expected, found, hint
        place = f"{file}: {where}" if where else file
        message = f"{place}: expected {expected}, found {found}"
        super().__init__(message + (f" ({hint})" if hint else ""))


@dataclass(frozen=True)
class Submission:
    student: str
    file: str
    answers: Mapping[str, Mapping[str, Any]]  # problem id -> part -> raw answer

    def __post_init__(self):
        frozen = {pid: MappingProxyType(dict(parts)) for pid, parts in self.answers.items()}
        object.__setattr__(self, "answers", MappingProxyType(frozen))


class Refused:
    """An answer the file reader refused (a key written twice); the part is graded ``invalid``
    with the message ``code`` of ``templates/<lang>/grade/messages.j2``."""

    def __init__(self, code: str, **data):
        self.code, self.data = code, data

    def __repr__(self):
        return f"Refused({self.code!r}, " + ", ".join(f"{k}={v!r}" for k, v in self.data.items()) + ")"

    def __str__(self):
        return ""


class _Pairs(dict):
    """A JSON object or YAML map; remembers a key that came twice."""

    duplicate = None


def _pairs(pairs):
    out = _Pairs(pairs)
    if len(out) < len(pairs):  # some key came twice: remember the first one repeated
        seen = set()
        for key, _ in pairs:
            if key in seen:
                out.duplicate = key
                break
            seen.add(key)
    return out


def _constant(name):
    return Decimal(name)  # NaN, Infinity, -Infinity: the part that holds it is invalid


def _int(text: str):
    from hwcheck.spec import BIG_DIGITS, BigNumeral

    return BigNumeral(text) if len(text) > BIG_DIGITS else int(text)


def _yaml_loader():
    from hwcheck.spec import ExactLoader

    class SubmissionLoader(ExactLoader):
        """Like the spec loader, but a key written twice is recorded, not fatal."""

    def mapping(loader, node):
        loader.flatten_mapping(node)
        out = _Pairs()
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise SubmissionError("", f"line {key_node.start_mark.line + 1}", "text keys",
                                      "a list or map used as a key") from None
            if key in out and out.duplicate is None:
                out.duplicate = key
            out[key] = loader.construct_object(value_node, deep=True)
        return out

    SubmissionLoader.add_constructor("tag:yaml.org,2002:map", mapping)
    return SubmissionLoader


def read_submission(path: str | Path, keys) -> Submission:
    """Read and check one submission file against the problem set ``keys``."""
    from hwcheck.spec import decode

    path = Path(path)
    file = str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise SubmissionError(file, "", "a submission file", "a directory")
        if size > options.MAX_FILE_BYTES:
            raise SubmissionError(file, "", f"a file of at most {options.MAX_FILE_BYTES:,} bytes", f"{size:,} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SubmissionError(file, "", "a submission file", "no such file") from None
    except OSError as exc:
        raise SubmissionError(file, "", "a readable file", exc.strerror or type(exc).__name__) from None
    text = decode(raw, file, SubmissionError)
    fmt = "json" if path.suffix.lower() == ".json" else (
        "yaml" if path.suffix.lower() in (".yaml", ".yml") else ("json" if text.lstrip().startswith("{") else "yaml"))
    return submission_from_text(text, keys, file=file, format=fmt, default_student=path.stem)


def submission_from_text(text: str, keys, *, file: str = "<text>", format: str = "json",
                         default_student: str | None = None) -> Submission:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise SubmissionError(file, "", "a submission", "the file is empty")
    if _count_values(text, format) > options.MAX_NODES:
        raise SubmissionError(file, "", f"at most {options.MAX_NODES:,} values", "more")
    data = _load_json(text, file) if format == "json" else _load_yaml(text, file)
    twice = _check_data(data, file)
    return submission_from_data(data, keys, file=file, default_student=default_student, duplicates=twice)


def _load_json(text: str, file: str):
    try:
        return json.loads(text, parse_float=Decimal, parse_int=_int, parse_constant=_constant,
                          object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise SubmissionError(file, f"line {exc.lineno}, column {exc.colno}", "valid JSON", exc.msg) from None
    except RecursionError:
        raise SubmissionError(file, "", f"values nested at most {options.MAX_DEPTH} deep", "deeper nesting") from None
    except ValueError as exc:
        from hwcheck.limits import shorten

        raise SubmissionError(file, "", "valid JSON", shorten(str(exc).split("\n")[0])) from None


def _position_of(text: str, token: str) -> tuple[int, int]:
    """Line and column of the first bare ``token`` (NaN, Infinity) outside strings."""
    for match in re.finditer(re.escape(token), text):
        before = text[: match.start()]
        if before.count('"') - before.count('\\"') & 1:
            continue  # inside a string
        line = before.count("\n") + 1
        return line, match.start() - (before.rfind("\n") + 1) + 1
    return 1, 1


def _load_yaml(text: str, file: str):
    from hwcheck.spec import read_yaml

    try:
        return read_yaml(text, file, loader=_yaml_loader())
    except SubmissionError as exc:
        raise SubmissionError(file, exc.where, exc.expected, exc.found) from None
    except SpecError as exc:
        raise SubmissionError(file, exc.key, exc.expected, exc.found, exc.hint) from None
    except RecursionError:
        raise SubmissionError(file, "", f"values nested at most {options.MAX_DEPTH} deep", "deeper nesting") from None


_SCALAR = re.compile(r'"(?:[^"\\]|\\.)*"')


def _count_values(text: str, format: str) -> int:
    """An upper bound on the values of a file, counted before it is parsed (with little memory),
    so a huge file is refused before a tree of millions of objects is built."""
    rough = text.count(",") + text.count("\n") + text.count("[") + text.count("{") + text.count("-") + 1
    if rough <= options.MAX_NODES:
        return rough
    if format == "json":
        bare = _SCALAR.sub("", text)
        return bare.count(",") + bare.count("[") + bare.count("{") + 1
    import yaml

    from hwcheck.spec import ExactLoader

    count = 1
    try:
        for token in yaml.scan(text, Loader=ExactLoader):
            if isinstance(token, (yaml.ValueToken, yaml.BlockEntryToken, yaml.FlowEntryToken,
                                  yaml.FlowSequenceStartToken)):
                count += 1
                if count > options.MAX_NODES:
                    break
    except yaml.YAMLError:
        pass  # the parser reports it, with its line
    return count


_PLAIN_VALUES = frozenset({str, int, bool, Decimal, type(None)})
_PLAIN_KEYS = frozenset({str, int})


def _plain(value, depth: int) -> tuple[int, bool] | None:
    """(values below ``value``, some map has a key written twice) when ``value`` is a list or map
    of plain data (keys text or int, values text, numbers, null, lists, maps) whose entries are at
    most ``options.MAX_DEPTH`` deep; None when anything else is found (``_check_data`` then walks
    it carefully, to name the problem). Each level is checked with C loops (``set(map(type, ...))``)."""
    kind = type(value)
    if kind is list:
        items, twice = value, False
    elif kind is _Pairs or kind is dict:
        if not set(map(type, value)) <= _PLAIN_KEYS:
            return None
        items, twice = value.values(), getattr(value, "duplicate", None) is not None
    else:
        return None
    if not items:
        return 0, twice
    if depth + 1 > options.MAX_DEPTH:
        return None
    nodes = len(items)
    if set(map(type, items)) <= _PLAIN_VALUES:
        return nodes, twice
    for item in items:
        if type(item) in _PLAIN_VALUES:
            continue
        below = _plain(item, depth + 1)
        if below is None:
            return None
        nodes += below[0]
        twice = twice or below[1]
    return nodes, twice


def _check_data(data, file: str) -> bool:
    """Only JSON data, bounded depth and size (iteratively). A path is built only for an error.
    True if some map has a key written twice."""
    quick = _plain(data, 0)  # the usual case: plain data, nothing to name
    if quick is not None and 1 + quick[0] <= options.MAX_NODES:
        return quick[1]
    stack = [(data, None, None, 0)]  # value, parent entry, key in the parent, depth
    nodes = 0
    twice = False
    while stack:
        entry = stack.pop()
        value, _, _, depth = entry
        nodes += 1
        if depth > options.MAX_DEPTH:
            raise SubmissionError(file, _path(entry), f"values nested at most {options.MAX_DEPTH} deep",
                                  "deeper nesting")
        if isinstance(value, (Mapping, list)):
            nodes += len(value)
            if nodes > options.MAX_NODES:
                raise SubmissionError(file, "", f"at most {options.MAX_NODES:,} values", "more")
            nodes -= len(value)
        if isinstance(value, Mapping):
            twice = twice or getattr(value, "duplicate", None) is not None
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise SubmissionError(file, _path(entry) or "(top)", "text keys",
                                          f"the key {_found(key)}")
                stack.append((item, entry, key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, entry, i, depth + 1) for i, item in enumerate(value))
        elif value is not None and not isinstance(value, (str, int, bool, Decimal)):
            raise SubmissionError(file, _path(entry), "a number, text, a list or a map",
                                  f"a {type(value).__name__}")
    return twice


def _path(entry) -> str:
    """``answers.p.W[1][2]`` for a stack entry of ``_check_data``."""
    keys = []
    while entry is not None and entry[1] is not None:
        keys.append(entry[2])
        entry = entry[1]
    out = ""
    for key in reversed(keys):
        out = f"{out}[{key}]" if isinstance(key, int) and not isinstance(key, bool) else _join(out, key)
    return out


def _duplicate_in(value):
    """The first key written twice anywhere inside ``value``, or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if getattr(item, "duplicate", None) is not None:
                return item.duplicate
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _join(where: str, key) -> str:
    return f"{where}.{key}" if where else str(key)


def submission_from_data(data: Any, keys, *, file: str = "<data>", default_student: str | None = None,
                         duplicates: bool = True) -> Submission:
    """Check the structure of a submission already read into Python values."""
    if not isinstance(data, Mapping):
        raise SubmissionError(file, "", "a map with keys student and answers", _found(data))
    if getattr(data, "duplicate", None) is not None:
        raise SubmissionError(file, str(data.duplicate), "each key once", "it twice")
    for key in data:
        if key not in TOP_KEYS:
            raise SubmissionError(file, str(key), "one of the keys student, answers", "an unknown key",
                                  did_you_mean(key, TOP_KEYS))
    student = data.get("student", default_student)
    if isinstance(student, int) and not isinstance(student, bool):
        student = str(student)
    if not isinstance(student, str) or not _STUDENT_ID.fullmatch(student.strip()) or student.strip()[0] == ".":
        raise SubmissionError(file, "student", "a student id of letters, digits and . _ - @ + (used as a file name)",
                              _found(student))
    answers = data.get("answers")
    if not isinstance(answers, Mapping):
        raise SubmissionError(file, "answers", "a map of problem id: {part: answer}", _found(answers))
    twice = getattr(answers, "duplicate", None)
    out = {}
    for pid, parts in answers.items():
        if pid == twice and keys.get(str(pid)) is not None:  # which one counts is not clear: none does
            problem = keys.get(str(pid))
            out[str(pid)] = {name: Refused("duplicate_key", key=str(pid)) for name in problem.part_names}
            continue
        pid = str(pid)
        where = f"answers.{pid}"
        problem = keys.get(pid)
        if problem is None:
            raise SubmissionError(file, where, f"a problem id ({', '.join(keys.ids()[:8])}"
                                  f"{', ...' if len(keys.ids()) > 8 else ''})", "an unknown id",
                                  did_you_mean(pid, keys.ids()))
        if parts is None:
            parts = {}
        if not isinstance(parts, Mapping):
            raise SubmissionError(file, where, "a map of part: answer", _found(parts))
        asked = problem.part_names
        for name in parts:
            if str(name) not in asked:
                raise SubmissionError(file, f"{where}.{name}", f"a part of this problem ({', '.join(asked)})",
                                      "an unknown part", did_you_mean(name, asked))
        out[pid] = {}
        part_twice = getattr(parts, "duplicate", None)
        for name, value in parts.items():
            if part_twice is not None and str(name) == str(part_twice):
                inner = part_twice
            else:
                inner = _duplicate_in(value) if duplicates else None
            out[pid][str(name)] = value if inner is None else Refused("duplicate_key", key=_short(inner))
    return Submission(student=student.strip(), file=file, answers=out)


def _short(key) -> str:
    from hwcheck.limits import shorten

    return shorten(str(key), 40)


def _found(value) -> str:
    from hwcheck.schema import found

    return found(value)
