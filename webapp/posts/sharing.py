"""Server workers starting together share out the reading of the files the post store lacks.

On a first start (no post store yet) each worker of a server would read and
parse every file, all of them at once on the same cores. Instead the files
are cut into batches, and each batch is read by one worker:

- The batches are the files in path order, every ``size`` of them, all files
  counted (those the store holds too): workers that find the same files cut
  the same batches, even when one of them loaded rows the other had just
  written. Batches whose files the store holds are passed over.
- A worker claims a batch with a row in the store's ``claims`` table, named
  by the hash of the batch's paths and stat keys (a claim never stands for
  other files, or for the same files changed), before reading it. Only one
  worker's INSERT of that row succeeds; the others pass the batch over.
- A worker that knows other workers are reading (each leaves a row of its
  own while it reads) writes each batch's posts to the store as soon as they
  are read, in a short transaction of their own, adding rows and deleting
  none. A process reading alone (a development server, ``blog check``)
  leaves writing to the full save afterwards, as before.
- When no batch is left, a worker takes the posts of the batches it passed
  over from the store (those paths alone, and only rows whose stat key
  matches), then reads itself whatever is still missing: a batch the other
  worker is still reading, one whose claimant died, a file that failed to
  read (errors are never stored, so every worker reports a broken file).
  Nothing waits for anything: the work done twice is about a batch or two.

Claims are removed by the full save (``PostStore.save``) once they are old;
a stale claim costs only the reading it names, never a post. Any trouble
with the store here means reading the files, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Collection, Mapping

from .models import Post
from .private import NotPrivate
from .store import CLAIMS_LAST, INSERT, ROW, PostStore, StatKey

log = logging.getLogger(__name__)

#: Files a batch spans: small enough that the work done twice stays small,
#: large enough that claiming and storing cost little beside reading.
BATCH = 200

Read = Callable[[list[str]], dict[str, tuple[StatKey, Post]]]


class _Sharing:
    """One process's part in sharing out a first read, through the post store."""

    def __init__(self, store: PostStore) -> None:
        self.store = store
        self.owner = f"{os.getpid()}-{secrets.token_hex(8)}"
        self.db = store.connect()
        self.company = False
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                store.adopt(self.db)
                self.db.execute("DELETE FROM claims WHERE made < ?", (time.time() - CLAIMS_LAST,))
                self._claim(f"reading {self.owner}")
        except BaseException:
            self.db.close()
            raise

    def _claim(self, name: str) -> bool:
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO claims VALUES (?, ?, ?)", (name, self.owner, time.time())
        )
        return cursor.rowcount == 1

    def claim(self, paths: Collection[str], keys: Mapping[str, StatKey]) -> bool:
        """Whether this process is to read these files (no other claimed them)."""
        hasher = hashlib.blake2b(digest_size=16)
        for path in paths:
            hasher.update(f"{path}\0{keys[path]}\0".encode())
        with self.db:
            claimed = self._claim(f"batch {hasher.hexdigest()}")
        if not self.company:
            others = self.db.execute(
                "SELECT 1 FROM claims WHERE owner != ? AND name LIKE 'reading %' LIMIT 1",
                (self.owner,),
            )
            self.company = others.fetchone() is not None
        return claimed

    def put(self, posts: Mapping[str, tuple[StatKey, Post]]) -> None:
        """Add these posts to the store (adding rows only), for the other workers."""
        rows = list(self.store.rows(posts))
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            if self.store.trusts(self.db):  # else another version has just taken the store
                self.db.executemany(INSERT, rows)

    def take(self, wanted: Mapping[str, StatKey]) -> dict[str, tuple[StatKey, Post]]:
        """The stored posts of these files, where their stat key is the one given."""
        paths = list(wanted)
        rows = self.db.execute(
            f"SELECT {ROW} FROM posts WHERE path IN ({', '.join('?' * len(paths))})", paths
        )
        stored = self.store.posts(rows)
        return {path: value for path, value in stored.items() if value[0] == wanted[path]}

    def close(self) -> None:
        """Leave the store: other processes no longer count on this one."""
        try:
            with self.db:
                self.db.execute("DELETE FROM claims WHERE name = ?", (f"reading {self.owner}",))
        except sqlite3.Error:
            pass  # cleared with the old claims
        finally:
            self.db.close()


def read_shared(
    store: PostStore,
    keys: Mapping[str, StatKey],
    unread: Collection[str],
    read: Read,
    *,
    size: int = BATCH,
    order: Callable[[str], str] = str,
) -> dict[str, tuple[StatKey, Post]]:
    """Read the ``unread`` files among ``keys`` (every file found, by path),
    sharing the work out with other processes doing the same.

    ``read`` reads files into the caller's posts and returns those that
    read cleanly. Returns the posts other processes read, taken from the
    store, for the caller to serve.
    """
    try:
        sharing = _Sharing(store)
    except (NotPrivate, OSError, sqlite3.Error):
        read(sorted(unread, key=order))  # (the full save afterwards says why the store is not used)
        return {}
    files = sorted(keys, key=order)
    taken: dict[str, tuple[StatKey, Post]] = {}
    done: set[str] = set()
    passed: list[list[str]] = []
    held: list[dict[str, tuple[StatKey, Post]]] = []
    try:
        for start in range(0, len(files), size):
            batch = files[start : start + size]
            todo = [path for path in batch if path in unread]
            if not todo:
                continue
            if not sharing.claim(batch, keys):
                passed.append(todo)
                continue
            done.update(todo)
            held.append(read(todo))
            while sharing.company and held:
                sharing.put(held.pop(0))
        for todo in passed:
            taken.update(sharing.take({path: keys[path] for path in todo}))
            rest = [path for path in todo if path not in taken]
            done.update(rest)
            read(rest)
    except sqlite3.Error as error:
        log.info("reading alone: the post store %s failed: %s", store.path, error)
        read([path for path in files if path in unread and path not in done | taken.keys()])
    finally:
        sharing.close()
    return taken
