"""Posts read on an earlier start, so a restart re-reads only changed files.

Reading every file is what a server does before its first answer: about
half a millisecond a post, most of it YAML. The store keeps each post that
read cleanly in a row of an SQLite file, beside its file's stat
(modification time in nanoseconds, size, inode: the same test the live
watcher uses to decide a file changed). A post is taken from the store only
when its file's stat is unchanged; anything else is read from disk as
before. Writing touches only the rows that changed, one post at a time, so
a worker serving its first requests is never held up by a long write, and
workers starting together leave the work to whichever writes first.

Rows hold pickles, so the store is used only in a folder that this user
(or root) owns and no one else can write, as a file of this user that no
one else can write; the default folder is made that way. A store is also
used only if it was written by this very reader: the fingerprint covers
the reader's source, its settings and the versions of the libraries that
parse front matter. Anything unexpected (a missing, corrupt, foreign or
stale store) means reading the files, never an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import logging
import os
import pickle
import sqlite3
import stat as stat_module
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from . import migration, models, reader
from .migration.siteroot import find_site
from .models import Post
from .reader import ReaderSettings

log = logging.getLogger(__name__)

StatKey = tuple[int, int, int]

_FORMAT = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS about (fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    path TEXT PRIMARY KEY,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    post BLOB NOT NULL
) WITHOUT ROWID;
"""


def fingerprint(root: Path, settings: ReaderSettings) -> str:
    """Changes whenever reading the same bytes could give a different post."""
    hasher = hashlib.blake2b(digest_size=16)
    sources = [Path(module.__file__ or "") for module in (reader, models)]
    # Template code is expanded while reading, by these modules, from the
    # site's configuration: a change to either can change a post.
    sources += sorted(Path(migration.__file__ or "").parent.glob("*.py"))
    sources += find_site(root).config_files
    for source in sources:
        hasher.update(source.read_bytes())
    for package in ("PyYAML", "python-frontmatter", "python-dateutil"):
        hasher.update(importlib.metadata.version(package).encode())
    hasher.update(
        repr((_FORMAT, sys.version, str(root), str(settings.timezone), settings.max_bytes)).encode()
    )
    return hasher.hexdigest()


def private_folder(folder: Path) -> Path:
    """Make ``folder`` if it is missing, for this user alone (mode 0700)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


class PostStore:
    """An SQLite file holding ``absolute path -> (stat key, post)`` for a content folder."""

    def __init__(self, path: Path, root: Path, settings: ReaderSettings) -> None:
        self.path = path
        self.settings = settings
        self._fingerprint = fingerprint(root, settings)
        self._saving = threading.Lock()

    # -- trust ----------------------------------------------------------------

    def _untrusted(self) -> str | None:
        """Why the store must not be used, or None if it may."""
        try:
            folder = os.stat(self.path.parent)
        except OSError as error:
            return f"its folder cannot be used ({error.strerror})"
        if folder.st_uid not in (os.getuid(), 0) or folder.st_mode & 0o022:
            return "its folder can be written by other users"
        try:
            file = os.lstat(self.path)
        except FileNotFoundError:
            return None
        except OSError as error:
            return error.strerror
        if not stat_module.S_ISREG(file.st_mode):
            return "it is not a regular file"
        if file.st_uid != os.getuid() or file.st_mode & 0o022:
            return "it is not a file of this user that only this user can write"
        return None

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            # Created by us, for us, before SQLite opens it.
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    # -- reading and writing --------------------------------------------------

    def load(self) -> dict[str, tuple[StatKey, Post]]:
        """The stored posts, ready to serve; empty when there is nothing trustworthy."""
        if not self.path.exists():
            return {}
        why = self._untrusted()
        if why:
            log.warning("not using the post store %s: %s", self.path, why)
            return {}
        stored: dict[str, tuple[StatKey, Post]] = {}
        try:
            db = self._connect()
            try:
                about = db.execute("SELECT fingerprint FROM about").fetchone()
                if about is None or about[0] != self._fingerprint:
                    return {}  # written by another version or with other settings
                rows = db.execute("SELECT path, mtime_ns, size, inode, post FROM posts")
                for path, mtime_ns, size, inode, blob in rows:
                    try:
                        post = pickle.loads(blob)
                    except Exception:  # one damaged row: that file is read again
                        continue
                    # A fresh object no one else holds yet: set what was left
                    # out when it was stored, as its own __init__ would have.
                    object.__setattr__(post, "renderer", self.settings.renderer)
                    object.__setattr__(post, "summarizer", self.settings.summarizer)
                    stored[path] = ((mtime_ns, size, inode), post)
            finally:
                db.close()
        except sqlite3.Error as error:
            if "no such table" not in str(error):
                log.warning("not using the post store %s: %s", self.path, error)
            return {}
        return stored

    def save(self, entries: Mapping[str, tuple[StatKey, Post]]) -> None:
        """Bring the store in line with ``entries``, rewriting only the rows that differ."""
        with self._saving:
            try:
                private_folder(self.path.parent)
                why = self._untrusted()
                if why:
                    log.warning("not writing the post store %s: %s", self.path, why)
                    return
                try:
                    self._save(entries)
                except sqlite3.DatabaseError as error:
                    if isinstance(error, sqlite3.OperationalError):
                        raise  # locked, disk full: leave the file as it is
                    # Not a database at all (or a damaged one): start it afresh.
                    log.warning("replacing the damaged post store %s: %s", self.path, error)
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                    self._save(entries)
            except (OSError, sqlite3.Error) as error:
                log.warning("could not store the posts in %s: %s", self.path, error)

    def _save(self, entries: Mapping[str, tuple[StatKey, Post]]) -> None:
        db = self._connect()
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")  # one writer at a time; the others wait
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                about = db.execute("SELECT fingerprint FROM about").fetchone()
                if about is None or about[0] != self._fingerprint:
                    db.execute("DELETE FROM about")
                    db.execute("DELETE FROM posts")
                    db.execute("INSERT INTO about VALUES (?)", (self._fingerprint,))
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
                for path, (key, post) in entries.items():
                    if known.get(path) == key:
                        continue  # already there (perhaps from another worker)
                    bare = dataclasses.replace(post, renderer=None, summarizer=None)
                    db.execute(
                        "INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?, ?)",
                        (path, *key, pickle.dumps(bare, pickle.HIGHEST_PROTOCOL)),
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
