"""The site's URL scheme: every address it answers, in one place.

Routes are declared on the blueprints (``views``, ``partials``, ``feeds``,
``seo``); this module is what everything else asks about them:

- ``site_urls`` lists every URL the site serves for a library (pages,
  fragments, feeds, bundle files), which the sitemap and the static export
  both walk;
- ``fragment_endpoints`` names the endpoints that answer with fragments,
  read from the partials blueprint itself;
- ``PostURLs`` maps between posts and their paths without a request, for
  ``blog check`` (the core takes it as an argument and knows no URLs).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter
from werkzeug.security import safe_join

from .posts import Library, Post
from .posts.bundles import bundle_files as served_bundle_files
from .posts.bundles import bundle_folder

#: The blueprint whose endpoints answer with fragments (htmx swaps them in).
FRAGMENTS_BLUEPRINT = "partials"
#: Endpoints whose answer is about one post; their ``slug`` names it.
_POST_ENDPOINTS = frozenset({"pages.post", "pages.bundle_file", "partials.footnote"})


@dataclass(frozen=True)
class SiteURL:
    """One address of the site: the endpoint and arguments that build it."""

    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)
    #: When what it shows last changed, if known (for the sitemap).
    modified: datetime | None = None

    @property
    def is_fragment(self) -> bool:
        return self.endpoint.startswith(FRAGMENTS_BLUEPRINT + ".")

    @property
    def is_document(self) -> bool:
        """A page a reader or a search engine opens (not a fragment, feed or file)."""
        return self.endpoint.startswith("pages.") and self.endpoint != "pages.bundle_file"


def fragment_endpoints(app: Flask) -> frozenset[str]:
    """Every endpoint the partials blueprint registered."""
    return frozenset(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(FRAGMENTS_BLUEPRINT + ".")
    )


def _pages(count: int, page_size: int) -> range:
    """Page numbers after the first of a listing of count posts."""
    return range(2, max(1, math.ceil(count / page_size)) + 1)


def site_urls(
    library: Library, page_size: int, content_root: Path, *, footnotes: bool = True
) -> Iterator[SiteURL]:
    """Every URL the site serves for this library, pages first, then their
    fragments, feeds and files. Search is left out: its answers depend on a
    query, not on the content alone. Tag combinations are reached through
    the links of the tag pages (there are too many to list).

    Footnote fragments are known only once a body is rendered: without
    ``footnotes``, they are left out and no body is rendered."""
    newest = library.posts[0].published if library.posts else None
    for endpoint in ("index", "archive", "tags"):
        yield SiteURL(f"pages.{endpoint}", {}, newest)
    yield SiteURL("partials.index")
    for page in _pages(len(library.posts), page_size):
        yield SiteURL("pages.index_page", {"page": page})
        yield SiteURL("partials.index_page", {"page": page})
    for item in library.tags:
        slug = item.tag.slug
        yield SiteURL("pages.tag", {"tags": slug})
        yield SiteURL("partials.tag", {"tags": slug})
        yield SiteURL("feeds.tag_feed", {"tags": slug})
        for page in _pages(item.count, page_size):
            yield SiteURL("pages.tag_page", {"tags": slug, "page": page})
            yield SiteURL("partials.tag_page", {"tags": slug, "page": page})
    for post in library.posts:
        yield SiteURL("pages.post", {"slug": post.slug}, post.updated or post.published)
        for note in post.footnotes if footnotes else ():
            yield SiteURL("partials.footnote", {"slug": post.slug, "footnote_id": note.id})
        for name in bundle_files(post, content_root):
            yield SiteURL("pages.bundle_file", {"slug": post.slug, "filename": name})
    for endpoint in ("feeds.site_feed", "seo.sitemap", "seo.robots"):
        yield SiteURL(endpoint)


def bundle_files(post: Post, content_root: Path) -> list[str]:
    """The files served beside a post in its page bundle, as paths below its URL
    (exactly those the server serves: see ``posts.bundles``)."""
    bundle = bundle_folder(post.source)
    return [] if bundle is None else list(served_bundle_files(content_root, bundle))


class PostURLs:
    """Posts' paths and the post a path belongs to, from the app's URL map
    (no request needed): what ``blog check`` uses to check links."""

    def __init__(self, app: Flask) -> None:
        self._adapter: MapAdapter = app.url_map.bind("localhost")
        self._static_folder = app.static_folder

    def post(self, slug: str) -> str:
        return self._adapter.build("pages.post", {"slug": slug})

    def _match(self, path: str) -> tuple[str, Mapping[str, Any]] | None:
        """The endpoint and arguments answering a path (or the path with a slash added)."""
        for candidate in (path, path.rstrip("/") + "/"):
            try:
                endpoint, values = self._adapter.match(candidate, method="GET")
            except HTTPException:  # not found, or a redirect to the canonical path
                continue
            return str(endpoint), values
        return None

    def slug_of(self, path: str) -> str | None:
        """The slug of the post a path of this site belongs to (its page, a
        footnote, a bundle file), or None."""
        found = self._match(path)
        if found is None or found[0] not in _POST_ENDPOINTS:
            return None
        slug: str = found[1]["slug"]
        return slug

    def bundle_file_of(self, path: str) -> tuple[str, str] | None:
        """(slug, file name) when the path is a file beside a post, else None."""
        found = self._match(path)
        if found is None or found[0] != "pages.bundle_file":
            return None
        return str(found[1]["slug"]), str(found[1]["filename"])

    def serves(self, path: str) -> bool:
        """Whether the app answers the path with a page, feed or static file of its
        own (not a post or a bundle file): a /static/ file must exist."""
        found = self._match(path)
        if found is None or found[0] in _POST_ENDPOINTS:
            return False
        if found[0] == "static":
            # The file send_from_directory would send for this path.
            target = safe_join(str(self._static_folder or ""), found[1]["filename"])
            return target is not None and os.path.isfile(target)
        return True
