"""The WSGI layer that answers cached pages before Flask routes a request (see ``caching``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .caching import ResponseCache

#: Paths never cached: no need to ask the cache about them.
UNCACHED_PREFIXES = ("/static/", "/healthz", "/readyz")


class CachedResponses:
    """WSGI layer that answers cached pages before Flask routes the request.

    It asks the same questions as ``cached_response`` (``ResponseCache.key``
    and ``ResponseCache.answer``), from the raw request; anything it cannot
    answer from the cache goes to Flask unchanged.
    """

    def __init__(self, wsgi_app: WSGIApplication, responses: ResponseCache) -> None:
        self.wsgi_app = wsgi_app
        self.responses = responses

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if (
            environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or environ.get("QUERY_STRING")
            or path.startswith(UNCACHED_PREFIXES)
        ):
            return self.wsgi_app(environ, start_response)
        responses = self.responses
        blog = responses.blog
        now = blog.now()
        library = blog.library(now)
        key = responses.key(library, environ)
        stored = responses.get(key) if key is not None else None
        if stored is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = responses.respond(environ, key, stored, library, now, hit=True)
        start_response(status, headers)
        return [body]
