r"""Reading a LaTeX math answer as the plain math syntax of ``hwcheck.expr``.

Students paste answers from their write-ups: ``$\frac{1}{2} x^{2} \sin x$``.
``latex_to_plain`` translates such text (the part inside ``$...$``) into the
plain syntax that ``parse_expr(..., implicit=True)`` reads; ``latex_matrix``
reads a ``bmatrix``/``pmatrix``/``matrix``/``array`` into rows of plain
entries. Nothing is evaluated: the text is split into tokens, every command
must be in the allow-list below, and the output is only a string handed to the
allow-list parser. (SymPy's ``parse_latex`` needs ANTLR and is not an
allow-list, so it is not used.)

Conventions (TeX's own where TeX has one):

* spaces are ignored, so letters written together multiply (``xy`` is
  ``x y``) and digits written apart join (``1 000`` is ``1000``); a Greek
  letter is one variable (``\alpha`` -> ``alpha``, ``\lambda`` -> ``lamda``);
  a run of letters that spells a known function and is followed by ``(`` is
  that function (``relu(x)``);
* ``^`` and ``_`` take one character or a ``{group}`` (``x^23`` is
  ``x^{2} 3``); ``x_1`` and ``W_{hh}`` are the variable names ``x_1`` and
  ``W_hh``;
* ``\sin x``, ``\sin(x)``, ``\sin{x}``, ``\sin\left(x\right)`` are all
  ``sin(x)``; a bare argument runs to the next ``+``, ``-``, ``\cdot``,
  ``/``, ``,`` or function (``\sin 2x \cos x`` is ``sin(2 x) cos(x)``);
  ``\sin^{2} x`` is ``sin(x)^2`` and ``\sin^{-1} x`` is ``asin(x)``;
  ``\log_{b} x`` is ``log(x, b)``; ``\log`` and ``\ln`` are natural;
* ``\sigma`` followed by a parenthesis is the sigmoid; otherwise the
  variable ``sigma``; ``e`` is Euler's number;
* ``[ ]``, ``\{ \}``, ``\left( \right)`` and braces group; ``|x|`` and
  ``\left| x \right|`` are ``abs(x)``.

>>> latex_to_plain(r"\frac{1}{2} x^{2} + \sqrt[3]{y}")
'((1)/(2)) x^(2) + (y)^(1/(3))'
>>> latex_to_plain(r"\sin^{2}{\left(x \right)} \cdot e^{-x_1}")
'(sin((x)))^(2) * e^(- x_1)'
>>> latex_to_plain(r"\sigma(z) \operatorname{ReLU}(W_{hh} h)")
'sigmoid(z) relu(W_hh h)'
>>> latex_to_plain(r"\max\left(0, \tfrac12\right) + |x|")
'max(0 , ((1)/(2))) + abs(x)'
>>> latex_matrix(r"\begin{bmatrix} 1 & \frac{1}{2} \\ x_1 & 0 \end{bmatrix}")
[['1', '((1)/(2))'], ['x_1', '0']]
>>> latex_to_plain(r"2 \input{/etc/passwd}")
Traceback (most recent call last):
...
hwcheck.errors.ParseError: unknown LaTeX command '\input'
>>> from hwcheck.errors import ParseError
>>> try:
...     latex_to_plain(r"x + \def\a{1}")
... except ParseError as exc:
...     print(exc.pointed())
unknown LaTeX command '\def'
    x + \def\a{1}
        ^
"""

from __future__ import annotations

from dataclasses import dataclass

from hwcheck.errors import ParseError

MAX_LENGTH = 10_000  # characters of LaTeX read (plain math is limited to 2,000 by hwcheck.expr)
MAX_DEPTH = 100  # nested groups, fractions, roots and functions
MAX_CELLS = 400  # entries of a matrix

