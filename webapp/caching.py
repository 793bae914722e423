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

Only 200 responses are stored: the body, its gzip and brotli encodings, the
headers that never change for it, and an ETag, all computed once.

A cached page is answered before Flask routes the request at all: a small
WSGI layer (``CachedResponses``) computes the same key from the raw request
and, on a hit, answers from the stored parts. Requests with a query string
or conditional headers, and every miss, go through Flask as usual.

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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, ParamSpec

from flask import Flask, current_app, g, make_response, request
from flask_caching import Cache
from werkzeug.http import http_date, parse_etags, unquote_etag
from werkzeug.wrappers import Response

from .blog import Blog, current_library
from .cache_backends import Entry, RedisCache, RefusedValue, pack, refuse, safe_cache_type, unpack
from .compression import choose_encoding, compress
from .htmx import VARY, is_partial_request
from .security import HEADERS, security_headers

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .posts import Library

log = logging.getLogger(__name__)

cache = Cache()

P = ParamSpec("P")

#: Headers kept from the view's response (and any htmx response header, HX-*).
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
    "HSTS",
    "HTTP_MAX_AGE",
    "HTTP_STALE_WHILE_REVALIDATE",
    "STATIC_EXPORT",
)

GENERATION_KEY = "generation"
#: How long a worker trusts its copy of the generation counter.
GENERATION_TTL = 1.0
#: After a backend failure, how long to serve uncached before trying again.
RETRY_AFTER = 1.0
#: Request headers that ask for a conditional or partial answer.
_CONDITIONAL = frozenset(
    {"HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_RANGE", "HTTP_RANGE"}
)
#: The ones the WSGI layer leaves to Flask (If-None-Match alone it answers itself).
_FOR_FLASK = frozenset({"HTTP_IF_MODIFIED_SINCE", "HTTP_IF_RANGE", "HTTP_RANGE"})
#: A 304 repeats these headers of the 200 it stands for (RFC 9110, 15.4.5).
_NOT_MODIFIED_KEEPS = frozenset(
    {"cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified"}
)
_SECURITY_NAMES = frozenset({*HEADERS, "Strict-Transport-Security"})
#: Paths never cached: no need to ask the cache about them.
_UNCACHED_PREFIXES = ("/static/", "/healthz", "/readyz")


def init_caching(app: Flask) -> None:
    # Whatever CACHE_TYPE says, values are stored as bytes and integers, never pickles.
    backend = safe_cache_type(str(app.config["CACHE_TYPE"]))
    if backend == f"{RedisCache.__module__}.{RedisCache.__qualname__}":
        # A Redis that stops answering must cost a request milliseconds, not minutes.
        options = app.config.setdefault("CACHE_OPTIONS", {})
        options.setdefault("socket_timeout", 0.25)
        options.setdefault("socket_connect_timeout", 0.25)
    cache.init_app(app, config={"CACHE_TYPE": backend})
    responses = ResponseCache(app)
    app.extensions["response_cache"] = responses
    app.wsgi_app = CachedResponses(app.wsgi_app, responses)  # type: ignore[method-assign]

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


class Stored(NamedTuple):
    """A cached response: everything needed to answer without the view.

    In the cache it is one ``bytes`` frame (``cache_backends.pack``), which
    any backend stores as it is and which is parsed, never unpickled.
    """

    body: bytes
    #: Headers that are the same on every answer of this entry.
    headers: list[tuple[str, str]]
    etag: str
    encoded: dict[str, bytes]

    def to_bytes(self) -> bytes:
        return pack(Entry(*self))

    @classmethod
    def from_bytes(cls, frame: bytes) -> Stored:
        """Parse a frame; raise RefusedValue if it is not one this application wrote."""
        return cls(*unpack(frame))


