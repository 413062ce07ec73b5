"""Grading's speed-ups (issue 14) change no verdict, score or word: each cache and fast path is
checked against the slow way it replaces."""

from __future__ import annotations

import json
import pickle
import random
import re
import sys
from decimal import Decimal

import pytest
import sympy as sp

from hwcheck import api
from hwcheck.grade import batch, predicates, report
from hwcheck.grade.compare import shown_pair
from hwcheck.grade import submission as sm
from hwcheck.grade.grader import grade_submission
from hwcheck.grade.keys import KeySet
from hwcheck.grade.parse import Unreadable, read
from hwcheck.grade.values import Num, ReadNum, Sym, from_key

from conftest import PROBLEMS, ROOT

# a few shipped problems of different shapes: scalars and expressions, matrices, iterate lists with
# carry-forward, maps and lists of vectors, free text
FILES = ["chain-sin-square", "conv2d-backprop-4x4", "gd-1d-learning-rates", "mlp-classic-2-2-2",
         "init-he-relu-conv", "concept-zero-init", "opt-momentum-two-forms", "jacobian-softmax-three"]


@pytest.fixture(scope="module")
def keys():
    return KeySet([api.load_problem(PROBLEMS / f"{name}.yaml") for name in FILES])


def _class(keys, tmp_path, n=24):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_grade
    finally:
        sys.path.remove(str(ROOT / "bench"))
    paths, _ = bench_grade.make_class(keys, n, tmp_path, seed=3)
    return paths


def _forget(keys):
    """Every cache of a batch emptied: what a first student meets."""
    for key in keys:
        key.readings().clear()
    report._TEXTS.clear()
    report._STEPS.clear()


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_a_class_is_graded_the_same_as_each_student_alone(keys, tmp_path, lang):
    """Readings, worded feedback and steps shared across a class give every student the report
    they get when graded first, with every cache empty."""
    paths = _class(keys, tmp_path)
    shared = [grade_submission(keys, batch.read(p, keys)[0], lang=lang) for p in paths]
    assert sum(len(k.readings()) for k in keys) > 0 and report._TEXTS  # the caches were used
    for path, result in zip(paths, shared):
        _forget(keys)
        alone = grade_submission(keys, batch.read(path, keys)[0], lang=lang)
        for fmt in ("md", "json"):
            assert report.format_result(result, fmt, lang) == report.format_result(alone, fmt, lang)


def test_a_remembered_refusal_is_raised_afresh(keys):
    """An entry that cannot be read is refused the same way the second time, at its own place."""
    key = keys["conv2d-backprop-4x4"]
    part = key.parts["dL_dW"]
    rows = [["1", "2", "3"], ["4", "sqrt(", "6"], ["7", "8", "9"]]
    seen = []
    for where in ((1, 1), (2, 0)):
        raw = [list(r) for r in rows]
        raw[1][1] = "1"
        raw[where[0]][where[1]] = "sqrt("
        with pytest.raises(Unreadable) as info:
            read(raw, part.value, variables=key.variables, readings=key.readings())
        seen.append(info.value.data)
    assert seen[0]["path"] == "[1][1]" and seen[1]["path"] == "[2][0]"
    assert {k: v for k, v in seen[0].items() if k != "path"} == {k: v for k, v in seen[1].items() if k != "path"}


def test_a_reading_past_its_time_limit_is_not_remembered(keys, monkeypatch):
    from hwcheck.grade import parse

    key = keys["init-he-relu-conv"]
    name = key.part_names[0]
    calls = []
    real = parse.read_scalar

    def slow_once(raw, variables=()):
        calls.append(raw)
        if len(calls) == 1:
            raise Unreadable("too_complex")
        return real(raw, variables)

    monkeypatch.setattr(parse, "read_scalar", slow_once)
    readings: dict = {}
    with pytest.raises(Unreadable):
        read("sqrt(2)/7", key.parts[name].value, readings=readings)
    assert "sqrt(2)/7" not in readings
    value = read("sqrt(2)/7", key.parts[name].value, readings=readings)
    assert readings["sqrt(2)/7"] is value and len(calls) == 2
    assert read(" sqrt(2)/7 ", key.parts[name].value, readings=readings) is value and len(calls) == 2


