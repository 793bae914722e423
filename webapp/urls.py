"""Absolute URLs: built from BLOG_SITE_URL when set, else from the request's host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from flask import current_app, has_request_context, request, url_for

from .posts.sanitizing import Attributes, TagDrop, is_htmx_attribute, rewrite_start_tags


def site_root() -> str:
    """``https://example.com`` (no trailing slash), including any path the site is mounted at."""
    configured: str = current_app.config["SITE_URL"]
    if configured:
        return configured.rstrip("/")
    return request.host_url.rstrip("/") + request.script_root


#: URLs kept per app (the links pages share: the header's, tags', posts');
#: past this many, they are built afresh.
_URLS_KEPT = 50_000


def page_url_for(endpoint: str, **values: Any) -> str:
    """``url_for`` for a page's own links, built once per mount point, endpoint
    and values: every page links the same few URLs, every listing the same tags.

    Outside a request, links with options (``_external``, ``_anchor``…), to a
    blueprint-relative endpoint or with values that cannot be a key are built
    each time.
    """
    if (
        not has_request_context()
        or endpoint.startswith(".")
        or any(name.startswith("_") for name in values)
    ):
        return url_for(endpoint, **values)
    try:
        # A link without _external is a path: the request's host plays no part.
        key = (request.script_root, endpoint, frozenset(values.items()))
        kept: dict[object, str] = current_app.extensions.setdefault("page_urls", {})
        url = kept.get(key)
    except TypeError:  # a value that is not hashable
        return url_for(endpoint, **values)
    if url is None:
        if len(kept) >= _URLS_KEPT:
            kept.clear()
        url = kept[key] = url_for(endpoint, **values)
    return url


def absolute_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of an endpoint, for feeds, sitemaps and canonical links."""
    path = page_url_for(endpoint, **values)
    return site_root() + path.removeprefix(request.script_root)


def absolute_path(path: str) -> str:
    """An app-relative path (``request.path``) as an absolute URL."""
    return site_root() + path


def portable_html(html: str, base: str, *, drop: TagDrop | None = None) -> str:
    """HTML that works away from the page: absolute links, no htmx attributes (for feeds).

    Tags are rewritten as parsed (text that looks like an attribute stays
    text); a sanitised site sanitises the result afterwards. Elements that
    ``drop`` names (a feed's sidenotes) are left out in the same pass.
    """

    def portable(tag: str, attrs: Attributes) -> Attributes | None:
        kept: Attributes = []
        for name, value in attrs:
            if is_htmx_attribute(name):
                continue
            if name in ("href", "src") and value is not None:
                value = urljoin(base, value)
            kept.append((name, value))
        return None if kept == attrs else kept

    return rewrite_start_tags(html, portable, drop=drop)
