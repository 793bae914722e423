"""The framework's ceiling: a Flask route returning fixed bytes from memory.

Served by the same WSGI server as the blog, it shows what Flask and the
server cost on their own; the blog's cached pages are measured against it.
The body is read once from the file named by BENCH_BODY.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

BODY = Path(os.environ.get("BENCH_BODY", "/dev/null")).read_bytes()

app = Flask(__name__)


@app.get("/")
@app.get("/<path:anything>")
def constant(anything: str = "") -> Response:
    return Response(BODY, content_type="text/html; charset=utf-8")
