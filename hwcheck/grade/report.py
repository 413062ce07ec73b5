"""Render phase: grade results as Markdown, JSON (SPEC.md section 5), Gradescope, CSV and a class summary.

Every sentence comes from ``templates/<lang>/grade/``; this module only
arranges data. Student text reaches Markdown escaped (``esc_md``) or inside a
code fence longer than any backtick run it contains.

>>> fence("a ``` b")
'````'
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from json.encoder import encode_basestring  # C-accelerated where available
from typing import Iterable, Mapping

from hwcheck import render
from hwcheck.grade.grader import GradeResult, fraction_of, tidy
from hwcheck.model import REVEAL_LEVELS


def fence(text: str) -> str:
    """A code fence that the text cannot close."""
    longest = max((len(m) for m in re.findall(r"`+", str(text))), default=0)
    return "`" * max(3, longest + 1)


@lru_cache(maxsize=8)
def _env(lang: str):
    """One environment per language for the whole run (templates compiled once), with the helpers
    as globals so that ``messages.j2`` is imported once, not per part."""
    env = render.environment(lang)
    env.globals.update(fence=fence, shape_text=shape_text, code=code)
    env.auto_reload = False  # one run never sees a template change: no stat() per render
    return env


def _helpers(reveal: str | None = None) -> dict:
    return {"steps_of": lambda problem: problem_steps(problem, reveal)}


def code(text) -> str:
    """A Markdown code span that shows ``text`` literally: no escaping, and a backtick inside
    cannot close it (the delimiter is longer than any backtick run in the text).

    >>> code("s-0001"), code("a`b"), code("`x`")
    ('`s-0001`', '``a`b``', '`` `x` ``')
    """
    text = " ".join(str(text).split()) or " "
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def problem_steps(problem, reveal: str | None = None) -> list[dict]:
    """The worked steps a report shows for a problem: once, for its wrong parts (a part graded at a
    reveal level other than ``steps`` has none)."""
    if reveal is not None and reveal != "steps":
        return []
    return problem.steps


def revealed(result: GradeResult, reveal: str | None, lang: str = "en") -> GradeResult:
    """The result with every part's feedback worded again at the ``reveal`` level."""
    if reveal is None:
        return result
    if reveal not in REVEAL_LEVELS:
        raise ValueError(f"reveal must be one of {', '.join(REVEAL_LEVELS)}, not {reveal!r}")
    problems = []
    for problem in result.problems:
        parts = []
        for part in problem.parts:
            if part.view is None or part.view.get("reveal") == reveal:
                parts.append(part)
                continue
            view = {**part.view, "reveal": reveal}
            parts.append(replace(part, feedback=part_feedback(view, lang), view=view,
                                 steps=part.steps if reveal == "steps" else ()))
        problems.append(replace(problem, parts=tuple(parts)))
    return replace(result, problems=tuple(problems))


def shape_text(shape) -> str:
    return "×".join(str(n) for n in shape) if shape else "1"


@lru_cache(maxsize=8)
def generic_mistakes(lang: str = "en") -> Mapping[str, str]:
    module = _env(lang).get_template("grade/messages.j2").make_module({})
    return dict(getattr(module, "generic_mistakes", {}))


@lru_cache(maxsize=8)
def _part_template(lang: str):
    return _env(lang).get_template("grade/part.md.j2")


_PLAIN: dict = {}  # (lang, verdict, reveal) -> the text of a part with nothing more to say
_TEXTS: dict = {}  # (lang, view_key(view)) -> the text: parts worded alike are rendered once
MAX_TEXTS = 20_000


def part_feedback(view: dict, lang: str = "en") -> str:
    """The feedback text of one part (Markdown)."""
    comparison = view.get("comparison")
    plain = view.get("verdict") in ("correct", "missing") and not view.get("diagnosis") and \
        not view.get("carried") and (comparison is None or not comparison.notes)
    key = (lang, view.get("verdict"), view.get("reveal"))
    if plain and key in _PLAIN:
        return _PLAIN[key]
    memo = None if plain else view_key(view)
    if memo is not None:
        memo = (lang, memo)
        text = _TEXTS.get(memo)
        if text is not None:
            return text
    text = _blank_lines(_part_template(lang).render(**view).strip()) + "\n"
    if plain:
        _PLAIN[key] = text
    elif memo is not None and len(_TEXTS) < MAX_TEXTS:
        _TEXTS[memo] = text
    return text


_ATOMS = frozenset({str, int, float, bool, type(None)})


