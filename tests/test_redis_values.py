"""What is in the shared Redis is data, never code: planted pickles are refused.

Anyone who can write to the cache's Redis must not be able to run code in
the workers that read it. These tests plant pickles that would create a file
when loaded, under the generation key (read by every worker about once a
second) and under a page's key, against gunicorn with two workers.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.conftest import post_text
from tests.servers import RedisServer, gunicorn


class _Planted:
    """Unpickling this opens (so creates) the marker file: code run by a pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.marker), "w")


def planted_pickle(marker: Path) -> bytes:
    """A value cachelib's RedisCache would unpickle: ``!`` then a pickle."""
    return b"!" + pickle.dumps(_Planted(marker))


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("X-Cache", ""), response.read().decode()


@pytest.fixture
def env(content_dir: Path, redis_env: dict[str, str]) -> dict[str, str]:
    (content_dir / "a.md").write_text(post_text(title="Plain post", body="Some text."))
    return redis_env


@pytest.mark.slow
def test_planted_pickles_never_run_and_pages_keep_coming(
    env: dict[str, str], cache_server: RedisServer, tmp_path: Path
) -> None:
    generation_marker = tmp_path / "ran-from-generation"
    page_marker = tmp_path / "ran-from-page"
    client = redis.Redis.from_url(cache_server.url)
    with gunicorn(env, workers=2) as base:
        assert get(base + "/posts/a/")[:2] == (200, "miss")
        [page_key] = client.keys("blog:page:*:full:*/posts/a/")
        client.set(page_key, planted_pickle(page_marker))
        client.set("blog:generation", planted_pickle(generation_marker))
        deadline = time.monotonic() + 3  # each worker rereads the generation every second
        while time.monotonic() < deadline:
            status, _, body = get(base + "/posts/a/")
            assert status == 200 and "Plain post" in body
            assert get(base + "/")[0] == 200
            time.sleep(0.1)
        assert not generation_marker.exists()
        assert not page_marker.exists()
        # The refused page was rendered again and stored in the safe format.
        assert client.get(page_key) != planted_pickle(page_marker)
    client.close()


@pytest.mark.slow
def test_values_in_redis_are_plain_numbers_and_framed_bytes(
    env: dict[str, str], cache_server: RedisServer
) -> None:
    client = redis.Redis.from_url(cache_server.url)
    client.set("blog:generation", b"7")
    with gunicorn(env, workers=2) as base:
        assert get(base + "/posts/a/")[:2] == (200, "miss")
        keys = client.keys("blog:page:*")
        assert keys and all(b".7." in key for key in keys)  # the generation was read as 7
        assert all(not client.get(key).startswith(b"!") for key in keys)  # type: ignore[union-attr]
        assert {get(base + "/posts/a/")[1] for _ in range(6)} == {"hit"}
    client.close()


@pytest.mark.slow
def test_invalidate_starts_a_new_count_over_a_planted_value(
    env: dict[str, str], cache_server: RedisServer, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    with redis.Redis.from_url(cache_server.url) as client:
        client.set("blog:generation", planted_pickle(marker))
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "webapp", "blog", "invalidate"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert int(client.get("blog:generation") or b"") > 0
    assert not marker.exists()