def test_numbers_keep_their_digits_as_written():
    """1.50 and 1.5 are one number with different significant digits: never one reading; a number
    from the file and the same digits as text are read alike."""
    key = Num.of(sp.Rational(3, 2))
    readings: dict = {}
    values = [read(raw, key, readings=readings) for raw in (Decimal("1.50"), Decimal("1.5"), "1.50", " 1.5")]
    assert [v.text for v in values] == ["1.50", "1.5", "1.50", "1.5"]
    fresh = [read(raw, key) for raw in (Decimal("1.50"), Decimal("1.5"), "1.50", " 1.5")]
    assert values == fresh and all(v.ratio == (3, 2) for v in values)


def test_a_number_read_lazily_is_a_num_like_any_other():
    read_ = read("0.125", Num.of(sp.Rational(1, 8)))
    assert isinstance(read_, ReadNum) and isinstance(read_, Num)
    assert read_.ratio == (1, 8) and read_.exact == sp.Rational(1, 8) and read_.value == 0.125
    assert repr(read_) == "Num(exact=1/8, value=0.125, text='0.125')"
    again = pickle.loads(pickle.dumps(read("0.125", Num.of(sp.Rational(1, 8)))))
    assert again == read_ and again.ratio == (1, 8) and hash(again) == hash(read_)
    assert read("7", Num.of(sp.Integer(7))).exact is sp.Integer(7)
    assert read("-6/8", Num.of(sp.Integer(7))).ratio == (-3, 4)
    assert from_key(sp.Rational(-3, 4)).ratio == (-3, 4) and from_key(sp.sqrt(2)).ratio is None


