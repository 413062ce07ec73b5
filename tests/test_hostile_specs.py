"""Issue 11, problem specs: one clear line instead of an internal error (item 6), validate refuses
what solve cannot do or solve ends with a SpecError (item 7), nothing hangs (item 8), ids a file
name can hold (item 9), and messages that name the real cause (item 12)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hwcheck import api, limits
from hwcheck.cli import main
from hwcheck.errors import SpecError

INIT = "kind: init_bounds\ngiven: {scheme: he_normal, n_in: 50, n_out: 10}\n"
GD = "kind: gradient_descent\ngiven: {{f: '{f}', start: {{x: {x}}}, learning_rate: {lr}, steps: {steps}}}\n"


def gd(f="x**2", x=1, lr=0.1, steps=3):
    return GD.format(f=f, x=x, lr=lr, steps=steps)


def chain(f, x):
    return f"kind: chain_rule\ngiven: {{f: '{f}', wrt: x, at: {{x: {x}}}}}\n"


def run(args, **kwargs):
    result = CliRunner().invoke(main, args, **kwargs)
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
    return result


def refused(tmp_path, text: str, key: str | None = None, command: str = "validate", name: str = "p.yaml"):
    """The spec is refused with one line naming the file (and the key), exit status 2."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run([command, str(path)])
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {path}"), lines[0]
    if key is not None:
        assert f": {key}: expected" in lines[0], lines[0]
    assert len(lines[0]) < 700
    return lines[0]


# -- item 6: clear lines instead of internal errors --------------------------------------------

@pytest.mark.parametrize("kind", ["[chain_rule]", "{a: 1}", "3", "true", "null", "1.5", "x" * 5000,
                                  "[[chain_rule]]", "!!binary aGVsbG8="])
def test_a_kind_that_is_not_a_name(tmp_path, kind):
    refused(tmp_path, f"kind: {kind}\ngiven: {{f: x, wrt: x}}\n", "kind")


@pytest.mark.parametrize("steps", ["'²'", "'٣'", "'1²'", "'Ⅻ'", "'3.5'", "9" * 5000, "-" + "9" * 5000,
                                   str(10**30), "'" + "9" * 5000 + "'", "1e400", "'  '", "[3]", "0"])
def test_steps_that_are_not_a_whole_number_in_range(tmp_path, steps):
    refused(tmp_path, gd(steps=steps), "given.steps")


@pytest.mark.parametrize("points", ["1e308", "1.0e308", str(10**400), "-1", ".nan", ".inf", "-.inf",
                                    "'1e9999999'", "[1]", "'²'", "1" + "0" * 5000, "1000001"])
def test_points_beyond_the_limit(tmp_path, points):
    line = refused(tmp_path, INIT + f"parts: {{std: {{points: {points}}}}}\n", "parts.std.points")
    assert "1,000,000" in line


def test_points_at_the_limit_are_graded_without_overflow(tmp_path):
    from hwcheck.grade.grader import grade_part
    from hwcheck.grade.keys import KeySet

    problem = api.load_problem_text(INIT + "parts: {std: {points: 1000000}, variance: {points: 1000000}}")
    key = KeySet([problem])[problem.id]
    assert grade_part(key, "std", "1/5").score == 1000000


# -- item 7: what validate accepts, solve can do --------------------------------------------------

@pytest.mark.parametrize("lr", ["'1e99999'", "'1e-99999'", "1.0e400", "1.0e-400", "'10**200'", "'10^-200'",
                                "'2**1000'", "'((1+10^-9)^1000)^100'", "1" + "0" * 200])
def test_numbers_beyond_the_spec_limits_are_refused_by_validate(tmp_path, lr):
    refused(tmp_path, gd(lr=lr), "given.learning_rate")


@pytest.mark.parametrize("text", [
    gd(f="x**1000", x=10**10), gd(f="x**999", x=10**20, steps=2), gd(f="x**1000 + x**999", x=10**9),
])
def test_numbers_that_grow_too_large_while_solving_end_in_a_spec_error(tmp_path, text):
    line = refused(tmp_path, text, command="solve")
    assert "limit" in line


