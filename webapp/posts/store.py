"""Posts read on an earlier start, so a restart re-reads only changed files.

Reading every file is what a server does before its first answer: about
half a millisecond a post, most of it YAML. The store keeps the posts
of the last full read in one file, keyed by each file's stat (modification
time in nanoseconds, size, inode: the same test the live watcher uses to
decide a file changed). A post is taken from the store only when its file's
stat is unchanged; anything else is read from disk as before.

The file is a pickle, so it is trusted only when it is owned by this user
and writable by no one else (as Jinja's bytecode cache does in a shared
temporary directory), and only when it was written by this very reader:
the fingerprint covers the reader's source, its settings and the versions
of the libraries that parse front matter. Anything unexpected (a missing,
truncated, foreign or stale file) means a full read, never an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import logging
import os
import pickle
import stat as stat_module
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from . import models, reader
from .models import Post
from .reader import ReaderSettings

log = logging.getLogger(__name__)

StatKey = tuple[int, int, int]

_FORMAT = 1
#: Seconds after which a temporary file no process finished writing is removed.
_ABANDONED_AFTER = 600


def fingerprint(root: Path, settings: ReaderSettings) -> str:
    """Changes whenever reading the same bytes could give a different post."""
    hasher = hashlib.blake2b(digest_size=16)
    for module in (reader, models):
        hasher.update(Path(module.__file__ or "").read_bytes())
    for package in ("PyYAML", "python-frontmatter"):
        hasher.update(importlib.metadata.version(package).encode())
    hasher.update(
        repr((_FORMAT, sys.version, str(root), str(settings.timezone), settings.max_bytes)).encode()
    )
    return hasher.hexdigest()


class PostStore:
    """One file holding ``{absolute path: (stat key, post)}`` for a content folder."""

    def __init__(self, path: Path, root: Path, settings: ReaderSettings) -> None:
        self.path = path
        self.root = root
        self.settings = settings
        self._fingerprint = fingerprint(root, settings)
        self._saving = threading.Lock()

    def load(self) -> dict[str, tuple[StatKey, Post]]:
        """The stored posts, ready to serve; empty when there is nothing trustworthy."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return {}
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if (
                not stat_module.S_ISREG(info.st_mode)
                or info.st_uid != os.getuid()
                or info.st_mode & 0o022
            ):
                log.warning(
                    "ignoring %s: not a file of this user that only this user can write", self.path
                )
                return {}
            try:
                header = pickle.load(file)
                if header != (_FORMAT, self._fingerprint):
                    return {}
                stored: dict[str, tuple[StatKey, Post]] = pickle.load(file)
            except Exception as error:  # a truncated or corrupt file: read everything
                log.warning("ignoring %s: %s", self.path, error)
                return {}
        for _, post in stored.values():
            # Fresh objects no one else holds yet: set what was left out when
            # they were stored, as their own __init__ would have.
            object.__setattr__(post, "renderer", self.settings.renderer)
            object.__setattr__(post, "summarizer", self.settings.summarizer)
        return stored

    def save(self, entries: Mapping[str, tuple[StatKey, Post]]) -> None:
        """Write the posts atomically (a temporary file renamed over the old one)."""
        stored = {
            path: (key, dataclasses.replace(post, renderer=None, summarizer=None))
            for path, (key, post) in entries.items()
        }
        with self._saving:
            temporary = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._remove_abandoned()
                fd, temporary = tempfile.mkstemp(
                    dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
                )
                with os.fdopen(fd, "wb") as file:  # mkstemp: mode 0600
                    pickle.dump((_FORMAT, self._fingerprint), file, pickle.HIGHEST_PROTOCOL)
                    pickle.dump(stored, file, pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, self.path)
                temporary = None
            except Exception as error:  # a full disk, say: the next start reads the files
                log.warning("could not store the posts in %s: %s", self.path, error)
            finally:
                if temporary is not None:
                    Path(temporary).unlink(missing_ok=True)

    def _remove_abandoned(self) -> None:
        """Temporary files left by a process stopped while saving, a while ago."""
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            try:
                if time.time() - leftover.stat().st_mtime > _ABANDONED_AFTER:
                    leftover.unlink()
            except OSError:
                continue

    def save_in_background(self, entries: Mapping[str, tuple[StatKey, Post]]) -> threading.Thread:
        """Save without holding up the first answer (posts are immutable, so
        this is safe). Not a daemon thread: a process that exits soon after
        starting finishes the file first."""
        thread = threading.Thread(target=self.save, args=(dict(entries),), name="post-store")
        thread.start()
        return thread
