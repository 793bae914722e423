"""The sample site in content/ reads cleanly and shows every feature."""

from __future__ import annotations

from bs4 import BeautifulSoup
from flask import Flask

from tests.conftest import HTMX_PARTIAL, parse


def test_every_sample_post_reads_cleanly(sample_app: Flask) -> None:
    library = sample_app.extensions["blog"].library()
    assert library.errors == ()
    assert len(library.posts) >= 5


def test_the_sample_shows_every_feature(sample_app: Flask) -> None:
    library = sample_app.extensions["blog"].library()
    posts = library.posts
    assert any(tc.count >= 3 for tc in library.tags)  # tags shared across posts
    assert any(post.source.parent.name for post in posts)  # a post in a subfolder
    word_counts = sorted(post.word_count for post in posts)
    assert word_counts[0] < 100 and word_counts[-1] > 1000  # a short post and a long one
    notes = [note for post in posts for note in post.footnotes]
    assert any(note.id.isdigit() for note in notes) and any(not note.id.isdigit() for note in notes)
    assert any("<a href=" in note.html for note in notes)  # notes holding links
    bodies = BeautifulSoup("".join(post.html for post in posts), "html.parser")
    for selector in ("blockquote", "div.highlight pre", "table", "ol > li", "h2[id]"):
        assert bodies.select(selector), selector
    assert {"“", "”", "’", "—"} <= set(bodies.get_text())  # curly quotes and em dashes
    blog = sample_app.extensions["blog"]
    hidden = blog.folder.library(blog.now(), drafts=True)
    assert any(post.draft for post in hidden.posts)  # and a draft, hidden by default


def test_every_sample_page_and_fragment_answers(sample_app: Flask) -> None:
    client = sample_app.test_client()
    library = sample_app.extensions["blog"].library()
    assert client.get("/").status_code == 200
    assert client.get("/tags/").status_code == 200
    for item in library.tags:
        assert client.get(f"/tags/{item.tag.slug}/").status_code == 200
        assert (
            client.get(f"/partials/tags/{item.tag.slug}/", headers=HTMX_PARTIAL).status_code == 200
        )
    for post in library.posts:
        page = parse(client.get(f"/posts/{post.slug}/"))
        for ref in page.select("a.footnote-ref"):
            url = f"/posts/{post.slug}/{ref['data-hx-get']}"
            assert client.get(url, headers=HTMX_PARTIAL).status_code == 200, url
