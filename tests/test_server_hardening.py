"""Attacks on the servers themselves, against real processes: held connections,
a huge Accept-Encoding, log forging, headers naming the server, the image's inputs."""

from __future__ import annotations

import errno
import http.client
import os
import re
import resource
import selectors
import shutil
import socket
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import PROJECT_ROOT
from tests.servers import Server, free_port, gunicorn, nginx, server
from tests.test_production import dockerfile_instruction, exec_form
from webapp.accesslog import escape
from webapp.compression import ACCEPT_ENCODING_LIMIT, choose_encoding

#: What the container's command must withstand (and still answer within a second).
IDLE_CONNECTIONS = 2000
SLOW_CONNECTIONS = 200
#: The first half of a request: a client that stops here holds its connection.
HALF_A_REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n"


def raise_open_file_limit() -> None:
    """This process holds thousands of sockets: lift its soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@pytest.fixture
def site(content_dir: Path, tmp_path: Path) -> dict[str, str]:
    """The sample site's environment, as the image sets it, in this test's folders."""
    shutil.copytree(PROJECT_ROOT / "content", content_dir, dirs_exist_ok=True)
    return {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "BLOG_CONTENT_DIR": str(content_dir),
        "BLOG_SEARCH_INDEX": str(tmp_path / "search.sqlite3"),
        "BLOG_POST_STORE": str(tmp_path / "posts.sqlite3"),
        "WEB_CONCURRENCY": "2",
    }


@contextmanager
def container_command(env: Mapping[str, str], *, open_files: int | None = None) -> Iterator[Server]:
    """The image's CMD (python serve.py), optionally started with a low soft limit on
    open files, as container runtimes often set it."""
    port = free_port()
    command = exec_form(dockerfile_instruction("CMD"))
    if open_files is not None:
        command = ["sh", "-c", f'ulimit -Sn {open_files} && exec "$@"', "sh", *command]
    environment = {**env, "PORT": str(port), "BIND": f"127.0.0.1:{port}"}
    with server(command, port, environment, ready_path="/healthz") as running:
        yield running


# --- held connections ---------------------------------------------------------


def open_connections(port: int, count: int, first_bytes: bytes = b"") -> list[socket.socket]:
    """count connections to port, all connecting at once; each sends first_bytes.

    Those the server's queues cannot take within a few seconds are closed and
    left out, so a server that is already stalled does not stall the test.
    """
    pending: dict[socket.socket, None] = {}
    with selectors.DefaultSelector() as selector:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            code = sock.connect_ex(("127.0.0.1", port))
            assert code in (0, errno.EINPROGRESS), os.strerror(code)
            selector.register(sock, selectors.EVENT_WRITE)
            pending[sock] = None
        connected: list[socket.socket] = []
        deadline = time.monotonic() + 10
        while pending and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                selector.unregister(sock)
                del pending[sock]
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    if first_bytes:
                        sock.send(first_bytes)
                    connected.append(sock)
                else:
                    sock.close()
    for sock in pending:
        sock.close()
    return connected


def seconds_to_answer(url: str) -> float:
    """A normal reader's GET: how long the whole answer took (at most about 1.5 s)."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=1.5) as response:
            response.read()
            assert response.status == 200
    except TimeoutError:
        return float("inf")
    return time.monotonic() - started


def warm_up(url: str) -> None:
    """Ask for url until every worker has it cached (each has its own cache)."""
    for _ in range(12):
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
    assert seconds_to_answer(url) < 1.0


def closed_by_peer(connections: list[socket.socket], within: float) -> int:
    """How many of connections the server closes within the given seconds."""
    closed = 0
    with selectors.DefaultSelector() as selector:
        for sock in connections:
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + within
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    ended = sock.recv(65536) == b""
                except ConnectionResetError:
                    ended = True
                if ended:
                    closed += 1
                    selector.unregister(sock)
    return closed


