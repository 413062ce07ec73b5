"""Figures beside a worked solution: an optional kind hook, drawn into deterministic files.

A kind may define ``figures(given, solution) -> list of hwcheck.model.Figure``:
plain data (a name, the kind of drawing, what it shows), so kinds never import
this module. ``plan`` asks the kind, ``render`` draws each figure into a fresh
``matplotlib.figure.Figure`` with the function ``DRAWINGS`` names for its kind,
and ``write`` saves them as ``<stem>-<name>.svg`` (or ``.png``) with no date,
no software version, a fixed SVG hash salt, and the ids matplotlib varies
between versions (clip paths, markers, glyphs) renumbered by
``normalize_svg``, so regenerating a key does not change its bytes.
matplotlib (Agg, no pyplot) is imported only here, only when drawing.

The drawings below are those of the optimisation kinds. Their inputs are plain
data: runs ``{"label", "iterates", "values"}`` with SymPy numbers.

>>> [(f.name, f.kind) for f in hook("gradient_descent")(*_example())]
[('path', 'curve'), ('loss', 'values')]
>>> hook("init_bounds") is None
True
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Callable, Sequence

from hwcheck.model import Figure, Problem, Solution

FORMATS = ("svg", "png")
SIZE = (6.4, 4.6)  # inches
GRID = 121  # contour samples per axis
MAX_MARKERS = 60  # iterates drawn with a marker each; longer paths are lines
FIGURES_MISSING = "matplotlib is not installed, so no figures were drawn (pip install matplotlib)"


def available() -> bool:
    """True when matplotlib can be imported."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def hook(kind_name: str) -> Callable | None:
    """The kind's ``figures`` function, or None."""
    from hwcheck import kinds

    return getattr(kinds.get(kind_name).module, "figures", None)


def file_name(stem: str, name: str, fmt: str = "svg") -> str:
    """The deterministic file name of a figure: ``<stem>-<name>.<fmt>``."""
    return f"{stem}-{name}.{fmt}"


def plan(problem: Problem, solution: Solution, *, figures: bool = True,
         fmt: str = "svg") -> tuple[list[dict], list[Figure], list[str]]:
    """The figures of a solution: ``([{name, file}], figures to draw, notes)``; nothing when the
    kind has no ``figures`` hook, ``figures`` is false, or matplotlib is missing (a note says so)."""
    declare = hook(problem.kind) if figures else None
    if declare is None:
        return [], [], []
    if not available():
        return [], [], [FIGURES_MISSING]
    items = list(declare(problem.given, solution))
    return [{"name": item.name, "file": file_name(problem.id, item.name, fmt)} for item in items], items, []


def write(items: Sequence[Figure], folder: str | Path, stem: str, fmt: str = "svg") -> list[dict]:
    """Draw every figure and save it as ``folder/<stem>-<name>.<fmt>``; returns ``[{name, file, path}]``."""
    from hwcheck.files import write_atomic

    folder = Path(folder)
    out = []
    for item, (file, data) in zip(items, render(items, stem, fmt)):
        write_atomic(folder / file, data)
        out.append({"name": item.name, "file": file, "path": folder / file})
    return out


def svgs(items: Sequence[Figure], stem: str) -> dict[str, str]:
    """Draw every figure as SVG text, ``{file name: svg}`` (for pages that inline them); line ends
    read as a text file reads them."""
    return {file: io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
            for file, data in render(items, stem, "svg")}


