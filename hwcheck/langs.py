"""The languages hwcheck writes in: one folder of templates each (``templates/<lang>/``).

Only the standard library is imported, so ``hwcheck --help`` can list the languages cheaply.
A language folder is one that holds ``solution.md.j2``; ``templates/html/`` (the HTML page
shell, which has no sentences) is not a language.

>>> "en" in languages() and "fa" in languages()
True
>>> direction("fa"), direction("en")
('rtl', 'ltr')
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from hwcheck.errors import HwcheckError

DEFAULT = "en"
RTL = frozenset({"fa", "ar", "he", "ur"})  # languages written right to left


def templates_root() -> Path:
    """The templates folder: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / DEFAULT).is_dir():
            return candidate
    raise FileNotFoundError(f"hwcheck's templates were not found beside {here}")  # a packaging bug


@lru_cache(maxsize=None)
def languages() -> tuple[str, ...]:
    """The languages found in the templates folder, sorted."""
    root = templates_root()
    return tuple(sorted(p.name for p in root.iterdir() if (p / "solution.md.j2").is_file()))


def check(lang: str) -> str:
    """``lang`` if hwcheck has templates for it; else one clear error that lists the languages.

    >>> check("de")
    Traceback (most recent call last):
    ...
    hwcheck.langs.UnknownLanguage: unknown language 'de' for --lang; expected one of: en, fa
    """
    if lang not in languages():
        raise UnknownLanguage(lang)
    return lang


def direction(lang: str) -> str:
    """``rtl`` or ``ltr``: the direction a document in ``lang`` is written in."""
    return "rtl" if lang.split("-")[0] in RTL else "ltr"


class UnknownLanguage(HwcheckError):
    def __init__(self, lang: str):
        super().__init__(f"unknown language {lang!r} for --lang; expected one of: {', '.join(languages())}")
        self.lang = lang
