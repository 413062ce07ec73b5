"""concept: rubric matching of free text (English and Persian), normalisation, bounds, refusals.

The oracle for "matching is spelling-independent" is the clean text itself: a
text perturbed only in ways the normalisation promises to ignore (Arabic
letter variants, ZWNJ/ZWJ, tatweel, diacritics, Persian digits, case, a space
or nothing between Persian letters) must match exactly the same rubric items.
"""

import glob
import random
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck import api, render
from hwcheck.errors import ParseError, SpecError
from hwcheck.kinds.concept import MAX_TEXT, grade_text
from hwcheck.textnorm import match_form, normalize

from conftest import PROBLEMS

IDS = ("concept-vanishing-gradients", "concept-zero-init", "concept-resnet-skip")

# Short excerpts of the student's own answers in /work/shared/seeds/003_*.txt (homework 4,
# question 1 a, b, c). The seed was extracted without ZWNJ ("لایههای" for "لایه‌های").
SEED = {
    "concept-vanishing-gradients": (
        "بیشتر توابع فعالسازی رایج مشتقات کوچکی دارند، به خصوص زمانی که ورودیهای آنها در بازههای "
        "اشباع (خیلی بزرگ یا خیلی کوچک) قرار بگیرند. "
        "در فرآیند پسانتشار، گرادیان هر لایه با مشتقات لایههای قبلی ضرب میشود. در شبکههای عمیق، "
        "این ضربهای مکرر منجر به کوچک شدن سریع مقادیر گرادیان در لایههای اولیه میشود. به عبارتی، "
        "اثر زنجیرهای باعث کاهش نمایی گرادیانها میشود. "
        "توابع فعالسازی پیشرفته مانند ReLU و نسخههای اصلاحشده آن مثل Leaky ReLU ... "
        "استفاده از تکنیکهایی مانند Batch Normalization ... "
        "برخی معماریها از روشهایی مانند Gradient Clipping برای محدود کردن مقدار گرادیانهای بزرگ یا "
        "کوچک استفاده میکنند."
    ),
    "concept-zero-init": (
        "اگر وزنهای اولیه، از جمله مقادیر فیلترهای پیچشی، صفر مقداردهی شوند؛ خروجی تمام نرونهای شبکه "
        "یکسان خواهد بود که این یکسانی خروجی منجر به تولید گرادیانهای مشابه برای تمام نرونها در "
        "فرآیند پسانتشار میشود، در نتیجه، همه وزنها بهطور یکسان بهروزرسانی میشوند و شبکه نمیتواند "
        "ویژگیهای متفاوتی از داده را یاد بگیرد. "
        "مقداردهی Xavier برای شبکههایی که از توابع فعالسازی مانند Sigmoid یا Tanh استفاده میکنند، "
        "طراحی شده است. ... این روش تضمین میکند که واریانس خروجی هر لایه نزدیک به مقدار ورودی آن باشد. "
        "توابع ReLU مقادیر منفی را صفر میکنند، بنابراین تنها نیمی از خروجیها در هر لایه فعال باقی میمانند."
    ),
    "concept-resnet-skip": (
        "گرادیانها در طول پسانتشار از طریق زنجیره ضربی توابع فعالسازی کوچکتر میشوند، که باعث ناپدید "
        "شدن گرادیان میشود. اتصالات میانبر، مسیر مستقیمتری برای انتقال گرادیان از لایههای انتهایی به "
        "لایههای ابتدایی فراهم میکنند. "
        "در شبکههای عمیق استاندارد، افزودن لایههای بیشتر ممکن است باعث افزایش خطا در آموزش و تست شود. "
        "در ResNet، اتصالات میانبر به شبکه اجازه میدهند به راحتی یک نگاشت هویت را پیادهسازی کند، زیرا "
        "اگر $F(x)=0$ باشد، بلوک Residual به سادگی $y=x$ را بازتولید میکند."
    ),
}
# What each excerpt says, item by item (read off the excerpt by hand).
SEED_COVERS = {
    "concept-vanishing-gradients": {"chain_rule_product", "small_derivatives", "exponential_decay",
                                    "early_layers", "relu", "normalization", "clipping_or_init"},
    "concept-zero-init": {"symmetry", "same_gradients", "no_distinct_features", "xavier_variance",
                          "keep_variance", "he_relu"},
    "concept-resnet-skip": {"gradient_path", "vanishing", "identity", "residual_function", "degradation"},
}
OFF_TOPIC = [
    "",
    "   \n\t ",
    "I like pizza and football; the weather was nice today.",
    "امروز هوا آفتابی است و ما به پارک رفتیم.",
    "امروز هوا آفتابي است و ما به پارك رفتيم.",
]


