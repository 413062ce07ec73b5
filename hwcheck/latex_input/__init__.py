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

The package: ``tokens`` (the allow-list and the tokenizer), ``cursor`` (a
position in the tokens, failures with their offset), ``translator`` (terms,
groups, factors, names) with ``commands`` (the backslash commands), and
``matrix`` (matrix environments).

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

from hwcheck.errors import ParseError
from hwcheck.latex_input.cursor import MAX_DEPTH
from hwcheck.latex_input.matrix import MAX_CELLS, latex_matrix
from hwcheck.latex_input.tokens import (CLOSE, FRACTIONS, FUNCTIONS, GREEK, INVERSE, KNOWN,  # noqa: F401
                                        MATRIX_ENVS, MAX_LENGTH, NAME_WRAPPERS, NAMED_FUNCTIONS, OPEN, OPERATORS,
                                        PRODUCTS, SIZES, SPACES, UNICODE, Token, check_length, strip_math, tokenize)
from hwcheck.latex_input.translator import Translator

__all__ = ["latex_to_plain", "latex_matrix", "MAX_LENGTH", "MAX_DEPTH", "MAX_CELLS"]


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
    check_length(text)
    rows = latex_matrix(text)
    if rows is not None:
        return "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"
    start, end = strip_math(text)
    tokens = tokenize(text, start, end)
    if not tokens:
        raise ParseError("the answer is empty")
    return Translator(text, tokens).whole()
