"""The production server: granian running webapp:create_app(), configured from the environment.

The container runs ``python serve.py``. granian serves this app's cached
pages about three times faster than gunicorn on the same machine (see
docs/benchmarks.md); ``gunicorn --config gunicorn.conf.py 'webapp:create_app()'``
remains a supported alternative.

Environment (the same names gunicorn.conf.py reads):

- BIND: host:port to listen on (default 0.0.0.0:$PORT, PORT default 8000)
- WEB_CONCURRENCY: worker processes (default: the number of CPUs)
- THREADS: threads per worker running requests (default 4: a slow request,
  such as a feed rendered for the first time, does not hold up the quick
  ones behind it; idle connections cost granian's I/O threads nothing)
- ACCESS_LOG: "-" (default) logs each request to stdout; empty turns it off
- LOG_LEVEL: granian's log level (default info)
"""

from __future__ import annotations

import multiprocessing
import os
import sys


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
        "--log-level", environ.get("LOG_LEVEL", "info"),
        "--respawn-failed-workers",
        "--workers-kill-timeout", "10",
    ]  # fmt: skip
    if environ.get("ACCESS_LOG", "-"):
        arguments.append("--access-log")
    return arguments


if __name__ == "__main__":
    arguments = command(dict(os.environ))
    # granian replaces this process, so it receives the container's signals itself.
    os.execvp(sys.executable, [sys.executable, "-m", *arguments])
