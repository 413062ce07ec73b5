"""Types of the values a spec's ``given`` holds, read exactly.

Each schema type converts one raw YAML value into the exact value a solver
uses, or raises ``Invalid`` saying what it expected and what it found. Numbers
are SymPy numbers: ``0.05`` (a YAML float, kept as its decimal text by the
loader) is 1/20, and strings may hold fractions or expressions (``"1/3"``,
``"1e-7"``, ``"sqrt(2)/2"``). ``PlainNumber`` and ``ExactMatrix`` keep rational
values as Python ints and ``Fraction``s, so that kinds built on them run without
SymPy; anything else (an irrational, an error to report) goes through SymPy.

>>> Number().convert("sqrt(8)/2")
sqrt(2)
>>> Matrix().convert([[1, "1/2"], [0.25, 3]])
Matrix([
[  1, 1/2],
[1/4,   3]])
>>> Matrix().convert([[1, 2], [3]])
Traceback (most recent call last):
...
hwcheck.errors.Invalid: expected a matrix with rows of equal length, found row 1 of length 1 where row 0 has length 2
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

from hwcheck import limits
from hwcheck.errors import Invalid, ParseError, did_you_mean

REQUIRED = object()
_EXPONENT = re.compile(r"[0-9.][eE][+-]?([0-9]+)")
_WHOLE = re.compile(r"[+-]?[0-9]+")
# A number as text that the expression parser reads as the same rational: 3, -0.25, 1/3.
_SIMPLE_NUMBER = re.compile(r"[+-]?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15}|/[1-9][0-9]{0,14})?")


def found(value: Any) -> str:
    """A short description of a raw value for an error message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str) and value.isascii() and value.lstrip("+-").isdigit() and \
            len(value) > limits.MAX_NUMBER_DIGITS:
        return f"a number of {len(value.lstrip('+-')):,} digits"
    if isinstance(value, str):
        return f"the text {limits.shorten(value)!r}"
    if isinstance(value, int) and limits.digits_of(value) > limits.ECHO:
        return f"a number of {limits.digits_of(value):,} digits"
    if isinstance(value, Decimal) and value.is_finite() and len(value.as_tuple().digits) > limits.ECHO:
        return f"a number of {len(value.as_tuple().digits):,} digits"
    if isinstance(value, (int, Decimal, float, Fraction)):
        return f"the number {value}"
    if isinstance(value, Mapping):
        keys = [limits.shorten(str(k), 30) for k in list(value)[:6]]
        return "a map with keys " + ", ".join(keys) + (", ..." if len(value) > 6 else "")
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item(s)"
    return f"a {type(value).__name__}"


