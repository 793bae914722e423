"""Security headers on every response, and health checks for the container."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app

#: Scripts, styles and fonts come only from this site; nothing inline, no eval.
#: Post images may come from anywhere over HTTPS (an author's choice).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "media-src 'self' https:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # granian adds "server: granian" to any answer that names no server; this
    # names the site's software without a version, as the feeds' generator
    # does (gunicorn drops it and, as gunicorn.conf.py sets it up, sends none).
    "Server": "marginalia",
}

HSTS = "max-age=31536000; includeSubDomains"

bp = Blueprint("health", __name__)


def security_headers(app: Flask) -> list[tuple[str, str]]:
    """The headers every response carries, as configured for app."""
    headers = list(HEADERS.items())
    if app.config["HSTS"]:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


def init_security(app: Flask) -> None:
    headers = security_headers(app)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        present = {name.lower() for name in response.headers.keys()}
        for name, value in headers:
            if name.lower() not in present:
                response.headers.add(name, value)
        return response

    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """Alive: answers without touching the content (for the container's HEALTHCHECK)."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/readyz")
def readyz() -> tuple[str, int, dict[str, str]]:
    """Ready: the content folder exists and can be read."""
    folder = Path(current_app.config["CONTENT_DIR"])
    ready = folder.is_dir() and os.access(folder, os.R_OK | os.X_OK)
    body = "ready\n" if ready else f"content folder {folder} is not readable\n"
    headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    return body, 200 if ready else 503, headers
