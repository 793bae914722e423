"""Server workers starting together on an empty post store share out the
reading: real processes, each counting the files it parses."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sqlite3
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from tests.conftest import WritePost
from webapp.posts import ContentFolder, ReaderSettings, Renderer, folder, postjson, summarize

SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)
FORK = multiprocessing.get_context("fork")
BATCH = 10


def first_read(content: Path, store: Path, *, die_after: int | None = None) -> dict[str, Any]:
    """What a server worker does on start, counting the files it parses (and,
    with ``die_after``, dying abruptly when it is about to parse one more)."""
    parsed: list[str] = []
    read_post = folder.read_post

    def counting(path: Path, root: Path, settings: ReaderSettings) -> Any:
        if die_after is not None and len(parsed) == die_after:
            os._exit(3)
        parsed.append(path.name)
        return read_post(path, root, settings)

    folder.read_post = counting  # type: ignore[assignment]
    messages: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("webapp.posts.folder").addHandler(handler)
    try:
        reading = ContentFolder(content, SETTINGS, use_inotify=False, store=store, batch=BATCH)
        snapshot = reading.snapshot()
        reading.close()
    finally:
        folder.read_post = read_post  # type: ignore[assignment]
        logging.getLogger("webapp.posts.folder").removeHandler(handler)
    return {
        "parsed": parsed,
        "posts": sorted(postjson.encode(post) for post in snapshot.posts),
        "digest": snapshot.digest,
        "errors": [str(error) for error in snapshot.errors],
        "messages": messages,
    }


def _worker(content: Path, store: Path, start: Barrier, out: Connection) -> None:
    start.wait()
    out.send(first_read(content, store))


def two_workers(content: Path, store: Path) -> list[dict[str, Any]]:
    """Two processes starting a first read of the same folder at the same moment."""
    start = FORK.Barrier(2)
    pipes = [FORK.Pipe(duplex=False) for _ in range(2)]
    workers = [
        FORK.Process(target=_worker, args=(content, store, start, sender)) for _, sender in pipes
    ]
    for worker in workers:
        worker.start()
    results = [receiver.recv() for receiver, _ in pipes]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return results


def write_posts(write_post: WritePost, count: int) -> None:
    for number in range(count):
        write_post(f"post-{number:03}.md", title=f"Post {number}", body=f"Body {number}. " * 50)


def rows(store: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(store)) as db:
        count: int = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return count


def test_two_workers_read_the_files_about_once_between_them(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    count = 300
    write_posts(write_post, count)
    store = tmp_path / "posts.sqlite3"
    first, second = two_workers(content_dir, store)

    # Both serve the same posts, those one read and those it took from the other.
    assert len(first["posts"]) == count
    assert first["posts"] == second["posts"] and first["digest"] == second["digest"]
    assert first["errors"] == second["errors"] == []
    # Between them they parsed each file not much more than once, not twice.
    parsed = first["parsed"] + second["parsed"]
    assert set(parsed) == {f"post-{number:03}.md" for number in range(count)}
    assert len(parsed) <= 1.5 * count, (len(first["parsed"]), len(second["parsed"]))

    # The store holds them all, and a restart parses nothing.
    assert rows(store, "posts") == count
    again = first_read(content_dir, store)
    assert again["parsed"] == [] and again["posts"] == first["posts"]


def test_a_worker_that_died_while_reading_loses_no_post(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    count = 60
    write_posts(write_post, count)
    store = tmp_path / "posts.sqlite3"
    dying = FORK.Process(target=first_read, args=(content_dir, store), kwargs={"die_after": 15})
    dying.start()
    dying.join(timeout=60)
    assert dying.exitcode == 3
    # It claimed batches and stored none of their posts.
    assert rows(store, "posts") == 0 and rows(store, "claims") >= 2

    after = first_read(content_dir, store)
    assert len(after["posts"]) == count and after["errors"] == []
    assert sorted(after["parsed"]) == sorted(f"post-{number:03}.md" for number in range(count))
    assert rows(store, "posts") == count


def test_each_worker_reports_a_broken_file_whoever_read_its_batch(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    count = 200
    write_posts(write_post, count)
    write_post("post-100-broken.md", text="---\ntitle: [unclosed\ndate: 2024-01-01\n---\nBody.\n")
    store = tmp_path / "posts.sqlite3"
    results = two_workers(content_dir, store)

    parsed = results[0]["parsed"] + results[1]["parsed"]
    assert len(parsed) <= 1.5 * count  # shared out, so one took that batch from the other
    for result in results:
        assert result["parsed"].count("post-100-broken.md") == 1
        assert len(result["posts"]) == count
        assert len(result["errors"]) == 1 and "post-100-broken.md" in result["errors"][0]
        assert any("post-100-broken.md" in message for message in result["messages"])
    assert rows(store, "posts") == count