def exact_number(value: Any):
    """Read one number exactly as a SymPy number.

    >>> exact_number(Decimal("0.05")), exact_number("1e-7"), exact_number(0.1)
    (1/20, 1/10000000, 1/10)
    """
    import sympy as sp

    from hwcheck.expr import parse_expr

    if isinstance(value, bool):
        raise Invalid("a number", found(value))
    digits = f"a number of at most {limits.MAX_NUMBER_DIGITS} digits"
    magnitude = f"a number from 1e-{limits.MAX_MAGNITUDE} to 1e{limits.MAX_MAGNITUDE} in size (or 0)"
    if isinstance(value, int):
        if limits.digits_of(value) > limits.MAX_NUMBER_DIGITS:
            raise Invalid(digits, found(value))
        return sp.Integer(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Invalid("a finite number", found(value))
        if len(value.as_tuple().digits) > limits.MAX_NUMBER_DIGITS:
            raise Invalid(digits, found(value))
        if value and abs(value.adjusted()) > limits.MAX_MAGNITUDE:
            raise Invalid(magnitude, found(value))
        return sp.Rational(str(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Invalid("a finite number", found(value))
        return sp.Rational(repr(value))  # the shortest decimal that reads back as this float
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, sp.Basic) and value.is_number:
        result = value
    elif isinstance(value, str):
        if any(int(e) > limits.MAX_MAGNITUDE for e in _EXPONENT.findall(value[:limits.MAX_EXPRESSION])):
            raise Invalid(magnitude, found(value))
        try:
            result = parse_expr(value, symbols=(), limits=spec_limits())
        except ParseError as exc:
            raise Invalid("a number, a fraction or a numeric expression", f"{found(value)}: {exc.message}") from None
    else:
        raise Invalid("a number", found(value))
    if not result.is_number or result.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise Invalid("a finite number", found(value))
    if result.is_Rational and max(limits.digits_of(result.p), limits.digits_of(result.q)) > \
            limits.MAX_MAGNITUDE + limits.MAX_NUMBER_DIGITS:
        raise Invalid(magnitude, found(value))
    if result.is_real is False:
        raise Invalid("a real number", found(value))
    return result


def plain_number(value: Any) -> Fraction | None:
    """``value`` read exactly as a Fraction without SymPy: an int, a YAML decimal or a short
    number as text (``"1/3"``, ``"-0.25"``) within the limits ``exact_number`` checks. ``None``
    for anything else, which ``exact_number`` reads (or refuses, with its message).

    >>> plain_number(Decimal("0.05")), plain_number("-1/3"), plain_number(7), plain_number("sqrt(2)")
    (Fraction(1, 20), Fraction(-1, 3), Fraction(7, 1), None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value) if limits.digits_of(value) <= limits.MAX_NUMBER_DIGITS else None
    if isinstance(value, Decimal):
        if not value.is_finite() or len(value.as_tuple().digits) > limits.MAX_NUMBER_DIGITS \
                or (value and abs(value.adjusted()) > limits.MAX_MAGNITUDE):
            return None
        number = Fraction(value)
    elif isinstance(value, str) and _SIMPLE_NUMBER.fullmatch(value):
        number = Fraction(value)
    else:
        return None
    if max(limits.digits_of(number.numerator), limits.digits_of(number.denominator)) > \
            limits.MAX_MAGNITUDE + limits.MAX_NUMBER_DIGITS:
        return None
    return number


def spec_limits():
    """The parser's bounds for spec values: no number beyond 1e100 is ever built."""
    from hwcheck.expr import Limits

    return Limits(max_length=limits.MAX_EXPRESSION, max_depth=60, max_exponent=1000,
                  max_digits=limits.MAX_MAGNITUDE)


@dataclass(frozen=True)
class Schema:
    """Base of the schema types; ``doc`` is shown by ``hwcheck kinds``."""

    doc: str = ""
    default: Any = REQUIRED

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def convert(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return self.doc


@dataclass(frozen=True)
class Number(Schema):
    positive: bool = False
    nonnegative: bool = False

    def convert(self, value):
        number = exact_number(value)
        if self.positive and not number.is_positive:
            raise Invalid("a positive number", found(value))
        if self.nonnegative and number.is_negative:
            raise Invalid("a number ≥ 0", found(value))
        return number


@dataclass(frozen=True)
class PlainNumber(Number):
    """A number kept as a ``Fraction`` when it is rational (as SymPy keeps a Rational), a SymPy
    number otherwise: for kinds that compute without SymPy."""

    def convert(self, value):
        number = plain_number(value)
        if number is None:
            return super().convert(value)
        if self.positive and not number > 0:
            raise Invalid("a positive number", found(value))
        if self.nonnegative and number < 0:
            raise Invalid("a number ≥ 0", found(value))
        return number


@dataclass(frozen=True)
class Int(Schema):
    min: int | None = None
    max: int | None = None

    def convert(self, value):
        most = limits.MAX_INT if self.max is None else self.max
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value() \
                and abs(value.adjusted()) <= 30:
            value = int(value)  # 1e3 or 10.0 written for a count
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and _WHOLE.fullmatch(value.strip()) and len(value.strip()) <= 30:
                value = int(value.strip())
            else:
                raise Invalid(f"a whole number ≤ {most:,}" if _WHOLE.fullmatch(str(value).strip())
                              else "a whole number", found(value))
        if self.min is not None and value < self.min:
            raise Invalid(f"a whole number ≥ {self.min}", found(value))
        if value > most:
            raise Invalid(f"a whole number ≤ {most:,}", found(value))
        if value < -limits.MAX_INT:
            raise Invalid(f"a whole number ≥ {-limits.MAX_INT:,}", found(value))
        return value


@dataclass(frozen=True)
class Bool(Schema):
    def convert(self, value):
        if not isinstance(value, bool):
            raise Invalid("true or false", found(value))
        return value


@dataclass(frozen=True)
class Text(Schema):
    def convert(self, value):
        if not isinstance(value, str):
            raise Invalid("text", found(value))
        return value


@dataclass(frozen=True)
class Choice(Schema):
    options: tuple[str, ...] = ()

    def convert(self, value):
        if not isinstance(value, str) or value not in self.options:
            hint = did_you_mean(value, self.options) if isinstance(value, str) and len(value) < 100 else ""
            raise Invalid("one of " + ", ".join(self.options), found(value), hint=hint)
        return value

    def describe(self):
        return f"{self.doc} ({' | '.join(self.options)})".strip()


@dataclass(frozen=True)
class Expression(Schema):
    """An expression in SymPy/Python syntax (``^`` is power)."""

    def convert(self, value):
        from hwcheck.expr import parse_expr

        if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
            return exact_number(value)
        if not isinstance(value, str):
            raise Invalid("an expression as text", found(value))
        if len(value) > limits.MAX_EXPRESSION:
            raise Invalid(f"an expression of at most {limits.MAX_EXPRESSION:,} characters", found(value))
        if any(int(e) > limits.MAX_MAGNITUDE for e in _EXPONENT.findall(value)):
            raise Invalid(f"numbers from 1e-{limits.MAX_MAGNITUDE} to 1e{limits.MAX_MAGNITUDE} in size",
                          found(value))
        try:
            return parse_expr(value, limits=spec_limits())
        except ParseError as exc:
            raise Invalid("an expression", f"{limits.shorten(value)!r}: {exc.message}") from None


@dataclass(frozen=True)
class Vector(Schema):
    """A flat list of numbers; returned as a SymPy column vector."""

    min_length: int = 1

    def convert(self, value):
        import sympy as sp

        if not isinstance(value, (list, tuple)) or any(isinstance(v, (list, tuple)) for v in value):
            raise Invalid("a vector (a flat list of numbers)", found(value))
        if len(value) < self.min_length:
            raise Invalid(f"a vector of at least {self.min_length} number(s)", found(value))
        if len(value) > limits.MAX_ENTRIES:
            raise Invalid(f"a vector of at most {limits.MAX_ENTRIES:,} numbers", found(value))
        return sp.ImmutableMatrix([[number_at(v, f"[{i}]")] for i, v in enumerate(value)])


@dataclass(frozen=True)
class Matrix(Schema):
    """A nested list of numbers, row-major, rows of equal length."""

    def convert(self, value):
        import sympy as sp

        check_matrix_size(value)
        rows = []
        for i, row in enumerate(value):
            if not isinstance(row, (list, tuple)):
                raise Invalid("a matrix (a list of rows)", f"row {i}: {found(row)}", key=f"[{i}]")
            if not row:
                raise Invalid("a matrix with non-empty rows", f"row {i} empty", key=f"[{i}]")
            if len(row) != len(value[0]):
                raise Invalid(
                    "a matrix with rows of equal length",
                    f"row {i} of length {len(row)} where row 0 has length {len(value[0])}",
                    key=f"[{i}]",
                )
            rows.append([number_at(v, f"[{i}][{j}]") for j, v in enumerate(row)])
        return sp.ImmutableMatrix(rows)


def check_matrix_size(value) -> None:
    """A list of rows within ``limits.MAX_ENTRIES`` entries, checked before any entry is read."""
    if not isinstance(value, (list, tuple)) or not value:
        raise Invalid("a matrix (a list of rows)", found(value))
    width = len(value[0]) if isinstance(value[0], (list, tuple)) else 1
    if len(value) * max(width, 1) > limits.MAX_ENTRIES or len(value) > limits.MAX_ENTRIES:
        raise Invalid(f"a matrix of at most {limits.MAX_ENTRIES:,} entries",
                      f"{len(value):,} rows of {width:,} entries")


def number_at(value, key: str):
    """One exact number inside a list; an error names its position (``key``, e.g. ``"[1][2]"``)."""
    if isinstance(value, (list, tuple, Mapping)):
        raise Invalid("a number", found(value), key=key)
    try:
        return exact_number(value)
    except Invalid as exc:
        raise Invalid(exc.expected, exc.found, key=key, hint=exc.hint) from None


@dataclass(frozen=True)
class ExactMatrix(Matrix):
    """A matrix kept as an ``ExactArray``: for kinds that compute at NumPy speed."""

    def convert(self, value):
        from hwcheck.exact import ExactArray

        check_matrix_size(value)
        if isinstance(value, (list, tuple)) and value and all(isinstance(r, list) for r in value):
            width = len(value[0])
            bound = 10 ** limits.MAX_NUMBER_DIGITS
            if width and all(len(r) == width for r in value):
                if all(type(v) is int and -bound < v < bound for r in value for v in r):
                    return ExactArray.from_rows(value)  # integers: the fastest path
                flat = [plain_number(v) for r in value for v in r]
                if None not in flat:
                    return ExactArray.from_fractions(flat, (len(value), width))  # rationals: no SymPy
        return ExactArray.from_sympy(super().convert(value))


@dataclass(frozen=True)
class IntOrPair(Schema):
    """An integer or a pair ``[a, b]`` of integers; returned as a pair."""

    min: int = 1

    def convert(self, value):
        item = Int(min=self.min)
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise Invalid("a whole number or a pair [a, b]", found(value))
            return (item.convert(value[0]), item.convert(value[1]))
        n = item.convert(value)
        return (n, n)


@dataclass(frozen=True)
class Record(Schema):
    """A map with fixed keys, each with its own schema."""

    fields: Mapping[str, Schema] = field(default_factory=dict)

    def convert(self, value):
        if not isinstance(value, Mapping):
            raise Invalid("a map with keys " + ", ".join(self.fields), found(value))
        return convert_fields(self.fields, value)

    def describe(self):
        inner = ", ".join(self.fields)
        return f"{self.doc} {{{inner}}}".strip()


@dataclass(frozen=True)
class ListOf(Schema):
    item: Schema = field(default_factory=Schema)
    min_length: int = 1

    def convert(self, value):
        if not isinstance(value, (list, tuple)) or len(value) < self.min_length:
            raise Invalid(f"a list of at least {self.min_length} item(s)", found(value))
        if len(value) > limits.MAX_LIST:
            raise Invalid(f"a list of at most {limits.MAX_LIST:,} items", found(value))
        out = []
        for i, v in enumerate(value):
            try:
                out.append(self.item.convert(v))
            except Invalid as exc:
                raise Invalid(exc.expected, exc.found, key=f"[{i}]{exc.key}", hint=exc.hint) from None
        return tuple(out)


@dataclass(frozen=True)
class MapOf(Schema):
    """A map from names to values of one schema, in the order written."""

    value: Schema = field(default_factory=Schema)

    def convert(self, value):
        if not isinstance(value, Mapping) or not value:
            raise Invalid("a map of name: value", found(value))
        if len(value) > limits.MAX_LIST:
            raise Invalid(f"a map of at most {limits.MAX_LIST:,} names", found(value))
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k.isidentifier() or k.startswith("_") or not k.isascii() \
                    or len(k) > 100:
                raise Invalid("variable names (ASCII letters, digits and _)", f"the key {limits.shorten(str(k))!r}")
            try:
                out[k] = self.value.convert(v)
            except Invalid as exc:
                raise Invalid(exc.expected, exc.found, key=f".{k}{exc.key}", hint=exc.hint) from None
        return out


class Given(Mapping):
    """The converted ``given`` of a problem: read-only, by key or attribute."""

    def __init__(self, values: Mapping[str, Any]):
        object.__setattr__(self, "_values", dict(values))

    def __getitem__(self, key):
        return self._values[key]

    def __getattr__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        raise AttributeError("Given is read-only")

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        return f"Given({self._values!r})"

    def __reduce__(self):  # pickled as itself (--jobs workers send problems back)
        return Given, (self._values,)


def convert_fields(fields: Mapping[str, Schema], raw: Mapping[str, Any]) -> Given:
    """Convert a raw map against ``fields``: unknown and missing keys are refused."""
    for key in raw:
        if key not in fields:
            shown = limits.shorten(str(key))
            raise Invalid("one of the keys " + ", ".join(fields), f"the unknown key {shown!r}",
                          key=f".{shown}", hint=did_you_mean(shown, fields))
    out = {}
    for key, schema in fields.items():
        if key not in raw or raw[key] is None:
            if schema.required:
                raise Invalid(f"the key {key!r} ({schema.describe() or 'required'})", "no such key", key=f".{key}")
            out[key] = None if schema.default is None else schema.default
            if out[key] is not None and not isinstance(schema, (Choice, Bool, Text, Int)):
                out[key] = schema.convert(schema.default)
            continue
        try:
            out[key] = schema.convert(raw[key])
        except Invalid as exc:
            raise Invalid(exc.expected, exc.found, key=f".{key}{exc.key}", hint=exc.hint) from None
    return Given(out)

