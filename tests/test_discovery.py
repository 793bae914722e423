"""How readers find posts: feeds, tag combinations, search, archive and SEO markup."""

from __future__ import annotations

import json
import urllib.robotparser
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from typing import Any

import feedparser
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import HTMX_PARTIAL, WritePost, parse
from webapp.posts import search as search_module

SITE = "https://blog.example"


@pytest.fixture
def site(write_post: WritePost, make_app: Any) -> Flask:
    write_post(
        "boring.md",
        title="The Boring Advantage",
        date="2024-08-08",
        updated="2024-09-01T12:00:00+00:00",
        tags='["essay", "business"]',
        body="""
        **TLDR: boring wins.** Caching is dull.[^1]

        ## One

        ## Two

        ## Three

        ![chart](chart.png) and [a sibling](../pricing/).

        [^1]: See [the essay](https://example.org/essay).
        """,
    )
    write_post(
        "pricing.md",
        title="Pricing",
        date="2024-05-02",
        tags='["business"]',
        body="On pricing the first customer. The boring advantage shows here too.",
    )
    write_post(
        "notes.md",
        title="Notes on caching",
        date="2024-03-01",
        tags='["essay", "python"]',
        body="An lru_cache keyed by text. Nothing about money.",
    )
    write_post("draft.md", title="Secret caching draft", date="2024-01-01", draft="true")
    write_post("future.md", title="Future caching post", date="2099-01-01")
    return make_app(SITE_URL=SITE, FEED_LENGTH=10)


