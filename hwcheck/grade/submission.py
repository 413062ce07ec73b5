"""Reading a submission file (SPEC.md section 4), strictly.

JSON or YAML (by extension; otherwise a leading ``{`` means JSON); a UTF-8
byte-order mark is fine. Refused, with one message naming the file and the
key path: bad syntax (with line and column), NaN/Infinity, duplicate keys,
values that are not JSON data, nesting or size beyond the limits, unknown
top-level keys, unknown problem ids or parts (with the closest suggestion).
What is inside one answer is checked later, part by part: a bad answer makes
that part ``invalid``, never the whole file.

>>> from hwcheck.api import load_problem_text
>>> from hwcheck.grade.keys import KeySet
>>> keys = KeySet([load_problem_text("{id: init, kind: init_bounds, given: {scheme: he_normal, n_in: 2, n_out: 1}}")])
>>> submission_from_text('{"student": "s1", "answers": {"init": {"std": 1}}}', keys).answers["init"]["std"]
1
>>> submission_from_text('{"student": "s1", "answers": {"inti": {}}}', keys, file="s1.json")
Traceback (most recent call last):
...
hwcheck.grade.submission.SubmissionError: s1.json: answers.inti: expected a problem id (init), found an unknown id (did you mean 'init'?)
>>> submission_from_text('{"student": "s1", "answers": {"init": {"std": NaN}}}', keys, file="s1.json")
Traceback (most recent call last):
...
hwcheck.grade.submission.SubmissionError: s1.json: line 1, column 47: expected a finite number, found NaN
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from hwcheck.errors import HwcheckError, SpecError, did_you_mean
from hwcheck.grade import options

TOP_KEYS = ("student", "answers", "submitted_at")  # submitted_at: optional, read by grade/batch.py
_STUDENT_ID = re.compile(r"[\w.@+-]{1,100}")


class SubmissionError(HwcheckError):
    """A submission file that cannot be read; names the file and the key path."""

    def __init__(self, file: str, where: str, expected: str, found: str, hint: str = ""):
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


class _Pairs(dict):
    """A JSON object; remembers a key that came twice (reported with its path)."""

    duplicate = None


def _pairs(pairs):
    out = _Pairs()
    for key, value in pairs:
        if key in out and out.duplicate is None:
            out.duplicate = key
        out[key] = value
    return out


def _no_constant(name):
    raise ValueError(f"__constant__{name}")


def read_submission(path: str | Path, keys) -> Submission:
    """Read and check one submission file against the problem set ``keys``."""
    path = Path(path)
    file = str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise SubmissionError(file, "", "a submission file", "a directory")
        if size > options.MAX_FILE_BYTES:
            raise SubmissionError(file, "", f"a file of at most {options.MAX_FILE_BYTES} bytes", f"{size} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SubmissionError(file, "", "a submission file", "no such file") from None
    except OSError as exc:
        raise SubmissionError(file, "", "a readable file", exc.strerror or type(exc).__name__) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(file, "", "UTF-8 text", f"undecodable bytes at byte {exc.start}") from None
    fmt = "json" if path.suffix.lower() == ".json" else (
        "yaml" if path.suffix.lower() in (".yaml", ".yml") else ("json" if text.lstrip().startswith("{") else "yaml"))
    return submission_from_text(text, keys, file=file, format=fmt, default_student=path.stem)


def submission_from_text(text: str, keys, *, file: str = "<text>", format: str = "json",
                         default_student: str | None = None) -> Submission:
    text = text.lstrip("\ufeff")
    data = _load_json(text, file) if format == "json" else _load_yaml(text, file)
    _check_data(data, file)
    return submission_from_data(data, keys, file=file, default_student=default_student)


def _load_json(text: str, file: str):
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise SubmissionError(file, f"line {exc.lineno}, column {exc.colno}", "valid JSON", exc.msg) from None
    except RecursionError:
        raise SubmissionError(file, "", f"values nested at most {options.MAX_DEPTH} deep", "deeper nesting") from None
    except ValueError as exc:
        message = str(exc)
        if message.startswith("__constant__"):
            line, column = _position_of(text, message[len("__constant__"):])
            raise SubmissionError(file, f"line {line}, column {column}", "a finite number",
                                  message[len("__constant__"):]) from None
        raise SubmissionError(file, "", "valid JSON", message.split("\n")[0][:120]) from None


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
        return read_yaml(text, file)
    except SpecError as exc:
        raise SubmissionError(file, exc.key, exc.expected, exc.found, exc.hint) from None
    except RecursionError:
        raise SubmissionError(file, "", f"values nested at most {options.MAX_DEPTH} deep", "deeper nesting") from None


def _check_data(data, file: str) -> None:
    """Only JSON data, finite numbers, keys once, bounded depth and size (iteratively)."""
    stack = [(data, "", 0)]
    nodes = 0
    while stack:
        value, where, depth = stack.pop()
        nodes += 1
        if nodes > options.MAX_NODES:
            raise SubmissionError(file, "", f"at most {options.MAX_NODES} values", "more")
        if depth > options.MAX_DEPTH:
            raise SubmissionError(file, where, f"values nested at most {options.MAX_DEPTH} deep", "deeper nesting")
        if isinstance(value, Mapping):
            duplicate = getattr(value, "duplicate", None)
            if duplicate is not None:
                raise SubmissionError(file, _join(where, duplicate), "each key once", "it twice")
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise SubmissionError(file, where or "(top)", "text keys", f"the key {key!r}")
                stack.append((item, _join(where, key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, Decimal):
            if not value.is_finite():
                raise SubmissionError(file, where, "a finite number", str(value))
        elif value is not None and not isinstance(value, (str, int, bool)):
            raise SubmissionError(file, where, "a number, text, a list or a map", f"a {type(value).__name__}")


def _join(where: str, key) -> str:
    return f"{where}.{key}" if where else str(key)


def submission_from_data(data: Any, keys, *, file: str = "<data>", default_student: str | None = None) -> Submission:
    """Check the structure of a submission already read into Python values."""
    if not isinstance(data, Mapping):
        raise SubmissionError(file, "", "a map with keys student and answers", _found(data))
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
    out = {}
    for pid, parts in answers.items():
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
        out[pid] = {str(k): v for k, v in parts.items()}
    return Submission(student=student.strip(), file=file, answers=out)


def _found(value) -> str:
    from hwcheck.schema import found

    return found(value)
