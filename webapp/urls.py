"""Absolute URLs: built from BLOG_SITE_URL when set, else from the request's host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from flask import current_app, request, url_for

from .posts.sanitizing import Attributes, TagDrop, is_htmx_attribute, rewrite_start_tags


def site_root() -> str:
    """``https://example.com`` (no trailing slash), including any path the site is mounted at."""
    configured: str = current_app.config["SITE_URL"]
    if configured:
        return configured.rstrip("/")
    return request.host_url.rstrip("/") + request.script_root


def absolute_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of an endpoint, for feeds, sitemaps and canonical links."""
    path = url_for(endpoint, **values)
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