GREEK = {name: name for name in (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa mu nu xi omicron "
    "rho varrho tau upsilon phi varphi chi psi omega Gamma Delta Theta Xi Sigma Upsilon Phi Psi Omega"
).split()} | {"lambda": "lamda", "Lambda": "Lamda", "sigma": "sigma"}
# LaTeX function commands -> hwcheck.expr function names
FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "exp": "exp", "ln": "ln", "log": "log",
    "max": "max", "min": "min", "sec": "sec", "csc": "csc", "cot": "cot", "coth": "coth",
}
# names inside \operatorname{...}, \mathrm{...} or written as plain letters before "("
NAMED_FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh",
    "tanh": "tanh", "exp": "exp", "ln": "ln", "log": "log", "max": "max", "min": "min",
    "relu": "relu", "sigmoid": "sigmoid", "sigm": "sigmoid", "abs": "abs", "sqrt": "sqrt",
    "sec": "sec", "csc": "csc", "cot": "cot", "sech": "sech", "csch": "csch", "coth": "coth",
    "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "arsinh": "asinh", "arcosh": "acosh",
    "artanh": "atanh", "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh",
}
INVERSE = {"sin": "asin", "cos": "acos", "tan": "atan"}
FRACTIONS = {"frac", "dfrac", "tfrac", "cfrac"}
PRODUCTS = {"cdot": "*", "times": "*", "ast": "*", "div": "/"}
SPACES = {",", ";", ":", "!", " ", "quad", "qquad", "thinspace", "medspace", "thickspace", "displaystyle",
          "textstyle"}
# size and style commands that change nothing in the value
NAME_WRAPPERS = {"operatorname", "mathrm", "text", "textrm", "mathit", "mathbf", "boldsymbol", "bm", "mathsf"}
SIZES = {"displaystyle", "textstyle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr"}
MATRIX_ENVS = {"matrix", "bmatrix", "pmatrix", "Bmatrix", "smallmatrix", "array"}
OPEN = {"(": ")", "[": "]", "\\{": "\\}", "|": "|", "\\lvert": "\\rvert", "\\lbrack": "\\rbrack",
        "\\lbrace": "\\rbrace", "\\langle": "\\rangle", ".": None}
CLOSE = {")", "]", "\\}", "|", "\\|", "\\rvert", "\\rbrack", "\\rbrace", "\\rangle", "."}
KNOWN = (set(GREEK) | set(FUNCTIONS) | FRACTIONS | set(PRODUCTS) | SPACES | NAME_WRAPPERS | SIZES
         | {"sqrt", "pi", "left", "right", "begin", "end", "\\", "{", "}", "|", "lvert", "rvert",
            "lbrack", "rbrack", "lbrace", "rbrace", "langle", "rangle"})
UNICODE = {"×": "\\times", "·": "\\cdot", "⋅": "\\cdot", "−": "-", "π": "\\pi", "σ": "\\sigma", "√": "\\sqrt",
           "\u00a0": " ", "\u2009": " "}
OPERATORS = set("+-*/,")


@dataclass(frozen=True)
class Token:
    kind: str  # "cmd" (value without the backslash), "char", "digit", "letter"
    value: str
    offset: int


