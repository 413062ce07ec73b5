"""Grading a class: a row for every file, each problem solved once, an output folder that tells the truth.

``hwcheck.api.grade_file`` and ``grade_files`` are thin wrappers over these.

- **A row for every file.** Whatever happens to a submission file (it cannot be read, it names
  problem ids that are not in the set, hwcheck itself fails on it), it gets a ``Row``, and a line
  in ``grades.csv`` with a ``status`` (``ok``, or what went wrong, in words). Answers to unknown
  problem ids or parts become warnings ("did you mean"); every known answer is graded.
- **Duplicates.** Files with the same student id are all graded; they are flagged, and the one a
  gradebook import takes is marked ``counts``: the newest ``submitted_at`` when the files carry it
  (ISO 8601, compared as dates), else the last file name in sorted order.
- **Report names** (``report_stems``) are derived so that no two rows, and no row and a class file
  (``grades.csv``, ``summary.md``, ``review.csv``), ever share one, on case-insensitive file systems
  too: the student id with every character other than letters, digits, ``_ @ + -`` replaced by
  ``_``, at most 100 bytes; when two rows (or a row and a class file) would share a name, each
  after the first gets ``~2``, ``~3`` ... (``~`` never occurs in a student id).
- **The output folder** (``--out DIR``) holds exactly this run's files: ``.hwcheck-manifest.json``
  lists what hwcheck wrote there, and the next run removes what it listed and did not write
  again. Files hwcheck did not write are never touched. Every file is written atomically: a
  file's reports are written as soon as it is graded (by the worker that graded it, with
  ``--jobs``) into a hidden staging folder inside the output folder, and moved into place, each
  in one rename, once the class files are made. A run that stops midway leaves the folder as it was.
- **Exit status** (``Batch.exit_status``; the CLI exits with it): ``EXIT_OK`` every file graded
  cleanly; ``EXIT_WARNINGS`` graded, but some file had a warning, could not be read, or shares its
  student id. ``EXIT_USAGE`` (a bad option, problem set, assignment or review file: nothing graded)
  and ``EXIT_INTERNAL`` (a bug in hwcheck) come from the CLI.

>>> [s for s in report_stems([("s1", "a.json"), ("S1", "b.json"), ("x.results", "c.json"), ("summary", "d.json")])]
['s1', 'S1~2', 'x_results', 'summary~2']
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from hwcheck.errors import HwcheckError, SpecError
from hwcheck.grade import options, report
from hwcheck.grade import review as rv
from hwcheck.grade.grader import GradeResult, PartGrade, grade_submission, tidy
from hwcheck.grade.keys import KeySet
from hwcheck.grade.submission import Submission, SubmissionError, read_submission

log = logging.getLogger(__name__)

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_WARNINGS = 0, 1, 2, 3
MANIFEST = ".hwcheck-manifest.json"
CLASS_FILES = ("grades.csv", "summary.md", "review.csv")
RESERVED = {"grades", "summary", "review", "key", "con", "prn", "aux", "nul",
            *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
MAX_STEM_BYTES = 100
_UNSAFE = re.compile(r"[^\w@+-]")


# -- wording -----------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def wording(lang: str = "en"):
    """The macros of ``templates/<lang>/grade/batch.j2`` (statuses, warnings, console lines)."""
    from hwcheck import render

    import jinja2

    try:
        template = render.environment(lang).get_template("grade/batch.j2")
    except jinja2.TemplateNotFound:  # a language whose batch wording is not written yet: English
        template = render.environment("en").get_template("grade/batch.j2")
    return template.make_module({"code": report.code})


def say(lang: str, macro: str, *args, **kwargs) -> str:
    """One line of wording (CSV cells and stderr lines are single lines)."""
    return " ".join(str(getattr(wording(lang), macro)(*args, **kwargs)).split())


# -- one file ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Note:
    """A warning about one submission: ``code`` names it, ``data`` fills its wording."""

    code: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One submission file of a batch, whatever happened to it."""

    file: str
    student: str  # the file name's stem when the file cannot be read
    result: GradeResult | None = None  # None: not graded (``error`` says why)
    error: str | None = None
    notes: tuple[Note, ...] = ()
    answers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    submitted_at: str | None = None
    others: tuple[str, ...] = ()  # other files with the same student id
    counts: bool = True  # the file a gradebook import takes for this student
    stem: str | None = None  # reports: <stem>.md, <stem>.json (and <stem>.results.json)
    reviews: tuple[rv.Item, ...] = ()
    exception: BaseException | None = field(default=None, compare=False, repr=False)

    @property
    def graded(self) -> bool:
        return self.result is not None

    @property
    def pending(self) -> int:
        return rv.pending(self.reviews)

    @property
    def ok(self) -> bool:
        return self.graded and not self.notes and not self.others


