"""What a worked solution shows of a trace: which steps, and whether its numbers are exact."""

from __future__ import annotations

import sympy as sp

DETAIL_HEAD, DETAIL_TAIL = 3, 2  # steps worked in full when there are many
TABLE_HEAD, TABLE_TAIL = 6, 4  # rows of the iterate table when there are many


def window(steps: int, head: int = DETAIL_HEAD, tail: int = DETAIL_TAIL) -> list:
    """The step numbers to show: all of 1..steps, or the first and last few with ``None`` between.

    >>> window(4), window(100)
    ([1, 2, 3, 4], [1, 2, 3, None, 99, 100])
    """
    if steps <= head + tail + 1:
        return list(range(1, steps + 1))
    return list(range(1, head + 1)) + [None] + list(range(steps - tail + 1, steps + 1))


def shown_exact(values) -> bool:
    """Does the number policy show this whole answer exactly (every entry short)? Then each of its
    values is shown exactly in the worked steps too; otherwise every value as a decimal, as the
    Answers show it (``render.tex`` applies the policy to a whole container at once).

    >>> shown_exact([[1, sp.Rational(1, 2)], [0]]), shown_exact([sp.Rational(1, 3), sp.Rational(1, 12345)])
    (True, False)
    """
    from hwcheck.render import is_short

    def leaves(v):
        if isinstance(v, (list, tuple)):
            for e in v:
                yield from leaves(e)
        elif isinstance(v, dict):
            for e in v.values():
                yield from leaves(e)
        elif v is not None:
            yield v
    return all(is_short(v) for v in leaves(values))


def decimal_is_exact(v) -> bool:
    """Is the decimal that ``render.dec`` prints for ``v`` exactly ``v``? (Then ``=`` may precede
    it; a rounded one is written after ``\\approx``.)

    >>> decimal_is_exact(sp.Rational(1, 8)), decimal_is_exact(sp.Rational(1, 3))
    (True, False)
    """
    from hwcheck.render import dec

    text = dec(v)
    if "times" in text:
        mantissa, exponent = text.split(r" \times 10^")
        shown = sp.Rational(mantissa) * sp.Integer(10) ** int(exponent.strip("{}"))
    else:
        shown = sp.Rational(text)
    return sp.sympify(v) == shown
