"""Static files: content-hashed URLs, compressed once, cached by browsers for a year.

Templates link assets with ``asset_url("css/site.css")``, which adds
``?v=<hash of the file>``. A request carrying the current hash is answered
``immutable`` for a year; any other gets a short lifetime, so a stale or
missing version never sticks. Each file is read and hashed once per
modification, and compressed (gzip and brotli, best effort) when first served.
"""

from __future__ import annotations

import hashlib
import mimetypes
import stat
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from flask import Flask, abort, current_app, has_request_context, request, url_for
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from .compression import choose_encoding, compress
from .request_facts import not_modified, not_modified_headers

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300"


@dataclass(frozen=True)
class Asset:
    path: Path
    body: bytes
    version: str

    @cached_property
    def content_type(self) -> str:
        # Also on first serve: Python's first guess reads the system's MIME table.
        content_type = mimetypes.guess_type(self.path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith(("javascript", "+xml")):
            content_type += "; charset=utf-8"
        return content_type

    @cached_property
    def encoded(self) -> dict[str, bytes]:
        """The compressed variants, made when the file is first served: a page
        that only links the file (its first render, after a start) needs
        just the hash."""
        return compress(self.body, effort="best")


#: Every file read so far, by path and modification time (shared by all apps
#: in the process, so compression at best effort happens once per file).
_loaded: dict[tuple[Path, int], Asset] = {}
_lock = threading.Lock()


class Assets:
    """The static folder, read into memory on first use of each file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        #: Names that may be served, by their path (a name that may not is None).
        self._paths: dict[str, Path | None] = {}
        #: URLs made by ``asset_url``, by script root, name and version.
        self.urls: dict[tuple[str, str, str], str] = {}

    def _path(self, filename: str) -> Path | None:
        if filename in self._paths:
            return self._paths[filename]
        joined = safe_join(str(self.folder), filename)
        path = None
        if (
            joined is not None
            and "\x00" not in filename
            and not any(part.startswith(".") for part in Path(filename).parts)
        ):
            path = Path(joined)
        if len(self._paths) < 4096:  # names come from requests too: bounded
            self._paths[filename] = path
        return path

    def get(self, filename: str) -> Asset | None:
        path = self._path(filename)
        if path is None:
            return None
        try:
            status = path.stat()
        except OSError:
            return None
        if not stat.S_ISREG(status.st_mode):
            return None
        mtime = status.st_mtime_ns
        asset = _loaded.get((path, mtime))
        if asset is not None:
            return asset
        with _lock:
            body = path.read_bytes()
            asset = Asset(
                path=path, body=body, version=hashlib.blake2b(body, digest_size=6).hexdigest()
            )
            _loaded[(path, mtime)] = asset
        return asset


def init_assets(app: Flask) -> None:
    assert app.static_folder is not None
    app.extensions["assets"] = Assets(Path(app.static_folder))
    # Flask registered its own static route; the endpoint now serves through Assets.
    app.view_functions["static"] = serve_asset
    app.add_template_global(asset_url)


def _assets() -> Assets:
    assets: Assets = current_app.extensions["assets"]
    return assets


def asset_url(filename: str) -> str:
    """The URL of a static file, versioned by its content."""
    assets = _assets()
    asset = assets.get(filename)
    if asset is None:
        raise LookupError(f"static/{filename} does not exist")
    if not has_request_context():
        return url_for("static", filename=filename, v=asset.version)
    key = (request.script_root, filename, asset.version)
    url = assets.urls.get(key)
    if url is None:
        url = url_for("static", filename=filename, v=asset.version)
        if len(assets.urls) < 4096:
            assets.urls[key] = url
    return url


def serve_asset(filename: str) -> Response:
    asset = _assets().get(filename)
    if asset is None:
        abort(404)
    current = request.args.get("v") == asset.version
    encoding = choose_encoding(request.headers.get("Accept-Encoding"), asset.encoded)
    etag = f'"{asset.version}-{encoding}"' if encoding else f'"{asset.version}"'
    headers = [
        ("Content-Type", asset.content_type),
        ("Cache-Control", IMMUTABLE if current else REVALIDATE),
        ("Vary", "Accept-Encoding"),
        ("ETag", etag),
    ]
    if not_modified(request.environ, etag):
        return current_app.response_class(status=304, headers=not_modified_headers(headers))
    if encoding is None:
        return current_app.response_class(asset.body, 200, headers)
    headers.append(("Content-Encoding", encoding))
    return current_app.response_class(asset.encoded[encoding], 200, headers)
