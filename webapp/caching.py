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
- the request's own part (``request_facts.Answering.key``): fragment or
  page, the path, and, only when no public URL is configured, the scheme
  and host the page's absolute links come from. Never the query string:
  views whose answer depends on it (search) are not stored, so junk
  queries cannot fill the cache, and redirects and errors are never stored.

Only 200 responses are stored: the body, the headers that never change for
it, an ETag, and its brotli and gzip encodings, each made when a client first
accepts it (a page no client has asked compressed costs no compression) and
stored back beside the body.

A cached page is answered before Flask routes the request at all: a small
WSGI layer (``cached_wsgi.CachedResponses``) computes the same key from the raw request
and answers from the stored parts, conditional requests included, with the
same ``ResponseCache.answer`` the view decorator uses. Requests with a query
string, and every miss, go through Flask as usual.

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
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, ParamSpec

from flask import Flask, current_app, g, make_response, request
from flask_caching import Cache
from werkzeug.http import http_date
from werkzeug.wrappers import Response

from .blog import Blog, current_library
from .cache_backends import Entry, RedisCache, RefusedValue, pack, refuse, safe_cache_type, unpack
from .cached_wsgi import CachedResponses
from .compression import choose_encoding, compress_one, wanted_encoding
from .memory_cache import BoundedMemoryCache
from .request_facts import VARY, Answering, not_modified, not_modified_headers
from .security import HEADERS, security_headers
from .site_version import site_version

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

    from .posts import Library

log = logging.getLogger(__name__)

cache = Cache()

P = ParamSpec("P")

#: Headers kept from the view's response (and any htmx response header, HX-*).
_STORED_HEADERS = ("Content-Type", "Content-Language")

GENERATION_KEY = "generation"
#: How long a worker trusts its copy of the generation counter.
GENERATION_TTL = 1.0
#: After a backend failure, how long to serve uncached before trying again.
RETRY_AFTER = 1.0
_SECURITY_NAMES = frozenset({*HEADERS, "Strict-Transport-Security"})


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


class Stored(NamedTuple):
    """A cached response: everything needed to answer without the view.

    In a shared or on-disk cache it is one ``bytes`` frame
    (``cache_backends.pack``), which the backend stores as it is and which
    is parsed, never unpickled. The in-process cache, which nothing but this
    process writes, keeps the tuple itself: a hit costs no parsing. Never
    changed in place (``encoded`` grows by ``_replace``).
    """

    body: bytes
    #: Headers that are the same on every answer of this entry.
    headers: tuple[tuple[str, str], ...]
    etag: str
    encoded: dict[str, bytes]

    def to_bytes(self) -> bytes:
        return pack(Entry(self.body, list(self.headers), self.etag, self.encoded))

    @classmethod
    def from_bytes(cls, frame: bytes) -> Stored:
        """Parse a frame; raise RefusedValue if it is not one this application wrote."""
        entry = unpack(frame)
        return cls(entry.body, tuple(entry.headers), entry.etag, entry.encoded)


