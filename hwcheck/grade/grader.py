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

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

from hwcheck.errors import ParseError
from hwcheck.grade import compare as cmp
from hwcheck.grade import options
from hwcheck.grade.keys import KeySet, PartKey, ProblemKey
from hwcheck.grade.parse import Unreadable, read
from hwcheck.grade.submission import Submission
from hwcheck.model import DEFAULT_SIGFIGS, REVEAL_LEVELS

VERDICTS = ("correct", "partial", "incorrect", "missing", "invalid", "needs_review")
SHOW_STEPS = ("partial", "incorrect")
# Credit of a recognised mistake, as a fraction of the part's points, when neither the kind
# (``MISTAKE_CREDIT``) nor the spec (``mistake_credit``) says otherwise: none, except leaving out
# the start point, which the statement gives (it earns nothing anyway).
DEFAULT_CREDIT = {"start_point_left_out": 1.0}


@dataclass(frozen=True)
class PartGrade:
    name: str
    verdict: str
    score: float
    max_score: float
    feedback: str
    diagnosis: str | None = None
    diagnosis_text: str | None = None
    carried_forward: tuple = ()  # paths of the entries credited by error carried forward
    steps: tuple = field(default=(), compare=False, repr=False)  # worked-step views that lead to this part
    view: Mapping | None = field(default=None, compare=False, repr=False)  # to render again (report.reveal)


@dataclass(frozen=True)
class ProblemGrade:
    id: str
    title: str
    parts: tuple[PartGrade, ...]

    @cached_property  # reports ask several times; a changed grade is a new object (dataclasses.replace)
    def score(self) -> float:
        return tidy(sum(p.score for p in self.parts))

    @cached_property
    def max_score(self) -> float:
        return tidy(sum(p.max_score for p in self.parts))

    @property
    def steps(self) -> list[dict]:
        """The worked steps leading to the wrong parts, each once, in the solution's order."""
        seen, out = set(), []
        for part in self.parts:
            for view in part.steps:
                if view.get("index", id(view)) not in seen:
                    seen.add(view.get("index", id(view)))
                    out.append(view)
        return sorted(out, key=lambda v: v.get("index", 0))


@dataclass(frozen=True)
class GradeResult:
    student: str
    file: str
    problems: tuple[ProblemGrade, ...]

    @cached_property
    def score(self) -> float:
        return tidy(sum(p.score for p in self.problems))

    @cached_property
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
    diagnosis_part: str | None = None  # for ``neighbouring_part``: which part's value was given
    carried: tuple = ()  # paths credited by error carried forward
    first_wrong: str | None = None  # the first wrong entry of a chain (when some were carried)
    counted: int = 0  # entries that earn credit (the statement's own entries excluded)
    right: int = 0  # of those, right (carried ones included)


