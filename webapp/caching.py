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

Only 200 responses are stored, as (body, headers), with an ETag computed
once, so a hit builds a small Response without calling the view.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec

from flask import Flask, current_app, make_response, request
from flask_caching import Cache
from werkzeug.wrappers import Response

from .blog import current_library
from .htmx import is_partial_request

cache = Cache()

P = ParamSpec("P")

#: Headers kept with a cached body; everything else is recomputed per response.
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
            if stored is not None:
                body, headers, etag = stored
                response = current_app.response_class(body, 200, headers)
            else:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or response.is_streamed:
                    return response
                body = response.get_data()
                etag = hashlib.blake2b(body, digest_size=12).hexdigest()
                headers = [
                    (name, response.headers[name])
                    for name in _STORED_HEADERS
                    if name in response.headers
                ]
                _set(key, (body, headers, etag))
            response.set_etag(etag)
            return response.make_conditional(request)

        return wrapper

    return decorator


def _get(key: str) -> tuple[bytes, list[tuple[str, str]], str] | None:
    value = cache.get(key)
    return value if isinstance(value, tuple) else None


def _set(key: str, value: tuple[bytes, list[tuple[str, str]], str]) -> None:
    cache.set(key, value)
