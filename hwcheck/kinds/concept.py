"""concept: a conceptual question answered in free text, graded by a rubric of key phrases.

A rubric item ``{id, points, any: [phrases...]}`` is *matched* when ANY of its
phrases occurs in the answer. Phrases may be in any language; phrases and the
answer are both normalised first (``hwcheck.textnorm.normalize``: Unicode
NFKC, Arabic/Persian letter variants, digits, ZWNJ, tatweel, diacritics, case,
white space). The suggested score is the sum of the matched items' points; a
keyword match is only a hint, so every answer of this kind is flagged for an
instructor's review (verdict ``needs_review``).

The solver has nothing to compute: the student's solution shows the question and
the instructor's ``model_answer`` (in prose; never the rubric or its phrases, so
that it does not teach which words earn points). The rubric, the points and the
reading limit go to the instructor's KEY.md (the template's ``instructor()``).

>>> from hwcheck.api import load_problem_text
>>> p = load_problem_text('''
... kind: concept
... given:
...   question: Why do gradients vanish in deep sigmoid networks?
...   rubric:
...     - {id: chain, points: 2, any: [chain rule, "قاعده زنجیره‌ای"]}
...     - {id: saturation, points: 1, any: [saturat, "اشباع"]}
... ''')
>>> solve(p.given).answers["answer"] is None  # no model answer was written
True
>>> r = grade_text(p.given, "طبق قاعده زنجيره اي ... و اشباع سیگموید")  # Arabic yeh, a space for the ZWNJ
>>> r["points"], r["max_points"], r["matched"], r["missed"]
(3, 3, ['chain', 'saturation'], [])
>>> grade_text(p.given, "I do not know")["missed"]
['chain', 'saturation']
>>> grade_text(p.given, "By the CHAIN RULE the small derivatives multiply.")["matched"]
['chain']
"""

from __future__ import annotations

import sys
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

from hwcheck.errors import Invalid, ParseError
from hwcheck.model import Part, Solution, Step
from hwcheck.schema import ListOf, PlainNumber, Record, Schema, Text, found
from hwcheck.textnorm import contains, match_form, normalize

TITLE = "Conceptual question (free text)"

MAX_TEXT = 20_000  # characters of an answer that are read; the rest is ignored and reported
MAX_ITEMS = 50
MAX_PHRASES = 40
MAX_PHRASE = 200



class Phrase(Schema):
    """Text; a bare YAML number (``152``, ``0.25``) is read as the digits written."""

    def convert(self, value):
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise Invalid("text (a phrase)", found(value))
        return value


GIVEN = {
    "question": Text(doc="the question (Markdown)"),
    "rubric": ListOf(doc="list of {id, points, any: [phrases...]}; an item is matched if any phrase occurs",
                     item=Record(fields={
                         "id": Phrase(doc="short name of the item"),
                         "points": PlainNumber(doc="points of the item", default=1, positive=True),
                         "any": ListOf(doc="phrases, any language", item=Phrase()),
                     })),
    "model_answer": Text(doc="a model answer in prose, shown to students (it must cover every rubric item)",
                         default=None),
}

SHEET_HIDDEN = ("rubric", "model_answer")  # given keys a problem sheet never shows

PARTS = {
    "answer": Part("free text; graded by rubric, always flagged for instructor review", default=True),
}


def check(given, parts) -> None:
    question = given.question
    if not question.strip():
        raise Invalid("a question", "empty text", key="question")
    rubric = given.rubric
    if len(rubric) > MAX_ITEMS:
        raise Invalid(f"at most {MAX_ITEMS} rubric items", f"{len(rubric)}", key="rubric")
    seen: set[str] = set()
    for i, item in enumerate(rubric):
        ident = item["id"].strip()
        if not ident:
            raise Invalid("an item id", "empty text", key=f".rubric[{i}].id")
        if ident in seen:
            raise Invalid("ids unique in the rubric", f"{ident!r} twice", key=f".rubric[{i}].id")
        seen.add(ident)
        phrases = item["any"]
        if len(phrases) > MAX_PHRASES:
            raise Invalid(f"at most {MAX_PHRASES} phrases", f"{len(phrases)}", key=f".rubric[{i}].any")
        for j, phrase in enumerate(phrases):
            if len(phrase) > MAX_PHRASE:
                raise Invalid(f"a phrase of at most {MAX_PHRASE} characters", f"{len(phrase)} characters",
                              key=f".rubric[{i}].any[{j}]")
            if not normalize(phrase):
                # an empty phrase would match every answer
                raise Invalid("a phrase with letters or digits", repr(phrase), key=f".rubric[{i}].any[{j}]")
    if given.model_answer is not None:
        report = grade_text(given, given.model_answer)
        if report["missed"]:
            raise Invalid("a model answer that covers every rubric item",
                          "one that misses " + ", ".join(report["missed"]), key="model_answer",
                          hint="add a phrase of each missed item to the model answer")


