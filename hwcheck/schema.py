"""Types of the values a spec's ``given`` holds, read exactly.

Each schema type converts one raw YAML value into the exact value a solver
uses, or raises ``Invalid`` saying what it expected and what it found. Numbers
are SymPy numbers: ``0.05`` (a YAML float, kept as its decimal text by the
loader) is 1/20, and strings may hold fractions or expressions (``"1/3"``,
``"1e-7"``, ``"sqrt(2)/2"``).

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

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

from hwcheck.errors import Invalid, ParseError, did_you_mean

REQUIRED = object()


def found(value: Any) -> str:
    """A short description of a raw value for an error message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {text!r}"
    if isinstance(value, (int, Decimal, float, Fraction)):
        return f"the number {value}"
    if isinstance(value, Mapping):
        return "a map with keys " + ", ".join(map(str, list(value)[:6]))
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
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Invalid("a finite number", found(value))
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
        try:
            result = parse_expr(value, symbols=())
        except ParseError as exc:
            raise Invalid("a number, a fraction or a numeric expression", f"{found(value)}: {exc.message}") from None
    else:
        raise Invalid("a number", found(value))
    if not result.is_number or result.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise Invalid("a finite number", found(value))
    if result.is_real is False:
        raise Invalid("a real number", found(value))
    return result


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
class Int(Schema):
    min: int | None = None
    max: int | None = None

    def convert(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
                value = int(value)
            else:
                raise Invalid("a whole number", found(value))
        if self.min is not None and value < self.min:
            raise Invalid(f"a whole number ≥ {self.min}", found(value))
        if self.max is not None and value > self.max:
            raise Invalid(f"a whole number ≤ {self.max}", found(value))
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
        if value not in self.options:
            hint = did_you_mean(value, self.options)
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
        try:
            return parse_expr(value)
        except ParseError as exc:
            raise Invalid("an expression", f"{value!r}: {exc.message}") from None


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
        return sp.ImmutableMatrix([[number_at(v, f"[{i}]")] for i, v in enumerate(value)])


@dataclass(frozen=True)
class Matrix(Schema):
    """A nested list of numbers, row-major, rows of equal length."""

    def convert(self, value):
        import sympy as sp

        if not isinstance(value, (list, tuple)) or not value:
            raise Invalid("a matrix (a list of rows)", found(value))
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

        if isinstance(value, (list, tuple)) and value and all(isinstance(r, list) for r in value):
            width = len(value[0])
            if width and all(len(r) == width for r in value) and \
                    all(type(v) is int for r in value for v in r):
                return ExactArray.from_rows(value)  # integers: skip SymPy entirely
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
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k.isidentifier() or k.startswith("_"):
                raise Invalid("variable names", f"the key {k!r}")
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


def convert_fields(fields: Mapping[str, Schema], raw: Mapping[str, Any]) -> Given:
    """Convert a raw map against ``fields``: unknown and missing keys are refused."""
    for key in raw:
        if key not in fields:
            raise Invalid("one of the keys " + ", ".join(fields), f"the unknown key {key!r}",
                          key=f".{key}", hint=did_you_mean(key, fields))
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