class _AnyName(tuple):
    """Part names that accept any name (unknown ones are sorted out after reading)."""

    def __contains__(self, name) -> bool:
        return True


class _Lenient:
    """The problem set as the submission reader sees it, but answering for any id: unknown problem
    ids and parts are read like known ones and turned into warnings by ``read``, so that a typo costs
    that answer, never the whole file."""

    def __init__(self, keys: KeySet):
        self._keys = keys

    def ids(self) -> list[str]:
        return self._keys.ids()

    def get(self, pid):
        problem = self._keys.get(pid)
        return _Parts(_AnyName(problem.part_names if problem is not None else ()))


@dataclass(frozen=True)
class _Parts:
    part_names: tuple


def read(path: str | Path, keys: KeySet) -> tuple[Submission, tuple[Note, ...]]:
    """Read one submission; answers to problems or parts not in ``keys`` are dropped, with a note each."""
    submission = read_submission(path, _Lenient(keys))
    notes, kept = [], {}
    for pid, parts in submission.answers.items():
        problem = keys.get(pid)
        if problem is None:
            notes.append(Note("unknown_problem", {"id": pid, "suggestion": _closest(pid, keys.ids()),
                                                  "n": len(parts)}))
            continue
        kept[pid] = {}
        for name, value in parts.items():
            if name in problem.part_names:
                kept[pid][name] = value
            else:
                notes.append(Note("unknown_part", {"problem": pid, "part": name,
                                                   "suggestion": _closest(name, problem.part_names)}))
    return Submission(student=submission.student, file=submission.file, answers=kept), tuple(notes)


def _closest(word: str, options_: Iterable[str]) -> str | None:
    from difflib import get_close_matches

    options_ = [str(o) for o in options_]
    folded = {o.casefold(): o for o in options_}
    if str(word).casefold() in folded:
        return folded[str(word).casefold()]
    close = get_close_matches(str(word), options_, n=1)
    return close[0] if close else None


def _submitted_at(path: Path) -> str | None:
    """The optional ``submitted_at`` of a submission file (ISO 8601), read only when it is there."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        if "submitted_at" not in text:
            return None
        if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            from hwcheck.spec import read_yaml

            data = read_yaml(text, str(path))
        value = data.get("submitted_at") if isinstance(data, Mapping) else None
    except Exception:  # noqa: BLE001 - the file was read once already; a date is a nicety
        return None
    return str(value) if value is not None else None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}{'…' if len(text) > 160 else ''}"


def _own_keys(keys: KeySet, variants, student: str) -> tuple[KeySet, tuple[Note, ...]]:
    """The student's own variant of the set (``hwcheck grade --variants``), or ``keys``."""
    if variants is None:
        return keys, ()
    own, warning = variants.for_student(student)
    return own, ((Note(warning, {"student": student}),) if warning else ())


