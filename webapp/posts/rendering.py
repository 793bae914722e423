"""The one Markdown configuration: a post body to HTML, plus each footnote's HTML.

Adding or configuring a Markdown extension happens here and nowhere else;
the HTML it must produce is written down in ``contract``. Summaries are
rendered with the same configuration.

Python-Markdown instances are not thread-safe and are slow to build, so each
thread keeps one and resets it between documents. Results are memoised per
renderer in a bounded LRU keyed by the body text (a str caches its own hash,
so a hit costs a dict lookup).
"""

from __future__ import annotations

import copy
import functools
import re
import threading
import xml.etree.ElementTree as etree
from html import unescape
from html.parser import HTMLParser
from typing import Any

import markdown
from markdown.extensions import Extension
from markdown.extensions.footnotes import NBSP_PLACEHOLDER
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor

from .contract import (
    FOOTNOTE_ID_SEPARATOR,
    FOOTNOTES_HEADING_ID,
    footnote_anchor,
    reference_attributes,
)
from .models import Footnote, Heading, Rendered
from .render_speed import (
    InlinePatternsExtension,
    ReusedLexersExtension,
    Settings,
    cached_html_formatter,
    configs_for,
    settings_for,
)
from .sanitizing import sanitize as sanitize
from .sidenotes import SIDENOTE_CLASS, phrasing_html
from .typography import TypographyExtension

#: Where a reference gets no sidenote (see _PostTreeprocessor._add_sidenote).
SIDENOTE_EXCLUDED = frozenset({"a", "table", "pre"})

EXTENSIONS: list[str] = [
    "abbr",
    "attr_list",
    "def_list",
    # superfences: fenced code also inside list items and quotes (as GFM,
    # kramdown and Goldmark allow); it replaces fenced_code.
    "pymdownx.superfences",
    "footnotes",
    "md_in_html",
    "tables",
    "codehilite",
    "smarty",
    "toc",
    "pymdownx.magiclink",
    # ~~strike~~, as GFM and Goldmark write it.
    "pymdownx.tilde",
    # $$…$$ and $…$ math kept whole (not read as emphasis), for KaTeX or MathJax.
    "pymdownx.arithmatex",
]

EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    "footnotes": {
        "SEPARATOR": FOOTNOTE_ID_SEPARATOR,
        # Text presentation selector: keeps the arrow from turning into an emoji.
        "BACKLINK_TEXT": "&#8617;&#xFE0E;",
        "BACKLINK_TITLE": "Back to reference {} in the text",
    },
    "codehilite": {
        "css_class": "highlight",
        "guess_lang": False,
        "pygments_formatter": cached_html_formatter,
    },
    # Alignment as an attribute, not an inline style, so a strict CSP holds.
    "tables": {"use_align_attribute": True},
    "pymdownx.magiclink": {"hide_protocol": False, "repo_url_shortener": False},
    # ~sub~ would turn a lone tilde pair in prose into a subscript.
    "pymdownx.tilde": {"subscript": False},
    # Plain \(…\) and \[…\] text in a span or div: no script is needed to read it.
    "pymdownx.arithmatex": {"generic": True},
    "toc": {
        "slugify": slugify_unicode,
        "permalink": "#",
        "permalink_class": "heading-anchor",
        "permalink_title": "Link to this section",
        "toc_depth": "2-4",
    },
}