def _tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Split LaTeX into tokens; unknown commands and characters are refused here."""
    end = len(text) if end is None else end
    out: list[Token] = []
    i = start
    while i < end:
        ch = text[i]
        if ch in UNICODE:
            mapped = UNICODE[ch]
            if mapped.startswith("\\"):
                out.append(Token("cmd", mapped[1:], i))
            elif mapped.strip():
                out.append(Token("char", mapped, i))
            i += 1
            continue
        if ch == "\\":
            j = i + 1
            while j < end and text[j].isascii() and text[j].isalpha():
                j += 1
            if j == i + 1:
                if j >= end:
                    raise ParseError("a lone backslash at the end", text, i)
                j += 1
            name = text[i + 1:j]
            if name not in KNOWN:
                raise ParseError(f"unknown LaTeX command '\\{name}'", text, i)
            if name not in SIZES:  # \bigl( is just ( for us
                out.append(Token("cmd", name, i))
            i = j
            continue
        if ch.isspace() or ch == "~":
            i += 1
            continue
        if not ch.isascii():
            raise ParseError(f"unexpected character {ch!r} (U+{ord(ch):04X}) in a LaTeX answer", text, i)
        if not ch.isprintable():
            raise ParseError(f"unexpected control character {ch!r}", text, i)
        if ch == "%":
            raise ParseError("'%' (a TeX comment) is not allowed in an answer", text, i)
        if ch in "#$\"'`@?!;:\\<>=":
            what = {"=": "an equation ('=')", "<": "a comparison", ">": "a comparison", "'": "a prime (')",
                    "!": "a factorial ('!')", "$": "a '$' inside the math"}.get(ch, f"the character {ch!r}")
            raise ParseError(f"{what} is not allowed in an answer", text, i)
        kind = "digit" if ch.isdigit() else "letter" if ch.isalpha() else "char"
        out.append(Token(kind, ch, i))
        i += 1
    return out


def _strip_math(text: str) -> tuple[int, int]:
    """The span of ``text`` inside one pair of ``$...$``, ``$$...$$``, ``\\(...\\)`` or ``\\[...\\]``."""
    start, end = 0, len(text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(left, start) and text.endswith(right, start, end) and end - start >= len(left) + len(right):
            return start + len(left), end - len(right)
    return start, end


def _check_length(text) -> None:
    if not isinstance(text, str):
        raise ParseError(f"expected LaTeX as text, found {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the LaTeX answer is too long ({len(text)} characters; at most {MAX_LENGTH})")


def latex_to_plain(text: str) -> str:
    r"""The plain math syntax of a LaTeX math answer (surrounding ``$`` are optional).

    A matrix comes back as a nested list string, ``"[[a, b], [c, d]]"``
    (``latex_matrix`` gives the rows themselves). ``ParseError`` (with the
    offset of the bad command or character) for anything else.

    >>> latex_to_plain(r"$\dfrac{\pi}{4} - \ln 2$")
    '((pi)/(4)) - ln(2)'
    >>> latex_to_plain(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}")
    '[[1], [2]]'
    """
    _check_length(text)
    rows = latex_matrix(text)
    if rows is not None:
        return "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"
    start, end = _strip_math(text)
    tokens = _tokens(text, start, end)
    if not tokens:
        raise ParseError("the answer is empty")
    return _Translator(text, tokens).whole()


def latex_matrix(text: str) -> list[list[str]] | None:
    r"""The rows of a LaTeX matrix, each entry in plain math syntax; ``None`` if ``text`` is not a matrix.

    ``matrix``, ``bmatrix``, ``pmatrix``, ``Bmatrix``, ``smallmatrix`` and
    ``array`` (its column spec skipped), optionally inside ``\left[ ... \right]``
    or ``\left( ... \right)`` as SymPy prints them.

    >>> latex_matrix(r"\left[\begin{matrix}1 & x\\2 & 3\end{matrix}\right]")
    [['1', 'x'], ['2', '3']]
    >>> latex_matrix(r"x^2") is None
    True
    """
    _check_length(text)
    start, end = _strip_math(text)
    tokens = _tokens(text, start, end)
    if not any(t.kind == "cmd" and t.value == "begin" for t in tokens):
        return None
    t = tokens
    if len(t) >= 4 and _is(t[0], "cmd", "left") and _is(t[-2], "cmd", "right"):
        t = t[2:-2]  # \left[ ... \right]
    if not (t and _is(t[0], "cmd", "begin")):
        raise ParseError("a matrix must be the whole answer", text, next(x.offset for x in tokens if _is(x, "cmd", "begin")))
    env, i = _env_name(text, t, 1)
    if env not in MATRIX_ENVS:
        raise ParseError(f"unknown LaTeX environment {env!r} (matrices: {', '.join(sorted(MATRIX_ENVS))})",
                         text, t[0].offset)
    if env == "array":  # skip the column spec {cc}
        if i < len(t) and _is(t[i], "char", "{"):
            while i < len(t) and not _is(t[i], "char", "}"):
                i += 1
            i += 1
    close = max((k for k in range(i, len(t)) if _is(t[k], "cmd", "end")), default=-1)
    if close < i or not _is(t[close], "cmd", "end") or _env_name(text, t, close + 1) != (env, len(t)):
        raise ParseError(f"the matrix must end with \\end{{{env}}} and nothing after it", text,
                         t[-1].offset if t else 0)
    rows: list[list[list[Token]]] = [[[]]]
    where = {id(rows[0][0]): t[i - 1].offset}  # cell -> offset of the token before it (for empty cells)
    depth = 0
    for tok in t[i:close]:
        if _is(tok, "char", "{"):
            depth += 1
        elif _is(tok, "char", "}"):
            depth -= 1
        if depth == 0 and _is(tok, "char", "&"):
            rows[-1].append([])
            where[id(rows[-1][-1])] = tok.offset
        elif depth == 0 and _is(tok, "cmd", "\\"):
            rows.append([[]])
            where[id(rows[-1][-1])] = tok.offset
        elif _is(tok, "cmd", "begin") or _is(tok, "cmd", "end"):
            raise ParseError("a matrix inside a matrix is not allowed", text, tok.offset)
        else:
            rows[-1][-1].append(tok)
    if len(rows) > 1 and rows[-1] == [[]]:
        rows.pop()  # a trailing \\ before \end
    if sum(len(r) for r in rows) > MAX_CELLS:
        raise ParseError(f"the matrix is too large (at most {MAX_CELLS} entries)")
    width = len(rows[0])
    out = []
    for r, row in enumerate(rows):
        if len(row) != width:
            where = row[-1][0].offset if row[-1] else t[0].offset
            raise ParseError(f"row {r + 1} of the matrix has {len(row)} entries where row 1 has {width}", text, where)
        entries = []
        for c, cell in enumerate(row):
            if not cell:
                raise ParseError(f"entry ({r + 1}, {c + 1}) of the matrix is empty", text, where[id(cell)])
            entries.append(_Translator(text, cell).whole())
        out.append(entries)
    return out


def _is(tok: Token, kind: str, value: str) -> bool:
    return tok.kind == kind and tok.value == value


def _env_name(text: str, t: list[Token], i: int) -> tuple[str, int]:
    """The name in ``{name}`` at ``t[i]`` and the index after the closing brace."""
    if i >= len(t) or not _is(t[i], "char", "{"):
        raise ParseError("expected {environment name} after \\begin or \\end", text, t[min(i, len(t) - 1)].offset)
    j = i + 1
    name = ""
    while j < len(t) and t[j].kind == "letter":
        name += t[j].value
        j += 1
    if j >= len(t) or not _is(t[j], "char", "}"):
        raise ParseError("expected {environment name} after \\begin or \\end", text, t[min(j, len(t) - 1)].offset)
    return name, j + 1


class _Translator:
    """Recursive descent over the tokens, building plain text; never evaluates anything."""

    def __init__(self, text: str, tokens: list[Token]):
        self.text, self.t, self.i, self.depth = text, tokens, 0, 0

    # -- helpers --------------------------------------------------------------------
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
        if following is None or not (_is(following, "char", "(") or _is(following, "cmd", "left")):
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

    def left_right(self, tok: Token) -> str:
        """``\\left<d> ... \\right<d>``: a group, or ``abs`` for bars."""
        delim_tok = self.next()
        delim = ("\\" + delim_tok.value) if delim_tok.kind == "cmd" else delim_tok.value
        if delim not in OPEN:
            self.fail(f"unexpected delimiter after \\left: {self.describe(delim_tok)}", delim_tok)
        inner = self.sequence(stop=lambda t, _: _is(t, "cmd", "right"))
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
        if bars and not (_is(close_tok, "char", "|") or _is(close_tok, "cmd", "rvert") or _is(close_tok, "cmd", "|")):
            self.fail("\\left| must close with \\right|", close_tok)
        return f"abs({inner})" if bars else f"({inner})"

    # -- commands -----------------------------------------------------------------------
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
            inner = self.sequence(stop=lambda t, _: _is(t, "cmd", "}"))
            if not self.at("cmd", "}"):
                self.fail("'\\{' is never closed", tok)
            self.i += 1
            return f"({inner})"
        if name in ("lvert", "|"):
            closer = "rvert" if name == "lvert" else "|"
            return "abs(" + self.delimited(tok, lambda t, operand: operand and _is(t, "cmd", closer)) + ")"
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

    @staticmethod
    def describe(tok: Token) -> str:
        if tok.kind == "cmd":
            return f"'\\{tok.value}'"
        return f"{tok.value!r}"


def _balanced_outer(s: str) -> bool:
    """True when the first '(' of ``s`` closes at its last character."""
    depth = 0
    for k, ch in enumerate(s):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return k == len(s) - 1
    return False