def render(items: Sequence[Figure], stem: str, fmt: str = "svg") -> list[tuple[str, bytes]]:
    """Draw every figure in memory: ``[(<stem>-<name>.<fmt>, bytes)]``."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure as Canvas

    out = []
    rc = {"svg.hashsalt": "hwcheck", "svg.fonttype": "path", "font.size": 10, "axes.grid": False}
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context(rc):
        for item in items:
            figure = Canvas(figsize=SIZE, dpi=100, layout="constrained")
            DRAWINGS[item.kind](figure, **item.data)
            buffer = io.BytesIO()
            figure.savefig(buffer, format=fmt, metadata=metadata)
            data = buffer.getvalue()
            if fmt == "svg":
                data = normalize_svg(data.decode("utf-8")).encode("utf-8")
            out.append((file_name(stem, item.name, fmt), data))
    return out


_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_DEFINED = re.compile(r'<([A-Za-z][\w:]*)\b[^<>]*?\bid="([^"]+)"')
_REFERENCE = re.compile(r'(?:href="#|url\(#)([^")]+)')


def normalize_svg(text: str) -> str:
    """An SVG whose bytes depend on the drawing only, not on the matplotlib version or run:
    the metadata block (software, date) is dropped, and every id that is referenced (clip
    paths, markers, glyphs; matplotlib derives them from hashes or font tables) is renamed
    in order of definition, ``clip1``, ``clip2``, ... for clip paths and ``d1``, ``d2``, ...
    for the rest. Ids that nothing references (group names) are kept.

    >>> svg = ('<svg><metadata>v3.11</metadata><defs><path id="m2879c07086" d="M 0 0"/>'
    ...        '<clipPath id="p0f3e1a9b2c"><rect/></clipPath></defs>'
    ...        '<g clip-path="url(#p0f3e1a9b2c)"><use xlink:href="#m2879c07086"/></g></svg>')
    >>> print(normalize_svg(svg))
    <svg><defs><path id="d1" d="M 0 0"/><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use xlink:href="#d1"/></g></svg>
    """
    text = _METADATA.sub("", text)
    referenced = set(_REFERENCE.findall(text))
    names: dict[str, str] = {}
    counts = {"clip": 0, "d": 0}
    for m in _DEFINED.finditer(text):
        tag, ident = m.group(1), m.group(2)
        if ident in referenced and ident not in names:
            prefix = "clip" if tag.lower() == "clippath" else "d"
            counts[prefix] += 1
            names[ident] = f"{prefix}{counts[prefix]}"
    if not names:
        return text
    pattern = re.compile(r'(id="|href="#|url\(#)(' + "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
                         + r')(?=[")])')
    return pattern.sub(lambda m: m.group(1) + names[m.group(2)], text)


# -- the drawings of the optimisation kinds ----------------------------------------------

def _floats(values) -> list[float]:
    out = []
    for v in values:
        try:
            x = float(v)
        except (OverflowError, TypeError):
            x = math.inf
        out.append(x if math.isfinite(x) else math.nan)
    return out


def _points(iterates):
    import numpy as np

    return np.array([_floats(p) for p in iterates], dtype=float)


def _box(points, pad=0.15):
    """(lo, hi) per coordinate around the finite points, padded, never empty."""
    import numpy as np

    finite = points[np.all(np.isfinite(points), axis=1)]
    if not len(finite):
        finite = np.zeros((1, points.shape[1]))
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    span = np.maximum(hi - lo, 1e-9 + 0.5 * np.maximum(np.abs(lo), np.abs(hi)))
    span = np.where(span == 0, 1.0, span)
    return lo - pad * span, hi + pad * span


def _union_box(runs):
    """A box for all runs together, leaving out runs that leave the others' scale (divergence)."""
    import numpy as np

    boxes = [_box(_points(r["iterates"])) for r in runs]
    sizes = np.array([float(np.max(hi - lo)) for lo, hi in boxes])
    keep = [b for b, s in zip(boxes, sizes) if s <= 100 * float(np.median(sizes))] or boxes
    return np.min([b[0] for b in keep], axis=0), np.max([b[1] for b in keep], axis=0)


def _evaluator(expr, names):
    import numpy as np
    import sympy as sp

    from hwcheck.expr import symbol

    fn = sp.lambdify([symbol(n) for n in names], expr, "numpy")

    def f(*args):
        with np.errstate(all="ignore"):
            value = np.asarray(fn(*args), dtype=float)
        return np.broadcast_to(value, np.broadcast(*args).shape) if value.ndim == 0 else value
    return f


