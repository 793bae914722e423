"""Starting and stopping the servers a benchmark compares, and measuring them."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.message import Message
from pathlib import Path

import serve
from harness import (
    PROJECT_ROOT,
    Running,
    free_port,
    nginx_command,
    start_session,
    stop,
    wait_for_http,
)

__all__ = ["PROJECT_ROOT", "Running", "app_server", "fetch", "nginx"]

WORKERS = 2  # one per core on the benchmark machine


def command_for(kind: str, target: str, port: int, *, factory: bool) -> list[str]:
    python = sys.executable
    if kind.startswith("gunicorn"):  # gunicorn.conf.py's configuration: threaded workers
        command = [python, "-m", "gunicorn", "--config", "gunicorn.conf.py", target]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)]
        if kind == "gunicorn-sync":
            command += ["--worker-class", "sync", "--threads", "1"]
        return command
    if kind == "granian":  # the container's command line (serve.py), on this port
        settings = {
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(WORKERS),
            "THREADS": "4",
            "ACCESS_LOG": "",
        }
        return [python, "-m", *serve.command(settings, target.removesuffix("()"), factory=factory)]
    raise ValueError(kind)


@contextmanager
def app_server(
    kind: str, env: Mapping[str, str], *, target: str = "webapp:create_app()"
) -> Iterator[Running]:
    """The blog (or another WSGI target) under a server; access logs off for every server."""
    port = free_port()
    command = command_for(kind, target, port, factory=target.endswith("()"))
    environment = {**os.environ, "ACCESS_LOG": "", "THREADS": "4", **env}
    with _process(kind, command, port, environment) as running:
        yield running


@contextmanager
def nginx(root: Path) -> Iterator[Running]:
    """nginx serving a folder (the static export), configured like a lean production host."""
    port = free_port()
    block = f"""
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
    }}"""
    http = "include /etc/nginx/mime.types;\nsendfile on;\nkeepalive_requests 1000000;"
    with tempfile.TemporaryDirectory() as prefix:
        command = nginx_command(Path(prefix), block, workers=WORKERS, connections=4096, http=http)
        with _process("nginx", command, port, dict(os.environ)) as running:
            yield running


@contextmanager
def _process(kind: str, command: list[str], port: int, env: Mapping[str, str]) -> Iterator[Running]:
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = start_session(command, env, log)
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_for_http(url + "/", process, timeout=120, want=200)
            except RuntimeError as error:
                log.seek(0)
                raise RuntimeError(f"{error}:\n{log.read().decode()[-3000:]}") from error
            yield Running(kind, url, process, time.perf_counter() - started)
        finally:
            stop(process, grace=15)


def fetch(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, Message, bytes]:
    """(status, headers, body); header names match in any case (granian sends them lowercase)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
