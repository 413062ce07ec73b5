"""A position in a list of tokens, with the checks every part of the translator shares: the next
token, a failure pointing at one (``ParseError`` with its offset), and the nesting limit."""

from __future__ import annotations

from hwcheck.errors import ParseError
from hwcheck.latex_input.tokens import Token

MAX_DEPTH = 100  # nested groups, fractions, roots and functions


class Cursor:
    """The tokens of one answer (``t``), the position in them (``i``) and the nesting depth."""

    def __init__(self, text: str, tokens: list[Token]):
        self.text, self.t, self.i, self.depth = text, tokens, 0, 0

    def fail(self, message: str, tok: Token | None = None):
        if tok is None:
            tok = self.t[self.i] if self.i < len(self.t) else None
        raise ParseError(message, self.text, tok.offset if tok else len(self.text))

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            self.fail("the answer ends too early")
        self.i += 1
        return tok

    def at(self, kind: str, value: str | None = None, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind == kind and (value is None or tok.value == value)

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"the answer is nested too deeply (more than {MAX_DEPTH} levels)")

    @staticmethod
    def describe(tok: Token) -> str:
        if tok.kind == "cmd":
            return f"'\\{tok.value}'"
        return f"{tok.value!r}"
