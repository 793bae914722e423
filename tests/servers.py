"""Starting real servers for tests: the app under gunicorn or flask run, Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench.servers import free_port, stop

PROJECT_ROOT = Path(__file__).resolve().parent.parent

__all__ = [
    "PROJECT_ROOT",
    "RedisServer",
    "Server",
    "free_port",
    "gunicorn",
    "redis_server",
    "server",
]


@dataclass
class Server:
    """A running server process, its base URL, and its output so far."""

    url: str
    process: subprocess.Popen[bytes]
    log_file: IO[bytes]

    def log(self) -> str:
        self.log_file.flush()
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")


@contextmanager
def server(
    command: Sequence[str], port: int, env: Mapping[str, str], *, ready_path: str = "/"
) -> Iterator[Server]:
    """Run command (listening on port) until the block ends; show its log if the block fails.

    Output goes to a file, never a pipe: a pipe nobody reads fills up with
    access log lines and then blocks the server.
    """
    log_file = tempfile.TemporaryFile()
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    running = Server(f"http://127.0.0.1:{port}", process, log_file)
    try:
        wait_for_http(running.url + ready_path, running)
        yield running
    except BaseException:
        sys.stderr.write(running.log()[-20_000:])
        raise
    finally:
        stop(process, grace=10)
        log_file.close()


def wait_for_http(url: str, running: Server, *, timeout: float = 30.0) -> None:
    """Poll url until it answers (any HTTP status), or fail with the server's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(f"server exited with {running.process.returncode}")
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
    """Run gunicorn with the production config file and env; yield its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "gunicorn.conf.py",
        "webapp:create_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *extra_args,
    ]
    with server(command, port, env) as running:
        yield running.url


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port, stoppable and restartable."""
    redis = RedisServer(free_port())
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (scripts/test installs it)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
