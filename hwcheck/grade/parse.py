"""Parse phase: a student's raw answer, read against the key's shape, into a value tree.

The key says what is asked (a number, an expression, a vector, a map ...);
the raw answer (JSON/YAML value) is read accordingly. Text goes through the
allow-list parser ``hwcheck.expr.parse_expr`` (never ``eval``), with ``^`` for
powers and implicit products (``2x cos(x^2)``); ``$...$`` is LaTeX and goes
through ``hwcheck.latex_input.latex_to_plain`` first. An answer that cannot be
read raises ``Unreadable`` with a message code and its data; the wording lives
in ``templates/en/grade/messages.j2``.

>>> from hwcheck.grade.values import Num, Sym
>>> read(" 1/8 ", Num.of(sp.Rational(1, 8))).exact
1/8
>>> read("2x cos(x^2)", Sym(sp.Symbol("x")), variables=("x",)).expr
2*x*cos(x**2)
>>> try:
...     read("2х", Sym(sp.Symbol("x")), variables=("x",))    # a Cyrillic х
... except Unreadable as e:
...     print(e.code, e.data["suggest"])
lookalike x
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from decimal import Decimal
from math import gcd
from itertools import chain, repeat
from collections.abc import Mapping  # isinstance through typing.Mapping is several times slower
from typing import Any

import sympy as sp

from hwcheck.errors import ParseError
from hwcheck.expr import Limits, parse_expr
from hwcheck.grade import options, predicates
from hwcheck.grade.submission import Refused
from hwcheck.grade.values import Arr, Label, Map, Num, ReadNum, Seq, Sym, Value
from hwcheck.textnorm import number_text

# Numbers up to 10^300: float-sized, so no step needs SymPy at huge precision.
GRADE_LIMITS = Limits(max_length=2000, max_depth=60, max_exponent=1000, max_digits=300)
PARSE_SECONDS = 1.0  # in-process parsing of one entry (SymPy's automatic evaluation) is cut off after this

_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
_EXPONENT = re.compile(r"[0-9.][eE][+-]?([0-9]+)")
_FRACTION = re.compile(r"([+-]?[0-9]{1,300}) */ *([0-9]{1,300})")

# Characters that look like ASCII ones (the common cases on Persian/Russian/Greek keyboards
# and in word processors) -> what to type instead.
LOOKALIKES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y",
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "χ": "x", "ι": "i", "κ": "k",
    "−": "-", "–": "-", "—": "-", "×": "*", "·": "*", "⋅": "*", "÷": "/", "²": "^2", "³": "^3",
    "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " ", "\u200c": "", "٫": ".", "،": ",",
    "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4", "۵": "5", "۶": "6", "۷": "7", "۸": "8", "۹": "9",
    "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9",
}


class Unreadable(Exception):
    """An answer that cannot be read: ``code`` names the message, ``data`` fills it."""

    def __init__(self, code: str, **data):
        super().__init__(code)
        self.code, self.data = code, data

    def at(self, path: str) -> "Unreadable":
        """The same problem, located inside a list or map (``[1][2]``, ``.w``)."""
        self.data["path"] = path + self.data.get("path", "")
        return self


def pointed(exc: ParseError, width: int = 60) -> str:
    """``exc.pointed()`` on a window of the text around the bad character, printable only."""
    text, offset = exc.text or "", exc.offset
    if offset is not None and text and "\n" not in text:
        start = max(0, min(offset - width // 2, len(text) - width))
        window = text[start:start + width]
        window = "".join(c if c.isprintable() else "?" for c in window)
        prefix = "..." if start > 0 else ""
        suffix = "..." if start + width < len(text) else ""
        return ParseError(exc.message, prefix + window + suffix, offset - start + len(prefix)).pointed()
    return exc.message


def realign(exc: ParseError, original: str) -> ParseError:
    """Point into the text as the student wrote it, not as the parser rewrote it
    (``^`` became ``**``, ``*`` was inserted for implicit products).

    >>> realign(ParseError("bad", "2*x**y", 5), "2x^y").pointed()
    'bad\\n    2x^y\\n       ^'
    """
    source = exc.text or ""
    if exc.offset is None or not source or source == original:
        return exc
    text = original.strip()
    i = j = 0
    mapping = {}
    while j < len(source):
        mapping[j] = min(i, len(text))
        if i < len(text) and text[i] == source[j]:
            i += 1
            j += 1
        elif i < len(text) and text[i] == "^" and source.startswith("**", j):
            mapping[j + 1] = i
            i += 1
            j += 2
        else:  # an inserted '*'
            j += 1
    mapping[len(source)] = len(text)
    return ParseError(exc.message, text, mapping.get(exc.offset, min(exc.offset, len(text))))


def describe(raw: Any) -> dict:
    """What a raw value is, for a message: ``{"what": "list", "n": 3}``."""
    if raw is None:
        return {"what": "null"}
    if isinstance(raw, bool):
        return {"what": "boolean", "text": str(raw).lower()}
    if isinstance(raw, (int, Decimal, float)):
        return {"what": "number"}
    if isinstance(raw, str):
        return {"what": "text"}
    if isinstance(raw, list):
        return {"what": "list", "n": len(raw)}
    if isinstance(raw, Mapping):
        return {"what": "map", "keys": [str(k) for k in list(raw)[:5]]}
    return {"what": type(raw).__name__}


def expected_of(key: Value) -> dict:
    """What the key asks for, for a message."""
    if isinstance(key, Arr):
        return {"what": "vector" if key.is_vector else "matrix", "shape": key.shape, "n": key.size}
    if isinstance(key, Map):
        return {"what": "map", "keys": list(key.keys())}
    if isinstance(key, Seq):
        return {"what": "list", "n": len(key.items)}
    if isinstance(key, Sym):
        return {"what": "expression"}
    if isinstance(key, Label):
        return {"what": "word"}
    return {"what": "number"}


MAX_LIST_TEXT = 20_000  # characters of a list written as one string


def bracketed(text: str):
    """A list, tuple or matrix written as text (``"[[-1, 4], [6, 0]]"``, ``"(0.3692, 0.3692)"``) as nested
    lists of entry strings; None when the text is not one. No evaluation: brackets and commas only
    (an entry keeps its own parentheses: ``"[sqrt(2)/2, (1+x)]"`` has two entries).

    >>> bracketed("[[-1, 4], [6, 0]]"), bracketed("(0.3692, 0.3692)"), bracketed("[sqrt(2)/2, (1+x)]")
    ([['-1', '4'], ['6', '0']], ['0.3692', '0.3692'], ['sqrt(2)/2', '(1+x)'])
    >>> bracketed("(1+x)") is None, bracketed("[1, [2]") is None
    (True, True)
    """
    text = text.strip()
    if not text or text[0] not in "[(" or len(text) > MAX_LIST_TEXT:
        return None
    pairs = {"[": "]", "(": ")"}
    stack, close_of = [], {}
    for i, ch in enumerate(text):
        if ch in pairs:
            stack.append(i)
        elif ch in ")]":
            if not stack or pairs[text[stack[-1]]] != ch:
                return None
            close_of[stack.pop()] = i
        if len(stack) > 6:
            return None
    if stack or close_of.get(0) != len(text) - 1:
        return None

    def split(start: int, end: int) -> list[tuple[int, int]]:
        """Top-level comma-separated spans of text[start:end]."""
        spans, depth, begin = [], 0, start
        for i in range(start, end):
            ch = text[i]
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            elif ch == "," and depth == 0:
                spans.append((begin, i))
                begin = i + 1
        spans.append((begin, end))
        return spans

    def group(start: int, end: int):
        """text[start:end] (stripped) as a list, or as an entry string."""
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end and text[start] in pairs and close_of.get(start) == end - 1:
            spans = split(start + 1, end - 1)
            if text[start] == "[" or len(spans) > 1:
                if len(spans) == 1 and not text[start + 1:end - 1].strip():
                    return []
                return [group(a, b) for a, b in spans]
        return text[start:end]
    out = group(0, len(text))
    return out if isinstance(out, list) else None


def read(raw: Any, key: Value, *, variables: tuple[str, ...] = (), depth: int = 0,
         readings: dict | None = None) -> Value:
    """Read ``raw`` as the kind of value ``key`` is; ``Unreadable`` if it cannot be.

    ``readings``: the problem's texts already read (``ProblemKey.readings``, see ``_scalar``)."""
    if depth > options.MAX_DEPTH:
        raise Unreadable("too_deep", limit=options.MAX_DEPTH)
    if isinstance(raw, Refused):  # the file reader refused this value (NaN, a key written twice)
        raise Unreadable(raw.code, **raw.data)
    if isinstance(raw, str) and isinstance(key, (Arr, Seq)) and not is_latex(raw) \
            and (not isinstance(key, Arr) or key.size > 1 or raw.lstrip()[:1] == "["):
        rows = bracketed(raw)
        if rows is not None:
            raw = rows
    if isinstance(key, Arr):
        return _read_array(raw, key, variables, readings)
    if isinstance(key, Map):
        return _read_map(raw, key, variables, depth, readings)
    if isinstance(key, Seq):
        return _read_seq(raw, key, variables, depth, readings)
    if isinstance(raw, (list, Mapping)):
        raise Unreadable("type", expected=expected_of(key), found=describe(raw))
    if isinstance(key, Label):
        return _read_label(raw, key)
    return _scalar(raw, variables, readings)


