"""How pages look: the column, the standfirst, listings, code blocks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

POST = "/posts/the-boring-advantage/"


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
