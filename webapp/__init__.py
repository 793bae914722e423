"""A blog served straight from Markdown files: ``create_app()`` builds the Flask app.

Configuration is layered: ``DEFAULTS`` below, then ``BLOG_*`` environment
variables (``BLOG_CONTENT_DIR`` sets ``CONTENT_DIR``; values are parsed as
JSON where they can be), then flask-caching's own ``CACHE_*`` variables, then
the mapping passed to ``create_app`` (tests use it).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from htmx_flask import Htmx

from .assets import init_assets
from .blog import Blog, under_flask_command
from .caching import cache, init_caching
from .cli import init_cli
from .posts.reader import MAX_POST_BYTES
from .request_facts import TrustedEnviron
from .security import init_security
from .templating import compile_templates, init_templating

PROJECT_ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # Content
    "CONTENT_DIR": str(PROJECT_ROOT / "content"),
    "TIMEZONE": "UTC",
    "SHOW_DRAFTS": False,
    "MAX_POST_BYTES": MAX_POST_BYTES,
    # How often to rescan when the platform cannot notify us of changes.
    "POLL_INTERVAL": 1.0,
    "USE_INOTIFY": True,
    # The site
    "TITLE": "Marginalia",
    "DESCRIPTION": "Essays and notes, with footnotes worth reading.",
    "AUTHOR": "",
    "PAGE_SIZE": 10,
    # The public address (https://example.com, or with a path the site is mounted
    # at): absolute links come from it alone. Empty: from each request's Host.
    "SITE_URL": "",
    # With no SITE_URL, the hosts to answer for (Flask's setting); empty: any.
    "TRUSTED_HOSTS": [],
    "FEED_LENGTH": 20,
    # The search index file; empty: one per content folder in the temp directory.
    "SEARCH_INDEX": "",
    # Posts read on the last start, so a restart re-reads only changed files;
    # empty: one per content folder in this user's folder in the temp
    # directory; "off": none.
    "POST_STORE": "",
    # Bring the search index up to date in the background when the server starts.
    "INDEX_ON_START": True,
    # HTTP caching for browsers and a CDN: seconds fresh, then seconds served
    # stale while revalidating (both capped at the next scheduled post).
    "HTTP_MAX_AGE": 60,
    "HTTP_STALE_WHILE_REVALIDATE": 300,
    # Strict-Transport-Security, for sites served only over HTTPS.
    "HSTS": False,
    # Clean raw HTML in posts with nh3 (for sites whose authors are not trusted).
    "SANITIZE": False,
    # flask-caching
    "CACHE_TYPE": "SimpleCache",
    "CACHE_DEFAULT_TIMEOUT": 300,
    "CACHE_THRESHOLD": 2000,
    # The in-process cache's budget in bytes (each worker has its own).
    "CACHE_MAX_BYTES": 64 * 1024 * 1024,
    "CACHE_KEY_PREFIX": "blog:",
}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``BLOG_*`` and ``CACHE_*`` environment, then test_config."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("BLOG")
    app.config.update(_cache_env(os.environ))
    if test_config is not None:
        app.config.from_mapping(test_config)
    chosen_cache = "CACHE_TYPE" in os.environ or "BLOG_CACHE_TYPE" in os.environ
    if app.debug and not chosen_cache and "CACHE_TYPE" not in (test_config or {}):
        # Template edits do not change the content version, and debug pages
        # show content errors: do not cache them away, nor let browsers.
        app.config["CACHE_TYPE"] = "NullCache"
        app.config["HTTP_MAX_AGE"] = app.config["HTTP_STALE_WHILE_REVALIDATE"] = 0
    app.config.setdefault("STATIC_EXPORT", False)
    # NullCache (the debug default, or a deliberate choice) needs no warning.
    app.config.setdefault("CACHE_NO_NULL_WARNING", True)

    if not app.debug and not app.testing:
        _log_to_stderr(logging.getLogger("webapp"))
        if not app.config["SITE_URL"] and not under_flask_command():
            log.warning(
                "BLOG_SITE_URL is not set: absolute links (canonical, feeds, sitemap) are "
                "built from each request's Host, and every host gets cache entries of its "
                "own. Set BLOG_SITE_URL to the site's public address in production."
            )

    serving = not app.debug and not app.testing and not under_flask_command()
    collecting = gc.isenabled()
    if serving:
        # Nearly everything made from here to the first answer lives as long
        # as the process: no collection need walk it (at 10,000 posts each
        # full one takes a tenth of a second) before the one that comes
        # just before it is frozen (see _prepare_to_serve).
        gc.disable()
    try:
        Htmx(app)
        init_caching(app)
        Blog(app)
        init_templating(app)
        init_assets(app)
        init_cli(app)
        init_security(app)

        from . import feeds, partials, seo, views

        app.register_blueprint(views.bp)
        app.register_blueprint(partials.bp)
        app.register_blueprint(feeds.bp)
        app.register_blueprint(seo.bp)
        views.register_error_handlers(app)
        if serving:
            _prepare_to_serve(app)
    finally:
        if collecting:
            gc.enable()
    # Outermost: the mount point is the configured one before anything reads it.
    app.wsgi_app = TrustedEnviron(app.wsgi_app, str(app.config["SITE_URL"]))  # type: ignore[method-assign]
    return app


def _prepare_to_serve(app: Flask) -> None:
    """Before the first answer: compile the templates and build the indexes a
    post page uses (about a tenth of a second of CPU, more for the indexes at
    10,000 posts), which would otherwise land on the first readers of a
    deploy, or compete with them from a thread."""
    compile_templates(app)
    app.extensions["blog"].library().warm()
    # What was read so far lives as long as the process: the garbage
    # collector need not walk it again (at 10,000 posts each full
    # collection would take a tenth of a second, in some reader's request).
    # Nor is it collected first (Python's documentation of gc.freeze
    # describes the same: disable early, then freeze): that collection walks
    # every post too (a fifth of a second of a restart at 10,000) to free the
    # few hundred objects in cycles a start leaves (about 130 KB: functions
    # and classes of modules imported while setting up), as many at 1,000
    # posts read from their files as at 10,000 from the post store.
    gc.freeze()


def _log_to_stderr(logger: logging.Logger) -> None:
    """The site's own messages (posts read, files skipped, problems) at INFO and
    above on stderr, whatever the server does with its own loggers: gunicorn
    configures none for the application, and granian only its own."""
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False  # once, even where the root logger also prints


def _cache_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """flask-caching's ``CACHE_*`` settings, parsed like ``from_prefixed_env`` parses."""
    settings: dict[str, Any] = {}
    for key, value in environ.items():
        if key.startswith("CACHE_"):
            try:
                settings[key] = json.loads(value)
            except json.JSONDecodeError:
                settings[key] = value
    return settings


__all__ = ["create_app", "cache"]
