"""Opening an SQLite database of this site's own: private, in WAL mode, with its schema.

The post store and the search index both open their files here. The file
is checked (and made, 0600, in a folder made 0700) as ``private``
describes before SQLite sees it, and SQLite is told never to create it
itself. A file that is ours but is not a database, or holds another
version's schema, is replaced rather than reported on every request.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from .private import NotPrivate, open_folder, prepare_file, remove

__all__ = ["NotPrivate", "ThreadConnections", "open_database"]

log = logging.getLogger(__name__)

#: Connections a process inherited from its parent across a fork: SQLite's
#: own must not be used or closed in the child, so they are kept, unused.
_inherited: list[object] = []


class ThreadConnections:
    """One connection per thread and per process, made by ``connect`` when a
    thread first asks. A forked child makes its own: the parent's are kept,
    never used nor closed (SQLite's state is not safe across a fork)."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._pid = os.getpid()

    def get(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            _inherited.append(self._local)
            self._local, self._pid = threading.local(), os.getpid()
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = _Held(self._connect())
        return held.db


class _Held:
    """A thread's connection, closed when the thread ends (and its locals go).

    A connection is in a reference cycle with its own statement cache, so
    dropping it closes nothing until a garbage collection finds it, and never
    once a serving process has frozen it (``gc.freeze``): its file would stay
    open, and its WAL journal behind, after the thread that used it is gone.
    """

    __slots__ = ("db", "pid")

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.pid = os.getpid()

    def __del__(self) -> None:
        if self.pid != os.getpid():
            # A forked child dropping the locals of its parent's other threads:
            # kept, as ThreadConnections keeps the rest (closing it could release
            # the parent's locks on the file).
            _inherited.append(self.db)
            return
        try:
            self.db.close()
        except sqlite3.Error:
            pass  # a thread other than its own: left to the garbage collector


def open_database(
    path: Path,
    *,
    schema: str,
    version: int,
    timeout: float = 30.0,
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """A connection to the database at ``path``, whose ``user_version`` is ``version``.

    ``schema`` is run (statements separated by ``;``) when the file is new
    or holds another version; then every table it had is dropped first.
    Raises NotPrivate when
    the path is not the user's own (see ``private``), sqlite3.Error when
    the database is busy or the disk is full, OSError when the folder
    cannot be made.
    """
    folder_fd, folder = open_folder(path.parent)
    try:
        if prepare_file(folder_fd, folder, path.name):
            log.warning("replaced %s: other users could have written to it", folder / path.name)
        try:
            return _connect(folder / path.name, schema, version, timeout, check_same_thread)
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError):
                raise  # locked, disk full: the file may be fine
            log.warning("replacing %s: %s", folder / path.name, error)
            remove(folder_fd, path.name)
            prepare_file(folder_fd, folder, path.name)
            return _connect(folder / path.name, schema, version, timeout, check_same_thread)
    finally:
        os.close(folder_fd)


def _connect(
    path: Path, schema: str, version: int, timeout: float, check_same_thread: bool
) -> sqlite3.Connection:
    # mode=rw: SQLite opens the file made and checked above, and never makes one itself.
    uri = "file:" + urllib.parse.quote(str(path)) + "?mode=rw"
    db = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=check_same_thread)
    try:
        db.execute("PRAGMA trusted_schema = OFF")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        if db.execute("PRAGMA user_version").fetchone()[0] != version:
            _apply(db, schema, version)
    except BaseException:
        db.close()
        raise
    return db


def _apply(db: sqlite3.Connection, schema: str, version: int) -> None:
    """Start the database afresh with ``schema``, unless another process just did."""
    with db:
        db.execute("BEGIN IMMEDIATE")  # one process at a time; the others wait, then see it done
        if db.execute("PRAGMA user_version").fetchone()[0] == version:
            return
        # Virtual tables first: dropping one drops the tables that hold its data.
        while True:
            row = db.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY sql NOT LIKE 'CREATE VIRTUAL%' LIMIT 1"
            ).fetchone()
            if row is None:
                break
            db.execute(f'DROP TABLE "{row[0].replace(chr(34), chr(34) * 2)}"')
        for statement in schema.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {int(version)}")
