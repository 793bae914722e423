"""Posts read on an earlier start, so a restart re-reads only changed files.

Reading every file is what a server does before its first answer: about
half a millisecond a post, most of it YAML. The store keeps each post that
read cleanly in a row of an SQLite file, beside its file's stat
(modification time in nanoseconds, size, inode: the same test the live
watcher uses to decide a file changed). A post is taken from the store only
when its file's stat is unchanged; anything else is read from disk as
before. Writing touches only the rows that changed, in a background thread,
so a worker serving its first requests is never held up by it, and
workers starting together leave the work to whichever writes first.
Workers starting on a store that lacks many files (a first start) share
out the reading of those files through it: see ``sharing``.

Rows hold plain values only, never code: the fields every post has
(slug, title, date, tags...) in columns of their own, the others that
differ from their defaults as JSON that only ever becomes plain values
(strings, numbers, dates, tags, warnings: see ``postjson``), and the body
as plain text (decoding every field from one JSON document per post, the
body included, was most of a restart at 10,000 posts). A body is read only
when its post first needs it (``PostStore.body``): a restart neither decodes
nor keeps 100 MB of Markdown at 10,000 posts. Every value read is checked
for its type before a post is built from it, a body when it is read. The file
is opened as ``private`` describes: in a folder that only this user (or
root) can change, without following links, and made 0600. A store is also
used only if it was written by this very reader: the fingerprint covers
the reader's source, this module's, the reader's settings and the
versions of the libraries that parse front matter. Anything unexpected (a
missing, corrupt, foreign or stale store, a damaged row) means reading
the files, never an error; a post holding a value the store cannot
represent is simply read from its file next time.

Each post's rendered HTML is kept in a file beside this one (see
``render_store``), keyed by the body's text rather than by file.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import sqlite3
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import migration, postjson, reader
from .migration.siteroot import find_site
from .models import Post, PostError, source_text
from .reader import ReaderSettings
from .sqlite import NotPrivate, ThreadConnections, open_database

log = logging.getLogger(__name__)

StatKey = tuple[int, int, int]

_FORMAT = 9

#: The fields every post has in columns of their own (``postjson.COLUMNS``),
#: then ``post``: the JSON of the others that differ from their defaults, and
#: ``share``: the post's share of the content digest (``digest_share``), so a
#: restart does not hash every post again.
#: ``claims``: batches of files a process is reading on a first start (see ``sharing``).
_SCHEMA = """
CREATE TABLE about (fingerprint TEXT NOT NULL);
CREATE TABLE posts (
    path TEXT PRIMARY KEY,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    published TEXT,
    source TEXT NOT NULL,
    tags TEXT NOT NULL,
    digest TEXT NOT NULL,
    body_line INTEGER NOT NULL,
    draft INTEGER NOT NULL,
    post TEXT NOT NULL,
    share BLOB NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE claims (name TEXT PRIMARY KEY, owner TEXT NOT NULL, made REAL NOT NULL);
"""
#: A post's row as ``PostStore.posts`` reads it: not the body, only whether it
#: is text (typeof() reads the row's header, not the body's pages).
ROW = (
    f"path, mtime_ns, size, inode, {', '.join(postjson.COLUMNS)}, post, share,"
    " typeof(body) = 'text'"
)
INSERT = f"INSERT OR REPLACE INTO posts VALUES ({', '.join('?' * 15)})"
#: Seconds after which a claim is cleared by the next full save.
CLAIMS_LAST = 600.0


def digest_share(post: Post) -> bytes:
    """A post's share of the content digest (see ``ContentFolder``): 16 bytes
    that depend on its source, its digest and what its references resolved to."""
    # What a post's post_url or ref resolved to is part of what it shows.
    share = f"{source_text(post)}\0{post.digest}\0{post.references}"
    return hashlib.blake2b(share.encode(), digest_size=16).digest()


def fingerprint(root: Path, settings: ReaderSettings) -> str:
    """Changes whenever reading the same bytes could give a different post."""
    hasher = hashlib.blake2b(digest_size=16)
    # The reader's modules, and this store's own way of writing and reading posts.
    for source in (*reader.shaping_files(), Path(postjson.__file__ or ""), Path(__file__)):
        hasher.update(source.read_bytes())
    # Template code is expanded while reading, by these modules, from the
    # site's configuration: a change to either can change a post.
    for source in sorted(Path(migration.__file__ or "").parent.glob("*.py")):
        hasher.update(source.read_bytes())
    for source in find_site(root).config_files:
        hasher.update(source.read_bytes())
    for package in ("PyYAML", "python-frontmatter", "python-dateutil"):
        hasher.update(importlib.metadata.version(package).encode())
    hasher.update(
        repr((_FORMAT, sys.version, str(root), str(settings.timezone), settings.max_bytes)).encode()
    )
    return hasher.hexdigest()


class PostStore:
    """An SQLite file holding ``absolute path -> (stat key, post)`` for a content folder."""

    def __init__(self, path: Path, root: Path, settings: ReaderSettings) -> None:
        self.path = path
        self.settings = settings
        self._fingerprint = fingerprint(root, settings)
        self._saving = threading.Lock()
        self._root = root
        #: Connections for reading bodies (see ``_open_for_bodies``).
        self._readers = ThreadConnections(self._open_for_bodies)

    def connect(self) -> sqlite3.Connection:
        return open_database(self.path, schema=_SCHEMA, version=_FORMAT)

    # -- reading and writing --------------------------------------------------

    def load(self, shares: dict[str, int] | None = None) -> dict[str, tuple[StatKey, Post]]:
        """The stored posts, ready to serve; empty when there is nothing trustworthy.
        ``shares``, if given, is filled with each post's share of the content
        digest (``digest_share``, as an integer), by path.

        Bodies are not read here: each post gets its body from this file
        when first asked for it (see ``body``)."""
        try:
            db = self.connect()
            try:
                if not self.trusts(db):
                    return {}  # written by another version or with other settings
                return self.posts(db.execute(f"SELECT {ROW} FROM posts"), shares)
            finally:
                db.close()
        except (NotPrivate, OSError, sqlite3.Error) as error:
            log.warning("not using the post store %s (BLOG_POST_STORE): %s", self.path, error)
            return {}

    def trusts(self, db: sqlite3.Connection) -> bool:
        """Whether the open store was written by this very reader (its fingerprint)."""
        about = db.execute("SELECT fingerprint FROM about").fetchone()
        return about is not None and about[0] == self._fingerprint

    def adopt(self, db: sqlite3.Connection) -> None:
        """Inside a write transaction: empty the store if another reader wrote it."""
        if not self.trusts(db):
            db.execute("DELETE FROM about")
            db.execute("DELETE FROM posts")
            db.execute("DELETE FROM claims")
            db.execute("INSERT INTO about VALUES (?)", (self._fingerprint,))

    def posts(
        self, rows: Iterable[Sequence[Any]], shares: dict[str, int] | None = None
    ) -> dict[str, tuple[StatKey, Post]]:
        """The posts of rows selected as ``ROW`` (and their shares, as ``load``); a
        damaged row is left out (that file is read). Bodies are not read here:
        each post gets its body from this file when first asked for it (see ``body``)."""
        stored: dict[str, tuple[StatKey, Post]] = {}
        settings = self.settings
        build = postjson.RowReader(renderer=settings.renderer, summarizer=settings.summarizer).post
        body, partial = self.body, functools.partial
        numbers: dict[str, int] = {} if shares is None else shares
        for (
            path, mtime_ns, size, inode,
            slug, title, published, source, tags, digest, body_line, draft,
            text, share, has_body,
        ) in rows:  # fmt: skip
            key = (mtime_ns, size, inode)
            try:
                if has_body != 1:
                    raise ValueError("stored post has a bad body")
                if type(share) is not bytes or len(share) != 16:
                    raise ValueError("stored post has a bad share")
                post = build(
                    slug, title, published, source, tags, digest, body_line, draft, text,
                    partial(body, path, key, digest),
                )  # fmt: skip
            except Exception:  # one damaged row: that file is read again
                continue
            stored[path] = (key, post)
            numbers[path] = int.from_bytes(share)
        return stored

    def body(self, path: str, key: StatKey, digest: object) -> str:
        """The body of the post ``load`` took from the row for ``path`` with this
        stat and digest; if the row is gone or changed since (a process that
        read the file again, another version's store), from the file itself,
        if it still holds the same bytes. PostError if neither has it."""
        try:
            row = (
                self._readers.get()
                .execute(
                    "SELECT body FROM posts, about WHERE fingerprint = ? AND path = ?"
                    " AND mtime_ns = ? AND size = ? AND inode = ? AND digest = ?",
                    (self._fingerprint, path, *key, digest),
                )
                .fetchone()
            )
        except sqlite3.Error as error:
            log.info("could not read a body from the post store %s: %s", self.path, error)
            row = None
        if row is not None and type(row[0]) is str:
            return row[0]
        post = reader.read_post(Path(path), self._root, self.settings)
        if post.digest != digest:
            raise PostError(post.source, "changed while being served; it is read again")
        return post.body

    def _open_for_bodies(self) -> sqlite3.Connection:
        """A connection for reading bodies. Not through open_database: a process
        serving for hours must never set up the file afresh (a newer version's
        store, say, which has another fingerprint, so no row of it is taken).
        It is the file ``load`` checked was private, and SQLite is told not to make one."""
        uri = "file:" + urllib.parse.quote(str(self.path)) + "?mode=rw"
        db = sqlite3.connect(uri, uri=True, timeout=5)
        db.execute("PRAGMA trusted_schema = OFF")
        return db

    @staticmethod
    def rows(entries: Mapping[str, tuple[StatKey, Post]]) -> Iterator[tuple[object, ...]]:
        """The store rows of entries, leaving out (and logging) a post the store cannot hold."""
        for path, (key, post) in entries.items():
            try:
                values = postjson.row(post)
            except (TypeError, ValueError) as error:
                # A value front matter gave that JSON cannot hold: read this file next time.
                log.info("not storing %s: %s", post.source, error)
                continue
            yield (path, *key, *values, digest_share(post), post.body)

    def save(self, entries: Mapping[str, tuple[StatKey, Post]]) -> None:
        """Bring the store in line with ``entries``, rewriting only the rows that differ."""
        with self._saving:
            try:
                self._save(entries)
            except NotPrivate as error:
                log.warning("not writing the post store %s (BLOG_POST_STORE): %s", self.path, error)
            except (OSError, sqlite3.Error) as error:
                log.warning("could not store the posts in %s: %s", self.path, error)

    def _save(self, entries: Mapping[str, tuple[StatKey, Post]]) -> None:
        db = self.connect()
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")  # one writer at a time; the others wait
                self.adopt(db)
                # Claims of a first read (see ``sharing``) long over: died, or done.
                db.execute("DELETE FROM claims WHERE made < ?", (time.time() - CLAIMS_LAST,))
                known = {
                    path: (mtime_ns, size, inode)
                    for path, mtime_ns, size, inode in db.execute(
                        "SELECT path, mtime_ns, size, inode FROM posts"
                    )
                }
                db.executemany(
                    "DELETE FROM posts WHERE path = ?",
                    [(path,) for path in known.keys() - entries.keys()],
                )
                changed = {
                    path: value for path, value in entries.items() if known.get(path) != value[0]
                }  # the others are there already (perhaps from another worker)
                rows = list(self.rows(changed))
                db.executemany(INSERT, rows)
                db.executemany(  # not storable: read from its file next time
                    "DELETE FROM posts WHERE path = ?",
                    [(path,) for path in changed.keys() - {row[0] for row in rows}],
                )
        finally:
            db.close()

    def save_in_background(self, entries: Mapping[str, tuple[StatKey, Post]]) -> threading.Thread:
        """Save without holding up the first answer (posts are immutable, so
        this is safe). Not a daemon thread: a process that exits soon after
        starting finishes the store first."""
        thread = threading.Thread(target=self.save, args=(dict(entries),), name="post-store")
        thread.start()
        return thread
