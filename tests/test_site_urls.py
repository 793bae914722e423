"""The URL scheme has one owner: what it lists is what the site serves."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, url_for

from tests.conftest import HTMX_PARTIAL, WritePost, parse
from webapp.blog import get_blog
from webapp.site_urls import PostURLs, fragment_endpoints, site_urls


def test_fragment_endpoints_are_the_partials_blueprints_own(app: Flask) -> None:
    endpoints = fragment_endpoints(app)
    assert "partials.footnote" in endpoints and "partials.tag" in endpoints
    assert all(endpoint.startswith("partials.") for endpoint in endpoints)
    assert not any(
        endpoint.startswith("partials.") for endpoint in {"pages.post", "feeds.site_feed"}
    )


def test_every_listed_url_answers_and_fragments_are_fragments(
    write_post: WritePost, make_app: Callable[..., Flask]
) -> None:
    write_post("a.md", tags='["essay"]', body="Text.[^1]\n\n[^1]: A note.")
    write_post("b.md", date="2024-08-09", tags='["essay", "business"]')
    app = make_app(PAGE_SIZE=1)
    client = app.test_client()
    with app.test_request_context():
        blog = get_blog()
        urls = list(site_urls(blog.library(), 1, blog.folder.root))
        listed = [(url, url_for(url.endpoint, **url.values)) for url in urls]
    paths = {path for _, path in listed}
    for expected in (
        "/",
        "/page/2/",
        "/tags/essay/",
        "/tags/essay/page/2/",
        "/posts/a/",
        "/posts/a/footnotes/1/",
        "/partials/tags/business/",
        "/feed.xml",
    ):
        assert expected in paths, expected
    for url, path in listed:
        response = client.get(path, headers=HTMX_PARTIAL if url.is_fragment else {})
        assert response.status_code == 200, path
        if url.is_document:
            assert parse(response).html is not None, path
        if url.is_fragment:
            assert parse(response).html is None, path


def test_post_urls_know_which_post_a_path_belongs_to(app: Flask) -> None:
    urls = PostURLs(app)
    assert urls.post("a") == "/posts/a/"
    assert urls.slug_of("/posts/a/") == "a"
    assert urls.slug_of("/posts/a") == "a"
    assert urls.slug_of("/posts/a/footnotes/1/") == "a"
    assert urls.slug_of("/posts/a/diagram.svg") == "a"
    assert urls.slug_of("/tags/a/") is None
    assert urls.slug_of("/nowhere/") is None
