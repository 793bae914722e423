"""The response cache: what a key covers, what is stored, and when it changes."""

from __future__ import annotations

from typing import Any

from flask import Flask, template_rendered
from flask.testing import FlaskClient

from tests.conftest import HTMX_PARTIAL, WritePost, parse
from webapp.caching import cache, cache_key


def count_renders(app: Flask) -> list[str]:
    rendered: list[str] = []

    def record(sender: Any, template: Any, context: Any, **extra: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(record, app, weak=False)
    return rendered


def test_a_repeated_request_is_served_from_the_cache(write_post: WritePost, app: Flask) -> None:
    write_post("a.md", title="Cached")
    client = app.test_client()
    rendered = count_renders(app)
    first = client.get("/posts/a/")
    second = client.get("/posts/a/")
    assert rendered == ["pages/post.html"]
    assert first.data == second.data
    assert second.content_type == "text/html; charset=utf-8"


def test_a_fragment_is_never_served_for_the_page_or_the_reverse(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("a.md", tags='["essay"]')
    for _ in range(2):
        assert parse(client.get("/partials/tags/essay/", headers=HTMX_PARTIAL)).html is None
        assert client.get("/partials/tags/essay/").status_code == 303
        assert parse(client.get("/tags/essay/")).html is not None
        assert parse(client.get("/tags/essay/", headers=HTMX_PARTIAL)).html is not None


def test_a_query_never_answers_another_query(write_post: WritePost, client: FlaskClient) -> None:
    write_post("a.md", tags='["a", "b"]')
    assert client.get("/?tag=a").location == "/tags/a/"
    assert client.get("/?tag=b").location == "/tags/b/"
    assert client.get("/?tag=a").location == "/tags/a/"


def test_cache_keys_cover_path_and_kind_and_never_the_query(make_app: Any) -> None:
    app = make_app()

    def key(url: str, headers: dict[str, str] | None = None) -> str | None:
        with app.test_request_context(url, headers=headers or {}):
            return cache_key()

    assert key("/x/") != key("/y/")
    assert key("/x/", HTMX_PARTIAL) != key("/x/")
    assert key("/x/", {"HX-Request": "true", "HX-Request-Type": "full"}) == key("/x/")
    # Views that read their query are not stored, so the query never picks an answer.
    assert key("/?utm_source=x") == key("/")
    # With no public URL configured, links come from the request: so does the key.
    assert key("/x/", {"Host": "evil.example"}) != key("/x/")
    assert key("/x/", {"Host": "evil.example:8000"}) != key("/x/", {"Host": "evil.example"})
    assert key("/x/", {"Host": "bad host/"}) is None

    configured = make_app(SITE_URL="https://blog.example")
    with configured.test_request_context("/x/", headers={"Host": "evil.example"}):
        evil = cache_key()
    with configured.test_request_context("/x/"):
        assert cache_key() == evil


def test_search_answers_are_not_stored(write_post: WritePost, app: Flask) -> None:
    write_post("a.md", body="zebra cache")
    client = app.test_client()
    for url in ("/search/?q=zebra&q=cache", "/search/?q=cache&q=zebra"):
        assert client.get(url).headers["X-Cache"] == "miss"
    first = parse(client.get("/search/?q=zebra&q=cache")).find("input", id="search-query")
    second = parse(client.get("/search/?q=cache&q=zebra")).find("input", id="search-query")
    assert first["value"] == "zebra" and second["value"] == "cache"
    assert client.get("/search/?q=zebra&page=abc").status_code == 404
    assert client.get("/search/?q=zebra&page=0").status_code == 404


def test_only_successful_responses_are_stored(write_post: WritePost, app: Flask) -> None:
    write_post("a.md")
    client = app.test_client()
    assert client.get("/posts/missing/").status_code == 404
    assert client.get("/partials/").status_code == 303
    assert client.get("/posts/a/").status_code == 200
    with app.test_request_context("/posts/missing/"):
        assert cache.get(cache_key()) is None
    with app.test_request_context("/partials/"):
        assert cache.get(cache_key()) is None
    with app.test_request_context("/posts/a/"):
        assert cache.get(cache_key()) is not None


def test_an_edit_a_new_file_and_a_deletion_show_up_at_once(
    write_post: WritePost, client: FlaskClient
) -> None:
    path = write_post("a.md", title="Before", body="Old text.")
    assert parse(client.get("/posts/a/")).h1.get_text() == "Before"
    assert [a.get_text() for a in parse(client.get("/")).select("ol.post-list h2 a")] == ["Before"]
    write_post("a.md", title="After", body="New text.")
    assert parse(client.get("/posts/a/")).h1.get_text() == "After"
    write_post("b.md", title="Newcomer", date="2025-01-01")
    assert [a.get_text() for a in parse(client.get("/")).select("ol.post-list h2 a")] == [
        "Newcomer",
        "After",
    ]
    path.unlink()
    assert client.get("/posts/a/").status_code == 404
    assert [a.get_text() for a in parse(client.get("/")).select("ol.post-list h2 a")] == [
        "Newcomer"
    ]


def test_validators_and_conditional_requests(write_post: WritePost, client: FlaskClient) -> None:
    write_post("a.md", tags='["essay"]')
    page = client.get("/posts/a/")
    assert page.headers["ETag"]
    again = client.get("/posts/a/", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304
    fragment = client.get("/partials/tags/essay/", headers=HTMX_PARTIAL)
    revalidated = client.get(
        "/partials/tags/essay/", headers={**HTMX_PARTIAL, "If-None-Match": fragment.headers["ETag"]}
    )
    assert revalidated.status_code == 304
    assert set(revalidated.vary) == set(fragment.vary) >= {"HX-Request", "HX-Request-Type"}
    write_post("a.md", title="Edited", tags='["essay"]')
    changed = client.get("/posts/a/", headers={"If-None-Match": page.headers["ETag"]})
    assert changed.status_code == 200


def test_trusted_hosts_refuse_every_other_host(write_post: WritePost, make_app: Any) -> None:
    write_post("a.md")
    client = make_app(TRUSTED_HOSTS=["blog.example"]).test_client()
    assert client.get("/posts/a/", headers={"Host": "blog.example"}).status_code == 200
    assert client.get("/posts/a/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/posts/a/", headers={"Host": "evil.example"}).status_code == 400


def test_trusted_host_patterns_match_as_flask_matches_them(make_app: Any) -> None:
    app = make_app(TRUSTED_HOSTS=[".blog.example"])
    for host, trusted in (("blog.example", True), ("www.blog.example", True), ("evil", False)):
        with app.test_request_context("/x/", headers={"Host": host}):
            assert (cache_key() is not None) is trusted, host
