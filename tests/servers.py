"""Starting real servers for tests: the app under gunicorn, any command, Redis, nginx.

The process helpers live in ``harness`` (shared with the benchmarks); this
module keeps the names the tests import.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from harness import (
    PROJECT_ROOT,
    RedisServer,
    Server,
    free_port,
    nginx,
    redis_server,
    server,
    stop,
    wait_for_http,
)

__all__ = [
    "PROJECT_ROOT",
    "RedisServer",
    "Server",
    "free_port",
    "gunicorn",
    "nginx",
    "redis_server",
    "server",
    "stop",
    "wait_for_http",
]


@contextmanager
def gunicorn(
    env: Mapping[str, str], *, workers: int = 2, extra_args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Run gunicorn with the production config file and env; yield its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "gunicorn.conf.py",
        "webapp:create_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *extra_args,
    ]
    with server(command, port, env) as running:
        yield running.url