def is_missing(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == {} or raw == []


def is_given_entry(path: str, prefixes) -> bool:
    """``path`` lies inside an entry that the statement gives (``[0]`` of an iterate list)."""
    return any(path == p or path.startswith(p + "[") or path.startswith(p + ".") for p in prefixes)


def mistake_credit(key: ProblemKey, part: PartKey, name: str) -> float:
    own = part.spec.mistake_credit or {}
    if name in own:
        return float(own[name])
    kind = getattr(key, "mistake_credit", {}) or {}
    return float(kind.get(name, DEFAULT_CREDIT.get(name, 0.0)))


def carry_enabled(part: PartKey) -> bool:
    return part.spec.carry_forward is not False


def decide(key: ProblemKey, part: PartKey, raw: Any, *, cache: dict | None = None,
           budget: float = options.PART_BUDGET, pool=None, answers: Mapping | None = None) -> Outcome:
    """parse -> compare -> diagnose -> carry forward for one part; pure except for the shared caches,
    under one hard-stopped time budget (``hwcheck.limits.part_budget``): past it the part is
    ``invalid``, or ``needs_review`` once the answer was read.

    ``answers``: the problem's other raw answers (a later part may carry forward from them)."""
    from hwcheck import limits

    if key.text_grader is None and is_missing(raw):
        return Outcome("missing", 0.0)  # nothing to read: no budget to open
    return limits.part_budget(lambda stage: _decide(key, part, raw, cache, budget, pool, stage, answers), budget,
                              key=part.value, outcome=Outcome)


def _decide(key, part, raw, cache, budget, pool, stage, answers) -> Outcome:
    if key.text_grader is not None:
        return _text_outcome(key, raw)
    if is_missing(raw):
        return Outcome("missing", 0.0)
    try:
        given = read(raw, part.value, variables=key.variables, readings=key.readings())
    except Unreadable as exc:
        # kept for the wording only: without its traceback, which would keep every frame of the
        # parse (and what they hold) alive as long as the grade is
        exc.__traceback__ = exc.__context__ = None
        return Outcome("invalid", 0.0, unreadable=exc)
    stage["read"] = True
    if pool is None:
        from hwcheck.grade.symbolic import pool as default_pool

        pool = default_pool()
    ctx = cmp.Context.for_part(part.spec.tolerance, key.variables, budget=budget, pool=pool, cache=cache,
                               sigfigs=part.spec.sigfigs)
    comparison = cmp.compare(given, part.value, ctx)
    if comparison.all_right:
        return Outcome("correct", 1.0, comparison, counted=comparison.total, right=comparison.total)
    prefixes = key.given_entries.get(part.name, ())
    n_counted, n_right = comparison.total, comparison.right
    if prefixes:
        counted = [o for p, o in comparison.outcomes if not is_given_entry(p, prefixes)]
        if counted:
            n_counted, n_right = len(counted), sum(1 for o in counted if o == "equal")
    if n_counted and n_right == n_counted:
        return Outcome("correct", 1.0, comparison, counted=n_counted, right=n_right)
    found = _diagnose(given, part, ctx, comparison)
    if found is not None:
        name, other = found
        credit = max(0.0, min(1.0, mistake_credit(key, part, name)))
        verdict = "correct" if credit >= 1 else ("partial" if credit > 0 else "incorrect")
        return Outcome(verdict, credit, comparison, diagnosis=name, diagnosis_part=other, counted=n_counted,
                       right=n_right)
    carried: tuple = ()
    first_wrong = None
    if carry_enabled(part):
        from hwcheck.grade import carry

        carried, first_wrong = carry.carried(key, part, given, comparison, ctx, answers or {}, prefixes)
    right = n_right + len(carried)
    fraction = right / n_counted if n_counted else 0.0
    if comparison.undecided:
        verdict = "needs_review"
    elif n_counted and right == n_counted:
        verdict = "correct"  # every entry right, or right from the student's own earlier values
    else:
        verdict = "partial" if right else "incorrect"
    return Outcome(verdict, fraction, comparison, carried=carried, first_wrong=first_wrong, counted=n_counted,
                   right=right)


def _diagnose(given, part: PartKey, ctx: cmp.Context, comparison: cmp.Comparison):
    """(name, other part or None) of the first misconception whose wrong answer the student gave."""
    quick = ctx.quick()
    for name, wrong in part.variants:
        if cmp.matches(given, wrong, quick):
            if name.startswith("neighbouring_part:"):
                return "neighbouring_part", name.split(":", 1)[1]
            return name, None
    if any(code == "transpose_of_key" for code, _ in comparison.notes):
        return "transposed", None
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
               budget: float = options.PART_BUDGET, pool=None, answers: Mapping | None = None,
               reveal: str | None = None) -> PartGrade:
    """Grade one part's raw answer (the whole pipeline, with feedback)."""
    part = key.parts[name]
    outcome = decide(key, part, raw, cache=cache, budget=budget, pool=pool, answers=answers)
    return feedback(key, part, raw, outcome, lang=lang, reveal=reveal)


def reveal_of(part: PartKey, reveal: str | None) -> str:
    level = reveal or part.spec.reveal or "steps"
    return level if level in REVEAL_LEVELS else "steps"