def _contours(ax, f, lo, hi):
    import numpy as np

    xs, ys = np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID)
    X, Y = np.meshgrid(xs, ys)
    Z = f(X, Y)
    finite = Z[np.isfinite(Z)]
    if finite.size and finite.max() > finite.min():
        levels = np.unique(np.quantile(finite, np.linspace(0.02, 0.98, 14)))
        if len(levels) > 1:
            ax.contour(X, Y, Z, levels=levels, linewidths=0.7, cmap="viridis")


def _path(ax, points, label, color=None):
    marker = "o" if len(points) <= MAX_MARKERS else None
    line, = ax.plot(points[:, 0], points[:, 1], marker=marker, markersize=3, linewidth=1.2, label=label,
                    color=color)
    ax.plot(points[0, 0], points[0, 1], marker="s", markersize=6, color=line.get_color())
    return line


def contour_paths(figure, f_expr, names: Sequence[str], runs: Sequence[dict], *, side_by_side: bool = False):
    """Paths of 2-D runs over the contour lines of f (one panel each, or overlaid)."""
    f = _evaluator(f_expr, names) if f_expr is not None else None
    panels = len(runs) if side_by_side else 1
    if side_by_side:
        figure.set_size_inches(max(SIZE[0], 3.4 * panels), 3.6)
    axes = figure.subplots(1, panels, squeeze=False)[0]
    colors = [f"C{i}" for i in range(len(runs))]
    for i, ax in enumerate(axes):
        group = [runs[i]] if side_by_side else list(runs)
        lo, hi = _box(_points(group[0]["iterates"])) if side_by_side else _union_box(group)
        if f is not None:
            _contours(ax, f, lo, hi)
        for j, run in enumerate(group):
            _path(ax, _points(run["iterates"]), run["label"], colors[i if side_by_side else j])
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_xlabel(f"${names[0]}$")
        ax.set_ylabel(f"${names[1]}$")
        if side_by_side:
            ax.set_title(runs[i]["label"], fontsize=9)
        elif len(group) > 1 or group[0]["label"]:
            ax.legend(fontsize=8, loc="best")


def curve_1d(figure, f_expr, name: str, runs: Sequence[dict]):
    """The graph of a one-variable f with each run's iterates on it."""
    import numpy as np

    f = _evaluator(f_expr, [name])
    ax = figure.subplots()
    lo, hi = _union_box(runs)
    xs = np.linspace(lo[0], hi[0], 400)
    ax.plot(xs, f(xs), color="0.6", linewidth=1)
    for run in runs:
        p = _points(run["iterates"])[:, 0]
        marker = "o" if len(p) <= MAX_MARKERS else None
        ax.plot(p, f(p), marker=marker, markersize=3, linewidth=1, label=run["label"])
    ax.set_xlim(lo[0], hi[0])
    ax.set_xlabel(f"${name}$")
    ax.set_ylabel(f"$f({name})$")
    ax.legend(fontsize=8, loc="best")


def value_curves(figure, runs: Sequence[dict], ylabel: str = "$f(x_t)$"):
    """Each run's values against the step number; log scale when they are positive and spread."""
    import numpy as np

    ax = figure.subplots()
    every = []
    for run in runs:
        v = np.array(_floats(run["values"]))
        every.append(v[np.isfinite(v)])
        marker = "o" if len(v) <= MAX_MARKERS else None
        ax.plot(np.arange(len(v)), v, marker=marker, markersize=3, linewidth=1.2, label=run["label"])
    values = np.concatenate(every) if every else np.array([])
    if values.size and values.min() > 0 and values.max() / values.min() > 100:
        ax.set_yscale("log")
    elif values.size and np.abs(values).max() > 1e4 and values.min() < 0 < values.max():
        ax.set_yscale("symlog")
    ax.set_xlabel("$t$")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="best")


# Figure.kind -> the function that draws it: (matplotlib figure, **Figure.data)
DRAWINGS = {"contours": contour_paths, "curve": curve_1d, "values": value_curves}


def _example():
    from hwcheck.solving import load_problem_text, solve

    p = load_problem_text("{kind: gradient_descent, given: {f: 'x**2', start: {x: 1}, "
                          "learning_rate: 0.25, steps: 2}}")
    return p.given, solve(p)
