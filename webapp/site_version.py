"""The site version: a digest of everything besides content that shapes a page.

The code, the templates, the static files and the settings that change what
pages look like. Cached answers carry it in their keys, so a deploy never
serves pages of the previous release; the static export records it, so a
change of any of these rewrites every page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Settings that change what pages look like (beyond the content itself).
PAGE_SETTINGS = (
    "TITLE",
    "DESCRIPTION",
    "AUTHOR",
    "PAGE_SIZE",
    "SITE_URL",
    "FEED_LENGTH",
    "TIMEZONE",
    "SHOW_DRAFTS",
    "SANITIZE",
    "HSTS",
    "HTTP_MAX_AGE",
    "HTTP_STALE_WHILE_REVALIDATE",
    "STATIC_EXPORT",
)


def site_version(app: Flask) -> str:
    """A digest of the code, templates, static files and page settings of app."""
    hasher = hashlib.blake2b(digest_size=8)
    for folder, pattern in (("webapp", "**/*.py"), ("templates", "**/*.html"), ("static", "**/*")):
        for path in sorted((PROJECT_ROOT / folder).glob(pattern)):
            if path.is_file():
                hasher.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0")
                hasher.update(path.read_bytes())
    for name in PAGE_SETTINGS:
        hasher.update(f"{name}={app.config.get(name)!r}\0".encode())
    return hasher.hexdigest()
