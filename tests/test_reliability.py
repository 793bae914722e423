"""The load and soak scripts (bench/soak.py), at a short length, and Redis failing under load."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from tests.servers import PROJECT_ROOT, redis_server

pytestmark = pytest.mark.slow


def run_script(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.soak", *args],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_mixed_load_has_no_5xx_and_no_timeouts() -> None:
    result = run_script("load", "--seconds", "5", "--connections", "64", "--posts", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5xx: 0, timeouts: 0" in result.stdout
    assert "404: " in result.stdout and "200: " in result.stdout  # the mix had both


def test_soak_with_a_busy_writer() -> None:
    result = run_script("soak", "--seconds", "8", "--readers", "6")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every check held" in result.stdout
    assert "post pages checked whole and of one version" in result.stdout


def test_redis_stopped_and_restarted_under_load() -> None:
    with redis_server() as redis:

        def outage() -> None:
            time.sleep(3)
            redis.stop()
            time.sleep(3)
            redis.start()

        thread = threading.Thread(target=outage)
        thread.start()
        result = run_script(
            "load", "--seconds", "10", "--connections", "32", "--posts", "40", "--redis", redis.url
        )
        thread.join()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5xx: 0, timeouts: 0" in result.stdout
