"""Persian: digits and separators in answers, Persian grade reports, right-to-left text (SPEC section 10)."""

from __future__ import annotations

import json

import pytest

from hwcheck import api, render
from hwcheck.grade import batch
from hwcheck.grade.parse import Unreadable, read_scalar
from hwcheck.textnorm import number_text, persian_digits

from conftest import PROBLEMS


@pytest.mark.parametrize("text, plain", [
    ("۱٫۷۰۸۸", "1.7088"), ("٠٫١٢٥", "0.125"), ("-۰٫۵", "-0.5"), ("۱/۸", "1/8"), ("۱۲۳۴", "1234"),
    ("۱٬۲۳۴٬۵۶۷", "1234567"), ("۱٬۲۳۴٫۵", "1234.5"), ("۲x^۲", "2x^2"), ("sqrt(۶/۳۸۴)", "sqrt(6/384)"),
    ("1.5", "1.5"), ("۱e-۳", "1e-3"),
])
def test_number_text(text, plain):
    assert number_text(text) == plain


def test_number_text_keeps_offsets_for_the_caret():
    for text in ("۱٫۷۰۸۸", "۲x^۲ + ۳", "٠٫١٢٥"):
        assert len(number_text(text)) == len(text)


@pytest.mark.parametrize("text, value", [("۱٫۷۰۸۸", "1.7088"), ("٠٫١٢٥", "1/8"), ("۱/۸", "1/8"),
                                         ("۱٬۰۰۰", "1000"), ("-۲", "-2"), ("۳e-۲", "3/100")])
def test_persian_numbers_are_read_exactly(text, value):
    import sympy as sp

    assert read_scalar(text).exact == sp.Rational(value)


@pytest.mark.parametrize("text", ["2х", "۲х", "۱٫۲а", "۱٬۲"])  # Cyrillic х and а; ٬ not between groups of three
def test_lookalikes_and_bad_separators_are_still_refused(text):
    with pytest.raises(Unreadable):
        read_scalar(text, ("x",))


def test_persian_digits_filter():
    assert persian_digits(12) == "۱۲" and persian_digits(2.5) == "۲٫۵" and persian_digits("x_1") == "x_۱"


def _submission(tmp_path, answers: dict) -> str:
    path = tmp_path / "s-fa.json"
    path.write_text(json.dumps({"student": "s-fa", "answers": answers}, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _one_problem_folder(tmp_path, *names):
    folder = tmp_path / "problems"
    folder.mkdir()
    for name in names:
        (folder / name).write_text((PROBLEMS / name).read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_persian_digits_grade_correct_and_report_is_persian(tmp_path):
    problems = _one_problem_folder(tmp_path, "init-xavier-tanh-dense.yaml")
    sub = _submission(tmp_path, {"init-xavier-tanh-dense": {"bound": "۰٫۱۲۵"}})
    result = json.loads(api.grade_file(sub, problems=problems, format="json", lang="fa"))
    part = result["problems"]["init-xavier-tanh-dense"]["parts"]["bound"]
    assert part["verdict"] == "correct", part
    report = api.grade_file(sub, problems=problems, format="md", lang="fa")
    assert report.startswith("# کارنامه: s\\-fa")
    assert "درست است." in report and "Correct" not in report and "Total" not in report
    assert "**مجموع: ۲ از ۳ نمره**" in report and "پاسخی داده نشده است." in report


def test_persian_feedback_for_a_wrong_and_an_unreadable_answer(tmp_path):
    problems = _one_problem_folder(tmp_path, "init-xavier-tanh-dense.yaml", "chain-sin-square.yaml")
    sub = _submission(tmp_path, {"init-xavier-tanh-dense": {"bound": "1/9"},
                                 "chain-sin-square": {"derivative": "2х cos(x^2)"}})
    report = api.grade_file(sub, problems=problems, format="md", lang="fa")
    assert "نادرست" in report and "پاسخ شما: 1/9" in report
    assert "فقط شبیه «x» است" in report and "U+0445" in report  # the look-alike message, in Persian
    html = api.grade_file(sub, problems=problems, format="html", lang="fa")
    assert '<html lang="fa" dir="rtl">' in html and "نادرست" in html


def test_markdown_keeps_math_in_dollars_in_persian():
    text = api.solve_file(PROBLEMS / "softmax-ce-three-classes.yaml", lang="fa")
    assert "$$" in text and "## راه‌حل" in text and "### گام ۱." in text
    assert "p = \\operatorname{softmax}(z)" in text  # the labels (math) are the same in every language


def test_rtl_latex_isolates_left_to_right_runs():
    tex = render.md_to_tex("مقدار آن -2 است و بردار (1, -2, 3) و `x_1` را ببینید.", rtl=True)
    assert r"\lr{-2}" in tex and r"\lr{(1, -2, 3)}" in tex and r"\lr{\texttt{x\_1}}" in tex
    assert "2-" not in tex


def test_persian_tex_document_uses_xepersian():
    tex = api.solve_file(PROBLEMS / "init-xavier-tanh-dense.yaml", format="tex", lang="fa")
    assert r"\usepackage{xepersian}" in tex and r"\section*{راه‌حل}" in tex and "arabtex" not in tex
