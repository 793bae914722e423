"""What search indexes from a post, and how a reader's query becomes an FTS5 query.

The index keeps identifiers whole (``lru_cache``: FTS5 is told ``_`` is part
of a word) and also by their parts (``lru cache``, ``SimpleCache`` as
``simple cache``) in a column of their own, so a reader finds code as
typed or as words. Dots, dashes and slashes still split words, and a query
term holding them (``3.11``, ``setup.py``) is searched as a phrase, so
version numbers and file names match only in that order. Code blocks are
kept apart from the prose: they are searched, but snippets come from the
prose, so a snippet never starts inside a code block.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: Longest query considered; the rest is ignored.
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
#: The last term matches as a prefix (search as you type) from this length.
MIN_PREFIX = 2


@dataclass(frozen=True)
class SearchText:
    """A post's text for the index: prose, code, and the parts of its identifiers."""

    prose: str
    code: str
    parts: str


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FENCE_MARK = re.compile(r"```|~~~")
# Patterns below start with a literal or a set of characters, which the
# engine looks for before trying the rest (much faster over long texts).
_INLINE_CODE = re.compile(r"(``*)(.+?)\1", re.DOTALL)
_MARKUP = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: keep the alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: keep the words
    (re.compile(r"\[\^[^\]]*\]:?"), " "),  # footnote markers
    (re.compile(r"<[^>]+>"), " "),  # raw HTML tags
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+", re.MULTILINE), ""),  # block markers
]
# Emphasis marks, but not an underscore inside a word (snake_case stays whole):
# runs of "*", runs of "_" after no letter or digit, and before none.
_EMPHASIS = re.compile(r"\*\**|_(?<![A-Za-z0-9]_)_*|__*(?![A-Za-z0-9])")
_WORD = re.compile(r"\w+")
# Where an identifier splits: underscores, and lower-to-upper or letter/digit changes.
_SPLIT = re.compile(r"_+|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)")


@functools.cache
def _split_point() -> re.Pattern[str]:
    """Where in a text a word could split (every word that splits holds one): an
    underscore, a digit after a letter, a capital after a small letter, or a
    capital before a capital and a small letter. (It starts at "_", an ASCII
    digit or capital, or any non-ASCII character, which may be a digit: a set
    the engine checks much faster than one holding every Unicode digit.)

    Compiled when first needed: that set takes tens of milliseconds to
    compile, which a server need not spend before its first answer."""
    return re.compile(
        r"[_0-9A-Z\x80-\U0010ffff]"
        r"(?:(?<=_)|(?<=[A-Za-z]\d)|(?<=[a-z][A-Z])|(?<=[A-Z])(?=[A-Z][a-z]))"
    )


def extract(markdown: str) -> SearchText:
    """Split a post's Markdown into prose (markup removed, words kept apart) and code."""
    prose, code = _split_fences("\n".join(markdown.splitlines()))
    text = "".join(prose)
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    # Inline code keeps its characters; only the prose around it loses emphasis marks.
    pieces = _INLINE_CODE.split(text)
    # split() yields text, fence, code, text, fence, code, ...: every third from 2 is code.
    cleaned = [
        piece if i % 3 == 2 else _EMPHASIS.sub("", piece)
        for i, piece in enumerate(pieces)
        if i % 3 != 1
    ]
    plain = " ".join("".join(cleaned).split())
    source = " ".join(" ".join(code).split())
    return SearchText(plain, source, identifier_parts(plain + " " + source))


def _split_fences(text: str) -> tuple[list[str], list[str]]:
    """The runs of lines outside fenced code blocks, and those inside them.

    Only the lines holding ``` or ~~~ after nothing but spaces can open or
    close a block; the rest is copied by the run.
    """
    runs: tuple[list[str], list[str]] = ([], [])
    fence: str | None = None
    start = 0  # where the current run starts
    line_end = -1
    for mark in _FENCE_MARK.finditer(text):
        if mark.start() < line_end:
            continue  # a line already looked at
        begin = text.rfind("\n", 0, mark.start()) + 1
        line_end = text.find("\n", mark.start()) % (len(text) + 1)  # -1: the text's end
        if text[begin : mark.start()].strip():
            continue
        line = text[begin:line_end]
        if fence is None and (opened := _FENCE.match(line)):
            fence = opened.group(1)
        elif fence is not None and line.strip().startswith(fence[0] * len(fence)):
            fence = None
        else:
            continue
        # The run before this line ends; the other kind starts after it.
        runs[fence is None].append(text[start:begin])
        start = line_end + 1
    runs[fence is not None].append(text[start:])
    return runs


def identifier_parts(text: str) -> str:
    """The words inside identifiers: ``lru_cache`` gives ``lru cache``, ``SimpleCache``
    gives ``Simple Cache``; plain words give nothing (they are indexed already)."""
    parts: list[str] = []
    end = 0
    # Only words with a place to split are looked at: in prose, a few of thousands.
    for hit in _split_point().finditer(text):
        start = hit.start()
        if start < end:
            continue  # in the word just split
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1  # back to the start of the word (\w is what isalnum or "_" is)
        word = _WORD.match(text, start)
        assert word is not None
        end = word.end()
        pieces = [piece for piece in _SPLIT.split(word.group()) if piece]
        if len(pieces) > 1:
            parts.extend(pieces)
    return " ".join(parts)


@dataclass(frozen=True)
class Query:
    """A reader's query as FTS5 terms, each a quoted string (so any input is valid)."""

    terms: tuple[str, ...]
    #: Whether the last term is still being typed, so also matches as a prefix.
    typing: bool

    @property
    def whole(self) -> str:
        """Every term as a whole word."""
        return " ".join(self.terms)

    @property
    def settled(self) -> str | None:
        """The terms before the one being typed, if any."""
        return " ".join(self.terms[:-1]) or None

    @property
    def last_prefix(self) -> str:
        """The last term as a prefix."""
        return self.terms[-1] + "*"

    @property
    def with_prefix(self) -> str:
        """Every term, the last as a prefix."""
        return " ".join((*self.terms[:-1], self.last_prefix))


def parse_query(text: str) -> Query | None:
    """Every word required; ``"quoted words"`` stay a phrase, and so do terms with
    dots, dashes or slashes in them (``3.11``, ``setup.py``). The last term,
    unless followed by a space or a closing quote, also matches as a prefix.
    None when there is no word.
    """
    text = text[:MAX_QUERY_CHARS]
    terms: list[str] = []
    for phrase, bare in re.findall(r'"([^"]*)"|([^\s"]+)', text):
        words = phrase or bare
        if not _WORD.search(words):
            continue
        if bare:
            # Punctuation around a term is not part of it: "(lru_cache)," is lru_cache.
            words = re.sub(r"^\W+|\W+$", "", words)
        terms.append('"' + words + '"')
    if not terms:
        return None
    terms = terms[:MAX_TERMS]
    typing = not text.rstrip().endswith('"') and not text.endswith(" ")
    last = _WORD.findall(terms[-1])
    typing = typing and len(last[-1]) >= MIN_PREFIX
    return Query(tuple(terms), typing)
