"""Compressing a response once and serving the encoding each client accepts.

A body is compressed once per encoding, when a client first asks for that
encoding (a cached page), or when first served (a static file); never per
request, so a cache hit costs no compression at all. Each encoding is its
own representation with its own strong ETag, as HTTP asks.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping, Sequence

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

    ``fast`` suits pages (about a millisecond each for a long post); ``best``
    suits static files compressed once.
    """
    variants = {name: compress_one(body, name, effort=effort) for name in ENCODINGS}
    return {name: data for name, data in variants.items() if data}


def compress_one(body: bytes, encoding: str, *, effort: str = "fast") -> bytes:
    """body in one of ENCODINGS, or ``b""`` if that would not make it smaller."""
    if len(body) < MIN_SIZE:
        return b""
    if encoding == "br":
        data = brotli.compress(body, quality=11 if effort == "best" else 5)
    elif encoding == "gzip":
        data = gzip.compress(body, compresslevel=9 if effort == "best" else 6, mtime=0)
    else:
        raise ValueError(f"not an encoding this site makes: {encoding!r}")
    return data if len(data) < len(body) else b""


def wanted_encoding(accept_encoding: str | None) -> str | None:
    """The one of ENCODINGS an Accept-Encoding header prefers, or None for
    the body as it is (also when the header is absent)."""
    return _best(accept_encoding, ENCODINGS)


def choose_encoding(accept_encoding: str | None, variants: Mapping[str, bytes]) -> str | None:
    """The best of the variants an Accept-Encoding header accepts, or None for
    the body as it is (also when the header is absent). An empty variant is
    one not worth serving."""
    return _best(accept_encoding, [name for name in ENCODINGS if variants.get(name)])


def _best(accept_encoding: str | None, offered: Sequence[str]) -> str | None:
    """The best of ``offered`` the header accepts over the body as it is.

    Only the header's first ACCEPT_ENCODING_LIMIT characters count, up to the
    last whole element: a cut "br;q=0" must not become a plain "br".
    """
    if not accept_encoding or not offered:
        return None
    if len(accept_encoding) > ACCEPT_ENCODING_LIMIT:
        accept_encoding = accept_encoding[: ACCEPT_ENCODING_LIMIT + 1]
        accept_encoding = accept_encoding[: max(accept_encoding.rfind(","), 0)]
    accepted = parse_accept_header(accept_encoding, Accept)
    chosen = accepted.best_match([*offered, "identity"], default="identity")
    return chosen if chosen in offered else None