def problem(pid):
    return api.load_problem(PROBLEMS / f"{pid}.yaml")


def load(text):
    return api.load_problem_text(text)


# -- the shipped problems --------------------------------------------------------------

@pytest.mark.parametrize("pid", IDS)
def test_seed_answer_gets_most_points(pid):
    p = problem(pid)
    r = grade_text(p.given, SEED[pid])
    assert set(r["matched"]) == SEED_COVERS[pid], r["evidence"]
    assert r["fraction"] >= 0.7
    assert r["verdict"] == "needs_review" and not r["truncated"]
    assert set(r["matched"]) | set(r["missed"]) == {item["id"] for item in p.given.rubric}
    assert r["points"] == sum(item["points"] for item in p.given.rubric if item["id"] in r["matched"])


SEED_FILES = sorted(glob.glob("/work/shared/seeds/003_*.txt"))


@pytest.mark.skipif(not SEED_FILES, reason="the course seed is not available here")
def test_whole_seed_answers():
    text = Path(SEED_FILES[0]).read_text(encoding="utf-8")
    a = text[text.index("الف)"):text.index("ب) در شبکه")]
    b = text[text.index("ب) در شبکه"):text.index("ج) در شبکه")]
    c = text[text.index("ج) در شبکه"):text.index("$$X =")]
    for pid, answer in zip(IDS, (a, b, c)):
        assert grade_text(problem(pid).given, answer)["fraction"] >= 0.8, pid


@pytest.mark.parametrize("pid", IDS)
def test_model_answer_covers_rubric(pid):
    p = problem(pid)
    answer = api.solve(p).answers["answer"]
    assert isinstance(answer, str) and answer
    r = grade_text(p.given, answer)
    assert r["missed"] == [] and r["fraction"] == 1.0


@pytest.mark.parametrize("pid", IDS)
@pytest.mark.parametrize("text", OFF_TOPIC)
def test_off_topic_matches_nothing(pid, text):
    r = grade_text(problem(pid).given, text)
    assert r["matched"] == [] and r["points"] == 0 and r["fraction"] == 0.0
    assert r["empty"] == (not text.strip())


def test_none_is_empty_and_lists_are_unreadable():
    g = problem(IDS[0]).given
    assert grade_text(g, None)["empty"]
    with pytest.raises(ParseError):
        grade_text(g, ["relu"])
    with pytest.raises(ParseError):
        grade_text(g, {"a": "relu"})
    assert grade_text(problem("concept-resnet-skip").given, 152)["matched"] == ["depth_works"]


def test_other_question_answer_scores_low():
    # the student's answer to question 1c, graded against 1b's rubric
    r = grade_text(problem("concept-zero-init").given, SEED["concept-resnet-skip"])
    assert r["fraction"] < 0.3


# -- normalisation: variants match the same ----------------------------------------------

ARABIC_LETTERS = set(chr(c) for c in range(0x0621, 0x064B)) | set("پچژکگی")
VARIANTS = {"ی": "يى", "ک": "ك", "ه": "ةۀ", "ا": "أإآ", "و": "ؤ", "۰": "0"}
INVISIBLE = ["\u200c", "\u200d", "\u0640", "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u064b"]
PERSIAN_DIGITS = {str(i): chr(0x06F0 + i) for i in range(10)}


