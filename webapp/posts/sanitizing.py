"""Cleaning untrusted HTML (nh3), and rewriting start tags with a parser, not a regex.

Sanitising is the last step of every output: whatever rewrites HTML (the
feed makes links absolute and drops htmx attributes) runs first, on parsed
tags, and the sanitiser then sees the exact HTML that is sent. Rewriting
after sanitising can turn text the sanitiser left inert back into markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser

import nh3

from .contract import POPOVER_CONTENT_ID, REFERENCE_TRIGGER, is_footnote_fragment_path

Attributes = list[tuple[str, str | None]]
#: Given a start tag's name and attributes, the attributes it should have
#: instead, or None to leave the tag exactly as written.
TagChange = Callable[[str, Attributes], Attributes | None]
#: Given a start tag's name and attributes, whether its element goes, whole.
TagDrop = Callable[[str, Attributes], bool]


class _StartTagRewriter(HTMLParser):
    def __init__(self, html: str, change: TagChange, drop: TagDrop | None) -> None:
        super().__init__(convert_charrefs=False)
        self.html = html
        self.change = change
        self.drop = drop
        self.edits: list[tuple[int, int, str]] = []
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", html)]
        # The element being dropped: its tag, how many of that tag are open,
        # where it starts, and how many edits came before it.
        self._dropping: tuple[str, int, int, int] | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: Attributes) -> None:
        self._enter(tag, attrs)
        self._rewrite(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: Attributes) -> None:
        self._enter(tag, attrs)
        self._rewrite(tag, attrs, closed=True)
        self._leave(tag, self._offset() + len(self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str) -> None:
        self._leave(tag, self.html.index(">", self._offset()) + 1)

    def _enter(self, tag: str, attrs: Attributes) -> None:
        if self._dropping is not None:
            name, depth, start, edits = self._dropping
            if tag == name:
                self._dropping = (name, depth + 1, start, edits)
        elif self.drop is not None and self.drop(tag, attrs):
            self._dropping = (tag, 1, self._offset(), len(self.edits))

    def _leave(self, tag: str, end: int) -> None:
        """An end tag (or the end of a self-closed one) ending at ``end``."""
        if self._dropping is None or tag != self._dropping[0]:
            return
        name, depth, start, edits = self._dropping
        self._dropping = (name, depth - 1, start, edits) if depth > 1 else None
        if depth == 1:  # its own end tag: the element, and any edits inside it, go
            del self.edits[edits:]
            self.edits.append((start, end, ""))

    def _rewrite(self, tag: str, attrs: Attributes, *, closed: bool) -> None:
        changed = self.change(tag, attrs)
        if changed is None:
            return
        written = self.get_starttag_text() or ""
        parts = [f"<{tag}"]
        for name, value in changed:
            parts.append(f" {name}" if value is None else f' {name}="{escape(value)}"')
        parts.append("/>" if closed else ">")
        start = self._offset()
        self.edits.append((start, start + len(written), "".join(parts)))


def rewrite_start_tags(html: str, change: TagChange, *, drop: TagDrop | None = None) -> str:
    """html with each start tag that ``change`` alters rebuilt; the rest byte for byte.

    Tags are found by Python's HTML parser, so text, attribute values,
    comments and script bodies that merely look like markup are left alone.
    Each element ``drop`` names is left out, from its start tag to the end
    tag that closes it (one never closed stays).
    """
    rewriter = _StartTagRewriter(html, change, drop)
    rewriter.feed(html)
    rewriter.close()
    pieces: list[str] = []
    position = 0
    for start, end, replacement in rewriter.edits:
        pieces += [html[position:start], replacement]
        position = end
    pieces.append(html[position:])
    return "".join(pieces)


def is_htmx_attribute(name: str) -> bool:
    """``hx-*`` and its valid-HTML spelling ``data-hx-*``."""
    return name.startswith(("hx-", "data-hx-"))


# --- sanitising ----------------------------------------------------------------

#: What sanitised HTML may keep: the tags nh3 allows plus those the renderer
#: writes itself, and every attribute the renderer sets (nothing that runs
#: script: no event handlers, no style, no javascript: URLs).
_SAFE_TAGS = nh3.ALLOWED_TAGS | {"section"}
_FOOTNOTE_ATTRIBUTES = {
    f"{prefix}{name}" for prefix in ("hx-", "data-hx-") for name in ("get", "trigger", "target")
}
_SAFE_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "*": {"id", "class", "title", "lang", "dir", "role", "tabindex"},
    "a": {"href", "hreflang", "rel", *_FOOTNOTE_ATTRIBUTES},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "abbr": {"title"},
}


def _footnote_value(name: str, value: str) -> bool:
    """Whether value is what the renderer writes for this footnote attribute."""
    kind = name.removeprefix("data-").removeprefix("hx-")
    if kind == "get":
        return is_footnote_fragment_path(value)
    if kind == "trigger":
        return value == REFERENCE_TRIGGER
    return kind == "target" and value == f"#{POPOVER_CONTENT_ID}"


def _page_attribute(tag: str, name: str, value: str) -> str | None:
    if not is_htmx_attribute(name):
        return value
    return value if tag == "a" and _footnote_value(name, value) else None


def _feed_attribute(tag: str, name: str, value: str) -> str | None:
    return None if is_htmx_attribute(name) else value


def sanitize(html: str, *, feed: bool = False) -> str:
    """Remove anything that could run script from HTML, keeping the renderer's own markup.

    On pages a footnote reference keeps its htmx attributes (spelt ``hx-*``
    or ``data-hx-*``) when their values are exactly the renderer's; with
    ``feed=True`` no htmx attribute is kept at all.
    """
    return nh3.clean(
        html,
        tags=_SAFE_TAGS,
        attributes=_SAFE_ATTRIBUTES,
        attribute_filter=_feed_attribute if feed else _page_attribute,
        generic_attribute_prefixes={"aria-"},
        link_rel=None,
    )
