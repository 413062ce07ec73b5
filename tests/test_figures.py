"""The figures hook and its plumbing: solve -o, key, --no-figures, determinism, missing matplotlib."""

import re

import pytest
from click.testing import CliRunner

from hwcheck import api, figures
from hwcheck.cli import main

from conftest import PROBLEMS

pytest.importorskip("matplotlib")

BOWL = PROBLEMS / "opt-bowl-sgd-momentum-adam.yaml"
ONE_D = PROBLEMS / "gd-1d-learning-rates.yaml"


def run(*args):
    result = CliRunner().invoke(main, list(map(str, args)))
    assert result.exit_code == 0, result.output
    return result


def test_solve_writes_figures_beside_the_output_and_links_them(tmp_path):
    out = tmp_path / "out" / "bowl.md"
    run("solve", BOWL, "-o", out)
    files = sorted(p.name for p in out.parent.iterdir())
    assert files == ["bowl.md", "opt-bowl-sgd-momentum-adam-compare.svg", "opt-bowl-sgd-momentum-adam-loss.svg",
                     "opt-bowl-sgd-momentum-adam-path.svg"]
    md = out.read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert sorted(links) == files[1:]
    svg = (out.parent / "opt-bowl-sgd-momentum-adam-path.svg").read_text()
    assert "<svg" in svg and "Date" not in svg and "Matplotlib v" not in svg


def test_figures_are_deterministic(tmp_path):
    a, b = tmp_path / "a" / "x.md", tmp_path / "b" / "x.md"
    run("solve", ONE_D, "-o", a)
    run("solve", ONE_D, "-o", b)
    for f in a.parent.iterdir():
        assert f.read_bytes() == (b.parent / f.name).read_bytes(), f.name


def test_no_figures_and_stdout_write_none(tmp_path, monkeypatch):
    out = tmp_path / "x.md"
    run("solve", ONE_D, "-o", out, "--no-figures")
    assert [p.name for p in tmp_path.iterdir()] == ["x.md"]
    assert "## Figures" not in out.read_text()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, ["solve", str(ONE_D)])
    assert result.exit_code == 0 and "## Figures" not in result.output
    assert not list(cwd.glob("*.svg"))


def test_json_output_draws_nothing(tmp_path):
    out = tmp_path / "x.json"
    run("solve", ONE_D, "-o", out, "--format", "json")
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_key_writes_figures_and_no_figures_skips_them(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "gd.yaml").write_text(ONE_D.read_text())
    (specs / "init.yaml").write_text((PROBLEMS / "init-xavier-tanh-dense.yaml").read_text())
    result = run("key", specs, "-o", tmp_path / "keys")
    names = sorted(p.name for p in (tmp_path / "keys").iterdir())
    assert "gd-1d-learning-rates-path.svg" in names and "gd-1d-learning-rates-loss.svg" in names
    assert "(2 problems and KEY.md)" in result.output
    assert "gd-1d-learning-rates-path.svg" in (tmp_path / "keys" / "gd-1d-learning-rates.md").read_text()
    run("key", specs, "-o", tmp_path / "bare", "--no-figures")
    assert not list((tmp_path / "bare").glob("*.svg"))


def test_missing_matplotlib_is_one_note_and_the_solution_is_still_written(tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "available", lambda: False)
    out = tmp_path / "x.md"
    written = api.write_solution(ONE_D, out)
    assert written == [out] and out.exists() and "## Figures" not in out.read_text()
    assert written.notes == [api.FIGURES_MISSING]
    result = CliRunner().invoke(main, ["solve", str(ONE_D), "-o", str(out)])
    assert result.exit_code == 0
    assert [line for line in result.output.splitlines() if line.startswith("note:")] == [
        f"note: {api.FIGURES_MISSING}"]


def test_png_and_figure_names(tmp_path):
    problem = api.load_problem(BOWL)
    solution = api.solve(problem)
    planned, items, notes = api.plan_figures(problem, solution, fmt="png")
    assert [p["name"] for p in planned] == ["path", "compare", "loss"] and not notes
    drawn = figures.write(items, tmp_path, problem.id, "png")
    assert all(d["path"].read_bytes().startswith(b"\x89PNG") for d in drawn)
    again = figures.write(items, tmp_path / ".." / tmp_path.name, problem.id, "png")
    assert [d["path"].read_bytes() for d in again] == [d["path"].read_bytes() for d in drawn]


def test_kinds_without_the_hook_draw_nothing():
    problem = api.load_problem(PROBLEMS / "init-xavier-tanh-dense.yaml")
    assert api.plan_figures(problem, api.solve(problem)) == ([], [], [])


def test_gradient_drill_draws_a_path_without_contours_and_no_loss():
    problem = api.load_problem(PROBLEMS / "opt-momentum-two-forms.yaml")
    planned, _, _ = api.plan_figures(problem, api.solve(problem))
    assert [p["name"] for p in planned] == ["path"]
