"""HTML documents: the Markdown that the templates write, as one self-contained page.

``--format html`` (solve, key, sheet, grade) takes the Markdown document that the
templates already produce and turns it into a page that opens anywhere:

* Markdown -> HTML with markdown-it-py (CommonMark, tables), raw HTML **off**: a
  ``<b>`` in a statement or an answer is shown as text, never parsed as a tag.
* ``$...$`` and ``$$...$$`` -> MathML with latex2mathml, marked ``dir="ltr"`` so that
  a formula reads left to right inside Persian text. Chromium, Firefox and Safari draw
  MathML natively: there is no script on the page.
* Right to left (``--lang fa``): every run of Latin letters, digits and the signs
  between them (``-2``, ``(1, -2, 3)``, ``ReLU``) is isolated in ``<bdi dir="ltr">``,
  and code in ``<code dir="auto">``; in a left-to-right page, Persian runs are isolated
  in ``<bdi>``. So ``-2`` never shows as ``2-`` and a list of values keeps its order.
* Everything is sanitised with nh3 (the Ammonia allow-list sanitiser), allowing exactly
  the HTML, MathML and SVG elements and attributes this module emits. latex2mathml
  passes ``\\text{<script>...}`` through as markup, so escaping alone is not enough.
  Bidi embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) in the
  text are shown as ``[U+202E]`` instead of reordering what follows them.
* Figures (the SVG files a kind draws) are inlined, each sanitised with an SVG allow-list.
* CSS is inline; fonts come from the system (a math font and, for Persian, Vazirmatn or
  Noto Naskh Arabic), named with fallbacks, so nothing is fetched from the network.

The page shell (``templates/html/page.html.j2``) holds the CSS and no sentences.

>>> body = fragment("Set $x = -2$ and `a<b>`.\\n\\n<script>alert(1)</script>", "en")
>>> "<script" in body, "&lt;script&gt;" in body, '<math display="inline" dir="ltr">' in body
(False, True, True)
>>> print(fragment("مقدار آن -2 است.", "fa").strip())
<p dir="rtl">مقدار آن <bdi dir="ltr">-2</bdi> است.</p>
"""

from __future__ import annotations

import html as _html
import re
from functools import lru_cache
from typing import Mapping

from hwcheck import bidi, langs

# -- what the pages may contain (the sanitiser's allow-list) ---------------------

HTML_TAGS = {
    "p", "div", "span", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote",
    "pre", "code", "em", "strong", "a", "table", "thead", "tbody", "tr", "th", "td", "bdi", "figure",
    "figcaption", "del", "s", "sub", "sup",
}
# The presentation MathML that latex2mathml writes (checked over every shipped document by
# tests/test_html.py: nothing it emits for them is dropped).
MATH_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt",
    "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "merror", "semantics",
}
MATH_ATTRS = {
    "display", "dir", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "stretchy", "fence",
    "separator", "lspace", "rspace", "symmetric", "largeop", "movablelimits", "minsize", "maxsize", "form",
    "accent", "accentunder", "linethickness", "columnalign", "rowalign", "columnspacing", "rowspacing",
    "columnlines", "rowlines", "frame", "framespacing", "width", "height", "depth", "voffset", "notation",
    "align", "equalrows", "equalcolumns", "rowspan", "columnspan", "class", "linebreak",
}
# The SVG that matplotlib writes for the figures (svg.fonttype = path: no text elements).
SVG_TAGS = {"svg", "g", "defs", "path", "use", "clipPath", "rect", "circle", "ellipse", "line", "polyline",
            "polygon", "title", "desc", "metadata"}