def view_key(view: Mapping) -> str | None:
    """Everything a part's template can see in ``view``, as one text: two views with the same key
    are worded the same. A comparison counts by its public fields (the template sees its notes
    and counts; the entries it lists are ``view["details"]``), an unreadable answer by its code
    and data. None when the view holds anything else (then it is simply rendered).

    >>> view_key({"verdict": "incorrect", "score": 1, "details": (("[0]", "2", "3", "different"),)})
    "(('verdict', 'incorrect'), ('score', 1), ('details', (('[0]', '2', '3', 'different'),)))"
    """
    from hwcheck.grade.compare import Comparison
    from hwcheck.grade.parse import Unreadable

    items = []
    for name, value in view.items():
        kind = type(value)
        if kind is Comparison:
            value = ("Comparison", value.total, value.right, value.undecided, value.wrong, value.n_wrong,
                     value.notes)
        elif kind is Unreadable:
            value = ("Unreadable", value.code, value.data)
        if not _plain_data(value):
            return None
        items.append((name, value))
    return repr(tuple(items))  # repr tells 1, 1.0 and True apart, which == and hash do not


def _plain_data(value, depth: int = 0) -> bool:
    """Text, numbers, None, and tuples, lists and dicts of them (what ``repr`` shows in full)."""
    kind = type(value)
    if kind in _ATOMS:
        return True
    if depth > 8:
        return False
    if kind is dict:
        if not set(map(type, value)) <= _ATOMS:
            return False
        value = value.values()
    elif kind is not tuple and kind is not list:
        return False
    kinds = set(map(type, value))
    if kinds <= _ATOMS:
        return True
    return all(_plain_data(v, depth + 1) for v in value)


@lru_cache(maxsize=8)
def _messages(lang: str):
    """The macros of ``grade/messages.j2`` (made once per language, not once per problem)."""
    return _env(lang).get_template("grade/messages.j2").make_module({})


_STEPS: dict = {}  # (lang, ids of the step views) -> (the views, their Markdown)


def steps_markdown(problem, lang: str = "en", reveal: str | None = None) -> str:
    """The worked steps of one problem's wrong parts, as Markdown ('' when none are shown).
    The views are the key's own (``ProblemKey.steps``), so the same views are worded once."""
    steps = problem_steps(problem, reveal)
    if not steps:
        return ""
    memo = (lang, tuple(map(id, steps)))
    found = _STEPS.get(memo)
    if found is not None and all(a is b for a, b in zip(found[0], steps)):
        return found[1]
    text = _messages(lang).steps_block(steps).strip() + "\n"
    if len(_STEPS) < MAX_TEXTS:
        _STEPS[memo] = (tuple(steps), text)  # holding the views keeps their ids from being reused
    return text


class _NotPlain(TypeError):
    """A value ``json_text`` leaves to the ``json`` module."""


