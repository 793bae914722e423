"""Response caching: cache keys, what is stored, invalidation, HTTP cache headers.

flask-caching's ``@cached`` keys on the path alone and stores whatever the
view returned. Here a key covers everything that changes an answer:

- the content version: it changes when any post file changes or a
  scheduled post's time comes, and it is equal for equal files on any
  worker or host, so an edit is visible on the next request everywhere,
  with nothing to clear;
- the site version: a digest of the code, templates, static files and the
  settings that shape pages, so a deploy never serves pages rendered by the
  previous release;
- the generation, a counter in the cache that ``flask blog invalidate``
  bumps (each worker rereads it at most once a second);
- fragment or page (``HX-Request-Type``);
- the path, and only the query arguments the view declares it reads, in a
  canonical order, so ``?tag=a`` never answers ``?tag=b`` and junk arguments
  cannot fill the cache.

Only 200 responses are stored: the body, its gzip and brotli encodings, a
few headers and an ETag, all computed once; a hit builds a small Response
without calling the view or compressing anything.

The cache is an optimisation, never a dependency: if the backend (Redis,
say) fails, pages are served uncached, a warning is logged once, and the
backend is tried again a second later.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple, ParamSpec

from flask import Flask, current_app, make_response, request
from flask_caching import Cache
from werkzeug.wrappers import Response

from .blog import current_library, seconds_until_next_publication
from .compression import apply_encoding, compress
from .htmx import is_partial_request

log = logging.getLogger(__name__)

cache = Cache()

P = ParamSpec("P")

#: Headers kept with a cached body (and any htmx response header, HX-*);
#: everything else is recomputed per response.
_STORED_HEADERS = ("Content-Type", "Content-Language")

#: Settings that change what pages look like (beyond the content itself).
_PAGE_SETTINGS = (
    "TITLE",
    "DESCRIPTION",
    "AUTHOR",
    "PAGE_SIZE",
    "SITE_URL",
    "FEED_LENGTH",
    "TIMEZONE",
    "SHOW_DRAFTS",
    "SANITIZE",
    "HTTP_MAX_AGE",
    "STATIC_EXPORT",
)

GENERATION_KEY = "generation"
#: How long a worker trusts its copy of the generation counter.
GENERATION_TTL = 1.0
#: After a backend failure, how long to serve uncached before trying again.
RETRY_AFTER = 1.0


def init_caching(app: Flask) -> None:
    if app.config["CACHE_TYPE"] in ("RedisCache", "flask_caching.backends.RedisCache"):
        # A Redis that stops answering must cost a request milliseconds, not minutes.
        options = app.config.setdefault("CACHE_OPTIONS", {})
        options.setdefault("socket_timeout", 0.25)
        options.setdefault("socket_connect_timeout", 0.25)
    cache.init_app(app)
    app.extensions["response_cache"] = ResponseCache(site_version(app))

    @app.after_request
    def errors_are_not_kept(response: Response) -> Response:
        # A missing page may exist a moment later (a new post, a fixed file).
        if response.status_code >= 400:
            response.headers.setdefault("Cache-Control", "no-cache")
        return response


def site_version(app: Flask) -> str:
    """A digest of everything besides content that shapes a page."""
    root = Path(__file__).resolve().parent.parent
    hasher = hashlib.blake2b(digest_size=6)
    for folder, pattern in (("webapp", "**/*.py"), ("templates", "**/*.html"), ("static", "**/*")):
        for path in sorted((root / folder).glob(pattern)):
            if path.is_file():
                hasher.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for name in _PAGE_SETTINGS:
        hasher.update(f"{name}={app.config.get(name)!r}\0".encode())
    return hasher.hexdigest()


class ResponseCache:
    """The backend behind flask-caching, guarded so its failures never reach readers."""

    def __init__(self, site: str) -> None:
        self.site = site
        self._down_until = 0.0
        self._generation = (0.0, 0)
        self._lock = threading.Lock()

    def _call(self, operation: Callable[[], Any], default: Any) -> Any:
        if time.monotonic() < self._down_until:
            return default
        try:
            result = operation()
        except Exception as error:  # any backend, any failure: serve uncached
            with self._lock:
                if self._down_until == 0.0:
                    log.warning("response cache unavailable (%s); serving uncached", error)
                self._down_until = time.monotonic() + RETRY_AFTER
            return default
        if self._down_until:
            with self._lock:
                if self._down_until:
                    log.warning("response cache is back")
                    self._down_until = 0.0
        return result

    def generation(self) -> int:
        checked, value = self._generation
        if time.monotonic() - checked > GENERATION_TTL:
            value = int(self._call(lambda: cache.get(GENERATION_KEY), None) or 0)
            self._generation = (time.monotonic(), value)
        return value

    def invalidate(self) -> int:
        """Make every cached response stale, for every worker sharing the backend."""
        value = cache.cache.inc(GENERATION_KEY)  # atomic on Redis; raises if it is down
        self._generation = (0.0, 0)
        return int(value or 0)

    def get(self, key: str) -> Stored | None:
        value = self._call(lambda: cache.get(key), None)
        return Stored(*value) if isinstance(value, tuple) and len(value) == 4 else None

    def set(self, key: str, value: Stored, timeout: int | None) -> None:
        # Stored as a plain tuple: any backend can serialise it.
        self._call(lambda: cache.set(key, tuple(value), timeout=timeout), None)


def _response_cache() -> ResponseCache:
    guarded: ResponseCache = current_app.extensions["response_cache"]
    return guarded


class Stored(NamedTuple):
    """A cached response: everything needed to answer without the view."""

    body: bytes
    headers: list[tuple[str, str]]
    etag: str
    encoded: dict[str, bytes]


def cache_key(query_args: Iterable[str] = ()) -> str:
    """The key for this request's answer (see the module docstring)."""
    kind = "partial" if is_partial_request() else "full"
    args = sorted((name, value) for name in query_args for value in request.args.getlist(name))
    query = "&".join(f"{name}={value}" for name, value in args)
    guarded = _response_cache()
    version = f"{guarded.site}.{guarded.generation()}.{current_library().version}"
    return f"page:{version}:{kind}:{request.script_root}{request.path}?{query}"


