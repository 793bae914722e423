# Marginalia as a WSGI container.
#
#   docker build -t marginalia .
#   docker run -p 8000:8000 -v "$PWD/content:/app/content:ro" \
#       -e BLOG_SITE_URL=https://blog.example marginalia
#
# Content is copied in (the sample site); mount a folder over /app/content to
# serve your own. Settings are BLOG_*/CACHE_* environment variables (README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, from pyproject.toml, so code changes reuse this layer.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY webapp ./webapp
COPY templates ./templates
COPY static ./static
COPY serve.py gunicorn.conf.py ./
# Editable, so the app finds templates/ and static/ beside its package.
RUN pip install --no-deps -e . \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin blog

COPY content ./content

USER blog
# The search index and post store default to /tmp/marginalia-<uid>, made 0700.
ENV BLOG_CONTENT_DIR=/app/content \
    PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]

# granian (serve.py reads BIND/PORT, WEB_CONCURRENCY, THREADS, ACCESS_LOG); to run
# gunicorn instead: gunicorn --config gunicorn.conf.py 'webapp:create_app()'
CMD ["python", "serve.py"]
