"""Full pages, checked by parsing the HTML a browser would get."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import WritePost, parse
from webapp.templating import COMPILED_ON_FIRST_USE, compile_templates

ESSAY_BODY = """
**TLDR: short version.**

A “claim”[^1] and an aside.[^why]

> A block quote.

```python
print("hi")
```

[^1]: https://example.com/source
[^why]: Because [reasons](https://example.org/reasons).
"""


def test_index_lists_posts_newest_first_with_dates_tags_and_summaries(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("old.md", title="Old one", date="2023-05-01", tags='["essay"]', body="Old summary.")
    write_post(
        "new.md", title="New one", date="2024-08-08", tags='["Essay", "business"]', body=ESSAY_BODY
    )
    response = client.get("/")
    assert response.status_code == 200
    page = parse(response)
    items = page.select("#listing ol.post-list > li article")
    assert [a.get_text() for a in page.select("ol.post-list h2 a")] == ["New one", "Old one"]
    assert [a["href"] for a in page.select("ol.post-list h2 a")] == ["/posts/new/", "/posts/old/"]
    assert items[0].time["datetime"] == "2024-08-08T00:00:00+00:00"
    assert items[0].time.get_text() == "8 August 2024"
    # One tag, written two ways: shown one way everywhere.
    assert [a.get_text() for a in items[0].select("ul.tags a")] == ["Essay", "business"]
    assert [a.get_text() for a in items[1].select("ul.tags a")] == ["Essay"]
    # In a listing every summary is one: the post's "TLDR:" label is left out.
    assert items[0].select_one(".summary").get_text() == "Short version."
    assert items[1].select_one(".summary").get_text() == "Old summary."


def test_every_tag_control_is_a_real_link_that_htmx_can_swap(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("a.md", tags='["essay", "business"]')
    page = parse(client.get("/"))
    filters = page.select("nav.tag-filter a")
    assert [(a.get_text(" ", strip=True), a["href"]) for a in filters] == [
        ("All posts 1 post", "/"),
        ("business 1 post", "/tags/business/"),
        ("essay 1 post", "/tags/essay/"),
    ]
    assert filters[0]["aria-current"] == "page"
    for link in page.select("#listing a.tag"):
        assert link["data-hx-get"] == "/partials" + link["href"]
        assert link["data-hx-target"] == "#listing"
        assert link["data-hx-swap"] == "outerHTML"
        assert link["data-hx-push-url"] == link["href"]


def test_the_post_page(write_post: WritePost, client: FlaskClient) -> None:
    write_post("2024-08-08-the-post.md", title="The Post", tags='["essay"]', body=ESSAY_BODY)
    response = client.get("/posts/the-post/")
    assert response.status_code == 200
    page = parse(response)
    assert page.title.get_text() == "The Post · Marginalia"
    article = page.select_one("article.post")
    assert article.h1.get_text() == "The Post"
    assert article.time["datetime"] == "2024-08-08T00:00:00+00:00"
    assert [a["href"] for a in article.select("ul.tags a")] == ["/tags/essay/"]
    assert not article.select("ul.tags a[data-hx-get]")  # no listing to swap on a post page
    body = article.select_one(".post-body")
    assert body.blockquote.get_text(strip=True) == "A block quote."
    assert body.select_one("pre .nb").get_text() == "print"
    refs = body.select("a.footnote-ref")
    assert [a["href"] for a in refs] == ["#fn-1", "#fn-why"]
    notes = body.select("section.footnotes li")
    assert [li["id"] for li in notes] == ["fn-1", "fn-why"]
    assert notes[1].a["href"] == "https://example.org/reasons"
    popover = page.select_one("#footnote-popover")
    assert popover["popover"] == "manual" and popover["role"] == "dialog"
    assert popover.select_one("#footnote-popover-content") is not None


def test_a_post_without_footnotes_has_no_popover(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("plain.md", body="No notes here.")
    assert parse(client.get("/posts/plain/")).select("#footnote-popover") == []


def test_post_links_its_neighbours(write_post: WritePost, client: FlaskClient) -> None:
    for day, title in ((1, "First"), (2, "Second"), (3, "Third")):
        write_post(f"p{day}.md", title=title, date=f"2024-01-0{day}")
    nav = parse(client.get("/posts/p2/")).select_one("nav.post-nav")
    assert [(a["rel"], a.get_text()) for a in nav.select("a")] == [
        (["prev"], "Third"),
        (["next"], "First"),
    ]


def test_the_tag_page(write_post: WritePost, client: FlaskClient) -> None:
    write_post("a.md", title="Tagged", tags='["Essay"]', date="2024-01-02")
    write_post("b.md", title="Not tagged", date="2024-01-03")
    response = client.get("/tags/essay/")
    assert response.status_code == 200
    page = parse(response)
    assert page.title.get_text() == "Posts tagged “Essay” · Marginalia"
    assert page.select_one("#listing-title").get_text() == "Posts tagged “Essay”"
    assert [a.get_text() for a in page.select("ol.post-list h2 a")] == ["Tagged"]
    current = page.select("nav.tag-filter a[aria-current=page]")
    assert [a["href"] for a in current] == ["/tags/essay/"]


def test_tags_page_lists_every_tag_with_its_count(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("a.md", tags='["essay", "python"]')
    write_post("b.md", tags='["Essay"]')
    write_post("c.md", tags='["essay"]')
    page = parse(client.get("/tags/"))
    assert [a.get_text(" ", strip=True) for a in page.select(".tag-cloud a")] == [
        "essay 3 posts",
        "python 1 post",
    ]


def test_several_tags_and_canonical_order(write_post: WritePost, client: FlaskClient) -> None:
    write_post("a.md", title="Both", tags='["essay", "business"]')
    write_post("b.md", title="One", tags='["essay"]')
    page = parse(client.get("/tags/business+essay/"))
    assert [a.get_text() for a in page.select("ol.post-list h2 a")] == ["Both"]
    redirect = client.get("/tags/essay+business/")
    assert (redirect.status_code, redirect.location) == (301, "/tags/business+essay/")


def test_pagination(write_post: WritePost, make_app) -> None:  # type: ignore[no-untyped-def]
    for day in range(1, 6):
        write_post(f"p{day}.md", title=f"Post {day}", date=f"2024-01-0{day}")
    client = make_app(PAGE_SIZE=2).test_client()
    first = parse(client.get("/"))
    assert [a.get_text() for a in first.select("ol.post-list h2 a")] == ["Post 5", "Post 4"]
    assert first.select_one(".pager a[rel=next]")["href"] == "/page/2/"
    third = parse(client.get("/page/3/"))
    assert [a.get_text() for a in third.select("ol.post-list h2 a")] == ["Post 1"]
    assert third.select_one(".pager a[rel=prev]")["href"] == "/page/2/"
    assert client.get("/page/4/").status_code == 404
    assert client.get("/page/1/").location == "/"


def test_wordpress_style_tag_query_redirects_to_the_tag_page(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("a.md", tags='["essay", "business"]')
    assert client.get("/?tag=essay").location == "/tags/essay/"
    assert client.get("/?tag=essay&tag=business").location == "/tags/business+essay/"


def test_drafts_are_not_listed_or_served(write_post: WritePost, make_app) -> None:  # type: ignore[no-untyped-def]
    write_post("wip.md", title="Work in progress", draft="true")
    client = make_app().test_client()
    assert parse(client.get("/")).select("ol.post-list") == []
    assert client.get("/posts/wip/").status_code == 404
    shown = make_app(SHOW_DRAFTS=True).test_client()
    page = parse(shown.get("/posts/wip/"))
    assert page.select_one(".post-header .badge").get_text() == "Draft"


def test_unknown_posts_and_tags_get_a_404_page(write_post: WritePost, client: FlaskClient) -> None:
    write_post("a.md", tags='["essay"]')
    for url in ("/posts/nope/", "/tags/nope/", "/tags/essay+nope/", "/nowhere", "/?tag=nope"):
        response = client.get(url)
        assert response.status_code == 404, url
        page = parse(response)
        assert page.h1.get_text() == "Not found"
        assert page.select_one("a[href='/']") is not None


def test_a_broken_post_never_takes_down_the_site(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("good.md", title="Good")
    write_post("bad.md", text="---\ntitle: [broken\n---\n")
    (write_post("worse.md", text="x")).write_bytes(b"\xff\xfe\x00garbage")
    assert [a.get_text() for a in parse(client.get("/")).select("ol.post-list h2 a")] == ["Good"]
    assert client.get("/posts/good/").status_code == 200
    assert client.get("/posts/bad/").status_code == 404


def test_an_empty_site(client: FlaskClient) -> None:
    page = parse(client.get("/"))
    assert page.select_one(".empty").get_text() == "No posts yet."


def test_the_templates_of_pages_readers_land_on_are_compiled_before_a_server_answers(
    app: Flask,
) -> None:
    environment = app.jinja_env
    assert environment.cache is not None and not environment.cache
    compile_templates(app)
    names = set(environment.list_templates())
    assert COMPILED_ON_FIRST_USE < names  # each left out is still a template
    cached = {template.name for template in environment.cache.values()}
    assert cached == names - COMPILED_ON_FIRST_USE
    assert {"base.html", "macros.html", "pages/post.html", "pages/listing.html"} <= cached


def test_the_tag_row_follows_new_tags_and_the_mount_point(
    write_post: WritePost, make_app: Any
) -> None:
    write_post("one.md", title="One", tags='["essay"]')
    client = make_app(CACHE_TYPE="NullCache").test_client()

    def tag_row(client: Any = client) -> list[str]:
        page = parse(client.get("/tags/essay/"))
        return [link["href"] for link in page.select("nav.tag-filter a")]

    assert tag_row() == ["/", "/tags/essay/"]
    mounted = make_app(CACHE_TYPE="NullCache", SITE_URL="https://example.com/blog")
    assert tag_row(mounted.test_client()) == ["/blog/", "/blog/tags/essay/"]
    write_post("two.md", title="Two", tags='["essay", "business"]')
    assert tag_row() == ["/", "/tags/business/", "/tags/essay/"]
    current = parse(client.get("/tags/business/")).select("nav.tag-filter a[aria-current]")
    assert [link["href"] for link in current] == ["/tags/business/"]


def test_links_follow_each_apps_mount_point(write_post: WritePost, make_app: Any) -> None:
    # Pages build each link once (see urls.page_url_for), for their own app.
    write_post("one.md", title="One", tags='["essay"]')
    at_root = make_app(CACHE_TYPE="NullCache").test_client()
    mounted = make_app(CACHE_TYPE="NullCache", SITE_URL="https://example.com/blog").test_client()

    def links(client: Any) -> list[str]:
        page = parse(client.get("/"))
        return [link["href"] for link in page.select(".site-header a, .post-summary a")]

    expected = ["/", "/", "/archive/", "/tags/", "/posts/one/", "/tags/essay/"]
    for _ in range(2):
        assert links(at_root) == expected
        assert links(mounted) == ["/blog" + href for href in expected]
