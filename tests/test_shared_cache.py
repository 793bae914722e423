"""A cache shared by every worker (Redis), as deployed: gunicorn, several workers, real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.conftest import post_text
from tests.servers import PROJECT_ROOT, RedisServer, gunicorn

pytestmark = pytest.mark.slow

WORKERS = 3


def get(url: str) -> tuple[int, str, str]:
    """(status, X-Cache, body) of a fresh connection (so requests spread over workers)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("X-Cache", ""), response.read().decode()


@pytest.fixture
def env(content_dir: Path, redis_env: dict[str, str]) -> dict[str, str]:
    (content_dir / "a.md").write_text(post_text(title="First version", tags='["essay"]'))
    return redis_env


def test_every_worker_shares_one_cache(env: dict[str, str], cache_server: RedisServer) -> None:
    with gunicorn(env, workers=WORKERS) as base:
        assert get(base + "/posts/a/")[:2] == (200, "miss")
        # Whichever worker answers, the page rendered once is served from Redis.
        assert {get(base + "/posts/a/")[1] for _ in range(WORKERS * 4)} == {"hit"}
    with redis.Redis.from_url(cache_server.url) as client:
        assert len(client.keys("blog:page:*:full:*/posts/a/")) == 1


def test_an_edit_reaches_every_worker_at_once(env: dict[str, str], content_dir: Path) -> None:
    with gunicorn(env, workers=WORKERS) as base:
        for _ in range(WORKERS * 3):
            assert "First version" in get(base + "/posts/a/")[2]
        (content_dir / "a.md").write_text(post_text(title="Second version", tags='["essay"]'))
        answers = [get(base + "/posts/a/") for _ in range(WORKERS * 4)]
        assert all("Second version" in body for _, _, body in answers)
        assert [cache for _, cache, _ in answers].count("miss") == 1  # rendered once, for all


def test_invalidate_reaches_every_worker_within_a_second(env: dict[str, str]) -> None:
    with gunicorn(env, workers=WORKERS) as base:
        get(base + "/posts/a/")
        assert {get(base + "/posts/a/")[1] for _ in range(WORKERS * 3)} == {"hit"}
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "webapp", "blog", "invalidate"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "cache generation is now 1"
        time.sleep(1.1)  # each worker rereads the generation at most once a second
        caches = [get(base + "/posts/a/")[1] for _ in range(WORKERS * 4)]
        assert caches[0] == "miss" and set(caches[1:]) == {"hit"}


def test_pages_keep_coming_while_redis_is_away(
    env: dict[str, str], cache_server: RedisServer
) -> None:
    with gunicorn(env, workers=2) as base:
        get(base + "/posts/a/")
        cache_server.stop()
        for _ in range(10):
            status, cache, body = get(base + "/posts/a/")
            assert (status, cache) == (200, "miss") and "First version" in body
        cache_server.start()
        deadline = time.monotonic() + 10
        caches: set[str] = set()
        while time.monotonic() < deadline and caches != {"hit"}:
            time.sleep(0.2)
            caches = {get(base + "/posts/a/")[1] for _ in range(6)}
        assert caches == {"hit"}  # caching resumed by itself