MAX_READINGS = 5_000  # texts remembered per problem (a few MB at most)
MAX_READING_LENGTH = 200  # characters of a text remembered


class _Refusal:
    """An ``Unreadable`` remembered for its text: raised again as a new exception each time
    (``Unreadable.at`` adds to its data on the way up)."""

    __slots__ = ("code", "data")

    def __init__(self, exc: Unreadable):
        self.code, self.data = exc.code, dict(exc.data)

    def again(self) -> Unreadable:
        return Unreadable(self.code, **self.data)


def _scalar(raw: Any, variables: tuple[str, ...], readings: dict | None) -> Value:
    """``read_scalar``, remembered in ``readings`` (the problem's texts read so far: text -> value,
    or the refusal): every student who writes an entry the same way (the key's own text, a common
    mistake, a number) shares one reading, and the expression parser reads each text once per batch.
    A reading depends on the text (for a number from the file, its digits as written) and the
    problem's variables only, except past a time limit (``too_complex``, never remembered)."""
    if readings is None:
        return read_scalar(raw, variables)
    kind = type(raw)
    if kind is str:
        text = raw.strip()
    elif kind is Decimal:
        text = ("decimal", str(raw))  # as written in the file: 1.50 is not 1.5 (significant digits)
    else:
        return read_scalar(raw, variables)
    found = readings.get(text)
    if found is not None:
        if type(found) is _Refusal:
            raise found.again()
        return found
    remember = len(readings) < MAX_READINGS and (kind is not str or len(text) <= MAX_READING_LENGTH)
    try:
        value = read_scalar(raw, variables)
    except Unreadable as exc:
        if remember and exc.code != "too_complex":
            readings[text] = _Refusal(exc)
        raise
    if remember:
        readings[text] = value
    return value


