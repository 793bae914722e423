"""Each body is rendered once per change: later processes take its HTML from the post store."""

from __future__ import annotations

import gc
import multiprocessing
import sqlite3
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import HTMX_PARTIAL, WritePost, parse
from webapp.posts import Renderer
from webapp.posts.render_store import StoredRenderer, decode, encode, rendered_path

BODY = """\
**TLDR: the footnotes matter most.**

"Quoted," she said -- and the note.[^1]

## A heading

[^1]: See <https://example.com/source>.
"""


def settle(app: Flask) -> None:
    """Wait for the start-up work on the stores, so it cannot race the test."""
    for thread in threading.enumerate():
        if thread.name in ("render-store", "post-store"):
            thread.join()


def forbid_rendering(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make Markdown rendering in ``app`` record the body and fail the request."""
    rendered: list[str] = []

    def refuse(body: str) -> Any:
        rendered.append(body)
        raise AssertionError("rendered again")

    monkeypatch.setattr(app.extensions["blog"].renderer.renderer, "render", refuse)
    return rendered


def rows(store: Path) -> int:
    with sqlite3.connect(rendered_path(store)) as db:
        count: int = db.execute("SELECT count(*) FROM rendered").fetchone()[0]
    return count


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "state" / "posts.sqlite3"


def test_a_restarted_server_serves_a_post_without_rendering_it_again(
    write_post: WritePost,
    make_app: Callable[..., Flask],
    store: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_post("notes.md", title="Notes", body=BODY)
    first = make_app(POST_STORE=str(store))
    settle(first)
    page = first.test_client().get("/posts/notes/")
    note = first.test_client().get("/posts/notes/footnotes/1/", headers=HTMX_PARTIAL)
    assert page.status_code == note.status_code == 200

    restarted = make_app(POST_STORE=str(store))
    settle(restarted)
    rendered = forbid_rendering(restarted, monkeypatch)
    again = restarted.test_client().get("/posts/notes/")
    again_note = restarted.test_client().get("/posts/notes/footnotes/1/", headers=HTMX_PARTIAL)
    assert rendered == []
    assert again.get_data() == page.get_data()
    assert again_note.get_data() == note.get_data()
    article = parse(again).find("article")
    assert article is not None and "“Quoted,” she said – and the note." in article.get_text()


def test_an_edited_body_is_rendered_afresh(
    write_post: WritePost, make_app: Callable[..., Flask], store: Path
) -> None:
    path = write_post("notes.md", title="Notes", body=BODY)
    make_app(POST_STORE=str(store)).test_client().get("/posts/notes/")
    path.write_text(path.read_text().replace("A heading", "Another heading"))

    restarted = make_app(POST_STORE=str(store))
    headings = [
        h.get_text(" ", strip=True)
        for h in parse(restarted.test_client().get("/posts/notes/")).find_all("h2")
    ]
    assert any(text.startswith("Another heading") for text in headings), headings


def test_sanitising_is_part_of_the_key(
    write_post: WritePost, make_app: Callable[..., Flask], store: Path
) -> None:
    write_post("raw.md", title="Raw", body='Text.\n\n<div onclick="steal()">Hi</div>\n')
    trusted = make_app(POST_STORE=str(store)).test_client().get("/posts/raw/")
    assert parse(trusted).find("div", onclick=True) is not None

    sanitised = make_app(POST_STORE=str(store), SANITIZE=True).test_client().get("/posts/raw/")
    assert parse(sanitised).find("div", onclick=True) is None


def test_a_damaged_or_foreign_row_is_rendered_again_and_replaced(
    write_post: WritePost, make_app: Callable[..., Flask], store: Path
) -> None:
    write_post("notes.md", title="Notes", body=BODY)
    first = make_app(POST_STORE=str(store))
    settle(first)
    expected = first.test_client().get("/posts/notes/").get_data()
    foreign = [
        "not json",
        '{"html": "<p>planted</p>", "footnotes": [], "headings": [], "extra": 1}',
        '{"html": "<p>planted</p>", "footnotes": [["1", "one", "x"]], "headings": []}',
        '{"__class__": "os.system", "args": ["true"]}',
        "NaN",
    ]
    for value in foreign:
        with sqlite3.connect(rendered_path(store)) as db:
            db.execute("UPDATE rendered SET value = ?", (value,))
        app = make_app(POST_STORE=str(store))
        settle(app)
        assert app.test_client().get("/posts/notes/").get_data() == expected, value
    with sqlite3.connect(rendered_path(store)) as db:
        values = [row[0] for row in db.execute("SELECT value FROM rendered")]
    assert not any("planted" in value for value in values)


def test_rows_no_post_uses_are_removed_at_start(
    write_post: WritePost, make_app: Callable[..., Flask], store: Path
) -> None:
    path = write_post("notes.md", title="Notes", body=BODY)
    write_post("other.md", title="Other", body="Another body.")
    first = make_app(POST_STORE=str(store))
    settle(first)
    for slug in ("notes", "other"):
        first.test_client().get(f"/posts/{slug}/")
    first.test_client().get("/")  # summaries
    kept = rows(store)
    assert kept == 4  # two bodies, two summaries

    path.unlink()
    settle(make_app(POST_STORE=str(store)))
    assert rows(store) == 2


def test_pruning_is_done_once_per_content_whichever_process_asks(store: Path) -> None:
    def bodies(*texts: str) -> Any:
        yield from texts
        hashed.append(texts)

    hashed: list[tuple[str, ...]] = []
    one = StoredRenderer(Renderer(cache_size=0), rendered_path(store))
    other = StoredRenderer(Renderer(cache_size=0), rendered_path(store))
    assert one.keep_only(bodies(BODY), "first") == 0
    assert hashed == []  # nothing rendered yet: no body needed hashing
    one(BODY), one("Old body."), one.summary(BODY)
    # Another worker (or a restart) with the same posts leaves the rows alone...
    assert other.keep_only(bodies(BODY), "first") == 0
    assert hashed == [] and rows(store) == 3
    # ...and posts that changed since mean one clean-up, by whichever asks first.
    assert other.keep_only(bodies(BODY), "second") == 1
    assert one.keep_only(bodies(BODY), "second") == 0
    assert hashed == [(BODY,)] and rows(store) == 2
    assert other(BODY) == one(BODY)


def test_the_store_off_means_nothing_kept(
    write_post: WritePost, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    write_post("notes.md", title="Notes", body=BODY)
    app = make_app(POST_STORE="off")
    assert app.test_client().get("/posts/notes/").status_code == 200
    assert not list(tmp_path.glob("**/*.sqlite3"))


def test_an_unusable_store_means_rendering_with_a_warning(
    write_post: WritePost,
    make_app: Callable[..., Flask],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_post("notes.md", title="Notes", body=BODY)
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # anyone could plant a database here: not ours to trust
    app = make_app(POST_STORE=str(shared / "posts.sqlite3"))
    settle(app)
    response = app.test_client().get("/posts/notes/")
    assert response.status_code == 200
    assert parse(response).find("section", class_="footnotes") is not None
    assert "not keeping rendered posts in" in caplog.text


def test_rendering_is_not_held_up_by_a_worker_saving_the_post_store(
    write_post: WritePost, make_app: Callable[..., Flask], store: Path
) -> None:
    """A worker's first save of thousands of posts holds the post store's
    write lock for seconds: rendered bodies are kept in a file of their own."""
    write_post("notes.md", title="Notes", body=BODY)
    settle(make_app(POST_STORE=str(store)))
    saving = sqlite3.connect(store, timeout=10)
    saving.execute("BEGIN IMMEDIATE")  # the post store's write lock, held
    try:
        app = make_app(POST_STORE=str(store))
        settle(app)
        assert app.test_client().get("/posts/notes/").status_code == 200
    finally:
        saving.rollback()
        saving.close()
    assert rows(store) == 2  # the body and its summary were kept all the same


def test_an_export_takes_bodies_the_server_rendered(
    write_post: WritePost,
    make_app: Callable[..., Flask],
    store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from webapp.export import freeze_site

    for number in range(3):
        write_post(f"post-{number}.md", title=f"Post {number}", body=BODY + f"\nPost {number}.\n")
    server = make_app(POST_STORE=str(store))
    settle(server)
    client = server.test_client()
    for number in range(3):
        client.get(f"/posts/post-{number}/")
    client.get("/")

    exporting = make_app(POST_STORE=str(store))
    settle(exporting)
    rendered = forbid_rendering(exporting, monkeypatch)
    freeze_site(exporting, tmp_path / "out", processes=1)
    assert rendered == []
    page = (tmp_path / "out" / "posts" / "post-1" / "index.html").read_text()
    assert "Post 1." in page


def test_rendered_bodies_round_trip_through_json() -> None:
    rendered = Renderer(cache_size=0)(BODY)
    assert rendered.footnotes and rendered.headings
    assert decode(encode(rendered)) == rendered


def test_without_a_file_it_is_the_plain_renderer(tmp_path: Path) -> None:
    stored = StoredRenderer(Renderer(cache_size=0), None)
    assert stored(BODY) == Renderer(cache_size=0)(BODY)
    assert stored.keep_only([BODY]) == 0


def test_a_restarted_server_serves_a_feed_without_rewriting_its_entries(
    write_post: WritePost,
    make_app: Callable[..., Flask],
    store: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import webapp.feeds

    write_post("notes.md", title="Notes", body=BODY + "\n[A link](/posts/other/)\n")
    first = make_app(POST_STORE=str(store), SITE_URL="https://blog.example")
    settle(first)
    feed = first.test_client().get("/feed.xml").get_data()
    assert b"https://blog.example/posts/other/" in feed

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the entry was made again")

    restarted = make_app(POST_STORE=str(store), SITE_URL="https://blog.example")
    settle(restarted)
    with monkeypatch.context() as patch:
        patch.setattr(webapp.feeds, "portable_html", refuse)
        assert restarted.test_client().get("/feed.xml").get_data() == feed
    # Moved to another address, the site's feed links there.
    moved = make_app(POST_STORE=str(store), SITE_URL="https://moved.example")
    settle(moved)
    entry = moved.test_client().get("/feed.xml").get_data()
    assert b"https://moved.example/posts/other/" in entry
    assert b"https://blog.example/posts/other/" not in entry


def _stored_in_child(stored: StoredRenderer, queue: Any) -> None:
    def refuse(body: str) -> Any:
        raise AssertionError("rendered again")

    stored.renderer.render = refuse  # type: ignore[method-assign]
    stored.render.cache_clear()
    queue.put(stored(BODY).html)


def test_a_temporary_shared_store_serves_forked_children_and_is_let_go_after() -> None:
    stored = StoredRenderer(Renderer(cache_size=0), None)
    with stored.shared():
        table = weakref.ref(stored._table)
        html = stored(BODY).html
        # A forked child reads the body through a connection of its own.
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_stored_in_child, args=(stored, queue))
        child.start()
        assert queue.get(timeout=60) == html
        child.join(timeout=60)
        assert child.exitcode == 0
    # Nothing (a fork hook, say) keeps the temporary table once the sharing is over.
    gc.collect()
    assert table() is None
