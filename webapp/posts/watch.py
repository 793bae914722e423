"""Finding out which content files changed, cheaply enough to ask on every request.

On Linux the kernel tells us (inotify): each request drains the inotify queue
without blocking, which costs one ``poll`` of its descriptor when nothing
changed, however many posts there are, and is exact: a write that finished before the request
began is already in the queue. Files are re-read when a writer closes them or
renames them into place, never while an editor is half-way through writing.

Elsewhere, or when inotify is unavailable, a timer asks for a full rescan
(one ``stat`` per file) at most every ``interval`` seconds.
"""

from __future__ import annotations

import logging
import os
import select
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .files import is_post_name
from .migration.files import is_bundle_index

log = logging.getLogger(__name__)


@dataclass
class Changes:
    """What changed since the last poll. ``rescan`` means: trust nothing, look at everything."""

    files: set[Path] = field(default_factory=set)
    folders: set[Path] = field(default_factory=set)
    rescan: bool = False

    def __bool__(self) -> bool:
        return self.rescan or bool(self.files or self.folders)


class Watcher(Protocol):
    def poll(self) -> Changes: ...

    def close(self) -> None: ...


class PollingWatcher:
    """Asks for a full rescan at most every ``interval`` seconds (0: on every poll)."""

    def __init__(self, root: Path, interval: float) -> None:
        self.root = root
        self.interval = interval
        self._next = 0.0

    def poll(self) -> Changes:
        now = time.monotonic()
        if now < self._next:
            return Changes()
        self._next = now + self.interval
        return Changes(rescan=True)

    def close(self) -> None:
        pass


class InotifyWatcher:
    """Watches root and every folder below it with one inotify instance."""

    def __init__(self, root: Path) -> None:
        from inotify_simple import INotify, flags

        self._flags = flags
        self._file_events = flags.CLOSE_WRITE | flags.MOVED_TO | flags.MOVED_FROM | flags.DELETE
        self._folder_events = (
            flags.CREATE | flags.MOVED_TO | flags.MOVED_FROM | flags.DELETE | flags.DELETE_SELF
        )
        self._mask = self._file_events | self._folder_events | flags.MOVE_SELF | flags.ONLYDIR
        self.root = root
        self._inotify = INotify(nonblocking=True)
        # Asking the kernel whether anything is queued is one system call;
        # inotify_simple's read (an ioctl through ctypes, then parsing) is
        # most of a cached page's own time when nothing is.
        self._queued = select.poll()
        self._queued.register(self._inotify.fileno(), select.POLLIN)
        # Close the descriptor when the watcher is dropped, even if nobody calls close().
        self._finalizer = weakref.finalize(self, self._inotify.close)
        self._folders: dict[int, Path] = {}
        self._root_lost = False
        self._watch_tree(root)

    def _watch_tree(self, folder: Path) -> None:
        """Watch folder and its subfolders (not following links, not dot-folders)."""
        pending = [folder]
        while pending:
            current = pending.pop()
            try:
                wd = self._inotify.add_watch(current, self._mask)
            except FileNotFoundError:
                continue
            except OSError as error:
                # Out of watches (fs.inotify.max_user_watches) or not permitted.
                raise WatchUnavailable(f"cannot watch {current}: {error}") from error
            self._folders[wd] = current
            try:
                with os.scandir(current) as entries:
                    pending.extend(
                        Path(entry.path)
                        for entry in entries
                        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".")
                    )
            except OSError:
                continue

    def poll(self) -> Changes:
        flags = self._flags
        changes = Changes()
        if self._root_lost:
            if not self.root.is_dir():
                return changes
            log.warning("content folder %s is back; rescanning", self.root)
            self._root_lost = False
            self._watch_tree(self.root)
            changes.rescan = True
        if not self._queued.poll(0):
            return changes
        for event in self._inotify.read(timeout=0):
            if event.mask & flags.Q_OVERFLOW:
                changes.rescan = True
                continue
            folder = self._folders.get(event.wd)
            if folder is None:
                continue
            if event.mask & flags.IGNORED:
                del self._folders[event.wd]
                continue
            if event.mask & (flags.DELETE_SELF | flags.MOVE_SELF) and folder == self.root:
                log.warning("content folder %s disappeared; serving what was read", self.root)
                self._root_lost = True
                continue
            if not event.name:
                continue
            path = folder / event.name
            if event.mask & flags.ISDIR:
                if event.name.startswith("."):
                    continue
                if event.mask & (flags.CREATE | flags.MOVED_TO):
                    self._watch_tree(path)
                changes.folders.add(path)
            elif is_post_name(event.name) and event.mask & self._file_events:
                changes.files.add(path)
                if is_bundle_index(event.name):
                    # A leaf bundle's index appeared or went: the Markdown files
                    # below it change between posts and resources.
                    changes.folders.add(folder)
        return changes

    def close(self) -> None:
        self._finalizer()


class WatchUnavailable(Exception):
    """inotify cannot be used here; fall back to polling."""


def make_watcher(root: Path, *, poll_interval: float, use_inotify: bool = True) -> Watcher:
    """The best watcher this platform offers for root."""
    if use_inotify:
        try:
            return InotifyWatcher(root)
        except (ImportError, OSError, WatchUnavailable) as error:
            log.warning(
                "file change notification unavailable (%s); rescanning every %ss",
                error,
                poll_interval,
            )
    return PollingWatcher(root, poll_interval)
