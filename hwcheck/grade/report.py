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
from typing import Iterable, Mapping

from hwcheck import render
from hwcheck.grade.grader import GradeResult, fraction_of, tidy


def fence(text: str) -> str:
    """A code fence that the text cannot close."""
    longest = max((len(m) for m in re.findall(r"`+", str(text))), default=0)
    return "`" * max(3, longest + 1)


def _env(lang: str):
    return render.environment(lang)


def _helpers() -> dict:
    return {"fence": fence, "shape_text": shape_text}


def shape_text(shape) -> str:
    return "×".join(str(n) for n in shape) if shape else "1"


def generic_mistakes(lang: str = "en") -> Mapping[str, str]:
    module = _env(lang).get_template("grade/messages.j2").make_module({})
    return dict(getattr(module, "generic_mistakes", {}))


def part_feedback(view: dict, lang: str = "en") -> str:
    """The feedback text of one part (Markdown)."""
    return _env(lang).get_template("grade/part.md.j2").render(**view, **_helpers()).strip() + "\n"


def as_json(result: GradeResult) -> dict:
    """SPEC section 5."""
    problems = {}
    for problem in result.problems:
        parts = {}
        for part in problem.parts:
            entry = {"score": part.score, "max_score": part.max_score, "verdict": part.verdict,
                     "feedback": part.feedback}
            if part.diagnosis:
                entry["diagnosis"] = part.diagnosis
                if part.diagnosis_text:
                    entry["diagnosis_text"] = part.diagnosis_text
            parts[part.name] = entry
        problems[problem.id] = {"score": problem.score, "max_score": problem.max_score, "parts": parts}
    return {"student": result.student, "score": result.score, "max_score": result.max_score, "problems": problems}


def as_gradescope(result: GradeResult) -> dict:
    """Gradescope's autograder ``results.json``: one test per part."""
    tests = []
    for problem in result.problems:
        for part in problem.parts:
            tests.append({"name": f"{problem.id}: {part.name}", "score": part.score, "max_score": part.max_score,
                          "output": part.feedback, "output_format": "md"})
    return {"score": result.score, "output_format": "md", "tests": tests}


def as_markdown(result: GradeResult, lang: str = "en") -> str:
    return _env(lang).get_template("grade/report.md.j2").render(result=result, **_helpers())


def format_result(result: GradeResult, fmt: str = "md", lang: str = "en") -> str:
    if fmt == "json":
        return json.dumps(as_json(result), indent=2, ensure_ascii=False) + "\n"
    if fmt == "gradescope":
        return json.dumps(as_gradescope(result), indent=2, ensure_ascii=False) + "\n"
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
