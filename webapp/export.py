"""``flask blog freeze OUT/``: the whole site as static files, fragments included.

Frozen-Flask requests every page and writes it where a static server looks
for it (``/tags/essay/`` becomes ``tags/essay/index.html``), rewriting only
files whose content changed. Fragment URLs are requested as htmx requests
them, so ``partials/…`` and ``posts/<slug>/footnotes/<id>/`` hold fragments
and tag filtering and footnote popovers work from any static host. Search
needs the application, so an exported site has none.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_frozen import Freezer, MimetypeMismatchWarning, MissingURLGeneratorWarning

from .blog import get_blog
from .request_facts import PARTIAL_REQUEST_HEADERS
from .site_urls import fragment_endpoints, site_urls

#: Marks a folder as an export, so freezing never empties a folder it did not make.
MARKER = ".marginalia-export"
NOT_FOUND_PAGE = "404.html"


@dataclass(frozen=True)
class Report:
    written: int
    unchanged: int
    removed: int


class _FragmentAwareClient(FlaskClient):
    """Asks for fragment URLs the way htmx does; everything else as a browser."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "/")
        adapter = self.application.url_map.bind("localhost")
        try:
            endpoint, _ = adapter.match(path.split("?")[0])
        except Exception:
            endpoint = None
        if endpoint in fragment_endpoints(self.application):
            kwargs["headers"] = {**dict(kwargs.get("headers") or {}), **PARTIAL_REQUEST_HEADERS}
        return super().open(*args, **kwargs)


def freeze_site(app: Flask, destination: Path) -> Report:
    """Write the site into destination (made if missing); return what changed."""
    destination = destination.resolve()
    if destination.exists() and any(destination.iterdir()) and not (destination / MARKER).exists():
        raise ValueError(f"{destination} is not empty and is not an export; choose another folder")
    destination.mkdir(parents=True, exist_ok=True)
    if not (destination / MARKER).exists():
        (destination / MARKER).touch()
    before = _files(destination)

    app.config.update(
        STATIC_EXPORT=True,
        FREEZER_DESTINATION=str(destination),
        FREEZER_DESTINATION_IGNORE=[MARKER, NOT_FOUND_PAGE],
        FREEZER_BASE_URL=app.config["SITE_URL"] or "http://localhost/",
        FREEZER_REMOVE_EXTRA_FILES=True,
    )
    app.test_client_class = _FragmentAwareClient
    freezer = Freezer(app, with_no_argument_rules=False, log_url_for=True)
    _register_urls(freezer)
    with warnings.catch_warnings():
        # Feeds are .xml files served as application/atom+xml: expected.
        warnings.simplefilter("ignore", MimetypeMismatchWarning)
        # Endpoints with nothing to freeze (health checks; pagination on a small site).
        warnings.simplefilter("ignore", MissingURLGeneratorWarning)
        freezer.freeze()
    _write_not_found_page(app, destination)

    after = _files(destination)
    written = sum(1 for path, mtime in after.items() if before.get(path) != mtime)
    return Report(
        written=written,
        unchanged=len(after) - written,
        removed=sum(1 for path in before if path not in after),
    )


def _files(folder: Path) -> dict[Path, int]:
    """Each exported file's modification time."""
    return {
        path: path.stat().st_mtime_ns
        for path in folder.rglob("*")
        if path.is_file() and path.name != MARKER
    }


def _register_urls(freezer: Freezer) -> None:
    """Every page and fragment that exists; the pages' own links add the rest
    (tag combinations, their feeds)."""

    def urls() -> Iterator[tuple[str, dict[str, Any]]]:
        blog = get_blog()
        page_size = int(freezer.app.config["PAGE_SIZE"])
        for url in site_urls(blog.library(), page_size, blog.folder.root):
            yield url.endpoint, url.values

    freezer.register_generator(urls)


def _write_not_found_page(app: Flask, destination: Path) -> None:
    """404.html, which static hosts (and nginx's error_page) serve for unknown URLs."""
    response = app.test_client().get("/this-page-does-not-exist/")
    path = destination / NOT_FOUND_PAGE
    content = response.get_data()
    if not path.exists() or path.read_bytes() != content:
        path.write_bytes(content)
