"""What readers see around the posts: navigation, related posts, the not-found page."""

from __future__ import annotations

from typing import Any

from tests.conftest import WritePost, parse


def test_the_nav_marks_the_current_page(write_post: WritePost, client: Any) -> None:
    write_post("a.md", title="Alpha", tags='["essay"]')
    for url, current in (
        ("/", "Posts"),
        ("/tags/essay/", "Posts"),
        ("/archive/", "Archive"),
        ("/tags/", "Tags"),
        ("/posts/a/", None),
    ):
        marked = parse(client.get(url)).select(".site-nav a[aria-current]")
        assert [a.get_text() for a in marked] == ([current] if current else []), url
    assert (
        parse(client.get("/archive/")).select_one(".site-nav [aria-current]")["aria-current"]
        == "page"
    )


def test_related_posts_leave_out_the_newer_and_older_ones(
    write_post: WritePost, client: Any
) -> None:
    for day, title in enumerate(("One", "Two", "Three", "Four"), start=1):
        write_post(f"p{day}.md", title=title, tags='["essay"]', date=f"2024-01-0{day}")
    page = parse(client.get("/posts/p2/"))
    neighbours = {a.get_text() for a in page.select(".post-nav a")}
    related = {a.get_text() for a in page.select(".related a")}
    assert neighbours == {"One", "Three"}
    assert related == {"Four"}


def test_the_not_found_page_offers_the_nearest_posts_and_a_search(
    write_post: WritePost, client: Any
) -> None:
    write_post("boring.md", title="The Boring Advantage", slug="the-boring-advantage")
    write_post("other.md", title="Pricing the First Customer")
    response = client.get("/posts/the-borin-advantage/")
    assert response.status_code == 404
    page = parse(response)
    assert [a["href"] for a in page.select(".nearest a")] == ["/posts/the-boring-advantage/"]
    form = page.select_one("main form[role=search]")
    assert form["action"] == "/search/"
    assert form.select_one("input[name=q]")["value"] == "the borin advantage"
    nothing = parse(client.get("/zzzz/qqqq/"))
    assert nothing.select(".nearest a") == []
    assert nothing.select_one("main form[role=search] input")["value"] == "zzzz qqqq"
