"""A content folder kept current with the files on disk.

``ContentFolder`` owns the mutable part: which files exist, the last good
Post read from each, and the errors. Each change produces a new immutable
``Snapshot`` (see ``library``), which requests ask for the posts visible now.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import operator
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .collector import collector_paused
from .files import is_inside, is_post_path, iter_post_files
from .library import Library, Snapshot, unique_slugs
from .models import Post, PostError
from .reader import ReaderSettings, read_post
from .sharing import BATCH, read_shared
from .slugs import slug_from_path
from .store import PostStore, StatKey, digest_share
from .watch import Watcher, make_watcher

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    """What is known about one file: its stat, the last good post, its current error."""

    stat: StatKey | None
    post: Post | None = None
    error: PostError | None = None


def _stat_key(stat: os.stat_result) -> StatKey:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class ContentFolder:
    """The posts below one folder, re-read only where files changed.

    With a ``store`` file, the posts of the last full read are kept there,
    so the next process (a restarted server, another worker) reads only the
    files that changed since.
    """

    def __init__(
        self,
        root: Path,
        settings: ReaderSettings,
        *,
        poll_interval: float = 1.0,
        use_inotify: bool = True,
        store: Path | None = None,
        batch: int = BATCH,
    ) -> None:
        self.root = root.resolve()
        self.settings = settings
        self.poll_interval = poll_interval
        self.use_inotify = use_inotify
        self.store = PostStore(store, self.root, settings) if store else None
        #: Posts from the store, while the first full read of this process takes them.
        self._stored: dict[str, tuple[StatKey, Post]] = {}
        #: The store, while the first full read shares out the files it lacks (``sharing``).
        self._sharing: PostStore | None = None
        self.batch = batch
        self._saver: threading.Thread | None = None
        #: By absolute path, as a string: cheaper than Path keys at 10,000 files.
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._watcher: Watcher | None = None
        self._watcher_pid: int | None = None
        self._snapshot = Snapshot((), (), "empty")
        #: The paths of ``_entries`` in path order, while the set of paths is unchanged.
        self._order: tuple[frozenset[str], list[str]] = (frozenset(), [])
        #: Each path's post and its share of the content digest, while the post is unchanged.
        self._marks: dict[str, tuple[Post, int]] = {}
        self._combined = 0
        #: The newest modification time (ns) in the last snapshot, and the
        #: files read or failed since: an edit looks at these alone.
        self._newest = 0
        self._dirty: set[str] = set()

    # -- asking ---------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The current snapshot, after taking in whatever changed on disk."""
        with self._lock:
            if self._refresh():
                self._snapshot = self._build()
        return self._snapshot

    def library(self, now: datetime, *, drafts: bool = False) -> Library:
        return self.snapshot().library(now, drafts=drafts)

    def close(self) -> None:
        """Stop watching, once the post store (if one is being written) is complete."""
        with self._lock:
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None
            self._join_saver()

    def wait_until_stored(self) -> None:
        """Return once the post store (if one is being written) is complete."""
        with self._lock:
            self._join_saver()

    def _join_saver(self) -> None:
        if self._saver is not None:
            self._saver.join(timeout=60)
            self._saver = None

    # -- noticing changes -----------------------------------------------------

    def _refresh(self) -> bool:
        """Apply changes on disk to the entries; True if anything changed."""
        if self._watcher is None or self._watcher_pid != os.getpid():
            # First use in this process (e.g. a forked server worker): a watcher
            # of our own, then one full look at the files.
            self._watcher = make_watcher(
                self.root, poll_interval=self.poll_interval, use_inotify=self.use_inotify
            )
            self._watcher_pid = os.getpid()
            with collector_paused():
                if self.store is None or self._entries:
                    return self._rescan()
                return self._first_read(self.store)
        changes = self._watcher.poll()
        if not changes:
            return False
        if changes.rescan:
            return self._rescan()
        changed = False
        for folder in changes.folders:
            changed |= self._rescan_folder(folder)
        for path in changes.files:
            changed |= self._reread(str(path))
        return self._recheck_references() or changed

    def _first_read(self, store: PostStore) -> bool:
        """The first full read, taking unchanged files' posts from the store (the others
        shared out, see ``sharing``), then storing what the store was missing."""
        shares: dict[str, int] = {}
        self._stored, self._sharing = store.load(shares), store
        # Each stored post's share of the digest, hashed when it was stored
        # (``_digest`` makes it again for a post that is not the stored one).
        self._marks.update((path, (post, shares[path])) for path, (_, post) in self._stored.items())
        try:
            changed = self._rescan()
        finally:
            stored, self._stored, self._sharing = self._stored, {}, None
        current = {
            path: (entry.stat, entry.post)
            for path, entry in self._entries.items()
            if entry.post is not None and entry.stat is not None
        }
        # Nothing read (a folder missing for a moment, say) is not worth storing.
        if current and (
            current.keys() != stored.keys()
            or any(post is not stored[path][1] for path, (_, post) in current.items())
        ):
            self._saver = store.save_in_background(current)
        return changed

    def _rescan(self) -> bool:
        if not self.root.is_dir():
            if self._entries:
                log.warning("content folder %s is missing; serving what was read", self.root)
            else:
                log.error("content folder %s does not exist", self.root)
            return False
        changed = self._rescan_folder(self.root)
        return self._recheck_references() or changed

    def _recheck_references(self) -> bool:
        """Read again each post whose template code names another post (Jekyll's
        ``post_url``, Hugo's ``ref``) that now resolves differently: one added, renamed, removed
        or given another slug since it was read (in this process or, from the
        post store, in an earlier one)."""
        resolve = self.settings.resolve_reference
        if resolve is None:
            return False
        stale = [
            path
            for path, entry in self._entries.items()
            if entry.post is not None
            and entry.post.references
            and any(resolve(name) != url for name, url in entry.post.references)
        ]
        changed = False
        for path in stale:
            changed |= self._reread(path)
        return changed

    def _rescan_folder(self, folder: Path) -> bool:
        """Compare everything below folder with what we know: stat first, read on change."""
        keys: dict[str, StatKey] = {}
        if folder.is_dir() and is_inside(folder, self.root):
            for file in iter_post_files(folder, self.root):
                try:
                    keys[file.path] = _stat_key(file.stat())
                except OSError:
                    continue
        changed = False
        prefix = str(folder) + os.sep if folder != self.root else None
        entries, stored = self._entries, self._stored
        for path in [p for p in entries if prefix is None or p.startswith(prefix)]:
            if path not in keys:
                del entries[path]
                changed = True
        unread: list[str] = []
        for path, key in keys.items():
            known = entries.get(path)
            if known is None:
                kept = stored.get(path)
                if kept is not None and kept[0] == key:
                    entries[path] = _Entry(key, kept[1])
                    changed = True
                    continue
            if known is None or known.stat != key:
                unread.append(path)
        if self._sharing is not None and len(unread) > self.batch:
            read = functools.partial(self._read, keys=keys)
            taken = read_shared(
                self._sharing, keys, set(unread), read, size=self.batch, order=_path_key
            )
            self._entries.update((path, _Entry(*value)) for path, value in taken.items())
            return True
        for path in unread:
            changed |= self._reread(path, keys[path])
        return changed

    def _read(self, paths: list[str], keys: dict[str, StatKey]) -> dict[str, tuple[StatKey, Post]]:
        """Read these files, just listed with these stat keys; the posts that read cleanly."""
        for path in paths:
            self._reread(path, keys[path])
        read = [(path, self._entries.get(path)) for path in paths]
        return {p: (e.stat, e.post) for p, e in read if e and e.post and e.stat and not e.error}

    def _reread(self, path: str, listed: StatKey | None = None) -> bool:
        """Read one file again. A failed read keeps the last good post. ``listed``:
        the stat key a listing has just taken, having checked what is checked here
        (checking again costs a fifth of a first read)."""
        entry = self._entries.get(path)
        file = Path(path)
        error: PostError | None = None
        try:
            key = listed or self._post_key(file)
            self._dirty.add(path)
            try:
                post = read_post(file, self.root, self.settings)
            except PostError as failed:
                error = failed
                if listed:  # now the checks: was it removed since the listing?
                    key = self._post_key(file)
        except OSError:
            # Deleted or renamed away, perhaps between listing and reading.
            return self._entries.pop(path, None) is not None
        if error is not None:
            if entry is None:
                entry = self._entries[path] = _Entry(key)
            if entry.error is None or str(entry.error) != str(error):
                if entry.post is not None:
                    log.warning("%s (still serving the last version that read cleanly)", error)
                else:
                    log.warning("%s", error)
            entry.stat, entry.error = key, error
            return True
        old = entry.post if entry is not None else None
        same = old is not None and (old.digest, old.references) == (post.digest, post.references)
        if entry is not None and same:
            entry.stat, entry.error = key, None
            return False
        self._entries[path] = _Entry(key, post)
        return True

    def _post_key(self, file: Path) -> StatKey:
        """The stat key of a file that is a post; OSError if it is gone or is not one."""
        stat = file.stat()
        if not file.is_file() or (file.is_symlink() and not is_inside(file, self.root)):
            raise FileNotFoundError(file)
        if not is_post_path(file, self.root):
            raise FileNotFoundError(file)  # a resource of a leaf bundle now
        return _stat_key(stat)

    # -- building snapshots ----------------------------------------------------

    def _build(self) -> Snapshot:
        """A snapshot of the entries. An edit changes a few of 10,000 entries:
        what can be kept from the last build (the path order, each post's
        share of the digest, the sorted posts and their indexes) is."""
        edited = self._edited()
        if edited is not None:
            return edited
        errors: list[PostError] = []
        broken: dict[str, PostError] = {}
        read: list[Post] = []
        entries = self._entries
        for path in self._path_order():
            entry = entries[path]
            if entry.error is not None:
                errors.append(entry.error)
                slug = entry.post.slug if entry.post else slug_from_path(entry.error.path)
                broken.setdefault(slug, entry.error)
            if entry.post is not None:
                read.append(entry.post)
        unique, renamed = unique_slugs(read)
        errors.extend(renamed)
        posts = sorted(unique, key=_NEWEST_FIRST, reverse=True)
        newest = max((entry.stat[0] for entry in entries.values() if entry.stat), default=0)
        self._newest = newest
        modified = datetime.fromtimestamp(newest / 1e9, UTC) if newest else None
        return Snapshot(tuple(posts), tuple(errors), self._digest(), broken, modified)

    def _edited(self) -> Snapshot | None:
        """The last snapshot with the posts of edited files replaced, when the
        same files are there, none fails to read, and no post moves."""
        last = self._snapshot
        dirty, self._dirty = self._dirty, set()
        if last.errors or not dirty or self._entries.keys() != self._order[0]:
            return None
        replaced: dict[Post, Post] = {}
        marks = dict(self._marks)
        combined, newest = self._combined, self._newest
        for path in dirty:
            entry = self._entries[path]
            known = marks.get(path)
            if entry.error is not None or entry.post is None or known is None:
                return None
            if entry.stat is not None:
                newest = max(newest, entry.stat[0])
            if known[0] is not entry.post:
                replaced[known[0]] = entry.post
                marks[path] = _mark(entry.post)
                combined ^= known[1] ^ marks[path][1]
        modified = datetime.fromtimestamp(newest / 1e9, UTC) if newest else None
        edited = last.edited(replaced, f"{combined:032x}", modified)
        if edited is not None:
            self._marks, self._combined, self._newest = marks, combined, newest
        return edited

    def _path_order(self) -> list[str]:
        """The paths in path order, folder by folder (as Paths sort): the first
        of two files claiming one slug keeps it."""
        known, order = self._order
        if self._entries.keys() != known:
            order = sorted(self._entries, key=_path_key)
            self._order = (frozenset(self._entries), order)
        return order

    def _digest(self) -> str:
        """Identifies the content: equal for equal files, on any host or worker.

        Each file's source and digest hash to a number; the numbers are
        combined by XOR, which does not depend on their order, so an edit
        computes only the changed files' numbers again.
        """
        marks = self._marks
        combined = 0
        current: set[str] = set()
        for path, entry in self._entries.items():
            post = entry.post
            if post is None:
                continue
            current.add(path)
            known = marks.get(path)
            if known is None or known[0] is not post:
                known = marks[path] = _mark(post)
            combined ^= known[1]
        for path in marks.keys() - current:
            del marks[path]
        self._combined = combined
        return f"{combined:032x}" if current else _EMPTY_DIGEST


def _path_key(path: str) -> str:
    """Sorts as Path does (by parts), as no name holds a NUL, at a fraction of the cost."""
    return path.replace(os.sep, "\0")


def _mark(post: Post) -> tuple[Post, int]:
    """A post's share of the content digest."""
    return post, int.from_bytes(digest_share(post))


#: The digest of a folder with no posts.
_EMPTY_DIGEST = hashlib.blake2b(digest_size=16).hexdigest()


#: The order of a snapshot's posts (reversed): a key made in C, not by a Python function.
_NEWEST_FIRST = operator.attrgetter("published", "slug")