def grade_row(path: str | Path, keys: KeySet, *, lang: str = "en", variants=None) -> Row:
    """Read and grade one file; never raises for anything in the file. ``variants``: a
    ``hwcheck.variants.VariantKeys`` when each student has their own numbers."""
    path = Path(path)
    file = str(path)
    try:
        submission, notes = read(path, keys)
        keys, more = _own_keys(keys, variants, submission.student)
        notes += more
    except SubmissionError as exc:
        reason = str(exc)
        reason = reason[len(file) + 2:] if reason.startswith(f"{file}: ") else reason  # the row names the file
        return Row(file, path.stem, error=say(lang, "unreadable", reason))
    except Exception as exc:  # noqa: BLE001 - whatever one file does, the batch goes on
        log.debug("reading %s", file, exc_info=True)
        return Row(file, path.stem, error=say(lang, "unreadable", _short(exc)), exception=exc)
    try:
        result = grade_submission(keys, submission, lang=lang)
    except HwcheckError as exc:  # the keys were built before (grade_many): this is about the file
        return Row(file, submission.student, error=say(lang, "stopped", str(exc)), notes=notes,
                   answers=submission.answers)
    except Exception as exc:  # noqa: BLE001
        log.debug("grading %s", file, exc_info=True)
        return Row(file, submission.student, error=say(lang, "failed", _short(exc)), notes=notes,
                   answers=submission.answers, exception=exc)
    return Row(file, submission.student, with_warnings(result, notes, lang), notes=notes,
               answers=submission.answers, submitted_at=_submitted_at(path))


def with_warnings(result: GradeResult, notes: Iterable[Note], lang: str = "en") -> GradeResult:
    """The result with its ``warnings`` (SPEC section 9), when the grade result has that field."""
    texts = tuple(say(lang, "note", n) for n in notes)
    if texts and "warnings" in getattr(type(result), "__dataclass_fields__", {}):
        return replace(result, warnings=texts)
    return result


def grade_one(path: str | Path, keys: KeySet, *, lang: str = "en") -> GradeResult:
    """One file, for ``hwcheck grade FILE``: an unreadable file raises its ``SubmissionError``."""
    result, _ = grade_single(path, keys, lang=lang)
    return result


def grade_single(path: str | Path, keys: KeySet, *, lang: str = "en",
                 reviews: Mapping[tuple, rv.Reviewed] | None = None,
                 variants=None) -> tuple[GradeResult, tuple[Note, ...]]:
    """One file: its result and the warnings about it. A file that cannot be read raises a
    ``SubmissionError`` (whatever the cause), so the CLI says so in one line."""
    try:
        submission, notes = read(path, keys)
    except HwcheckError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a number too long to convert: the file's fault
        raise SubmissionError(str(path), "", "a file hwcheck can read", _short(exc)) from None
    keys, more = _own_keys(keys, variants, submission.student)
    notes += more
    result = with_warnings(grade_submission(keys, submission, lang=lang), notes, lang)
    if reviews:
        result, _, _ = rv.apply(result, submission.answers, reviews, lang=lang)
    return result, notes


# -- the batch ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    rows: tuple[Row, ...]
    written: tuple[Path, ...]
    keys: KeySet
    removed: tuple[Path, ...] = ()
    unused_reviews: tuple[rv.Reviewed, ...] = ()

    @property
    def results(self) -> tuple[GradeResult, ...]:
        return tuple(r.result for r in self.rows if r.result is not None)

    @property
    def bad(self) -> tuple[str, ...]:
        """``file: why`` for each file that was not graded."""
        return tuple(f"{r.file}: {r.error}" for r in self.rows if r.result is None)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "files": len(self.rows),
            "graded": sum(r.graded for r in self.rows),
            "warnings": sum(1 for r in self.rows if r.notes),
            "unreadable": sum(not r.graded for r in self.rows),
            "duplicates": sum(1 for r in self.rows if r.others),
            "students": len({r.student for r in self.rows if r.graded}),
            "pending": sum(r.pending for r in self.rows),
        }

    @property
    def exit_status(self) -> int:
        return EXIT_OK if self.ok else EXIT_WARNINGS


def load_keys(problems: str | Path = options.DEFAULT_PROBLEMS) -> KeySet:
    """Check every spec of the problem set; an author's error stops everything (exit 2)."""
    from hwcheck.problem_set import KeySetError, validate

    found, errors = validate([problems])
    if errors:
        raise KeySetError(errors)
    return KeySet(found)