@pytest.mark.parametrize("text,key", [
    ("kind: sgd_dataset\ngiven: {data: {x: [1, 2], y: [1, 2]}, init: {w: 0, b: 0}, learning_rate: 0.1, "
     "variant: batch, epochs: 1000000000}\n", "given.epochs"),
    ("kind: sgd_dataset\ngiven: {data: {x: [1, 2], y: [1, 2]}, init: {w: 0, b: 0}, learning_rate: 0.1, "
     "variant: stochastic, epochs: 100000}\n", "given.epochs"),
    (gd(steps=10**9), "given.steps"),
    ("kind: optimizer_trace\ngiven: {optimizer: adam, f: 'x**2', start: {x: 1}, learning_rate: 0.1, steps: 10000,"
     " compare: [" + ", ".join(["{learning_rate: 0.2}"] * 20) + "]}\n", "given.steps"),
])
def test_work_beyond_the_limits_is_refused_by_validate(tmp_path, text, key):
    refused(tmp_path, text, key)


def _mlp(width, depth):
    layer = {"W": [[0.1] * width for _ in range(width)], "b": [0] * width, "activation": "sigmoid"}
    return "kind: mlp_backprop\ngiven: " + json.dumps({"x": [0.1] * width, "target": [0.5] * width,
                                                        "layers": [layer] * depth, "loss": "half_sse",
                                                        "learning_rate": 0.5}) + "\n"


@pytest.mark.parametrize("text,key", [
    (_mlp(130, 1), "given.layers[0].W"), (_mlp(2, 1000), "given.layers"), (_mlp(2, 101), "given.layers"),
    (_mlp(101, 1), "given.layers"),
    ("kind: conv2d_backprop\ngiven: " + json.dumps({"X": [[1] * 129] * 129, "W": [[1]]}) + "\n", "given.X"),
    ("kind: conv2d_backprop\ngiven: " + json.dumps({"X": [[1]] * 16385, "W": [[1]]}) + "\n", "given.X"),
    ("kind: conv2d_backprop\ngiven: " + json.dumps({"X": [[1, 2]], "W": [[1] * 16385]}) + "\n", "given.W"),
    ("kind: jacobian\ngiven: {f: " + json.dumps(["x"] * 10001) + ", vars: [x]}\n", "given.f"),
])
def test_sizes_beyond_the_limits_are_refused_by_validate(tmp_path, text, key):
    refused(tmp_path, text, key)


# -- item 8: nothing hangs --------------------------------------------------------------------------

HANGS = [
    ("validate", chain("exp(exp(exp(exp(exp(x)))))", 3)),
    ("solve", chain("exp(exp(exp(x)))", 10)),
    ("solve", chain("sin(" * 55 + "x" + ")" * 55, 1)),
    ("solve", chain("*".join(f"(x+{i})**30" for i in range(1, 20)), 1)),
    ("solve", gd(lr=10**10, steps=10000)),
    ("key", chain("exp(exp(exp(x)))", 10)),
    ("solve", "kind: optimizer_trace\ngiven: {optimizer: adam, f: 'exp(exp(exp(x)))', start: {x: 3}, "
              "learning_rate: 0.1, steps: 50}\n"),
]


@pytest.mark.parametrize("command,text", HANGS)
def test_specs_that_would_run_for_ages_end_with_one_line(tmp_path, command, text):
    path = tmp_path / "slow.yaml"
    path.write_text(text)
    args = [command, "--timeout", "1", str(path)] + (["-o", str(tmp_path / "out")] if command == "key" else [])
    result = run(args)
    if result.exit_code == 0:
        return  # solved after all (a faster machine, or the kind's own limits): fine
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert str(path) in lines[0] and ("limit" in lines[0] or "expected" in lines[0]), lines[0]
    assert not (tmp_path / "out").exists()


