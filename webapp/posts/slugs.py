"""Slugs: the URL segments of posts and tags, and what a file's name says of its post."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date
from pathlib import PurePosixPath

from .migration.permalinks import bundle_slug_parts

_SYMBOL_WORDS = str.maketrans({"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "})
_NON_WORD = re.compile(r"[\W_]+")
_JEKYLL_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")


@functools.lru_cache(maxsize=4096)  # a site's tags are a few names, each on many posts
def slugify(text: str) -> str:
    """A URL segment for a title or tag: lowercase words joined by hyphens.

    Letters of any script are kept; ``C++`` and ``C#`` stay distinct from ``C``.
    """
    text = unicodedata.normalize("NFKC", text).translate(_SYMBOL_WORDS)
    return _NON_WORD.sub("-", text.casefold()).strip("-")[:120].strip("-")


def slug_from_path(source: PurePosixPath) -> str:
    """The file's stem without a Jekyll date prefix (for a bundle's index.md, Hugo's rule).

    A bundle is named by its path below its section, so ``post/2019/07/index.md``
    and ``post/2020/07/index.md`` are ``2019-07`` and ``2020-07``.
    """
    bundle = bundle_slug_parts(source)
    stem = "-".join(bundle) if bundle else source.stem
    return slugify(_JEKYLL_PREFIX.sub("", stem))


def date_from_path(source: PurePosixPath) -> date | None:
    match = _JEKYLL_PREFIX.match(source.name)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
