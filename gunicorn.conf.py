"""gunicorn settings: gunicorn -c gunicorn.conf.py 'webapp:create_app()', behind a buffering proxy.

Every setting comes from the environment, with defaults that suit a small
container:

- BIND (default 0.0.0.0:$PORT, PORT default 8000)
- WEB_CONCURRENCY: worker processes (default: the number of CPUs)
- THREADS: threads per worker (default 4)
- TIMEOUT: seconds before a stuck worker is restarted (default 30)
- ACCESS_LOG: where the access log goes (default -, stdout; empty: off)

gunicorn must not face the internet by itself: a client that sends half a
request holds one of its threads until it sends the rest, so once
WEB_CONCURRENCY x THREADS slow clients (8 on two CPUs) hold every thread it
answers no one. Even a connection that sends nothing holds a thread for up
to 5 seconds before gthread hands it back to its event loop, so enough idle
connections stall it as well. Put a proxy that reads whole requests before
passing them on in front (nginx as docs/security.md shows), or run
``python serve.py`` (granian), which needs none.

Responses name no server (gunicorn's own ``Server: gunicorn`` is removed
below) and the access log escapes control characters, so a request cannot
write lines of its own into it (webapp.accesslog).
"""

import multiprocessing
import os

from gunicorn.glogging import Logger
from gunicorn.http import wsgi

from webapp.accesslog import escape

bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
threads = int(os.environ.get("THREADS") or 4)
worker_class = "gthread"
timeout = int(os.environ.get("TIMEOUT") or 30)
graceful_timeout = 10
keepalive = 5

# Logs go to stdout/stderr, where container runtimes collect them.
# ACCESS_LOG= (empty) turns the access log off, as the benchmarks do.
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

# Peers whose X-Forwarded-Proto (and SCRIPT_NAME header) gunicorn believes: none
# unless FORWARDED_ALLOW_IPS names the proxy. A plain nginx proxy_pass passes a
# client's own X-Forwarded-* on from 127.0.0.1, so trusting localhost by default
# would trust every client. Links come from BLOG_SITE_URL when it is set.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")

# Each worker builds its own app: its own file watcher, its own reading of
# the content (no state is shared through fork).
preload_app = False


class EscapingLogger(Logger):
    """gunicorn's logger, with every value taken from the request escaped in the access log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # gunicorn escapes double quotes itself (glogging.SafeAtoms).
        return {
            key: escape(value, quotes=False) if isinstance(value, str) else value
            for key, value in atoms.items()
        }


logger_class = EscapingLogger


def _without_server(default_headers):
    """gunicorn has no setting for its Server header: drop it from the lines it writes."""

    def headers(self):
        return [line for line in default_headers(self) if not line.startswith("Server:")]

    return headers


# This file runs in the master before it forks the workers, which inherit the change.
wsgi.Response.default_headers = _without_server(wsgi.Response.default_headers)
