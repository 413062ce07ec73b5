"""Right-to-left text with left-to-right runs inside it: where those runs are.

A Persian sentence holds formulas, numbers, code and Latin names that must read left to
right: ``-2`` must not show as ``2-``, and ``(1, -2, 3)`` must keep its order. Unicode's
bidi algorithm gets these wrong at the edges (a leading minus sign, brackets, commas
between numbers), so hwcheck isolates each run: ``<bdi dir="ltr">`` in HTML
(``hwcheck.html``), ``\\lr{...}`` in XeLaTeX with xepersian (``md2tex`` for ``--lang fa``).

>>> text = "بردار (1, -2, 3) و مقدار ReLU) است"
>>> [text[a:b] for a, b in ltr_runs(text)]
['(1, -2, 3)', 'ReLU']
>>> mixed = "the phrase تقارن وزن‌ها, twice"
>>> [mixed[a:b] for a, b in rtl_runs(mixed)] == ["تقارن وزن\u200cها"]
True
"""

from __future__ import annotations

import re
from typing import Iterator

ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_NOT_ARABIC_SPAN = re.compile(f"[^{ARABIC}]+")
# From an opening bracket, sign or Latin letter/digit to the last Latin letter, digit or closer.
_LTR_CORE = re.compile(r"[(\[{]*[-+\u2212]?[A-Za-z0-9].*[A-Za-z0-9)\]}%°'′]|[(\[{]*[-+\u2212]?[A-Za-z0-9]", re.S)
_RTL_RUN = re.compile(f"[{ARABIC}](?:[{ARABIC}\u200c\u200d\\s]*[{ARABIC}])?")
_PAIRS = {")": "(", "]": "[", "}": "{"}
_LATIN = re.compile("[A-Za-z0-9]")


def _balanced(core: str) -> str:
    """Trim leading openers and trailing closers that have no partner inside ``core``: the other
    half is in the surrounding right-to-left text and must stay there.

    >>> _balanced("ReLU)"), _balanced("(1, 2)"), _balanced("(x")
    ('ReLU', '(1, 2)', 'x')
    """
    changed = True
    while changed and core:
        changed = False
        for close, open_ in _PAIRS.items():
            if core.endswith(close) and core.count(close) > core.count(open_):
                core, changed = core[:-1], True
            if core.startswith(open_) and core.count(open_) > core.count(close):
                core, changed = core[1:], True
    return core


def ltr_runs(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each left-to-right run (Latin letters, digits and the signs, brackets and
    separators between them) in text that is otherwise right to left."""
    for span in _NOT_ARABIC_SPAN.finditer(text):
        found = _LTR_CORE.search(span.group())
        if not found:
            continue
        core = _balanced(found.group())
        if not _LATIN.search(core):
            continue
        start = span.start() + found.start() + found.group().index(core)
        yield start, start + len(core)


def rtl_runs(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each run of Arabic-script words (with the spaces and ZWNJs between them)."""
    for run in _RTL_RUN.finditer(text):
        yield run.start(), run.end()


def wrap(text: str, spans, outside, inside) -> str:
    """``text`` with ``inside(piece)`` for each span and ``outside(piece)`` for the rest."""
    out, pos = [], 0
    for start, end in spans:
        out.append(outside(text[pos:start]))
        out.append(inside(text[start:end]))
        pos = end
    out.append(outside(text[pos:]))
    return "".join(out)
