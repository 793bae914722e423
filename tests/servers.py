"""Starting real servers for tests: the app under gunicorn, on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_http(
    url: str, *, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll url until it answers (any HTTP status), or fail with the server's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode}:\n{output}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextmanager
def gunicorn(
    env: Mapping[str, str], *, workers: int = 2, extra_args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Run ``gunicorn 'webapp:create_app()'`` with env; yield its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "webapp:create_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *extra_args,
    ]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    failed = False
    try:
        wait_for_http(base_url + "/", process=process)
        yield base_url
    except BaseException:
        failed = True
        raise
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout:
            if failed:  # the server's log explains most failures
                sys.stderr.write(process.stdout.read().decode(errors="replace"))
            process.stdout.close()