def feedback(key: ProblemKey, part: PartKey, raw: Any, outcome: Outcome, *, lang: str = "en",
             reveal: str | None = None) -> PartGrade:
    """Feedback phase: points and the wording of ``templates/<lang>/grade/part.md.j2``.

    The worked steps are not in the part's text: the report shows them once per problem
    (``ProblemGrade.steps``), and only with ``reveal: steps``."""
    from hwcheck.grade import report

    points = part.points
    max_score = tidy(points)
    score = 0 if outcome.verdict in ("invalid", "missing") else tidy(points * outcome.fraction)
    diagnosis_text = None
    if outcome.diagnosis:
        diagnosis_text = key.mistakes(lang).get(outcome.diagnosis) or \
            report.generic_mistakes(lang).get(outcome.diagnosis)
    level = reveal_of(part, reveal)
    wrong = outcome.verdict in SHOW_STEPS or (outcome.verdict == "correct" and outcome.diagnosis)
    steps = tuple(key.steps_for(part.name, lang)) if wrong and key.text_grader is None and level == "steps" else ()
    view = {
        "name": part.name, "label": key.label(part.name, lang), "verdict": outcome.verdict,
        "score": score, "max_score": max_score,
        "comparison": None if outcome.comparison is None else outcome.comparison.counts(),
        "unreadable": outcome.unreadable,
        "diagnosis": outcome.diagnosis, "diagnosis_text": diagnosis_text, "diagnosis_part": outcome.diagnosis_part,
        "text_report": outcome.text_report, "answer": _shown(raw),
        "carried": outcome.carried, "first_wrong": outcome.first_wrong, "counted": outcome.counted,
        "right": outcome.right, "reveal": level, "sigfigs": part.spec.sigfigs or DEFAULT_SIGFIGS,
    }
    prefixes = key.given_entries.get(part.name, ())
    details = tuple(d for d in outcome.comparison.details
                    if d[0] not in outcome.carried and not is_given_entry(d[0], prefixes)) \
        if outcome.comparison is not None and outcome.comparison.raw_details else ()
    view["details"] = details
    view["n_listed"] = len(details)
    view["n_wrong"] = max(len(details), (outcome.comparison.n_wrong if outcome.comparison else 0)
                          - len(outcome.carried) - (_given_wrong(key, part, outcome) if prefixes else 0))
    text = report.part_feedback(view, lang)
    return PartGrade(part.name, outcome.verdict, score, max_score, text, outcome.diagnosis, diagnosis_text,
                     tuple(outcome.carried), steps, view)


def _given_wrong(key: ProblemKey, part: PartKey, outcome: Outcome) -> int:
    """Wrong entries that the statement gives (not counted, not listed as missing)."""
    prefixes = key.given_entries.get(part.name, ())
    if not prefixes or outcome.comparison is None:
        return 0
    return sum(1 for p, o in outcome.comparison.outcomes if o != "equal" and is_given_entry(p, prefixes))


def _shown(raw: Any) -> str | None:
    """A short echo of a scalar answer (shown in a code span by the template)."""
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        text = str(raw)
        return text if len(text) <= 80 else text[:77] + "..."
    if raw is not None and not isinstance(raw, (list, dict, bool)):
        return str(raw)[:80]
    return None


def grade_submission(keys: KeySet, submission: Submission, *, lang: str = "en",
                     budget: float = options.PART_BUDGET, pool=None, reveal: str | None = None) -> GradeResult:
    """Grade every part of every problem of ``keys`` (absent ones are ``missing``)."""
    problems = []
    for key in keys:
        answers = submission.answers.get(key.id, {})
        parts = tuple(
            grade_part(key, name, answers.get(name), lang=lang, cache=keys.cache, budget=budget, pool=pool,
                       answers=answers, reveal=reveal)
            for name in key.part_names
        )
        problems.append(ProblemGrade(key.id, key.problem.title, parts))
    return GradeResult(submission.student, submission.file, tuple(problems))


def fraction_of(grade: PartGrade) -> float:
    return grade.score / grade.max_score if grade.max_score else (1.0 if grade.verdict == "correct" else 0.0)


__all__ = ["VERDICTS", "PartGrade", "ProblemGrade", "GradeResult", "grade_part", "grade_submission", "decide",
           "feedback", "tidy"]