def json_text(data) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False) + "\\n"``, the same text, several times faster
    for a report's plain dicts, lists, strings and numbers (the ``json`` module writes indented JSON
    in pure Python); anything else goes to the ``json`` module.

    >>> data = {"a": [1, 2.5, None, True, {}], "é": {"b": [], "c": float("nan")}, "d": "x\\ny\\"z"}
    >>> json_text(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\\n"
    True
    """
    out: list[str] = []
    try:
        _json(data, "\n", out)
    except _NotPlain:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    out.append("\n")
    return "".join(out)


def _float_json(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


# how the json module writes each plain scalar type (exact types only: a subclass goes to it)
_SCALARS = {str: encode_basestring, int: int.__repr__, float: _float_json,
            bool: lambda b: "true" if b else "false", type(None): lambda _: "null"}


def _json(value, newline: str, out: list) -> None:
    """Append the JSON text of ``value`` to ``out`` (a container's entries on their own lines)."""
    kind = type(value)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        out.append(scalar(value))
        return
    if kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        before = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain(key)
            scalar = _SCALARS.get(type(item))
            if scalar is not None:
                out.append(before + encode_basestring(key) + ": " + scalar(item))
            else:
                out.append(before + encode_basestring(key) + ": ")
                _json(item, inner, out)
            before = "," + inner
        out.append(newline + "}")
        return
    if kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        before = "[" + inner
        for item in value:
            scalar = _SCALARS.get(type(item))
            if scalar is not None:
                out.append(before + scalar(item))
            else:
                out.append(before)
                _json(item, inner, out)
            before = "," + inner
        out.append(newline + "]")
        return
    raise _NotPlain(value)


def _blank_lines(text: str) -> str:
    """Runs of three or more newlines made two (``re.sub(r"\\n{3,}", "\\n\\n", text)``, faster)."""
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def as_json(result: GradeResult, lang: str = "en") -> dict:
    """SPEC section 5."""
    problems = {}
    for problem in result.problems:
        parts = {}
        for part in problem.parts:
            entry = {"score": part.score, "max_score": part.max_score, "verdict": part.verdict,
                     "feedback": part.feedback, "carried_forward": list(part.carried_forward)}
            if part.diagnosis:
                entry["diagnosis"] = part.diagnosis
                if part.diagnosis_text:
                    entry["diagnosis_text"] = part.diagnosis_text
            parts[part.name] = entry
        problems[problem.id] = {"score": problem.score, "max_score": problem.max_score, "parts": parts}
        steps = steps_markdown(problem, lang)
        if steps:
            problems[problem.id]["steps"] = steps
    return {"student": result.student, "score": result.score, "max_score": result.max_score, "problems": problems}


def as_gradescope(result: GradeResult, lang: str = "en") -> dict:
    """Gradescope's autograder ``results.json``: one test per part (a problem's worked steps once,
    after its last wrong part)."""
    tests = []
    for problem in result.problems:
        steps = steps_markdown(problem, lang)
        last_wrong = max((i for i, p in enumerate(problem.parts) if p.steps), default=None)
        for i, part in enumerate(problem.parts):
            output = part.feedback + ("\n" + steps if steps and i == last_wrong else "")
            tests.append({"name": f"{problem.id}: {part.name}", "score": part.score, "max_score": part.max_score,
                          "output": output, "output_format": "md"})
    return {"score": result.score, "output_format": "md", "tests": tests}


def as_markdown(result: GradeResult, lang: str = "en", reveal: str | None = None) -> str:
    result = revealed(result, reveal, lang)
    text = _env(lang).get_template("grade/report.md.j2").render(result=result, **_helpers())
    return _blank_lines(text)


def format_result(result: GradeResult, fmt: str = "md", lang: str = "en", reveal: str | None = None) -> str:
    """The result as ``md``, ``json`` or ``gradescope``; ``reveal`` (verdicts | values | steps) words
    every part's feedback again at that level (None: as graded)."""
    result = revealed(result, reveal, lang)
    if fmt == "json":
        return json_text(as_json(result, lang))
    if fmt == "gradescope":
        return json_text(as_gradescope(result, lang))
    if fmt == "html":
        return as_html(result, lang)
    return as_markdown(result, lang)


def as_html(result: GradeResult, lang: str = "en") -> str:
    """The Markdown report as one self-contained, sanitised HTML page (``hwcheck.html``)."""
    from hwcheck import html

    return html.page(as_markdown(result, lang), lang)


def grades_csv(results: Iterable[GradeResult], problem_ids: list[str]) -> str:
    """One row per student: id, one column per problem, total (spreadsheet/LMS friendly)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *problem_ids, "total"])
    for result in results:
        scores = {p.id: p.score for p in result.problems}
        writer.writerow([_csv_safe(result.student), *(scores.get(pid, 0) for pid in problem_ids), result.score])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def summary(results: list[GradeResult], bad: list, lang: str = "en") -> str:
    """summary.md: class mean per part, how many got each part right, frequent diagnoses."""
    parts: dict[tuple[str, str], dict] = {}
    diagnoses: Counter = Counter()
    for result in results:
        for problem in result.problems:
            for part in problem.parts:
                row = parts.setdefault((problem.id, part.name), {
                    "problem": problem.id, "part": part.name, "max_score": part.max_score, "sum": 0.0,
                    "verdicts": Counter(), "n": 0})
                row["sum"] += part.score
                row["n"] += 1
                row["verdicts"][part.verdict] += 1
                if part.diagnosis:
                    diagnoses[(problem.id, part.name, part.diagnosis)] += 1
    rows = []
    for row in parts.values():
        mean = row["sum"] / row["n"] if row["n"] else 0.0
        rows.append({**row, "mean": tidy(mean), "mean_fraction": mean / row["max_score"] if row["max_score"] else 0})
    totals = [r.score for r in results]
    context = {
        "n": len(results), "rows": rows, "bad": bad,
        "diagnoses": [{"problem": p, "part": q, "name": d, "count": c} for (p, q, d), c in diagnoses.most_common(15)],
        "mean_total": tidy(sum(totals) / len(totals)) if totals else 0,
        "max_total": results[0].max_score if results else 0,
    }
    return _env(lang).get_template("grade/summary.md.j2").render(**context, **_helpers())


__all__ = ["as_json", "as_gradescope", "as_markdown", "as_html", "format_result", "grades_csv", "summary", "part_feedback",
           "generic_mistakes", "fence", "fraction_of"]