def cached_response(
    *, query_args: Iterable[str] = ()
) -> Callable[[Callable[P, Any]], Callable[P, Response]]:
    """Cache a view's successful responses under ``cache_key(query_args)``."""
    declared = tuple(query_args)

    def decorator(view: Callable[P, Any]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            guarded = _response_cache()
            key = cache_key(declared)
            stored = guarded.get(key)
            hit = stored is not None
            if stored is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or response.is_streamed:
                    response.headers.setdefault("Cache-Control", "no-cache")
                    return response
                body = response.get_data()
                headers = [
                    (name, value)
                    for name, value in response.headers.items()
                    if name in _STORED_HEADERS or name.startswith("HX-")
                ]
                etag = hashlib.blake2b(body, digest_size=12).hexdigest()
                stored = Stored(body, headers, etag, compress(body))
                guarded.set(key, stored, _timeout())
            response = current_app.response_class(stored.body, 200, stored.headers)
            response.headers["X-Cache"] = "hit" if hit else "miss"  # for operators and CDNs
            apply_encoding(response, stored.encoded, stored.etag)
            _add_http_caching(response)
            return response.make_conditional(request)

        return wrapper

    return decorator


def _timeout() -> int | None:
    """No entry outlives the next scheduled post (its key would change then anyway;
    this keeps the cache from holding answers nobody can ask for)."""
    remaining = seconds_until_next_publication()
    if remaining is None:
        return None
    default = int(current_app.config["CACHE_DEFAULT_TIMEOUT"])
    return max(1, min(default, math.ceil(remaining)))


def _add_http_caching(response: Response) -> None:
    """Cache-Control for browsers and a CDN in front, and Last-Modified.

    A short max-age plus stale-while-revalidate, both capped so that no
    cache anywhere keeps showing the site as it was before the next
    scheduled post appears.
    """
    max_age = int(current_app.config["HTTP_MAX_AGE"])
    stale = int(current_app.config["HTTP_STALE_WHILE_REVALIDATE"])
    remaining = seconds_until_next_publication()
    if remaining is not None:
        max_age = max(0, min(max_age, math.floor(remaining)))
        stale = max(0, min(stale, math.floor(remaining) - max_age))
    response.headers["Cache-Control"] = (
        f"public, max-age={max_age}, stale-while-revalidate={stale}"
        if max_age or stale
        else "no-cache"
    )
    response.last_modified = current_library().last_modified


def invalidate() -> int:
    return _response_cache().invalidate()
