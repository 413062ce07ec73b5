"""The backslash commands of a LaTeX answer: fractions, roots, ``\\left ... \\right``, braces and
bars, Greek letters, functions with their powers and arguments, and names in ``\\mathrm{...}``."""

from __future__ import annotations

from hwcheck.latex_input.tokens import (CLOSE, FRACTIONS, FUNCTIONS, GREEK, INVERSE, NAME_WRAPPERS, NAMED_FUNCTIONS,
                                        OPEN, SPACES, Token)


class Commands:
    """The command rules of ``Translator`` (a mixin): they read with its ``Cursor`` methods and call
    back into its grammar (``sequence``, ``group``, ``atom``, ``argument``, ``delimited``, ``name_of``,
    ``subscripted``) for what a command encloses."""

    def left_right(self, tok: Token) -> str:
        """``\\left<d> ... \\right<d>``: a group, or ``abs`` for bars."""
        delim_tok = self.next()
        delim = ("\\" + delim_tok.value) if delim_tok.kind == "cmd" else delim_tok.value
        if delim not in OPEN:
            self.fail(f"unexpected delimiter after \\left: {self.describe(delim_tok)}", delim_tok)
        inner = self.sequence(stop=lambda t, _: t.matches("cmd", "right"))
        if not self.at("cmd", "right"):
            self.fail("\\left without \\right", tok)
        self.i += 1
        close_tok = self.next()
        close = ("\\" + close_tok.value) if close_tok.kind == "cmd" else close_tok.value
        if close not in CLOSE:
            self.fail(f"expected a delimiter after \\right, found {self.describe(close_tok)}", close_tok)
        if not inner:
            self.fail("empty \\left ... \\right", tok)
        bars = delim in ("|", "\\lvert")
        if not bars and close in ("|", "\\|", "\\rvert"):
            self.fail("an evaluation bar (\\left. ... \\right|) is not supported; write the value", close_tok)
        if bars and close not in ("|", "\\|", "\\rvert"):
            self.fail("\\left| must close with \\right|", close_tok)
        return f"abs({inner})" if bars else f"({inner})"

    def command(self, tok: Token) -> str:
        name = tok.value
        if name in FRACTIONS:
            self.enter()
            num = self.argument()
            den = self.argument()
            self.depth -= 1
            return f"(({num})/({den}))"
        if name == "sqrt":
            self.enter()
            index = None
            if self.at("char", "["):
                index = self.group(self.next())
            body = self.argument()
            self.depth -= 1
            return f"sqrt({body})" if index is None else f"({body})^(1/({index}))"
        if name == "left":
            self.enter()
            out = self.left_right(tok)
            self.depth -= 1
            return out
        if name == "{":
            inner = self.sequence(stop=lambda t, _: t.matches("cmd", "}"))
            if not self.at("cmd", "}"):
                self.fail("'\\{' is never closed", tok)
            self.i += 1
            return f"({inner})"
        if name in ("lvert", "|"):
            closer = "rvert" if name == "lvert" else "|"
            return "abs(" + self.delimited(tok, lambda t, operand: operand and t.matches("cmd", closer)) + ")"
        if name == "sigma" and (self.at("char", "(") or self.at("cmd", "left")):
            return self.call("sigmoid", tok)
        if name in GREEK or name == "pi":
            return self.name_of(tok)
        if name in FUNCTIONS:
            return self.call(FUNCTIONS[name], tok)
        if name in NAME_WRAPPERS:
            return self.wrapped_name(tok)
        if name in ("right", "rvert", "}", "rbrack", "rbrace"):
            self.fail(f"'\\{name}' without its opening", tok)
        if name in ("begin", "end"):
            self.fail("a matrix must be the whole answer", tok)
        self.fail(f"'\\{name}' is not allowed here", tok)

    def wrapped_name(self, tok: Token) -> str:
        """``\\operatorname{relu}``, ``\\mathrm{d}``, ``\\mathbf{x}``: a function or a variable name."""
        if not self.at("char", "{"):
            self.fail(f"expected {{...}} after \\{tok.value}", tok)
        self.i += 1
        word = ""
        while self.peek() is not None and self.peek().kind in ("letter", "digit"):
            word += self.next().value
        if not word or not self.at("char", "}"):
            self.fail(f"\\{tok.value}{{...}} may hold only letters and digits", self.peek() or tok)
        self.i += 1
        if word.lower() in NAMED_FUNCTIONS:
            return self.call(NAMED_FUNCTIONS[word.lower()], tok)
        if tok.value == "operatorname":
            self.fail(f"unknown function {word!r} (known: {', '.join(sorted(NAMED_FUNCTIONS))})", tok)
        if not word[0].isalpha():
            self.fail(f"a name must start with a letter, found {word!r}", tok)
        return self.subscripted(word, tok)

    def call(self, fname: str, tok: Token) -> str:
        """A function and its argument: ``\\f(x)``, ``\\f{x}``, ``\\f x``, with ``^{p}`` and ``_{base}``."""
        self.enter()
        power = base = None
        while self.at("char", "^") or self.at("char", "_"):
            mark = self.next().value
            if mark == "^":
                power = self.argument()
            elif fname == "log":
                base = self.argument()
            else:
                self.fail(f"a subscript on {fname} is not allowed", self.t[self.i - 1])
        if power is not None and power.replace(" ", "") in ("-1", "(-1)") and fname in INVERSE:
            fname, power = INVERSE[fname], None  # \sin^{-1} x is arcsin
        if self.at("char", "(") or self.at("char", "{") or self.at("cmd", "left"):
            opener = self.next()
            arg = self.left_right(opener) if opener.kind == "cmd" else self.group(opener)
            if arg.startswith("(") and opener.kind == "cmd" and _balanced_outer(arg):
                arg = arg[1:-1]
        else:
            arg = self.bare_argument(tok)
        self.depth -= 1
        if base is not None:
            arg = f"{arg}, {base}"
        out = f"{fname}({arg})"
        return out if power is None else f"({out})^({power})"

    def bare_argument(self, tok: Token) -> str:
        """``\\sin 2x``: factors up to the next operator or function."""
        factors = []
        while self.peek() is not None:
            nxt = self.peek()
            if nxt.kind == "cmd" and nxt.value in SPACES:
                self.i += 1
                continue
            starts = nxt.kind in ("digit", "letter") or (nxt.kind == "char" and nxt.value in "{([|") or (
                nxt.kind == "cmd" and (nxt.value in GREEK or nxt.value in FRACTIONS or nxt.value in NAME_WRAPPERS
                                       or nxt.value in ("pi", "sqrt", "left", "{")))
            if not starts or (nxt.kind == "cmd" and nxt.value in FUNCTIONS):
                break
            if nxt.kind == "char" and nxt.value == "|" and factors:
                break  # a closing bar of |\sin x|
            factors.append(self.atom())
        if not factors:
            self.fail(f"'\\{tok.value}' needs an argument", tok)
        return " ".join(factors)


def _balanced_outer(s: str) -> bool:
    """True when the first '(' of ``s`` closes at its last character."""
    depth = 0
    for k, ch in enumerate(s):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return k == len(s) - 1
    return False