def model_answer(given) -> str | None:
    """The instructor's model answer, or ``None`` when the spec gives none."""
    if given.model_answer is not None:
        return given.model_answer.strip()
    return None


def solve(given) -> Solution:
    """The student's solution shows the question and the model answer only: the rubric, its
    phrases and the reading limit are for the instructor (the template's ``instructor()``, in KEY.md)."""
    answer = model_answer(given)
    return Solution([Step("question", {"question": given.question.strip()})], {"answer": answer})


def instructor_data(given) -> dict:
    """The arguments of the template's ``instructor()`` (KEY.md only): the rubric and reading limit."""
    items = [{"id": item["id"], "points": item["points"], "phrases": list(item["any"])} for item in given.rubric]
    total = sum((_number(item["points"]) for item in given.rubric), Fraction(0))
    return {"rubric": {"items": items, "total": total, "limit": MAX_TEXT}}


def _number(value):
    """Points as a Fraction (a SymPy number only when a spec wrote an irrational one)."""
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return Fraction(value)
    import sympy as sp

    return sp.sympify(value)


def _plain(value) -> int | float:
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    import sympy as sp

    value = sp.sympify(value)
    return int(value) if value.is_Integer else float(value)


def _is_sympy_number(value) -> bool:
    sympy = sys.modules.get("sympy")  # not loaded: no value is a SymPy number
    return sympy is not None and isinstance(value, sympy.Number)


def grade_text(given: Mapping[str, Any], text: Any, *, limit: int = MAX_TEXT) -> dict:
    """Match a student's free-text answer against the rubric of ``given``.

    Returns a dict: ``points`` (suggested: the sum of the matched items'
    points), ``max_points`` (the rubric's total), ``fraction`` (points /
    max_points, to scale the part's own points), ``matched`` and ``missed``
    (item ids in rubric order), ``evidence`` (item id -> the phrase found),
    ``length`` (characters received), ``limit``, ``truncated`` (only the first
    ``limit`` characters were read), ``empty`` and ``verdict`` (always
    ``needs_review``: a keyword match is a suggestion for the instructor).

    Text that is not text (a list, a map) raises ``ParseError``; ``None`` is
    an empty answer; a number is read as its digits.

    >>> g = {"rubric": [{"id": "relu", "points": 1, "any": ["ReLU", "یکسوساز"]}]}
    >>> r = grade_text(g, "استفاده از ReLU")
    >>> r["points"], r["evidence"], r["truncated"]
    (1, {'relu': 'ReLU'}, False)
    >>> grade_text(g, "x" * 30 + " relu", limit=10)["truncated"]
    True
    """
    if text is None:
        text = ""
    elif (isinstance(text, (int, float)) or _is_sympy_number(text)) and not isinstance(text, bool):
        text = str(text)
    elif not isinstance(text, str):
        raise ParseError(f"expected the answer as free text, found a {type(text).__name__}")
    length = len(text)
    truncated = length > limit
    body = match_form(text[:limit])
    matched, missed, evidence = [], [], {}
    points = total = Fraction(0)
    for item in given["rubric"]:
        item_points = _number(item.get("points", 1) if isinstance(item, Mapping) else item["points"])
        total += item_points
        hit = next((p for p in item["any"] if contains(body, match_form(p))), None)
        if hit is None:
            missed.append(item["id"])
        else:
            matched.append(item["id"])
            evidence[item["id"]] = hit
            points += item_points
    return {
        "points": _plain(points),
        "max_points": _plain(total),
        "fraction": float(points / total) if total else 0.0,
        "matched": matched,
        "missed": missed,
        "evidence": evidence,
        "length": length,
        "limit": limit,
        "truncated": truncated,
        "empty": not body,
        "verdict": "needs_review",
    }
