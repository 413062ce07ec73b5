"""Normalising free text (English, Persian, Arabic) before phrases are matched.

Students type the same word in many byte sequences: Arabic or Persian yeh and
kaf, with or without the zero-width non-joiner (ZWNJ) between ``می`` and the
verb, with tatweel or diacritics, with Persian or Arabic-Indic digits, with
upper- or lower-case English. ``normalize`` maps all of these to one form; a
rubric phrase and a student's text are both normalised and then compared.

>>> normalize("لایه\u200cهای اولیه") == normalize("لايههاي اوليه")
True
>>> normalize("  Vanishing\\n  GRADIENTS ")
'vanishing gradients'
>>> normalize("۱۵۰ لایه و ٣ بلوک")
'150 لایه و 3 بلوک'
>>> normalize("Skip-connections")
'skip connections'
>>> contains(match_form("the ReLU activation"), match_form("relu"))
True
>>> contains(match_form("PReLU"), match_form("relu"))  # English phrases start at a word
False
>>> contains(match_form("حاصل‌ضرب مشتق‌ها"), match_form("ضرب"))  # Persian ones need not
True
>>> match_form("لایه های اولیه") == match_form("لایه‌های اولیه") == match_form("لایههای اولیه")
True
"""

from __future__ import annotations

import re
import unicodedata

# Letters written in several ways: Arabic forms -> the Persian form used here.
_LETTERS = {
    "\u064A": "\u06CC",  # ي Arabic yeh -> ی Farsi yeh
    "\u0649": "\u06CC",  # ى alef maksura -> ی
    "\u06D2": "\u06CC",  # ے yeh barree -> ی
    "\u0626": "\u06CC",  # ئ yeh with hamza -> ی
    "\u0643": "\u06A9",  # ك Arabic kaf -> ک keheh
    "\u0629": "\u0647",  # ة teh marbuta -> ه
    "\u06C0": "\u0647",  # ۀ heh with yeh above -> ه
    "\u06C1": "\u0647",  # ہ heh goal -> ه
    "\u06D5": "\u0647",  # ە ae -> ه
    "\u0623": "\u0627",  # أ alef with hamza above -> ا
    "\u0625": "\u0627",  # إ alef with hamza below -> ا
    "\u0622": "\u0627",  # آ alef with madda -> ا (students often drop the madda)
    "\u0671": "\u0627",  # ٱ alef wasla -> ا
    "\u0624": "\u0648",  # ؤ waw with hamza -> و
}
# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits -> ASCII.
_DIGITS = {0x06F0 + i: str(i) for i in range(10)} | {0x0660 + i: str(i) for i in range(10)}
# Removed outright: zero-width (non-)joiners and spaces, bidi marks, BOM, tatweel.
_INVISIBLE = "\u200B\u200C\u200D\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u2060\uFEFF\u0640"
# Arabic diacritics (harakat, shadda, sukun, hamza marks, superscript alef, Quranic marks).
_DIACRITICS = re.compile("[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED]")
# Hyphens and underscores join words in English ("skip-connection"); read them as spaces.
_JOINERS = re.compile("[-_\u2010\u2011\u2012\u2013\u2014\u2212]")
_SPACES = re.compile(r"\s+")
# A space between two Arabic-script letters (students type a space, a ZWNJ or nothing alike).
_ARABIC_GAP = re.compile("(?<=[\u0621-\u064A\u066E-\u06D5\u06FA-\u06FF]) (?=[\u0621-\u064A\u066E-\u06D5\u06FA-\u06FF])")

_TABLE = str.maketrans({**{ord(k): v for k, v in _LETTERS.items()}, **_DIGITS,
                        **{ord(c): None for c in _INVISIBLE}})