def _when(text: str | None):
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def mark_duplicates(rows: list[Row]) -> list[Row]:
    """Flag rows sharing a student id; the one a gradebook takes ``counts``: the newest ``submitted_at``
    when every file of the student carries one, else the last file name."""
    by_student: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if row.graded:
            by_student[row.student].append(i)
    rows = list(rows)
    for members in by_student.values():
        if len(members) < 2:
            continue
        dates = [_when(rows[i].submitted_at) for i in members]
        if all(d is not None for d in dates):
            chosen = max(members, key=lambda i: (_when(rows[i].submitted_at), rows[i].file))
        else:
            chosen = max(members, key=lambda i: rows[i].file)
        for i in members:
            rows[i] = replace(rows[i], others=tuple(rows[j].file for j in members if j != i), counts=i == chosen)
    return rows


def _stem(student: str) -> str:
    stem = _UNSAFE.sub("_", unicodedata.normalize("NFC", student)) or "_"
    while len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = stem[:-1]
    return stem


def report_stems(rows: Iterable[tuple[str, str]]) -> list[str]:
    """File-name stems for ``(student, file)`` pairs, distinct even ignoring case, never a class file's."""
    rows = list(rows)
    stems = [_stem(student) for student, _ in rows]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, stem in enumerate(stems):
        groups[stem.casefold()].append(i)
    out = list(stems)
    for folded, members in groups.items():
        reserved = folded in RESERVED  # a class file's name: every member gets a number
        for n, i in enumerate(members, start=1):
            out[i] = stems[i] if n == 1 and not reserved else f"{stems[i]}~{n + reserved}"
    return out


def _with_stems(rows: list[Row]) -> list[Row]:
    graded = [i for i, r in enumerate(rows) if r.graded]
    # the file a gradebook takes gets the plain name; the others follow in file order
    graded.sort(key=lambda i: (not rows[i].counts, rows[i].file))
    stems = report_stems((rows[i].student, rows[i].file) for i in graded)
    rows = list(rows)
    for i, stem in zip(graded, stems):
        rows[i] = replace(rows[i], stem=stem)
    return rows


def grade_many(paths: Iterable[str | Path], keys: KeySet, *, out: str | Path | None = None, lang: str = "en",
               fmt: str = options.DEFAULT_FORMAT, reviewed: str | Path | None = None,
               on_progress: Callable[[Path, GradeResult | None], None] | None = None, variants=None,
               jobs: int = 1) -> Batch:
    """Grade every file; with ``out``, write its reports, ``grades.csv``, ``summary.md`` and ``review.csv``.
    ``jobs``: processes that read, grade and render the files (``hwcheck.parallel``); the keys are
    built here first and inherited, and the results are the same bytes whatever ``jobs`` is."""
    from hwcheck import parallel

    parallel.check_jobs(jobs)
    folder = Path(out) if out is not None else None
    sources = []
    if folder is not None and (folder / "review.csv").is_file():
        sources.append(rv.read(folder / "review.csv"))  # a TA's scores survive a re-run
    if reviewed is not None:
        sources.append(rv.read(reviewed))
    reviews = rv.merge(*sources)

    for _ in keys:
        pass  # every problem solved now: an author's error stops the run before any file is graded

    paths = list(map(Path, paths))
    with _staging(folder) as stage, parallel.settled():
        def one(item: tuple[int, Path]) -> _Graded:
            i, path = item
            return _grade_file(path, keys, lang=lang, variants=variants, reviews=reviews,
                               fmt=fmt if folder is not None else None, stage=stage, tag=str(i))

        rows: list[Row] = []
        reports: list[Mapping[str, Path]] = []
        used: set = set()
        _SHARED_KEYS[id(keys)] = (keys, lang)  # workers name a part's worked steps (``_KeyStepsRef``)
        graded_files = parallel.ordered_map(one, enumerate(paths), jobs=jobs, redo=_keep_here)
        try:
            for path, graded in zip(paths, graded_files):
                rows.append(graded.row)
                reports.append(graded.reports)
                used |= graded.used
                if on_progress is not None:
                    on_progress(path, graded.row.result if graded.before_review is None else graded.before_review)
        finally:
            graded_files.close()  # on an error, the workers stop before their staging folder goes
            _SHARED_KEYS.pop(id(keys), None)
        rows = _with_stems(mark_duplicates(rows))
        unused = tuple(entry for key, entry in reviews.items() if key not in used and entry.score is not None)
        if folder is None:
            return Batch(tuple(rows), (), keys, (), unused)

        staged: dict[str, Path] = {}
        for row, files in zip(rows, reports):
            for suffix, file in files.items():
                staged[f"{row.stem}{suffix}"] = file
        documents = {"grades.csv": grades_csv(rows, keys.ids(), lang, total_points(keys)),
                     "review.csv": rv.review_csv(item for row in rows for item in row.reviews)}
        batch = Batch(tuple(rows), (), keys, (), unused)
        documents["summary.md"] = summary(batch, lang)
        if fmt == "html":
            from hwcheck import html

            documents["summary.html"] = html.page(documents["summary.md"], lang)
        written, removed = write_folder(folder, documents, staged)
    return replace(batch, written=tuple(written), removed=tuple(removed))


