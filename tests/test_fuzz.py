"""Issue 11: malformed specs and submissions thrown at validate, solve, key and grade.

Each example runs through the CLI (click's runner) with a short --timeout. Asserted: no internal
error, an exit status of 0 or 2 with one ``error:`` line per bad file, no run past its budget (a
generous bound: a hang, not a speed figure), and no file written outside the output folder.
The examples are bounded so that the whole file stays fast.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwcheck.cli import main

from conftest import PROBLEMS

TIMEOUT = 2  # --timeout of each command
HANG = 60  # seconds: a command running longer than this has hung (the budget did not stop it)
EXAMPLES = int(os.environ.get("HWCHECK_FUZZ_EXAMPLES", "25"))  # more for a longer hunt
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 25,
                    suppress_health_check=list(HealthCheck))

SEEDS = sorted(PROBLEMS.glob("*.yaml"))
NASTY_TEXT = ["", " ", "²", "٣", "1e99999", "1e-99999", "10**10**10", "((1+10^-9)^1000)^100", "x" * 3000,
              "exp(exp(exp(exp(x))))", "__import__('os')", "a\x00b", "a\nb", "KEY", "../x", "NaN", ".inf",
              "sin(" * 80 + "x" + ")" * 80, "1/0", "0^-1", "x**1000", "9" * 5000, "-1", "0", "true", "[1]",
              "{a: 1}", "é" * 200, "\ufeff", "$\\frac{1}{0}$", "con", "x/", "1e400"]
BIG = "9" * 5000
NASTY_NUMBERS = [0, -1, 1, 10**10, 10**30, 2**63, -(2**63), 1e308, -1e308, 1e-320, 0.1, 3.5]

scalars = st.one_of(st.sampled_from(NASTY_TEXT), st.sampled_from(NASTY_NUMBERS), st.booleans(), st.none(),
                    st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.sampled_from(["a", "x", "W", "b", "id"]),
                                                                      inner, max_size=3)), max_leaves=12)


def _load(path: Path):
    import yaml

    return yaml.safe_load(path.read_text())


def _mutate(spec: dict, data) -> dict:
    """Replace, drop or add one key somewhere in the spec."""
    spec = json.loads(json.dumps(spec, default=str))
    target = spec
    path = data.draw(st.lists(st.sampled_from(["given", "parts", "kind", "id", "title"]), max_size=1))
    for key in path:
        if isinstance(target, dict) and isinstance(target.get(key), dict):
            target = target[key]
    keys = list(target) if isinstance(target, dict) else []
    action = data.draw(st.sampled_from(["replace", "drop", "add"]))
    if keys and action == "replace":
        target[data.draw(st.sampled_from(keys))] = data.draw(values)
    elif keys and action == "drop":
        target.pop(data.draw(st.sampled_from(keys)))
    elif isinstance(target, dict):
        target[data.draw(st.sampled_from(["zz", "steps", "epochs", "points", "layers"]))] = data.draw(values)
    return spec


def _run(args, cwd: Path):
    before = _outside(cwd)
    start = time.monotonic()
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    elapsed = time.monotonic() - start
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 2, 3), result.output
    assert elapsed < HANG, f"{args}: {elapsed:.0f} s"
    assert _outside(cwd) == before  # nothing written outside the working folder
    return result


def _outside(cwd: Path) -> list:
    parent = cwd.parent
    return sorted(p.name for p in parent.iterdir() if p != cwd)


@SETTINGS
@given(data=st.data())
def test_fuzz_specs_through_validate_solve_and_key(tmp_path_factory, data):
    base = tmp_path_factory.mktemp("fuzz")
    work = base / "work"
    work.mkdir()
    seed = data.draw(st.sampled_from(SEEDS))
    spec = _mutate(_load(seed), data)
    raw = data.draw(st.sampled_from(["yaml", "json", "bytes"]))
    path = work / "p.yaml"
    if raw == "bytes":
        text = json.dumps(spec, default=str).encode()
        cut = data.draw(st.integers(0, len(text)))
        path.write_bytes(text[:cut] + data.draw(st.binary(max_size=8)))
    else:
        import yaml

        text = json.dumps(spec, default=str) if raw == "json" else yaml.safe_dump(spec, allow_unicode=True)
        path.write_text(text.replace(f'"{BIG}"', BIG))  # a bare 5,000-digit number in JSON
    out = work / "out"
    cwd = os.getcwd()
    os.chdir(work)
    try:
        _run(["validate", "--timeout", str(TIMEOUT), str(path)], work)
        _run(["solve", "--timeout", str(TIMEOUT), str(path), "-o", str(out / "s.md")], work)
        result = _run(["key", "--timeout", str(TIMEOUT), str(path), "-o", str(out / "key"), "--no-figures"], work)
    finally:
        os.chdir(cwd)
    if result.exit_code == 2:
        assert not (out / "key").exists()  # a bad set writes nothing
    else:
        assert (out / "key" / "KEY.md").exists()


GRADE_SET = ["init-xavier-tanh-dense.yaml", "conv2d-backprop-4x4.yaml", "chain-sin-square.yaml"]


@pytest.fixture(scope="module")
def grade_problems(tmp_path_factory):
    folder = tmp_path_factory.mktemp("problems")
    for name in GRADE_SET:
        (folder / name).write_text((PROBLEMS / name).read_text())
    return folder


@SETTINGS
@given(data=st.data())
def test_fuzz_submissions_through_grade(grade_problems, tmp_path_factory, data):
    work = tmp_path_factory.mktemp("grade") / "work"
    work.mkdir()
    answers = {}
    for name in GRADE_SET:
        pid = name[:-5]
        if data.draw(st.booleans()):
            answers[pid] = data.draw(st.one_of(
                values, st.dictionaries(st.sampled_from(["bound", "variance", "dL_dW", "Y", "derivative", "value"]),
                                        values, max_size=3)))
    top = {"student": data.draw(st.one_of(st.just("s-1"), scalars)), "answers": answers}
    fmt = data.draw(st.sampled_from(["json", "yaml", "dup"]))
    path = work / ("s.yaml" if fmt == "yaml" else "s.json")
    if fmt == "yaml":
        import yaml

        path.write_text(yaml.safe_dump(top, allow_unicode=True))
    elif fmt == "dup":
        text = json.dumps(top, default=str)
        path.write_text(text.replace('"answers": {', '"answers": {"chain-sin-square": {"value": NaN}, ', 1))
    else:
        path.write_text(json.dumps(top, default=str).replace(f'"{BIG}"', BIG))
    out = work / "out"
    _run(["grade", str(path), "--problems", str(grade_problems)], work)
    result = _run(["grade", str(path), str(path), "--problems", str(grade_problems), "--out", str(out)], work)
    assert result.exit_code in (0, 2, 3)