def _read_label(raw, key: Label) -> Value:
    if isinstance(raw, bool):
        return Label(str(raw).lower())
    if isinstance(raw, (int, Decimal)):
        return Label(str(raw))
    if isinstance(raw, str):
        if len(raw) > 200:
            raise Unreadable("too_long", n=len(raw), limit=200)
        return Label(number_text(raw.strip()))
    raise Unreadable("type", expected=expected_of(key), found=describe(raw))


def read_scalar(raw: Any, variables: tuple[str, ...] = ()) -> Value:
    """A number or an expression (only the given ``variables`` may appear)."""
    if isinstance(raw, bool) or raw is None:
        raise Unreadable("type", expected={"what": "expression" if variables else "number"}, found=describe(raw))
    if isinstance(raw, int):
        if len(str(abs(raw))) > options.MAX_NUMBER_DIGITS:
            raise Unreadable("number_range", limit=options.MAX_NUMBER_DIGITS)
        return ReadNum((raw, 1), float(raw), str(raw))
    if isinstance(raw, float):  # only from Python callers; files give Decimal
        raw = Decimal(repr(raw))
    if isinstance(raw, Decimal):
        return _decimal(raw, str(raw))
    if not isinstance(raw, str):
        raise Unreadable("type", expected={"what": "number"}, found=describe(raw))
    text = raw.strip()
    if not text.isascii():
        text = number_text(text)  # Persian digits, ٫ and ٬ read as a number (SPEC section 10)
    if not text:
        raise Unreadable("empty")
    if len(text) > GRADE_LIMITS.max_length:
        raise Unreadable("too_long", n=len(text), limit=GRADE_LIMITS.max_length)
    if _PLAIN_NUMBER.fullmatch(text):
        return _decimal(Decimal(text), text)
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        p, q = int(fraction.group(1)), int(fraction.group(2))
        if q == 0:
            raise Unreadable("parse", pointed=pointed(ParseError("division by zero", text, text.index("/"))))
        try:
            approx = p / q  # int division is correctly rounded, as float(Fraction(p, q))
        except OverflowError:
            approx = float("inf") if p > 0 else float("-inf")
        common = gcd(p, q)  # q > 0: the ratio in lowest terms, as SymPy keeps it
        return ReadNum((p // common, q // common), approx, text)
    if is_latex(text):
        text = _from_latex(text)
    _refuse_lookalikes(text)
    if any(int(e) > options.MAX_NUMBER_DIGITS for e in _EXPONENT.findall(text)):
        raise Unreadable("number_range", limit=options.MAX_NUMBER_DIGITS)  # 1e99999999 would be built exactly
    try:
        with time_limit(PARSE_SECONDS):
            expr = parse_expr(text, symbols=variables, implicit=True, limits=GRADE_LIMITS)
            if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                raise Unreadable("not_finite", text=text)
            number = expr.is_number
            if number and (expr.has(sp.I) or expr.is_real is False):
                raise Unreadable("not_real", text=text)
    except ParseError as exc:
        raise Unreadable("parse", pointed=pointed(realign(exc, text))) from None
    except (RecursionError, MemoryError, OverflowError, ValueError, TypeError, TimeLimit):
        raise Unreadable("too_complex") from None
    if number:
        return Num(expr, _float(expr), text)
    return Sym(expr, text)


def _float(expr) -> float:
    """The float of a student's number, without SymPy's arbitrary-precision evalf."""
    from hwcheck.grade.predicates import evaluate

    try:
        return evaluate(expr, {})
    except (ValueError, ZeroDivisionError, TypeError, KeyError, RecursionError, OverflowError):
        return float("nan")


class TimeLimit(Exception):
    """In-process work ran past its time limit."""


@contextmanager
def time_limit(seconds: float):
    """Interrupt the block after ``seconds`` (SIGALRM; only in the main thread of a Unix process).

    Parsing builds SymPy objects, and SymPy evaluates some of them on the way;
    the static bounds make that cheap, this is the backstop.
    """
    from hwcheck import limits  # budgets nest there (the part's own budget is outside this one)

    try:
        with limits.budget(seconds):
            yield
    except limits.Expired:
        raise TimeLimit() from None


def _decimal(d: Decimal, text: str) -> Num:
    if not d.is_finite():
        raise Unreadable("not_finite", text=text)
    if abs(d.adjusted()) > options.MAX_NUMBER_DIGITS or len(d.as_tuple().digits) > options.MAX_NUMBER_DIGITS:
        raise Unreadable("number_range", limit=options.MAX_NUMBER_DIGITS)
    return ReadNum(d.as_integer_ratio(), float(d), text)


def is_latex(raw: Any) -> bool:
    """Text written as LaTeX math: ``$...$`` (or ``$$...$$``)."""
    if not isinstance(raw, str):
        return False
    text = raw.strip()
    return len(text) > 1 and text.startswith("$") and text.endswith("$")


def _from_latex(text: str) -> str:
    try:
        from hwcheck.latex_input import latex_to_plain
    except ImportError:  # the translator is optional: say so instead of failing
        raise Unreadable("latex_unavailable") from None
    try:
        plain = latex_to_plain(text)
    except ParseError as exc:
        raise Unreadable("latex", pointed=pointed(exc)) from None
    if not isinstance(plain, str):  # defensive: the translator's contract is str
        raise Unreadable("latex_unavailable")
    return plain


def _latex_rows(text: str, key: Value) -> list:
    """A LaTeX matrix answer as rows of plain-syntax entries."""
    try:
        from hwcheck.latex_input import latex_matrix
    except ImportError:
        raise Unreadable("latex_unavailable") from None
    try:
        rows = latex_matrix(text)
    except ParseError as exc:
        raise Unreadable("latex", pointed=pointed(exc)) from None
    if rows is None:
        raise Unreadable("type", expected=expected_of(key), found={"what": "LaTeX expression"})
    return [list(row) for row in rows]


def _refuse_lookalikes(text: str) -> None:
    for i, ch in enumerate(text):
        if not ch.isascii() and ch in LOOKALIKES:
            raise Unreadable("lookalike", char=ch, code_point=f"U+{ord(ch):04X}",
                             name=unicodedata.name(ch, "unknown").title(), suggest=LOOKALIKES[ch],
                             pointed=pointed(ParseError("", text, i)).lstrip("\n"))


def _nested_shape(raw: list) -> tuple[tuple[int, ...], list]:
    """(shape, flat entries) of a rectangular nested list; ``Unreadable`` if ragged.
    (Each level is checked with ``map``: the loops run in C, a matrix costs microseconds.)"""
    shape: list[int] = []
    level = [raw]
    while level and all(map(isinstance, level, repeat(list))):
        lengths = set(map(len, level))
        if len(lengths) > 1:
            first = len(level[0])
            bad = next(i for i, v in enumerate(level) if len(v) != first)
            raise Unreadable("ragged", depth=len(shape), index=bad, n=len(level[bad]), first=first)
        shape.append(lengths.pop())
        if len(shape) > 4:
            raise Unreadable("too_deep", limit=4)
        nxt = list(chain.from_iterable(level))
        if len(nxt) > options.MAX_LEAVES:
            raise Unreadable("too_many", n=len(nxt), limit=options.MAX_LEAVES)
        lists = sum(map(isinstance, nxt, repeat(list)))
        if lists and lists != len(nxt):
            raise Unreadable("ragged_mixed", depth=len(shape))
        level = nxt
    return tuple(shape), level


def _read_array(raw, key: Arr, variables, readings=None) -> Arr:
    labels = key.items and all(isinstance(v, Label) for v in key.items)
    if is_latex(raw) and key.size > 1:
        raw = _latex_rows(number_text(raw.strip()), key)
    if not isinstance(raw, list):
        if key.size == 1 and not isinstance(raw, Mapping):
            shape, flat = (1,), [raw]
        else:
            raise Unreadable("type", expected=expected_of(key), found=describe(raw))
    else:
        shape, flat = _nested_shape(raw)
        if shape and shape[-1] == 0 and len(shape) == 1:
            flat = []
        if predicates.shape_relation(shape, key.shape) == "different" and not _one_off(shape, key.shape):
            # scored by shape, no entry read (a list one row or entry short or long is read, so that
            # a shifted or truncated list of iterates can still be diagnosed)
            return Arr(shape, (Label(""),) * len(flat))
    items = []
    for n, entry in enumerate(flat):
        if isinstance(entry, Mapping):
            raise Unreadable("type", expected={"what": "number"}, found=describe(entry)).at(_index(n, shape))
        try:
            items.append(_read_label(entry, key.items[0]) if labels else _scalar(entry, variables, readings))
        except Unreadable as exc:
            raise exc.at(_index(n, shape)) from None
    return Arr(shape, tuple(items))


def _one_off(shape: tuple[int, ...], want: tuple[int, ...]) -> bool:
    """Same rank, and one dimension differs by one while the others agree.

    >>> _one_off((4, 2), (5, 2)), _one_off((5, 7), (3, 3))
    (True, False)
    """
    if len(shape) != len(want):
        return False
    diffs = [abs(a - b) for a, b in zip(shape, want)]
    return sorted(diffs)[-1] == 1 and sum(diffs) == 1


def _index(n: int, shape: tuple[int, ...]) -> str:
    out = []
    for size in reversed(shape or (1,)):
        out.append(n % size if size else 0)
        n //= size if size else 1
    return "".join(f"[{i}]" for i in reversed(out))


def _read_map(raw, key: Map, variables, depth, readings=None) -> Map:
    if not isinstance(raw, Mapping):
        raise Unreadable("type", expected=expected_of(key), found=describe(raw))
    items, extra = [], []
    for name, value in raw.items():
        name = str(name)
        sub = key.get(name)
        if sub is None:
            extra.append(name)
            continue
        if value is None:
            continue  # a key left empty is graded as a missing entry
        try:
            items.append((name, read(value, sub, variables=variables, depth=depth + 1, readings=readings)))
        except Unreadable as exc:
            raise exc.at(f".{name}") from None
    return Map(tuple(items), tuple(extra))


def _read_seq(raw, key: Seq, variables, depth, readings=None) -> Seq:
    if not isinstance(raw, list):
        raise Unreadable("type", expected=expected_of(key), found=describe(raw))
    if len(raw) > options.MAX_LEAVES:
        raise Unreadable("too_many", n=len(raw), limit=options.MAX_LEAVES)
    items = []
    for i, value in enumerate(raw[: len(key.items)]):
        try:
            items.append(read(value, key.items[i], variables=variables, depth=depth + 1, readings=readings))
        except Unreadable as exc:
            raise exc.at(f"[{i}]") from None
    return Seq(tuple(items), len(raw))
