# Marginalia as a WSGI container.
#
#   docker build -t marginalia .
#   docker run -p 8000:8000 -v "$PWD/content:/app/content:ro" \
#       -e BLOG_SITE_URL=https://blog.example marginalia
#
# Content is copied in (the sample site); mount a folder over /app/content to
# serve your own. Settings are BLOG_*/CACHE_* environment variables (README).
# The base image by digest, so a rebuild gets the same Python and Debian. To move
# to the current python:3.11-slim, take the digest that
#   docker buildx imagetools inspect python:3.11-slim
# prints and put it here.
FROM python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, from the lock file (every file checked against its hash),
# so code changes reuse this layer. After changing pyproject.toml, regenerate
# requirements.lock with the command at its top.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin blog

# The application runs from /app (PYTHONPATH): it finds templates/ and static/
# beside its package, and nothing is built from this source.
COPY webapp ./webapp
COPY templates ./templates
COPY static ./static
COPY serve.py serve-logging.json gunicorn.conf.py ./
# Bytecode for the application, made once here: with PYTHONDONTWRITEBYTECODE
# every worker would otherwise compile all of webapp/ from source on every
# start (a tenth of a second of CPU, or so, each). checked-hash: a .pyc is
# used only while its source is unchanged, so a folder mounted over
# /app/webapp still works.
RUN python -m compileall -q --invalidation-mode checked-hash webapp

COPY content ./content

USER blog
# The search index and post store default to /tmp/marginalia-<uid>, made 0700.
ENV PYTHONPATH=/app \
    BLOG_CONTENT_DIR=/app/content \
    PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]

# granian (serve.py reads BIND/PORT, WEB_CONCURRENCY, THREADS, ACCESS_LOG); to run
# gunicorn instead: gunicorn --config gunicorn.conf.py 'webapp:create_app()'
CMD ["python", "serve.py"]
