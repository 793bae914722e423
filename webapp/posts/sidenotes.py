"""A footnote's HTML rewritten as phrasing content, to sit inside the sentence that cites it.

A sidenote is an element placed right after its reference, inside a
paragraph, a list item or a heading, where HTML allows only phrasing content
(no ``<p>``, ``<pre>``, ``<ul>``). Each block element becomes a ``<span>``
with a class naming what it was (``<p>`` -> ``<span class="sn-p">``), which
CSS lays out as the block it was. The copy is hidden from assistive
technology (the notes list is what they read), so it carries no ids (they
would be duplicates) and nothing in it takes keyboard focus. Feeds, which
carry the notes list, drop the copies (``is_sidenote``, ``without_sidenotes``).
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

from .sanitizing import rewrite_start_tags

#: Phrasing elements kept as they are.
PHRASING = frozenset(
    "a abbr b bdi bdo br cite code data del dfn em i img ins kbd mark q s samp small span"
    " strong sub sup time u var wbr".split()
)
#: Elements whose content a reader never sees, dropped with it.
HIDDEN = frozenset("script style template noscript".split())
#: Elements without an end tag.
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
#: Attributes dropped from the copy: ids would repeat the notes list's, and a
#: copy hidden from screen readers must not take focus or run script.
DROPPED_ATTRIBUTES = frozenset({"id", "tabindex", "autofocus", "contenteditable", "style"})


class _Phrasing(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.open: list[str] = []  # the end tag to write for each open element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
            return
        if self.hidden:
            return
        kept = [
            (name, value)
            for name, value in attrs
            if name not in DROPPED_ATTRIBUTES and not name.startswith("on")
        ]
        if tag in PHRASING:
            name = tag
            if tag == "a":
                kept.append(("tabindex", "-1"))
        elif tag in VOID:
            return  # hr, input, embed: nothing a note's text needs
        else:
            name = "span"
            classes = " ".join(v or "" for n, v in kept if n == "class")
            kept = [(n, v) for n, v in kept if n != "class"]
            kept.insert(0, ("class", f"sn-{tag} {classes}".strip()))
        rendered = "".join(
            f" {n}" if v is None else f' {n}="{escape(v, quote=True)}"' for n, v in kept
        )
        self.out.append(f"<{name}{rendered}>")
        if tag not in VOID:
            self.open.append(name)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and tag not in HIDDEN and not self.hidden and self.open:
            self.out.append(f"</{self.open.pop()}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if self.hidden or tag in VOID or not self.open:
            return
        self.out.append(f"</{self.open.pop()}>")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(escape(data, quote=False))


def phrasing_html(html: str) -> str:
    """The same content as ``html`` using only phrasing elements, with no ids or focus stops."""
    parser = _Phrasing()
    parser.feed(html)
    parser.close()
    parser.out.extend(f"</{name}>" for name in reversed(parser.open))
    return "".join(parser.out)


#: The class the renderer gives each note's copy beside its reference.
SIDENOTE_CLASS = "sidenote"


def is_sidenote(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """Whether a start tag opens a note's copy (for ``rewrite_start_tags``' ``drop``)."""
    return tag == "span" and SIDENOTE_CLASS in (dict(attrs).get("class") or "").split()


def without_sidenotes(html: str) -> str:
    """Post HTML without the sidenote copies, for places that show the notes list.

    Everything else is kept byte for byte. (The feed drops them as it makes
    its links absolute: ``portable_html(html, base, drop=is_sidenote)``.)
    """
    if SIDENOTE_CLASS not in html:
        return html
    return rewrite_start_tags(html, lambda tag, attrs: None, drop=is_sidenote)
