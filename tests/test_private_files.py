"""Files the site keeps for itself (the search index, the post store): private,
never followed through a link, never taken from another user."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import WritePost, parse
from webapp.posts.search import SearchIndex
from webapp.posts.sqlite import NotPrivate, ThreadConnections, open_database

OTHER_UID = 12345
needs_root = pytest.mark.skipif(os.getuid() != 0, reason="giving files to another user needs root")


def mode(path: Path) -> int:
    return os.lstat(path).st_mode & 0o777


def found(app: Flask, words: str) -> list[str]:
    response = app.test_client().get("/search/", query_string={"q": words})
    assert response.status_code == 200, response.text
    return [" ".join(a.get_text().split()) for a in parse(response).select("main h2 a, main h3 a")]


def test_a_new_index_and_its_companions_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "search.sqlite3"
    index = SearchIndex(path)
    try:
        assert mode(tmp_path / "new") == mode(path.parent) == 0o700
        made = sorted(p.name for p in path.parent.iterdir())
        assert made == ["search.sqlite3", "search.sqlite3-shm", "search.sqlite3-wal"]
        assert {mode(path.parent / name) for name in made} == {0o600}
    finally:
        index.close()


def test_an_index_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "search.sqlite3"
    SearchIndex(path).close()
    path.chmod(0o644)
    SearchIndex(path).close()
    assert mode(path) == 0o600


@pytest.mark.parametrize(
    "garbage", [b"not an index\n" * 100, b"SQLite format 3\x00" + b"\xff" * 200]
)
def test_a_file_of_ours_that_is_not_an_index_is_replaced(
    write_post: WritePost, make_app: Callable[..., Flask], tmp_path: Path, garbage: bytes
) -> None:
    write_post("zebra.md", title="Zebra crossings")
    path = tmp_path / "search.sqlite3"
    path.write_bytes(garbage)
    path.chmod(0o600)
    assert found(make_app(SEARCH_INDEX=str(path)), "zebra") == ["Zebra crossings"]


def test_an_index_others_could_write_is_never_shown(
    write_post: WritePost, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    write_post("zebra.md", title="Zebra crossings")
    path = tmp_path / "search.sqlite3"
    app = make_app(SEARCH_INDEX=str(path))
    assert found(app, "zebra") == ["Zebra crossings"]
    app.extensions["blog"].search_index.close()
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        for table in ("words", "prefixes"):
            db.execute(f"UPDATE {table} SET title = 'Zebra planted by someone else'")
    path.chmod(0o666)  # as anyone could have done it
    assert found(make_app(SEARCH_INDEX=str(path)), "zebra planted") == []
    assert mode(path) == 0o600


def test_a_link_at_the_index_path_is_not_followed(
    write_post: WritePost,
    make_app: Callable[..., Flask],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_post("zebra.md", title="Zebra crossings")
    target = tmp_path / "precious"
    target.write_bytes(b"")
    path = tmp_path / "search.sqlite3"
    path.symlink_to(target)
    dangling = tmp_path / "search-2.sqlite3"
    dangling.symlink_to(tmp_path / "created-through-a-link")
    for link in (path, dangling):
        with caplog.at_level(logging.WARNING):
            assert found(make_app(SEARCH_INDEX=str(link)), "zebra") == ["Zebra crossings"]
        assert f"not using the search index {link} (BLOG_SEARCH_INDEX)" in caplog.text
        assert "symbolic link" in caplog.text
    assert target.read_bytes() == b""
    assert not (tmp_path / "created-through-a-link").exists()


def test_a_folder_others_can_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # sticky, like /tmp: fine on the way, not as the file's folder
    with pytest.raises(NotPrivate, match="other users can write to it"):
        open_database(shared / "db.sqlite3", schema="CREATE TABLE t (x)", version=1)
    open_database(shared / "mine" / "db.sqlite3", schema="CREATE TABLE t (x)", version=1).close()
    group = tmp_path / "group"
    group.mkdir()
    group.chmod(0o770)
    with pytest.raises(NotPrivate, match="other users can write to it"):
        open_database(group / "x" / "db.sqlite3", schema="CREATE TABLE t (x)", version=1)
    assert not (group / "x").exists()


def test_a_link_to_a_folder_is_not_followed(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(NotPrivate, match="link: it is a symbolic link"):
        open_database(tmp_path / "link" / "db.sqlite3", schema="CREATE TABLE t (x)", version=1)
    assert list(real.iterdir()) == []


def test_another_schema_version_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with contextlib.closing(open_database(path, schema="CREATE TABLE old (x)", version=1)) as db:
        db.execute("INSERT INTO old VALUES (1)")
        db.commit()
    with contextlib.closing(open_database(path, schema="CREATE TABLE new (y)", version=2)) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_schema")]
    assert tables == ["new"]


@needs_root
@pytest.mark.parametrize("what", ["file", "folder"])
def test_files_and_folders_of_another_user_are_refused(tmp_path: Path, what: str) -> None:
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o755)
    path = folder / "db.sqlite3"
    path.write_bytes(b"")
    path.chmod(0o644)
    os.chown(path if what == "file" else folder, OTHER_UID, OTHER_UID)
    with pytest.raises(NotPrivate, match="it belongs to another user"):
        open_database(path, schema="CREATE TABLE t (x)", version=1)
    assert path.read_bytes() == b""


@needs_root
def test_a_planted_index_of_another_user_is_left_alone_and_search_works(
    write_post: WritePost, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    write_post("zebra.md", title="Zebra crossings")
    path = tmp_path / "search.sqlite3"
    path.write_bytes(b"")
    os.chown(path, OTHER_UID, OTHER_UID)
    assert found(make_app(SEARCH_INDEX=str(path)), "zebra") == ["Zebra crossings"]
    assert path.read_bytes() == b"" and os.stat(path).st_uid == OTHER_UID


def test_a_relative_path_is_taken_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    open_database(Path("db.sqlite3"), schema="CREATE TABLE t (x)", version=1).close()
    open_database(Path("sub/../db2.sqlite3"), schema="CREATE TABLE t (x)", version=1).close()
    assert sorted(p.name for p in tmp_path.glob("db*.sqlite3")) == ["db.sqlite3", "db2.sqlite3"]
    assert not (tmp_path / "sub").exists()


def test_something_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "db.sqlite3", 0o600)
    with pytest.raises(NotPrivate, match="it is not a regular file"):
        open_database(tmp_path / "db.sqlite3", schema="CREATE TABLE t (x)", version=1)


def test_a_threads_connection_is_closed_when_the_thread_ends(tmp_path: Path) -> None:
    path = tmp_path / "own" / "table.sqlite3"
    schema = "CREATE TABLE kept (value TEXT)"
    connections = ThreadConnections(lambda: open_database(path, schema=schema, version=1))
    gc.disable()  # closed without a garbage collection (a serving process freezes its objects)
    try:
        worker = threading.Thread(target=lambda: connections.get().execute("SELECT 1"))
        worker.start()
        worker.join()
        # SQLite removes a WAL journal when the last connection to the file closes.
        assert not path.with_name(path.name + "-wal").exists()
    finally:
        gc.enable()
