"""Translating tokens into plain math: sequences of terms and operators, groups, factors with
their powers, numbers and names (``commands`` reads the backslash commands)."""

from __future__ import annotations

from hwcheck.latex_input.commands import Commands
from hwcheck.latex_input.cursor import Cursor
from hwcheck.latex_input.tokens import FRACTIONS, GREEK, NAMED_FUNCTIONS, OPERATORS, PRODUCTS, SPACES, Token


class Translator(Commands, Cursor):
    """Recursive descent over the tokens, building plain text; never evaluates anything."""

    # -- sequences --------------------------------------------------------------------
    def whole(self) -> str:
        out = self.sequence(stop=None)
        if self.i < len(self.t):
            self.fail(f"unexpected {self.describe(self.peek())}")
        return out

    def sequence(self, stop) -> str:
        """Terms and operators up to the token ``stop`` accepts (not consumed)."""
        self.enter()
        pieces: list[str] = []
        operand = False  # the last piece ends an operand
        while self.i < len(self.t):
            tok = self.peek()
            if stop is not None and stop(tok, operand):
                break
            if tok.kind == "char" and tok.value in OPERATORS:
                self.i += 1
                pieces.append(tok.value)
                operand = False
                continue
            if tok.kind == "cmd" and tok.value in PRODUCTS:
                self.i += 1
                pieces.append(PRODUCTS[tok.value])
                operand = False
                continue
            if tok.kind == "cmd" and tok.value in SPACES:
                self.i += 1
                continue
            pieces.append(self.atom())
            operand = True
        self.depth -= 1
        return " ".join(pieces)

    def group(self, open_tok: Token) -> str:
        """The inside of ``{...}``, ``(...)`` or ``[...]`` whose opening token was just read."""
        closer = {"{": "}", "(": ")", "[": "]"}[open_tok.value]
        inner = self.sequence(stop=lambda tok, _: tok.kind == "char" and tok.value == closer)
        if not self.at("char", closer):
            self.fail(f"'{open_tok.value}' is never closed", open_tok)
        self.i += 1
        if not inner:
            self.fail(f"empty '{open_tok.value}{closer}'", open_tok)
        return inner

    # -- atoms ------------------------------------------------------------------------
    def atom(self) -> str:
        """One factor with its ``^`` power (``_`` subscripts are part of names)."""
        base = self.primary()
        while self.at("char", "^"):
            self.i += 1
            base = f"{base}^({self.argument()})"
        return base

    def argument(self) -> str:
        """A macro argument: a ``{group}``, or one character or command."""
        tok = self.next()
        if tok.kind == "char" and tok.value == "{":
            return self.group(tok)
        if tok.kind in ("digit", "letter"):
            return tok.value
        if tok.kind == "char" and tok.value == "-":  # x^-1: not TeX, but what students mean
            return "-" + self.argument()
        if tok.kind == "cmd" and (tok.value in GREEK or tok.value == "pi"):
            return self.name_of(tok)
        if tok.kind == "cmd" and (tok.value in FRACTIONS or tok.value == "sqrt"):
            self.i -= 1
            return self.primary()
        self.fail(f"expected an argument, found {self.describe(tok)}", tok)

    def primary(self) -> str:
        tok = self.next()
        if tok.kind == "digit" or (tok.kind == "char" and tok.value == "." and self.at("digit")):
            return self.number(tok)
        if tok.kind == "letter":
            call = self.letter_function(tok)
            return call if call is not None else self.subscripted(tok.value, tok)
        if tok.kind == "char" and tok.value in "{([":
            return "(" + self.group(tok) + ")"
        if tok.kind == "char" and tok.value == "|":
            return "abs(" + self.delimited(tok, lambda t, operand: operand and t.kind == "char" and t.value == "|") + ")"
        if tok.kind == "cmd":
            return self.command(tok)
        self.fail(f"unexpected {self.describe(tok)}", tok)

    def number(self, first: Token) -> str:
        digits = first.value
        while self.at("digit") or (self.at("char", ".") and "." not in digits and self.peek(1) is not None
                                   and self.peek(1).kind == "digit"):
            digits += self.next().value
        return digits

    def subscripted(self, name: str, tok: Token) -> str:
        if not self.at("char", "_"):
            return name
        self.i += 1
        sub_tok = self.next()
        if sub_tok.kind in ("digit", "letter"):
            return f"{name}_{sub_tok.value}"
        if sub_tok.kind == "char" and sub_tok.value == "{":
            sub = ""
            while self.peek() is not None and self.peek().kind in ("digit", "letter"):
                sub += self.next().value
            if not sub or not self.at("char", "}"):
                self.fail("a subscript may hold only letters and digits (x_1, W_{hh})", self.peek() or sub_tok)
            self.i += 1
            return f"{name}_{sub}"
        self.fail("a subscript may hold only letters and digits (x_1, W_{hh})", sub_tok)

    def name_of(self, tok: Token) -> str:
        if tok.value == "pi":
            return "pi"
        return self.subscripted(GREEK[tok.value], tok)

    def letter_function(self, first: Token) -> str | None:
        """``relu(x)`` written in plain letters: the run of letters spells a function and ``(`` follows."""
        j = self.i
        word = first.value
        while j < len(self.t) and self.t[j].kind == "letter":
            word += self.t[j].value
            j += 1
        if len(word) < 2 or word.lower() not in NAMED_FUNCTIONS:
            return None
        following = self.t[j] if j < len(self.t) else None
        if following is None or not (following.matches("char", "(") or following.matches("cmd", "left")):
            return None
        self.i = j
        return self.call(NAMED_FUNCTIONS[word.lower()], first)

    def delimited(self, open_tok: Token, stop) -> str:
        inner = self.sequence(stop=stop)
        if self.i >= len(self.t):
            self.fail(f"'{open_tok.value}' is never closed", open_tok)
        self.i += 1
        if not inner:
            self.fail("empty delimiters", open_tok)
        return inner
