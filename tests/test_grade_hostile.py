"""Hostile input: nothing is executed, nothing crashes, every part gets a verdict within its budget."""

from __future__ import annotations

import builtins
import json
import time
from decimal import Decimal

import pytest

from hwcheck import api
from hwcheck.grade import options
from hwcheck.grade.grader import VERDICTS, grade_part
from hwcheck.grade.keys import KeySet
from hwcheck.grade.submission import SubmissionError, read_submission, submission_from_text
from hwcheck.grade.symbolic import WorkerPool

from conftest import PROBLEMS

CHAIN = api.load_problem_text("""
id: chain
kind: chain_rule
given: {f: "sin(x^2)", wrt: x}
parts: [derivative]
""")
PROBLEM_FILES = ["conv2d-backprop-4x4", "init-xavier-tanh-dense", "sgd-stochastic-1d"]
KEYS = KeySet([api.load_problem(PROBLEMS / f"{name}.yaml") for name in PROBLEM_FILES] + [CHAIN])
TARGETS = [("chain", "derivative"), ("init-xavier-tanh-dense", "bound"), ("conv2d-backprop-4x4", "dL_dW"),
           ("sgd-stochastic-1d", "params")]

INJECTION = [
    "__import__('os').system('echo pwned')", "eval('1')", "exec('x = 1')", "compile('1', '', 'eval')",
    "().__class__.__bases__[0].__subclasses__()", "lambda: 1", "(lambda x: x)(1)", "x.__class__", "x.real",
    "open('/etc/passwd').read()", "globals()", "getattr(x, 'func')", "[1, 2][0]", "{1: 2}", "1 if x else 2",
    "f'{x}'", "x; import os", "import os", "x = 1", "x := 1", "sin.__call__(x)", "__builtins__",
    "sympify('x')", "Symbol('x')", "S('1/8')", "x @ x", "x // 2", "x % 2", "not x", "x and 1", "~x",
    "`x`", "\\x", "x\x00", "\x1b[31mx", "x\n+1", "#", "'''", "...", "*x", "**x",
]
BOMBS = [
    "9^9^9", "10^10^10", "9**9**9", "(x+1)^100000", "2^1000000", "x^(10^10)", "(2^1000)^1000",
    "exp(exp(exp(exp(100))))", "exp(1000)^1000", "factorial(100000)", "100000!", "gamma(10^6)",
    "sin(10^9999)", "10^9999 - 10^9999 + x", "(" * 50 + "x" + ")" * 50, "(" * 10000 + "x" + ")" * 10000,
    "-" * 1500 + "x", "x" + "+x" * 999, "x" * 1_000_000, "1" * 1_000_000, "1/" * 900 + "2",
]
NON_FINITE = ["nan", "NaN", "inf", "Infinity", "-inf", "oo", "zoo", "1/0", "0/0", "log(0)", "x/0", "0^-1",
              "sqrt(-1)", "I", "1e999999"]
# Persian and Arabic-Indic digits with ٫ ("١/٨", "0٫125") are numbers (SPEC section 10): tests/test_persian.py
LOOKALIKES = ["2х", "соs(x)", "−1/8", "2x\u00a0cos(x^2)", "x²", "\ufeff1/8", "2·x", "ｘ"]
TYPES = [True, False, None, {}, {"a": 1}, [], [[]], [[1, 2], [3]], [1, [2]], [[[[[1]]]]], "", " ",
         Decimal("NaN"), Decimal("1e999999"), 10**400, -(10**400), [None], [[None, 1]], [{"w": 1}],
         [[1, 2, 3]] * 5000, list(range(20000)), "[1, 2, 3]", {"w": "__import__('os')"}]

CORPUS = INJECTION + BOMBS + NON_FINITE + LOOKALIKES + TYPES


@pytest.fixture
def no_eval(monkeypatch):
    """eval/exec raise while grading (templates are compiled beforehand: Jinja uses exec to load them)."""
    for pid, part in TARGETS:
        grade_part(KEYS[pid], part, "1/0")
        grade_part(KEYS[pid], part, "0")
        grade_part(KEYS[pid], part, [[1, 2], [3]])
        KEYS[pid].steps()

    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec called while grading")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)


