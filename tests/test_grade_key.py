"""The key grades itself correct, in every accepted syntax, for every shipped problem;
every misconception of every kind is recognised (parametrised over the registry,
so new kinds and problems are covered automatically)."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwcheck import api, kinds
from hwcheck.errors import ParseError
from hwcheck.expr import parse_expr
from hwcheck.grade import compare as cmp
from hwcheck.grade.grader import grade_part
from hwcheck.grade.keys import KeySet
from hwcheck.grade.values import Arr, Label, Map, Seq, Sym, from_key
from hwcheck.model import Candidates, PartSpec

from conftest import PROBLEMS

PROBLEM_LIST, _ = api.validate([PROBLEMS])
KEYS = KeySet(PROBLEM_LIST)
SYNTAXES = ("number", "fraction", "decimal6", "expression", "caret")


def _writable(text: str, variables) -> bool:
    try:
        parse_expr(text, symbols=variables, implicit=True)
        return True
    except ParseError:
        return False


def write(value, syntax_of, variables, rel=1e-3):
    """A raw answer (what a student would hand in) for a key value, leaf syntax chosen by ``syntax_of()``."""
    if isinstance(value, Arr):
        flat = [write(v, syntax_of, variables, rel) for v in value.items]
        shape = value.shape
        if len(shape) == 1 or value.is_vector and syntax_of() != "number":
            return flat if len(shape) == 1 else _nest(flat, shape)
        return _nest(flat, shape)
    if isinstance(value, Map):
        return {k: write(v, syntax_of, variables, rel) for k, v in value.items}
    if isinstance(value, Seq):
        return [write(v, syntax_of, variables, rel) for v in value.items]
    if isinstance(value, Label):
        return value.text
    syntax = syntax_of()
    if isinstance(value, Sym):
        text = sp.sstr(value.expr)
        assert _writable(text, variables), f"a student cannot write the key {text!r}"
        return text.replace("**", "^") if syntax == "caret" else text
    x = value.exact
    if syntax == "fraction" and x.is_Rational:
        return f"{x.p}/{x.q}" if x.q != 1 else str(x.p)
    if syntax == "decimal6":
        digits = 6 if rel >= 1e-5 else 15
        return f"{value.value:.{digits}g}"
    if syntax in ("expression", "caret"):
        text = sp.sstr(x)
        if _writable(text, ()):
            return text.replace("**", "^") if syntax == "caret" else text
    return int(x) if x.is_Integer else value.value


def _nest(flat, shape):
    if len(shape) == 1:
        return flat
    step = len(flat) // shape[0]
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


CASES = [(key.id, part) for key in KEYS for part in key.part_names]


@pytest.mark.parametrize("pid,part", CASES, ids=[f"{p}:{q}" for p, q in CASES])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_key_grades_itself_correct(pid, part, data):
    key = KEYS[pid]
    pkey = key.parts[part]
    if key.text_grader is not None:
        grade = grade_part(key, part, pkey.answer)
        assert grade.verdict == "needs_review" and grade.score == grade.max_score, grade.feedback
        return
    raw = write(pkey.value, lambda: data.draw(st.sampled_from(SYNTAXES)), key.variables,
                pkey.spec.tolerance.get("rel", 1e-3))
    grade = grade_part(key, part, raw)
    assert grade.verdict == "correct", (raw, grade.feedback)
    assert grade.score == grade.max_score


def test_every_shipped_problem_is_covered():
    assert {p.id for p in PROBLEM_LIST} == {pid for pid, _ in CASES}
    assert KEYS.solve_calls == len(PROBLEM_LIST)  # each problem solved once, whatever was graded


# -- misconceptions, over the registry ----------------------------------------------------

REQUIRED = {
    "conv2d_backprop": {"kernel_not_rotated", "transposed"},
    "init_bounds": {"variance_for_std", "std_for_variance", "fan_in_only"},
    "chain_rule": {"missing_inner_derivative"},
    "comp_graph": {"fanout_not_summed", "max_gradient_split"},
    "optimizer_trace": {"no_bias_correction", "gradient_ascent"},
    "mlp_backprop": {"missing_activation_derivative"},
    "softmax_cross_entropy": {"sign_flipped"},
}


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_required_misconceptions_are_defined(kind):
    if kind not in kinds.names():
        pytest.skip(f"{kind} is not in the registry yet")
    assert REQUIRED[kind] <= set(kinds.get(kind).misconceptions)


MISCONCEPTIONS = [(name, m) for name in kinds.names() for m in kinds.get(name).misconceptions]


def _all_parts(problem, solution):
    """The problem asking every part its solver answered (so every variant has a part to show in)."""
    names = [p for p in kinds.get(problem.kind).parts if solution.answers.get(p) is not None]
    return dataclasses.replace(problem, parts=tuple(PartSpec(n) for n in names))


@pytest.mark.parametrize("kind,name", MISCONCEPTIONS, ids=[f"{k}:{m}" for k, m in MISCONCEPTIONS])
def test_misconception_is_diagnosed(kind, name):
    fn = kinds.get(kind).misconceptions[name]
    tried = 0
    for problem in [p for p in PROBLEM_LIST if p.kind == kind]:
        keys = KeySet([_all_parts(problem, api.solve(problem))])
        key = keys[problem.id]
        try:
            wrong = fn(problem.given) or {}
        except Exception:  # the variant does not apply to this given
            continue
        for part, answers in wrong.items():
            if part not in key.parts:
                continue
            for answer in (answers if isinstance(answers, Candidates) else (answers,)):
                value = from_key(answer)
                pkey = key.parts[part]
                variants = dict(pkey.variants)
                if name not in variants:
                    continue  # for this given the mistake gives the right answer
                ctx = cmp.Context(variables=key.variables)
                if cmp.compare(value, pkey.value, ctx).all_right:
                    continue  # this candidate is the right answer here
                tried += 1
                raw = write(value, lambda: "number", key.variables)
                grade = grade_part(key, part, raw)
                assert grade.verdict in ("incorrect", "partial"), grade.feedback
                # several mistakes may give the same wrong answer; the grader names one of them
                same = {n for n, v in pkey.variants if cmp.compare(value, v, ctx).all_right}
                assert name in same and grade.diagnosis in same, (grade.diagnosis, same)
                if grade.diagnosis in key.mistakes() or kind in ("conv2d_backprop", "init_bounds"):
                    assert grade.diagnosis_text == key.mistakes()[grade.diagnosis]
                assert f"`{grade.diagnosis}`" in grade.feedback
    if not tried:
        pytest.skip(f"no shipped {kind} problem where {name} changes an answer")


def test_generic_mistakes_on_any_matrix():
    problem = api.load_problem(PROBLEMS / "conv2d-backprop-4x4.yaml")
    key = KeySet([problem])[problem.id]
    dW = key.parts["dL_dW"].value
    negated = [[-int(v.exact) for v in dW.items[i * 3:(i + 1) * 3]] for i in range(3)]
    assert grade_part(key, "dL_dW", negated).diagnosis == "sign_flipped"
    Y = key.parts["Y"].value
    assert Y.shape == (2, 2)
