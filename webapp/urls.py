"""Absolute URLs: built from BLOG_SITE_URL when set, else from the request's host."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from flask import current_app, request, url_for


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


_URL_ATTRIBUTE = re.compile(r"""\b(href|src)=(["'])(.*?)\2""")
_HTMX_ATTRIBUTE = re.compile(r"""\s+(?:data-)?hx-[a-z-]+=(["']).*?\1""")


def portable_html(html: str, base: str) -> str:
    """HTML that works away from the page: absolute links, no htmx attributes (for feeds)."""
    html = _HTMX_ATTRIBUTE.sub("", html)
    return _URL_ATTRIBUTE.sub(lambda m: f"{m[1]}={m[2]}{urljoin(base, m[3])}{m[2]}", html)
