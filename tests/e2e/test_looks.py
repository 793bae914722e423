"""How pages look: the column, the standfirst, listings, code blocks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SCREENSHOTS

POST = "/posts/the-boring-advantage/"

# Each test drives Chromium against a real server.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("width", [390, 1280])
def test_the_footer_lines_up_with_the_column(page: Page, site: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site + POST)
    main = page.locator("main").bounding_box()
    footer = page.locator(".site-footer").bounding_box()
    assert main is not None and footer is not None
    assert (round(footer["x"]), round(footer["width"])) == (round(main["x"]), round(main["width"]))


def test_a_bold_first_paragraph_is_set_as_a_standfirst(page: Page, site: str) -> None:
    page.goto(site + POST)
    style = page.locator(".post-body > p").first.evaluate(
        """p => ({size: parseFloat(getComputedStyle(p).fontSize),
                  weight: getComputedStyle(p.querySelector('strong')).fontWeight,
                  rule: getComputedStyle(p).borderBottomStyle})"""
    )
    body = (
        page.locator(".post-body > p")
        .nth(1)
        .evaluate("p => parseFloat(getComputedStyle(p).fontSize)")
    )
    assert style["size"] > body * 1.1
    assert style["weight"] == "400"  # an introduction, not shouting
    assert style["rule"] == "solid"


def test_listing_summaries_do_not_start_with_a_tldr_label(page: Page, site: str) -> None:
    page.goto(site + "/tags/essay/")
    summaries = page.locator(".post-summary .summary").all_inner_texts()
    assert summaries
    for summary in summaries:
        assert not summary.upper().startswith(("TLDR", "TL;DR")), summary
        assert summary[0].isupper(), summary


CODE_POST = "/posts/a-tiny-cache-in-python/"


def stylesheets(page: Page) -> list[str]:
    return page.locator("link[rel=stylesheet]").evaluate_all("links => links.map(l => l.href)")


def test_syntax_colours_load_only_on_pages_with_code(page: Page, site: str) -> None:
    for path in ("/", POST, "/tags/"):
        page.goto(site + path)
        assert not any("highlight.css" in href for href in stylesheets(page)), path
    page.goto(site + CODE_POST)
    assert any("highlight.css" in href for href in stylesheets(page))


def test_a_code_block_has_a_copy_button(make_page, site: str) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page.goto(site + CODE_POST)
    block = page.locator(".post-body .highlight").first
    button = block.get_by_role("button", name="Copy code")
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == block.locator("pre code").inner_text().rstrip("\n")
    assert "@lru_cache(maxsize=1024)" in copied


def test_a_code_block_wider_than_the_column_shows_it_scrolls(make_page, site: str) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(viewport={"width": 390, "height": 844})
    page.goto(site + CODE_POST)
    wide = page.locator(".post-body pre[data-scrolls]").first
    expect(wide).to_be_attached()
    # The shaded edge is there until the end is reached, and the keyboard can scroll it.
    shade = wide.evaluate("e => getComputedStyle(e).backgroundImage")
    assert "gradient" in shade
    assert wide.get_attribute("tabindex") == "0"
    wide.focus()
    page.keyboard.press("End")
    wide.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    expect(wide).to_have_attribute("data-at-end", "")
    assert "gradient" not in wide.evaluate("e => getComputedStyle(e).backgroundImage")


def test_subscribe_opens_a_styled_feed_that_says_what_a_feed_is(page: Page, site: str) -> None:
    page.goto(site + "/")
    page.locator(".site-footer a", has_text="Subscribe").click()
    expect(page).to_have_url(site + "/feed.xml")
    root = page.evaluate(
        """() => ({tag: document.documentElement.tagName,
                   display: getComputedStyle(document.documentElement).display,
                   note: getComputedStyle(document.documentElement, '::before').content,
                   content: [...document.querySelectorAll('entry > content')]
                       .every(e => getComputedStyle(e).display === 'none')})"""
    )
    assert root["tag"] == "feed" and root["display"] == "block", root
    assert "web feed" in root["note"] and "feed reader" in root["note"], root
    assert root["content"], root  # escaped HTML is not shown as text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "feed.png"))


def test_tag_labels_are_shown_in_one_case(page: Page, site: str) -> None:
    page.goto(site + "/")
    labels = page.locator("#listing a.tag").all_inner_texts()
    assert any("business" in label for label in labels)  # written "Business" in a post
    assert all(label == label.lower() for label in labels), labels