def perturb(text: str, rng: random.Random) -> str:
    """Change the spelling of ``text`` only in ways the normalisation ignores."""
    out = []
    for i, ch in enumerate(text):
        arabic = ch in ARABIC_LETTERS
        if ch in VARIANTS and rng.random() < 0.5:
            ch = rng.choice(VARIANTS[ch])
        elif ch.isdigit() and ch.isascii() and rng.random() < 0.5:
            ch = PERSIAN_DIGITS[ch]
        elif ch.isascii() and ch.isalpha() and rng.random() < 0.3:
            ch = ch.swapcase()
        elif ch == " " and 0 < i < len(text) - 1 and text[i - 1] in ARABIC_LETTERS \
                and text[i + 1] in ARABIC_LETTERS and rng.random() < 0.3:
            ch = rng.choice(["\u200c", "", "  ", "\n"])  # ZWNJ, nothing, more white space
        out.append(ch)
        if arabic and rng.random() < 0.15:
            out.append(rng.choice(INVISIBLE))
        elif rng.random() < 0.02:
            out.append("\u200c")
    return "".join(out)


@settings(max_examples=30, deadline=None)
@given(pid=st.sampled_from(IDS), seed=st.integers(0, 2**32 - 1))
def test_variant_spellings_match_the_same(pid, seed):
    g = problem(pid).given
    clean = grade_text(g, SEED[pid])
    noisy_text = perturb(SEED[pid], random.Random(seed))
    noisy = grade_text(g, noisy_text)
    assert noisy["matched"] == clean["matched"]
    assert match_form(noisy_text) == match_form(SEED[pid])


def test_zwnj_and_arabic_letters_match_clean_text():
    g = problem("concept-vanishing-gradients").given
    clean = "گرادیان در لایه‌های اولیه کوچک می‌شود"
    for text in ("گرادیان در لایه\u200cهای اولیه کوچک می\u200cشود",   # ZWNJ as the rubric writes it
                 "گرادیان در لایههای اولیه کوچک میشود",              # no ZWNJ (the seed)
                 "گرادیان در لایه های اولیه کوچک می شود",            # a space for the ZWNJ
                 "گراديان در لايه‌هاي اوليه كوچك مي‌شود",             # Arabic yeh and kaf
                 "گرادیـــان در لایه‌های اوّلیه کوچک می‌شود"):        # tatweel, shadda
        assert grade_text(g, text)["matched"] == grade_text(g, clean)["matched"] == ["early_layers"], text


def test_english_case_hyphens_and_word_starts():
    g = load("{kind: concept, given: {question: q, rubric: [{id: skip, any: [skip connection]},"
             " {id: relu, points: 2, any: [ReLU]}]}}").given
    assert grade_text(g, "SKIP-CONNECTIONS and Leaky ReLU")["matched"] == ["skip", "relu"]
    assert grade_text(g, "PReLU only")["matched"] == []          # 'relu' must start a word
    assert grade_text(g, "از ReLU استفاده")["points"] == 2
    assert normalize("Ｒｅｌｕ") == "relu"                        # full-width letters (NFKC)


# -- bounds -----------------------------------------------------------------------------

def test_huge_text_is_bounded():
    g = problem("concept-vanishing-gradients").given
    head = "The early layers learn slowly. "
    text = head + "x" * 1_000_000 + " relu batch normalization"
    start = time.perf_counter()
    r = grade_text(g, text)
    assert time.perf_counter() - start < 5
    assert r["truncated"] and r["length"] == len(text) and r["limit"] == MAX_TEXT
    assert r["matched"] == ["early_layers"]                      # the tail is not read
    assert not grade_text(g, "relu " + "x" * (MAX_TEXT - 5))["truncated"]
    assert grade_text(g, "relu " + "x" * (MAX_TEXT - 4))["truncated"]