SVG_ATTRS = {
    "viewBox", "width", "height", "version", "id", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx",
    "ry", "points", "transform", "style", "clip-path", "fill", "fill-opacity", "stroke", "stroke-width",
    "stroke-linecap", "stroke-linejoin", "stroke-opacity", "stroke-dasharray", "stroke-dashoffset",
    "stroke-miterlimit", "opacity", "preserveAspectRatio", "role", "aria-label", "href", "xlink:href",
}
HTML_ATTRS = {
    "*": {"dir", "lang", "class"},
    "th": {"style"}, "td": {"style"},  # text-align only (markdown-it's column alignment); see _STYLE
    "a": {"href", "title"},
    "code": {"class", "dir"},
    **{tag: MATH_ATTRS for tag in MATH_TAGS},
    "figure": {"class", "dir"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# Bidi embeddings, overrides and isolates: they reorder what follows them (U+202E shows "abc" as "cba").
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_STYLE = re.compile(r"text-align:(left|right|center)")


def _neutralise_bidi(text: str) -> str:
    return _BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """Keep only the inline styles markdown-it writes for table alignment; no SVG link leaves the page."""
    if attr == "style" and tag in ("th", "td"):
        return value if _STYLE.fullmatch(value.replace(" ", "")) else None
    if attr in ("href", "xlink:href") and tag == "use":
        return value if re.fullmatch(r"#[A-Za-z0-9_.:-]+", value) else None
    return value


def sanitize(fragment: str) -> str:
    """The fragment with everything outside the allow-list removed (scripts, event
    handlers, ``javascript:`` URLs, ``href`` on MathML, styles, forms, frames ...).

    >>> sanitize('<p onclick="x()">a<script>b</script><img src=x onerror=alert(1)></p>')
    '<p>a</p>'
    >>> sanitize('<math><mtext><img src=x onerror=alert(1)></mtext><mrow href="javascript:alert(1)"><mi>x</mi></mrow></math>')
    '<math><mtext></mtext><mrow><mi>x</mi></mrow></math>'
    """
    import nh3

    return nh3.clean(
        _neutralise_bidi(fragment), tags=HTML_TAGS | MATH_TAGS, attributes=HTML_ATTRS, url_schemes=URL_SCHEMES,
        attribute_filter=_attribute_filter, link_rel="noopener noreferrer nofollow", strip_comments=True,
    )


def sanitize_svg(svg: str) -> str:
    """A figure's SVG with only drawing elements left (no script, no foreignObject, no outside link)."""
    import nh3

    svg = re.sub(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", "", svg)
    styles = [m.group(1) for m in re.finditer(r"<style[^>]*>(.*?)</style>", svg, re.S)]
    clean = nh3.clean(svg, tags=SVG_TAGS, attributes={tag: SVG_ATTRS for tag in SVG_TAGS},
                      url_schemes=set(), attribute_filter=_svg_attribute_filter, strip_comments=True,
                      link_rel=None)
    css = "".join(s for s in styles if _SAFE_SVG_CSS.fullmatch(s))
    if css:  # matplotlib's one rule (stroke-linejoin and the like): kept when it holds no url() or @import
        clean = re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + f"<defs><style>{css}</style></defs>", clean, 1)
    return clean


_SAFE_SVG_CSS = re.compile(r"[\sA-Za-z0-9*{}:;#.,_%-]*")


def _svg_attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in ("href", "xlink:href"):
        return value if re.fullmatch(r"#[A-Za-z0-9_.:-]+", value) else None
    if "url(" in value and not re.fullmatch(r"url\(#[A-Za-z0-9_.:-]+\)", value.strip()):
        return None
    if attr == "style" and ("url(" in value or "expression" in value or "@" in value):
        return None
    return value


# -- math -------------------------------------------------------------------------

def math(tex: str, display: bool = False) -> str:
    """One formula as MathML, left to right; LaTeX that latex2mathml cannot read is shown as its
    source in ``<code>`` (never dropped silently).

    >>> math("x^2")
    '<math display="inline" dir="ltr"><mrow><msup><mi>x</mi><mn>2</mn></msup></mrow></math>'
    """
    from latex2mathml.converter import convert

    source = tex.strip()
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types on LaTeX it does not know  # noqa: BLE001
        tag = "pre" if display else "code"
        return f'<{tag} class="tex" dir="ltr">{_html.escape(tex)}</{tag}>'
    mathml = mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)
    mathml = re.sub(r"^<math ([^>]*)>", lambda m: f'<math {m.group(1)} dir="ltr">', mathml, count=1)
    # a display formula wider than the page scrolls inside its own box, never the page
    return f'<div class="display" dir="ltr">{mathml}</div>' if display else mathml


# -- right to left ----------------------------------------------------------------

def isolate(text: str, direction: str) -> str:
    """Escaped text with its runs of the other direction isolated in ``<bdi>``.

    >>> isolate("بردار (1, -2, 3) را ببینید", "rtl")
    'بردار <bdi dir="ltr">(1, -2, 3)</bdi> را ببینید'
    >>> isolate("مقدار ReLU) و x<0", "rtl")
    'مقدار <bdi dir="ltr">ReLU</bdi>) و <bdi dir="ltr">x&lt;0</bdi>'
    >>> isolate("the phrase تقارن وزن‌ها, twice", "ltr")
    'the phrase <bdi dir="rtl">تقارن وزن‌ها</bdi>, twice'
    """
    escape = lambda piece: _html.escape(piece, quote=False)  # noqa: E731
    if direction == "rtl":
        return bidi.wrap(text, bidi.ltr_runs(text), escape, lambda p: f'<bdi dir="ltr">{escape(p)}</bdi>')
    return bidi.wrap(text, bidi.rtl_runs(text), escape, lambda p: f'<bdi dir="rtl">{escape(p)}</bdi>')


# -- Markdown -> HTML --------------------------------------------------------------

@lru_cache(maxsize=None)
def _markdown(direction: str):
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    md.use(dollarmath_plugin, allow_labels=False, allow_space=True, allow_digits=True, double_inline=True)

    def math_inline(self, tokens, idx, options, env):
        return math(tokens[idx].content)

    def math_display(self, tokens, idx, options, env):
        return math(tokens[idx].content, display=True)

    def math_block(self, tokens, idx, options, env):
        return math(tokens[idx].content, display=True) + "\n"

    def text(self, tokens, idx, options, env):
        return isolate(tokens[idx].content, direction)

    def code_inline(self, tokens, idx, options, env):
        return f'<code dir="auto">{_html.escape(tokens[idx].content, quote=False)}</code>'

    def fence(self, tokens, idx, options, env):
        return f'<pre dir="auto"><code>{_html.escape(tokens[idx].content, quote=False)}</code></pre>\n'

    def image(self, tokens, idx, options, env):
        token = tokens[idx]
        src = token.attrGet("src") or ""
        caption = isolate(self.renderInlineAsText(token.children or [], options, env), direction)
        env.setdefault("figures_used", []).append(src)
        return f'<figure>{env["marker"]}{len(env["figures_used"]) - 1}:<figcaption>{caption}</figcaption></figure>'

    def block_open(self, tokens, idx, options, env):
        """<p>, <li>, <h1>..., <blockquote> with the direction of their own words (``_block_dir``)."""
        token = tokens[idx]
        if token.hidden:
            return ""
        found = _block_dir(tokens, idx)
        tag = token.tag
        return f'<{tag} dir="{found}">' if found else f"<{tag}>"

    for name, rule in (("math_inline", math_inline), ("math_inline_double", math_display),
                       ("math_block", math_block), ("math_block_label", math_block), ("text", text),
                       ("code_inline", code_inline), ("fence", fence), ("code_block", fence), ("image", image),
                       ("paragraph_open", block_open), ("list_item_open", block_open),
                       ("heading_open", block_open)):
        md.add_render_rule(name, rule)
    return md


_STRONG = re.compile(f"[A-Za-z{bidi.ARABIC}]")
_NOT_FOR_HTML = re.compile(r"^```mermaid\n.*?\n```[ \t]*$|^<!-- latex\n.*?\n-->[ \t]*$", re.S | re.M)


def _block_dir(tokens, idx) -> str | None:
    """The direction of a block from its first strong letter, as Unicode's paragraph rule does, but
    looking only at its words: math, code and numbers are left out (``$W$ را ...`` is Persian, not
    English because of ``W``). None when the block has no words (math alone): it inherits."""
    depth = 0
    for token in tokens[idx + 1:]:
        if token.nesting == 1:
            depth += 1
        elif token.nesting == -1:
            if depth == 0:
                return None
            depth -= 1
        if token.type != "inline":
            continue
        for child in token.children or []:
            if child.type == "text":
                found = _STRONG.search(child.content)
                if found:
                    return "rtl" if re.match(f"[{bidi.ARABIC}]", found.group()) else "ltr"
    return None


def fragment(markdown: str, lang: str = "en", *, figures: Mapping[str, str] | None = None,
             links: Mapping[str, str] | None = None) -> str:
    """The body of a page: the Markdown as sanitised HTML.

    ``figures`` maps an image's file name, as the Markdown links it, to the SVG text to inline
    (sanitised); an image without an entry is dropped and its caption kept. ``links`` renames
    link targets (``{"a.md": "a.html"}``, for pages that link each other).
    """
    direction = langs.direction(lang)
    import secrets

    # LaTeX-only blocks (`<!-- latex ... -->`) are left out; a Mermaid drawing needs a script, so it is too.
    markdown = _NOT_FOR_HTML.sub("", markdown)

    env: dict = {"marker": f"FIGURE-{secrets.token_hex(8)}:"}  # unforgeable by the text around it
    body = _markdown(direction).render(_neutralise_bidi(markdown), env)
    if links:
        body = re.sub(r'href="([^"]*)"', lambda m: f'href="{_html.escape(links.get(_html.unescape(m.group(1)), _html.unescape(m.group(1))))}"', body)
    body = sanitize(body)
    used = env.get("figures_used", [])

    def figure(m):
        src = _html.unescape(used[int(m.group(1))]) if int(m.group(1)) < len(used) else ""
        svg = (figures or {}).get(src)
        return sanitize_svg(svg) if svg else ""

    return re.sub(re.escape(env["marker"]) + r"(\d+):", figure, body)


def page(markdown: str, lang: str = "en", *, title: str | None = None, figures: Mapping[str, str] | None = None,
         links: Mapping[str, str] | None = None) -> str:
    """A whole HTML document: ``<!DOCTYPE html>``, ``lang`` and ``dir`` set, inline CSS, no script.

    ``title`` defaults to the document's first ``# `` heading (as text).
    """
    if title is None:
        heading = re.search(r"^# +(.+)$", markdown, re.M)
        title = heading.group(1) if heading else ""
    title = re.sub(r"\\(.)", r"\1", re.sub(r"[`*$]", "", _neutralise_bidi(title))).strip()
    body = fragment(markdown, lang, figures=figures, links=links)
    return _shell().render(lang=lang, dir=langs.direction(lang), title=title, body=body)


@lru_cache(maxsize=None)
def _shell():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(langs.templates_root() / "html")),
        undefined=jinja2.StrictUndefined, autoescape=True,
        block_start_string="<%", block_end_string="%>", variable_start_string="<<", variable_end_string=">>",
        comment_start_string="<#", comment_end_string="#>", trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    template = env.get_template("page.html.j2")
    return _Shell(template)


class _Shell:
    def __init__(self, template):
        self.template = template

    def render(self, *, body: str, **context) -> str:
        from markupsafe import Markup

        return self.template.render(body=Markup(body), **context)
