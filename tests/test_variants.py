"""Per-student variants (SPEC section 7) and practice problems.

Every shipped ``vary`` block (the practice templates and the specs under ``problems/``) is drawn
for a roster of 30 students: distinct, deterministic, self-tested and never degenerate. Property
tests draw many more students per kind.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwcheck import variants
from hwcheck.cli import main
from hwcheck.errors import SpecError
from hwcheck.spec import load_problem, spec_files

ROOT = Path(__file__).resolve().parent.parent
ROSTER = [f"s{i:03d}" for i in range(1, 31)]


def shipped_vary_specs() -> list[Path]:
    practice = sorted(variants.practice_root().glob("*.yaml"))
    problems = [p for p in spec_files([ROOT / "problems"]) if "vary" in variants.read_raw(p)]
    return practice + problems


def outcomes(path: Path) -> int:
    raw = variants.read_raw(path)
    if "vary" not in raw:
        return 1
    n = 1
    for rule in variants.parse_vary(raw["vary"], raw["given"], str(path)):
        n *= rule.outcomes()
    return n


# -- the generator ----------------------------------------------------------------

def test_stream_is_a_fixed_documented_function():
    """SHA-256 in counter mode with rejection sampling: these numbers may never change,
    or every student's variant would change with them."""
    import hashlib

    stream = variants.Stream(b"hwcheck")
    drawn = [stream.below(1000) for _ in range(6)]
    # the same computation written out independently
    words = []
    counter = 0
    while len(words) < 6:
        block = hashlib.sha256(b"hwcheck" + counter.to_bytes(8, "big")).digest()
        counter += 1
        words.extend(int.from_bytes(block[i:i + 8], "big") for i in range(0, 32, 8))
    limit = (1 << 64) - (1 << 64) % 1000
    assert drawn == [w % 1000 for w in words if w < limit][:6]


@given(st.integers(1, 10**6), st.binary(min_size=1, max_size=16))
@settings(max_examples=200, deadline=None)
def test_stream_stays_in_range(n, seed):
    stream = variants.Stream(seed)
    assert all(0 <= stream.below(n) < n for _ in range(5))


def test_stream_is_uniform_enough():
    stream = variants.Stream(b"uniform")
    counts = [0] * 6
    for _ in range(6000):
        counts[stream.below(6)] += 1
    assert all(850 < c < 1150 for c in counts), counts


def test_seed_depends_on_spec_student_and_vary_only():
    vary = {"n_in": {"int": [10, 99]}}
    assert variants.seed_for("p", "s1", vary) == variants.seed_for("p", "s1", dict(vary))
    assert variants.seed_for("p", "s1", vary) != variants.seed_for("p", "s2", vary)
    assert variants.seed_for("p", "s1", vary) != variants.seed_for("q", "s1", vary)
    assert variants.seed_for("p", "s1", vary) != variants.seed_for("p", "s1", {"n_in": {"int": [10, 98]}})


# -- every shipped vary block, for a roster of 30 ------------------------------------------

@pytest.mark.parametrize("path", shipped_vary_specs(), ids=lambda p: p.stem)
def test_thirty_students_get_distinct_good_variants(path):
    raw = variants.read_raw(path)
    if "vary" not in raw:
        pytest.skip(f"{path.name} has no numbers to vary")
    reference = load_problem(path)
    drawn = [variants.draw(raw, s, file=str(path), default_id=path.stem, reference=reference) for s in ROSTER]
    givens = [json.dumps(variants._plain(v.raw["given"]), sort_keys=True) for v in drawn]
    if outcomes(path) >= 10**5:
        assert len(set(givens)) == len(ROSTER), f"{path.name}: two students share all their numbers"
    else:
        assert len(set(givens)) >= min(outcomes(path), len(ROSTER)) // 2
    ref_info = variants._reference_info(reference)
    for v in drawn[:5]:  # the draw already checked them all; check a few again from scratch
        assert variants.poor_rule(v.problem, reference, ref_info, raw.get("vary_options") or {}) is None
    again = variants.draw(raw, ROSTER[7], file=str(path), default_id=path.stem)
    assert again.raw == drawn[7].raw


def test_every_kind_with_numbers_has_a_vary_block_in_problems():
    from hwcheck import kinds

    varied = {load_problem(p).kind for p in shipped_vary_specs() if p.parent.name == "problems"}
    missing = set(kinds.names()) - varied - {"concept"}  # concept answers are prose: nothing to redraw
    assert not missing, f"no spec under problems/ has a vary block for {sorted(missing)}"