@pytest.mark.parametrize("pid,part", TARGETS)
def test_hostile_corpus(pid, part, no_eval):
    key = KEYS[pid]
    slowest = 0.0
    for raw in CORPUS:
        start = time.monotonic()
        grade = grade_part(key, part, raw, budget=1.0)
        slowest = max(slowest, time.monotonic() - start)
        assert grade.verdict in VERDICTS
        assert grade.verdict != "correct", raw if isinstance(raw, str) and len(raw) < 100 else type(raw)
        assert grade.score == 0 or grade.verdict == "partial"
        assert grade.feedback.strip()
        if isinstance(raw, str) and raw.startswith("__import__") and part in ("derivative", "bound"):
            assert grade.verdict == "invalid" and "names may not start with '_'" in grade.feedback
    assert slowest < 1.0 + 1.5, slowest


def test_lookalike_messages():
    key = KEYS["chain"]
    grade = grade_part(key, "derivative", "2х cos(х^2)")
    assert grade.verdict == "invalid"
    assert "U+0445" in grade.feedback and "Cyrillic" in grade.feedback and "“x”" in grade.feedback
    assert "^" in grade.feedback  # the caret under the bad character
    grade = grade_part(key, "derivative", "2x cos(x²)")
    assert grade.verdict == "invalid" and "“^2”" in grade.feedback


def test_caret_points_at_what_the_student_wrote():
    grade = grade_part(KEYS["chain"], "derivative", "2x cos(x^2) + y")
    assert grade.verdict == "invalid"
    assert "unknown variable 'y'" in grade.feedback
    lines = grade.feedback.splitlines()
    text = next(i for i, line in enumerate(lines) if line.strip() == "2x cos(x^2) + y")
    assert lines[text + 1].index("^") == lines[text].index("y")


def test_student_text_is_escaped_in_markdown():
    grade = grade_part(KEYS["init-xavier-tanh-dense"], "bound", "1/9")
    assert grade.verdict == "incorrect" and "You wrote `1/9`" in grade.feedback
    grade = grade_part(KEYS["chain"], "derivative", "x*[evil](http://x.y)")
    assert "[evil](http" not in grade.feedback.replace("```", "").split("You wrote:")[-1] or "```" in grade.feedback


def test_symbolic_time_out_gives_needs_review_within_budget():
    """A SymPy call that hangs is killed at the budget; the entry is undecided -> needs_review."""
    key = api.load_problem_text("{id: s, kind: chain_rule, given: {f: 'sqrt(x - 50)', wrt: x}}")
    keys = KeySet([key])

    class Hanging(WorkerPool):
        def equivalent(self, a, b, *, timeout):
            return self.run("_sleep", 30, timeout=timeout)

    pool = Hanging()
    try:
        start = time.monotonic()
        # the key is undefined at every sample point, so only SymPy could decide
        grade = grade_part(keys["s"], "derivative", "sqrt(x - 50)/(2(x - 50))", budget=0.5, pool=pool)
        elapsed = time.monotonic() - start
    finally:
        pool.close()
    assert grade.verdict == "needs_review", grade.feedback
    assert elapsed < 0.5 + 2.0
    assert pool.kills == 1


def test_symbolic_worker_decides_what_points_cannot():
    keys = KeySet([api.load_problem_text("{id: s, kind: chain_rule, given: {f: 'sqrt(x - 50)', wrt: x}}")])
    pool = WorkerPool()
    try:
        assert grade_part(keys["s"], "derivative", "sqrt(x - 50)/(2(x - 50))", pool=pool).verdict == "correct"
        assert pool.calls == 1
        assert grade_part(keys["s"], "derivative", "1/sqrt(x - 50)", pool=pool).verdict in ("incorrect",
                                                                                           "needs_review")
    finally:
        pool.close()


# -- whole files ---------------------------------------------------------------------------

