"""gunicorn settings for production (the container runs: gunicorn -c gunicorn.conf.py ...).

Every setting comes from the environment, with defaults that suit a small
container:

- BIND (default 0.0.0.0:$PORT, PORT default 8000)
- WEB_CONCURRENCY: worker processes (default: the number of CPUs)
- THREADS: threads per worker (default 4)
- TIMEOUT: seconds before a stuck worker is restarted (default 30)
- ACCESS_LOG: where the access log goes (default -, stdout; empty: off)

Threaded workers (gthread) by default: a sync worker is held by any idle or
slow connection (a browser's preconnect, a keep-alive socket) until it times
out, so a few of them can stall a small server that has no buffering proxy
in front. With threads, idle connections wait in the worker's event loop.
"""

import multiprocessing
import os

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