def _tree(rng, depth=0):
    roll = rng.random()
    if roll < 0.25 and depth < 14:
        out = sm._Pairs()
        for i in range(rng.randrange(0, 4)):
            out[rng.choice(["a", 1, True, 2.5]) if rng.random() < 0.08 else f"k{i}"] = _tree(rng, depth + 1)
        if rng.random() < 0.05:
            out.duplicate = "k0"
        return out
    if roll < 0.5 and depth < 14:
        return [_tree(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return rng.choice(["x", 1, True, None, Decimal("1.5"), 2.5, (1,), sm.Refused("x")])


def _outcome(check, data):
    try:
        return "ok", check(data, "f.json")
    except sm.SubmissionError as exc:
        return "error", str(exc)


@pytest.mark.parametrize("most", [None, 12])
def test_the_quick_check_of_a_file_agrees_with_the_careful_walk(monkeypatch, most):
    if most is not None:
        monkeypatch.setattr(sm.options, "MAX_NODES", most)
    rng = random.Random(7)
    trees = [_tree(rng) for _ in range(3000)]
    quick = [_outcome(sm._check_data, t) for t in trees]
    monkeypatch.setattr(sm, "_plain", lambda value, depth: None)  # only the careful walk
    careful = [_outcome(sm._check_data, t) for t in trees]
    assert quick == careful
    assert {q[0] for q in quick} == {"ok", "error"}


def test_a_repeated_key_is_still_found():
    pairs = [("a", 1), ("b", 2), ("a", 3), ("b", 4)]
    out = sm._pairs(pairs)
    assert out == {"a": 3, "b": 4} and out.duplicate == "a"
    assert sm._pairs([("a", 1), ("b", 2)]).duplicate is None


def _json_value(rng, depth=0):
    roll = rng.random()
    if depth < 4 and roll < 0.2:
        return {rng.choice(["a", "é", "k\n", '"q', "\u2028"]) + str(i): _json_value(rng, depth + 1)
                for i in range(rng.randrange(0, 4))}
    if depth < 4 and roll < 0.35:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    if depth < 4 and roll < 0.4:
        return tuple(_json_value(rng, depth + 1) for _ in range(rng.randrange(0, 3)))
    if roll < 0.42:
        return {1: "a key that is not text"}
    return rng.choice([1, -2, 0.5, 1e300, 1e-7, -0.0, float("nan"), float("inf"), float("-inf"), None, True,
                       False, "x\ty", "ب", "", 10**20, 3.0])


def test_report_json_is_the_json_module_text():
    rng = random.Random(11)
    for _ in range(4000):
        value = _json_value(rng)
        assert report.json_text(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    with pytest.raises(TypeError):  # what the json module cannot write, it still refuses
        report.json_text({"a": [Decimal("1.5")]})


def test_blank_lines_fold_as_the_regular_expression_did():
    rng = random.Random(2)
    for _ in range(4000):
        text = "".join(rng.choice(["\n", "a", " ", "\n\n", "b\n", "\n\n\n\n"]) for _ in range(rng.randrange(40)))
        assert report._blank_lines(text) == re.sub(r"\n{3,}", "\n\n", text)


def test_views_worded_alike_share_a_key_and_others_do_not():
    base = {"verdict": "incorrect", "score": 1, "answer": "2", "details": (("[0]", "2", "3", "different"),)}
    key = report.view_key(base)
    assert key == report.view_key(dict(base))
    for change in ({"score": 1.0}, {"score": True}, {"answer": "2 "}, {"details": [("[0]", "2", "3", "different")]},
                   {"details": (("[0]", "2", "3", "short"),)}):
        assert report.view_key({**base, **change}) != key
    assert report.view_key({**base, "answer": object()}) is None
    assert report.view_key({**base, "answer": Decimal("2")}) is None
    one, two = Unreadable("parse", pointed="a\n^"), Unreadable("parse", pointed="b\n^")
    assert report.view_key({**base, "unreadable": one}) != report.view_key({**base, "unreadable": two})


def test_rational_text_is_sympys():
    rng = random.Random(5)
    for _ in range(2000):
        q = sp.Rational(rng.randrange(-10**12, 10**12), rng.randrange(1, 10**9))
        if not q.is_Integer:
            assert predicates.rational_text(q) == str(q)


def test_a_key_expression_is_shown_as_sympy_prints_it():
    x = sp.Symbol("x")
    for expr in (x**2 / 3, sp.exp(-x) / (1 + sp.exp(-x)) ** 2, 2 * x * sp.cos(x**2)):
        written, expected = shown_pair(Sym(x, "x"), from_key(expr))
        assert written == "x" and expected == sp.sstr(expr).replace("**", "^")


def test_a_part_right_by_carried_forward_says_so_whatever_was_graded_before(keys):
    """A part right only from the student's own earlier values is worded as such, also after a
    plainly right part (and a plainly right part is never worded as carried)."""
    from hwcheck.grade.grader import grade_part

    key = keys["gd-1d-learning-rates"]
    iterates = [0, 0.6, 1.0, 1.4, 1.7, 2.0, 2.2, 2.37, 2.5]  # wrong from [2] on
    f_values = [(x - 3) ** 2 for x in iterates]  # right at the student's own iterates
    answers = {"iterates": [[x] for x in iterates], "f_values": f_values}
    final = key.parts["final"].value.items[0].value
    texts = []
    for order in (("final", "f_values"), ("f_values", "final")):
        report._PLAIN.clear()
        report._TEXTS.clear()
        graded = {name: grade_part(key, name, [final] if name == "final" else f_values, answers=answers)
                  for name in order}
        assert graded["final"].verdict == graded["f_values"].verdict == "correct"
        assert graded["f_values"].carried_forward and not graded["final"].carried_forward
        assert "carried forward" in graded["f_values"].feedback
        assert graded["final"].feedback == "Correct.\n"
        texts.append((graded["final"].feedback, graded["f_values"].feedback))
    assert texts[0] == texts[1]