class ResponseCache:
    """The app's cache backend, guarded so that its failures never reach readers,
    and the per-app facts a cache key and an answer need."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.backend = app.extensions["cache"][cache]
        self.site = site_version(app)
        self.security_headers = security_headers(app)
        self.max_age = int(app.config["HTTP_MAX_AGE"])
        self.stale = int(app.config["HTTP_STALE_WHILE_REVALIDATE"])
        self.default_timeout = int(app.config["CACHE_DEFAULT_TIMEOUT"])
        self._down_until = 0.0
        self._generation = (0.0, 0)
        self._lock = threading.Lock()
        self._last_modified: dict[datetime, str] = {}

    @property
    def blog(self) -> Blog:
        blog: Blog = self.app.extensions["blog"]
        return blog

    # -- the backend, guarded ----------------------------------------------------

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
            stored = self._call(lambda: self.backend.get(GENERATION_KEY), None)
            if stored is not None and type(stored) is not int:
                refuse(f"the generation is not a number ({type(stored).__name__})")
            value = stored if type(stored) is int else 0
            self._generation = (time.monotonic(), value)
        return value

    def invalidate(self) -> int:
        """Make every cached response stale, for every worker sharing the backend."""
        value = self.backend.inc(GENERATION_KEY)  # atomic on Redis; raises if it is down
        self._generation = (0.0, 0)
        return int(value or 0)

    def get(self, key: str) -> Stored | None:
        value = self._call(lambda: self.backend.get(key), None)
        if value is None:
            return None
        if not isinstance(value, bytes):
            refuse(f"{key} holds a {type(value).__name__}, not a response frame")
            return None
        try:
            return Stored.from_bytes(value)
        except RefusedValue as error:
            refuse(f"{key}: {error}")
            return None

    def set(self, key: str, value: Stored, timeout: int | None) -> None:
        frame = value.to_bytes()
        self._call(lambda: self.backend.set(key, frame, timeout=timeout), None)

    # -- keys and answers ----------------------------------------------------------

    def key(self, library: Library, partial: bool, path: str, query: str = "") -> str:
        version = f"{self.site}.{self.generation()}.{library.version}"
        return f"page:{version}:{'partial' if partial else 'full'}:{path}?{query}"

    def timeout(self, library: Library, now: datetime) -> int | None:
        """No entry outlives the next scheduled post (its key would change then
        anyway; this keeps the cache from holding answers nobody can ask for)."""
        if library.next_publication is None:
            return None
        remaining = (library.next_publication - now).total_seconds()
        return max(1, min(self.default_timeout, math.ceil(remaining)))

    def caching_headers(self, library: Library, now: datetime) -> list[tuple[str, str]]:
        """Cache-Control for browsers and a CDN in front, and Last-Modified.

        A short max-age plus stale-while-revalidate, both capped so that no
        cache anywhere keeps showing the site as it was before the next
        scheduled post appears.
        """
        max_age, stale = self.max_age, self.stale
        if library.next_publication is not None:
            remaining = math.floor((library.next_publication - now).total_seconds())
            max_age = max(0, min(max_age, remaining))
            stale = max(0, min(stale, remaining - max_age))
        control = (
            f"public, max-age={max_age}, stale-while-revalidate={stale}"
            if max_age or stale
            else "no-cache"
        )
        headers = [("Cache-Control", control)]
        if library.last_modified is not None:
            modified = self._last_modified.get(library.last_modified)
            if modified is None:
                if len(self._last_modified) > 64:
                    self._last_modified.clear()
                modified = http_date(library.last_modified)
                self._last_modified[library.last_modified] = modified
            headers.append(("Last-Modified", modified))
        return headers

    def answer(
        self,
        stored: Stored,
        accept_encoding: str | None,
        library: Library,
        now: datetime,
        hit: bool,
    ) -> tuple[bytes, list[tuple[str, str]]]:
        """The body and headers of an answer from stored parts."""
        encoding = choose_encoding(accept_encoding, stored.encoded)
        headers = list(stored.headers)
        if encoding is None:
            body = stored.body
            headers.append(("ETag", f'"{stored.etag}"'))
        else:
            body = stored.encoded[encoding]
            headers += [("Content-Encoding", encoding), ("ETag", f'"{stored.etag}-{encoding}"')]
        headers += self.caching_headers(library, now)
        headers += [("X-Cache", "hit" if hit else "miss"), ("Content-Length", str(len(body)))]
        return body, headers


def _responses() -> ResponseCache:
    responses: ResponseCache = current_app.extensions["response_cache"]
    return responses


def cache_key(query_args: Iterable[str] = ()) -> str:
    """The key for this request's answer (see the module docstring)."""
    args = sorted((name, value) for name in query_args for value in request.args.getlist(name))
    query = "&".join(f"{name}={value}" for name, value in args)
    path = request.script_root + request.path
    return _responses().key(current_library(), is_partial_request(), path, query)


