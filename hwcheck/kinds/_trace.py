"""The figures of an optimisation trace, declared as data (``hwcheck.model.Figure``) for the kinds
that draw one (``gradient_descent``, ``optimizer_trace``); ``hwcheck.figures`` draws them.

>>> runs = [{"label": None, "iterates": [[1, 1], [0, 0]], "values": [2, 0]}]
>>> [(f.name, f.kind) for f in trace_figures("x**2 + y**2", ["x", "y"], runs)]
[('path', 'contours'), ('loss', 'values')]
>>> [f.name for f in trace_figures(None, ["x", "y"], runs + runs)]
['path', 'compare']
"""

from __future__ import annotations

from typing import Sequence

from hwcheck.model import Figure


def trace_figures(f_expr, names: Sequence[str], runs: Sequence[dict]) -> list[Figure]:
    """``path``: the iterates on f's contours (2-D) or on its graph (1-D); ``compare``: several runs
    side by side (2-D); ``loss``: f against the step. Without f (given-gradient drills) only the
    2-D path is drawn.
    """
    out: list[Figure] = []
    if len(names) == 2:
        out.append(Figure("path", "contours", {"f_expr": f_expr, "names": names, "runs": runs}))
        if len(runs) > 1:
            out.append(Figure("compare", "contours", {"f_expr": f_expr, "names": names, "runs": runs,
                                                      "side_by_side": True}))
    elif len(names) == 1 and f_expr is not None:
        out.append(Figure("path", "curve", {"f_expr": f_expr, "name": names[0], "runs": runs}))
    if f_expr is not None:
        out.append(Figure("loss", "values", {"runs": runs}))
    return out
