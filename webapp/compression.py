"""Compressing a response once and serving the encoding each client accepts.

Bodies are compressed when they are stored (a cached page, a static file),
never per request, so a cache hit costs no compression at all. Each
encoding is its own representation with its own strong ETag, as HTTP asks.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping

import brotli
from werkzeug.datastructures import Accept
from werkzeug.http import parse_accept_header

#: Below this many bytes compression saves nothing worth the header.
MIN_SIZE = 256
#: Preferred first when a client accepts several equally.
ENCODINGS = ("br", "gzip")
#: Characters of Accept-Encoding considered. Browsers send a few dozen; parsing
#: a header of hundreds of kilobytes on every cached hit would cost far more
#: than serving the page.
ACCEPT_ENCODING_LIMIT = 1024


def compress(body: bytes, *, effort: str = "fast") -> dict[str, bytes]:
    """The encodings worth serving for body: ``{"br": ..., "gzip": ...}`` (maybe empty).

    ``fast`` suits pages compressed on a cache miss (well under a
    millisecond for a long post); ``best`` suits static files compressed once.
    """
    if len(body) < MIN_SIZE:
        return {}
    quality = 11 if effort == "best" else 5
    level = 9 if effort == "best" else 6
    variants = {
        "br": brotli.compress(body, quality=quality),
        "gzip": gzip.compress(body, compresslevel=level, mtime=0),
    }
    return {name: data for name, data in variants.items() if len(data) < len(body)}


def choose_encoding(accept_encoding: str | None, variants: Mapping[str, bytes]) -> str | None:
    """The best of the variants an Accept-Encoding header accepts, or None for
    the body as it is (also when the header is absent).

    Only the header's first ACCEPT_ENCODING_LIMIT characters count, up to the
    last whole element: a cut "br;q=0" must not become a plain "br".
    """
    if not accept_encoding or not variants:
        return None
    if len(accept_encoding) > ACCEPT_ENCODING_LIMIT:
        accept_encoding = accept_encoding[: ACCEPT_ENCODING_LIMIT + 1]
        accept_encoding = accept_encoding[: max(accept_encoding.rfind(","), 0)]
    accepted = parse_accept_header(accept_encoding, Accept)
    chosen = accepted.best_match([*ENCODINGS, "identity"], default="identity")
    return chosen if chosen in variants else None
