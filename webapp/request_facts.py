"""What a request asks for, decided once, from the WSGI environ.

Two layers answer pages: a WSGI layer that answers cached pages before Flask
routes the request, and the view decorator that renders and caches them.
Both ask the same questions, and each is answered here and nowhere else:

- **Fragment or page.** htmx 4 sends ``HX-Request: true`` with
  ``HX-Request-Type: partial`` when it will swap the answer into part of a
  page; boosted links and history restores want the whole page.
- **Which answer.** The request part of a cache key: the path, fragment or
  page, and (only when no public URL is configured) the scheme and host the
  page's absolute links are built from. Nothing else a client sends can
  change which answer it gets, so no request changes what another receives.
- **Whether it is unchanged.** A conditional request is answered 304 by
  ``not_modified``, for cached pages and static files alike.

``TrustedEnviron`` also decides where the site is mounted: from the public
URL's path, never from a ``SCRIPT_NAME`` a server took from a request header;
and, when links are built from the request's Host, it refuses a Host that is
not a host name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from werkzeug.http import parse_date, parse_etags, unquote_etag
from werkzeug.sansio.utils import host_is_trusted

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: What htmx 4 sends when it will swap the answer into part of a page.
PARTIAL_REQUEST_HEADERS = {"HX-Request": "true", "HX-Request-Type": "partial"}
#: Every answer from a URL that can answer both ways varies on these.
VARY = ("HX-Request", "HX-Request-Type")

#: A 304 repeats these headers of the 200 it stands for (RFC 9110, 15.4.5).
NOT_MODIFIED_KEEPS = frozenset(
    {"cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified"}
)

#: A host name or address, and an optional port: anything else is not a Host.
_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*|\[[0-9a-f:.]+\])"
    r"(?::\d{1,5})?$"
)


def is_partial(environ: WSGIEnvironment) -> bool:
    """True when htmx will swap this answer into part of a page."""
    return (
        environ.get("HTTP_HX_REQUEST", "").lower() == "true"
        and environ.get("HTTP_HX_REQUEST_TYPE") == "partial"
    )


def request_host(environ: WSGIEnvironment) -> str | None:
    """The Host the client asked for, lower-cased; None if it is not a host name."""
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").lower()
    if host.endswith(":80") and environ.get("wsgi.url_scheme") == "http":
        host = host[:-3]
    elif host.endswith(":443") and environ.get("wsgi.url_scheme") == "https":
        host = host[:-4]
    return host if len(host) <= 261 and _HOST.match(host) else None


@dataclass(frozen=True, slots=True)
class Answering:
    """How this app turns requests into keys: fixed when the app is built."""

    #: The public URL's origin (``https://example.com``); empty when not configured.
    origin: str = ""
    #: Hosts the app answers for when no public URL is set (Flask's TRUSTED_HOSTS).
    trusted_hosts: tuple[str, ...] = ()

    def key(self, environ: WSGIEnvironment) -> str | None:
        """The request's part of a cache key; None when the request cannot be cached
        (a Host that is not a host name, or one the site does not answer for)."""
        kind = "partial" if is_partial(environ) else "full"
        path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO") or "/")
        if self.origin:
            return f"{kind}:{path}"
        # No public URL: absolute links come from the request, so it is part of the key.
        host = request_host(environ)
        if host is None or (self.trusted_hosts and not host_is_trusted(host, self.trusted_hosts)):
            return None
        return f"{kind}:{environ.get('wsgi.url_scheme', 'http')}://{host}{path}"


def not_modified(
    environ: WSGIEnvironment, etag: str, last_modified: datetime | None = None
) -> bool:
    """Whether a conditional GET or HEAD may be answered 304 (RFC 9110, 13.2.2).

    If-None-Match decides when present (weak comparison); otherwise
    If-Modified-Since is compared with the answer's Last-Modified. Ranges
    are not offered, so Range and If-Range are ignored: the answer is whole.
    """
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return False
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        return parse_etags(if_none_match).contains_weak(unquote_etag(etag)[0])
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since is None or last_modified is None:
        return False
    when = parse_date(since)
    return when is not None and last_modified.replace(microsecond=0) <= when


def not_modified_headers(
    headers: Iterable[tuple[str, str]], keep: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """The headers a 304 repeats from the 200 it stands for, plus those named in keep."""
    kept = {name.lower() for name in keep} | NOT_MODIFIED_KEEPS
    return [(name, value) for name, value in headers if name.lower() in kept]


class TrustedEnviron:
    """WSGI middleware: the site's mount point comes from configuration.

    A server may set ``SCRIPT_NAME`` from a request header (gunicorn does, for
    peers it trusts), which would let a client move every link and cache key
    of the site. Here ``SCRIPT_NAME`` is the public URL's path (empty when none
    is configured), and a ``PATH_INFO`` that still starts with it (a proxy that
    passes the full path) is trimmed.
    """

    def __init__(self, wsgi_app: WSGIApplication, site_url: str) -> None:
        self.wsgi_app = wsgi_app
        self.configured = bool(site_url)
        self.prefix = urlsplit(site_url).path.rstrip("/")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not self.configured and request_host(environ) is None:
            # Links would be built from it: refuse a Host that is not a host name.
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Bad Request: the Host header is not a host name.\n"]
        prefix = self.prefix
        environ["SCRIPT_NAME"] = prefix
        if prefix:
            path = environ.get("PATH_INFO") or "/"
            if path == prefix or path.startswith(prefix + "/"):
                environ["PATH_INFO"] = path[len(prefix) :] or "/"
        return self.wsgi_app(environ, start_response)