class ResponseCache:
    """The app's cache backend, guarded so that its failures never reach readers,
    and the per-app facts a cache key and an answer need."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.backend = app.extensions["cache"][cache]
        #: The worker's own memory: entries are kept as tuples, not frames.
        self._in_process = type(self.backend) is BoundedMemoryCache
        self.site = site_version(app)
        self.security_headers = security_headers(app)
        self.max_age = int(app.config["HTTP_MAX_AGE"])
        self.stale = int(app.config["HTTP_STALE_WHILE_REVALIDATE"])
        self.default_timeout = int(app.config["CACHE_DEFAULT_TIMEOUT"])
        self.answering = Answering(
            origin=str(app.config["SITE_URL"]),
            trusted_hosts=tuple(app.config.get("TRUSTED_HOSTS") or ()),
        )
        self._down_until = 0.0
        self._generation = (0.0, 0)
        self._lock = threading.Lock()
        self._last_modified: dict[datetime, str] = {}
        #: Off while an export asks for each URL once: nothing is looked up or stored.
        self.storing = True

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
        try:
            value = self.backend.inc(GENERATION_KEY)  # atomic on Redis
        except Exception:
            # Redis will not count a value that is not a number (written by
            # something else): start a count no worker holds. If the backend
            # is down, this raises too.
            value = int(time.time())
            self.backend.set(GENERATION_KEY, value, timeout=0)
        self._generation = (0.0, 0)
        return int(value or 0)

    def get(self, key: str) -> Stored | None:
        value = self._call(lambda: self.backend.get(key), None)
        if value is None:
            return None
        if self._in_process:
            # Only this process writes it (``set`` below): nothing to parse.
            return value if type(value) is Stored else None
        if not isinstance(value, bytes):
            refuse(f"{key} holds a {type(value).__name__}, not a response frame")
            return None
        try:
            return Stored.from_bytes(value)
        except RefusedValue as error:
            refuse(f"{key}: {error}")
            return None

    def set(self, key: str, value: Stored, timeout: int | None) -> None:
        kept = value if self._in_process else value.to_bytes()
        self._call(lambda: self.backend.set(key, kept, timeout=timeout), None)

    # -- keys and answers ----------------------------------------------------------

    def key(self, library: Library, environ: WSGIEnvironment) -> str | None:
        """The cache key of this request's answer; None if it must not be stored."""
        request_part = self.answering.key(environ) if self.storing else None
        if request_part is None:
            return None
        return f"page:{self.site}.{self.generation()}.{library.version}:{request_part}"

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

    def stored(self, response: Response, vary: str) -> Stored:
        """What to keep of a view's 200 response: its body, fixed headers and
        ETag; encodings are added as clients ask for them (``encoded_for``)."""
        body = response.get_data()
        headers = [
            (name, value)
            for name, value in response.headers.items()
            if name in _STORED_HEADERS or name.startswith("HX-")
        ]
        headers += [("Vary", vary), *self.security_headers]
        etag = hashlib.blake2b(body, digest_size=12).hexdigest()
        return Stored(body, tuple(headers), etag, {})

    def encoded_for(self, environ: WSGIEnvironment, stored: Stored) -> Stored | None:
        """stored with the encoding this request prefers added, if it lacks it
        (None if nothing was added). An encoding not worth serving is kept as
        empty, so it is tried once."""
        wanted = wanted_encoding(environ.get("HTTP_ACCEPT_ENCODING"))
        if wanted is None or wanted in stored.encoded:
            return None
        return stored._replace(
            encoded={**stored.encoded, wanted: compress_one(stored.body, wanted)}
        )

    def respond(
        self,
        environ: WSGIEnvironment,
        key: str | None,
        stored: Stored,
        library: Library,
        now: datetime,
        hit: bool,
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        """``answer``, after adding the encoding this client prefers to stored
        if needed, and keeping that under key (if any) for the next client."""
        grown = self.encoded_for(environ, stored)
        if grown is not None:
            stored = grown
            if key is not None:
                self.set(key, stored, self.timeout(library, now))
        elif not hit and key is not None:
            self.set(key, stored, self.timeout(library, now))
        return self.answer(environ, stored, library, now, hit)

    def answer(
        self,
        environ: WSGIEnvironment,
        stored: Stored,
        library: Library,
        now: datetime,
        hit: bool,
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        """Status, headers and body of the answer to this request from stored parts:
        the encoding the client accepts, or 304 if the client has it already."""
        encoding = choose_encoding(environ.get("HTTP_ACCEPT_ENCODING"), stored.encoded)
        headers = list(stored.headers)
        if encoding is None:
            body = stored.body
            etag = f'"{stored.etag}"'
            headers.append(("ETag", etag))
        else:
            body = stored.encoded[encoding]
            etag = f'"{stored.etag}-{encoding}"'
            headers += [("Content-Encoding", encoding), ("ETag", etag)]
        headers += self.caching_headers(library, now)
        headers.append(("X-Cache", "hit" if hit else "miss"))
        if not_modified(environ, etag, library.last_modified):
            return "304 Not Modified", not_modified_headers(headers, _SECURITY_NAMES), b""
        headers.append(("Content-Length", str(len(body))))
        return "200 OK", headers, b"" if environ.get("REQUEST_METHOD") == "HEAD" else body


def _responses() -> ResponseCache:
    responses: ResponseCache = current_app.extensions["response_cache"]
    return responses


def cache_key() -> str | None:
    """The key this request's answer is stored under (see the module docstring)."""
    return _responses().key(current_library(), request.environ)


def cached_response(
    *, fragment: bool = False, store: bool = True
) -> Callable[[Callable[P, Any]], Callable[P, Response]]:
    """Cache a view's successful responses under ``cache_key()``.

    Keys cover the path and never the query string, so an answer to a URL
    with a query is neither stored nor served from the cache (junk queries
    cannot fill it), and a view whose answer always depends on its query
    (search) passes ``store=False``. Either way the answer keeps its
    validators and HTTP caching headers. ``fragment=True`` for URLs that
    answer htmx and everyone else differently: their answers vary on the
    htmx request headers.
    """
    vary = ", ".join(("Accept-Encoding", *VARY)) if fragment else "Accept-Encoding"

    def decorator(view: Callable[P, Any]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            responses = _responses()
            library = current_library()
            # Keys never hold the query string, so an answer to a URL with one
            # (``/?to=2``) is neither served from nor stored under its path's key.
            stored_here = store and not request.query_string
            key = responses.key(library, request.environ) if stored_here else None
            stored = responses.get(key) if key is not None else None
            hit = stored is not None
            if stored is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or response.is_streamed:
                    response.headers.setdefault("Cache-Control", "no-cache")
                    return response
                stored = responses.stored(response, vary)
            status, headers, body = responses.respond(
                request.environ, key, stored, library, g.now, hit
            )
            return current_app.response_class(body, status, headers)

        return wrapper

    return decorator


def invalidate() -> int:
    return _responses().invalidate()
