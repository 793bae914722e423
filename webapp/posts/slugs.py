"""Slugs: the URL segments of posts and tags, and what a file's name says of its post."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import PurePosixPath

_SYMBOL_WORDS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}
_NON_WORD = re.compile(r"[\W_]+")
_JEKYLL_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")


def slugify(text: str) -> str:
    """A URL segment for a title or tag: lowercase words joined by hyphens.

    Letters of any script are kept; ``C++`` and ``C#`` stay distinct from ``C``.
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_SYMBOL_WORDS.get(char, char) for char in text)
    return _NON_WORD.sub("-", text.casefold()).strip("-")[:120].strip("-")


def slug_from_path(source: PurePosixPath) -> str:
    """The file's stem without a Jekyll date prefix (a bundle's folder for index.md)."""
    stem = source.parent.name if source.stem == "index" and source.parent.name else source.stem
    return slugify(_JEKYLL_PREFIX.sub("", stem))


def date_from_path(source: PurePosixPath) -> date | None:
    match = _JEKYLL_PREFIX.match(source.name)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