def feed(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200
    # Served as XML, which browsers show with its stylesheet (Chromium shows
    # application/atom+xml as plain text); readers know Atom by its root element.
    assert response.content_type == "application/xml; charset=utf-8"
    assert b'<?xml-stylesheet type="text/css" href="/static/css/feed.css?v=' in response.data
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


# --- feeds -----------------------------------------------------------------


def test_the_site_feed_has_full_posts_with_absolute_urls(site: Flask) -> None:
    parsed = feed(site.test_client(), "/feed.xml")
    assert parsed.feed.title == "Marginalia"
    assert parsed.feed.link == f"{SITE}/"
    assert [e.title for e in parsed.entries] == [
        "The Boring Advantage",
        "Pricing",
        "Notes on caching",
    ]
    first = parsed.entries[0]
    assert first.link == f"{SITE}/posts/boring/"
    assert first.id == f"{SITE}/posts/boring/"
    assert first.published_parsed[:3] == (2024, 8, 8)
    assert first.updated_parsed[:4] == (2024, 9, 1, 12)
    assert parsed.feed.updated_parsed[:4] == (2024, 9, 1, 12)  # the newest change
    assert [t.term for t in first.tags] == ["essay", "business"]
    content = BeautifulSoup(first.content[0].value, "html.parser")
    assert content.select("section.footnotes li")  # the notes travel with the post
    assert content.img["src"] == f"{SITE}/posts/boring/chart.png"
    assert content.find("a", string="a sibling")["href"] == f"{SITE}/posts/pricing/"
    assert content.select_one("a.footnote-ref")["href"] == f"{SITE}/posts/boring/#fn-1"
    assert not any("hx-" in attr for tag in content.find_all(True) for attr in tag.attrs)


def test_tag_and_combination_feeds(site: Flask) -> None:
    client = site.test_client()
    assert [e.title for e in feed(client, "/tags/business/feed.xml").entries] == [
        "The Boring Advantage",
        "Pricing",
    ]
    both = feed(client, "/tags/business+essay/feed.xml")
    assert [e.title for e in both.entries] == ["The Boring Advantage"]
    assert both.feed.link == f"{SITE}/tags/business+essay/"
    assert client.get("/tags/essay+business/feed.xml").location == "/tags/business+essay/feed.xml"
    assert client.get("/tags/nope/feed.xml").status_code == 404


def test_feed_length_is_configurable(write_post: WritePost, make_app: Any) -> None:
    for day in range(1, 6):
        write_post(f"p{day}.md", title=f"Post {day}", date=f"2024-01-0{day}")
    parsed = feed(make_app(FEED_LENGTH=3).test_client(), "/feed.xml")
    assert [e.title for e in parsed.entries] == ["Post 5", "Post 4", "Post 3"]


def test_pages_link_their_feeds(site: Flask) -> None:
    client = site.test_client()
    for url in ("/", "/posts/boring/", "/archive/"):
        links = parse(client.get(url)).select("link[rel=alternate][type='application/atom+xml']")
        assert [link["href"] for link in links] == [f"{SITE}/feed.xml"], url
    links = parse(client.get("/tags/essay/")).select("link[rel=alternate]")
    assert [link["href"] for link in links] == [f"{SITE}/feed.xml", f"{SITE}/tags/essay/feed.xml"]


# --- several tags ---------------------------------------------------------------


def test_a_tag_page_offers_narrower_combinations_with_counts(site: Flask) -> None:
    client = site.test_client()
    page = parse(client.get("/tags/essay/"))
    refine = [(a["href"], a.get_text(" ", strip=True)) for a in page.select("nav.tag-refine a")]
    assert refine == [
        ("/tags/business+essay/", "+ business 1 post"),
        ("/tags/essay+python/", "+ python 1 post"),
    ]
    both = parse(client.get("/tags/business+essay/"))
    assert both.select_one("#listing-title").get_text() == "Posts tagged “business” and “essay”"
    assert [a.get_text() for a in both.select("ol.post-list h2 a")] == ["The Boring Advantage"]
    removals = [
        (a["href"], a.get_text(" ", strip=True)) for a in both.select("nav.tag-refine a.selected")
    ]
    assert removals == [
        ("/tags/essay/", "Remove business ×"),
        ("/tags/business/", "Remove essay ×"),
    ]
    fragment = parse(client.get("/partials/tags/business+essay/", headers=HTMX_PARTIAL))
    assert [a.get_text() for a in fragment.select("ol.post-list h2 a")] == ["The Boring Advantage"]


def test_a_combination_with_no_posts_is_not_a_page(site: Flask) -> None:
    response = site.test_client().get("/tags/business+python/")
    assert response.status_code == 404
    assert "No post has all of these tags." in parse(response).select_one("main").get_text()


# --- search ---------------------------------------------------------------------


def search(client: FlaskClient, query: str) -> BeautifulSoup:
    response = client.get("/search/", query_string={"q": query})
    assert response.status_code == 200
    return parse(response)


def titles(page: BeautifulSoup) -> list[str]:
    return [a.get_text() for a in page.select("ol.results h2 a")]


def test_search_ranks_titles_first_and_highlights_matches(site: Flask) -> None:
    page = search(site.test_client(), "caching")
    # A title match outranks body matches; drafts and scheduled posts never show.
    assert titles(page) == ["Notes on caching", "The Boring Advantage"]
    assert page.select_one("ol.results h2 mark").get_text() == "caching"
    assert "Caching" in [m.get_text() for m in page.select("ol.results .snippet mark")]
    assert page.select_one(".result-count").get_text() == "2 posts match “caching”, best first:"


def test_search_matches_prefixes_phrases_and_tags(site: Flask) -> None:
    client = site.test_client()
    assert titles(search(client, "cach")) == ["Notes on caching", "The Boring Advantage"]
    assert titles(search(client, "pric")) == ["Pricing"]  # still typing
    assert titles(search(client, '"boring advantage"')) == ["The Boring Advantage", "Pricing"]
    assert titles(search(client, '"advantage boring"')) == []
    assert titles(search(client, "python")) == ["Notes on caching"]  # a tag


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unclosed',
        "a AND OR NOT",
        "NEAR(a b)",
        "col:thing",
        "*",
        "-x",
        "(",
        "^",
        "'",
        "ü" * 50,
        "x " * 5000,
        "<script>alert(1)</script>",
        "%00",
        "\\",
        "{}",
        "💥",
    ],
)
def test_any_query_gets_an_answer(site: Flask, query: str) -> None:
    page = search(site.test_client(), query)
    assert page.select_one("#search-results") is not None
    assert "<script>alert" not in str(page.select_one("main"))


