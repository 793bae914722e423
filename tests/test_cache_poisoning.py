"""No request changes what another client receives: attacks on the shared
cache, reproduced against gunicorn with Redis as deployed."""

from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from tests.conftest import post_text
from tests.servers import RedisServer, free_port, gunicorn, nginx

pytestmark = pytest.mark.slow

#: Pages whose absolute links (canonical, og:url, JSON-LD, feed links) an attacker wants.
PAGES = ("/posts/a/", "/", "/feed.xml", "/sitemap.xml", "/robots.txt", "/tags/essay/")


def request(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request on a fresh connection (so requests spread over the workers)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture
def env(content_dir: Path, redis_env: dict[str, str]) -> dict[str, str]:
    (content_dir / "a.md").write_text(post_text(title="Post A", tags='["essay"]'))
    (content_dir / "b.md").write_text(post_text(title="Post B", tags='["business"]'))
    return redis_env


def test_a_host_header_never_reaches_another_reader(env: dict[str, str]) -> None:
    with gunicorn(env, workers=2) as base:
        for path in PAGES:
            status, body = request(base, path, {"Host": "evil.example"})
            assert status == 200, path
            assert b"evil.example" in body, path  # the attacker sees their own host
            for _ in range(4):
                status, body = request(base, path)
                assert status == 200 and b"evil.example" not in body, path
        # Not a host name at all: refused, and nothing of it is kept.
        status, _ = request(base, "/posts/a/", {"Host": "bad host/x"})
        assert status == 400
        assert b"http:/" + b"/bad" not in request(base, "/posts/a/")[1]


def test_a_configured_public_url_is_the_only_source_of_links(env: dict[str, str]) -> None:
    with gunicorn({**env, "BLOG_SITE_URL": "https://blog.example"}, workers=2) as base:
        for path in PAGES:
            _, attacked = request(base, path, {"Host": "evil.example"})
            _, normal = request(base, path)
            assert b"evil.example" not in attacked and attacked == normal, path
        _, post = request(base, "/posts/a/", {"X-Forwarded-Host": "evil.example"})
        assert b"evil.example" not in post and b"https://blog.example/posts/a/" in post


def test_a_script_name_header_cannot_move_a_page(env: dict[str, str]) -> None:
    # gunicorn takes SCRIPT_NAME from a header of peers it trusts (127.0.0.1 by default).
    with gunicorn(env, workers=2) as base:
        request(base, "/posts/a/", {"SCRIPT_NAME": "/posts/a"})
        request(base, "/posts/a/", {"SCRIPT-NAME": "/posts/a"})
        for _ in range(4):
            status, body = request(base, "/posts/a/")
            assert status == 200
            assert b'<h1 id="post-title">Post A</h1>' in body
            assert b"/posts/a/static/" not in body


def test_junk_queries_and_empty_combinations_do_not_fill_the_cache(
    env: dict[str, str], cache_server: RedisServer
) -> None:
    with gunicorn(env, workers=2) as base:
        for path in PAGES:
            request(base, path)
        with redis.Redis.from_url(cache_server.url) as client:
            pages = len(client.keys("blog:page:*"))
            for number in range(60):
                assert request(base, f"/search/?q=junk{number}")[0] == 200
                assert request(base, f"/posts/a/?page={number}")[0] == 200
            assert request(base, "/search/?q=a&page=abc")[0] == 404
            # Tags that exist, but no post has both: not a page.
            assert request(base, "/tags/business+essay/")[0] == 404
            assert len(client.keys("blog:page:*")) == pages


def test_forwarded_headers_through_a_plain_nginx_proxy_are_not_trusted(
    env: dict[str, str], tmp_path: Path
) -> None:
    """nginx's proxy_pass passes a client's X-Forwarded-* on unless told otherwise,
    and it connects from 127.0.0.1: by default no peer is a trusted proxy."""
    with gunicorn(env, workers=1) as upstream:
        port = free_port()
        block = f"""
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $host;
        }}
    }}"""
        with nginx(block, port, tmp_path) as proxy:
            forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
            for path in PAGES:
                _, attacked = request(proxy.url, path, forged)
                assert b"evil.example" not in attacked and b"https://" + b"127" not in attacked
                for _ in range(3):
                    _, body = request(proxy.url, path)
                    assert b"evil.example" not in body and b"https://" + b"127" not in body