@contextmanager
def held(connections: list[socket.socket]) -> Iterator[list[socket.socket]]:
    try:
        yield connections
    finally:
        for sock in connections:
            sock.close()


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_container_command_answers_readers_past_idle_and_slow_connections(
    site: dict[str, str],
) -> None:
    raise_open_file_limit()
    # A soft limit of 1024 open files, as many container runtimes give: the
    # server must not run out of descriptors before it runs out of patience.
    with container_command(site, open_files=1024) as running:
        port = int(running.url.rsplit(":", 1)[1])
        warm_up(running.url + "/")
        with ExitStack() as stack:
            answered = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            kept_alive = stack.enter_context(held(open_connections(port, 1, answered)))
            idle = stack.enter_context(held(open_connections(port, IDLE_CONNECTIONS)))
            slow = stack.enter_context(
                held(open_connections(port, SLOW_CONNECTIONS, HALF_A_REQUEST))
            )
            time.sleep(1)  # let the server accept them all
            timings = []
            for _ in range(5):
                timings.append(seconds_to_answer(running.url + "/"))
                time.sleep(0.2)
            assert max(timings) < 1.0, timings
            assert (len(idle), len(slow)) == (IDLE_CONNECTIONS, SLOW_CONNECTIONS)
            # Connections that never finish a request are closed, so they
            # cannot pile up: the ones that sent nothing, the slow ones, and
            # one that was answered and then kept alive doing nothing.
            held_open = kept_alive + idle + slow
            assert closed_by_peer(held_open, within=20) == len(held_open)
            assert seconds_to_answer(running.url + "/") < 1.0


@pytest.mark.slow
def test_gunicorn_alone_is_held_by_a_few_slow_clients_per_thread(
    site: dict[str, str],
) -> None:
    """Why the docs say gunicorn needs a buffering proxy in front: a slow client
    holds one of its threads for as long as it likes. Connections do not spread
    evenly over the workers, so several per thread make sure every thread is held."""
    workers, threads = 2, 4
    with gunicorn({**site, "THREADS": str(threads)}, workers=workers) as base:
        port = int(base.rsplit(":", 1)[1])
        warm_up(base + "/")
        with held(open_connections(port, 8 * workers * threads, HALF_A_REQUEST)):
            time.sleep(1)
            assert seconds_to_answer(base + "/") == float("inf")


def documented_nginx_server_block() -> str:
    """The nginx ``server`` block docs/security.md gives for running gunicorn behind it."""
    text = (PROJECT_ROOT / "docs" / "security.md").read_text()
    found = re.search(r"```nginx\n(server \{.*?\n\})\n```", text, re.DOTALL)
    assert found, "docs/security.md shows no nginx server block"
    return found.group(1)


@contextmanager
def nginx_in_front_of(upstream_port: int, tmp_path: Path) -> Iterator[str]:
    """The documented server block, with the main settings docs/security.md
    asks for beside it, in front of gunicorn listening on ``upstream_port``."""
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = free_port()
    block = documented_nginx_server_block()
    block = block.replace("listen 80;", f"listen 127.0.0.1:{port};")
    block = block.replace("127.0.0.1:8000", f"127.0.0.1:{upstream_port}")
    with nginx(
        block, port, folder, ready_path="/healthz", workers=2, connections=8192, open_files=16384
    ) as running:
        yield running.url


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_gunicorn_behind_the_documented_nginx_answers_past_idle_and_slow_connections(
    site: dict[str, str], tmp_path: Path
) -> None:
    raise_open_file_limit()
    with gunicorn(site, workers=2) as base:
        upstream = int(base.rsplit(":", 1)[1])
        with nginx_in_front_of(upstream, tmp_path) as url:
            port = int(url.rsplit(":", 1)[1])
            warm_up(url + "/")
            with ExitStack() as stack:
                idle = stack.enter_context(held(open_connections(port, IDLE_CONNECTIONS)))
                slow = stack.enter_context(
                    held(open_connections(port, SLOW_CONNECTIONS, HALF_A_REQUEST))
                )
                time.sleep(1)
                timings = [seconds_to_answer(url + "/") for _ in range(5)]
                assert max(timings) < 1.0, timings
                assert (len(idle), len(slow)) == (IDLE_CONNECTIONS, SLOW_CONNECTIONS)


# --- a huge Accept-Encoding -----------------------------------------------------