def test_the_time_limit_names_the_spec_and_the_limit(tmp_path):
    path = tmp_path / "slow.yaml"
    path.write_text(gd(lr=10**10, steps=10000))
    with pytest.raises(SpecError) as info:
        api.solve(api.load_problem(path), timeout=0.5)
    assert str(info.value).startswith(str(path)) and "0.5 s" in str(info.value) and "--timeout" in str(info.value)


def test_timeout_zero_means_no_limit_and_the_default_is_documented():
    from hwcheck import cli

    assert cli.SOLVE_SECONDS == limits.SOLVE_SECONDS
    result = run(["solve", "--help"])
    assert "--timeout" in result.output and "20" in result.output


# -- item 9: ids a file name can hold -------------------------------------------------------------

@pytest.mark.parametrize("pid", ["x" * 300, "é" * 101, "界" * 90 + "x" * 20, "a\x00b", "'a\nb'", "a/b", "../up", "a\\b",
                                 "KEY", "key", "Key", "CON", "nul", "com1", "lpt9.x", ".hidden", "trailing.", "a:b",
                                 "a*b", "a?b", "a|b", "'a\tb'", "'\x1b[31mred'", "''"])
def test_ids_a_file_name_cannot_hold_are_refused(tmp_path, pid):
    text = f"id: {json.dumps(pid.strip(chr(39)))}\n" + INIT
    line = refused(tmp_path, text, "id")
    assert "\n" not in line and "\x00" not in line


def test_ids_that_differ_only_in_case_clash(tmp_path):
    (tmp_path / "a.yaml").write_text("id: Conv-A\n" + INIT)
    (tmp_path / "b.yaml").write_text("id: conv-a\n" + INIT)
    problems, errors = api.validate([tmp_path])
    assert len(errors) == 1 and "ignoring case" in str(errors[0]) and "Conv-A" in str(errors[0])


@pytest.mark.parametrize("pid", ["conv2d-backprop-4x4", "تمرین-۱", "A.B_c", "x" * 100, "问题一"])
def test_ordinary_ids_are_kept(tmp_path, pid):
    path = tmp_path / "p.yaml"
    path.write_text(f"id: {pid}\n" + INIT, encoding="utf-8")
    problems, errors = api.validate([path])
    assert not errors and problems[0].id == pid


# -- item 12: the real cause, shortened --------------------------------------------------------------

@pytest.mark.parametrize("content,expected", [
    (b"", "the file is empty"), (b"\n\n  \n", "the file is empty"), (b"\xef\xbb\xbf", "the file is empty"),
    (INIT.encode("utf-16"), "UTF-16"), (INIT.encode("utf-16-le"), "UTF-16"), (INIT.encode("utf-16-be"), "UTF-16"),
    (INIT.encode("utf-32"), "UTF-32"), (b"\x00\x01\x02\x03" * 10, "binary"),
])
def test_empty_and_utf16_specs_are_named_as_such(tmp_path, content, expected):
    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    result = run(["validate", str(path)])
    assert result.exit_code == 2 and expected in result.output and "Expecting" not in result.output, result.output


@pytest.mark.parametrize("value", ["x" * 100_000, "sin(" * 3000 + "x", "x +" * 40_000 + " 1", "é" * 50_000])
@pytest.mark.parametrize("key", ["f", "kind", "wrt"])
def test_long_values_are_echoed_shortened(tmp_path, key, value):
    given = {"f": "x", "wrt": "x", "at": {"x": 1}}
    spec = {"kind": "chain_rule", "given": given}
    if key == "kind":
        spec["kind"] = value
    else:
        given[key] = value
    line = refused(tmp_path, json.dumps(spec))
    assert len(line) < 700 and "characters)" in line, line


def test_a_number_with_too_many_digits_is_described_not_printed(tmp_path):
    line = refused(tmp_path, gd(steps="1" + "0" * 5000), "given.steps")
    assert "5,001 digits" in line and "0000000000" not in line
