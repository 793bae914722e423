"""htmx fragments: what htmx gets, what everyone else gets, and the headers."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import HTMX_PARTIAL, WritePost, parse

BOOSTED = {"HX-Request": "true", "HX-Request-Type": "full", "HX-Boosted": "true"}
HISTORY_RESTORE = {"HX-History-Restore-Request": "true", "HX-Request-Type": "full"}


def setup_posts(write_post: WritePost) -> None:
    write_post(
        "a.md",
        title="Alpha",
        tags='["essay"]',
        date="2024-01-01",
        body="Text.[^1] More.[^note]\n\n[^1]: https://example.com/a\n[^note]: See [b](https://b.example).",
    )
    write_post("b.md", title="Beta", tags='["business"]', date="2024-01-02")


def test_tag_fragment_is_the_listing_alone(write_post: WritePost, client: FlaskClient) -> None:
    setup_posts(write_post)
    response = client.get("/partials/tags/essay/", headers=HTMX_PARTIAL)
    assert response.status_code == 200
    assert {"HX-Request", "HX-Request-Type"} <= set(response.vary)
    text = response.get_data(as_text=True)
    assert "<html" not in text and "<body" not in text
    fragment = parse(response)
    assert [tag.name for tag in fragment.find_all(recursive=False)] == ["title", "section"]
    assert fragment.title.get_text() == "Posts tagged “essay” · Marginalia"
    assert fragment.section["id"] == "listing"
    assert [a.get_text() for a in fragment.select("ol.post-list h2 a")] == ["Alpha"]
    assert fragment.select_one("a[aria-current=page]")["href"] == "/tags/essay/"


def test_index_fragment_restores_the_full_list(write_post: WritePost, client: FlaskClient) -> None:
    setup_posts(write_post)
    fragment = parse(client.get("/partials/", headers=HTMX_PARTIAL))
    assert [a.get_text() for a in fragment.select("ol.post-list h2 a")] == ["Beta", "Alpha"]


def test_a_fragment_url_without_htmx_redirects_to_its_page(
    write_post: WritePost, client: FlaskClient
) -> None:
    setup_posts(write_post)
    cases = {
        "/partials/": "/",
        "/partials/tags/essay/": "/tags/essay/",
        "/posts/a/footnotes/1/": "/posts/a/#fn-1",
    }
    for headers in ({}, {"HX-Request": "true"}, BOOSTED, HISTORY_RESTORE):
        for url, page in cases.items():
            response = client.get(url, headers=headers)
            assert (response.status_code, response.location) == (303, page), (url, headers)
            assert {"HX-Request", "HX-Request-Type"} <= set(response.vary)


def test_page_urls_answer_with_the_page_for_boosts_and_history_restores(
    write_post: WritePost, client: FlaskClient
) -> None:
    setup_posts(write_post)
    for headers in (BOOSTED, HISTORY_RESTORE):
        page = parse(client.get("/tags/essay/", headers=headers))
        assert page.html is not None and page.select_one("body #listing") is not None


def test_footnote_fragment(write_post: WritePost, client: FlaskClient) -> None:
    setup_posts(write_post)
    response = client.get("/posts/a/footnotes/note/", headers=HTMX_PARTIAL)
    assert response.status_code == 200
    assert {"HX-Request", "HX-Request-Type"} <= set(response.vary)
    fragment = parse(response)
    assert fragment.html is None
    assert " ".join(fragment.select_one(".footnote-text").get_text().split()) == "See b."
    assert fragment.select_one(".footnote-text a")["href"] == "https://b.example"
    assert fragment.select_one(".footnote-jump a")["href"] == "#fn-note"
    assert fragment.select(".footnote-backref") == []


def test_every_reference_names_a_fragment_that_exists(
    write_post: WritePost, client: FlaskClient
) -> None:
    setup_posts(write_post)
    page = parse(client.get("/posts/a/"))
    refs = page.select("a.footnote-ref")
    assert len(refs) == 2
    for ref in refs:
        url = "/posts/a/" + ref["data-hx-get"]  # relative to the post's own URL
        assert client.get(url, headers=HTMX_PARTIAL).status_code == 200


def test_an_unknown_note_is_a_404_fragment(write_post: WritePost, client: FlaskClient) -> None:
    setup_posts(write_post)
    for url in ("/posts/a/footnotes/9/", "/posts/nope/footnotes/1/"):
        response = client.get(
            url, headers={**HTMX_PARTIAL, "HX-Target": "div#footnote-popover-content"}
        )
        assert response.status_code == 404
        fragment = parse(response)
        assert fragment.html is None
        assert fragment.select_one(".fragment-error").get_text() == "This note does not exist."


def test_an_unknown_tag_fragment_keeps_the_listing_in_place(
    write_post: WritePost, client: FlaskClient
) -> None:
    setup_posts(write_post)
    response = client.get(
        "/partials/tags/nope/", headers={**HTMX_PARTIAL, "HX-Target": "section#listing"}
    )
    assert response.status_code == 404
    fragment = parse(response)
    assert fragment.section["id"] == "listing"
    assert fragment.select_one("#listing-title").get_text() == "Not found"


def test_more_posts_appends_the_next_page(write_post: WritePost, make_app) -> None:  # type: ignore[no-untyped-def]
    for day in range(1, 6):
        write_post(f"p{day}.md", title=f"Post {day}", tags='["essay"]', date=f"2024-01-0{day}")
    client = make_app(PAGE_SIZE=2).test_client()
    fragment = parse(client.get("/partials/tags/essay/", headers=HTMX_PARTIAL))
    more = fragment.select_one("#more-posts a[rel=next]")
    # Everyone gets a link to page 2; htmx fetches the URL showing pages 1 and 2
    # (which it pushes, so reload and Back show what was on screen) and takes
    # page 2's posts from it.
    assert more["href"] == "/tags/essay/page/2/"
    assert more["data-hx-get"] == "/tags/essay/?to=2"
    assert more["data-hx-push-url"] == "true"
    assert more["data-hx-target"] == "#post-list"
    assert more["data-hx-swap"] == "beforeend ignoreTitle:true"
    both = parse(client.get(more["data-hx-get"], headers=HTMX_PARTIAL))
    assert [a.get_text() for a in both.select("ol.post-list h2 a")] == [
        f"Post {n}" for n in (5, 4, 3, 2)
    ]
    items = both.select(more["data-hx-select"])
    assert [item.select_one("h2 a").get_text() for item in items] == ["Post 3", "Post 2"]
    next_more = both.select_one(more["data-hx-select-oob"] + " a")
    assert next_more["href"] == "/tags/essay/page/3/"
    assert next_more["data-hx-get"] == "/tags/essay/?to=3"
    last = parse(client.get("/tags/essay/page/3/"))
    assert last.select_one("#more-posts").find("a") is None  # nothing more to load
    newer = last.select_one(".pager a[rel=prev]")
    assert (newer["href"], newer["data-hx-get"]) == (
        "/tags/essay/page/2/",
        "/partials/tags/essay/page/2/",
    )
    # Starting from page 2, the URL keeps the first page shown.
    second = parse(client.get("/tags/essay/page/2/"))
    assert second.select_one("#listing-title").get_text() == "Posts tagged “essay”, page 2"
    assert second.select_one("#more-posts a")["data-hx-get"] == "/tags/essay/page/2/?to=3"
    both = parse(client.get("/tags/essay/page/2/?to=3"))
    assert both.select_one("#listing-title").get_text() == "Posts tagged “essay”, pages 2–3"
    assert [a.get_text() for a in both.select("ol.post-list h2 a")] == [
        "Post 3",
        "Post 2",
        "Post 1",
    ]
    assert client.get("/tags/essay/?to=4").status_code == 404
    assert client.get("/tags/essay/page/2/?to=1").status_code == 404


LISTINGS = ["/", "/page/2/", "/tags/essay/", "/tags/essay/page/2/", "/tags/business+essay/"]


def test_a_listing_has_one_title_as_a_page_and_as_a_fragment(
    write_post: WritePost, make_app
) -> None:  # type: ignore[no-untyped-def]
    for day in range(1, 6):
        tags = '["essay", "business"]' if day % 2 else '["essay"]'
        write_post(f"p{day}.md", title=f"Post {day}", tags=tags, date=f"2024-01-0{day}")
    client = make_app(PAGE_SIZE=2).test_client()
    seen = set()
    for url in LISTINGS:
        page = parse(client.get(url))
        fragment = parse(client.get("/partials" + url, headers=HTMX_PARTIAL))
        assert fragment.title.get_text() == page.title.get_text(), url
        seen.add(page.title.get_text())
    assert len(seen) == len(LISTINGS)  # and each page's is its own
    assert parse(client.get("/")).title.get_text() == "Marginalia"
    assert parse(client.get("/page/2/")).title.get_text() == "All posts, page 2 · Marginalia"


def test_search_has_one_title_as_a_page_and_as_a_fragment(
    write_post: WritePost, client: FlaskClient
) -> None:
    setup_posts(write_post)
    for query in ("", "alpha", "nothing-matches"):
        page = parse(client.get("/search/", query_string={"q": query}))
        fragment = parse(
            client.get("/partials/search/", query_string={"q": query}, headers=HTMX_PARTIAL)
        )
        assert fragment.title.get_text() == page.title.get_text(), query


def test_a_query_string_never_changes_what_the_plain_url_serves(
    write_post: WritePost, make_app
) -> None:  # type: ignore[no-untyped-def]
    for day in range(1, 6):
        write_post(f"p{day}.md", title=f"Post {day}", date=f"2024-01-0{day}")
    client = make_app(PAGE_SIZE=2, CACHE_TYPE="SimpleCache").test_client()
    titles = lambda url: [a.get_text() for a in parse(client.get(url)).select("ol.post-list h2 a")]  # noqa: E731
    assert titles("/?to=3") == [f"Post {n}" for n in (5, 4, 3, 2, 1)]
    assert titles("/") == ["Post 5", "Post 4"]
    assert titles("/?to=2") == ["Post 5", "Post 4", "Post 3", "Post 2"]
