"""The Flask side of the content folder: one per app, one Library per request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask, current_app, g

from .posts import ContentFolder, Library, ReaderSettings, Renderer, summarize


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
        #: What time it is; scheduled posts appear when this passes their date.
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.renderer = Renderer()
        settings = ReaderSettings(
            timezone=self.timezone,
            renderer=self.renderer,
            summarizer=summarize,
            max_bytes=int(config["MAX_POST_BYTES"]),
        )
        self.folder = ContentFolder(
            Path(config["CONTENT_DIR"]),
            settings,
            poll_interval=float(config["POLL_INTERVAL"]),
            use_inotify=bool(config["USE_INOTIFY"]),
        )
        self.show_drafts = bool(config["SHOW_DRAFTS"])
        if click.get_current_context(silent=True) is None:
            # Serving: read everything now, so start-up logs every broken file
            # and the first reader does not wait. (Under the flask command the
            # folder is read when first needed, and `blog check` reports alone.)
            self.folder.snapshot()
        app.extensions["blog"] = self

    def library(self, now: datetime | None = None) -> Library:
        return self.folder.library(now or self.now(), drafts=self.show_drafts)


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


def seconds_until_next_publication() -> float | None:
    """How long this request's view of the site stays true, if a post is scheduled."""
    upcoming = current_library().next_publication
    if upcoming is None:
        return None
    remaining: float = (upcoming - g.now).total_seconds()
    return remaining