def test_search_results_come_a_page_at_a_time(write_post: WritePost, make_app: Any) -> None:
    for day in range(1, 24):
        write_post(f"p{day}.md", title=f"Zebra {day}", date=f"2024-01-{day:02d}")
    client = make_app().test_client()
    first = search(client, "zebra")
    assert len(titles(first)) == 10
    more = first.select_one("#more-results a")
    assert more["href"] == more["data-hx-get"] == "/search/?q=zebra&page=2"
    assert (more["data-hx-select"], more["data-hx-target"]) == ("#result-list > li", "#result-list")
    third = parse(client.get("/search/?q=zebra&page=3"))
    assert len(titles(third)) == 3 and third.select_one("#more-results a") is None
    seen = titles(first) + titles(parse(client.get(more["href"]))) + titles(third)
    assert sorted(seen) == sorted(f"Zebra {day}" for day in range(1, 24))


def test_while_another_worker_builds_the_index_search_says_so(site: Flask, tmp_path: Any) -> None:
    import sqlite3

    assert not site.extensions["blog"].search_index.ready  # created, never synced here
    client = site.test_client()
    other_worker = sqlite3.connect(site.config["SEARCH_INDEX"], isolation_level=None)
    other_worker.execute("BEGIN IMMEDIATE")  # writing, as a worker building the index would
    try:
        response = client.get("/search/?q=caching")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert "still being built" in parse(response).select_one(".result-count").get_text()
    finally:
        other_worker.execute("ROLLBACK")
        other_worker.close()
    assert titles(search(client, "caching")) == ["Notes on caching", "The Boring Advantage"]


def test_the_index_is_built_in_the_background_after_the_first_answer(
    write_post: WritePost, make_app: Any
) -> None:
    import time

    write_post("a.md", title="Quokka facts")
    app = make_app(INDEX_ON_START=True)
    index = app.extensions["blog"].search_index
    time.sleep(0.5)
    assert not index.ready  # not competing with the first answer
    assert app.test_client().get("/").status_code == 200
    deadline = time.monotonic() + 20
    while not index.ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.ready
    assert titles(search(app.test_client(), "quokka")) == ["Quokka facts"]


def test_search_as_you_type_fragment(site: Flask) -> None:
    client = site.test_client()
    response = client.get("/partials/search/?q=pricing", headers=HTMX_PARTIAL)
    assert response.status_code == 200
    assert response.headers["HX-Replace-Url"] == "/search/?q=pricing"
    fragment = parse(response)
    assert fragment.html is None
    assert fragment.section["id"] == "search-results"
    assert titles(fragment) == ["Pricing"]
    assert client.get("/partials/search/?q=pricing").location == "/search/?q=pricing"


def test_the_search_form_works_without_javascript(site: Flask) -> None:
    form = parse(site.test_client().get("/search/")).select_one("form.search-form")
    assert (form["action"], form["method"]) == ("/search/", "get")
    assert form.select_one("input[name=q]")["id"] == form.select_one("label")["for"]
    assert form["data-hx-get"] == "/partials/search/"
    assert "delay:" in form["data-hx-trigger"]