def test_only_a_bounded_prefix_of_accept_encoding_is_considered() -> None:
    variants = {"br": b"b", "gzip": b"g"}
    padding = ", ".join(f"x-{index};q=0.5" for index in range(30_000))  # about 300 KB
    assert len(padding) > 100 * ACCEPT_ENCODING_LIMIT
    # What the client accepts within the prefix is honoured...
    assert choose_encoding("gzip, " + padding, variants) == "gzip"
    assert choose_encoding("br;q=0, gzip;q=0.1, " + padding, variants) == "gzip"
    # ...what lies past it is not: the body goes as it is.
    assert choose_encoding(padding + ", br", variants) is None
    # An element cut at the limit does not count: "br;q=0" must not become "br".
    cut = "x" * (ACCEPT_ENCODING_LIMIT - len("gzip, br;q=")) + ", br;q=0"
    assert choose_encoding("gzip;q=0.5, " + cut, variants) == "gzip"


def get_with_accept_encoding(base: str, header: str) -> tuple[int, str | None]:
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
    try:
        connection.request("GET", "/", headers={"Accept-Encoding": header})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Content-Encoding")
    finally:
        connection.close()


@pytest.mark.slow
def test_a_long_accept_encoding_gets_a_correct_answer_from_the_container_command(
    site: dict[str, str],
) -> None:
    padding = ", ".join(f"x-{index};q=0.5" for index in range(1_500))  # about 20 KB
    with container_command(site) as running:
        for header, expected in (("gzip, " + padding, "gzip"), (padding + ", br", None)):
            for _ in range(2):  # a miss, then a cached hit
                assert get_with_accept_encoding(running.url, header) == (200, expected)
        # Past the connection's buffer, a request never reaches the application.
        huge = ", ".join(f"x-{index};q=0.5" for index in range(20_000))  # about 300 KB
        try:
            status, _ = get_with_accept_encoding(running.url, huge)
        except ConnectionError:
            status = 0  # closed while the request was still being sent
        assert status in (0, 431), status
        assert get_with_accept_encoding(running.url, "br") == (200, "br")


# --- no header names the server -------------------------------------------------


