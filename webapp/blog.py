"""The Flask side of the content folder: one per app, one Library per request."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask, Response, current_app, g
from flask.cli import ScriptInfo

from .posts import ContentFolder, Library, ReaderSettings, Renderer
from .posts.migration.files import iter_skipped_files
from .posts.migration.preprocess import BodyPreprocessor
from .posts.migration.siteroot import find_site
from .posts.models import Post, PostError
from .posts.render_store import StoredRenderer, rendered_path
from .posts.search import SearchIndex
from .posts.sqlite import NotPrivate

log = logging.getLogger(__name__)

#: Seconds after start at which a server brings the search index up to date
#: if no request has been answered by then (BLOG_INDEX_ON_START).
INDEX_AT_THE_LATEST = 10.0


class Blog:
    """Owns the app's ContentFolder and hands each request a consistent Library."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        try:
            self.timezone = ZoneInfo(config["TIMEZONE"])
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"BLOG_TIMEZONE={config['TIMEZONE']!r} is not an IANA time zone"
            ) from error
        #: The search index's build at start (see ``start_indexing``).
        self._indexer: threading.Thread | None = None
        self._indexing = threading.Lock()
        #: What time it is; scheduled posts appear when this passes their date.
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        content = Path(config["CONTENT_DIR"]).resolve()
        store = str(config["POST_STORE"])
        store_path = None if store == "off" else Path(store or _default_store_path(content))
        #: Bodies rendered by any process before are taken from the post store.
        self.renderer = StoredRenderer(
            Renderer(cache_size=0, sanitize=bool(config["SANITIZE"])),
            None if store_path is None else rendered_path(store_path),
        )
        migration = BodyPreprocessor(content)
        #: What kind of site the content folder is, and its static folders.
        self.site = find_site(content)
        settings = ReaderSettings(
            timezone=self.timezone,
            renderer=self.renderer,
            summarizer=self.renderer.summary,
            max_bytes=int(config["MAX_POST_BYTES"]),
            preprocess=migration,
            old_urls=migration.old_urls,
            references=migration.references,
            resolve_reference=migration.resolve_reference,
        )
        self.folder = ContentFolder(
            content,
            settings,
            poll_interval=float(config["POLL_INTERVAL"]),
            use_inotify=bool(config["USE_INOTIFY"]),
            store=store_path,
        )
        self.show_drafts = bool(config["SHOW_DRAFTS"])
        self.search_index_path = Path(
            config["SEARCH_INDEX"] or _default_index_path(self.folder.root)
        )
        if not under_flask_command():
            # Serving: read everything now, so start-up logs every broken file
            # and the first reader does not wait. (Under the flask command the
            # folder is read when first needed, and `blog check` reports alone.)
            snapshot = self.folder.snapshot()
            _log_start(snapshot.posts, snapshot.errors, content)
            # Rendered bodies no post has any more (edited, removed) go, once
            # per content (not again by the other workers, nor on a restart
            # with the same posts). Not a daemon: a process that exits soon
            # after starting finishes first. (Only then are the bodies read,
            # one at a time: those of posts from the post store are not kept.)
            bodies = _bodies(snapshot.posts)
            threading.Thread(
                target=self.renderer.keep_only,
                args=(bodies, snapshot.digest),
                name="render-store",
            ).start()
            if config["INDEX_ON_START"]:
                # Not at once: the build would compete with this worker's first
                # answer and, on a first start, with the other workers' reading.
                app.after_request(self._after_answer)
                timer = threading.Timer(INDEX_AT_THE_LATEST, self.start_indexing)
                timer.daemon = True
                timer.start()
        app.extensions["blog"] = self

    def _after_answer(self, response: Response) -> Response:
        if self._indexer is None:
            self.start_indexing()
        return response

    def start_indexing(self) -> None:
        """Bring the search index up to date in a thread of its own, once."""
        with self._indexing:
            if self._indexer is None:
                self._indexer = threading.Thread(
                    target=self._index_posts, name="search-index", daemon=True
                )
                self._indexer.start()

    def _index_posts(self) -> None:
        """Bring the search index up to date in the background, so searches find it ready."""
        try:
            snapshot = self.folder.snapshot()
            self.search_index.sync(snapshot.posts, snapshot.digest)
        except Exception:
            log.exception("could not build the search index; searches will retry")

    @cached_property
    def search_index(self) -> SearchIndex:
        """The full-text index, in a file every worker on this host shares
        (or, if that file cannot be used, in one of this process's own)."""
        try:
            return SearchIndex(self.search_index_path)
        except (NotPrivate, OSError, sqlite3.Error) as error:
            # A new name, made 0700 by this process: no one else's to plant.
            own = Path(tempfile.mkdtemp(prefix="marginalia-search-")) / "search.sqlite3"
            log.warning(
                "not using the search index %s (BLOG_SEARCH_INDEX): %s;"
                " this process keeps its own in %s",
                self.search_index_path,
                error,
                own,
            )
            return SearchIndex(own)

    def library(self, now: datetime | None = None) -> Library:
        return self.folder.library(now or self.now(), drafts=self.show_drafts)


def _bodies(posts: Sequence[Post]) -> Iterator[str]:
    """Each post's body, for pruning the render store: one at a time, none
    kept; a body that can no longer be read is left out (its post reports
    why when it is shown)."""
    for post in posts:
        try:
            yield post.passing_body()
        except PostError:
            continue


def _log_start(posts: Sequence[Post], errors: Sequence[PostError], root: Path) -> None:
    """Say how many posts are served and name every file that is not, so none is lost unseen."""
    skipped = list(iter_skipped_files(root))
    for error in errors:
        if error.severity == "warning":  # two files claiming one address, say
            log.warning("%s", error)
    unread = [error for error in errors if error.severity == "error"]
    if not unread and not skipped:
        log.info("read %d posts from %s", len(posts), root)
        return
    log.warning(
        "read %d posts from %s; %d files skipped (%d unreadable, %d not Markdown):"
        " each is named below and by `flask blog check`",
        len(posts), root, len(unread) + len(skipped), len(unread), len(skipped),
    )  # fmt: skip
    for path, reason in skipped:
        log.warning("%s: %s", path, reason)


def _private_folder() -> Path:
    """This user's folder in the system's temporary directory (made 0700 when
    first used; refused if someone else made it or links it elsewhere)."""
    return Path(tempfile.gettempdir()) / f"marginalia-{os.getuid()}"


def _default_index_path(root: Path) -> Path:
    """One search index per content folder, in this user's own folder."""
    name = hashlib.blake2b(str(root).encode(), digest_size=6).hexdigest()
    return _private_folder() / f"search-{name}.sqlite3"


def _default_store_path(root: Path) -> Path:
    """One post store per content folder, in this user's own folder."""
    name = hashlib.blake2b(str(root).encode(), digest_size=6).hexdigest()
    return _private_folder() / f"posts-{name}.sqlite3"


def under_flask_command() -> bool:
    """Whether the app was made by a ``flask`` command (``blog check``, ``blog new``)
    rather than to serve. Servers built on click (granian) run their workers
    inside a click context of their own, so a context alone does not tell."""
    context = click.get_current_context(silent=True)
    return context is not None and context.find_object(ScriptInfo) is not None


def get_blog() -> Blog:
    blog: Blog = current_app.extensions["blog"]
    return blog


def current_library() -> Library:
    """The posts visible for this request: the same Library however often it is asked."""
    if "library" not in g:
        blog = get_blog()
        g.now = blog.now()
        g.library = blog.library(g.now)
    library: Library = g.library
    return library