@contextmanager
def _staging(folder: Path | None) -> Iterator[Path | None]:
    """A hidden folder inside ``folder`` where the reports are written as each file is graded (by
    the worker that graded it); ``write_folder`` moves them into place at the end, each in one
    rename. It is removed whatever happens, and so is ``folder`` if this run created it and it is
    left empty."""
    if folder is None:
        yield None
        return
    import shutil
    import tempfile

    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".hwcheck-staging-", dir=folder))
    except OSError as exc:
        raise _folder_error(folder, exc) from None
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created:
            try:
                folder.rmdir()  # only if empty: the run failed before it wrote anything
            except OSError:
                pass


def _folder_error(folder: Path, exc: OSError) -> SpecError:
    where = getattr(exc, "filename", None) or folder
    return SpecError(str(where), "", "a folder hwcheck can write to", exc.strerror or str(exc) or type(exc).__name__)


@dataclass(frozen=True)
class _Graded:
    """What the work on one file gives back (from a worker process when ``jobs`` > 1)."""

    row: Row  # graded, the TA's reviews applied
    used: frozenset  # the keys of the reviews it used
    reports: Mapping[str, Path]  # suffix -> the staged file: ``.md``, ``.json`` and the format's own
    before_review: GradeResult | None = None  # the result before a TA's score changed it (for on_progress)

    def __reduce__(self):  # sent by a worker: one string of bytes, what the parent rarely reads packed
        return _unpack_graded, (_pack_graded(self),)


