"""Starting processes in their own session, waiting for them, stopping them."""

from __future__ import annotations

import os
import shutil
import signal
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

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop(process: subprocess.Popen[bytes], *, grace: float) -> None:
    """Stop a process started in its own session: SIGTERM to its whole process
    group, then SIGKILL if it has not exited within ``grace`` seconds."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:  # already gone, group and all
        process.wait()
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_session(
    command: Sequence[str], env: Mapping[str, str], log: IO[bytes]
) -> subprocess.Popen[bytes]:
    """Start command in the project folder, in a new session (so ``stop`` ends
    its workers too), output to a file: a pipe nobody reads fills up and then
    blocks the process."""
    return subprocess.Popen(
        list(command),
        cwd=PROJECT_ROOT,
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


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


@dataclass
class Running:
    """A server being measured: its kind, URL, process and start-up time."""

    kind: str
    url: str
    process: subprocess.Popen[bytes]
    started_in: float  # seconds from process start to the first 200 on /

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process (the master's children)."""
        pids = _children(self.process.pid) or [self.process.pid]
        return [_rss_kb(pid) / 1024 for pid in pids]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _rss_kb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return 0.0


@contextmanager
def server(
    command: Sequence[str], port: int, env: Mapping[str, str], *, ready_path: str = "/"
) -> Iterator[Server]:
    """Run command (listening on port) until the block ends; show its log if the block fails."""
    log_file = tempfile.TemporaryFile()
    process = start_session(command, {**os.environ, **env}, log_file)
    running = Server(f"http://127.0.0.1:{port}", process, log_file)
    try:
        wait_for_http(running.url + ready_path, process)
        yield running
    except BaseException:
        sys.stderr.write(running.log()[-20_000:])
        raise
    finally:
        stop(process, grace=10)
        log_file.close()


def wait_for_http(
    url: str,
    process: subprocess.Popen[bytes],
    *,
    timeout: float = 30.0,
    want: int | None = None,
) -> float:
    """Poll url until it answers (any status, or ``want``); return the seconds waited.

    Fails as soon as the process exits, or after ``timeout`` seconds.
    """
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            # A server may accept before its workers are ready: wait for the
            # answer rather than time out and ask again.
            remaining = max(1.0, timeout - (time.perf_counter() - started))
            with urllib.request.urlopen(url, timeout=remaining) as response:
                if want is None or response.status == want:
                    return time.perf_counter() - started
        except urllib.error.HTTPError as error:
            if want is None or error.code == want:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


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
