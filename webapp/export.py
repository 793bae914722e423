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
from .posts.migration.files import is_bundle_index
from .posts.reader import is_bundle_file

#: Marks a folder as an export, so freezing never empties a folder it did not make.
MARKER = ".marginalia-export"
#: Endpoints whose answers are fragments: requested with htmx's headers.
FRAGMENT_ENDPOINTS = {
    "partials.index",
    "partials.index_page",
    "partials.tag",
    "partials.tag_page",
    "partials.footnote",
}
HTMX_PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}
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
        if endpoint in FRAGMENT_ENDPOINTS:
            kwargs["headers"] = {**dict(kwargs.get("headers") or {}), **HTMX_PARTIAL}
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
        library = blog.library()
        for endpoint in ("pages.index", "pages.tags", "pages.archive", "partials.index"):
            yield endpoint, {}
        for endpoint in ("feeds.site_feed", "seo.sitemap", "seo.robots"):
            yield endpoint, {}
        size = int(freezer.app.config["PAGE_SIZE"])
        pages = -(-len(library.posts) // size)
        for page in range(2, pages + 1):
            yield "pages.index_page", {"page": page}
            yield "partials.index_page", {"page": page}
        for item in library.tags:
            slug = item.tag.slug
            yield "pages.tag", {"tags": slug}
            yield "partials.tag", {"tags": slug}
            yield "feeds.tag_feed", {"tags": slug}
            for page in range(2, -(-item.count // size) + 1):
                yield "pages.tag_page", {"tags": slug, "page": page}
                yield "partials.tag_page", {"tags": slug, "page": page}
        for post in library.posts:
            yield "pages.post", {"slug": post.slug}
            for note in post.footnotes:
                yield "partials.footnote", {"slug": post.slug, "footnote_id": note.id}
            if is_bundle_index(post.source.name):
                folder = blog.folder.root / post.source.parent
                for file in sorted(folder.rglob("*")):
                    name = file.relative_to(folder).as_posix()
                    if file.is_file() and is_bundle_file(name):
                        yield "pages.bundle_file", {"slug": post.slug, "filename": name}

    freezer.register_generator(urls)


def _write_not_found_page(app: Flask, destination: Path) -> None:
    """404.html, which static hosts (and nginx's error_page) serve for unknown URLs."""
    response = app.test_client().get("/this-page-does-not-exist/")
    path = destination / NOT_FOUND_PAGE
    content = response.get_data()
    if not path.exists() or path.read_bytes() != content:
        path.write_bytes(content)
