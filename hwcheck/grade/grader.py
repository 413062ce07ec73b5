"""The one grading wrapper: points, partial credit, missing answers, time-outs, feedback.

``grade_part`` runs parse -> compare -> diagnose -> feedback for one part and
never raises for a student's answer: whatever it is, the part gets one of the
verdicts ``correct``, ``partial``, ``incorrect``, ``missing``, ``invalid``
(could not be read; the feedback says why, with a caret) or ``needs_review``
(free text, or an expression SymPy could not decide within the budget).

>>> from hwcheck.api import load_problem_text
>>> from hwcheck.grade.keys import KeySet
>>> p = load_problem_text("{id: i, kind: init_bounds, given: {scheme: he_normal, n_in: 50, n_out: 10}}")
>>> key = KeySet([p])["i"]
>>> [grade_part(key, "std", a).verdict for a in ("1/5", 0.2, "0.2000001", "1/25", "sqrt(", None)]
['correct', 'correct', 'correct', 'incorrect', 'invalid', 'missing']
>>> grade_part(key, "std", "1/25").diagnosis
'variance_for_std'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hwcheck.errors import ParseError
from hwcheck.grade import compare as cmp
from hwcheck.grade import options
from hwcheck.grade.keys import KeySet, PartKey, ProblemKey
from hwcheck.grade.parse import Unreadable, read
from hwcheck.grade.submission import Submission

VERDICTS = ("correct", "partial", "incorrect", "missing", "invalid", "needs_review")
SHOW_STEPS = ("partial", "incorrect")


@dataclass(frozen=True)
class PartGrade:
    name: str
    verdict: str
    score: float
    max_score: float
    feedback: str
    diagnosis: str | None = None
    diagnosis_text: str | None = None


@dataclass(frozen=True)
class ProblemGrade:
    id: str
    title: str
    parts: tuple[PartGrade, ...]

    @property
    def score(self) -> float:
        return tidy(sum(p.score for p in self.parts))

    @property
    def max_score(self) -> float:
        return tidy(sum(p.max_score for p in self.parts))


@dataclass(frozen=True)
class GradeResult:
    student: str
    file: str
    problems: tuple[ProblemGrade, ...]

    @property
    def score(self) -> float:
        return tidy(sum(p.score for p in self.problems))

    @property
    def max_score(self) -> float:
        return tidy(sum(p.max_score for p in self.problems))


def tidy(x: float) -> float:
    """Scores without float noise: 4 decimals, whole numbers as int."""
    x = round(float(x), 4)
    return int(x) if x == int(x) else x


@dataclass(frozen=True)
class Outcome:
    """What the compare phase decided for one part (before wording)."""

    verdict: str
    fraction: float
    comparison: cmp.Comparison | None = None
    unreadable: Unreadable | None = None
    diagnosis: str | None = None
    text_report: dict | None = None


def is_missing(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == {} or raw == []


def decide(key: ProblemKey, part: PartKey, raw: Any, *, cache: dict | None = None,
           budget: float = options.PART_BUDGET, pool=None) -> Outcome:
    """parse -> compare -> diagnose for one part, under one hard-stopped time budget
    (``hwcheck.limits.part_budget``): past it the part is ``invalid``, or ``needs_review``
    once the answer was read."""
    from hwcheck import limits

    return limits.part_budget(lambda stage: _decide(key, part, raw, cache, budget, pool, stage), budget,
                              key=part.value, outcome=Outcome)


def _decide(key, part, raw, cache, budget, pool, stage) -> Outcome:
    if key.text_grader is not None:
        return _text_outcome(key, raw)
    if is_missing(raw):
        return Outcome("missing", 0.0)
    try:
        given = read(raw, part.value, variables=key.variables)
    except Unreadable as exc:
        return Outcome("invalid", 0.0, unreadable=exc)
    stage["read"] = True
    if pool is None:
        from hwcheck.grade.symbolic import pool as default_pool

        pool = default_pool()
    ctx = cmp.Context.for_part(part.spec.tolerance, key.variables, budget=budget, pool=pool, cache=cache)
    comparison = cmp.compare(given, part.value, ctx)
    if comparison.all_right:
        return Outcome("correct", 1.0, comparison)
    diagnosis = _diagnose(given, part, ctx, comparison)
    if comparison.undecided:
        verdict = "needs_review"
    else:
        verdict = "partial" if comparison.right else "incorrect"
    return Outcome(verdict, comparison.fraction, comparison, diagnosis=diagnosis)


def _diagnose(given, part: PartKey, ctx: cmp.Context, comparison: cmp.Comparison) -> str | None:
    """The first misconception whose wrong answer the student gave (numeric check only)."""
    quick = cmp.Context(ctx.rel, ctx.abs, ctx.variables, pool=None, cache=ctx.cache)
    for name, wrong in part.variants:
        if cmp.compare(given, wrong, quick).all_right:
            return name
    if any(code == "transpose_of_key" for code, _ in comparison.notes):
        return "transposed"
    return None


def _text_outcome(key: ProblemKey, raw: Any) -> Outcome:
    if is_missing(raw):
        return Outcome("missing", 0.0)
    try:
        report = key.text_grader(key.problem.given, raw)
    except ParseError as exc:
        return Outcome("invalid", 0.0, unreadable=Unreadable("parse", pointed=exc.message))
    fraction = float(report.get("fraction", 0.0) or 0.0)
    return Outcome("needs_review", max(0.0, min(1.0, fraction)), text_report=dict(report))


def grade_part(key: ProblemKey, name: str, raw: Any, *, lang: str = "en", cache: dict | None = None,
               budget: float = options.PART_BUDGET, pool=None) -> PartGrade:
    """Grade one part's raw answer (the whole pipeline, with feedback)."""
    part = key.parts[name]
    outcome = decide(key, part, raw, cache=cache, budget=budget, pool=pool)
    return feedback(key, part, raw, outcome, lang=lang)


