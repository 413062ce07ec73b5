"""The allow-list of a LaTeX answer and the tokenizer that enforces it: every command must be
known here, and every character one that plain math can use."""

from __future__ import annotations

from dataclasses import dataclass

from hwcheck.errors import ParseError

MAX_LENGTH = 10_000  # characters of LaTeX read (plain math is limited to 2,000 by hwcheck.expr)

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

    def matches(self, kind: str, value: str) -> bool:
        return self.kind == kind and self.value == value


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
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


def strip_math(text: str) -> tuple[int, int]:
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


def check_length(text) -> None:
    if not isinstance(text, str):
        raise ParseError(f"expected LaTeX as text, found {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the LaTeX answer is too long ({len(text)} characters; at most {MAX_LENGTH})")