class _PostTreeprocessor(Treeprocessor):
    """Shapes footnotes for popovers and sidenotes, and collects each footnote's HTML.

    Registered below priority 0 so it runs after every built-in tree
    processor (inline patterns, footnote duplicates, unescaping).
    """

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.footnotes: list[Footnote] = []

    def run(self, root: etree.Element) -> None:
        self.footnotes = []
        section = next((d for d in root.iter("div") if d.get("class") == "footnote"), None)
        if section is not None:
            self._shape_section(section)
        notes = {note.id: note.html for note in self.footnotes}
        parents = {child: parent for parent in root.iter() for child in parent}
        for sup in list(root.iter("sup")):
            link = sup.find("a")
            if link is None or link.get("class") != "footnote-ref":
                continue
            footnote_id = link.get("href", "").removeprefix("#" + footnote_anchor(""))
            # The fragment's path is relative to the post's own URL, so the
            # renderer needs to know neither the slug nor where the site is mounted.
            for name, value in reference_attributes(footnote_id, link.text or "").items():
                link.set(name, value)
            if footnote_id in notes:
                self._add_sidenote(sup, link.text or "", notes[footnote_id], parents)

    def _add_sidenote(
        self,
        sup: etree.Element,
        number: str,
        html: str,
        parents: dict[etree.Element, etree.Element],
    ) -> None:
        """Put a copy of the note right after its reference, for wide screens' margins.

        The copy is phrasing content (it sits inside the citing paragraph),
        hidden from screen readers (they read the notes list) and marked with
        the class ``sidenote``, which feeds and other plain copies drop.
        References inside a link, a table or the notes themselves get none:
        a float cannot leave a table's cell, and links cannot nest.
        """
        parent = parents.get(sup)
        ancestor = parent
        while ancestor is not None:
            if ancestor.tag in SIDENOTE_EXCLUDED or ancestor.get("class") == "footnotes":
                return
            ancestor = parents.get(ancestor)
        if parent is None:
            return
        sidenote = etree.Element("span", {"class": SIDENOTE_CLASS, "aria-hidden": "true"})
        label = etree.SubElement(sidenote, "span", {"class": "sidenote-number"})
        label.text = number
        # Stashed, so it is written out as it is, like any raw HTML in a post.
        label.tail = " " + self.md.htmlStash.store(phrasing_html(html))
        sidenote.tail, sup.tail = sup.tail, None
        parent.insert(list(parent).index(sup) + 1, sidenote)

    def _shape_section(self, section: etree.Element) -> None:
        section.tag = "section"
        section.set("class", "footnotes")
        section.set("aria-labelledby", FOOTNOTES_HEADING_ID)
        rule = section.find("hr")
        if rule is not None:
            section.remove(rule)
        heading = etree.Element("h2", {"id": FOOTNOTES_HEADING_ID})
        heading.text = "Notes"
        section.insert(0, heading)
        items = section.find("ol")
        if items is None:
            return
        for number, item in enumerate(items.findall("li"), start=1):
            for backref in item.iter("a"):
                if backref.get("class") == "footnote-backref":
                    backref.set("aria-label", backref.get("title", ""))
            footnote_id = item.get("id", "").removeprefix(footnote_anchor(""))
            self.footnotes.append(Footnote(footnote_id, number, self._inner_html(item)))

    def _inner_html(self, item: etree.Element) -> str:
        """Serialise a footnote's content without its back-references."""
        wrapper = etree.Element("div")
        wrapper.text = item.text
        wrapper.extend(copy.deepcopy(child) for child in item)
        for parent in list(wrapper.iter()):
            for child in list(parent):
                if child.tag == "a" and child.get("class") == "footnote-backref":
                    _remove_keeping_tail(parent, child)
        for node in wrapper.iter():
            if node.text:
                node.text = node.text.replace(NBSP_PLACEHOLDER, "")
            if node.tail:
                node.tail = node.tail.replace(NBSP_PLACEHOLDER, "")
        # The back link's own paragraph is empty once the link is gone.
        for child in list(wrapper):
            if child.tag == "p" and not len(child) and not (child.text or "").strip():
                _remove_keeping_tail(wrapper, child)
        html = self.md.serializer(wrapper)
        html = html[len("<div>") : -len("</div>")]
        for postprocessor in self.md.postprocessors:
            html = postprocessor.run(html)
        return html.strip()


def _remove_keeping_tail(parent: etree.Element, child: etree.Element) -> None:
    if child.tail:
        index = list(parent).index(child)
        if index:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + child.tail
        else:
            parent.text = (parent.text or "") + child.tail
    parent.remove(child)


class _PostExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_PostTreeprocessor(md), "marginalia-post", -10)


_SCROLLABLE_PRE = re.compile(r'<div class="highlight"><pre>')


def build_markdown(settings: Settings | None = None) -> markdown.Markdown:
    """A Markdown instance with the site's extensions and their configuration,
    or only those ``settings`` name (for a body that can use no others: the
    output is the same, see ``render_speed``)."""
    if settings is None:
        extensions, configs = list(EXTENSIONS), EXTENSION_CONFIGS
    else:
        extensions, configs = list(settings), configs_for(settings, EXTENSION_CONFIGS)
    return markdown.Markdown(
        extensions=[
            ReusedLexersExtension(),
            *extensions,
            TypographyExtension(),
            InlinePatternsExtension(),
            _PostExtension(),
        ],
        extension_configs=configs,
        output_format="html",
    )