def feedback(key: ProblemKey, part: PartKey, raw: Any, outcome: Outcome, *, lang: str = "en") -> PartGrade:
    """Feedback phase: points and the wording of ``templates/<lang>/grade/part.md.j2``."""
    from hwcheck.grade import report

    points = part.points
    score = 0 if outcome.verdict in ("invalid", "missing") else tidy(points * outcome.fraction)
    diagnosis_text = None
    if outcome.diagnosis:
        diagnosis_text = key.mistakes(lang).get(outcome.diagnosis) or \
            report.generic_mistakes(lang).get(outcome.diagnosis)
    steps = key.steps_for(part.name, lang) if outcome.verdict in SHOW_STEPS and key.text_grader is None else []
    text = report.part_feedback({
        "name": part.name, "label": key.label(part.name, lang), "verdict": outcome.verdict,
        "score": score, "max_score": tidy(points),
        "comparison": outcome.comparison, "unreadable": outcome.unreadable,
        "diagnosis": outcome.diagnosis, "diagnosis_text": diagnosis_text,
        "text_report": outcome.text_report, "steps": steps, "answer": _shown(raw),
    }, lang)
    return PartGrade(part.name, outcome.verdict, score, tidy(points), text, outcome.diagnosis, diagnosis_text)


def _shown(raw: Any) -> str | None:
    """A short echo of a scalar answer (escaped by the template)."""
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        text = str(raw)
        return text if len(text) <= 80 else text[:77] + "..."
    if raw is not None and not isinstance(raw, (list, dict, bool)):
        return str(raw)[:80]
    return None


def grade_submission(keys: KeySet, submission: Submission, *, lang: str = "en",
                     budget: float = options.PART_BUDGET, pool=None) -> GradeResult:
    """Grade every part of every problem of ``keys`` (absent ones are ``missing``)."""
    problems = []
    for key in keys:
        answers = submission.answers.get(key.id, {})
        parts = tuple(
            grade_part(key, name, answers.get(name), lang=lang, cache=keys.cache, budget=budget, pool=pool)
            for name in key.part_names
        )
        problems.append(ProblemGrade(key.id, key.problem.title, parts))
    return GradeResult(submission.student, submission.file, tuple(problems))


def fraction_of(grade: PartGrade) -> float:
    return grade.score / grade.max_score if grade.max_score else (1.0 if grade.verdict == "correct" else 0.0)


__all__ = ["VERDICTS", "PartGrade", "ProblemGrade", "GradeResult", "grade_part", "grade_submission", "decide",
           "feedback", "tidy"]