# -- solving, rendering -------------------------------------------------------------------

def test_without_a_model_answer_students_see_no_phrase_and_the_key_has_the_rubric(tmp_path):
    spec = tmp_path / "c.yaml"
    spec.write_text("{kind: concept, given: {question: 'Why?', rubric: [{id: a, any: [chain rule, ضرب]},"
                    " {id: b, points: 0.5, any: [saturat]}]}}", encoding="utf-8")
    p = api.load_problem(spec)
    sol = api.solve(p)
    assert sol.answers["answer"] is None
    md = api.render_solution(p, sol, format="md")
    for leak in ("chain rule", "ضرب", "saturat", "rubric", "20000", "20 000"):
        assert leak not in md
    assert "none was written" in md
    api.write_keys([spec], out=tmp_path / "out", figures=False)
    key = (tmp_path / "out" / "KEY.md").read_text(encoding="utf-8")
    assert "`ضرب`" in key and r"($\frac{1}{2}$ pts)" in key and r"($\frac{3}{2}$ points in all)" in key
    assert "20 000 characters" in key and "needs review" in key
    assert grade_text(p.given, "saturated units")["points"] == 0.5


@pytest.mark.parametrize("pid", IDS)
def test_students_see_the_model_answer_not_the_rubric(pid):
    p = api.load_problem(PROBLEMS / f"{pid}.yaml")
    md = api.render_solution(p, format="md")
    model = " ".join(p.given.model_answer.split())
    assert model in " ".join(md.replace("> ", "").split())
    assert "rubric" not in md.lower() and "20000" not in md and "20 000" not in md
    for item in p.given.rubric:
        assert f"`{item['id']}`" not in md
        for phrase in item["any"]:
            assert f"`{phrase.strip()}`" not in md


def test_string_answers_render_as_text_without_eval():
    hostile = "__import__('os').system('echo pwned') & 50% of $x$"
    assert render.tex(hostile).startswith(r"\text{") and r"\&" in render.tex(hostile)
    assert render.is_whole(hostile) is True
    assert render.json_value(hostile) == hostile and render.exact_text(hostile) == hostile
    assert render.tex("1/8") == r"\frac{1}{8}"                  # a math string stays math


# -- refusals -----------------------------------------------------------------------------

BASE = "{kind: concept, given: {question: q, rubric: %s}}"


@pytest.mark.parametrize("rubric, key", [
    ("[{id: a, any: [x]}, {id: a, any: [y]}]", "given.rubric[1].id"),       # duplicate id
    ("[{id: a, any: ['\u200c -']}]", "given.rubric[0].any[0]"),             # empty after normalising
    ("[{id: a, any: [[x]]}]", "given.rubric[0].any[0]"),                   # a list for a phrase
    ("[{id: a, any: []}]", "given.rubric[0].any"),                          # no phrase
    ("[{id: a, points: 0, any: [x]}]", "given.rubric[0].points"),           # points not positive
    ("[{id: a, any: [x], weight: 2}]", "given.rubric[0].weight"),           # unknown key
    ("[{id: a, any: ['%s']}]" % ("x" * 201), "given.rubric[0].any[0]"),     # phrase too long
    ("[]", "given.rubric"),                                                 # empty rubric
])
def test_bad_rubric_refused(rubric, key):
    with pytest.raises(SpecError) as info:
        load(BASE % rubric)
    assert info.value.key == key, str(info.value)


def test_model_answer_must_cover_rubric():
    with pytest.raises(SpecError) as info:
        load("{kind: concept, given: {question: q, model_answer: 'uses relu',"
             " rubric: [{id: relu, any: [relu]}, {id: bn, any: [batch norm]}]}}")
    assert info.value.key == "given.model_answer" and "bn" in str(info.value)


def test_empty_question_refused():
    with pytest.raises(SpecError) as info:
        load("{kind: concept, given: {question: '  ', rubric: [{id: a, any: [x]}]}}")
    assert info.value.key == "given.question"
