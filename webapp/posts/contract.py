"""The renderer's contract: the HTML a post body becomes, which the rest of the site relies on.

Pages, fragments, static/js/footnotes.js, the sanitiser and the feeds read
the markup the renderer writes. Whatever Markdown setup produces it
(``rendering.py`` is the one place the setup is named), it promises:

- **Footnotes.** A note's list item has the id ``footnote_anchor(id)``
  (``fn-<id>``); its reference is ``<sup><a class="footnote-ref"
  href="#fn-<id>">N</a></sup>``, which also carries
  ``reference_attributes(id, N)``: when footnotes.js fires
  ``REFERENCE_TRIGGER`` on it, htmx fetches ``footnote_fragment_path(id)``,
  relative to the post's own URL, into ``#POPOVER_CONTENT_ID`` (the
  sanitiser keeps only paths ``is_footnote_fragment_path`` accepts). The notes
  list is a ``<section class="footnotes">`` headed ``#FOOTNOTES_HEADING_ID``.
- **Headings** have ids (for the table of contents and links) and are listed
  in ``Rendered.headings`` in document order.
- **``Rendered``** (``models``) holds the body's HTML, each footnote's own
  HTML (without its back-reference) and the headings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from .models import Rendered

#: The separator in Python-Markdown's footnote ids: "#fn:1" is not a valid CSS
#: selector (querySelector throws); "#fn-1" is.
FOOTNOTE_ID_SEPARATOR = "-"
FOOTNOTES_HEADING_ID = "footnotes"
POPOVER_CONTENT_ID = "footnote-popover-content"
#: The event footnotes.js fires on a reference to have htmx fetch its note.
REFERENCE_TRIGGER = "footnote-open"
#: A note's fragment, relative to its post's URL; ``{id}`` is the note's id.
FOOTNOTE_FRAGMENT = "footnotes/{id}/"
#: FOOTNOTE_FRAGMENT with the id as footnote_fragment_path writes it:
#: percent-encoded, so one path segment.
_FOOTNOTE_FRAGMENT_PATH = re.compile(
    r"([A-Za-z0-9_.~%-]+)".join(map(re.escape, FOOTNOTE_FRAGMENT.split("{id}")))
)

#: Renders a post body: the one interface the reader and the site use.
MarkdownRenderer = Callable[[str], "Rendered"]


def footnote_anchor(footnote_id: str) -> str:
    """The id of a note in the notes list (and so the reference's ``#`` target)."""
    return f"fn{FOOTNOTE_ID_SEPARATOR}{footnote_id}"


def footnote_fragment_path(footnote_id: str) -> str:
    """Where a note's fragment is, relative to its post's URL."""
    return FOOTNOTE_FRAGMENT.format(id=quote(footnote_id, safe=""))


def is_footnote_fragment_path(path: str) -> bool:
    """Whether path is one footnote_fragment_path writes, and stays among the
    post's notes: not "." or ".." in the id's place, however encoded."""
    match = _FOOTNOTE_FRAGMENT_PATH.fullmatch(path)
    return match is not None and unquote(match[1]) not in (".", "..")


def reference_attributes(footnote_id: str, number: str) -> dict[str, str]:
    """The attributes a footnote reference carries besides its class and href."""
    # data-hx-*: htmx reads them as it reads hx-*, and they are valid HTML.
    return {
        "data-hx-get": footnote_fragment_path(footnote_id),
        "data-hx-trigger": REFERENCE_TRIGGER,
        "data-hx-target": f"#{POPOVER_CONTENT_ID}",
        "aria-label": f"Footnote {number}",
    }
