"""TA review (SPEC.md section 9): ``review.csv`` out, a TA's filled scores back in.

Every part whose verdict is ``needs_review`` (concept answers, expressions SymPy could not decide)
becomes one row of ``review.csv``: ``student, problem, part, answer, suggested_score, max_score,
score, comment`` (and ``file``, the submission file, last). A TA fills ``score`` (and ``comment``);
``hwcheck grade ... --reviewed review.csv`` puts those scores into the reports and ``grades.csv``.

A reviewed score belongs to one answer: it is applied to a part when the student, problem, part
and the answer text all match, so a resubmitted (changed) answer waits for a new review. A run
with ``--out DIR`` also reads ``DIR/review.csv`` when it exists, so the scores a TA filled in there
survive a re-run of the batch.

>>> csv_cell("=HYPERLINK(1)"), csv_cell("-1"), csv_cell("x")
("'=HYPERLINK(1)", "'-1", 'x')
>>> answer_text({"a": [1, 2]}), answer_text("  two\\n words ")
('{"a": [1, 2]}', 'two words')
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from collections.abc import Iterable, Mapping
from typing import Any

from hwcheck.errors import SpecError
from hwcheck.grade.grader import GradeResult, ProblemGrade, tidy

COLUMNS = ("student", "problem", "part", "answer", "suggested_score", "max_score", "score", "comment", "file")
REQUIRED = ("student", "problem", "part", "answer", "score")
MAX_ROWS = 100_000
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: Any) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP's list of leading characters)."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in _FORMULA else text


def _uncell(text: str) -> str:
    """The text ``csv_cell`` protected (a TA's spreadsheet may also have dropped the quote)."""
    return text[1:] if text[:2] in {"'" + c for c in _FORMULA} else text


def answer_text(raw: Any) -> str:
    """One line of text for an answer (what the TA reads, and what a review is matched on)."""
    if raw is None:
        return ""
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    return " ".join(text.split())


@dataclass(frozen=True)
class Item:
    """One part that waits for (or had) a review."""

    student: str
    problem: str
    part: str
    answer: str
    suggested: float
    max_score: float
    file: str
    score: float | None = None  # the TA's score, once reviewed
    comment: str = ""

    @property
    def key(self) -> tuple:
        return (self.student, self.problem, self.part, self.answer)


@dataclass(frozen=True)
class Reviewed:
    """A row of a filled ``review.csv``."""

    student: str
    problem: str
    part: str
    answer: str
    score: float | None
    comment: str
    file: str  # the review.csv it came from
    line: int

    @property
    def key(self) -> tuple:
        return (self.student, self.problem, self.part, self.answer)


def read(path: str | Path) -> list[Reviewed]:
    """Read a ``review.csv`` a TA filled in; a bad row is one clear error naming the line."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(file, "", "a review.csv file", "no such file") from None
    except UnicodeDecodeError as exc:
        raise SpecError(file, "", "UTF-8 text", f"undecodable bytes at byte {exc.start}") from None
    except OSError as exc:
        raise SpecError(file, "", "a readable file", exc.strerror or type(exc).__name__) from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise SpecError(file, "", "a CSV file", str(exc)) from None
    if not rows:
        raise SpecError(file, "", "a header row " + ", ".join(COLUMNS[:-1]), "an empty file")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SpecError(file, "line 1", "the columns " + ", ".join(COLUMNS[:-1]), f"no column {missing[0]!r}")
    if len(rows) > MAX_ROWS:
        raise SpecError(file, "", f"at most {MAX_ROWS} rows", f"{len(rows)} rows")
    index = {name: header.index(name) for name in COLUMNS if name in header}
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {name: (_uncell(row[i].strip()) if i < len(row) else "") for name, i in index.items()}
        score = None
        if cell.get("score", ""):
            try:
                value = Decimal(cell["score"].replace(",", "."))
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite() or value < 0:
                raise SpecError(file, f"line {number}: score", "a number ≥ 0 (or empty: not reviewed yet)",
                                repr(cell["score"][:40]))
            score = tidy(float(value))
        out.append(Reviewed(cell["student"], cell["problem"], cell["part"], " ".join(cell["answer"].split()),
                            score, cell.get("comment", ""), file, number))
    return out


def merge(*sources: Iterable[Reviewed]) -> dict[tuple, Reviewed]:
    """Filled rows by key; a later source wins (``--reviewed`` over the folder's own review.csv)."""
    out: dict[tuple, Reviewed] = {}
    for source in sources:
        for entry in source:
            if entry.score is not None or entry.comment:
                out[entry.key] = entry
    return out


def apply(result: GradeResult, answers: Mapping[str, Mapping[str, Any]], reviews: Mapping[tuple, Reviewed],
          *, lang: str = "en") -> tuple[GradeResult, tuple[Item, ...], set]:
    """Put the TA's scores into ``result``.

    Returns the new result, every part that needed review (with the TA's score once reviewed),
    and the keys of ``reviews`` that were used. A score above the part's points is refused.
    """
    from hwcheck.grade import batch

    items: list[Item] = []
    used: set = set()
    problems = []
    for problem in result.problems:
        parts = []
        for part in problem.parts:
            if part.verdict != "needs_review":
                parts.append(part)
                continue
            raw = (answers.get(problem.id) or {}).get(part.name)
            item = Item(result.student, problem.id, part.name, answer_text(raw), part.score, part.max_score,
                        result.file)
            entry = reviews.get(item.key)
            if entry is not None:
                used.add(item.key)
                if entry.score is not None and entry.score > part.max_score:
                    raise SpecError(entry.file, f"line {entry.line}: score",
                                    f"a number from 0 to {part.max_score} (the part's points)", str(entry.score))
                item = replace(item, score=entry.score, comment=entry.comment)
                if entry.score is not None:
                    verdict = "correct" if entry.score == part.max_score else ("incorrect" if entry.score == 0
                                                                               else "partial")
                    note = batch.wording(lang).reviewed_note(entry.score, part.max_score, entry.comment)
                    part = replace(part, verdict=verdict, score=entry.score,
                                   feedback=part.feedback.rstrip("\n") + "\n\n" + str(note).strip() + "\n")
            items.append(item)
            parts.append(part)
        problems.append(ProblemGrade(problem.id, problem.title, tuple(parts)) if parts != list(problem.parts)
                        else problem)
    new = replace(result, problems=tuple(problems)) if items else result
    return new, tuple(items), used


def pending(items: Iterable[Item]) -> int:
    return sum(1 for item in items if item.score is None)


def review_csv(items: Iterable[Item]) -> str:
    """``review.csv``: one row per part that needs review, the TA's score and comment kept."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for item in items:
        writer.writerow([csv_cell(item.student), csv_cell(item.problem), csv_cell(item.part), csv_cell(item.answer),
                         item.suggested, item.max_score, "" if item.score is None else item.score,
                         csv_cell(item.comment), csv_cell(item.file)])
    return out.getvalue()


__all__ = ["COLUMNS", "Item", "Reviewed", "read", "merge", "apply", "pending", "review_csv", "csv_cell",
           "answer_text"]
