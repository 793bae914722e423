"""kramdown, GFM and Goldmark habits rewritten into what Python-Markdown reads alike.

* Lists nested at the item's content column (2 spaces under ``- ``, 3 under
  ``1. ``), as CommonMark and kramdown nest them, are re-indented to the 4
  spaces per level Python-Markdown wants; 4-space nesting is left as it is.
  Fenced code inside an item moves with it.
* kramdown's table of contents (``* TOC`` then ``{:toc}``) becomes ``[TOC]``.
* An attribute list under a table (``{: .table}``), which Python-Markdown
  would show as an extra row, and kramdown's extensions (``{::comment}``,
  ``{::options}``, ``{::nomarkdown}``) are removed; a ``{: .class}`` under a
  paragraph is left to the ``attr_list`` extension.
"""

from __future__ import annotations

import re

_ITEM = re.compile(r"^(?P<indent> *)(?P<marker>[-*+]|\d{1,9}[.)])(?P<gap> +|$)")
_FENCE = re.compile(r"^ *(`{3,}|~{3,})")
_TOC = re.compile(r"^(?:[-*+]|\d+\.) +[^\n]*\n\{:\s*toc\s*\}[ \t]*$", re.MULTILINE)
_IAL_LINE = re.compile(r"^ {0,3}\{:[^}\n]*\}[ \t]*$")
_EXTENSION = re.compile(
    r"\{::comment\}.*?\{:/comment\}|\{::comment\}.*\Z"
    r"|\{::(?:options|nomarkdown)[^}]*/?\}|\{:/nomarkdown\}",
    re.DOTALL,
)


def normalize(text: str) -> str:
    """Rewrite a body's kramdown and CommonMark habits for Python-Markdown."""
    if "{:" in text:
        text = _TOC.sub("[TOC]", text)
        text = _EXTENSION.sub("", text)
        text = _drop_table_ials(text)
    if "\n " in text:
        text = renest_lists(text)
    return text


def _drop_table_ials(text: str) -> str:
    lines = text.split("\n")
    kept = []
    for index, line in enumerate(lines):
        if _IAL_LINE.match(line) and index and lines[index - 1].lstrip().startswith("|"):
            continue
        kept.append(line)
    return "\n".join(kept)


def renest_lists(text: str) -> str:
    """Re-indent list items nested at their parent's content column to 4 spaces a level.

    Each open item remembers the column its content started at in the text
    and the column Python-Markdown needs (4 per level). A line indented at
    least to an open item's content belongs to it and is shifted by the
    difference; a list marker left of it, or a line after a blank line left
    of it, closes the item.
    """
    lines = text.split("\n")
    out: list[str] = []
    #: (content column in the text, content column wanted) of each open item.
    open_items: list[tuple[int, int]] = []
    fence: str | None = None
    previous_blank = False
    for line in lines:
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if fence is not None:
            out.append(_shift(line, indent, open_items))
            if stripped.startswith(fence):
                fence = None
            continue
        if not stripped:
            out.append(line)
            previous_blank = True
            continue
        item = _ITEM.match(line)
        while open_items and indent < open_items[-1][0] and (item or previous_blank):
            open_items.pop()
        if item and (open_items or indent < 4):
            depth = len(open_items)
            wanted_indent = open_items[-1][1] if open_items else indent
            if depth and indent - open_items[-1][0] >= 4:
                # Indented code inside the item, not a nested list.
                out.append(_shift(line, indent, open_items))
            else:
                marker = item.group("marker") + (item.group("gap") or "")
                out.append(" " * wanted_indent + line[indent:])
                open_items.append((indent + len(marker), wanted_indent + 4))
        else:
            out.append(_shift(line, indent, open_items))
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)[0] * len(opening.group(1))
        previous_blank = False
    return "\n".join(out)


def _shift(line: str, indent: int, open_items: list[tuple[int, int]]) -> str:
    """Move a line belonging to the innermost open item it is indented into."""
    for column, wanted in reversed(open_items):
        if indent >= column:
            return " " * (wanted + indent - column) + line[indent:]
    return line