def _read(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return read_submission(path, KEYS)


# NaN, Infinity, a key written twice inside answers and a 5,000-digit number make only their
# part invalid: tests/test_hostile_submissions.py
@pytest.mark.parametrize("content,where", [
    ('{"student": "s", "student": "t", "answers": {}}', "student"),
    ('{"student": "s", "answers": {"chian": {}}}', "did you mean 'chain'?"),
    ('{"student": "s", "answers": {"chain": {"derivativ": 1}}}', "did you mean 'derivative'?"),
    ('{"student": "s", "answers": {"chain": {"value": 1}}}', "answers.chain.value"),
    ('{"student": "s", "answers": [1, 2]}', "answers: expected a map"),
    ('{"student": "s", "answers": {"chain": "2x"}}', "answers.chain: expected a map"),
    ('{"student": "../../etc/passwd", "answers": {}}', "student"),
    ('{"student": ["s"], "answers": {}}', "student"),
    ('{"student": "s", "answer": {}}', "did you mean 'answers'?"),
    ('{"student": "s", "answers": {"chain": {"derivative": 1}}', "line 1"),
    ('[1, 2]', "expected a map"),
    ('{"student": "s", "answers": {"chain": {"derivative": ' + "[" * 10000 + "]" * 10000 + "}}}", "nested"),
])
def test_bad_json_files_are_refused_with_the_place(tmp_path, content, where):
    with pytest.raises(SubmissionError) as info:
        _read(tmp_path, "sub.json", content)
    message = str(info.value)
    assert message.startswith(str(tmp_path / "sub.json")) and where in message, message
    assert "\n" not in message


@pytest.mark.parametrize("content,where", [
    ("student: s\nanswers: {chain: {derivative: [1, 2}\n", "line 2"),
    ("student: s\nanswers: {chain: {derivative: 2001-01-01}}\n", "answers.chain.derivative"),
    ("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
     "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
     "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n", "at most"),
])
def test_bad_yaml_files_are_refused_with_the_place(tmp_path, content, where):
    with pytest.raises(SubmissionError) as info:
        _read(tmp_path, "sub.yaml", content)
    assert where in str(info.value), str(info.value)


def test_file_level_refusals(tmp_path):
    with pytest.raises(SubmissionError, match="UTF-8"):
        _read(tmp_path, "bad.json", b'{"student": "s\xff"}')
    with pytest.raises(SubmissionError, match="no such file"):
        read_submission(tmp_path / "nope.json", KEYS)
    with pytest.raises(SubmissionError, match="directory"):
        read_submission(tmp_path, KEYS)
    big = tmp_path / "big.json"
    big.write_text(" " * (options.MAX_FILE_BYTES + 1))
    with pytest.raises(SubmissionError, match="at most"):
        read_submission(big, KEYS)


def test_bom_and_yaml_are_fine(tmp_path):
    sub = _read(tmp_path, "s.json", "\ufeff" + json.dumps({"student": "s1", "answers": {"chain": {"derivative": "2x cos(x^2)"}}}))
    assert sub.student == "s1" and sub.answers["chain"]["derivative"] == "2x cos(x^2)"
    sub = _read(tmp_path, "s2.yaml", "\ufeffanswers:\n  init-xavier-tanh-dense: {bound: 0.125}\n")
    assert sub.student == "s2"  # the file name when no student is given
    assert sub.answers["init-xavier-tanh-dense"]["bound"] == Decimal("0.125")


def test_a_huge_string_makes_one_part_invalid_not_the_file(tmp_path):
    text = json.dumps({"student": "s", "answers": {"chain": {"derivative": "x" * 1_000_000},
                                                     "init-xavier-tanh-dense": {"bound": "1/8"}}})
    from hwcheck.grade.grader import grade_submission

    result = grade_submission(KEYS, submission_from_text(text, KEYS))
    verdicts = {(p.id, q.name): q.verdict for p in result.problems for q in p.parts}
    assert verdicts[("chain", "derivative")] == "invalid"
    assert verdicts[("init-xavier-tanh-dense", "bound")] == "correct"
