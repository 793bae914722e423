"""The post store: a restart re-reads only the files that changed, and a
store that cannot be trusted is never used."""

from __future__ import annotations

import contextlib
import dataclasses
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
from webapp.posts.models import Post, PostError, Tag

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


def test_a_restart_from_the_store_has_the_digest_of_a_full_read(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    # Each post's share of the digest is stored with it, not hashed again.
    store = tmp_path / "posts.sqlite3"
    write_post("a.md", title="Alpha")
    write_post("b.md", title="Bravo")
    first = start(content_dir, store)
    assert start(content_dir, store).digest == first.digest
    write_post("b.md", title="Bravo, revised")
    edited = start(content_dir, store)
    unstored = ContentFolder(content_dir, SETTINGS, use_inotify=False).snapshot()
    assert edited.digest == unstored.digest != first.digest
    assert start(content_dir, store).digest == unstored.digest


def test_a_store_of_the_previous_format_is_made_again(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post("a.md", title="Alpha")
    start(content_dir, store)
    with contextlib.closing(sqlite3.connect(store)) as db, db:  # as format 8 wrote it
        db.execute("ALTER TABLE posts DROP COLUMN share")
        db.execute("PRAGMA user_version = 8")
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfa!"))
    assert titles(start(content_dir, store)) == {"a": "Alfa!"}  # read from its file
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alpha"))
    assert titles(start(content_dir, store)) == {"a": "Alfa!"}  # stored again, and taken


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


@pytest.mark.parametrize(
    "damage",
    [
        "published = 'yesterday'",
        "published = NULL",
        "tags = '[\"essay\"]'",
        "tags = 'essay' || char(31) || 'essay' || char(31) || 'more'",
        "tags = x'00'",
        "source = 'a.md/'",
        "source = './a.md'",
        "slug = x'37'",
        "draft = 2",
        "post = '{\"redirect_to\": 5}'",
        'post = \'{"colour": "red"}\'',
        "body = x'deadbeef'",
        "share = x'00'",
        "share = '0123456789abcdef'",
    ],
)
def test_a_restart_with_a_damaged_column_reads_that_file_again(
    write_post: WritePost, content_dir: Path, tmp_path: Path, damage: str
) -> None:
    store = tmp_path / "posts.sqlite3"
    dated = "2024-08-08T09:30:00+02:00"  # a plain offset: the date has a column of its own
    write_post("a.md", title="Alpha", date=dated, tags=["essay"])
    write_post("b.md", title="Bravo")
    start(content_dir, store)
    with contextlib.closing(sqlite3.connect(store)) as db, db:
        assert db.execute("SELECT published FROM posts WHERE path LIKE '%a.md'").fetchone()[0]
        db.execute(f"UPDATE posts SET {damage} WHERE path LIKE '%a.md'")
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfie", date=dated, tags=["essay"]))
    rewrite_keeping_stat(content_dir / "b.md", post_text(title="Bobby"))
    snapshot = start(content_dir, store)
    assert titles(snapshot) == {"a": "Alfie", "b": "Bravo"}
    alfie = next(post for post in snapshot.posts if post.slug == "a")
    assert [tag.slug for tag in alfie.tags] == ["essay"]


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
        (_writable_by_others, "replaced {store}: other users could have written to it"),
        (
            _in_a_shared_folder,
            "not using the post store {store} (BLOG_POST_STORE): {folder}:"
            " other users can write to it",
        ),
        (
            _a_symlink,
            "not using the post store {store} (BLOG_POST_STORE): {store}: it is a symbolic link",
        ),
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
    assert message.format(store=store, folder=store.parent) in caplog.text


def test_a_store_that_cannot_be_written_leaves_the_site_serving(
    write_post: WritePost, content_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    write_post("a.md", title="Alpha")
    with caplog.at_level(logging.WARNING):
        assert titles(start(content_dir, blocked / "posts.sqlite3")) == {"a": "Alpha"}
    assert f"not writing the post store {blocked / 'posts.sqlite3'}" in caplog.text
    assert f"{blocked}: it is not a folder" in caplog.text


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
    # Complete: no journal of either file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "content",
        "posts.rendered.sqlite3",
        "posts.sqlite3",
    ]
    rewrite_keeping_stat(content_dir / "post-7.md", post_text(title="Post X", body=long_body))
    assert titles(start(content_dir, store))["post-7"] == "Post 7"


def test_by_default_the_store_and_index_are_in_a_folder_of_this_users_own(
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
    app = make_app(POST_STORE="", SEARCH_INDEX="")
    assert app.test_client().get("/search/?q=alpha").status_code == 200
    app.extensions["blog"].folder.close()
    (folder,) = temporary.iterdir()
    assert folder.name == f"marginalia-{os.getuid()}"
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    made = {path.name.split("-")[0]: path for path in folder.iterdir()}
    assert made.keys() == {"posts", "search"}
    assert {oct(path.stat().st_mode & 0o777) for path in folder.iterdir()} == {oct(0o600)}


class _Payload:
    """What an attacker puts in a row: a pickle that creates a file when loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (str(self.marker), "w"))


def test_nothing_in_the_store_is_ever_run(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    import pickle

    store = tmp_path / "posts.sqlite3"
    marker = tmp_path / "code-ran"
    write_post("a.md", title="Alpha")
    start(content_dir, store)
    with contextlib.closing(sqlite3.connect(store)) as db, db:
        db.execute("UPDATE posts SET post = ?", (pickle.dumps(_Payload(marker)),))
    rewrite_keeping_stat(content_dir / "a.md", post_text(title="Alfie"))
    assert titles(start(content_dir, store)) == {"a": "Alfie"}  # the row was not usable
    assert not marker.exists()


EVERY_KIND_YAML = """\
---
title: Every kind of field
date: 2024-08-08 09:30:00+02:00
updated: 2024-09-01
tags: [Essay, "business", Business]
summary: A summary.
draft: true
aliases: [/old/, /older/]
summray: a typo'd key
on_day: 2023-01-02
naive: 2023-01-02 03:04:05
utc: 2023-01-02T03:04:05Z
offset: 2023-01-02T03:04:05.250+05:30
count: 3
ratio: 1.5
huge: 123456789012345678901234567890
flag: false
nothing: null
infinite: .inf
nested: {a: [1, 2.0, {b: [true, null, 2024-01-01]}], 7: seven, "": []}
blob: !!binary aGVsbG8=
letters: !!set {x, y}
ordered: !!omap [{one: 1}, {two: 2}]
---

Body with a note.[^n]

[^n]: The note.
"""

EVERY_KIND_TOML = """\
+++
title = "In TOML"
date = 2024-08-08T09:30:00-07:00
at = 07:32:00.5
local = 1979-05-27T07:32:00
table = { inner = [1, "two", 1979-05-27], deep = { x = true } }
+++

TOML body.
"""


def typed(value: object) -> object:
    """A value with its type showing at every level (1, 1.0 and True differ;
    so do time zones), and sets in a fixed order, for comparing."""
    name = type(value).__name__
    if isinstance(value, list | tuple):
        return (name, [typed(item) for item in value])
    if isinstance(value, set | frozenset):
        return (name, sorted((typed(item) for item in value), key=repr))
    if isinstance(value, dict):
        return (name, [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, PostError):
        return (name, value.as_dict())
    return (name, repr(value))


def comparable(post: Post) -> dict[str, object]:
    """Every field of a post that is stored."""
    return {
        f.name: typed(getattr(post, f.name))
        for f in dataclasses.fields(post)
        if f.name not in ("renderer", "summarizer")
    }


def test_every_kind_of_field_comes_back_from_the_store_as_it_was_read(
    write_post: WritePost, content_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "posts.sqlite3"
    write_post("every.md", text=EVERY_KIND_YAML)
    write_post("toml.md", text=EVERY_KIND_TOML)
    fresh = {post.slug: post for post in start(content_dir, store).posts}
    # Files that would read differently now, but look unchanged: only a post
    # taken from the store still has the old title.
    rewrite_keeping_stat(content_dir / "every.md", EVERY_KIND_YAML.replace("field", "FIELD"))
    rewrite_keeping_stat(content_dir / "toml.md", EVERY_KIND_TOML.replace('TOML"', 'Toml"'))
    stored = {post.slug: post for post in start(content_dir, store).posts}
    assert sorted(post.title for post in stored.values()) == ["Every kind of field", "In TOML"]
    assert fresh.keys() == stored.keys() == {"every", "toml"}
    for slug, post in fresh.items():
        assert stored[slug] is not post
        assert comparable(stored[slug]) == comparable(post)
        assert stored[slug].html == post.html
    extra = stored["every"].extra
    assert extra["letters"] == {"x", "y"} and extra["blob"] == b"hello"
    assert str(stored["every"].published) == "2024-08-08 09:30:00+02:00"
    assert any("summray" in str(w) for w in stored["every"].warnings)
    assert repr(stored["toml"].extra["at"]) == "datetime.time(7, 32, 0, 500000)"


@pytest.mark.parametrize(
    "unstorable",
    [{"extra": {"odd": object()}}, {"tags": (Tag("odd", "a name holding \x1f"),)}],
    ids=["object", "tag-separator"],
)
def test_a_post_with_a_value_the_store_cannot_hold_is_read_from_its_file(
    write_post: WritePost, content_dir: Path, tmp_path: Path, unstorable: dict[str, object]
) -> None:
    from webapp.posts.store import PostStore

    write_post("a.md", title="Alpha")
    write_post("b.md", title="Bravo")
    snapshot = start(content_dir, tmp_path / "unused.sqlite3")
    entries = {}
    for post in snapshot.posts:
        source = content_dir / str(post.source)
        info = source.stat()
        if post.slug == "a":
            post = dataclasses.replace(post, **unstorable)
        entries[str(source)] = ((info.st_mtime_ns, info.st_size, info.st_ino), post)
    store = PostStore(tmp_path / "posts.sqlite3", content_dir.resolve(), SETTINGS)
    store.save(entries)
    assert {post.slug for _, post in store.load().values()} == {"b"}