def answer(
    base: str, path: str, headers: Mapping[str, str] | None = None
) -> tuple[int, list[tuple[str, str]]]:
    """The status and every header line of a GET for path."""
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
    connection.request("GET", path, headers={"Accept-Encoding": "gzip", **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheaders()


def assert_no_header_names_the_server(base: str) -> None:
    etag = dict((name.lower(), value) for name, value in answer(base, "/")[1])["etag"]
    # A page (missed, then cached, then revalidated), a post, a static file, a
    # page that does not exist.
    for path, status, extra in (
        ("/", 200, {}),
        ("/", 200, {}),
        ("/", 304, {"If-None-Match": etag}),
        ("/posts/the-boring-advantage/", 200, {}),
        ("/static/css/site.css", 200, {}),
        ("/nope/", 404, {}),
    ):
        got, headers = answer(base, path, extra)
        assert got == status, path
        for name, value in headers:
            assert not re.search(r"granian|gunicorn|werkzeug|python", value, re.IGNORECASE), (
                path,
                name,
                value,
            )
            if name.lower() == "server":
                assert value == "marginalia", (path, value)


@pytest.mark.slow
def test_no_header_names_the_server_under_the_container_command(site: dict[str, str]) -> None:
    with container_command(site) as running:
        assert_no_header_names_the_server(running.url)


@pytest.mark.slow
def test_no_header_names_the_server_under_gunicorn(site: dict[str, str]) -> None:
    with gunicorn(site) as base:
        assert_no_header_names_the_server(base)
        assert all(name.lower() != "server" for name, _ in answer(base, "/")[1])


# --- the access log cannot be forged --------------------------------------------


def send_raw(base: str, request: bytes) -> bytes:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


FORGING_REQUESTS = (
    b"GET /x%0aforged HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET /x%0d%0aforged%1b%5b2K HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET /x%e2%80%a8forged%c2%85forged HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    # gunicorn takes bytes past ASCII in a header; str.splitlines() breaks at U+0085.
    b"GET /ua HTTP/1.1\r\nHost: a\r\nUser-Agent: a\xc2\x85forged\r\nConnection: close\r\n\r\n",
)


def assert_log_not_forged(running_log: str) -> None:
    lines = running_log.splitlines()
    assert not [line for line in lines if line.startswith("forged")], running_log
    assert any("forged" in line for line in lines), running_log  # the requests were logged


def test_logged_values_keep_to_one_line_and_escape_unambiguously() -> None:
    hostile = 'a\nb\rc\x1b[2Kd\x85e\u2028f\u2029g\x00h\x7fi"j\\k\tl ümlaut'
    escaped = escape(hostile)
    assert escaped.splitlines() == [escaped]
    assert escaped == (r"a\x0ab\x0dc\x1b[2Kd\x85e\u2028f\u2029g\x00h\x7fi\"j\\k\x09l ümlaut")
    assert escape('say "hi"', quotes=False) == 'say "hi"'


@pytest.mark.slow
def test_the_container_command_access_log_cannot_be_forged(site: dict[str, str]) -> None:
    with container_command(site) as running:
        for request in FORGING_REQUESTS:
            send_raw(running.url, request)
        time.sleep(0.5)
        assert_log_not_forged(running.log())
        assert r"/x\x0aforged" in running.log()


@pytest.mark.slow
def test_the_gunicorn_access_log_cannot_be_forged(site: dict[str, str], tmp_path: Path) -> None:
    log_path = tmp_path / "access.log"
    with gunicorn({**site, "ACCESS_LOG": str(log_path)}) as base:
        for request in FORGING_REQUESTS:
            send_raw(base, request)
        time.sleep(0.5)
    assert_log_not_forged(log_path.read_text(encoding="utf-8", errors="replace"))


# --- the image's inputs ---------------------------------------------------------

LOCK_FILE = PROJECT_ROOT / "requirements.lock"


def locked_versions() -> dict[str, tuple[str, list[str]]]:
    """name -> (pinned version, hashes) from the lock file."""
    text = LOCK_FILE.read_text().replace("\\\n", " ")
    locked: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        found = re.match(r"([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})*)\s*$", line)
        assert found, f"requirements.lock: not a pinned, hashed line: {line}"
        name, version, hashes = found.groups()
        locked[canonicalize_name(name)] = (version, hashes.split())
    return locked


def test_the_lock_file_pins_every_dependency_with_hashes() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    locked = locked_versions()
    for line in project["dependencies"]:
        requirement = Requirement(line)
        environment = {"sys_platform": "linux", "python_version": "3.11"}
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        assert name in locked, f"requirements.lock does not pin {requirement.name}"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (line, version)
        assert hashes, f"requirements.lock has no hash for {name}"
    for name, (_, hashes) in locked.items():
        assert hashes, f"requirements.lock has no hash for {name}"


def test_the_image_installs_from_the_lock_file_with_hashes_on_a_pinned_base() -> None:
    assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", dockerfile_instruction("FROM"))
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    runs = "\n".join(re.findall(r"^RUN\s+(.*)$", dockerfile, re.MULTILINE))
    installs = re.findall(r"pip install[^&;\n]*", runs)
    assert installs, "the Dockerfile installs nothing"
    # Every install checks what it fetches against the lock file's hashes.
    for install in installs:
        assert re.search(r"--require-hashes\b.*-r requirements\.lock\b", install), install


def test_dockerignore_keeps_secrets_and_history_out_of_the_image() -> None:
    patterns = (PROJECT_ROOT / ".dockerignore").read_text().split()
    for pattern in ("**/.git", "**/.env"):
        assert pattern in patterns


@pytest.mark.slow
def test_the_image_layout_serves_without_installing_the_project(
    site: dict[str, str], tmp_path: Path
) -> None:
    """The files the Dockerfile copies, run from their own folder as the image runs
    them (PYTHONPATH, no install of the project): the site answers and logs."""
    app = tmp_path / "app"
    app.mkdir()
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    for line in re.findall(r"^COPY\s+(.*)$", dockerfile, re.MULTILINE):
        *sources, destination = line.split()
        for source in sources:
            origin = PROJECT_ROOT / source
            target = app / destination
            if destination.endswith("/"):
                target = target / origin.name
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True)
            else:
                shutil.copy2(origin, target)
    assert "PYTHONPATH=/app" in dockerfile
    port = free_port()
    # In the image's working directory, as the image's command.
    command = ["sh", "-c", f'cd "{app}" && exec "$@"', "sh"]
    command += exec_form(dockerfile_instruction("CMD"))
    env = {**site, "PYTHONPATH": str(app), "PORT": str(port), "BIND": f"127.0.0.1:{port}"}
    with server(command, port, env, ready_path="/healthz") as running:
        with urllib.request.urlopen(running.url + "/") as response:
            assert response.status == 200
        time.sleep(0.5)
        assert '"GET / HTTP/1.1" 200' in running.log()
