"""Reading a LaTeX matrix (``bmatrix``, ``pmatrix``, ``array`` ...) into rows of plain entries."""

from __future__ import annotations

from hwcheck.errors import ParseError
from hwcheck.latex_input.tokens import MATRIX_ENVS, Token, check_length, strip_math, tokenize
from hwcheck.latex_input.translator import Translator

MAX_CELLS = 400  # entries of a matrix


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
    check_length(text)
    start, end = strip_math(text)
    tokens = tokenize(text, start, end)
    if not any(t.kind == "cmd" and t.value == "begin" for t in tokens):
        return None
    t = tokens
    if len(t) >= 4 and t[0].matches("cmd", "left") and t[-2].matches("cmd", "right"):
        t = t[2:-2]  # \left[ ... \right]
    if not (t and t[0].matches("cmd", "begin")):
        raise ParseError("a matrix must be the whole answer", text, next(x.offset for x in tokens if x.matches("cmd", "begin")))
    env, i = _env_name(text, t, 1)
    if env not in MATRIX_ENVS:
        raise ParseError(f"unknown LaTeX environment {env!r} (matrices: {', '.join(sorted(MATRIX_ENVS))})",
                         text, t[0].offset)
    if env == "array":  # skip the column spec {cc}
        if i < len(t) and t[i].matches("char", "{"):
            while i < len(t) and not t[i].matches("char", "}"):
                i += 1
            i += 1
    close = max((k for k in range(i, len(t)) if t[k].matches("cmd", "end")), default=-1)
    if close < i or not t[close].matches("cmd", "end") or _env_name(text, t, close + 1) != (env, len(t)):
        raise ParseError(f"the matrix must end with \\end{{{env}}} and nothing after it", text,
                         t[-1].offset if t else 0)
    rows: list[list[list[Token]]] = [[[]]]
    where = {id(rows[0][0]): t[i - 1].offset}  # cell -> offset of the token before it (for empty cells)
    depth = 0
    for tok in t[i:close]:
        if tok.matches("char", "{"):
            depth += 1
        elif tok.matches("char", "}"):
            depth -= 1
        if depth == 0 and tok.matches("char", "&"):
            rows[-1].append([])
            where[id(rows[-1][-1])] = tok.offset
        elif depth == 0 and tok.matches("cmd", "\\"):
            rows.append([[]])
            where[id(rows[-1][-1])] = tok.offset
        elif tok.matches("cmd", "begin") or tok.matches("cmd", "end"):
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
            entries.append(Translator(text, cell).whole())
        out.append(entries)
    return out


def _env_name(text: str, t: list[Token], i: int) -> tuple[str, int]:
    """The name in ``{name}`` at ``t[i]`` and the index after the closing brace."""
    if i >= len(t) or not t[i].matches("char", "{"):
        raise ParseError("expected {environment name} after \\begin or \\end", text, t[min(i, len(t) - 1)].offset)
    j = i + 1
    name = ""
    while j < len(t) and t[j].kind == "letter":
        name += t[j].value
        j += 1
    if j >= len(t) or not t[j].matches("char", "}"):
        raise ParseError("expected {environment name} after \\begin or \\end", text, t[min(j, len(t) - 1)].offset)
    return name, j + 1
