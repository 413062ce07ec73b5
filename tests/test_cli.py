"""The command line as a user meets it: outputs, exit codes, one-line errors, nothing half-written."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hwcheck.cli import main

from conftest import PROBLEMS

HOMEWORK = str(PROBLEMS / "conv2d-backprop-4x4.yaml")

BAD_SPECS = {
    "unknown kind": ("kind: conv2d_backprob\ngiven: {X: [[1]], W: [[1]], dL_dY: [[1]]}\n",
                     "kind: expected a registered kind", "did you mean 'conv2d_backprop'?"),
    "missing key": ("kind: conv2d_backprop\ngiven: {X: [[1, 2], [3, 4]], dL_dY: [[1]]}\n",
                    "given.W: expected the key 'W'", "found no such key"),
    "extra key": ("kind: conv2d_backprop\ngiven: {X: [[1, 2], [3, 4]], W: [[1]], dL_dY: [[1, 1], [1, 1]], "
                  "strides: 2}\n", "given.strides: expected one of the keys", "did you mean 'stride'?"),
    "extra top-level key": ("kind: conv2d_backprop\ngivens: {}\n", "givens: expected one of the keys",
                            "did you mean 'given'?"),
    "ragged matrix": ("kind: conv2d_backprop\ngiven: {X: [[1, 2], [3]], W: [[1]], dL_dY: [[1, 1], [1, 1]]}\n",
                      "given.X[1]: expected a matrix with rows of equal length", "row 1 of length 1"),
    "kernel too large": ("kind: conv2d_backprop\ngiven: {X: [[1, 2], [3, 4]], W: [[1, 1, 1], [1, 1, 1], "
                         "[1, 1, 1]], dL_dY: [[1]]}\n", "given.W: expected a kernel no larger than the padded "
                         "input (2×2)", "a 3×3 kernel"),
    "negative stride": ("kind: conv2d_backprop\ngiven: {X: [[1, 2], [3, 4]], W: [[1]], dL_dY: [[1]], "
                        "stride: -1}\n", "given.stride: expected a whole number ≥ 1", "-1"),
    "invalid YAML": ("kind: conv2d_backprop\ngiven: {X: [[1, 2], [3, 4]]\n  W: [[1]]\n",
                     "expected valid YAML", "line 3"),
    "unknown part": ("kind: conv2d_backprop\ngiven: {X: [[1]], W: [[1]], dL_dY: [[1]]}\nparts: [dL_dw]\n",
                     "parts.dL_dw: expected a part of conv2d_backprop", "did you mean 'dL_dW'?"),
    "duplicate key": ("kind: conv2d_backprop\ngiven: {X: [[1]], W: [[1]], W: [[2]], dL_dY: [[1]]}\n",
                      "W: expected each key once", "line 2"),
    "not a number": ("kind: conv2d_backprop\ngiven: {X: [[1, foo]], W: [[1]], dL_dY: [[1, 1]]}\n",
                     "given.X[0][1]: expected a number", "foo"),
    "eval attempt": ("kind: conv2d_backprop\ngiven: {X: [[\"__import__('os').system('true')\"]], W: [[1]], "
                     "dL_dY: [[1]]}\n", "given.X[0][0]", "cannot be called"),
}


@pytest.mark.parametrize("name", BAD_SPECS)
def test_bad_spec_one_clear_line_exit_2_nothing_written(tmp_path, name):
    text, *fragments = BAD_SPECS[name]
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    out = tmp_path / "out.md"
    result = CliRunner().invoke(main, ["solve", str(spec), "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {spec}: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_key_refuses_a_set_with_a_bad_spec_and_writes_nothing(tmp_path):
    (tmp_path / "good.yaml").write_text((PROBLEMS / "conv2d-backprop-4x4.yaml").read_text())
    (tmp_path / "bad.yaml").write_text(BAD_SPECS["ragged matrix"][0])
    out = tmp_path / "solutions"
    result = CliRunner().invoke(main, ["key", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 2
    assert "bad.yaml: given.X[1]" in result.output
    assert not out.exists()


def test_solve_formats(tmp_path):
    runner = CliRunner()
    md = runner.invoke(main, ["solve", HOMEWORK])
    assert md.exit_code == 0
    assert "## Conventions" in md.output and "cross-correlation" in md.output
    assert "\\operatorname{rot}_{180}" in md.output and "## Answers" in md.output
    key = json.loads(runner.invoke(main, ["solve", HOMEWORK, "--format", "json"]).output)
    assert key["answers"]["dL_dW"]["value"] == [[-2, 0, 2], [0, 3, -2], [2, -1, 0]]
    assert key["answers"]["dL_dW"]["exact"] == [["-2", "0", "2"], ["0", "3", "-2"], ["2", "-1", "0"]]
    assert key["steps"] and all({"title", "text", "latex"} <= set(s) for s in key["steps"])
    out = tmp_path / "x" / "sol.tex"
    result = runner.invoke(main, ["solve", HOMEWORK, "--format", "tex", "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_text().startswith("\\documentclass")


def test_key_writes_set(tmp_path):
    out = tmp_path / "solutions"
    result = CliRunner().invoke(main, ["key", str(PROBLEMS / "conv2d-backprop-4x4.yaml"),
                                       str(PROBLEMS / "init-xavier-tanh-dense.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["KEY.md", "conv2d-backprop-4x4.json", "conv2d-backprop-4x4.md",
                     "init-xavier-tanh-dense.json", "init-xavier-tanh-dense.md"]
    key_md = (out / "KEY.md").read_text()
    assert "conv2d-backprop-4x4" in key_md and "init-xavier-tanh-dense" in key_md


def test_kinds_and_validate():
    runner = CliRunner()
    listing = runner.invoke(main, ["kinds"])
    assert listing.exit_code == 0
    assert "conv2d_backprop" in listing.output and "part *dL_dW" in listing.output
    as_json = json.loads(runner.invoke(main, ["kinds", "--format", "json"]).output)
    assert {k["name"] for k in as_json} >= {"conv2d_backprop", "init_bounds"}
    ok = runner.invoke(main, ["validate", str(PROBLEMS)])
    assert ok.exit_code == 0 and "ok: " in ok.output


def test_every_command_has_help():
    for name, command in main.commands.items():
        assert command.help, f"{name} has no help"
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0


def test_help_does_not_import_sympy():
    code = ("import sys; from hwcheck.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'sympy' not in sys.modules and 'numpy' not in sys.modules, 'heavy import at start-up'")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "hwcheck", "solve", HOMEWORK, "--format", "json"],
                            capture_output=True, text=True, check=True)
    assert json.loads(result.stdout)["id"] == "conv2d-backprop-4x4"


def test_output_to_a_device_is_written_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    import os
    import threading

    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo).read()))
    reader.start()
    result = CliRunner().invoke(main, ["solve", HOMEWORK, "-o", str(fifo)])
    reader.join(timeout=30)
    assert result.exit_code == 0
    assert fifo.exists() and not fifo.is_file()  # still a pipe, not replaced by a regular file
    assert "## Answers" in received[0]


def test_input_found_wrong_while_solving_names_the_file(tmp_path):
    spec = tmp_path / "path.yaml"
    # x = 1 - 2 * (1/1) = -1 after one step: log is undefined there
    spec.write_text('kind: gradient_descent\ngiven: {f: "log(x)", start: {x: 1}, learning_rate: 2, steps: 3}\n')
    result = CliRunner().invoke(main, ["solve", str(spec)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {spec}: given.")
