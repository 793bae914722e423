"""Sending a page-bundle file: conditional and range requests, and on a
sanitised site, headers that keep it from scripting the site."""

from __future__ import annotations

import hashlib
import os
from pathlib import PurePosixPath
from typing import BinaryIO

from flask import request, send_file
from werkzeug.wrappers import Response

from .posts.bundles import untrusted_file_headers

#: Seconds browsers may reuse a bundle file without asking.
MAX_AGE = 3600


def send_bundle_file(file: BinaryIO, filename: str, *, sanitized: bool) -> Response:
    """The response for an open bundle file (closed when the response is)."""
    info = os.fstat(file.fileno())
    name = PurePosixPath(filename).name
    mimetype, attachment, headers = untrusted_file_headers(name) if sanitized else (None, False, {})
    response = send_file(
        file,
        mimetype=mimetype,
        as_attachment=attachment,
        download_name=name,
        conditional=False,
        etag=False,
        last_modified=info.st_mtime,
        max_age=MAX_AGE,
    )
    response.content_length = info.st_size
    identity = f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{mimetype}"
    response.set_etag(hashlib.blake2b(identity.encode(), digest_size=12).hexdigest())
    response.headers.update(headers)
    return response.make_conditional(request, accept_ranges=True, complete_length=info.st_size)
