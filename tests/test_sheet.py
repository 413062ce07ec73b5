"""``hwcheck sheet``: the hand-out (SPEC section 8) has every problem's title, statement, given data
and asked parts with their points, and nothing of the solution."""

import json
import re

from click.testing import CliRunner

from hwcheck import api, render
from hwcheck.cli import main

from conftest import PROBLEMS

SHIPPED = sorted(PROBLEMS.glob("*.yaml"))


def _without_statements(sheet: str, problems) -> str:
    for p in problems:
        if p.statement:
            sheet = sheet.replace(p.statement.strip(), "")
    return sheet


def test_sheet_has_every_problem_and_no_answers():
    problems = [api.load_problem(p) for p in SHIPPED]
    sheet = api.render_sheet(problems)
    for k, p in enumerate(problems, 1):
        total = sum(part.points for part in p.parts)
        assert f"## Problem {k}. {p.title} ({total} point" in sheet
        for part in p.parts:
            assert f"`{part.name}`" in sheet
    assert "## Answers" not in sheet and "### Step" not in sheet and r"\approx" not in sheet
    rest = _without_statements(sheet, problems)
    for p in problems:
        key = json.loads(api.render_solution(p, format="json"))
        for name, entry in key["answers"].items():
            value = entry["value"]
            if isinstance(value, float) and len(render.dec(value)) >= 6:  # a telling decimal, not 0.5
                assert render.dec(value) not in rest, (p.id, name)
            if isinstance(value, str) and len(value) > 20:  # a model answer
                assert value[:40] not in rest, (p.id, name)


def test_concept_sheet_shows_the_question_not_the_rubric():
    p = api.load_problem(PROBLEMS / "concept-zero-init.yaml")
    sheet = api.render_sheet([p])
    assert " ".join(p.given.question.split()) in sheet
    for item in p.given.rubric:
        assert f"`{item['id']}`" not in sheet
        assert all(f"`{phrase}`" not in sheet for phrase in item["any"])
    assert "rubric" not in sheet.lower() and "symmetry is never broken" not in sheet


def test_given_data_is_shown_as_written():
    sheet = api.render_sheet([api.load_problem(PROBLEMS / "mlp-classic-2-2-2.yaml")])
    assert r"\begin{bmatrix} 0.05 \cr 0.10 \end{bmatrix}" in sheet  # 0.10 as the author wrote it
    assert "`half_sse`" in sheet and "- `learning_rate`: $0.5$" in sheet


def test_cli_writes_a_sheet_from_a_folder_in_md_and_tex(tmp_path):
    runner = CliRunner()
    out = tmp_path / "sheet.tex"
    result = runner.invoke(main, ["sheet", str(PROBLEMS), "-o", str(out), "--format", "tex"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith(r"\documentclass") and text.count(r"\section*{Problem") == len(SHIPPED)
    result = runner.invoke(main, ["sheet", str(PROBLEMS / "init-he-relu-conv.yaml")])
    assert result.exit_code == 0 and result.output.startswith("# Problem sheet")


def test_a_bad_spec_is_one_line_and_nothing_is_written(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("{kind: init_bounds, given: {scheme: he_normal}}", encoding="utf-8")
    out = tmp_path / "sheet.md"
    result = CliRunner().invoke(main, ["sheet", str(bad), "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert re.match(r"error: .*bad\.yaml: given", result.output)