def test_the_index_follows_edits_reindexing_only_what_changed(
    site: Flask, write_post: WritePost, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = site.test_client()
    assert titles(search(client, "caching")) == ["Notes on caching", "The Boring Advantage"]
    indexed: list[str] = []
    real = search_module.plain_text

    def counting(markdown: str) -> str:
        indexed.append(markdown)
        return real(markdown)

    monkeypatch.setattr(search_module, "plain_text", counting)
    write_post("notes.md", title="Notes on memoising", date="2024-03-01", body="Zebras.")
    assert titles(search(client, "zebras")) == ["Notes on memoising"]
    assert titles(search(client, "lru_cache")) == []
    assert indexed == ["Zebras."]


# --- browsing -------------------------------------------------------------------


def test_archive_by_year_and_month(site: Flask) -> None:
    page = parse(site.test_client().get("/archive/"))
    years = [h2.get_text() for h2 in page.select(".archive-year h2")]
    months = [h3.get_text() for h3 in page.select(".archive-year h3")]
    assert (years, months) == (["2024"], ["August", "May", "March"])
    assert [a.get_text() for a in page.select(".archive-year li a")] == [
        "The Boring Advantage",
        "Pricing",
        "Notes on caching",
    ]


def test_a_long_post_has_contents_reading_time_and_related_posts(site: Flask) -> None:
    page = parse(site.test_client().get("/posts/boring/"))
    assert [a["href"] for a in page.select("nav.toc a")] == ["#one", "#two", "#three"]
    assert (
        page.select_one(".post-header .post-meta").get_text(" ", strip=True).endswith("1 min read")
    )
    # One tag in common each, the newer first; "Pricing", the next post, is
    # linked as such and not repeated among the related.
    assert "Pricing" in [a.get_text() for a in page.select(".post-nav a")]
    assert [a.get_text() for a in page.select("aside.related a")] == ["Notes on caching"]
    short = parse(site.test_client().get("/posts/pricing/"))
    assert short.select("nav.toc") == []


# --- SEO ------------------------------------------------------------------------


def test_sitemap_lists_every_page_with_absolute_urls(site: Flask) -> None:
    response = site.test_client().get("/sitemap.xml")
    assert response.content_type == "application/xml; charset=utf-8"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(response.data)
    entries = {
        url.findtext("s:loc", namespaces=ns): url.findtext("s:lastmod", namespaces=ns)
        for url in root.findall("s:url", ns)
    }
    assert entries[f"{SITE}/posts/boring/"] == "2024-09-01T12:00:00+00:00"
    assert f"{SITE}/posts/pricing/" in entries and f"{SITE}/tags/python/" in entries
    assert not any("draft" in url or "future" in url for url in entries)
    for modified in filter(None, entries.values()):
        datetime.fromisoformat(modified)


def test_the_sitemap_renders_no_post_body(site: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crawler's first request is often the sitemap: it must not wait for every body."""
    rendered: list[str] = []
    renderer = site.extensions["blog"].renderer
    monkeypatch.setattr(renderer, "render", lambda body: rendered.append(body))
    assert site.test_client().get("/sitemap.xml").status_code == 200
    assert rendered == []


def test_robots_txt(site: Flask) -> None:
    text = site.test_client().get("/robots.txt").get_data(as_text=True)
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    assert robots.can_fetch("*", f"{SITE}/posts/boring/")
    assert not robots.can_fetch("*", f"{SITE}/partials/tags/essay/")
    assert not robots.can_fetch("*", f"{SITE}/search/?q=x")
    assert robots.site_maps() == [f"{SITE}/sitemap.xml"]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/", "/"),
        ("/?utm_source=x", "/"),
        ("/tags/essay/", "/tags/essay/"),
        ("/posts/boring/", "/posts/boring/"),
        ("/archive/", "/archive/"),
        ("/search/?q=caching", "/search/"),
        ("/tags/", "/tags/"),
    ],
)
def test_every_page_has_a_canonical_link_and_card(site: Flask, url: str, canonical: str) -> None:
    page = parse(site.test_client().get(url))
    assert page.select_one("link[rel=canonical]")["href"] == SITE + canonical
    meta = {
        tag.get("property") or tag.get("name"): tag["content"]
        for tag in page.select("meta[content]")
    }
    assert meta["og:url"] == SITE + canonical
    assert meta["og:title"] and meta["og:description"] and meta["twitter:card"] == "summary"


def test_post_markup_for_previews_and_search_engines(site: Flask) -> None:
    page = parse(site.test_client().get("/posts/boring/"))
    meta = {
        tag.get("property") or tag.get("name"): tag["content"]
        for tag in page.select("meta[content]")
    }
    assert meta["og:type"] == "article"
    assert meta["og:title"] == "The Boring Advantage"
    assert meta["og:description"] == "TLDR: boring wins. Caching is dull."
    assert meta["article:published_time"] == "2024-08-08T00:00:00+00:00"
    data = json.loads(page.select_one("script[type='application/ld+json']").string)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "The Boring Advantage"
    assert data["url"] == data["mainEntityOfPage"]["@id"] == f"{SITE}/posts/boring/"
    assert datetime.fromisoformat(data["datePublished"]) == datetime(2024, 8, 8, tzinfo=UTC)
    assert datetime.fromisoformat(data["dateModified"]) == datetime(2024, 9, 1, 12, tzinfo=UTC)
    assert data["keywords"] == ["essay", "business"]
    search_page = parse(site.test_client().get("/search/?q=x"))
    assert search_page.select_one("meta[name=robots]")["content"] == "noindex"
