"""What templates can use besides their context: site settings, dates, asset URLs."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, url_for

from .blog import get_blog


def init_templating(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_filter(display_date)
    app.add_template_global(asset_url)
    app.context_processor(_site_context)


def _site_context() -> dict[str, Any]:
    config = current_app.config
    return {
        "site": {
            "title": config["TITLE"],
            "description": config["DESCRIPTION"],
            "author": config["AUTHOR"],
        }
    }


def display_date(moment: datetime) -> str:
    """``8 August 2024``, in the site's time zone."""
    local = moment.astimezone(get_blog().timezone)
    return f"{local.day} {local:%B %Y}"


def asset_url(filename: str) -> str:
    """A static file's URL, versioned by its content so it can be cached for a year."""
    return url_for("static", filename=filename, v=_asset_version(filename))


_versions: dict[tuple[str, int], str] = {}


def _asset_version(filename: str) -> str:
    static_folder = current_app.static_folder
    assert static_folder is not None
    path = Path(static_folder) / filename
    mtime = path.stat().st_mtime_ns
    version = _versions.get((filename, mtime))
    if version is None:
        version = hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()
        _versions[(filename, mtime)] = version
    return version
