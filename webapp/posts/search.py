"""Full-text search over titles, tags and bodies with SQLite FTS5 (standard library).

The index lives in one SQLite file shared by every worker on a host. It is
kept in step with the posts incrementally: each post's (source, digest) is
stored beside it, so a sync deletes and inserts only the files that
changed. Readers' queries never reach FTS5's query syntax: they are split
into words and quoted phrases, each quoted, so any input is a valid query.
"""

from __future__ import annotations

import html
import itertools
import sqlite3
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .models import Post, source_text
from .search_sql import BROAD, VOCABULARY, broad_sql, most_sql, prefix_match, ranked_sql, titled
from .search_text import (
    MAX_QUERY_CHARS,
    SearchText,
    extract,
    identifier_parts,
    parse_query,
)
from .sqlite import open_database

__all__ = ["MAX_QUERY_CHARS", "Hit", "Results", "SearchIndex", "plain_text"]

_START, _END = "\x02", "\x03"
SCHEMA_VERSION = 8

# Two tables over the same text. "words" stems (a search for "caches" finds
# "cache") for whole words; "prefixes" does not, for the word being typed:
# FTS5 would stem a prefix too, and "borin" would then miss "boring" (stored
# as "bore"). Both keep "_" inside words, so identifiers stay whole; their
# parts are in the "parts" column. Code blocks have a column of their own.
_COLUMNS = "title, tags, body, code, parts"
_TOKENS = "unicode61 remove_diacritics 2 tokenchars '_'"
# The text is kept once, in "texts" (apart from "documents", which every
# search reads whole); both tables index it without a copy of their own
# (external content), and are given the same values on insert and delete.
_CONTENT = "content = 'texts', content_rowid = 'id'"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    source TEXT UNIQUE NOT NULL,
    digest TEXT NOT NULL,
    slug TEXT NOT NULL,
    published REAL NOT NULL,  -- Unix time: hidden until then
    draft INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS texts (id INTEGER PRIMARY KEY, {_COLUMNS});
