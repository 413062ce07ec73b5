"""--format html: self-contained, script-free pages, sanitised, right to left done right (SPEC section 10)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from hwcheck import api, html
from hwcheck.spec import spec_files

from conftest import PROBLEMS

SPECS = spec_files([PROBLEMS])

# Hostile text: in statements, in answers, in rubric phrases.
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "$\\href{javascript:alert(1)}{x}$",
    "$\\text{<script>alert(1)</script>}$",
    "$\\text{<img src=x onerror=alert(1)>}$",
    "$x\\text{</math><script>alert(1)</script>}$",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<style>body{display:none}</style>",
    "evil\u202egnp.exe",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<a href='data:text/html,<script>alert(1)</script>'>x</a>",
]

# What a page may contain: every element, and where a URL may point.
SAFE_TAGS = html.HTML_TAGS | html.MATH_TAGS | html.SVG_TAGS | {"html", "head", "meta", "title", "style", "body"}


class _Audit(HTMLParser):
    """Everything active in a page: a tag outside the allow-list, an event handler, a URL that is not
    a fragment, a relative page or http(s), a style outside the trusted <head>, a bidi control."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self.in_head = [], False

    def handle_starttag(self, tag, attrs):
        if tag == "head":
            self.in_head = True
        if tag not in {t.lower() for t in SAFE_TAGS}:
            self.found.append(f"<{tag}>")
        if tag == "style" and not self.in_head and not self._in_svg:
            self.found.append("<style> in the body")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "xlink:href", "src", "action", "formaction", "background"):
                if not (value.startswith("#") or value.startswith("https://") or value.startswith("http://")
                        or value.startswith("mailto:") or re.fullmatch(r"[\w.-]+\.(html|md)", value)):
                    self.found.append(f"{tag} {name}={value[:30]}")
            if name == "style" and ("url(" in value or "expression" in value):
                self.found.append(f"{tag} style={value[:30]}")
        if tag == "svg":
            self._svg_depth += 1

    _svg_depth = 0

    @property
    def _in_svg(self):
        return self._svg_depth > 0

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False
        if tag == "svg":
            self._svg_depth -= 1

    def handle_data(self, data):
        if re.search("[\u202a-\u202e\u2066-\u2069]", data):
            self.found.append("bidi control")


def active_content(page: str) -> list[str]:
    audit = _Audit()
    audit.feed(page)
    return audit.found


def test_page_is_self_contained():
    page = api.solve_file(PROBLEMS / "conv2d-backprop-4x4.yaml", format="html")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en" dir="ltr">' in page
    assert "<script" not in page and "<link" not in page and "http://" not in page.split("<body>")[1]
    assert "<math" in page and "<mtable>" in page and "font-family" in page and "STIX Two Math" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("lang", ["en", "fa"])
def test_hostile_statement_leaves_nothing_active(text, lang):
    spec = {"kind": "init_bounds", "title": "T " + text, "statement": "Look: " + text + "\n\nand " + text,
            "given": {"scheme": "he_normal", "n_in": 50, "n_out": 10}}
    problem = api.load_problem_text(json.dumps(spec))
    page = api.render_solution(problem, format="html", lang=lang)
    assert active_content(page) == [], text
    assert "<title>" in page and "<script" not in page


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_answers_leave_nothing_active(text, tmp_path):
    folder = tmp_path / "problems"
    folder.mkdir()
    for name in ("init-xavier-tanh-dense.yaml", "concept-zero-init.yaml", "chain-sin-square.yaml"):
        (folder / name).write_text((PROBLEMS / name).read_text(encoding="utf-8"), encoding="utf-8")
    sub = tmp_path / "s.json"
    sub.write_text(json.dumps({"student": "s-1", "answers": {
        "init-xavier-tanh-dense": {"bound": text}, "concept-zero-init": {"answer": text},
        "chain-sin-square": {"derivative": text, "value": [text]}}}), encoding="utf-8")
    for lang in ("en", "fa"):
        page = api.grade_file(sub, problems=folder, format="html", lang=lang)
        assert active_content(page) == [], (lang, text)


def test_hostile_rubric_phrases_leave_nothing_active():
    spec = {"kind": "concept", "statement": "Why?", "given": {
        "question": "Why <script>alert(1)</script>?",
        "rubric": [{"id": "a<svg onload=alert(1)>", "points": 1,
                    "any": ["<img src=x onerror=alert(1)>", "$\\text{<script>}$", "javascript:alert(1)"]}],
        "model_answer": "<script>alert(1)</script> [x](javascript:alert(1))"}}
    problem = api.load_problem_text(json.dumps(spec))
    for lang in ("en", "fa"):
        assert active_content(api.render_solution(problem, format="html", lang=lang)) == []


def test_bidi_override_is_shown_not_obeyed():
    out = html.fragment("file evil\u202egnp.exe", "en")
    assert "\u202e" not in out and "[U+202E]" in out


def test_text_in_math_cannot_become_markup():
    out = html.fragment("$\\text{<script>alert(1)</script>} + \\href{javascript:alert(1)}{x}$", "en")
    assert "<script" not in out and "javascript" not in out and "href" not in out and "<mi>x</mi>" in out


