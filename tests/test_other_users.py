"""What another local user can plant in the shared temporary directory, against a real server.

The server runs as an unprivileged user (``nobody``) with its own TMPDIR,
shared with other users the way /tmp is (mode 1777). Another user (a uid
of no one on this host) plants files, folders and links there before it
starts. Nothing planted may be used, followed or overwritten, searching
must keep working, and nothing the server creates may be readable or
writable by anyone else.

That user cannot read a checkout in a private folder, nor a virtualenv in
root's home, so the server runs from copies in a folder anyone can read:
the project's files, the installed packages it depends on, and a Python
of the same version that user can run. Where that is impossible (not
root, no such Python) the tests skip, and fail if ``CI`` is set.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from bs4 import BeautifulSoup
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import post_text
from tests.servers import PROJECT_ROOT, Server, free_port, wait_for_http

pytestmark = pytest.mark.slow

#: The user the server runs as, and another user of the same host.
SERVER_UID = 65534
ATTACKER_UID = 12345
MARKER = "Planted by another user"


@pytest.fixture
def host() -> Iterator[Path]:
    """A folder the unprivileged server can reach (the test's own tmp_path is root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="marginalia-users-", dir="/tmp"))
    base.chmod(0o755)
    try:
        content = base / "content"
        content.mkdir(mode=0o755)
        (content / "zebra.md").write_text(post_text(title="Zebra crossings", body="Zebra body."))
        (content / "other.md").write_text(post_text(title="Other", body="Nothing here."))
        shared = base / "tmp"
        shared.mkdir()
        shared.chmod(0o1777)  # like /tmp
        home = base / "home"
        home.mkdir(mode=0o755)
        os.chown(home, SERVER_UID, SERVER_UID)
        yield base
    finally:
        shutil.rmtree(base)


@dataclass(frozen=True)
class Runtime:
    """What the unprivileged user runs the server with: a Python it can run, and
    readable copies of the project and of the packages it needs."""

    python: str
    project: Path  # the server's working folder
    env: dict[str, str]


#: What the server reads from the project as it runs.
PROJECT_FILES = [
    "webapp",
    "templates",
    "static",
    "serve.py",
    "serve-logging.json",
    "gunicorn.conf.py",
]


def cannot_run(reason: str) -> NoReturn:
    """Skip where these tests cannot run; under CI (``CI`` set), which must run
    them, fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so this fails rather than skips", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    """The project and its dependencies copied to a folder anyone can read, so the
    tests run wherever the checkout and its virtualenv are (a clone in a 0700
    folder, a virtualenv in root's home)."""
    if os.getuid() != 0:
        cannot_run("simulating other users needs root")
    folder = Path(tempfile.mkdtemp(prefix="marginalia-runtime-", dir="/tmp"))
    try:
        project = folder / "project"
        for name in PROJECT_FILES:
            copy(PROJECT_ROOT / name, project / name)
        packages = folder / "site-packages"
        for distribution in dependencies("marginalia"):
            for file in distribution.files or []:
                if ".." not in file.parts:  # scripts in bin/, not importable
                    copy(Path(str(distribution.locate_file(file))), packages / file)
        readable_by_anyone(folder)
        environ = {"PYTHONPATH": os.pathsep.join([str(project), str(packages)])}
        yield Runtime(python_for_the_server(project, environ), project, environ)
    finally:
        shutil.rmtree(folder)


def copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copyfile(source, target)


def readable_by_anyone(folder: Path) -> None:
    """Folders 0755, files 0644, whatever the umask or the modes copied."""
    for parent, _, files in os.walk(folder):
        os.chmod(parent, 0o755)
        for name in files:
            os.chmod(Path(parent, name), 0o644)


def dependencies(name: str) -> list[importlib.metadata.Distribution]:
    """The installed distributions that ``name`` needs to run (its requirements
    and theirs, without extras), not ``name`` itself."""
    found: dict[str, importlib.metadata.Distribution] = {}
    wanted = [name]
    while wanted:
        for line in importlib.metadata.requires(wanted.pop()) or []:
            requirement = Requirement(line)
            key = canonicalize_name(requirement.name)
            if key in found or (
                requirement.marker and not requirement.marker.evaluate({"extra": ""})
            ):
                continue
            found[key] = importlib.metadata.distribution(requirement.name)
            wanted.append(requirement.name)
    return list(found.values())


def python_for_the_server(project: Path, environ: dict[str, str]) -> str:
    """An interpreter of this Python version that the unprivileged user can run
    and that imports the copies (a virtualenv's own interpreter, or the one it
    links to, may sit in a folder only root can enter)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [os.path.realpath(sys.executable), os.path.realpath(sys._base_executable)]
    candidates += ["/usr/bin/python3", shutil.which(version) or f"/usr/bin/{version}"]
    probe = (
        "import sys, flask, granian, gunicorn, webapp; print(sys.version_info[:2], webapp.__file__)"
    )
    answer = f"{sys.version_info[:2]} {project / 'webapp' / '__init__.py'}"
    failures = []
    for python in dict.fromkeys(candidates):
        try:
            ran = subprocess.run(
                [python, "-c", probe],
                env={**os.environ, **environ},
                user=SERVER_UID,
                group=SERVER_UID,
                extra_groups=[],
                cwd=project,
                capture_output=True,
                text=True,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError) as error:
            failures.append(f"{python}: {error}")
            continue
        if ran.returncode == 0 and ran.stdout.strip() == answer:
            return python
        failures.append(f"{python}: {(ran.stderr.strip() or ran.stdout.strip())[-500:]}")
    cannot_run(
        f"no {version} that uid {SERVER_UID} can run with this project's packages:\n"
        + "\n".join(failures)
    )


@contextlib.contextmanager
def server_as_nobody(
    runtime: Runtime, base: Path, kind: str = "granian", **env: str
) -> Iterator[Server]:
    """``python serve.py`` (granian), or gunicorn with its config file, as the
    unprivileged user, with TMPDIR in ``base``."""
    python = runtime.python
    port = free_port()
    command = {
        "granian": [python, "serve.py"],
        "gunicorn": [python, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        + ["webapp:create_app()", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
    }[kind]
    log_file = tempfile.TemporaryFile()
    environ = {
        **os.environ,
        **runtime.env,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "BLOG_CONTENT_DIR": str(base / "content"),
        "TMPDIR": str(base / "tmp"),
        "HOME": str(base / "home"),
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    for name in ("BLOG_SEARCH_INDEX", "BLOG_POST_STORE"):
        if name not in env:
            environ.pop(name, None)
    process = subprocess.Popen(
        command,
        cwd=runtime.project,
        env=environ,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        user=SERVER_UID,
        group=SERVER_UID,
        extra_groups=[],
    )
    running = Server(f"http://127.0.0.1:{port}", process, log_file)
    try:
        wait_for_http(running.url + "/healthz", running.process)
        yield running
    except BaseException:
        sys.stderr.write(running.log()[-20_000:])
        raise
    finally:
        stop(process)
        log_file.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, then SIGKILL if it lingers."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def search(running: Server, words: str) -> tuple[int, list[str]]:
    """The status of a search and the titles of its results, as a reader sees them
    once the index a worker builds as it starts is there (503 until then)."""
    url = f"{running.url}/search/?" + urllib.parse.urlencode({"q": words})
    status, page = get(url)
    for _ in range(100):
        if status != 503:
            break
        time.sleep(0.1)
        status, page = get(url)
    document = BeautifulSoup(page, "html.parser")
    return status, [" ".join(a.get_text().split()) for a in document.select("#result-list h2 a")]


def name_for(content: Path) -> str:
    """The per-content-folder part of the default file names."""
    return hashlib.blake2b(str(content.resolve()).encode(), digest_size=6).hexdigest()


def as_attacker(path: Path) -> Path:
    os.lchown(path, ATTACKER_UID, ATTACKER_UID)
    return path


def planted_paths(base: Path) -> list[Path]:
    """Where the server keeps (or kept) its search index and post store by default,
    with the folder of the server's user taken by the attacker first."""
    shared = base / "tmp"
    name = name_for(base / "content")
    squatted = shared / f"marginalia-{SERVER_UID}"
    squatted.mkdir(mode=0o777)
    squatted.chmod(0o777)
    as_attacker(squatted)
    return [
        shared / f"marginalia-search-{name}.sqlite3",
        squatted / f"search-{name}.sqlite3",
        squatted / f"posts-{name}.sqlite3",
    ]


def plant_empty_file(path: Path, victim: Path) -> None:
    path.touch()
    path.chmod(0o644)
    as_attacker(path)


def plant_world_writable_file(path: Path, victim: Path) -> None:
    path.touch()
    path.chmod(0o666)
    as_attacker(path)


def plant_link_to_victims_file(path: Path, victim: Path) -> None:
    path.symlink_to(victim)
    as_attacker(path)


def plant_dangling_link(path: Path, victim: Path) -> None:
    path.symlink_to(victim.with_name(victim.name + "-" + path.name))
    as_attacker(path)


def deface(path: Path) -> None:
    """What the attacker does to a world-writable index once the server has filled it."""
    with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE posts SET title = ?", (f"{MARKER}: zebra crossings",))


@pytest.mark.parametrize(
    "plant",
    [plant_empty_file, plant_world_writable_file, plant_link_to_victims_file, plant_dangling_link],
    ids=["empty-file", "world-writable-file", "link-to-a-file", "dangling-link"],
)
def test_files_planted_at_the_default_paths_are_never_used(
    runtime: Runtime, host: Path, plant: Callable[[Path, Path], None]
) -> None:
    victim = host / "home" / "notes"
    victim.touch(mode=0o600)
    os.chown(victim, SERVER_UID, SERVER_UID)
    planted = planted_paths(host)
    for path in planted:
        plant(path, victim)
    before = {path: os.lstat(path) for path in planted}

    with server_as_nobody(runtime, host) as running:
        assert search(running, "zebra") == (200, ["Zebra crossings"])
        for path in planted:
            if plant is plant_world_writable_file:
                deface(path)
        assert search(running, "zebra crossings") == (200, ["Zebra crossings"])
        log = running.log()

    # The victim's file is untouched, no link was followed to create a file.
    assert victim.read_bytes() == b""
    assert sorted(p.name for p in victim.parent.iterdir()) == ["notes"]
    for path in planted:
        now = os.lstat(path)
        assert (
            (now.st_uid, now.st_mode, now.st_size)
            == (
                before[path].st_uid,
                before[path].st_mode,
                before[path].st_size,
            )
            or plant is plant_world_writable_file
            and now.st_uid == ATTACKER_UID
        )
        assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    assert "Traceback" not in log, log
    # What each worker made for itself meanwhile is its own alone.
    own = [p for p in (host / "tmp").iterdir() if p.name.startswith("marginalia-search-")]
    own = [p for p in own if p not in planted]
    assert own and private_to_the_server(host / "tmp", only=own) == []


def test_a_link_in_place_of_the_private_folder_is_not_followed(
    runtime: Runtime, host: Path
) -> None:
    """The race on the private folder: a link planted at its path, pointing at
    a folder of the server's user, is never followed (the attacker could
    swap its target between any check on the path and the open)."""
    decoy = host / "home" / "decoy"
    decoy.mkdir(mode=0o700)
    os.chown(decoy, SERVER_UID, SERVER_UID)
    link = host / "tmp" / f"marginalia-{SERVER_UID}"
    link.symlink_to(decoy)
    as_attacker(link)

    with server_as_nobody(runtime, host) as running:
        assert search(running, "zebra") == (200, ["Zebra crossings"])
        assert get(running.url + "/posts/zebra/")[0] == 200
        log = running.log()

    assert list(decoy.iterdir()) == []
    assert os.readlink(link) == str(decoy)
    assert "marginalia-65534" in log and "link" in log, log


@pytest.mark.parametrize("setting", ["BLOG_SEARCH_INDEX", "BLOG_POST_STORE"])
def test_a_configured_path_gets_the_same_checks(runtime: Runtime, host: Path, setting: str) -> None:
    victim = host / "home" / "notes"
    victim.touch(mode=0o600)
    os.chown(victim, SERVER_UID, SERVER_UID)
    shared = host / "tmp" / "blog.sqlite3"  # in a folder anyone can write
    plant_link_to_victims_file(shared, victim)

    with server_as_nobody(runtime, host, **{setting: str(shared)}) as running:
        assert search(running, "zebra") == (200, ["Zebra crossings"])
        log = running.log()

    assert victim.read_bytes() == b""
    assert os.readlink(shared) == str(victim)
    assert setting in log, log


def private_to_the_server(root: Path, *, only: list[Path] | None = None) -> list[str]:
    """Every path below ``root`` (or only those in ``only`` and below them) that
    is not the server's, or that someone else could read or write."""
    problems = []
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(folder, name)
            if only is not None and not any(path.is_relative_to(p) for p in only):
                continue
            info = os.lstat(path)
            if info.st_uid != SERVER_UID or stat.S_ISLNK(info.st_mode):
                problems.append(f"{path}: not the server's own")
            elif info.st_mode & 0o077:
                problems.append(f"{path}: mode {stat.filemode(info.st_mode)}")
    return problems


@pytest.mark.parametrize("kind", ["granian", "gunicorn"])
def test_nothing_the_server_creates_in_its_temporary_folder_is_anyone_elses(
    runtime: Runtime, host: Path, kind: str
) -> None:
    shared = host / "tmp"
    with server_as_nobody(runtime, host, kind) as running:
        assert search(running, "zebra")[0] == 200
        assert get(running.url + "/posts/zebra/")[0] == 200
        assert get(running.url + "/feed.xml")[0] == 200
        made = [p.name for p in shared.rglob("*")]
        assert any(name.endswith("-wal") for name in made), made  # SQLite's files too
        assert private_to_the_server(shared) == []
    made = [p.name for p in shared.rglob("*")]
    assert any(name.startswith("search-") for name in made), made
    assert any(name.startswith("posts-") for name in made), made
    assert private_to_the_server(shared) == []