def normalize(text: str) -> str:
    """One canonical form of ``text`` for matching.

    Unicode NFKC (presentation forms, full-width letters, no-break spaces);
    Arabic letter variants to Persian ones (ي ى -> ی, ك -> ک, ة ۀ -> ه,
    أ إ آ -> ا); Persian and Arabic-Indic digits to ASCII; zero-width
    joiners and non-joiners, bidi marks and tatweel removed; Arabic diacritics
    removed; case folded; hyphens and underscores read as spaces; runs of
    white space collapsed to one space.

    >>> normalize("كتابٌ  جديدة")
    'کتاب جدیده'
    >>> normalize("ﻻ")  # a presentation-form ligature
    'لا'
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_TABLE)
    text = _DIACRITICS.sub("", text)
    text = text.casefold()
    text = _JOINERS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def match_form(text: str) -> str:
    """``normalize(text)`` with the spaces between two Arabic-script letters removed.

    Persian writes the boundary inside a word (``لایه‌ها``, ``می‌شود``) with a
    ZWNJ, a space or nothing, and students use all three; removing the ZWNJ
    and these spaces makes the three the same. Compare match forms, show
    normalised text.

    >>> match_form("قاعده زنجیره‌ای and ReLU")
    'قاعدهزنجیرهای and relu'
    """
    return _ARABIC_GAP.sub("", normalize(text))


def contains(text: str, phrase: str) -> bool:
    """True when ``phrase`` occurs in ``text`` (both already in ``match_form``).

    A phrase that starts with a Latin letter or digit must start a word
    (``relu`` does not match inside ``prelu``); its end is free, so a stem
    matches its inflections (``saturat`` matches ``saturated``). Persian and
    Arabic phrases may occur anywhere: once the ZWNJ is gone, prefixes and
    suffixes are written joined to the word (``لایه‌ها`` -> ``لایهها``).

    >>> contains("gradient clipping", "clip"), contains("an eclipse", "clip"), contains("ازrelu", "relu")
    (True, False, True)
    >>> contains("gradient clipping", "clipping"), contains("", "x"), contains("x", "")
    (True, False, False)
    """
    if not phrase:
        return False
    if not (phrase[0].isascii() and phrase[0].isalnum()):
        return phrase in text
    start = text.find(phrase)
    while start != -1:
        if start == 0 or not _latin_word_char(text[start - 1]):
            return True
        start = text.find(phrase, start + 1)
    return False


def _latin_word_char(ch: str) -> bool:
    # A Persian letter right before an English word ("بهReLU") is a word boundary.
    return ch.isalnum() and not "\u0600" <= ch <= "\u06FF"


# -- numbers written with Persian digits and separators ------------------------------

_PERSIAN_OUT = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Persian (۰–۹) and Arabic-Indic (٠–٩) digits, and ٫ (U+066B, the Arabic decimal separator), one
# character for one character, so a caret under the text still points at the right place.
_NUMBER_TABLE = str.maketrans({**_DIGITS, 0x066B: "."})
_THOUSANDS = "\u066C"  # ٬ Arabic thousands separator
_GROUPED = re.compile(r"(?<![0-9.])[0-9]{1,3}(?:\u066C[0-9]{3})+(?![0-9\u066C])")


def persian_digits(value) -> str:
    """Prose digits for a Persian document: ``12`` -> ``۱۲`` (math keeps its ASCII digits).

    >>> persian_digits(2026), persian_digits("گام 3"), persian_digits(1.5)
    ('۲۰۲۶', 'گام ۳', '۱٫۵')
    """
    return re.sub(r"(?<=[0-9])\.(?=[0-9])", "\u066b", str(value)).translate(_PERSIAN_OUT)


def number_text(text: str) -> str:
    """A student's answer with Persian and Arabic-Indic digits read as ASCII ones: ``٫`` is the
    decimal point and ``٬`` the thousands separator (dropped only between groups of three digits).
    Nothing else changes: Latin look-alike letters are still refused by the parser.

    >>> number_text("۱٫۷۰۸۸"), number_text("-٠٫٥"), number_text("۱٬۲۳۴٬۵۶۷٫۵"), number_text("۲x^۲")
    ('1.7088', '-0.5', '1234567.5', '2x^2')
    >>> number_text("۱٬۲")  # not a thousands grouping: left for the parser to point at
    '1\u066c2'
    """
    if not any(ch in text for ch in "\u066b\u066c") and not any(
            0x0660 <= ord(ch) <= 0x0669 or 0x06F0 <= ord(ch) <= 0x06F9 for ch in text):
        return text
    text = text.translate(_NUMBER_TABLE)
    return _GROUPED.sub(lambda m: m.group().replace(_THOUSANDS, ""), text)
