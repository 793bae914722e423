"""Full-text search over titles, tags and bodies with SQLite FTS5 (standard library).

The index lives in one SQLite file shared by every worker on a host. It is
kept in step with the posts incrementally: each post's (source, digest) is
stored beside it, so a sync deletes and inserts only the files that
changed. Readers' queries never reach FTS5's query syntax: they are split
into words and quoted phrases, each quoted, so any input is a valid query.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .models import Post
from .sqlite import open_database

#: Longest query considered; the rest is ignored.
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
_START, _END = "\x02", "\x03"
SCHEMA_VERSION = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    source TEXT UNIQUE NOT NULL,
    digest TEXT NOT NULL,
    slug TEXT NOT NULL,
    published REAL NOT NULL,  -- Unix time: hidden until then
    draft INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS posts USING fts5(
    title, tags, body,
    -- No stemming: FTS5 would stem a prefix too ("ane" to "an"), and readers
    -- searching as they type need prefixes to mean what they typed.
    tokenize = 'unicode61 remove_diacritics 2',
    -- Index short prefixes so "cac" is as fast as "cache".
    prefix = '3 4 5 6'
);
-- Rank by BM25 with a title match worth ten body matches and a tag five.
INSERT INTO posts (posts, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0)');
"""


@dataclass(frozen=True)
class Hit:
    """One search result: which post, and its title and snippet with matches marked."""

    slug: str
    title_html: str
    snippet_html: str


@dataclass(frozen=True)
class Results:
    """One page of results, best first, and whether more follow."""

    hits: list[Hit]
    more: bool


def fts_query(text: str) -> str | None:
    """A safe FTS5 query for what a reader typed: every word required.

    ``"quoted words"`` stay a phrase; the last word, once it has three
    letters, also matches as a prefix while the reader is still typing it.
    None when there is no word.
    """
    text = text[:MAX_QUERY_CHARS]
    terms: list[str] = []
    for phrase, bare in re.findall(r'"([^"]*)"|([^\s"]+)', text):
        words = re.findall(r"\w+", phrase or bare)
        if not words:
            continue
        terms.append('"' + " ".join(words) + '"' if phrase else " ".join(f'"{w}"' for w in words))
    if not terms:
        return None
    terms = terms[:MAX_TERMS]
    still_typing = not text.rstrip().endswith('"') and not text.endswith(" ")
    if still_typing and len(terms[-1]) >= len('"abc"'):
        terms[-1] += "*"
    return " ".join(terms)


_MARKUP = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: keep the alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: keep the words
    (re.compile(r"\[\^[^\]]*\]:?"), " "),  # footnote markers
    (re.compile(r"<[^>]+>"), " "),  # raw HTML tags
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+", re.MULTILINE), ""),  # block markers
    (re.compile(r"^(```|~~~).*$", re.MULTILINE), ""),  # fences (the code stays searchable)
    (re.compile(r"(\*\*|__|\*|_|`)"), ""),  # emphasis and code marks
]


def plain_text(markdown: str) -> str:
    """Markdown without its markup: what a reader reads, cheaply (no rendering)."""
    for pattern, replacement in _MARKUP:
        markdown = pattern.sub(replacement, markdown)
    return " ".join(markdown.split())


