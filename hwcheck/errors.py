"""The three levels of error (STYLE.md, practice 5).

* ``SpecError``: the problem author's file is wrong. It names the file, the
  key, what was expected and what was found; the CLI exits with status 2.
* ``ParseError``: a piece of text (an expression in a spec, or a student's
  answer) cannot be read. It carries the offset of the bad character so that
  one function can point at it with a caret.
* Anything else is a bug in hwcheck and keeps its traceback under ``--debug``.
"""

from __future__ import annotations


class HwcheckError(Exception):
    """Base class of the errors that reach users as one clear message."""


class ParseError(HwcheckError):
    """Text that cannot be read; ``offset`` is the index of the bad character."""

    def __init__(self, message: str, text: str = "", offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.text = text
        self.offset = offset

    def pointed(self) -> str:
        """The message with the text and a caret under the bad character.

        >>> print(ParseError("unknown function 'open'", "open(1)", 0).pointed())
        unknown function 'open'
            open(1)
            ^
        """
        if self.offset is None or not self.text or "\n" in self.text:
            return self.message
        return f"{self.message}\n    {self.text}\n    {' ' * self.offset}^"


class SpecError(HwcheckError):
    """A problem spec that is not valid.

    >>> str(SpecError("p.yaml", "given.W", "a matrix", "a string"))
    'p.yaml: given.W: expected a matrix, found a string'
    """

    def __init__(self, file: str, key: str, expected: str, found: str, hint: str = ""):
        key, expected, found = echo(key), echo(expected, 400), echo(found, 200)
        self.file, self.key, self.expected, self.found, self.hint = file, key, expected, found, hint
        where = f"{file}: {key}" if key else file
        message = f"{where}: expected {expected}, found {found}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class Invalid(HwcheckError):
    """A value that does not fit a schema; ``SpecError`` adds file and key.

    ``key`` is a path below the key being checked (``"[1][2]"``), if any.
    """

    def __init__(self, expected: str, found: str, key: str = "", hint: str = ""):
        super().__init__(f"expected {expected}, found {found}")
        self.expected, self.found, self.key, self.hint = expected, found, key, hint


def echo(text: str, width: int = 80) -> str:
    """A piece of the user's input inside a message: shortened (``hwcheck.limits.shorten``)
    and on one line."""
    from hwcheck.limits import shorten

    text = str(text)
    if len(text) > width:
        text = shorten(text, width)
    return text.replace("\n", "\\n").replace("\r", "\\r")


def did_you_mean(word, options) -> str:
    """A hint naming the closest option, or ''.

    >>> did_you_mean("dL_dw", ["dL_dW", "dL_db"])
    "did you mean 'dL_dW'?"
    """
    from difflib import get_close_matches

    options = [str(o) for o in options]
    if len(str(word)) > 100:
        return ""
    folded = {o.casefold(): o for o in options}
    close = [folded[str(word).casefold()]] if str(word).casefold() in folded else \
        get_close_matches(str(word), options, n=1)
    return f"did you mean {close[0]!r}?" if close else ""
