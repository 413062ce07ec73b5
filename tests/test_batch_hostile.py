"""A hostile submission is graded part by part: code, huge numbers, a ragged matrix, an unknown problem id."""

from __future__ import annotations

import csv
import io
import json
import shutil

from click.testing import CliRunner

from hwcheck.cli import main

from conftest import PROBLEMS

SET = ["conv2d-backprop-4x4", "init-xavier-tanh-dense", "chain-sin-square"]


def test_hostile_submission_is_graded_part_by_part(tmp_path, monkeypatch):
    problems = tmp_path / "problems"
    problems.mkdir()
    for name in SET:
        shutil.copy(PROBLEMS / f"{name}.yaml", problems)
    canary = tmp_path / "pwned"
    sub = tmp_path / "hostile.json"
    sub.write_text(json.dumps({"student": "-2+3@cmd", "answers": {
        "conv2d-backprop-4x4": {"Y": [[1, 2], [3]],  # ragged
                                "dL_dW": [[-2, 0, 2], [0, 3, -2], [2, -1, 0]],  # right
                                "dL_dX": f"__import__('os').system('touch {canary}')"},  # code
        "init-xavier-tanh-dense": {"bound": int("9" * 1000), "variance": "1e99999999"},  # huge
        "chain-sin-square": {"derivative": "2x cos(x^2)", "value": "exec('1')"},
        "graph-sigmod-neuron": {"value": 1},  # not in the set
    }}))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", str(sub), "--problems", str(problems), "--out", str(out)])
    assert result.exit_code == 3, result.output  # graded, with a warning
    assert not canary.exists()
    [row] = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert row["student"] == "'-2+3@cmd"  # neutralised for spreadsheets
    assert row["status"] == "answers for the unknown problem id 'graph-sigmod-neuron' were not graded"
    report = json.loads(next(out.glob("*cmd*.json")).read_text())
    verdicts = {(pid, part): v["verdict"] for pid, p in report["problems"].items() for part, v in p["parts"].items()}
    assert verdicts[("conv2d-backprop-4x4", "dL_dW")] == "correct"
    assert verdicts[("conv2d-backprop-4x4", "Y")] == "invalid"
    assert verdicts[("conv2d-backprop-4x4", "dL_dX")] == "invalid"
    assert verdicts[("chain-sin-square", "derivative")] == "correct"
    assert verdicts[("chain-sin-square", "value")] == "invalid"
    assert verdicts[("init-xavier-tanh-dense", "bound")] in ("invalid", "incorrect")
    assert verdicts[("init-xavier-tanh-dense", "variance")] in ("invalid", "incorrect")
    assert report["score"] == 4 + 3  # dL_dW and the derivative
