"""All the posts in a content folder, kept current with the files on disk.

``ContentFolder`` owns the mutable part: which files exist, the last good
Post read from each, and the errors. Each change produces a new immutable
``Snapshot``; each request asks for a ``Library``, the posts visible at that
moment (drafts and scheduled posts filtered), which is memoised until a file
changes or a scheduled post's time comes.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
import logging
import os
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import cached_property
from pathlib import Path

from .models import Post, PostError, Tag, preferred_name
from .reader import ReaderSettings, is_inside, iter_post_files, read_post, slug_from_path
from .store import PostStore, StatKey
from .watch import Watcher, make_watcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TagCount:
    tag: Tag
    count: int


@dataclass(frozen=True)
class Library:
    """The posts a reader can see at one moment, newest first."""

    posts: tuple[Post, ...]
    version: str
    errors: tuple[PostError, ...] = ()
    next_publication: datetime | None = None
    #: Files that failed to read, by the slug their post has (or would have).
    broken: Mapping[str, PostError] = field(default_factory=dict)
    #: When what this library shows last changed: a file's change, or a post's appearance.
    last_modified: datetime | None = None

    def error_for(self, slug: str) -> PostError | None:
        """Why the post at this slug could not be read, if it could not."""
        return self.broken.get(slug)

    @cached_property
    def _aliases(self) -> dict[str, Post]:
        """Old URLs (from ``aliases``/``redirect_from``). A live page at the same
        address wins: only requests nothing else answers ask for an alias."""
        aliases: dict[str, Post] = {}
        for post in reversed(self.posts):  # the newest post wins a shared alias
            for path in post.aliases:
                aliases[path] = post
        return aliases

    def alias(self, path: str) -> Post | None:
        """The post that used to live at ``path`` (normalised: no trailing slash)."""
        return self._aliases.get(path)

    @cached_property
    def _by_slug(self) -> dict[str, Post]:
        return {post.slug: post for post in self.posts}

    @cached_property
    def _by_tag(self) -> dict[str, tuple[Post, ...]]:
        index: dict[str, list[Post]] = {}
        for post in self.posts:
            for tag in post.tags:
                index.setdefault(tag.slug, []).append(post)
        return {slug: tuple(posts) for slug, posts in index.items()}

    @cached_property
    def _tags(self) -> dict[str, TagCount]:
        """Each tag once, in the form most posts write it (ties: alphabetical)."""
        forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for post in self.posts:
            for tag in post.tags:
                forms[tag.slug][tag.name] += 1
        counts = {}
        for slug, names in forms.items():
            counts[slug] = TagCount(Tag(slug, preferred_name(names)), len(self._by_tag[slug]))
        return counts

    @property
    def tags(self) -> list[TagCount]:
        """Every tag with its number of posts, alphabetically."""
        return sorted(self._tags.values(), key=lambda tc: tc.tag.name.casefold())

    def tag(self, slug: str) -> Tag | None:
        found = self._tags.get(slug)
        return found.tag if found else None

    def display_tags(self, post: Post) -> tuple[Tag, ...]:
        """A post's tags in the site-wide display form."""
        return tuple(self._tags[t.slug].tag if t.slug in self._tags else t for t in post.tags)

    def get(self, slug: str) -> Post | None:
        return self._by_slug.get(slug)

    def by_tag(self, *slugs: str) -> tuple[Post, ...]:
        """Posts having every one of the tags, newest first."""
        if not slugs:
            return self.posts
        groups = sorted((self._by_tag.get(slug, ()) for slug in set(slugs)), key=len)
        others = [{post.slug for post in group} for group in groups[1:]]
        return tuple(post for post in groups[0] if all(post.slug in group for group in others))

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {post.slug: index for index, post in enumerate(self.posts)}

    def related(self, post: Post, limit: int = 3) -> list[Post]:
        """Other posts sharing the most tags with this one (ties: the newest)."""
        shared: Counter[str] = Counter()
        for tag in post.tags:
            for other in self._by_tag.get(tag.slug, ()):
                if other.slug != post.slug:
                    shared[other.slug] += 1
        position = self._positions
        best = sorted(shared, key=lambda slug: (-shared[slug], position[slug]))[:limit]
        return [self.posts[position[slug]] for slug in best]

    def archive(self, tz: tzinfo) -> list[tuple[int, list[tuple[int, list[Post]]]]]:
        """Posts by year, then month (in tz), newest first: [(2024, [(8, [...]), ...]), ...]."""
        years: dict[int, dict[int, list[Post]]] = {}
        for post in self.posts:
            local = post.published.astimezone(tz)
            years.setdefault(local.year, {}).setdefault(local.month, []).append(post)
        return [(year, list(months.items())) for year, months in years.items()]

    def neighbours(self, post: Post) -> tuple[Post | None, Post | None]:
        """(newer, older) posts next to this one."""
        index = self._positions.get(post.slug)
        if index is None:
            return None, None
        newer = self.posts[index - 1] if index > 0 else None
        older = self.posts[index + 1] if index + 1 < len(self.posts) else None
        return newer, older