class Renderer:
    """Renders post bodies with the site's Markdown configuration.

    ``sanitize=True`` cleans the result with nh3, for sites whose authors
    are not trusted; otherwise raw HTML in a post is the author's choice.
    """

    def __init__(self, *, cache_size: int = 512, sanitize: bool = False) -> None:
        self._local = threading.local()
        self.sanitize = sanitize
        self.render = functools.lru_cache(maxsize=cache_size)(self._render)

    def __call__(self, body: str) -> Rendered:
        return self.render(body)

    def _markdown(self, body: str) -> markdown.Markdown:
        """This thread's Markdown with the extensions this body can use (same output)."""
        wanted = settings_for(body, EXTENSIONS)
        built: dict[Settings, markdown.Markdown] | None = getattr(self._local, "md", None)
        if built is None:
            built = self._local.md = {}
        md = built.get(wanted)
        if md is None:
            md = built[wanted] = build_markdown(wanted)
        return md

    def _render(self, body: str) -> Rendered:
        md = self._markdown(body)
        md.reset()
        html = md.convert(body)
        # Code blocks scroll sideways on narrow screens; a scrollable region
        # must be reachable by keyboard.
        html = _SCROLLABLE_PRE.sub('<div class="highlight"><pre tabindex="0">', html)
        collector = md.treeprocessors["marginalia-post"]
        assert isinstance(collector, _PostTreeprocessor)
        headings = tuple(_flatten_headings(getattr(md, "toc_tokens", [])))
        footnotes = tuple(collector.footnotes)
        if self.sanitize:
            html = sanitize(html)
            footnotes = tuple(
                Footnote(note.id, note.number, sanitize(note.html)) for note in footnotes
            )
        return Rendered(html=html, footnotes=footnotes, headings=headings)


def _flatten_headings(tokens: list[dict[str, Any]]) -> list[Heading]:
    flat: list[Heading] = []
    for token in tokens:
        flat.append(Heading(int(token["level"]), str(token["id"]), unescape(str(token["name"]))))
        flat.extend(_flatten_headings(token.get("children", [])))
    return flat


# --- summaries --------------------------------------------------------------

_NOT_A_PARAGRAPH = re.compile(
    r"""^(?:\#|>|```|~~~|\s{4}|\t|\||<|\[\^|[-*+]\s|\d+[.)]\s|(?:[-*_]\s*){3,}$|!\[|\{)"""
)
_FOOTNOTE_REF = re.compile(r"\[\^[^\]]*\]")
_SUMMARY_LIMIT = 300


class _TextExtractor(HTMLParser):
    _HIDDEN = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in self._HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in self._HIDDEN and self._hidden > 0

    def handle_data(self, data: str) -> None:
        if not self._hidden:  # what a reader sees: not scripts or styles
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return " ".join("".join(extractor.parts).split())


_summaries = threading.local()


def _summary_markdown() -> markdown.Markdown:
    """This thread's Markdown for summaries (building one costs more than a summary)."""
    md: markdown.Markdown | None = getattr(_summaries, "md", None)
    if md is None:
        md = _summaries.md = build_markdown()
    return md


@functools.lru_cache(maxsize=4096)
def summarize(body: str) -> str:
    """The first paragraph of a Markdown body as plain text, shortened if long.

    Only that paragraph is rendered (for smart quotes and inline markup), so
    a listing of many posts never renders whole bodies.
    """
    for block in re.split(r"\n\s*\n", body.strip()):
        block = block.strip()
        if not block or _NOT_A_PARAGRAPH.match(block):
            continue
        inline = _summary_markdown().reset().convert(_FOOTNOTE_REF.sub("", block))
        text = html_to_text(inline)
        if not text:
            continue
        if len(text) > _SUMMARY_LIMIT:
            text = text[:_SUMMARY_LIMIT].rsplit(" ", 1)[0].rstrip(",;:—–-") + "…"
        return text
    return ""
