"""Posts taken from the post store get their bodies from it when first used:
a restart does not read every body, yet every post renders as it would have."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import WritePost, parse, post_text
from webapp.posts import ContentFolder, ReaderSettings, Renderer, Snapshot, summarize
from webapp.posts.models import PostError
from webapp.posts.render_store import rendered_path

SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)

BODY = "A paragraph with a note.[^1]\n\n## A heading\n\nMore.\n\n[^1]: The note."


def start(content_dir: Path, store: Path) -> Snapshot:
    folder = ContentFolder(content_dir, SETTINGS, use_inotify=False, store=store)
    try:
        return folder.snapshot()
    finally:
        folder.close()


def forget_rendered(store: Path) -> None:
    rendered = rendered_path(store)
    for path in (rendered, Path(f"{rendered}-wal"), Path(f"{rendered}-shm")):
        path.unlink(missing_ok=True)


def rewrite_keeping_stat(path: Path, text: str) -> None:
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_restarted_app_renders_a_body_it_never_read_at_start(
    write_post: WritePost, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    write_post("a.md", title="Alpha", body=BODY)
    store = tmp_path / "posts.sqlite3"
    first = make_app(POST_STORE=str(store))
    before = parse(first.test_client().get("/posts/a/")).find("article")
    first.extensions["blog"].folder.close()  # as at shutdown: the store is complete
    forget_rendered(store)  # no HTML kept: the restarted app renders the body itself

    again = make_app(POST_STORE=str(store))
    page = parse(again.test_client().get("/posts/a/"))
    article = page.find("article")
    assert article is not None and before is not None
    assert article.get_text(" ", strip=True) == before.get_text(" ", strip=True)
    assert page.find(id="a-heading") is not None
    assert "The note." in page.find(class_="footnotes").get_text()
    listing = parse(again.test_client().get("/"))
    assert "A paragraph with a note." in listing.get_text(" ")


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE posts SET body = x'deadbeef'",
        "DELETE FROM posts",
        "UPDATE posts SET digest = 'another file'",
        "UPDATE about SET fingerprint = 'another version'",
        "DROP TABLE posts",
    ],
)
def test_a_body_damaged_or_gone_from_the_store_after_start_is_read_from_its_file(
    write_post: WritePost, content_dir: Path, tmp_path: Path, damage: str
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post("a.md", title="Alpha", body=BODY)
    fresh = start(content_dir, store).posts[0]
    stored = start(content_dir, store).posts[0]  # metadata from the store, body not yet
    with contextlib.closing(sqlite3.connect(store)) as db, db:
        db.execute(damage)
    assert stored.html == fresh.html
    assert stored.rendered.footnotes == fresh.rendered.footnotes
    assert stored.summary == fresh.summary == "A paragraph with a note."


def test_a_body_gone_from_the_store_and_changed_on_disk_is_not_passed_off_as_the_post(
    write_post: WritePost,
    make_app: Callable[..., Flask],
    tmp_path: Path,
    content_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_post("a.md", title="Alpha", body="The body as it was read.")
    store = tmp_path / "posts.sqlite3"
    make_app(POST_STORE=str(store)).extensions["blog"].folder.close()
    forget_rendered(store)
    app = make_app(POST_STORE=str(store), CACHE_TYPE="NullCache", USE_INOTIFY=False)
    # Another process read the changed file and replaced the row (here: removed it),
    # before this one ever needed the body; the watcher has not yet seen the change.
    with contextlib.closing(sqlite3.connect(store)) as db, db:
        db.execute("DELETE FROM posts")
    changed = post_text(title="Alpha", body="A different body, unread")
    rewrite_keeping_stat(content_dir / "a.md", changed)
    with caplog.at_level(logging.ERROR, logger="webapp"):
        response = app.test_client().get("/posts/a/")
    assert response.status_code == 500
    assert "The body as it was read" not in response.get_data(as_text=True)
    assert "A different body" not in response.get_data(as_text=True)
    assert any("a.md" in record.getMessage() for record in caplog.records)


def test_a_post_given_its_body_as_a_function_reads_it_once(content_dir: Path) -> None:
    from datetime import UTC, datetime
    from pathlib import PurePosixPath

    from webapp.posts.models import Post

    calls: list[int] = []

    def body() -> str:
        calls.append(1)
        return "Two words."

    post = Post("a", "A", datetime(2024, 1, 1, tzinfo=UTC), PurePosixPath("a.md"), body)
    assert calls == [] and "Two words" not in repr(post)
    assert post.body == "Two words." and post.word_count == 2 and post.body == "Two words."
    assert calls == [1]
    with pytest.raises(AttributeError):
        post.body = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Post("a", "A", datetime(2024, 1, 1, tzinfo=UTC), PurePosixPath("a.md"))  # type: ignore[call-arg]


def test_an_unreadable_body_is_an_error_naming_the_file(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post("a.md", title="Alpha", body="Body.")
    start(content_dir, store)
    stored = start(content_dir, store).posts[0]
    with contextlib.closing(sqlite3.connect(store)) as db, db:
        db.execute("DELETE FROM posts")
    (content_dir / "a.md").unlink()
    with pytest.raises(PostError) as raised:
        stored.rendered  # noqa: B018
    assert str(raised.value).startswith("a.md")


def test_pruning_rendered_bodies_after_a_change_keeps_no_body_in_memory(
    write_post: WritePost, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    for name in ("a", "b", "c"):
        write_post(f"{name}.md", title=name.upper(), body=f"{name} says {BODY}")
    store = tmp_path / "posts.sqlite3"
    first = make_app(POST_STORE=str(store))
    for name in ("a", "b", "c"):
        assert first.test_client().get(f"/posts/{name}/").status_code == 200
    first.extensions["blog"].folder.close()
    write_post("c.md", title="C", body="Rewritten: the old HTML of c goes.")

    again = make_app(POST_STORE=str(store))
    for thread in threading.enumerate():
        if thread.name == "render-store":
            thread.join()
    with sqlite3.connect(rendered_path(store)) as db:
        kept = {row[0] for row in db.execute("SELECT value FROM rendered")}
    assert not any("c says" in value for value in kept)  # the prune ran
    assert any("a says" in value for value in kept)
    posts = {post.slug: post for post in again.extensions["blog"].folder.snapshot().posts}
    # Bodies taken from the store for the prune were not kept on their posts.
    assert [slug for slug in ("a", "b") if type(posts[slug].__dict__["body"]) is str] == []
    assert "a says" in posts["a"].body  # and each still reads when needed
