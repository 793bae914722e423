"""The Flask side of the content folder: one per app, one Library per request."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
        # Read everything now: start-up logs every broken file, and the first
        # reader does not wait for the scan.
        self.folder.snapshot()
        app.extensions["blog"] = self

    def library(self, now: datetime | None = None) -> Library:
        return self.folder.library(now or datetime.now(UTC), drafts=self.show_drafts)


def get_blog() -> Blog:
    blog: Blog = current_app.extensions["blog"]
    return blog


def current_library() -> Library:
    """The posts visible for this request: the same Library however often it is asked."""
    if "library" not in g:
        g.library = get_blog().library()
    library: Library = g.library
    return library