def cached_response(
    *, query_args: Iterable[str] = (), fragment: bool = False
) -> Callable[[Callable[P, Any]], Callable[P, Response]]:
    """Cache a view's successful responses under ``cache_key(query_args)``.

    ``fragment=True`` for URLs that answer htmx and everyone else differently:
    their answers vary on the htmx request headers.
    """
    declared = tuple(query_args)
    vary = ", ".join(("Accept-Encoding", *VARY)) if fragment else "Accept-Encoding"

    def decorator(view: Callable[P, Any]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            responses = _responses()
            library = current_library()
            key = cache_key(declared)
            stored = responses.get(key)
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
                headers += [("Vary", vary), *responses.security_headers]
                etag = hashlib.blake2b(body, digest_size=12).hexdigest()
                stored = Stored(body, headers, etag, compress(body))
                responses.set(key, stored, responses.timeout(library, g.now))
            accept = request.headers.get("Accept-Encoding")
            body, headers = responses.answer(stored, accept, library, g.now, hit)
            answer = current_app.response_class(body, 200, headers)
            if _CONDITIONAL.intersection(request.environ):
                return answer.make_conditional(request)
            return answer

        return wrapper

    return decorator


class CachedResponses:
    """WSGI layer that answers cached pages before Flask routes the request.

    It asks the same questions as ``cached_response`` (same key, same
    headers), from the raw request; anything it cannot answer from the
    cache goes to Flask unchanged.
    """

    def __init__(self, wsgi_app: WSGIApplication, responses: ResponseCache) -> None:
        self.wsgi_app = wsgi_app
        self.responses = responses

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO") or "/"
        if (
            method not in ("GET", "HEAD")
            or environ.get("QUERY_STRING")
            or path.startswith(_UNCACHED_PREFIXES)
            or not _FOR_FLASK.isdisjoint(environ)
        ):
            return self.wsgi_app(environ, start_response)
        responses = self.responses
        blog = responses.blog
        now = blog.now()
        library = blog.library(now)
        partial = (
            environ.get("HTTP_HX_REQUEST", "").lower() == "true"
            and environ.get("HTTP_HX_REQUEST_TYPE") == "partial"
        )
        stored = responses.get(
            responses.key(library, partial, environ.get("SCRIPT_NAME", "") + path)
        )
        if stored is None:
            return self.wsgi_app(environ, start_response)
        body, headers = responses.answer(
            stored, environ.get("HTTP_ACCEPT_ENCODING"), library, now, hit=True
        )
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            etag = next(value for name, value in headers if name == "ETag")
            if parse_etags(if_none_match).contains_weak(unquote_etag(etag)[0]):
                kept = [(n, v) for n, v in headers if n.lower() in _NOT_MODIFIED_KEEPS]
                kept += [(n, v) for n, v in headers if n in _SECURITY_NAMES]
                start_response("304 Not Modified", kept)
                return []
        start_response("200 OK", headers)
        return [b"" if method == "HEAD" else body]


def invalidate() -> int:
    return _responses().invalidate()
