"""Helpers for the text tests of the neural-network kinds (softmax_cross_entropy, mlp_backprop,
window_classifier, rnn_softmax): render a problem and read its Markdown as a strict TA would.

The checks of ``tests/test_solution_text.py`` (decimals correctly rounded, equal chains, GitHub-safe
inline math, template leftovers) run over the whole text, plus a few of our own: no decimal with more
than ``render.SIG`` significant digits outside the spec's own numbers, and no vector or matrix that
mixes fractions with decimals.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import yaml

from hwcheck import api, render
from test_solution_text import (DISPLAY, check_answers, check_approx_pairs, check_chains, check_inline_math,
                                check_leftovers, check_steps_agree_with_answers, decimals_in, math_spans,
                                significant)


def problem(kind: str, given: dict, parts=None, notation=None, statement=None):
    spec = {"kind": kind, "given": given}
    if parts is not None:
        spec["parts"] = parts
    if notation is not None:
        spec["notation"] = notation
    if statement is not None:
        spec["statement"] = statement
    return api.load_problem_text(yaml.safe_dump(spec))


def render_md(p) -> tuple[str, dict]:
    solution = api.solve(p)
    md = render.document(p, solution, "md")
    key = json.loads(api.render_solution(p, solution, format="json"))
    return md, key


def steps_of(md: str) -> str:
    """The worked steps: from '## Solution' up to '## Answers' (no statement, no Answers)."""
    return md.split("## Solution", 1)[-1].split("## Answers", 1)[0]


def text_issues(md: str, key: dict) -> list[str]:
    """Every text check over a solution. The approx pairs are read in the steps and in each answer
    line separately (an answer that is a list of matrices is printed ``A, B \\approx A', B'``, a
    layout the pair check does not read)."""
    steps = steps_of(md)
    bad = check_approx_pairs(steps) + check_chains(md) + check_inline_math(md) + check_leftovers(md)
    bad += check_answers(md, key) + check_steps_agree_with_answers(md, key)
    bad += long_decimals(steps) + mixed_containers(md)
    return bad


def long_decimals(text: str) -> list[str]:
    """Decimals in the math with more than SIG significant digits (a value printed twice-rounded,
    or 20 digits beside 6); a spec's own numbers are short terminating decimals."""
    displays, inlines = math_spans(text)
    return [f"{d} has {significant(d)} significant digits" for math in displays + inlines
            for d in decimals_in(math) if significant(d) > render.SIG]


_MATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", re.S)


def mixed_containers(md: str) -> list[str]:
    """A vector or matrix with a fraction beside a decimal."""
    bad = []
    for body in _MATRIX.findall(md):
        if r"\frac" in body and re.search(r"(?<![\w{])\d+\.\d+", body):
            bad.append(f"a matrix mixes fractions and decimals: {body[:80]}")
    return bad


def displays(md: str) -> list[str]:
    return [m.strip() for m in DISPLAY.findall(md)]


PDFLATEX = shutil.which("pdflatex")


def overfull_boxes(p, folder) -> list[float]:
    """Widths (pt) of the overfull lines of the problem's compiled LaTeX solution."""
    (folder / "doc.tex").write_text(api.render_solution(p, format="tex"), encoding="utf-8")
    result = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
                            cwd=folder, capture_output=True, text=True, errors="replace", timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    log = (folder / "doc.log").read_text(errors="replace")
    return [float(w) for w in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)]
