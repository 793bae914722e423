"""The post store: a restart re-reads only the files that changed, and a
store that cannot be trusted is never used."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
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
    store = tmp_path / "posts.pickle"
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
    store = tmp_path / "posts.pickle"
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
    store = tmp_path / "posts.pickle"
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
    store = tmp_path / "posts.pickle"
    write_post("good.md", title="Good")
    write_post("bad.md", text="---\ntitle: [unclosed\ndate: 2024-01-01\n---\nBody.\n")
    for _ in range(2):
        snapshot = start(content_dir, store)
        assert titles(snapshot) == {"good": "Good"}
        assert [str(error.path) for error in snapshot.errors] == ["bad.md"]


def test_a_store_written_with_other_settings_is_not_used(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.pickle"
    write_post("a.md", date="2024-08-08 09:00")
    utc = start(content_dir, store).posts[0].published
    tokyo = ReaderSettings(
        timezone=ZoneInfo("Asia/Tokyo"), renderer=SETTINGS.renderer, summarizer=summarize
    )
    local = start(content_dir, store, tokyo).posts[0].published
    assert utc == datetime(2024, 8, 8, 9, tzinfo=UTC)
    assert local == datetime(2024, 8, 8, 0, tzinfo=UTC)  # 09:00 in Tokyo


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not a pickle at all", b"\x80\x05\x95\xff\xff\xff\xff"],
    ids=["empty", "text", "truncated"],
)
def test_a_corrupt_store_means_a_full_read_and_a_new_store(
    write_post: WritePost,
    content_dir: Path,
    tmp_path: Path,
    garbage: bytes,
) -> None:
    store = tmp_path / "posts.pickle"
    store.write_bytes(garbage)
    store.chmod(0o600)
    write_post("a.md", title="Alpha")
    assert titles(start(content_dir, store)) == {"a": "Alpha"}
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfie"))
    assert titles(start(content_dir, store)) == {"a": "Alpha"}  # now stored


def test_a_store_others_can_write_is_ignored(
    write_post: WritePost, content_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = tmp_path / "posts.pickle"
    write_post("a.md", title="Alpha")
    start(content_dir, store)
    store.chmod(0o666)
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfie"))
    with caplog.at_level(logging.WARNING):
        assert titles(start(content_dir, store)) == {"a": "Alfie"}
    assert f"ignoring {store}" in caplog.text


def test_a_symlinked_store_is_ignored(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    real = tmp_path / "elsewhere.pickle"
    write_post("a.md", title="Alpha")
    start(content_dir, real)
    store = tmp_path / "posts.pickle"
    store.symlink_to(real)
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfie"))
    assert titles(start(content_dir, store)) == {"a": "Alfie"}


def test_a_store_that_cannot_be_written_leaves_the_site_serving(
    write_post: WritePost, content_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    write_post("a.md", title="Alpha")
    with caplog.at_level(logging.WARNING):
        assert titles(start(content_dir, blocked / "posts.pickle")) == {"a": "Alpha"}
    assert "could not store the posts" in caplog.text


def test_abandoned_temporary_files_are_cleaned_up(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.pickle"
    old = tmp_path / ".posts.pickle.abc123.tmp"
    recent = tmp_path / ".posts.pickle.def456.tmp"
    old.write_bytes(b"half a store")
    recent.write_bytes(b"another process is writing this one")
    an_hour_ago = datetime.now(UTC).timestamp() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    write_post("a.md")
    start(content_dir, store)
    assert not old.exists() and recent.exists() and store.exists()
    assert oct(store.stat().st_mode & 0o777) == oct(0o600)


def test_the_app_stores_posts_where_configured_or_not_at_all(
    write_post: WritePost, make_app: type[Flask], tmp_path: Path
) -> None:
    write_post("a.md", title="Alpha")
    store = tmp_path / "configured.pickle"
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


def test_a_process_that_exits_right_after_starting_finishes_the_store(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.pickle"
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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "posts.pickle"]
    rewrite_keeping_stat(content_dir / "post-7.md", post_text(title="Post X", body=long_body))
    assert titles(start(content_dir, store))["post-7"] == "Post 7"
