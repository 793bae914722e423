"""What htmx 4 tells the server, beyond what htmx-flask 0.1.0 (written for htmx 1) reads.

htmx-flask gives ``request.htmx`` (truthy for ``HX-Request: true``) and its
flags. htmx 4 adds ``HX-Request-Type``: ``partial`` when it will swap the
answer into part of the page, ``full`` for boosted links and history
restores (which send no ``HX-Request`` at all). The fragment-or-page decision
rests on that header, never on ``HX-Request`` alone, and is made in
``request_facts.is_partial`` for every layer that asks.
"""

from __future__ import annotations

from flask import Response, request

from .request_facts import VARY, is_partial


def is_partial_request() -> bool:
    """True when htmx will swap this answer into part of a page."""
    return is_partial(request.environ)


def add_vary(response: Response) -> Response:
    """Vary on the htmx headers (cached fragments carry it already)."""
    existing = response.headers.get("Vary")
    if not existing or VARY[0] not in existing:
        response.headers["Vary"] = ", ".join(filter(None, (existing, *VARY)))
    return response
