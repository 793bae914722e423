"""Read one Markdown file with front matter into a Post, or say exactly why not.

A reader returns plain data. The work is shared out by what it is about:
``files`` says which files are posts, ``front_matter`` splits and parses
the metadata, ``fields`` converts each known key into a Post field, and
this module reads the bytes, checks the body and builds the Post. Every
problem becomes a ``PostError`` that names the file, the line and the field.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from .contract import MarkdownRenderer
from .fields import convert, normalize_path
from .models import Post, PostError

#: Files larger than this are reported rather than read (BLOG_MAX_POST_BYTES).
MAX_POST_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ReaderSettings:
    """What reading depends on besides the file itself."""

    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    renderer: MarkdownRenderer | None = None
    summarizer: Callable[[str], str] | None = None
    max_bytes: int = MAX_POST_BYTES
    #: Expands template code (Hugo shortcodes, Jekyll Liquid) in a body before
    #: Markdown: (body, source, front matter, body's first line) -> (body, warnings).
    preprocess: (
        Callable[[str, PurePosixPath, Mapping[str, Any], int], tuple[str, tuple[PostError, ...]]]
        | None
    ) = None
    #: The URLs a post had under its old generator: (source, front matter, date) -> paths.
    old_urls: Callable[[PurePosixPath, Mapping[str, Any], datetime], tuple[str, ...]] | None = None
    #: Other posts a body names (Jekyll's ``post_url``, Hugo's ``ref``): (body, source)
    #: -> (name, URL or ""), called for each post read.
    references: Callable[[str, PurePosixPath], tuple[tuple[str, str], ...]] | None = None
    #: What such a name resolves to now: a post is read again when that changes.
    resolve_reference: Callable[[str], str] | None = None


#: Every module whose code decides what Post a file's bytes become (below
#: ``webapp.posts``): a store of posts read earlier is trusted only if all of them are unchanged.
SHAPING_MODULES = (
    "reader", "contract", "files", "front_matter", "fields", "models", "slugs",
    "migration.dates", "migration.files", "migration.permalinks",
)  # fmt: skip


def shaping_files() -> tuple[Path, ...]:
    """The source files of ``SHAPING_MODULES``, found without importing them:
    a restart that reads no file need not import YAML."""
    package = Path(__file__).parent
    return tuple(package / f"{name.replace('.', '/')}.py" for name in SHAPING_MODULES)


def read_post(path: Path, root: Path, settings: ReaderSettings) -> Post:
    """Read the file at ``path`` (below ``root``) into a Post, or raise PostError."""
    source = _source(path, root)
    try:
        with path.open("rb") as handle:
            status = os.fstat(handle.fileno())
            # A buffer the file's size, not the limit's: reading into a
            # max_bytes buffer costs more than parsing a typical post. One
            # byte more tells a file that grew since fstat; the rest of it,
            # up to one byte over the limit, is then read as well.
            raw = handle.read(min(status.st_size, settings.max_bytes) + 1)
            if len(raw) > status.st_size:
                raw += handle.read(settings.max_bytes + 1 - len(raw))
            modified = datetime.fromtimestamp(status.st_mtime, UTC)
    except OSError as error:
        raise PostError(source, f"cannot be read: {error.strerror or error}") from error
    if len(raw) > settings.max_bytes:
        limit = settings.max_bytes // (1024 * 1024)
        raise PostError(source, f"is larger than {limit} MB; split it or raise BLOG_MAX_POST_BYTES")
    return parse_post(raw, source, settings, modified=modified)


def _source(path: Path, root: Path) -> PurePosixPath:
    """The path of the file below root, as ``relative_to`` gives it, at a third of the cost."""
    text, prefix = str(path), str(root).rstrip(os.sep) + os.sep
    if text.startswith(prefix) and os.sep == "/" and "/." not in text and "//" not in text:
        return PurePosixPath(text[len(prefix) :])
    return PurePosixPath(path.relative_to(root).as_posix())


@functools.cache
def _split() -> Callable[[str, PurePosixPath], Any]:
    """``front_matter.split_front_matter``, imported when first needed: a restart that
    takes every post from the post store never needs it (nor YAML)."""
    from .front_matter import split_front_matter

    return split_front_matter


def parse_post(
    raw: bytes,
    source: PurePosixPath,
    settings: ReaderSettings,
    *,
    modified: datetime | None = None,
) -> Post:
    """Turn a file's bytes into a Post, or raise PostError naming the line.

    ``modified`` (the file's modification time) dates an undated draft in
    ``_drafts/``, as Jekyll does.
    """
    front = _split()(_decode(raw, source), source)
    values = convert(front, source, settings.timezone, modified)
    if settings.references is not None:
        values["references"] = settings.references(values["body"], source)
    if settings.preprocess is not None:
        values["body"], notes = settings.preprocess(
            values["body"], source, front.metadata, values["body_line"]
        )
        values["warnings"] += notes
    if settings.old_urls is not None:
        urls = settings.old_urls(source, front.metadata, values["published"])
        old = [normalize_path(url) for url in urls]
        own = f"/posts/{values['slug']}"
        values["aliases"] = tuple(
            dict.fromkeys([*values.get("aliases", ()), *(u for u in old if u not in ("/", own))])
        )
    _check_nesting(values["body"], values["body_line"], source)
    return Post(
        source=source,
        digest=hashlib.blake2b(raw, digest_size=16).hexdigest(),
        renderer=settings.renderer,
        summarizer=settings.summarizer,
        **values,
    )


def _decode(raw: bytes, source: PurePosixPath) -> str:
    if not raw or raw.isspace():  # (raw.strip() would copy the whole file)
        raise PostError(source, "is empty", line=1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise PostError(
            source,
            f"is not UTF-8 text (byte 0x{raw[error.start]:02x} cannot be decoded)",
            line=line,
        ) from error
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise PostError(source, "looks binary (it contains a NUL byte)", line=line)
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


#: Deeper nesting of lists and quotes than any prose needs; Python-Markdown
#: recurses once per level and gives up (RecursionError) a few hundred down.
MAX_NESTING = 32
_LIST_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)


def _check_nesting(body: str, body_line: int, source: PurePosixPath) -> None:
    """Refuse bodies nested so deep that rendering them would fail.

    Cheap for ordinary posts: the line-by-line scan runs only when the body
    holds indentation or quote markers deep enough to matter.
    """
    deep_indent = " " * (4 * MAX_NESTING - 4) in body or "\t" * (MAX_NESTING - 1) in body
    many_quotes = body.count(">") > MAX_NESTING
    if not (deep_indent or many_quotes):
        return
    for match in _LIST_ITEM.finditer(body) if deep_indent else ():
        depth = len(match.group(1).expandtabs(4)) // 4 + 1
        if depth > MAX_NESTING:
            line = body_line + body.count("\n", 0, match.start())
            raise PostError(
                source, f"nests lists {depth} levels deep (at most {MAX_NESTING})", line=line
            )
    for match in _QUOTE.finditer(body) if many_quotes else ():
        depth = match.group(0).count(">")
        if depth > MAX_NESTING:
            line = body_line + body.count("\n", 0, match.start())
            raise PostError(
                source, f"nests quotes {depth} levels deep (at most {MAX_NESTING})", line=line
            )
