"""Rendered bodies kept beside the posts, so each body is rendered once per change.

Rendering Markdown is the slowest thing the site does: tens of
milliseconds for a long post, against well under one to serve it from the
cache. Each body's HTML, footnotes and headings, its summary, and its HTML
as feeds carry it are kept in a file beside the post store (see
``store``), keyed by a digest of the text and of everything that decides
how it renders: the source of the modules that render, the versions of
Markdown, its extensions, Pygments and nh3, and whether HTML is
sanitised. So a restarted server, its other workers and an export take a
body's HTML from there instead of rendering it again, and an edited body,
an upgrade or another setting finds no row and renders afresh.

Rows are JSON of plain strings and numbers, checked field by field when
read, never code; the file is opened as ``sqlite`` describes (private to
this user). It is a file of its own, not a table of the post store's, so
that a worker saving thousands of posts at start (which holds the store's
write lock for seconds) never holds up a reader's first view. Anything
unexpected (no store, a busy or damaged file, a foreign row) means
rendering, never an error. A serving process removes, once at start, the
rows no current post uses, unless that was done already for the same
content (the file remembers the content digest it was last pruned for):
finding the rows to keep means hashing every body, most of a second of CPU
at 10,000 posts, which the workers of a restarted server need for their
first answers.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import logging
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .models import Footnote, Heading, Rendered
from .rendering import Renderer, summarize
from .sqlite import NotPrivate, ThreadConnections, open_database

log = logging.getLogger(__name__)

#: Libraries whose version can change a rendered body.
_PACKAGES = ("Markdown", "pymdown-extensions", "Pygments", "nh3")

_SCHEMA = """
CREATE TABLE rendered (key BLOB PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE pruned (content TEXT NOT NULL);
"""
_FORMAT = 2

#: Kinds of row: a whole body, or a summary (the first paragraph as text).
_BODY, _SUMMARY, _FEED = b"b", b"s", b"f"


@functools.cache
def renderer_version(sanitize: bool) -> bytes:
    """Changes whenever the same text could render differently."""
    hasher = hashlib.blake2b(digest_size=16)
    # Every module of the core, those that read files too: over-counting only
    # means rendering again after an upgrade. (Template code in a post is
    # expanded while reading, so its text already holds the result.)
    for source in sorted(Path(__file__).parent.glob("*.py")):
        hasher.update(source.name.encode() + b"\0" + source.read_bytes())
    for package in _PACKAGES:
        hasher.update(package.encode() + b"\0" + importlib.metadata.version(package).encode())
    hasher.update(b"sanitize" if sanitize else b"as written")
    return hasher.digest()


def rendered_path(store: Path) -> Path:
    """Where the bodies rendered for a post store are kept: beside it,
    ``posts.sqlite3`` having ``posts.rendered.sqlite3``."""
    return store.with_name(f"{store.stem}.rendered{store.suffix}")


def encode(rendered: Rendered) -> str:
    """A rendered body as JSON."""
    return json.dumps(
        {
            "html": rendered.html,
            "footnotes": [[note.id, note.number, note.html] for note in rendered.footnotes],
            "headings": [[head.level, head.id, head.text] for head in rendered.headings],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(text: str) -> Rendered:
    """The body ``encode`` wrote. ValueError for anything else."""
    value = json.loads(text, parse_constant=_no_constant)
    if type(value) is not dict or value.keys() != {"html", "footnotes", "headings"}:
        raise ValueError("not a rendered body")
    html, footnotes, headings = value["html"], value["footnotes"], value["headings"]
    if type(html) is not str or type(footnotes) is not list or type(headings) is not list:
        raise ValueError("not a rendered body")
    return Rendered(
        html=html,
        footnotes=tuple(Footnote(*_fields(note, (str, int, str))) for note in footnotes),
        headings=tuple(Heading(*_fields(head, (int, str, str))) for head in headings),
    )


def _fields(row: object, kinds: tuple[type, ...]) -> list[Any]:
    if type(row) is not list or len(row) != len(kinds):
        raise ValueError("not a rendered body")
    if not all(type(value) is kind for value, kind in zip(row, kinds, strict=True)):
        raise ValueError("not a rendered body")
    return row


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not stored")


class _Table:
    """The ``rendered`` table of one store file: one connection per thread and process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # A short wait for the write lock: a body not stored is only rendered again.
        self._connections = ThreadConnections(
            lambda: open_database(path, schema=_SCHEMA, version=_FORMAT, timeout=0.25)
        )
        self._broken = False

    def _db(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        try:
            return self._connections.get()
        except (NotPrivate, OSError, sqlite3.Error) as error:
            self._broken = True
            log.warning("not keeping rendered posts in %s: %s", self.path, error)
            return None

    def get(self, key: bytes) -> str | None:
        db = self._db()
        if db is None:
            return None
        try:
            row = db.execute("SELECT value FROM rendered WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as error:
            log.debug("could not read a rendered post from %s: %s", self.path, error)
            return None
        return row[0] if row is not None and type(row[0]) is str else None

    def put(self, key: bytes, value: str) -> None:
        db = self._db()
        if db is None:
            return
        try:
            with db:
                db.execute("INSERT OR REPLACE INTO rendered VALUES (?, ?)", (key, value))
        except sqlite3.Error as error:  # busy or full: rendered again next time
            log.debug("could not keep a rendered post in %s: %s", self.path, error)

    def keep_only(self, keys: Iterable[bytes], content: str | None = None) -> int:
        """Remove every row but these; how many were removed. With ``content``
        (a digest of the posts), nothing is done (nor ``keys`` consumed) when
        the file was pruned for that content already, by this process or
        another; otherwise it is claimed for it first, so that workers
        starting together do the work once."""
        db = self._db()
        if db is None:
            return 0
        try:
            if content is not None:
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    if db.execute("SELECT 1 FROM pruned WHERE content = ?", (content,)).fetchone():
                        return 0
                    db.execute("DELETE FROM pruned")
                    db.execute("INSERT INTO pruned VALUES (?)", (content,))
                    if db.execute("SELECT 1 FROM rendered LIMIT 1").fetchone() is None:
                        return 0  # nothing rendered yet (a first start): no body to hash
            with db:
                db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key BLOB PRIMARY KEY)")
                db.execute("DELETE FROM keep")
                db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", ((key,) for key in keys))
                removed = db.execute(
                    "DELETE FROM rendered WHERE key NOT IN (SELECT key FROM keep)"
                ).rowcount
                db.execute("DELETE FROM keep")
        except sqlite3.Error as error:
            log.debug("could not tidy the rendered posts in %s: %s", self.path, error)
            return 0
        return removed


class StoredRenderer:
    """A ``Renderer`` whose results outlive the process: each body is taken
    from the store file when any process rendered it before.

    Called as a renderer (``body -> Rendered``); ``summary`` is the
    summariser. Both keep recent answers in memory as well.
    """

    def __init__(
        self,
        renderer: Renderer,
        path: Path | None,
        *,
        cache_size: int = 512,
        summarizer: Callable[[str], str] = summarize,
    ) -> None:
        self.renderer = renderer
        self._summarize = summarizer
        self._version = renderer_version(renderer.sanitize)
        self._table = _Table(path) if path is not None else None
        self.render = functools.lru_cache(maxsize=cache_size)(self._render)
        self.summary = functools.lru_cache(maxsize=4096)(self._summary)

    def __call__(self, body: str) -> Rendered:
        return self.render(body)

    def key(self, kind: bytes, text: str) -> bytes:
        hasher = hashlib.blake2b(self._version, digest_size=16)
        hasher.update(kind)
        hasher.update(text.encode("utf-8", "surrogatepass"))
        return hasher.digest()

    def _render(self, body: str) -> Rendered:
        if self._table is None:
            return self.renderer.render(body)
        key = self.key(_BODY, body)
        stored = self._table.get(key)
        if stored is not None:
            try:
                return decode(stored)
            except (ValueError, TypeError):
                pass  # a damaged row: rendered and written again below
        rendered = self.renderer.render(body)
        self._table.put(key, encode(rendered))
        return rendered

    def _summary(self, body: str) -> str:
        if self._table is None:
            return self._summarize(body)
        key = self.key(_SUMMARY, body)
        found = self._json_row(key, lambda value: type(value) is str)
        if found is not None:
            return str(found)
        text = self._summarize(body)
        self._table.put(key, json.dumps(text, ensure_ascii=False))
        return text

    def _json_row(self, key: bytes, fits: Callable[[Any], bool]) -> Any:
        """The JSON value stored under key if ``fits(value)``, else None (no
        row, or one that is damaged or foreign: made again by the caller)."""
        assert self._table is not None
        stored = self._table.get(key)
        if stored is None:
            return None
        try:
            value = json.loads(stored)
        except ValueError:
            return None
        return value if fits(value) else None

    def feed_entry(self, body: str, url: str, recipe: bytes, make: Callable[[], str]) -> str:
        """A body's HTML as a feed carries it (``make()``), kept beside the body:
        one per body, for the latest ``url`` and ``recipe`` (a digest of the
        code and settings ``make`` uses, which the renderer's version does not cover)."""
        if self._table is None:
            return make()
        key = self.key(_FEED, body)
        made_for = [url, recipe.hex()]
        found = self._json_row(
            key,
            lambda value: (
                type(value) is list
                and len(value) == 3
                and value[:2] == made_for
                and type(value[2]) is str
            ),
        )
        if found is not None:
            return str(found[2])
        html = make()
        self._table.put(key, json.dumps([*made_for, html], ensure_ascii=False))
        return html

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """Share bodies between processes for a while: through the store file,
        or without one through a private file that lasts as long."""
        if self._table is not None:
            yield
            return
        with tempfile.TemporaryDirectory(prefix="marginalia-") as folder:  # made 0700
            self._table = _Table(Path(folder) / "rendered.sqlite3")
            try:
                yield
            finally:
                self._table = None

    def keep_only(self, bodies: Iterable[str], content: str | None = None) -> int:
        """Forget every stored body, summary and feed entry but those of ``bodies``; with
        ``content`` (the posts' digest), only if not done for it already."""
        if self._table is None:
            return 0
        kinds = (_BODY, _SUMMARY, _FEED)
        keys = (self.key(kind, body) for body in bodies for kind in kinds)
        return self._table.keep_only(keys, content)