@dataclass(frozen=True)
class Snapshot:
    """Every good post in the folder at one moment, drafts and future posts included."""

    posts: tuple[Post, ...]
    errors: tuple[PostError, ...]
    digest: str
    broken: Mapping[str, PostError] = field(default_factory=dict)
    #: The newest modification time among the files read.
    modified: datetime | None = None
    _views: dict[tuple[int, bool], Library] = field(default_factory=dict, compare=False)

    @cached_property
    def _moments(self) -> list[datetime]:
        """Every distinct publication time, in order: the moments the visible set changes."""
        return sorted({post.published for post in self.posts})

    def library(self, now: datetime, *, drafts: bool = False) -> Library:
        """The posts visible at ``now``: built once between one publication and the next."""
        moments = self._moments
        epoch = bisect.bisect_right(moments, now)
        key = (epoch, drafts)
        view = self._views.get(key)
        if view is None:
            visible = tuple(
                post for post in self.posts if post.published <= now and (drafts or not post.draft)
            )
            upcoming = moments[epoch] if epoch < len(moments) else None
            version = f"{self.digest}.{epoch}{'d' if drafts else ''}"
            appeared = moments[epoch - 1] if epoch else None
            changed = max(filter(None, (self.modified, appeared)), default=None)
            view = Library(visible, version, self.errors, upcoming, self.broken, changed)
            if len(self._views) > 16:
                self._views.clear()
            self._views[key] = view
        return view


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
    ) -> None:
        self.root = root.resolve()
        self.settings = settings
        self.poll_interval = poll_interval
        self.use_inotify = use_inotify
        self.store = PostStore(store, self.root, settings) if store else None
        #: Posts from the store, while the first full read of this process takes them.
        self._stored: dict[str, tuple[StatKey, Post]] = {}
        self._saver: threading.Thread | None = None
        #: By absolute path, as a string: cheaper than Path keys at 10,000 files.
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._watcher: Watcher | None = None
        self._watcher_pid: int | None = None
        self._snapshot = Snapshot((), (), "empty")

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
            with _collector_paused():
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
        return changed

    def _first_read(self, store: PostStore) -> bool:
        """The first full read, taking unchanged files' posts from the store,
        then storing what was read if the store was missing any of it."""
        self._stored = store.load()
        try:
            changed = self._rescan()
        finally:
            stored, self._stored = self._stored, {}
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
        return self._rescan_folder(self.root)

    def _rescan_folder(self, folder: Path) -> bool:
        """Compare everything below folder with what we know: stat first, read on change."""
        found: dict[str, os.stat_result] = {}
        if folder.is_dir() and is_inside(folder, self.root):
            for file in iter_post_files(folder, self.root):
                try:
                    found[file.path] = file.stat()
                except OSError:
                    continue
        changed = False
        prefix = str(folder) + os.sep if folder != self.root else None
        for path in [p for p in self._entries if prefix is None or p.startswith(prefix)]:
            if path not in found:
                del self._entries[path]
                changed = True
        for path, stat in found.items():
            known = self._entries.get(path)
            key = _stat_key(stat)
            if known is None and path in self._stored and self._stored[path][0] == key:
                self._entries[path] = _Entry(key, self._stored[path][1])
                changed = True
            elif known is None or known.stat != key:
                changed |= self._reread(path)
        return changed

    def _reread(self, path: str) -> bool:
        """Read one file again. A failed read keeps the last good post."""
        entry = self._entries.get(path)
        file = Path(path)
        try:
            stat = file.stat()
            if not file.is_file() or (file.is_symlink() and not is_inside(file, self.root)):
                raise FileNotFoundError(path)
        except OSError:
            # Deleted or renamed away, perhaps between listing and reading.
            return self._entries.pop(path, None) is not None
        key = _stat_key(stat)
        try:
            post = read_post(file, self.root, self.settings)
        except PostError as error:
            if entry is None:
                entry = self._entries[path] = _Entry(key)
            if entry.error is None or str(entry.error) != str(error):
                if entry.post is not None:
                    log.warning("%s (still serving the last version that read cleanly)", error)
                else:
                    log.warning("%s", error)
            entry.stat, entry.error = key, error
            return True
        if entry is not None and entry.post is not None and entry.post.digest == post.digest:
            entry.stat, entry.error = key, None
            return False
        self._entries[path] = _Entry(key, post)
        return True

    # -- building snapshots ----------------------------------------------------

    def _build(self) -> Snapshot:
        errors: list[PostError] = []
        broken: dict[str, PostError] = {}
        chosen: dict[str, Post] = {}
        # In path order, folder by folder (as Paths sort): the first of two
        # files claiming one slug keeps it.
        for path in sorted(self._entries, key=lambda path: path.split(os.sep)):
            entry = self._entries[path]
            if entry.error is not None:
                errors.append(entry.error)
                slug = entry.post.slug if entry.post else slug_from_path(entry.error.path)
                broken.setdefault(slug, entry.error)
            post = entry.post
            if post is None:
                continue
            other = chosen.get(post.slug)
            if other is not None:
                errors.append(
                    PostError(
                        post.source,
                        f"slug {post.slug!r} is already used by {other.source}; skipped",
                        field="slug",
                    )
                )
                continue
            chosen[post.slug] = post
        posts = sorted(chosen.values(), key=lambda p: (p.published, p.slug), reverse=True)
        newest = max(
            (entry.stat[0] for entry in self._entries.values() if entry.stat), default=None
        )
        modified = datetime.fromtimestamp(newest / 1e9, UTC) if newest else None
        return Snapshot(tuple(posts), tuple(errors), _digest(posts), broken, modified)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while reading a whole folder.

    Nearly every object a full read creates lives on, so the collector's
    passes over them find nothing, yet they cost about a third of a start-up
    at 10,000 posts. The few cycles a read leaves (a reported error's
    traceback) are collected once it is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _digest(posts: Sequence[Post]) -> str:
    """Identifies the content: equal for equal files, on any host or worker."""
    hasher = hashlib.blake2b(digest_size=8)
    for post in sorted(posts, key=lambda p: str(p.source)):
        hasher.update(f"{post.source}\0{post.digest}\0".encode())
    return hasher.hexdigest()