-- The content version (the posts' digest) the index last held in full.
CREATE TABLE IF NOT EXISTS synced (version TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5(
    {_COLUMNS}, tokenize = "porter {_TOKENS}", {_CONTENT}
);
CREATE VIRTUAL TABLE IF NOT EXISTS prefixes USING fts5(
    {_COLUMNS}, tokenize = "{_TOKENS}", {_CONTENT},
    -- Index short prefixes, which match the most words, so "ca" is as fast
    -- as "cache" (a longer prefix is searched as the words it starts: see
    -- search_sql). With 4 letters too, a common 4-letter prefix was read in a
    -- fifth of the time, but at 10,001 posts this table was a third larger
    -- (131 MB against 99) and a first build took 4-6 s more CPU (of 21-24 s).
    prefix = '2 3'
);
-- Rank by BM25: a title match is worth ten body matches, a tag five.
INSERT INTO words (words, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0, 1.0, 0.5)');
INSERT INTO prefixes (prefixes, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0, 1.0, 0.5)');
-- Each insert statement leaves at least one segment per table (FTS5 writes
-- what it holds at each statement's end). With FTS5's default (4), a first
-- build's segments were merged over and over while it ran: about a sixth of
-- its CPU time. With 16, a build of 10,000 posts (11 statements) merges
-- little, and the small segments later syncs add are still merged. Set here, once: changing
-- it while other connections search makes their queries fail.
INSERT INTO words (words, rank) VALUES ('automerge', 16);
INSERT INTO prefixes (prefixes, rank) VALUES ('automerge', 16)
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
    #: How many posts match in all.
    total: int = 0


def plain_text(markdown: str) -> SearchText:
    """A post's text for the index (see search_text.extract)."""
    return extract(markdown)


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
            db.execute(VOCABULARY)
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
            if self._holds(db, version):  # a restart, or another worker synced it
                self._synced = version
                return True
            db.execute(f"PRAGMA busy_timeout = {30_000 if wait else 50}")
            try:
                self._write(db, posts, version)
            except sqlite3.OperationalError as error:
                if wait or "locked" not in str(error):
                    raise
                return False
            self._synced = version
            return True
        finally:
            self._lock.release()

    @staticmethod
    def _holds(db: sqlite3.Connection, version: str) -> bool:
        """Whether the index holds the posts of this content version: one row
        read, with no write lock, where comparing every post's digest takes
        about a fifth of a second of CPU at 10,000 posts."""
        row = db.execute("SELECT version FROM synced").fetchone()
        return row is not None and row[0] == version

    def _write(self, db: sqlite3.Connection, posts: Iterable[Post], version: str) -> None:
        # Redirect stubs (redirect_to) are listed nowhere, search included.
        wanted = {source_text(post): post for post in posts if post.redirect_to is None}
        with db:  # one transaction: other workers see all of it or none
            db.execute("BEGIN IMMEDIATE")
            # Recorded with the rows it describes: a worker that reads it
            # sees them all (a failed sync rolls both back).
            db.execute("DELETE FROM synced")
            db.execute("INSERT INTO synced (version) VALUES (?)", (version,))
            indexed = {
                s: (i, d) for i, s, d in db.execute("SELECT id, source, digest FROM documents")
            }
            stale = [
                (i,) for s, (i, d) in indexed.items() if s not in wanted or wanted[s].digest != d
            ]
            # External content: each table is told the text it indexed, to remove it.
            for table in ("words", "prefixes"):
                db.executemany(
                    f"INSERT INTO {table} ({table}, rowid, {_COLUMNS})"
                    f" SELECT 'delete', id, {_COLUMNS} FROM texts WHERE id = ?",
                    stale,
                )
            db.executemany("DELETE FROM texts WHERE id = ?", stale)
            db.executemany("DELETE FROM documents WHERE id = ?", stale)
            changed = [
                (source, post)
                for source, post in wanted.items()
                if source not in indexed or indexed[source][1] != post.digest
            ]
            (last,) = db.execute("SELECT coalesce(max(id), 0) FROM documents").fetchone()
            # The first batch is small: nothing is indexed while it is extracted.
            bounds = [0, *range(_FIRST_BATCH, len(changed), _BATCH), len(changed)]
            batches = [
                list(enumerate(changed[start:end], last + 1 + start))
                for start, end in itertools.pairwise(bounds)
                if start < end
            ]
            if batches:
                self._index_batches(db, batches)

    @staticmethod
    def _index_batches(
        db: sqlite3.Connection, batches: list[list[tuple[int, tuple[str, Post]]]]
    ) -> None:
        # FTS5's settings (automerge, say) stay as they are: changing one
        # while other connections search makes their queries fail (the
        # schema sets them once).
        # Two cores: this thread extracts text and stores it (Python, holding
        # the GIL), while the other indexes the last batch in FTS5 (SQLite,
        # which lets go of the GIL for the whole statement). Storing the rows
        # there too made it take the GIL back for every row, behind the
        # extraction: the build ran on one core. One thread at a time uses
        # the connection.
        with ThreadPoolExecutor(1, thread_name_prefix="search-index") as pool:
            indexing: Future[None] | None = None
            for batch in batches:
                rows = _rows(batch)
                if indexing is not None:
                    indexing.result()
                db.executemany(
                    "INSERT INTO documents (id, source, digest, slug, published, draft)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (document for document, _ in rows),
                )
                db.executemany(
                    f"INSERT INTO texts (id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                    (text for _, text in rows),
                )
                indexing = pool.submit(_index, db, batch[0][0])
            if indexing is not None:
                indexing.result()

    def search(
        self, text: str, *, now: datetime, drafts: bool = False, limit: int = 10, offset: int = 0
    ) -> Results:
        """Posts visible at ``now`` matching every word, best first.

        Title matches count most, then tags; past ``BROAD`` matches, title
        and tag matches come first, then the rest, each newest first.
        Ranking touches only the index; highlighting (which reads each
        post's text) is done for the shown page alone.
        """
        query = parse_query(text)
        if query is None:
            return Results([], False)
        db = self._connection()
        prefix = prefix_match(db, query) if query.typing else query.last_prefix
        parameters = {
            "whole": query.whole,
            "settled": query.settled,
            "prefix": prefix,
            "now": now.timestamp(),
            "drafts": drafts,
            "broad": BROAD,
            "titled_whole": titled(query.whole),
            "titled_prefix": titled(" AND ".join((*query.terms[:-1], prefix))),
        }
        # BM25 ranks the matches when they are few (see search_sql); else a
        # page in the broad order, and how many match.
        total = 0
        if db.execute(most_sql(query), parameters).fetchone()[0] > BROAD:
            page = db.execute(
                broad_sql(query), {**parameters, "limit": limit, "offset": offset}
            ).fetchall()
            shown = [(rowid, slug, found_in) for rowid, slug, found_in, _ in page]
            total = page[0][3] if page else 0
        if total <= BROAD:  # also past the last page, where the count is not known
            ranked = db.execute(ranked_sql(query), parameters).fetchall()
            shown, total = ranked[offset : offset + limit], len(ranked)
        if not shown:
            return Results([], False, total)
        marked: dict[int, tuple[str, str]] = {}
        # A post found by the word being typed is marked by that word alone: its
        # other words matched stemmed, which the prefixes table cannot see.
        by_table = {"words": query.whole, "prefixes": prefix}
        for table, match in by_table.items():
            rowids = [rowid for rowid, _, found_in in shown if found_in == table]
            if not rowids:
                continue
            # One pass over the matches between the first and last post shown
            # ("+rowid" is no constraint FTS5 is given): for "rowid IN (...)"
            # it runs the query once per post, merging every word a prefix
            # starts anew each time (a tenth of a second for a common prefix).
            for rowid, title, snippet in db.execute(
                f"""
                SELECT rowid,
                       highlight({table}, 0, '{_START}', '{_END}'),
                       snippet({table}, 2, '{_START}', '{_END}', '…', 24)
                FROM {table} WHERE {table} MATCH ? AND rowid BETWEEN ? AND ?
                AND +rowid IN ({",".join("?" * len(rowids))})
                """,
                (match, min(rowids), max(rowids), *rowids),
            ):
                marked[rowid] = (title, snippet)
        hits = [
            Hit(slug, _marked(marked[rowid][0]), _marked(marked[rowid][1]))
            for rowid, slug, _ in shown
            if rowid in marked
        ]
        return Results(hits, total > offset + limit, total)

    def close(self) -> None:
        """Close every thread's connection, once no sync is writing (at shutdown)."""
        with self._lock:
            self._closed = True
            for db in self._connections:
                db.close()
            self._connections.clear()
            self._local = threading.local()


#: Posts per insert statement: each leaves a segment in each table, so fewer,
#: larger statements leave less to merge. (1,000 posts of 12 KB each: the
#: process's peak memory while indexing was the same as with 100.)
_BATCH = 1000
_FIRST_BATCH = 100


def _index(db: sqlite3.Connection, first: int) -> None:
    """Index the texts stored from id ``first`` on, in both tables."""
    for table in ("words", "prefixes"):
        db.execute(
            f"INSERT INTO {table} (rowid, {_COLUMNS})"
            f" SELECT id, {_COLUMNS} FROM texts WHERE id >= ?",
            (first,),
        )


def _rows(
    batch: list[tuple[int, tuple[str, Post]]],
) -> list[tuple[tuple[object, ...], tuple[object, ...]]]:
    """Each post's rows in "documents" (where it comes from, when it shows)
    and in "texts" (what is searched), under the id given."""
    rows: list[tuple[tuple[object, ...], tuple[object, ...]]] = []
    for id_, (source, post) in batch:
        text = plain_text(post.body)
        document = (id_, source, post.digest, post.slug, post.published.timestamp(), post.draft)
        tags = " ".join(tag.name for tag in post.tags)
        parts = " ".join(filter(None, (identifier_parts(post.title), text.parts)))
        rows.append((document, (id_, post.title, tags, text.prose, text.code, parts)))
    return rows


def _marked(text: str) -> str:
    """Escape text for HTML, then turn the match markers into <mark> elements."""
    return html.escape(text).replace(_START, "<mark>").replace(_END, "</mark>")
