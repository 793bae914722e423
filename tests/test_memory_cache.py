"""The in-process cache is bounded in bytes: many answers cost old entries, not memory."""

from __future__ import annotations

import http.client
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import post_text
from tests.servers import free_port, server
from webapp.memory_cache import BoundedMemoryCache


def test_the_least_recently_used_entries_make_room() -> None:
    cache = BoundedMemoryCache(max_bytes=10_000, threshold=100)
    for name in "abcd":
        cache.set(name, b"x" * 2_000)
    cache.get("a")  # a is now the most recently used
    cache.set("e", b"x" * 2_000)  # over budget: b, the oldest, goes
    assert cache.get("b") is None
    assert all(cache.get(name) is not None for name in "acde")
    assert cache.size <= 10_000
    assert not cache.set("huge", b"x" * 20_000)  # larger than the budget: not kept
    assert cache.get("a") is not None


def test_entries_expire_and_counters_count() -> None:
    cache = BoundedMemoryCache(max_bytes=10_000)
    cache.set("soon", b"value", timeout=1)
    assert cache.get("soon") == b"value"
    time.sleep(1.05)
    assert cache.get("soon") is None
    assert cache.inc("generation") == 1 and cache.inc("generation") == 2
    assert not cache.add("generation", 5)


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        / 1024
    )


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_hundreds_of_host_names_do_not_grow_a_worker(content_dir: Path, tmp_path: Path) -> None:
    # With no public URL each host gets its own entries: an attacker's many
    # host names are the way to fill an unbounded cache.
    (content_dir / "a.md").write_text(post_text(title="Long", body="Words of a post. " * 8_000))
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "webapp:create_app()", "--workers", "1",
               "--bind", f"127.0.0.1:{port}"]  # fmt: skip
    env = {
        "BLOG_CONTENT_DIR": str(content_dir),
        "BLOG_SEARCH_INDEX": str(tmp_path / "search.sqlite3"),
        "BLOG_POST_STORE": str(tmp_path / "posts.sqlite3"),
        "CACHE_MAX_BYTES": str(2 * 1024 * 1024),
    }
    with server(command, port, env) as running:
        (worker,) = children(running.process.pid)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            grown = grow(connection, worker)
        finally:
            connection.close()
    # 600 answers of over 100 KB each would be over 60 MB.
    assert grown < 15, f"the worker grew by {grown:.0f} MB"


def grow(connection: http.client.HTTPConnection, worker: int) -> float:
    """Megabytes the worker grows by answering one page under 600 host names."""
    for number in range(200):  # warm up: code paths, allocator
        connection.request("GET", "/posts/a/", headers={"Host": f"warm{number}.example"})
        connection.getresponse().read()
    before = rss_mb(worker)
    for number in range(600):
        connection.request("GET", "/posts/a/", headers={"Host": f"h{number}.example"})
        response = connection.getresponse()
        assert response.status == 200 and len(response.read()) > 100_000
    return rss_mb(worker) - before
