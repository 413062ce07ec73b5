"""Every shipped problem's ``--format tex`` document compiles with pdflatex.

Needs a TeX installation (Debian: texlive-latex-base, texlive-latex-recommended,
texlive-fonts-recommended; texlive-lang-arabic for the Persian statements);
skipped, saying so, when ``pdflatex`` is not on the PATH. A spec that does not
load is skipped here: tests/test_contract.py reports it.
"""

import re
import shutil
import subprocess

import pytest

from hwcheck import api
from hwcheck.errors import SpecError
from hwcheck.spec import spec_files

from conftest import PROBLEMS

PDFLATEX = shutil.which("pdflatex")
pytestmark = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (apt-get install "
                                "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended)")


def compile_tex(source: str, folder) -> subprocess.CompletedProcess:
    (folder / "doc.tex").write_text(source, encoding="utf-8")
    return subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=folder, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=120,
    )


OVERFULL = re.compile(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*\n([^\n]*)")
MAX_OVERFULL_PT = 5.0  # a line may stick out this much into the margin, no more


def overfull(log: str) -> list[str]:
    """Lines wider than the text block by more than MAX_OVERFULL_PT (with the start of each)."""
    return [f"{m.group(1)}pt: {m.group(2)[:80]}" for m in OVERFULL.finditer(log)
            if float(m.group(1)) > MAX_OVERFULL_PT]


def first_error(log: str) -> str:
    lines = log.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("!"):
            return "\n".join(lines[k:k + 6])
    return "\n".join(lines[-15:])


@pytest.mark.parametrize("path", spec_files([PROBLEMS]), ids=lambda p: p.stem)
def test_tex_document_compiles(path, tmp_path):
    try:
        problem = api.load_problem(path)
    except SpecError as exc:
        pytest.skip(f"invalid spec (reported by test_contract): {exc}")
    source = api.render_solution(problem, format="tex")
    result = compile_tex(source, tmp_path)
    assert result.returncode == 0, first_error(result.stdout)
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert overfull(log) == [], "\n".join(overfull(log))


def test_markdown_specials_survive(tmp_path):
    """Text with TeX specials, lists, code and display math, through md_to_tex, compiles."""
    problem = api.load_problem_text(
        "{kind: sgd_dataset, statement: '50% of the data & a #1 pick: `order_of_draw`, ~x, a_b, "
        "**bold** and *it*; $\\hat y = w x + b$.\n\n- one\n- two\n\n$$L = \\frac{1}{N}\\sum_i L_i$$\n',"
        " given: {data: {x: [1, 2], y: [2, 4]}, init: {w: 0, b: 0}, learning_rate: 0.5, variant: batch}}")
    result = compile_tex(api.render_solution(problem, format="tex"), tmp_path)
    assert result.returncode == 0, first_error(result.stdout)


PERSIAN = ("{kind: sgd_dataset, statement: 'روی چهار نقطه SGD: $\\hat y = w x + b$ با ReLU.\n\n"
           "The loss (`خطا`) is **$L$ for all $N$**.\n',"
           " given: {data: {x: [1, 2], y: [2, 4]}, init: {w: 0, b: 0}, learning_rate: 0.5, variant: batch}}")


def test_persian_lines_compile_with_and_without_arabtex(tmp_path):
    source = api.render_solution(api.load_problem_text(PERSIAN), format="tex")
    assert r"\hwfa{" in source and r"\hwfarun{خطا}" in source and r"\textbf{$L$ for all $N$}" in source
    with_arabtex = compile_tex(source, tmp_path)
    assert with_arabtex.returncode == 0, first_error(with_arabtex.stdout)
    # the fallback branch, as on a TeX installation without ArabTeX: a note instead of the Persian
    (tmp_path / "without").mkdir()
    without = compile_tex(source.replace(r"\IfFileExists{arabtex.sty}", r"\IfFileExists{no-such-package.sty}"),
                          tmp_path / "without")
    assert without.returncode == 0, first_error(without.stdout)


def test_documents_without_persian_do_not_load_arabtex():
    source = api.solve_file(PROBLEMS / "sgd-stochastic-1d.yaml", format="tex")
    assert "arabtex" not in source


# -- Persian documents: XeLaTeX with xepersian (--lang fa) ---------------------------------

XELATEX = shutil.which("xelatex")
KPSEWHICH = shutil.which("kpsewhich")
XEPERSIAN = bool(KPSEWHICH) and subprocess.run([KPSEWHICH, "xepersian.sty"], capture_output=True).returncode == 0
needs_xepersian = pytest.mark.skipif(
    XELATEX is None or not XEPERSIAN,
    reason="xelatex or xepersian is not installed (apt-get install texlive-xetex texlive-lang-arabic)")


def xelatex(source: str, folder) -> subprocess.CompletedProcess:
    (folder / "doc.tex").write_text(source, encoding="utf-8")
    return subprocess.run(
        [XELATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=folder, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=180,
        env={**__import__("os").environ, "MKTEXTFM": "0"},
    )


def _one_per_kind():
    seen, out = set(), []
    for path in spec_files([PROBLEMS]):
        try:
            kind = api.load_problem(path).kind
        except SpecError:
            continue
        if kind not in seen:
            seen.add(kind)
            out.append(path)
    return out


PERSIAN_SPEC = """
kind: sgd_dataset
title: "گرادیان کاهشی تصادفی روی چهار نقطه (تمرین ۳، پرسش ۲)"
statement: |
  مدل خطی $\\hat y = w x + b$ را با نرخ یادگیری $\\eta = 0.5$ آموزش دهید؛ تابع هزینه میانگین
  مربع خطاست و مقدار اولیهٔ $w$ برابر -2 است. بردار (1, -2, 3) و کد `order` را ببینید.

  - **گام اول:** گرادیان را حساب کنید.
  - *گام دوم:* پارامترها را به‌روز کنید (ReLU و 50% و #1 و x_1 بی‌خطرند).
given: {data: {x: [1, 2], y: [2, 4]}, init: {w: -2, b: 0}, learning_rate: 0.5, variant: batch}
"""


@needs_xepersian
@pytest.mark.parametrize("path", _one_per_kind(), ids=lambda p: p.stem)
def test_persian_document_builds_with_xelatex(path, tmp_path):
    """One problem of every kind, --lang fa --format tex, built with XeLaTeX and xepersian."""
    source = api.render_solution(api.load_problem(path), format="tex", lang="fa")
    result = xelatex(source, tmp_path)
    assert result.returncode == 0, first_error(result.stdout)
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


@needs_xepersian
def test_persian_title_and_statement_build(tmp_path):
    source = api.render_solution(api.load_problem_text(PERSIAN_SPEC), format="tex", lang="fa")
    assert r"\lr{-2}" in source and r"\lr{(1, -2, 3)}" in source and r"\textbf{گام اول:}" in source
    result = xelatex(source, tmp_path)
    assert result.returncode == 0, first_error(result.stdout)
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run([pdftotext, str(tmp_path / "doc.pdf"), "-"], capture_output=True, text=True).stdout
        assert "تصادفی" in text or "ﺗﺼﺎﺩﻓﯽ" in text or len(text) > 200


def test_problem_sheet_compiles(tmp_path):
    problems = [api.load_problem(p) for p in spec_files([PROBLEMS])]
    result = compile_tex(api.render_sheet(problems, format="tex"), tmp_path)
    assert result.returncode == 0, first_error(result.stdout)
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert overfull(log) == [], "\n".join(overfull(log))


def test_the_overfull_check_sees_a_line_that_runs_off_the_page(tmp_path):
    wide = r"\[" + " + ".join(["x_{%d}" % k for k in range(80)]) + r"\]"
    source = "\\documentclass{article}\n\\begin{document}\n" + wide + "\n\\end{document}\n"
    assert compile_tex(source, tmp_path).returncode == 0
    found = overfull((tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace"))
    assert found and float(found[0].split("pt")[0]) > 100

def test_long_vectors_and_lists_of_vectors_break_onto_lines(tmp_path):
    import sympy as sp

    from hwcheck import render

    trace = [[sp.Rational(k, 7), sp.Rational(-k, 3)] for k in range(1, 16)]
    wide = [[sp.Rational(i * j + 1, 7) for j in range(9)] for i in range(2)]
    body = render.md_to_tex("Points:\n\n$$" + r"\mathbf{x} = " + render.tex(trace) + "$$\n\n"
                            + "and inline $W = " + render.tex(sp.Matrix(wide)) + "$ too.")
    assert r"\begin{aligned}" in body
    source = ("\\documentclass[11pt]{article}\\usepackage{amsmath,graphicx}\\usepackage[margin=2.2cm]{geometry}"
              "\\setcounter{MaxMatrixCols}{20}\n\\begin{document}\n" + body + "\n\\end{document}\n")
    result = compile_tex(source, tmp_path)
    assert result.returncode == 0, first_error(result.stdout)
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert overfull(log) == [], "\n".join(overfull(log))
