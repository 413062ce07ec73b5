"""Grading many submissions: each problem solved once, bad files reported and skipped.

``hwcheck.api.grade_file`` and ``grade_files`` are thin wrappers over these.
Output folder (``--out DIR``): ``<student>.md`` and ``<student>.json`` per
student (SPEC section 5), ``grades.csv`` (one row per student) and
``summary.md``; every file is written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from hwcheck.errors import HwcheckError
from hwcheck.grade import options, report
from hwcheck.grade.grader import GradeResult, grade_submission
from hwcheck.grade.keys import KeySet
from hwcheck.grade.submission import SubmissionError, read_submission


@dataclass(frozen=True)
class Batch:
    results: tuple[GradeResult, ...]
    bad: tuple[HwcheckError, ...]
    written: tuple[Path, ...]
    keys: KeySet

    @property
    def ok(self) -> bool:
        return not self.bad


def load_keys(problems: str | Path = options.DEFAULT_PROBLEMS) -> KeySet:
    """Check every spec of the problem set; an author's error stops everything (exit 2)."""
    from hwcheck.api import KeySetError, validate

    found, errors = validate([problems])
    if errors:
        raise KeySetError(errors)
    return KeySet(found)


def grade_one(path: str | Path, keys: KeySet, *, lang: str = "en") -> GradeResult:
    return grade_submission(keys, read_submission(path, keys), lang=lang)


def grade_many(paths: Iterable[str | Path], keys: KeySet, *, out: str | Path | None = None, lang: str = "en",
               fmt: str = options.DEFAULT_FORMAT,
               on_progress: Callable[[Path, GradeResult | None], None] | None = None) -> Batch:
    from hwcheck.api import write_atomic

    results: list[GradeResult] = []
    bad: list[HwcheckError] = []
    written: list[Path] = []
    seen: dict[str, str] = {}
    folder = Path(out) if out is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for path in map(Path, paths):
        result = None
        try:
            result = grade_one(path, keys, lang=lang)
            if result.student in seen:
                raise SubmissionError(str(path), "student", "a student id used once in the batch",
                                      f"{result.student!r}, also in {seen[result.student]}")
            seen[result.student] = str(path)
        except HwcheckError as exc:
            bad.append(exc)
            result = None
        if result is not None:
            results.append(result)
            if folder is not None:
                documents = {folder / f"{result.student}.md": report.as_markdown(result, lang),
                             folder / f"{result.student}.json": report.format_result(result, "json")}
                if fmt == "gradescope":
                    documents[folder / f"{result.student}.results.json"] = report.format_result(result, "gradescope")
                if fmt == "html":
                    documents[folder / f"{result.student}.html"] = report.as_html(result, lang)
                for target, text in documents.items():
                    write_atomic(target, text)
                    written.append(target)
        if on_progress is not None:
            on_progress(path, result)
    if folder is not None:
        for target, text in ((folder / "grades.csv", report.grades_csv(results, keys.ids())),
                             (folder / "summary.md", report.summary(results, bad, lang))):
            write_atomic(target, text)
            written.append(target)
        if fmt == "html":
            from hwcheck import html

            target = folder / "summary.html"
            write_atomic(target, html.page(report.summary(results, bad, lang), lang))
            written.append(target)
    return Batch(tuple(results), tuple(bad), tuple(written), keys)
