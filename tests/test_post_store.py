"""The post store: a restart re-reads only the files that changed, and a
store that cannot be trusted is never used."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from tests.conftest import WritePost, parse, post_text
from webapp.posts import ContentFolder, ReaderSettings, Renderer, Snapshot, summarize

SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)


def start(content_dir: Path, store: Path, settings: ReaderSettings = SETTINGS) -> Snapshot:
    """What a server process does on start: read the folder, then (on close)
    finish writing the store."""
    folder = ContentFolder(content_dir, settings, use_inotify=False, store=store)
    try:
        return folder.snapshot()
    finally:
        folder.close()


def titles(snapshot: Snapshot) -> dict[str, str]:
    return {post.slug: post.title for post in snapshot.posts}


def rewrite_keeping_stat(path: Path, text: str) -> None:
    """Change a file's bytes in place, then put its modification time back:
    the file looks unchanged to anything that only looks at its stat."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    with path.open("r+", encoding="utf-8") as file:
        file.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_restart_takes_unchanged_files_from_the_store(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post("a.md", title="Alpha")
    write_post("b.md", title="Bravo")
    assert titles(start(content_dir, store)) == {"a": "Alpha", "b": "Bravo"}
    assert store.exists()

    # A file whose stat did not change is not read again: the stored post is served.
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfie"))
    assert titles(start(content_dir, store))["a"] == "Alpha"


def test_files_changed_added_or_removed_while_stopped_are_read(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post("a.md", title="Alpha")
    write_post("b.md", title="Bravo")
    write_post("c.md", title="Charlie")
    first = start(content_dir, store)

    write_post("a.md", title="Alpha, revised at length")
    (content_dir / "b.md").unlink()
    write_post("d.md", title="Delta")
    second = start(content_dir, store)
    assert titles(second) == {"a": "Alpha, revised at length", "c": "Charlie", "d": "Delta"}
    assert second.digest != first.digest

    # And that state was stored in turn: a third start agrees.
    third = start(content_dir, store)
    assert titles(third) == titles(second) and third.digest == second.digest


def test_stored_posts_render_summarise_and_keep_their_warnings(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post(
        "notes.md",
        title="Notes",
        tags='["essay", "business"]',
        summray="a typo'd key",
        body="First paragraph, “quoted”.[^1]\n\n[^1]: See <https://example.com/>.",
    )
    fresh = start(content_dir, store).posts[0]
    stored = start(content_dir, store).posts[0]
    assert stored is not fresh
    assert stored.html == fresh.html and "footnote-ref" in stored.html
    assert stored.rendered.footnotes == fresh.rendered.footnotes
    assert stored.summary == fresh.summary == "First paragraph, “quoted”."
    assert [t.name for t in stored.tags] == ["essay", "business"]
    assert stored.published == fresh.published == datetime(2024, 8, 8, tzinfo=UTC)
    assert [str(w) for w in stored.warnings] == [str(w) for w in fresh.warnings]
    assert any("summray" in str(w) for w in stored.warnings)


def test_broken_files_are_read_and_reported_on_every_start(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post("good.md", title="Good")
    write_post("bad.md", text="---\ntitle: [unclosed\ndate: 2024-01-01\n---\nBody.\n")
    for _ in range(2):
        snapshot = start(content_dir, store)
        assert titles(snapshot) == {"good": "Good"}
        assert [str(error.path) for error in snapshot.errors] == ["bad.md"]


def test_a_store_written_with_other_settings_is_not_used(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post("a.md", date="2024-08-08 09:00")
    utc = start(content_dir, store).posts[0].published
    tokyo = ReaderSettings(
        timezone=ZoneInfo("Asia/Tokyo"), renderer=SETTINGS.renderer, summarizer=summarize
    )
    local = start(content_dir, store, tokyo).posts[0].published
    assert utc == datetime(2024, 8, 8, 9, tzinfo=UTC)
    assert local == datetime(2024, 8, 8, 0, tzinfo=UTC)  # 09:00 in Tokyo


@pytest.mark.parametrize(
    "garbage", [b"", b"not a database at all\n" * 200], ids=["empty", "not-sqlite"]
)
def test_a_corrupt_store_means_a_full_read_and_a_new_store(
    write_post: WritePost,
    content_dir: Path,
    tmp_path: Path,
    garbage: bytes,
) -> None:
    store = tmp_path / "posts.sqlite3"
    store.write_bytes(garbage)
    store.chmod(0o600)
    write_post("a.md", title="Alpha")
    assert titles(start(content_dir, store)) == {"a": "Alpha"}
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfie"))
    assert titles(start(content_dir, store)) == {"a": "Alpha"}  # now stored


def test_a_damaged_row_costs_only_its_own_file(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post("a.md", title="Alpha")
    write_post("b.md", title="Bravo")
    start(content_dir, store)
    with contextlib.closing(sqlite3.connect(store)) as db, db:
        db.execute("UPDATE posts SET post = x'8004deadbeef' WHERE path LIKE '%a.md'")
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfie"))
    rewrite_keeping_stat(content_dir / "b.md", post_text(title="Bobby"))
    assert titles(start(content_dir, store)) == {"a": "Alfie", "b": "Bravo"}


def _writable_by_others(tmp_path: Path, make_store: Callable[[Path], None]) -> Path:
    store = tmp_path / "posts.sqlite3"
    make_store(store)
    store.chmod(0o666)
    return store


def _in_a_shared_folder(tmp_path: Path, make_store: Callable[[Path], None]) -> Path:
    folder = tmp_path / "shared"
    folder.mkdir()
    make_store(folder / "posts.sqlite3")
    folder.chmod(0o777)
    return folder / "posts.sqlite3"


def _a_symlink(tmp_path: Path, make_store: Callable[[Path], None]) -> Path:
    make_store(tmp_path / "elsewhere.sqlite3")
    store = tmp_path / "posts.sqlite3"
    store.symlink_to(tmp_path / "elsewhere.sqlite3")
    return store


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_writable_by_others, "it is not a file of this user that only this user can write"),
        (_in_a_shared_folder, "its folder can be written by other users"),
        (_a_symlink, "it is not a regular file"),
    ],
    ids=["writable-by-others", "in-a-shared-folder", "a-symlink"],
)
def test_a_store_others_could_have_written_is_not_used(
    write_post: WritePost,
    content_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    spoil: Callable[[Path, Callable[[Path], None]], Path],
    message: str,
) -> None:
    def make_store(path: Path) -> None:
        start(content_dir, path)

    write_post("a.md", title="Alpha")
    store = spoil(tmp_path, make_store)
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfie"))
    with caplog.at_level(logging.WARNING):
        assert titles(start(content_dir, store)) == {"a": "Alfie"}
    assert f"not using the post store {store}: {message}" in caplog.text


def test_a_store_that_cannot_be_written_leaves_the_site_serving(
    write_post: WritePost, content_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    write_post("a.md", title="Alpha")
    with caplog.at_level(logging.WARNING):
        assert titles(start(content_dir, blocked / "posts.sqlite3")) == {"a": "Alpha"}
    assert "could not store the posts" in caplog.text


def test_workers_starting_together_share_one_store(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    for number in range(20):
        write_post(f"post-{number}.md", title=f"Post {number}")
    folders = [
        ContentFolder(content_dir, SETTINGS, use_inotify=False, store=store) for _ in range(3)
    ]
    for folder in folders:
        folder.snapshot()
    for folder in folders:
        folder.close()
    with contextlib.closing(sqlite3.connect(store)) as db:
        assert db.execute("SELECT count(*) FROM posts").fetchone() == (20,)
    assert oct(store.stat().st_mode & 0o777) == oct(0o600)
    rewrite_keeping_stat(content_dir / "post-3.md", post_text(title="Post X"))
    assert titles(start(content_dir, store))["post-3"] == "Post 3"


def test_the_app_stores_posts_where_configured_or_not_at_all(
    write_post: WritePost, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    write_post("a.md", title="Alpha")
    store = tmp_path / "configured.sqlite3"
    app = make_app(POST_STORE=str(store))
    app.extensions["blog"].folder.close()  # as at shutdown: the store is complete
    assert store.exists()
    page = parse(app.test_client().get("/posts/a/"))
    assert page.find("h1").get_text(strip=True) == "Alpha"

    before = set(tmp_path.iterdir())
    off = make_app(POST_STORE="off")
    assert off.extensions["blog"].folder.store is None
    off.extensions["blog"].folder.close()
    assert set(tmp_path.iterdir()) == before


@pytest.mark.slow
def test_a_process_that_exits_right_after_starting_finishes_the_store(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    long_body = "A paragraph of a long post. " * 2000
    for number in range(300):  # enough that storing them takes a while
        write_post(f"post-{number}.md", title=f"Post {number}", body=long_body)
    result = subprocess.run(
        [sys.executable, "-c", "import webapp; webapp.create_app()"],
        env={**os.environ, "BLOG_CONTENT_DIR": str(content_dir), "BLOG_POST_STORE": str(store)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "posts.sqlite3"]
    rewrite_keeping_stat(content_dir / "post-7.md", post_text(title="Post X", body=long_body))
    assert titles(start(content_dir, store))["post-7"] == "Post 7"


def test_by_default_the_store_is_in_a_folder_of_this_users_own(
    write_post: WritePost,
    make_app: Callable[..., Flask],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir(mode=0o777)
    temporary.chmod(0o1777)  # like /tmp
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    write_post("a.md", title="Alpha")
    app = make_app(POST_STORE="")
    app.extensions["blog"].folder.close()
    (folder,) = temporary.iterdir()
    assert folder.name == f"marginalia-{os.getuid()}"
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    assert [store.suffix for store in folder.iterdir() if store.is_file()][:1] == [".sqlite3"]
