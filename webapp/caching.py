"""Response caching: what a cache key covers, what is stored, and HTTP validators.

flask-caching's ``@cached`` keys on the path alone and stores whatever the
view returned. Here a key covers everything that changes an answer:

- the content version (changes when any post file changes, or a scheduled
  post's time comes), so an edit is visible on the next request without
  clearing anything, in every worker that shares the cache;
- fragment or page (``HX-Request-Type``);
- the path, and only the query arguments the view declares it reads, in a
  canonical order, so ``?tag=a`` never answers ``?tag=b`` and junk arguments
  cannot fill the cache.

Only 200 responses are stored: the body, its gzip and brotli encodings, a
few headers and an ETag, all computed once; a hit builds a small Response
without calling the view or compressing anything.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, ParamSpec

from flask import Flask, current_app, make_response, request
from flask_caching import Cache
from werkzeug.wrappers import Response

from .blog import current_library, seconds_until_next_publication
from .compression import apply_encoding, compress
from .htmx import is_partial_request

cache = Cache()

P = ParamSpec("P")

#: Headers kept with a cached body (and any htmx response header, HX-*);
#: everything else is recomputed per response.
_STORED_HEADERS = ("Content-Type", "Content-Language")


def init_caching(app: Flask) -> None:
    cache.init_app(app)


def cache_key(query_args: Iterable[str] = ()) -> str:
    """The key for this request's answer (see the module docstring)."""
    kind = "partial" if is_partial_request() else "full"
    args = sorted((name, value) for name in query_args for value in request.args.getlist(name))
    query = "&".join(f"{name}={value}" for name, value in args)
    version = current_library().version
    return f"page:{version}:{kind}:{request.script_root}{request.path}?{query}"


def cached_response(
    *, query_args: Iterable[str] = ()
) -> Callable[[Callable[P, Any]], Callable[P, Response]]:
    """Cache a view's successful responses under ``cache_key(query_args)``."""
    declared = tuple(query_args)

    def decorator(view: Callable[P, Any]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            key = cache_key(declared)
            stored = _get(key)
            if stored is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or response.is_streamed:
                    return response
                body = response.get_data()
                headers = [
                    (name, value)
                    for name, value in response.headers.items()
                    if name in _STORED_HEADERS or name.startswith("HX-")
                ]
                etag = hashlib.blake2b(body, digest_size=12).hexdigest()
                stored = Stored(body, headers, etag, compress(body))
                _set(key, stored)
            response = current_app.response_class(stored.body, 200, stored.headers)
            apply_encoding(response, stored.encoded, stored.etag)
            return response.make_conditional(request)

        return wrapper

    return decorator


class Stored(NamedTuple):
    """A cached response: everything needed to answer without the view."""

    body: bytes
    headers: list[tuple[str, str]]
    etag: str
    encoded: dict[str, bytes]


def _get(key: str) -> Stored | None:
    value = cache.get(key)
    return Stored(*value) if isinstance(value, tuple) and len(value) == 4 else None


def _set(key: str, value: Stored) -> None:
    # Stored as a plain tuple: any backend can serialise it. No entry outlives
    # the next scheduled post (its key would change then anyway; this keeps
    # the cache from holding answers nobody can ask for).
    timeout = None
    remaining = seconds_until_next_publication()
    if remaining is not None:
        default = int(current_app.config["CACHE_DEFAULT_TIMEOUT"])
        timeout = max(1, min(default, math.ceil(remaining)))
    cache.set(key, tuple(value), timeout=timeout)
