"""Record text → safe HTML: Markdown abstracts and titles with inline TeX rendered as MathML.

Raw HTML in records is never interpreted (markdown-it with html disabled). latex2mathml
does not escape what it copies from the TeX (`\\text{<script>}`) and passes `\\href`
through, so its output is re-built from an allowlist and anything outside it falls back to
the TeX source shown as text.
"""
from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.dollarmath import dollarmath_plugin

MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"
MATHML_ELEMENTS = frozenset("""
    math mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt mroot mover munder munderover
    mtable mtr mtd mstyle mpadded mphantom menclose merror mmultiscripts mprescripts none semantics
""".split())
MATHML_ATTRIBUTES = frozenset("""
    display mathvariant stretchy fence separator lspace rspace accent accentunder linethickness
    columnalign rowalign rowspacing columnspacing displaystyle scriptlevel width height depth notation
    form minsize maxsize symmetric movablelimits largeop columnlines rowlines frame framespacing
""".split())


def _rebuild(element: ET.Element) -> str:
    tag = element.tag.removeprefix(MATHML_NS)
    if tag not in MATHML_ELEMENTS:
        raise ValueError(f"element {tag} not allowed")
    attributes = []
    for name, value in sorted(element.attrib.items()):
        if name not in MATHML_ATTRIBUTES:
            raise ValueError(f"attribute {name} not allowed")
        attributes.append(f' {name}="{html.escape(value)}"')
    children = "".join(_rebuild(child) + html.escape(child.tail or "", quote=False) for child in element)
    return f"<{tag}{''.join(attributes)}>{html.escape(element.text or '', quote=False)}{children}</{tag}>"


@functools.lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, display: bool = False) -> str | None:
    """Sanitised MathML for a TeX snippet, or None when it cannot be rendered safely."""
    try:
        tree = ET.fromstring(latex_to_mathml(tex, display="block" if display else "inline"))
        return _rebuild(tree)
    except Exception:  # latex2mathml raises many types on bad TeX; all mean "show the source"
        return None


def _render_math(content: str, options: dict) -> str:
    display = bool(options.get("display_mode"))
    mathml = tex_to_mathml(content, display)
    if mathml is None:
        delimiter = "$$" if display else "$"
        return f'<code class="tex">{html.escape(delimiter + content + delimiter)}</code>'
    return mathml


def _render_tex_source(content: str, options: dict) -> str:
    delimiter = "$$" if options.get("display_mode") else "$"
    return html.escape(delimiter + content + delimiter)


def _markdown(preset: str, math_renderer) -> MarkdownIt:
    md = MarkdownIt(preset, {"html": False, "linkify": False, "typographer": False})
    md.use(dollarmath_plugin, allow_digits=False, renderer=math_renderer)
    md.validateLink = _safe_link
    return md


def _safe_link(url: str) -> bool:
    return bool(re.match(r"(https?:|mailto:|#|/)", url.strip(), re.IGNORECASE))


_ABSTRACT = _markdown("commonmark", _render_math)
_ABSTRACT_FOR_FEEDS = _markdown("commonmark", _render_tex_source)
_TITLE = _markdown("zero", _render_math)
# "zero" disables every rule; dollarmath adds its own inline rule, which must be enabled.
_TITLE.enable(["math_inline"])


# What may begin Markdown syntax inside a line (with the $ of TeX), or what markdown-it rewrites
# before parsing (carriage returns, NUL); tabs count as indentation.
_MAYBE_SYNTAX = re.compile(r"[\\`*_\[\]!<>&$\r\0\t]")


def _plain_paragraphs(text: str) -> list[str] | None:
    """The paragraphs of a text that has no Markdown syntax, or None when it may have some.

    Most abstracts are plain prose, and for that markdown-it's output is known without parsing:
    one paragraph per run of lines between empty lines, the text escaped. The test is
    conservative: every line starts with a letter (so no list, heading, quote, fence or indented
    code can begin) and ends in a non-space (no hard break or stripped whitespace), and no
    character that may begin inline syntax occurs at all."""
    if _MAYBE_SYNTAX.search(text):
        return None
    paragraphs: list[str] = []
    lines: list[str] = []
    for line in text.split("\n"):
        if not line:
            if lines:
                paragraphs.append("\n".join(lines))
                lines = []
        elif line[0].isalpha() and not line[-1].isspace():
            lines.append(line)
        else:
            return None
    if lines:
        paragraphs.append("\n".join(lines))
    return paragraphs or None


def _paragraphs_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escapeHtml(paragraph)}</p>\n" for paragraph in paragraphs)


def _render(markdown: MarkdownIt, text: str) -> str:
    paragraphs = _plain_paragraphs(text)
    return _paragraphs_html(paragraphs) if paragraphs else markdown.render(text)


def abstract_html(text: str) -> str:
    return _render(_ABSTRACT, text)


def abstract_html_for_feeds(text: str) -> str:
    """The abstract as HTML with TeX left as source: feed readers do not all show MathML."""
    return _render(_ABSTRACT_FOR_FEEDS, text)


def title_html(text: str) -> str:
    if "$" in text or "\r" in text or "\0" in text:   # TeX, or what markdown-it rewrites first
        return _TITLE.renderInline(text)
    return escapeHtml(text)   # every other character is text to the title's parser (only its TeX rule is on)


def plain_text(text: str) -> str:
    """The abstract as a reader sees it, without Markdown syntax or markup (TeX kept as source)."""
    paragraphs = _plain_paragraphs(text)
    if paragraphs:   # what _text_of() leaves of their HTML
        return "".join(f" {paragraph} \n" for paragraph in paragraphs)
    return _text_of(_ABSTRACT_FOR_FEEDS.render(text))


def _text_of(html_text: str) -> str:
    """The text of HTML, its blocks kept apart by spaces."""
    blocks_apart = re.sub(r"</?(?:p|li|ul|ol|h\d|pre|blockquote|hr|br)\b[^>]*>", " ", html_text)
    return html.unescape(re.sub(r"<[^>]+>", "", blocks_apart))


EXCERPT_LIMIT = 200


@functools.lru_cache(maxsize=1024)  # a paper page asks three times: its card, its meta and og descriptions
def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """The abstract's plain text cut at a word boundary, for cards, descriptions and email. The
    default is about what search engines and link previews show of a description; a card is
    repeated on every listing its paper is on, so each character is written several times."""
    flat = " ".join(plain_text(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:")
    return cut + "…"
