"""Issue 11, student files: one hard budget per part (item 2), a huge file refused before it is built
(item 4), NaN, Infinity, keys written twice and numbers too long to read make only their part invalid
(item 5), and the messages name the real cause (item 12)."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest

from hwcheck import api, limits
from hwcheck.grade import grader, options, parse
from hwcheck.grade.grader import grade_part, grade_submission
from hwcheck.grade.keys import KeySet
from hwcheck.grade.submission import SubmissionError, read_submission, submission_from_text

from conftest import PROBLEMS

CHAIN = api.load_problem_text("""
id: chain
kind: chain_rule
given: {f: "sin(x^2)", wrt: x}
parts: [derivative]
""")
KEYS = KeySet([api.load_problem(PROBLEMS / "conv2d-backprop-4x4.yaml"),
               api.load_problem(PROBLEMS / "init-xavier-tanh-dense.yaml"), CHAIN])
CONV = KEYS["conv2d-backprop-4x4"]
INIT = KEYS["init-xavier-tanh-dense"]
RIGHT_BOUND = "sqrt(6/384)"

# numbers small in size whose exact terms grow huge: (1 + 10^-9)^1000 has 9,000-digit terms
RATIONAL_BOMBS = ["((1+10^-9)^1000)^100", "((1+10^-9)^1000)^150", "(1.000000001^1000)^100",
                  "((1-10^-12)^999)^999", "((3/7+10^-20)^900)^900", "(((1+2^-40)^100)^100)^100",
                  "$\\left(\\left(1+10^{-9}\\right)^{1000}\\right)^{100}$"]


@pytest.mark.parametrize("answer", RATIONAL_BOMBS)
def test_numbers_with_huge_exact_terms_are_refused_by_the_parser(answer):
    grade = grade_part(INIT, "bound", answer)
    assert grade.verdict == "invalid" and grade.score == 0
    assert "Traceback" not in grade.feedback


def test_a_matrix_of_the_wrong_shape_is_refused_before_any_entry_is_read(monkeypatch):
    read = []
    real = parse.read_scalar
    monkeypatch.setattr(parse, "read_scalar", lambda raw, variables=(): read.append(raw) or real(raw, variables))
    for rows, cols in [(100, 100), (5, 7), (1, 50), (3, 100)]:
        grade = grade_part(CONV, "dL_dW", [[RATIONAL_BOMBS[0]] * cols for _ in range(rows)])
        assert grade.verdict == "incorrect" and "shape" in grade.feedback, grade.feedback
    assert read == []
    # the right shape, transposed or as a flat vector of the same size is still read entry by entry
    grade_part(CONV, "dL_dW", [[0, 0, 0]] * 3)
    assert len(read) == 9


def _stall(*args, **kwargs):
    while True:  # Python-level work that never ends: only the budget stops it
        pass


@pytest.mark.parametrize("where", ["read", "compare"])
def test_a_part_over_its_budget_gets_a_verdict_and_the_others_are_graded(monkeypatch, where):
    target = grader if where == "read" else grader.cmp
    real = getattr(target, where)

    def slow_for_one(raw, *args, **kwargs):
        value = raw if where == "read" else args[0]
        stalls = value == "1/8" if where == "read" else getattr(raw, "text", "") == "1/8"
        return _stall() if stalls else real(raw, *args, **kwargs)

    monkeypatch.setattr(target, where, slow_for_one)
    monkeypatch.setattr(limits, "PART_MARGIN", 0.1)
    sub = submission_from_text(json.dumps({"student": "s", "answers": {INIT.id: {"bound": "1/8"}}}), KEYS)
    result = grade_submission(KEYS, sub, budget=0.2)
    parts = {(p.id, g.name): g for p in result.problems for g in p.parts}
    slow = parts[(INIT.id, "bound")]
    if where == "read":
        assert slow.verdict == "invalid" and "time limit" in slow.feedback, slow.feedback
    else:
        assert slow.verdict == "needs_review" and "time limit" in slow.feedback, slow.feedback
    assert all(g.verdict == "missing" for key, g in parts.items() if key != (INIT.id, "bound"))


def test_budgets_nest_and_each_reports_only_its_own_expiry():
    with limits.budget(30):
        with pytest.raises(limits.Expired) as info:
            with limits.budget(0.05):
                _stall()
        assert info.value.seconds == 0.05
        assert sum(range(5)) == 10  # the outer budget goes on


def test_the_budget_works_outside_the_main_thread():
    import threading

    seen = []

    def work():
        try:
            with limits.budget(0.1):
                _stall()
        except limits.Expired as exc:
            seen.append(exc.seconds)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert seen == [0.1]


# -- item 4: counted before it is built ----------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("shape", ["flat", "nested", "map"])
def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path, monkeypatch, fmt, shape):
    n = options.MAX_NODES + 10
    if shape == "flat":
        value = [1] * n
    elif shape == "nested":
        value = [[1, 2, 3, 4]] * (n // 4)
    else:
        value = {f"k{i}": i for i in range(n)}
    data = {"student": "s", "answers": {INIT.id: {"bound": value}}}
    text = json.dumps(data) if fmt == "json" else _yaml_block(data)
    path = tmp_path / f"s.{fmt}"
    path.write_text(text)
    import yaml

    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("parsed"))
    monkeypatch.setattr(yaml, "load", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(SubmissionError, match="at most 200,000 values"):
        read_submission(path, KEYS)


def _yaml_block(data) -> str:
    value = data["answers"][INIT.id]["bound"]
    if isinstance(value, dict):
        body = "".join(f"      {k}: {v}\n" for k, v in value.items())
    else:
        body = "".join(f"      - {json.dumps(v)}\n" for v in value)
    return f"student: s\nanswers:\n  {INIT.id}:\n    bound:\n{body}"


def test_a_file_just_under_the_cap_is_read(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"student": "s", "answers": {INIT.id: {"bound": [1] * 5000}}}))
    assert len(read_submission(path, KEYS).answers[INIT.id]["bound"]) == 5000


# -- item 5: only the affected part ------------------------------------------------------------

JSON_PART_PROBLEMS = [
    ('{"bound": NaN, "variance": "1/192"}', "not a finite number"),
    ('{"bound": Infinity, "variance": "1/192"}', "not a finite number"),
    ('{"bound": -Infinity, "variance": "1/192"}', "not a finite number"),
    ('{"bound": 1, "bound": 2, "variance": "1/192"}', "more than once"),
    ('{"bound": {"a": 1, "a": 2}, "variance": "1/192"}', "more than once"),
    ('{"bound": 1' + "0" * 5000 + ', "variance": "1/192"}', "too long"),
    ('{"bound": -' + "7" * 4301 + ', "variance": "1/192"}', "too long"),
]


@pytest.mark.parametrize("part,why", JSON_PART_PROBLEMS)
def test_json_value_problems_make_only_their_part_invalid(part, why):
    text = '{"student": "s", "answers": {"init-xavier-tanh-dense": ' + part + \
        ', "chain": {"derivative": "2x cos(x^2)"}}}'
    result = grade_submission(KEYS, submission_from_text(text, KEYS))
    grades = {(p.id, g.name): g for p in result.problems for g in p.parts}
    bad = grades[(INIT.id, "bound")]
    assert bad.verdict == "invalid" and why in bad.feedback, bad.feedback
    assert grades[(INIT.id, "variance")].verdict == "correct"
    assert grades[("chain", "derivative")].verdict == "correct"


YAML_PART_PROBLEMS = [
    ("bound: .nan", "not a finite number"), ("bound: -.inf", "not a finite number"),
    ("bound: .Inf", "not a finite number"),
    ("bound: 1\n    bound: 2", "more than once"), ("bound: {w: 1, w: 2}", "more than once"),
    ("bound: 1" + "0" * 5000, "too long"),
]


@pytest.mark.parametrize("part,why", YAML_PART_PROBLEMS)
def test_yaml_value_problems_make_only_their_part_invalid(part, why):
    text = f"student: s\nanswers:\n  init-xavier-tanh-dense:\n    {part}\n    variance: 1/192\n" \
           "  chain: {derivative: 2x cos(x^2)}\n"
    result = grade_submission(KEYS, submission_from_text(text, KEYS, format="yaml"))
    grades = {(p.id, g.name): g for p in result.problems for g in p.parts}
    bad = grades[(INIT.id, "bound")]
    assert bad.verdict == "invalid" and why in bad.feedback, bad.feedback
    assert grades[(INIT.id, "variance")].verdict == "correct"
    assert grades[("chain", "derivative")].verdict == "correct"


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_entry_of_a_matrix_makes_only_that_part_invalid(bad):
    text = ('{"student": "s", "answers": {"conv2d-backprop-4x4": {"dL_dW": [[-2, 0, 2], [0, %s, -2], [2, -1, 0]],'
            ' "Y": [[1, 2], [3, 4]]}, "init-xavier-tanh-dense": {"bound": "sqrt(6/384)"}}}' % bad)
    result = grade_submission(KEYS, submission_from_text(text, KEYS))
    grades = {(p.id, g.name): g for p in result.problems for g in p.parts}
    bad_part = grades[(CONV.id, "dL_dW")]
    assert bad_part.verdict == "invalid" and "[1][1]" in bad_part.feedback and "finite" in bad_part.feedback
    assert grades[(CONV.id, "Y")].verdict in ("incorrect", "partial", "correct")
    assert grades[(INIT.id, "bound")].verdict == "correct"


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_problem_id_written_twice_makes_its_parts_invalid_and_no_more(fmt):
    if fmt == "json":
        text = ('{"student": "s", "answers": {"chain": {"derivative": "1"}, "chain": {"derivative": "2x cos(x^2)"},'
                ' "init-xavier-tanh-dense": {"bound": "sqrt(6/384)"}}}')
    else:
        text = ("student: s\nanswers:\n  chain: {derivative: '1'}\n  chain: {derivative: 2x cos(x^2)}\n"
                "  init-xavier-tanh-dense: {bound: sqrt(6/384)}\n")
    result = grade_submission(KEYS, submission_from_text(text, KEYS, format=fmt))
    grades = {(p.id, g.name): g for p in result.problems for g in p.parts}
    assert grades[("chain", "derivative")].verdict == "invalid"
    assert "more than once" in grades[("chain", "derivative")].feedback
    assert grades[(INIT.id, "bound")].verdict == "correct"


@pytest.mark.parametrize("text", ['{"student": "s", "student": "t", "answers": {}}',
                                  '{"student": "s", "answers": {}, "answers": {}}'])
def test_a_top_level_key_written_twice_still_refuses_the_file(text):
    with pytest.raises(SubmissionError, match="each key once"):
        submission_from_text(text, KEYS)


# -- item 12: messages that name the real cause ------------------------------------------------

@pytest.mark.parametrize("content,expected", [
    (b"", "the file is empty"), (b"   \n\t\n", "the file is empty"), (b"\xef\xbb\xbf", "the file is empty"),
    ('{"student": "s"}'.encode("utf-16"), "UTF-16"), ('{"student": "s"}'.encode("utf-16-le"), "UTF-16"),
    ('{"student": "s"}'.encode("utf-16-be"), "UTF-16"), ('{"student": "s"}'.encode("utf-32"), "UTF-32"),
])
@pytest.mark.parametrize("suffix", [".json", ".yaml", ".txt"])
def test_empty_and_utf16_files_are_named_as_such(tmp_path, content, expected, suffix):
    path = tmp_path / f"s{suffix}"
    path.write_bytes(content)
    with pytest.raises(SubmissionError) as info:
        read_submission(path, KEYS)
    assert expected in str(info.value) and "Expecting value" not in str(info.value)


@pytest.mark.parametrize("n", [61, 1000, 100_000])
def test_long_values_are_echoed_shortened(n):
    text = json.dumps({"student": "s", "answers": {"x" * n: {}}})
    with pytest.raises(SubmissionError) as info:
        submission_from_text(text, KEYS)
    assert len(str(info.value)) < 400


@pytest.mark.parametrize("text", ["word " * 30, "x" * 100_000, "ab" * 31, "α" * 500])
def test_shorten_never_cuts_a_word_it_can_keep_whole(text):
    short = limits.shorten(text)
    assert short.endswith(f"… ({len(text):,} characters)")
    head = short[: short.index("…")]
    assert text.startswith(head) and len(head) <= limits.ECHO
    if " " in text[: limits.ECHO]:
        assert text[len(head)] == " "  # cut at a word boundary


def test_answers_the_reader_keeps_are_plain_values():
    sub = submission_from_text('{"student": "s", "answers": {"init-xavier-tanh-dense": {"bound": 1e-2}}}', KEYS)
    assert sub.answers[INIT.id]["bound"] == Decimal("0.01")
    assert list(itertools.islice(sub.answers, 1)) == [INIT.id]