def test_practice_has_a_template_per_kind():
    from hwcheck import kinds

    assert variants.practice_kinds() == kinds.names()


# -- poor variants are redrawn; a spec that can only give poor ones is refused --------------

def _spec(kind: str, given: dict, vary: dict, **extra) -> dict:
    return {"id": f"t-{kind}", "kind": kind, "given": given, "vary": vary, **extra}


@pytest.mark.parametrize("raw, rule", [
    # a kernel symmetric under a 180° rotation hides kernel_not_rotated
    (_spec("conv2d_backprop", {"X": [[1, 2, 0], [0, 1, 2], [2, 0, 1]], "W": [[1, -1], [0, 1]],
                               "dL_dY": [[1, -1], [2, 1]]},
           {"W": {"matrix": [2, 2], "choice": [1]}}), "mistake_hidden"),
    # a tie at the max
    (_spec("comp_graph", {"f": "(x + y) * max(y, z)", "at": {"x": 1, "y": 2, "z": 0}},
           {"at.z": {"choice": [2]}}), "tie_at_max_or_min"),
    # a dead ReLU layer
    (_spec("window_classifier", {"x": [1, 2], "W": [[1, 0], [0, 1]], "b": [0, 0], "u": [1, 2],
                                 "activation": "relu"},
           {"b": {"vector": 2, "choice": [-5]}}), "dead_relu"),
    # a saturated softmax
    (_spec("softmax_cross_entropy", {"logits": [1, 0, 0], "target": 0},
           {"logits.0": {"choice": [14, 15]}}), "saturated_softmax"),
    # a run that diverges where the instructor's converges
    (_spec("gradient_descent", {"f": "x**2", "start": {"x": 1}, "learning_rate": 0.1, "steps": 3},
           {"learning_rate": {"choice": [1.5, 2]}}), "diverges"),
    # numbers too large to work by hand
    (_spec("conv2d_backprop", {"X": [[1, 2], [0, 1]], "W": [[1]], "dL_dY": [[1, -1], [1, 1]]},
           {"X": {"matrix": [2, 2], "int": [100, 999]}}), "too_many_digits"),
    # an all-zero answer where the instructor's has none
    (_spec("init_bounds", {"scheme": "he_normal", "n_in": 50, "n_out": 10},
           {"gain": {"choice": [0]}} if False else {"n_in": {"choice": [50]}}), None),
])
def test_poor_variants_are_refused_naming_the_rule(raw, rule):
    if rule is None:
        assert variants.draw(raw, "s1").draws == 1
        return
    with pytest.raises(variants.VariantError, match=rule) as info:
        variants.draw(dict(raw, vary_options={"tries": 5}), "s1", file="hw.yaml")
    assert "hw.yaml" in str(info.value) and "5 rejected draws" in str(info.value)


def test_allow_ties_lets_a_tie_through():
    raw = _spec("comp_graph", {"f": "(x + y) * max(y, z)", "at": {"x": 1, "y": 2, "z": 0}},
                {"at.z": {"choice": [2]}}, vary_options={"allow_ties": True, "tries": 3})
    assert variants.draw(raw, "s1").problem.given["at"]["z"] == 2


def test_a_poor_draw_is_redrawn():
    # half of the choices tie with y = 2; the draws that tie are rejected, the others kept
    raw = _spec("comp_graph", {"f": "(x + y) * max(y, z)", "at": {"x": 1, "y": 2, "z": 0}},
                {"at.z": {"choice": [2, -1]}})
    zs = {variants.draw(raw, s).problem.given["at"]["z"] for s in ROSTER}
    assert zs == {-1}


# -- the self-test ------------------------------------------------------------------------

def test_self_test_passes_and_names_each_mistake():
    raw, problem = variants.practice("conv2d_backprop", 3)
    assert variants.self_test(problem) is None
    assert "kernel_not_rotated" in variants.mistakes_of(problem)


# -- vary blocks are checked like the rest of a spec ---------------------------------------

