"""Every language says the same things: templates/<lang>/ are twins (SPEC section 10).

For every pair of languages: the same template files; in each template the same macros with the
same parameters and the same top-level names (``labels``, ``titles``, ``mistakes`` ...); in each
kind template the same keys in ``labels``, ``titles``, ``mistakes`` and ``figure_titles``; in
the grader's messages the same ``generic_mistakes``, ``verdict_words`` and message codes. A
template, macro or message that exists in one language and not the other fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from jinja2 import nodes

from hwcheck import api, kinds, langs, render
from hwcheck.spec import spec_files

from conftest import PROBLEMS

ROOT = langs.templates_root()
LANGS = langs.languages()
OTHERS = [lang for lang in LANGS if lang != "en"]


def templates(lang: str) -> set[str]:
    folder = ROOT / lang
    return {str(p.relative_to(folder)) for p in folder.rglob("*.j2")}


def test_there_is_a_second_language():
    assert "en" in LANGS and "fa" in LANGS


@pytest.mark.parametrize("lang", OTHERS)
def test_same_template_files(lang):
    english, other = templates("en"), templates(lang)
    assert english - other == set(), f"only in templates/en/: {sorted(english - other)}"
    assert other - english == set(), f"only in templates/{lang}/: {sorted(other - english)}"


def shape(lang: str, name: str) -> dict:
    """Macros with their parameters, and top-level {% set %} names, of one template."""
    env = render.environment(lang)
    source = (ROOT / lang / name).read_text(encoding="utf-8")
    tree = env.parse(source)
    macros = {m.name: [a.name for a in m.args] for m in tree.find_all(nodes.Macro)}
    names = set()
    for assign in tree.body:
        if isinstance(assign, nodes.Assign) and isinstance(assign.target, nodes.Name):
            names.add(assign.target.name)
    # message codes: the branches of `code == "..."` in messages.j2
    codes = set(re.findall(r'code == "([a-z_]+)"', source))
    return {"macros": macros, "names": names, "codes": codes}


@pytest.mark.parametrize("lang", OTHERS)
@pytest.mark.parametrize("name", sorted(templates("en")))
def test_same_macros_and_names(lang, name):
    if not (ROOT / lang / name).exists():
        pytest.skip("reported by test_same_template_files")
    english, other = shape("en", name), shape(lang, name)
    assert other["macros"] == english["macros"], f"{lang}/{name}: macros differ from en/{name}"
    assert other["names"] == english["names"], f"{lang}/{name}: top-level names differ from en/{name}"
    assert other["codes"] == english["codes"], f"{lang}/{name}: message codes differ from en/{name}"


def _sample(kind: str):
    for path in spec_files([PROBLEMS]):
        problem = api.load_problem(path)
        if problem.kind == kind:
            return problem
    pytest.skip(f"no sample of {kind}")


KEYED = ("labels", "titles", "mistakes", "figure_titles", "names", "names_of", "status_words", "opnames")


@pytest.mark.parametrize("lang", OTHERS)
@pytest.mark.parametrize("kind", kinds.names())
def test_kind_templates_have_the_same_keys(lang, kind):
    problem = _sample(kind)
    english, other = render.kind_module(problem, "en"), render.kind_module(problem, lang)
    for attr in KEYED:
        a, b = getattr(english, attr, None), getattr(other, attr, None)
        assert (a is None) == (b is None), f"{kind}: {attr} is in one language only"
        if a is not None:
            assert set(a) == set(b), f"{kind}: keys of {attr} differ: {sorted(set(a) ^ set(b))}"


@pytest.mark.parametrize("lang", OTHERS)
def test_grade_messages_have_the_same_keys(lang):
    english = render.environment("en").get_template("grade/messages.j2").make_module({})
    other = render.environment(lang).get_template("grade/messages.j2").make_module({})
    for attr in ("generic_mistakes", "verdict_words"):
        assert set(getattr(english, attr)) == set(getattr(other, attr)), attr


ARABIC = re.compile("[\u0600-\u06ff]")


@pytest.mark.parametrize("path", spec_files([PROBLEMS]), ids=lambda p: p.stem)
def test_persian_solution_is_persian(path):
    """Every heading and step title of a --lang fa solution is written in Persian; the math is unchanged."""
    problem = api.load_problem(path)
    solution = api.solve(problem)
    persian = api.render_solution(problem, solution, format="md", lang="fa")
    english = api.render_solution(problem, solution, format="md", lang="en")
    headings = [line for line in persian.splitlines() if line.startswith("## ") or line.startswith("### ")]
    assert headings and all(ARABIC.search(h) for h in headings), [h for h in headings if not ARABIC.search(h)]
    # the same display math in both languages (wording changes, numbers do not)
    displays = lambda text: re.findall(r"\$\$(.+?)\$\$", text, re.S)  # noqa: E731
    assert len(displays(persian)) == len(displays(english))
    assert "Step " not in persian and "## Answers" not in persian


def test_unknown_language_is_one_clear_line():
    result = subprocess.run([sys.executable, "-m", "hwcheck", "solve", str(PROBLEMS / "chain-sin-square.yaml"),
                             "--lang", "de"], capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["error: unknown language 'de' for --lang; expected one of: " + ", ".join(LANGS)]
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["solve", "key", "grade"])
def test_help_lists_the_languages(command):
    result = subprocess.run([sys.executable, "-m", "hwcheck", command, "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--lang [" + "|".join(LANGS) + "]" in text and "fa: Persian" in text


def test_api_refuses_an_unknown_language():
    from hwcheck.errors import HwcheckError

    with pytest.raises(HwcheckError, match="expected one of: en, fa"):
        api.solve_file(PROBLEMS / "chain-sin-square.yaml", lang="xx")


def test_languages_are_folders_with_a_solution_template(tmp_path):
    assert set(LANGS) == {p.name for p in Path(ROOT).iterdir() if (p / "solution.md.j2").is_file()}
    assert "html" not in LANGS  # the page shell has no sentences