def _math_tags(fragment: str) -> list[str]:
    return re.findall(r"<(m[a-z]+|math)\b", fragment)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_allow_list_keeps_every_mathml_element_we_emit(path):
    """Sanitising drops nothing from the MathML of the shipped documents (the allow-list is complete)."""
    text = api.solve_file(path, format="md")
    for m in re.finditer(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", text, re.S):
        tex = m.group(1) or m.group(2)
        raw = html.math(tex, display=m.group(1) is not None)
        assert 'class="tex"' not in raw, f"latex2mathml could not read: {tex[:80]}"
        clean = html.sanitize(raw)
        assert _math_tags(clean) == _math_tags(raw), tex[:80]
        for attr in set(re.findall(r' ([a-z-]+)="', raw)):
            assert f' {attr}="' in clean, f"attribute {attr} dropped from {tex[:60]}"


# -- right to left, on real strings ---------------------------------------------------

def test_minus_sign_stays_in_front_in_persian():
    out = html.fragment("مقدار گرادیان -2 است.", "fa")
    assert '<bdi dir="ltr">-2</bdi>' in out


def test_a_vector_keeps_its_order():
    out = html.fragment("بردار (1, -2, 3) را در نظر بگیرید؛ مقدارهای 0.5، -1.25 و 3 هستند.", "fa")
    assert '<bdi dir="ltr">(1, -2, 3)</bdi>' in out
    assert '<bdi dir="ltr">0.5</bdi>' in out and '<bdi dir="ltr">-1.25</bdi>' in out


def test_code_span_and_math_are_left_to_right():
    out = html.fragment("تابع `torch.relu(x)` و $x_1 = -2$ را ببینید.", "fa")
    assert '<code dir="auto">torch.relu(x)</code>' in out
    assert '<math display="inline" dir="ltr">' in out and "<mo>−</mo><mn>2</mn>" in out


def test_persian_page_is_right_to_left_with_persian_fonts():
    page = api.solve_file(PROBLEMS / "softmax-ce-three-classes.yaml", format="html", lang="fa")
    assert '<html lang="fa" dir="rtl">' in page and "Vazirmatn" in page and "Noto Naskh Arabic" in page
    assert "راه‌حل" in page and "<math" in page


def test_persian_runs_are_isolated_in_an_english_page():
    out = html.fragment("the phrase `تقارن` and تقارن وزن‌ها, twice", "en")
    assert '<bdi dir="rtl">تقارن وزن\u200cها</bdi>' in out and '<code dir="auto">تقارن</code>' in out


# -- figures, keys, grade batches -------------------------------------------------------

def test_figures_are_inlined_as_sanitised_svg(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "gd.html"
    written = api.write_solution(PROBLEMS / "gd-bowl-too-large.yaml", out, format="html")
    assert written == [out]  # nothing beside the page
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") >= 2 and "<figcaption" in page and "<path" in page
    assert "<script" not in page and "xlink:href=\"http" not in page and active_content(page) == []


def test_sanitize_svg_removes_active_parts():
    svg = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script>'
           '<a href="javascript:alert(1)"><path d="M0 0"/></a><use xlink:href="http://x/y#z"/><use href="#p1"/>'
           '<foreignObject><img src=x onerror=alert(1)></foreignObject><style>@import url(http://x);</style></svg>')
    clean = html.sanitize_svg(svg)
    assert "script" not in clean and "onload" not in clean and "javascript" not in clean and "http://x" not in clean
    assert "foreignObject" not in clean and "onerror" not in clean and "@import" not in clean
    assert '<path d="M0 0">' in clean and 'href="#p1"' in clean


def test_key_writes_linked_pages(tmp_path):
    folder = tmp_path / "problems"
    folder.mkdir()
    for name in ("init-xavier-tanh-dense.yaml", "chain-sin-square.yaml"):
        (folder / name).write_text((PROBLEMS / name).read_text(encoding="utf-8"), encoding="utf-8")
    api.write_keys([folder], out=tmp_path / "out", lang="fa", format="html", figures=False)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "KEY.html" in names and "init-xavier-tanh-dense.html" in names and "KEY.md" in names
    key = (tmp_path / "out" / "KEY.html").read_text(encoding="utf-8")
    assert 'href="chain-sin-square.html"' in key and "کلید پاسخ‌ها" in key


def test_grade_batch_writes_html_reports(tmp_path):
    folder = tmp_path / "problems"
    folder.mkdir()
    (folder / "a.yaml").write_text((PROBLEMS / "init-xavier-tanh-dense.yaml").read_text(encoding="utf-8"),
                                   encoding="utf-8")
    sub = tmp_path / "s.json"
    sub.write_text(json.dumps({"student": "s-1", "answers": {"init-xavier-tanh-dense": {"bound": "1/8"}}}))
    result = api.grade_files([sub], problems=folder, out=tmp_path / "out", format="html")
    written = {p.name for p in result.written}
    assert {"s-1.html", "summary.html"} <= written