class SearchIndex:
    """An FTS5 index in a file, one connection per thread.

    The file is opened as ``private`` describes (NotPrivate if it cannot
    be); a file of ours that is not an index of this version is replaced.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._synced: str | None = None
        self._built_before = False
        self._lock = threading.Lock()
        self._closed = False
        self._connection()  # made, checked and given its schema now, not by a reader's search

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # Each connection is used by the thread that made it; close() may
            # run elsewhere, at shutdown.
            db = open_database(
                self.path, schema=_SCHEMA, version=SCHEMA_VERSION, check_same_thread=False
            )
            self._local.db = db
            self._connections.append(db)
        return db

    @property
    def ready(self) -> bool:
        """Whether the index has something to search: synced here, or built before
        (by an earlier run or another worker; then it may lag by a few seconds)."""
        if self._synced is None and not self._built_before:
            row = self._connection().execute("SELECT 1 FROM documents LIMIT 1").fetchone()
            self._built_before = row is not None
        return self._synced is not None or self._built_before

    def sync(self, posts: Iterable[Post], version: str, *, wait: bool = True) -> bool:
        """Make the index hold exactly these posts; only changed files are rewritten.

        With ``wait=False`` it gives up at once if another thread or worker
        is already writing the index (a reader's search then uses the index
        as it stands). Returns whether the index is at ``version``.
        """
        if self._synced == version:
            return True
        if not self._lock.acquire(blocking=wait):
            return False
        try:
            if self._closed:
                return False
            if self._synced == version:
                return True
            db = self._connection()
            db.execute(f"PRAGMA busy_timeout = {30_000 if wait else 50}")
            try:
                self._write(db, posts)
            except sqlite3.OperationalError as error:
                if wait or "locked" not in str(error):
                    raise
                return False
            self._synced = version
            return True
        finally:
            self._lock.release()

    def _write(self, db: sqlite3.Connection, posts: Iterable[Post]) -> None:
        wanted = {str(post.source): post for post in posts}
        with db:  # one transaction: other workers see all of it or none
            db.execute("BEGIN IMMEDIATE")
            indexed = {
                s: (i, d) for i, s, d in db.execute("SELECT id, source, digest FROM documents")
            }
            stale = [
                (i,) for s, (i, d) in indexed.items() if s not in wanted or wanted[s].digest != d
            ]
            db.executemany("DELETE FROM posts WHERE rowid = ?", stale)
            db.executemany("DELETE FROM documents WHERE id = ?", stale)
            for source, post in wanted.items():
                if source in indexed and indexed[source][1] == post.digest:
                    continue
                cursor = db.execute(
                    "INSERT INTO documents (source, digest, slug, published, draft)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (source, post.digest, post.slug, post.published.timestamp(), post.draft),
                )
                tags = " ".join(tag.name for tag in post.tags)
                db.execute(
                    "INSERT INTO posts (rowid, title, tags, body) VALUES (?, ?, ?, ?)",
                    (cursor.lastrowid, post.title, tags, plain_text(post.body)),
                )

    def search(
        self, text: str, *, now: datetime, drafts: bool = False, limit: int = 10, offset: int = 0
    ) -> Results:
        """Posts visible at ``now`` matching every word, best first.

        Title matches count most, then tags. Ranking touches only the index;
        highlighting (which reads each post's text) is done for the shown
        page alone.
        """
        query = fts_query(text)
        if query is None:
            return Results([], False)
        db = self._connection()
        ranked = db.execute(
            """
            SELECT posts.rowid, documents.slug FROM posts
            JOIN documents ON documents.id = posts.rowid
            WHERE posts MATCH :query AND documents.published <= :now AND documents.draft <= :drafts
            ORDER BY rank LIMIT :limit OFFSET :offset
            """,
            {
                "query": query,
                "now": now.timestamp(),
                "drafts": drafts,
                "limit": limit + 1,
                "offset": offset,
            },
        ).fetchall()
        shown = ranked[:limit]
        if not shown:
            return Results([], False)
        marked = {
            rowid: (title, snippet)
            for rowid, title, snippet in db.execute(
                f"""
                SELECT rowid,
                       highlight(posts, 0, '{_START}', '{_END}'),
                       snippet(posts, 2, '{_START}', '{_END}', '…', 24)
                FROM posts WHERE posts MATCH ? AND rowid IN ({",".join("?" * len(shown))})
                """,
                (query, *(rowid for rowid, _ in shown)),
            )
        }
        hits = [
            Hit(slug, _marked(marked[rowid][0]), _marked(marked[rowid][1])) for rowid, slug in shown
        ]
        return Results(hits, len(ranked) > limit)

    def close(self) -> None:
        """Close every thread's connection, once no sync is writing (at shutdown)."""
        with self._lock:
            self._closed = True
            for db in self._connections:
                db.close()
            self._connections.clear()
            self._local = threading.local()


def _marked(text: str) -> str:
    """Escape text for HTML, then turn the match markers into <mark> elements."""
    return html.escape(text).replace(_START, "<mark>").replace(_END, "</mark>")
