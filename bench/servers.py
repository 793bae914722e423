"""Starting and stopping the servers a benchmark compares, and measuring them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2  # one per core on the benchmark machine


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Running:
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


def command_for(kind: str, target: str, port: int, *, factory: bool) -> list[str]:
    python = sys.executable
    if kind.startswith("gunicorn"):  # gunicorn.conf.py's configuration: threaded workers
        command = [python, "-m", "gunicorn", "--config", "gunicorn.conf.py", target]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)]
        if kind == "gunicorn-sync":
            command += ["--worker-class", "sync", "--threads", "1"]
        return command
    if kind == "granian":
        name = target.removesuffix("()")
        return [
            python,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            *(["--factory"] if factory else []),
            name,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--no-access-log",
        ]
    raise ValueError(kind)


@contextmanager
def app_server(
    kind: str, env: Mapping[str, str], *, target: str = "webapp:create_app()"
) -> Iterator[Running]:
    """The blog (or another WSGI target) under a server; access logs off for every server."""
    port = free_port()
    command = command_for(kind, target, port, factory=target.endswith("()"))
    environment = {**os.environ, "ACCESS_LOG": "", "THREADS": "4", **env}
    with _process(kind, command, port, environment) as running:
        yield running


@contextmanager
def nginx(root: Path) -> Iterator[Running]:
    """nginx serving a folder (the static export), configured like a lean production host."""
    binary = shutil.which("nginx")
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    port = free_port()
    with tempfile.TemporaryDirectory() as prefix:
        config = Path(prefix) / "nginx.conf"
        config.write_text(
            f"""
worker_processes {WORKERS};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
}}
"""
        )
        command = [binary, "-c", str(config), "-p", prefix, "-e", f"{prefix}/error.log"]
        with _process("nginx", command, port, dict(os.environ)) as running:
            yield running


@contextmanager
def _process(kind: str, command: list[str], port: int, env: Mapping[str, str]) -> Iterator[Running]:
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            started_in = _first_ok(url + "/", process, started, log)
            yield Running(kind, url, process, started_in)
        finally:
            stop(process, grace=15)


def stop(process: subprocess.Popen[bytes], *, grace: float) -> None:
    """Stop a server started in its own session: SIGTERM to its whole process
    group, then SIGKILL if it has not exited within ``grace`` seconds."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _first_ok(
    url: str, process: subprocess.Popen[bytes], started: float, log: object, timeout: float = 120
) -> float:
    """Seconds from start until url answers 200."""
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            log.seek(0)  # type: ignore[attr-defined]
            raise RuntimeError(f"{url}: server exited:\n{log.read().decode()[-3000:]}")  # type: ignore[attr-defined]
        try:
            # A server may accept before its workers are ready: wait for the
            # answer rather than time out and ask again.
            remaining = max(1.0, timeout - (time.perf_counter() - started))
            with urllib.request.urlopen(url, timeout=remaining) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s")


def fetch(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, Message, bytes]:
    """(status, headers, body); header names match in any case (granian sends them lowercase)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
