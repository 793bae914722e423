"""The production server: granian running webapp:create_app(), configured from the environment.

The container runs ``python serve.py``. granian serves this app's cached
pages about three times faster than gunicorn on the same machine (see
docs/benchmarks.md); ``gunicorn --config gunicorn.conf.py 'webapp:create_app()'``
remains a supported alternative (behind a buffering proxy: docs/security.md).

Environment (the same names gunicorn.conf.py reads):

- BIND: host:port to listen on (default 0.0.0.0:$PORT, PORT default 8000)
- WEB_CONCURRENCY: worker processes (default: the number of CPUs)
- THREADS: threads per worker running requests (default 4: a slow request,
  such as a feed rendered for the first time, does not hold up the quick
  ones behind it; idle connections cost granian's I/O threads nothing)
- ACCESS_LOG: "-" (default) logs each request to stdout; empty turns it off
- LOG_LEVEL: granian's log level (default info)

Connections (docs/security.md, "Servers, connections and the container"):
HTTP/1 only, so that a connection that sends nothing is closed after
HEADER_READ_TIMEOUT_MS like one that sends half a request; every worker
takes as many connections as its open-file limit allows (which this
script raises to the hard limit), so idle ones cannot shut readers out.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
from pathlib import Path

#: How long a client has to send a request's headers, from the moment it
#: connects or its previous answer was sent (granian's default is 30 s).
HEADER_READ_TIMEOUT_MS = 10_000
#: The listen queue: connections the kernel holds while every worker is full.
#: Linux caps it at net.core.somaxconn (4096 on current kernels).
BACKLOG = 4096
#: Connections one worker serves at once, at most; fewer when the open-file
#: limit is lower (each costs a file descriptor, and its buffer).
MAX_CONNECTIONS_PER_WORKER = 8192
#: A connection's buffer, and so about the largest request head (granian's
#: default, 408 KB, let 500 connections sending long headers hold 155 MB).
#: nginx's default allows 32 KB of headers too.
BUFFER_BYTES = 32_768
#: File descriptors a worker keeps for everything else: content files, the
#: search index and post store, inotify, Redis, logs.
RESERVED_FILES = 256
#: The access log's fields with control characters escaped (webapp.accesslog).
LOGGING_CONFIG = Path(__file__).resolve().with_name("serve-logging.json")


def connections_per_worker() -> int:
    """What this process's open-file limit (inherited by granian's workers) allows."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS_PER_WORKER
    return max(64, min(MAX_CONNECTIONS_PER_WORKER, soft - RESERVED_FILES))


def raise_open_file_limit() -> None:
    """Lift the soft limit on open files to the hard one (containers often start at 1024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def command(
    environ: dict[str, str], target: str = "webapp:create_app", *, factory: bool = True
) -> list[str]:
    """granian's command line for these settings (benchmarks reuse it for other targets)."""
    bind = environ.get("BIND") or f"0.0.0.0:{environ.get('PORT', '8000')}"
    host, _, port = bind.rpartition(":")
    arguments = [
        "granian",
        "--interface", "wsgi",
        *(["--factory"] if factory else []), target,
        "--host", host or "0.0.0.0",
        "--port", port,
        "--workers", environ.get("WEB_CONCURRENCY") or str(multiprocessing.cpu_count()),
        "--blocking-threads", environ.get("THREADS") or "4",
        # HTTP/1 alone: with HTTP/2 on offer granian waits, without a time
        # limit, for a first byte telling which one the client speaks.
        "--http", "1",
        "--http1-header-read-timeout", str(HEADER_READ_TIMEOUT_MS),
        "--http1-buffer-size", str(BUFFER_BYTES),
        "--backlog", str(BACKLOG),
        "--backpressure", str(connections_per_worker()),
        "--log-level", environ.get("LOG_LEVEL", "info"),
        "--log-config", str(LOGGING_CONFIG),
        "--respawn-failed-workers",
        "--workers-kill-timeout", "10",
    ]  # fmt: skip
    if environ.get("ACCESS_LOG", "-"):
        arguments.append("--access-log")
    return arguments


if __name__ == "__main__":
    raise_open_file_limit()
    arguments = command(dict(os.environ))
    # granian replaces this process, so it receives the container's signals itself.
    os.execvp(sys.executable, [sys.executable, "-m", *arguments])