def _pack_graded(graded: _Graded) -> bytes:
    """``graded`` pickled, with the submission's answers and the parts' views (they share the key's
    values) packed apart in one ``_Packed``, which the parent unpickles only if it reads them."""
    import io
    import pickle

    pickler_class = _pickler_class()
    results = [r for r in (graded.row.result, graded.before_review) if r is not None]
    parts = {id(part): part for result in results for problem in result.problems for part in problem.parts
             if part.view is not None and not isinstance(part.view, _Opened)}
    answers = graded.row.answers
    packed = None if isinstance(answers, _Opened) and not parts else _Packed.of(
        [answers, *(part.view for part in parts.values())])
    buffer = io.BytesIO()
    pickler = pickler_class(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.row, pickler.packed = graded.row, packed
    pickler.index = {key: i for i, key in enumerate(parts, start=1)}
    pickler.steps = _steps_refs(results)
    pickler.dump((graded.row, graded.used, graded.reports, graded.before_review))
    return buffer.getvalue()


def _unpack_graded(data: bytes) -> _Graded:
    import pickle

    return _Graded(*pickle.loads(data))


@lru_cache(maxsize=None)
def _pickler_class():
    from hwcheck import parallel

    class Pickler(parallel.pickler()):
        """Pickles the row with its answers, and each part with its view, as ``_Opened`` entries of
        ``packed`` (no copy of the row or of the parts is made)."""

        row: Row
        packed: _Packed | None
        index: dict[int, int]

        def reducer_override(self, obj):
            if type(obj) is PartGrade:
                i = self.index.get(id(obj))
                steps = self.steps.get(id(obj))
                if i is not None or steps is not None:
                    state = dict(vars(obj))
                    if i is not None:
                        state["view"] = _Opened(self.packed, i)
                    if steps is not None:
                        state["steps"] = steps
                    return _rebuilt, (PartGrade, state)
            elif obj is self.row and self.packed is not None:
                return _rebuilt, (Row, {**vars(obj), "answers": _Opened(self.packed, 0)})
            return NotImplemented

    return Pickler


_SHARED_KEYS: dict[int, tuple[KeySet, str]] = {}  # the key sets being graded, and their language, by id


class _KeyStepsRef:
    """A part's worked steps, sent by name: they are its key's own (``ProblemKey.steps_for``), which
    the parent process has too (the workers were forked from it), so only the names travel."""

    def __init__(self, keys_id: int, problem: str, part: str):
        self.args = (keys_id, problem, part)

    def __reduce__(self):
        return _key_steps, self.args


def _key_steps(keys_id: int, problem: str, part: str) -> tuple:
    keys, lang = _SHARED_KEYS[keys_id]
    return tuple(keys[problem].steps_for(part, lang))


def _steps_refs(results) -> dict[int, _KeyStepsRef]:
    """id(part) -> a reference to its steps, for the parts whose steps are the key's very objects."""
    refs: dict[int, _KeyStepsRef] = {}
    for keys_id, (keys, lang) in _SHARED_KEYS.items():
        for result in results:
            for problem in result.problems:
                if keys.get(problem.id) is None:
                    continue
                key = keys[problem.id]
                for part in problem.parts:
                    if part.steps and part.name in key.parts:
                        own = key.steps_for(part.name, lang)
                        if len(own) == len(part.steps) and all(a is b for a, b in zip(own, part.steps)):
                            refs[id(part)] = _KeyStepsRef(keys_id, problem.id, part.name)
    return refs


def _rebuilt(cls, state: dict):
    """An instance of the (frozen) dataclass ``cls`` with the fields ``state``."""
    obj = object.__new__(cls)
    obj.__dict__.update(state)
    return obj


class _Packed:
    """Values a worker pickled, unpickled in the parent on first use. A submission's answers (exact
    decimals) and its parts' views (SymPy numbers; what ``report.revealed`` words feedback from) take
    most of the time a row takes to unpickle, and a batch never reads them after the worker: the
    reviews were applied and the reports rendered there."""

    def __init__(self, data: bytes):
        self.data = data
        self._values: list | None = None

    @classmethod
    def of(cls, values: list) -> "_Packed":
        from hwcheck import parallel

        return cls(bytes(parallel.pickler().dumps(values)))

    def __getitem__(self, i: int):
        if self._values is None:
            import pickle

            self._values = pickle.loads(self.data)
        return self._values[i]

    def __reduce__(self):
        return _Packed, (self.data,)


class _Opened(Mapping):
    """The mapping ``packed[index]``, read-only, unpickled on first use."""

    def __init__(self, packed: _Packed, index: int):
        self._packed, self._index = packed, index

    def __reduce__(self):
        return _Opened, (self._packed, self._index)

    def __getitem__(self, key):
        return self._packed[self._index][key]

    def __iter__(self):
        return iter(self._packed[self._index])

    def __len__(self) -> int:
        return len(self._packed[self._index])

    def __repr__(self) -> str:
        return repr(self._packed[self._index])


def _grade_file(path: Path, keys: KeySet, *, lang: str, variants, reviews, fmt: str | None,
                stage: Path | None = None, tag: str = "") -> _Graded:
    """Read, grade, review and render one file (``fmt`` None: no reports). A file's reports do not
    depend on the other files (duplicates and report names are settled afterwards): they are written
    into ``stage`` as ``<tag><suffix>``, and the ``_Graded`` names those files."""
    row = grade_row(path, keys, lang=lang, variants=variants)
    if row.result is None:
        return _Graded(row, frozenset(), {})
    result, items, used = rv.apply(row.result, row.answers, reviews, lang=lang)
    before = row.result if used else None
    row = replace(row, result=result, reviews=items)
    reports = {}
    if fmt is not None and stage is not None:
        texts = {".md": render_result(result, "md", lang, row.notes), ".json": render_result(result, "json", lang, row.notes)}
        if fmt == "gradescope":
            texts[".results.json"] = render_result(result, fmt, lang, row.notes)
        elif fmt == "html":  # the Markdown report as one page (what render_result(..., "html") gives)
            from hwcheck import html

            texts[".html"] = html.page(texts[".md"], lang)
        for suffix, text in texts.items():
            reports[suffix] = stage / f"{tag}{suffix}"
            try:
                reports[suffix].write_bytes(text.encode("utf-8"))
            except OSError as exc:
                raise _folder_error(stage.parent, exc) from None
    return _Graded(row, frozenset(used), reports, before)


def _keep_here(graded: _Graded) -> bool:
    """A row holding an exception (a bug in hwcheck) is graded again in the parent process, so that
    ``--debug`` shows its traceback."""
    return graded.row.exception is not None


def render_result(result: GradeResult, fmt: str, lang: str = "en", notes: Iterable[Note] = ()) -> str:
    """``report.format_result``, plus what the batch knows: the file's warnings (when the grade
    result does not carry them itself) and, for Gradescope, each test's ``status``. Each part's
    feedback is already worded at its ``reveal`` level (the spec's, else the assignment's), so nothing
    is re-worded here (a TA's note stays)."""
    notes = tuple(notes)
    if fmt == "html":  # the Markdown report (with its warnings) as one self-contained page
        from hwcheck import html

        return html.page(render_result(result, "md", lang, notes), lang)
    text = report.format_result(result, fmt, lang)
    carried = "warnings" in getattr(type(result), "__dataclass_fields__", {})
    if fmt == "json":
        if not notes or carried:
            return text
        data = json.loads(text)
        data.setdefault("warnings", [say(lang, "note", n) for n in notes])
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "gradescope":
        data = with_status(json.loads(text))
        if notes and not carried:
            data["output"] = "\n\n".join(x for x in (data.get("output", ""), say_md(lang, "warnings_md", notes)) if x)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if notes and not carried:
        title, _, rest = text.partition("\n\n")
        return f"{title}\n\n{say_md(lang, 'warnings_md', notes)}\n\n{rest}"
    return text


def say_md(lang: str, macro: str, *args) -> str:
    """A block of Markdown wording (several lines)."""
    return str(getattr(wording(lang), macro)(*args)).strip()


def with_status(data: dict) -> dict:
    """Gradescope tests get ``status``: ``passed`` with full marks, else ``failed``."""
    for test in data.get("tests", []):
        test["status"] = "passed" if test["score"] >= test["max_score"] else "failed"
        test["output_format"] = "md"
    return data


# -- the output folder -------------------------------------------------------------------------

def _manifest(folder: Path) -> list[str]:
    """Names an earlier run wrote into ``folder`` (plain names only: nothing outside it)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        names = data.get("files", []) if isinstance(data, dict) else []
    except (OSError, ValueError):
        return []
    return [n for n in names if isinstance(n, str) and n and "/" not in n and "\\" not in n
            and n not in (".", "..", MANIFEST) and "\0" not in n]


def write_folder(folder: Path, documents: Mapping[str, str],
                 staged: Mapping[str, Path] | None = None) -> tuple[list[Path], list[Path]]:
    """Write ``documents`` (name -> text) into ``folder``, move the finished files ``staged`` (name ->
    a file already written inside ``folder``) into place, and remove what an earlier run wrote there
    and this one did not. The manifest always covers every file hwcheck wrote, even if the run is
    killed midway: it is first widened to old + new, and narrowed to new once the stale files are gone."""
    from hwcheck.files import current_umask, place, write_atomic

    staged = dict(staged or {})
    try:
        folder.mkdir(parents=True, exist_ok=True)
        earlier = _manifest(folder)
        names = sorted({*documents, *staged})
        _write_manifest(folder, sorted(set(earlier) | set(names)), write_atomic)
        written = []
        new_mode = 0o666 & ~current_umask()
        for name in sorted(names, key=lambda n: (n in CLASS_FILES, n)):
            if name in staged:
                place(staged[name], folder / name, new_mode)
            else:
                write_atomic(folder / name, documents[name])
            written.append(folder / name)
        removed = []
        for name in earlier:
            target = folder / name
            if name not in names and target.is_file() and not target.is_symlink():
                target.unlink()
                removed.append(target)
        _write_manifest(folder, names, write_atomic)
    except OSError as exc:
        raise _folder_error(folder, exc) from None
    return written, removed


def _write_manifest(folder: Path, names: list[str], write_atomic) -> None:
    write_atomic(folder / MANIFEST, json.dumps({"written_by": "hwcheck", "files": names}, indent=1) + "\n")


# -- grades.csv and summary.md -----------------------------------------------------------------

def status(row: Row, lang: str = "en") -> str:
    """``ok``, or what went wrong, in words."""
    return say(lang, "status", row)


def grades_csv(rows: Iterable[Row], problem_ids: list[str], lang: str = "en", max_score: float | str = "") -> str:
    """One row per submission file: student, file, status, counts, one column per problem, total,
    max_score, review (parts still waiting for a TA). A file not graded scores 0."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "file", "status", "counts", *problem_ids, "total", "max_score", "review"])
    for row in rows:
        scores = {p.id: p.score for p in row.result.problems} if row.result is not None else {}
        total = row.result.score if row.result is not None else 0
        top = row.result.max_score if row.result is not None else max_score
        writer.writerow([rv.csv_cell(row.student), rv.csv_cell(row.file), rv.csv_cell(status(row, lang)),
                         say(lang, "counts_word", row.counts), *(scores.get(pid, 0) for pid in problem_ids),
                         total, top, say(lang, "review_cell", row.pending, len(row.reviews))])
    return out.getvalue()


def total_points(keys: KeySet) -> float:
    """The most a submission can score (the max_score of a file that could not be read)."""
    return tidy(sum(part.points for pid in keys.ids() for part in keys.get(pid).parts))


def summary(batch: Batch, lang: str = "en") -> str:
    """summary.md: per part, over the files a gradebook takes (one per student); the files with
    warnings, unreadable files, duplicates; the counts at the end."""
    counted = [r.result for r in batch.rows if r.result is not None and r.counts]
    parts: dict[tuple[str, str], dict] = {}
    diagnoses: Counter = Counter()
    for result in counted:
        for problem in result.problems:
            for part in problem.parts:
                row = parts.get((problem.id, part.name))
                if row is None:
                    row = parts[problem.id, part.name] = {
                        "problem": problem.id, "part": part.name, "max_score": part.max_score, "sum": 0.0,
                        "verdicts": Counter(), "n": 0}
                row["sum"] += part.score
                row["n"] += 1
                row["verdicts"][part.verdict] += 1
                if part.diagnosis:
                    diagnoses[(problem.id, part.name, part.diagnosis)] += 1
    table = [{**row, "mean": tidy(row["sum"] / row["n"]) if row["n"] else 0} for row in parts.values()]
    totals = [r.score for r in counted]
    duplicates: dict[str, list[Row]] = defaultdict(list)
    for row in batch.rows:
        if row.others:
            duplicates[row.student].append(row)
    context = {
        "table": table, "counts": batch.counts,
        "diagnoses": [{"problem": p, "part": q, "name": d, "count": c} for (p, q, d), c in diagnoses.most_common(15)],
        "mean_total": tidy(sum(totals) / len(totals)) if totals else 0,
        "max_total": counted[0].max_score if counted else 0,
        "n_counted": len(counted),
        "warned": [r for r in batch.rows if r.notes],
        "unreadable": [r for r in batch.rows if not r.graded],
        "duplicates": [{"student": s, "rows": sorted(rs, key=lambda r: r.file)} for s, rs in sorted(duplicates.items())],
        "pending": [r for r in batch.rows if r.pending],
        # the names a summary template of the first version used (a translation not yet updated)
        "n": len(counted), "rows": table, "bad": list(batch.bad),
    }
    from hwcheck import render

    return render.environment(lang).get_template("grade/summary.md.j2").render(
        **context, fence=report.fence, w=wording(lang))


__all__ = ["Batch", "Row", "Note", "render_result", "with_status", "grade_row", "grade_one", "grade_single", "grade_many", "load_keys",
           "report_stems", "mark_duplicates", "write_folder", "grades_csv", "summary", "status", "wording",
           "EXIT_OK", "EXIT_INTERNAL", "EXIT_USAGE", "EXIT_WARNINGS", "MANIFEST"]
