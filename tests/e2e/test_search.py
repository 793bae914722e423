"""Search from any page, for code as it was written, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

CACHE_POST = "A Tiny Cache, and When Not to Use It"

# Each test drives Chromium against a real server.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("query", ["lru_cache", "cache_info", "lru cache", "caches"])
def test_the_header_box_finds_identifiers_as_typed_and_by_their_parts(
    page: Page, site: str, query: str
) -> None:
    page.goto(site + "/posts/the-boring-advantage/")
    # "/" jumps to the search box from anywhere on the page.
    page.locator("main").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    box = page.locator("header [data-search-box]")
    expect(box).to_be_focused()
    page.keyboard.type(query)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    results = page.locator("ol.results > li")
    expect(results.first.locator("h2 a")).to_have_text(CACHE_POST)
    count = page.locator(".result-count").inner_text()
    assert re.match(rf"\d+ posts? match(es)? “{re.escape(query)}”", count), count
    assert int(count.split()[0]) == results.count()
    # Each result shows its tags, and a snippet that reads as prose.
    expect(results.first.locator("ul.tags a", has_text="python")).to_be_visible()
    snippet = results.first.locator(".snippet").inner_text()
    assert "@lru_cache" not in snippet and "markdowntohtml" not in snippet


def test_typing_a_prefix_of_an_identifier_finds_it(page: Page, site: str) -> None:
    page.goto(site + "/search/")
    page.locator("#search-query").press_sequentially("lru_ca", delay=40)
    expect(page.locator("ol.results h2 a").first).to_have_text(CACHE_POST)
    expect(page.locator("ol.results mark").first).to_contain_text("lru_ca")
