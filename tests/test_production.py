"""Production: the container's command, health checks, HTTP caching, security headers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import HTMX_PARTIAL, PROJECT_ROOT, WritePost
from tests.servers import free_port, gunicorn, server
from webapp.security import CONTENT_SECURITY_POLICY

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text()


def dockerfile_instruction(name: str) -> str:
    """The (last) instruction's arguments, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(.*)$", joined, re.MULTILINE)
    assert found, f"no {name} in the Dockerfile"
    return found[-1].strip()


def exec_form(arguments: str) -> list[str]:
    command = json.loads(arguments[arguments.index("[") :])
    assert isinstance(command, list)
    return command


# --- the container ------------------------------------------------------------


def test_the_dockerfile_builds_a_slim_non_root_image_with_a_healthcheck() -> None:
    assert re.match(r"python:3\.\d+-slim@sha256:[0-9a-f]{64}$", dockerfile_instruction("FROM"))
    user = dockerfile_instruction("USER")
    assert user not in ("root", "0")
    assert "requirements.lock" in DOCKERFILE  # dependencies come from it
    assert "/healthz" in dockerfile_instruction("HEALTHCHECK")
    assert exec_form(dockerfile_instruction("CMD")) == ["python", "serve.py"]


@pytest.mark.slow
def test_the_container_command_serves_the_site(content_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(PROJECT_ROOT / "content", content_dir, dirs_exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        # As the image sets them, pointing at this test's folders.
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "BLOG_CONTENT_DIR": str(content_dir),
        "BLOG_SEARCH_INDEX": str(tmp_path / "search.sqlite3"),
        "BLOG_POST_STORE": str(tmp_path / "posts.sqlite3"),
        "PORT": str(port),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    with server(
        exec_form(dockerfile_instruction("CMD")), port, env, ready_path="/healthz"
    ) as running:
        with urllib.request.urlopen(running.url + "/") as response:
            assert response.status == 200
            assert not re.search(r"\d", response.headers.get("Server", ""))  # no version
        healthcheck = exec_form(dockerfile_instruction("HEALTHCHECK").split("CMD", 1)[1])
        assert subprocess.run(healthcheck, env=env, timeout=10).returncode == 0
        time.sleep(0.5)  # let the access log reach the output
        output = running.log()
    assert re.search(r'"GET / HTTP/1\.1" 200', output), output  # the access log is on stdout
    assert len(set(re.findall(r"Spawning worker-(\d+)", output))) == 2, output
    # Each worker reads the posts as it starts, and says how many it serves.
    posts = len(list(content_dir.rglob("*.md")))
    assert len(re.findall(rf"INFO webapp\.blog: read {posts} posts from ", output)) == 2, output
    # It warns that links come from each request's Host until BLOG_SITE_URL is set.
    assert "WARNING webapp: BLOG_SITE_URL is not set" in output


@pytest.mark.slow
def test_gunicorn_keeps_working(content_dir: Path, tmp_path: Path) -> None:
    (content_dir / "a.md").write_text("---\ntitle: Under gunicorn\ndate: 2024-01-01\n---\nBody.")
    env = {
        "BLOG_CONTENT_DIR": str(content_dir),
        "BLOG_SEARCH_INDEX": str(tmp_path / "s.sqlite3"),
        "BLOG_POST_STORE": str(tmp_path / "posts.sqlite3"),
    }
    with gunicorn(env) as base:
        with urllib.request.urlopen(base + "/posts/a/") as response:
            assert response.status == 200
            assert b"Under gunicorn" in response.read()


# --- health -------------------------------------------------------------------


def test_healthz_answers_without_touching_the_content(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, app: Any
) -> None:
    def untouchable() -> None:
        raise AssertionError("healthz read the content")

    monkeypatch.setattr(app.extensions["blog"].folder, "snapshot", untouchable)
    response = client.get("/healthz")
    assert (response.status_code, response.data) == (200, b"ok\n")


def test_readyz_checks_the_content_folder(content_dir: Path, client: FlaskClient) -> None:
    assert client.get("/readyz").status_code == 200
    content_dir.rename(content_dir.with_name("elsewhere"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert b"not readable" in response.data


# --- HTTP caching -------------------------------------------------------------


def test_pages_carry_validators_and_cdn_friendly_cache_control(
    write_post: WritePost, client: FlaskClient
) -> None:
    path = write_post("a.md", tags='["essay"]')
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    for url, headers in (("/posts/a/", {}), ("/partials/tags/essay/", HTMX_PARTIAL)):
        response = client.get(url, headers=headers)
        assert response.headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
        assert parsedate_to_datetime(response.headers["Last-Modified"]) == modified
        etag = response.headers["ETag"]
        by_tag = client.get(url, headers={**headers, "If-None-Match": etag})
        by_date = client.get(
            url, headers={**headers, "If-Modified-Since": response.headers["Last-Modified"]}
        )
        for revalidated in (by_tag, by_date):
            assert revalidated.status_code == 304
            assert revalidated.headers["Vary"] == response.headers["Vary"]
            assert revalidated.headers["Cache-Control"] == response.headers["Cache-Control"]


def test_cache_lifetimes_stop_at_the_next_scheduled_post(
    write_post: WritePost, make_app: Any
) -> None:
    written = datetime(2025, 5, 1, tzinfo=UTC).timestamp()
    for path in (
        write_post("now.md", date="2025-06-01"),
        write_post("soon.md", date="2025-06-01T12:00:45+00:00"),
    ):
        os.utime(path, (written, written))
    app = make_app()
    blog = app.extensions["blog"]
    client = app.test_client()
    blog.now = lambda: datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert (
        client.get("/").headers["Cache-Control"] == "public, max-age=45, stale-while-revalidate=0"
    )
    blog.now = lambda: datetime(2025, 6, 1, 11, 55, tzinfo=UTC)
    assert (
        client.get("/").headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=285"
    )
    blog.now = lambda: datetime(2025, 6, 1, 12, 0, 45, tzinfo=UTC)
    appeared = client.get("/")
    assert appeared.headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    # The page changed when the post appeared, later than any file did.
    assert parsedate_to_datetime(appeared.headers["Last-Modified"]) == datetime(
        2025, 6, 1, 12, 0, 45, tzinfo=UTC
    )


def test_errors_and_debug_pages_are_not_kept(write_post: WritePost, make_app: Any) -> None:
    write_post("a.md")
    client = make_app().test_client()
    assert client.get("/posts/missing/").headers["Cache-Control"] == "no-cache"
    debug = make_app(DEBUG=True).test_client()
    assert debug.get("/posts/a/").headers["Cache-Control"] == "no-cache"


# --- security headers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/", {}),
        ("/posts/a/", {}),
        ("/partials/tags/essay/", HTMX_PARTIAL),
        ("/posts/missing/", {}),
        ("/static/css/site.css", {}),
        ("/feed.xml", {}),
        ("/healthz", {}),
    ],
)
def test_security_headers_on_every_response(
    write_post: WritePost, client: FlaskClient, url: str, headers: dict[str, str]
) -> None:
    write_post("a.md", tags='["essay"]')
    response = client.get(url, headers=headers)
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers
    assert not any(
        re.search(r"\d+\.\d+", response.headers.get(name, ""))
        for name in ("Server", "X-Powered-By")
    )


def test_hsts_when_asked_for(make_app: Any) -> None:
    response = make_app(HSTS=True).test_client().get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["Content-Security-Policy"]


def test_conditional_answers_carry_the_security_headers(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("a.md")
    etag = client.get("/posts/a/").headers["ETag"]
    revalidated = client.get("/posts/a/", headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_sanitize_cleans_raw_html_when_asked(write_post: WritePost, make_app: Any) -> None:
    write_post(
        "a.md",
        body='Text <script>alert(1)</script><img src="x" onerror="alert(2)">'
        '<a href="javascript:alert(3)" hx-get="/admin">link</a>'
        '<a href="/" data-hx-get="/admin" data-hx-trigger="load">link</a>[^1]\n\n[^1]: Note.',
    )
    trusted = make_app().test_client().get("/posts/a/").get_data(as_text=True)
    assert "<script>alert(1)</script>" in trusted  # an author's raw HTML is their choice
    cleaned = make_app(SANITIZE=True).test_client().get("/posts/a/").get_data(as_text=True)
    for dangerous in ("alert(1)", "onerror", "javascript:", '="/admin"', '="load"'):
        assert dangerous not in cleaned
    assert 'data-hx-get="footnotes/1/"' in cleaned  # the site's own markup survives


def test_the_timeline_of_a_page_is_stable(write_post: WritePost, client: FlaskClient) -> None:
    # Two requests a moment apart describe the same page the same way.
    write_post("a.md")
    first = client.get("/posts/a/")
    time.sleep(0.01)
    second = client.get("/posts/a/")
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Last-Modified"] == second.headers["Last-Modified"]
    assert datetime.now(UTC) - parsedate_to_datetime(first.headers["Last-Modified"]) < timedelta(
        minutes=5
    )