@pytest.mark.parametrize("vary, key", [
    ({"Q": {"int": [0, 1]}}, "vary.Q"),
    ({"X": {"matrix": [3, 3], "int": [0, 1]}}, "vary.X"),
    ({"X": {"matrix": [2, 2], "int": [0, 1], "choice": [1]}}, "vary.X"),
    ({"X": {"matrix": [2, 2], "int": [5, 1]}}, "vary.X.int"),
    ({"X": {"matrix": [2, 2], "intt": [0, 1]}}, "vary.X.intt"),
    ({"X": {"matrix": [2, 2], "decimal": [0, 1]}}, "vary.X.places"),
    ({"X": {"matrix": [2, 2], "int": [0, 0], "nonzero": True}}, "vary.X"),
    ("X", "vary"),
])
def test_bad_vary_blocks_name_the_key(tmp_path, vary, key):
    import yaml

    spec = {"id": "bad", "kind": "conv2d_backprop",
            "given": {"X": [[1, 2], [3, 4]], "W": [[1]], "dL_dY": [[1, 1], [1, 1]]}, "vary": vary}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(SpecError) as info:
        load_problem(path)
    assert f": {key}:" in str(info.value)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_dotted_paths_reach_inside_lists_and_maps():
    raw = variants.read_raw(variants.practice_root() / "mlp_backprop.yaml")
    v = variants.draw(raw, "s1")
    assert v.raw["given"]["layers"][0]["W"] != raw["given"]["layers"][0]["W"]
    assert v.raw["given"]["layers"][0]["activation"] == "relu"
    assert set(v.raw) == set(raw) - {"vary", "vary_options"}


def test_concrete_specs_read_back_exactly():
    from hwcheck.spec import problem_from_mapping, read_yaml

    for kind in variants.practice_kinds():
        raw, problem = variants.practice(kind, 11)
        again = problem_from_mapping(read_yaml(variants.dump_spec(raw), "x.yaml"), file="x.yaml")
        assert repr(dict(again.given)) == repr(dict(problem.given)), kind


# -- property tests: many students per kind ------------------------------------------------

@pytest.mark.parametrize("kind", [k for k in variants.practice_kinds() if k != "concept"])
@given(student=st.text(min_size=1, max_size=12))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_student_gets_a_good_deterministic_variant(kind, student):
    path = variants.practice_root() / f"{kind}.yaml"
    raw = variants.read_raw(path)
    a = variants.draw(raw, student, file=str(path))
    b = variants.draw(raw, student, file=str(path))
    assert a.raw == b.raw
    assert variants.self_test(a.problem) is None


# -- practice from the command line ----------------------------------------------------------

def test_practice_writes_a_problem_and_a_blank_answer_file(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["practice", "softmax_cross_entropy", "--seed", "42", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    spec = tmp_path / "practice-softmax-cross-entropy-42.yaml"
    answers = tmp_path / "practice-softmax-cross-entropy-42-answers.json"
    assert spec.is_file() and answers.is_file()
    again = tmp_path / "again"
    runner.invoke(main, ["practice", "softmax_cross_entropy", "--seed", "42", "-o", str(again)])
    assert (again / spec.name).read_bytes() == spec.read_bytes()
    # blank: every part missing
    blank = runner.invoke(main, ["grade", str(answers), "--problems", str(tmp_path), "--format", "json"])
    assert json.loads(blank.output)["score"] == 0
    # the key's own answers: full marks
    key = json.loads(runner.invoke(main, ["solve", str(spec), "--format", "json"]).output)
    filled = json.loads(answers.read_text())
    pid = next(iter(filled["answers"]))
    filled["answers"][pid] = {part: a["value"] for part, a in key["answers"].items()}
    answers.write_text(json.dumps(filled))
    graded = json.loads(runner.invoke(main, ["grade", str(answers), "--problems", str(tmp_path),
                                             "--format", "json"]).output)
    assert graded["score"] == graded["max_score"] > 0


def test_practice_refuses_an_unknown_kind():
    result = CliRunner().invoke(main, ["practice", "conv2d_backprob"])
    assert result.exit_code == 2 and "conv2d_backprop" in result.output


def test_practice_without_a_seed_draws_a_new_problem(tmp_path):
    random.seed(0)
    result = CliRunner().invoke(main, ["practice", "init_bounds", "-o", str(tmp_path)])
    assert result.exit_code == 0
    assert len(list(tmp_path.glob("practice-init-bounds-*.yaml"))) == 1


# -- the instructor's path: roster -> hand-outs -> grading ------------------------------------

def _roster(path: Path, students) -> Path:
    path.write_text("student,name\n" + "".join(f"{s},Name {s}\n" for s in students), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    specs = root / "specs"
    specs.mkdir()
    for kind in ("conv2d_backprop", "softmax_cross_entropy"):
        (specs / f"{kind}.yaml").write_text((variants.practice_root() / f"{kind}.yaml").read_text())
    roster = _roster(root / "roster.csv", ["s-001", "s-002", "s-003"])
    out = root / "out"
    result = CliRunner().invoke(main, ["variants", str(specs), "--roster", str(roster), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return root, specs, roster, out


def test_variants_writes_specs_sheets_and_keys(handout):
    root, specs, roster, out = handout
    for student in ("s-001", "s-002", "s-003"):
        assert sorted(p.name for p in (out / student).iterdir()) == [
            "practice-conv2d-backprop.yaml", "practice-softmax-cross-entropy.yaml", "sheet.md"]
        assert sorted(p.name for p in (out / "keys" / student).iterdir()) == [
            "practice-conv2d-backprop.json", "practice-conv2d-backprop.md",
            "practice-softmax-cross-entropy.json", "practice-softmax-cross-entropy.md"]
        spec = (out / student / "practice-conv2d-backprop.yaml").read_text()
        assert "vary" not in spec
        sheet = (out / student / "sheet.md").read_text()
        key = json.loads((out / "keys" / student / "practice-conv2d-backprop.json").read_text())
        assert str(key["answers"]["dL_dW"]["value"]) not in sheet  # no answers on the hand-out
    assert (out / "s-001" / "practice-conv2d-backprop.yaml").read_text() != \
        (out / "s-002" / "practice-conv2d-backprop.yaml").read_text()
    assert (out / "variants.csv").read_text().splitlines()[0] == "student,name,folder"


def test_variants_are_byte_identical_on_a_rerun_and_in_any_roster_order(handout, tmp_path):
    root, specs, roster, out = handout
    shuffled = _roster(tmp_path / "r.csv", ["s-003", "s-001", "s-004", "s-002"])
    again = tmp_path / "again"
    assert CliRunner().invoke(main, ["variants", str(specs), "--roster", str(shuffled), "-o", str(again)]).exit_code == 0
    for student in ("s-001", "s-002", "s-003"):
        for f in (out / student).iterdir():
            assert (again / student / f.name).read_bytes() == f.read_bytes()
        for f in (out / "keys" / student).iterdir():
            assert (again / "keys" / student / f.name).read_bytes() == f.read_bytes()


def _answers_of(out: Path, student: str) -> dict:
    answers = {}
    for key_file in sorted((out / "keys" / student).glob("*.json")):
        key = json.loads(key_file.read_text())
        answers[key["id"]] = {part: a["value"] for part, a in key["answers"].items()}
    return answers


def test_a_students_own_answers_score_full_marks_only_as_that_student(handout, tmp_path):
    root, specs, roster, out = handout
    answers = _answers_of(out, "s-001")
    as_a = tmp_path / "a.json"
    as_a.write_text(json.dumps({"student": "s-001", "answers": answers}))
    as_b = tmp_path / "b.json"
    as_b.write_text(json.dumps({"student": "s-002", "answers": answers}))
    runner = CliRunner()
    a = runner.invoke(main, ["grade", str(as_a), "--problems", str(specs), "--variants", str(out), "--format", "json"])
    assert a.exit_code == 0, a.output
    graded_a = json.loads(a.output)
    assert graded_a["score"] == graded_a["max_score"]
    b = runner.invoke(main, ["grade", str(as_b), "--problems", str(specs), "--variants", str(out), "--format", "json"])
    graded_b = json.loads(b.output)
    assert graded_b["score"] < graded_b["max_score"] / 2


def test_a_student_outside_the_roster_gets_the_instructors_version_and_a_warning(handout, tmp_path):
    root, specs, roster, out = handout
    stranger = tmp_path / "x.json"
    stranger.write_text(json.dumps({"student": "s-999", "answers": {}}))
    batch_out = tmp_path / "results"
    result = CliRunner().invoke(main, ["grade", str(stranger), str(stranger), "--problems", str(specs),
                                       "--variants", str(out), "--out", str(batch_out)])
    assert result.exit_code == 3, result.output
    assert "not in the roster" in result.output
    assert "not in the roster" in (batch_out / "grades.csv").read_text()
