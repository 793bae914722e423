"""Tag filtering and footnote popovers, in a real browser against the real server."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import POPOVER_CLOSED, POPOVER_OPEN, PageProblems

POST = "/posts/the-boring-advantage/"

# Each test drives Chromium against a real server.
pytestmark = pytest.mark.slow


MakePage = Callable[..., tuple[Page, PageProblems]]


def titles(page: Page) -> list[str]:
    return page.locator("ol.post-list h2 a").all_inner_texts()


def note_text(page: Page, note_id: str) -> str:
    """A note's text as the list at the end of the post shows it, without its back link."""
    return page.evaluate(
        """(id) => {
            const item = document.getElementById(id).cloneNode(true);
            item.querySelectorAll('.footnote-backref').forEach(a => a.remove());
            return item.textContent.replace(/\\s+/g, ' ').trim();
        }""",
        note_id,
    )


def popover_text(page: Page) -> str:
    text = page.inner_text("#footnote-popover-content .footnote-text")
    return re.sub(r"\s+", " ", text).strip()


def active_description(page: Page) -> str:
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return e.tagName + (e.id ? '#' + e.id : '') + ':' + e.textContent.trim(); })()"
    )


# --- tag filtering ---------------------------------------------------------


def test_tag_filter_swaps_the_list_in_place_and_history_restores_it(page: Page, site: str) -> None:
    page.goto(site + "/")
    everything = titles(page)
    page.evaluate("window.noReload = 'still here'")

    page.locator("nav.tag-filter a", has_text="essay").click()
    expect(page).to_have_url(site + "/tags/essay/")
    expect(page.locator("#listing-title")).to_have_text("Posts tagged “essay”")
    expect(page).to_have_title("Posts tagged “essay” · Marginalia")
    essays = titles(page)
    assert 0 < len(essays) < len(everything)
    assert page.evaluate("window.noReload") == "still here"
    expect(page.locator("#listing-title")).to_be_focused()

    page.locator("nav.tag-filter a", has_text="writing").click()
    expect(page).to_have_url(site + "/tags/writing/")
    writing = titles(page)
    assert writing != essays

    page.go_back()
    expect(page).to_have_url(site + "/tags/essay/")
    expect(page.locator("#listing-title")).to_have_text("Posts tagged “essay”")
    assert titles(page) == essays
    page.go_back()
    expect(page).to_have_url(site + "/")
    expect(page.locator("#listing-title")).to_have_text("All posts")
    assert titles(page) == everything
    page.go_forward()
    expect(page).to_have_url(site + "/tags/essay/")
    expect(page.locator("#listing-title")).to_have_text("Posts tagged “essay”")
    assert titles(page) == essays
    assert page.evaluate("window.noReload") == "still here"

    # Tags on a post in the list filter the same way.
    page.locator("ol.post-list ul.tags a", has_text="python").first.click()
    expect(page).to_have_url(site + "/tags/python/")
    assert page.evaluate("window.noReload") == "still here"


def test_without_javascript_tag_links_are_plain_links(make_page: MakePage, site: str) -> None:
    page, _ = make_page(java_script_enabled=False)
    page.goto(site + "/")
    page.locator("nav.tag-filter a", has_text="essay").click()
    expect(page).to_have_url(site + "/tags/essay/")
    expect(page.locator("#listing-title")).to_have_text("Posts tagged “essay”")
    page.locator("nav.tag-filter a", has_text="All posts").click()
    expect(page).to_have_url(site + "/")
    for href in page.locator("#listing a.tag").evaluate_all("links => links.map(a => a.href)"):
        assert page.request.get(href).status == 200


def test_more_posts_appends_moves_focus_and_leaves_a_url_that_shows_the_same(
    page: Page, site: str
) -> None:
    page.goto(site + "/")
    first_page = titles(page)
    assert len(first_page) == 5
    page.evaluate("window.noReload = 'still here'")
    page.locator("#more-posts a", has_text="More posts").press("Enter")
    expect(page.locator("#post-list > li")).to_have_count(6)
    assert titles(page)[:5] == first_page
    everything = titles(page)
    # Focus moves to the first new post, so Tab goes on from there.
    expect(page.locator("#post-list > li").nth(5).locator("h2 a")).to_be_focused()
    # The address reproduces the screen: reload shows the same posts.
    expect(page).to_have_url(site + "/?to=2")
    expect(page).to_have_title("Marginalia")
    expect(page.locator("#more-posts a")).to_have_count(0)  # that was the last page
    assert page.evaluate("window.noReload") == "still here"
    page.go_back()
    expect(page).to_have_url(site + "/")
    expect(page.locator("#post-list > li")).to_have_count(5)
    page.go_forward()
    expect(page).to_have_url(site + "/?to=2")
    expect(page.locator("#post-list > li")).to_have_count(6)
    page.reload()
    assert titles(page) == everything
    # The new posts' tags filter in place like the others.
    page.evaluate("window.noReload = 'still here'")
    page.locator("#post-list > li").nth(5).locator("ul.tags a").first.click()
    expect(page.locator("#listing-title")).to_contain_text("Posts tagged")
    assert page.evaluate("window.noReload") == "still here"


@pytest.mark.parametrize("modifier", ["Control", "Shift"])
@pytest.mark.parametrize(
    ("start", "link", "opens"),
    [
        ("/", "nav.tag-filter a:has-text('essay')", "/tags/essay/"),
        ("/", "#more-posts a", "/page/2/"),
        ("/page/2/", ".pager a[rel=prev]", "/"),
    ],
)
def test_modified_clicks_open_a_new_tab_or_window(
    page: Page, site: str, modifier: str, start: str, link: str, opens: str
) -> None:
    page.goto(site + start)
    before = titles(page)
    with page.context.expect_page() as opened:
        page.locator(link).click(modifiers=[modifier])  # type: ignore[list-item]
    new = opened.value
    new.wait_for_load_state()
    assert new.url == site + opens
    # The page clicked on stays as it was.
    assert page.url == site + start
    assert titles(page) == before
    new.close()


def test_tag_filtering_on_a_slow_connection_shows_it_is_loading_and_the_row_stays(
    page: Page, site: str
) -> None:
    held: list[Route] = []
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(site + "/")
        page.route("**/partials/tags/**", lambda route: held.append(route))
        tag = page.locator("nav.tag-filter a", has_text="engineering")
        before = tag.bounding_box()
        tag.click()
        expect(page.locator("#listing")).to_have_attribute("aria-busy", "true")
        page.wait_for_timeout(400)  # past the CSS delay before the list dims
        assert float(page.locator("#post-list").evaluate("e => getComputedStyle(e).opacity")) < 1
        assert page.locator("a.htmx-request", has_text="engineering").count() == 1
        while held:
            held.pop().continue_()
        page.unroute("**/partials/tags/**")
        expect(page).to_have_url(site + "/tags/engineering/")
        expect(page.locator("#listing")).not_to_have_attribute("aria-busy", "true")
        after = page.locator("nav.tag-filter a", has_text="engineering").bounding_box()
        assert before is not None and after is not None
        assert (after["x"], after["y"]) == (before["x"], before["y"]), width


def test_without_javascript_more_posts_is_a_link(make_page: MakePage, site: str) -> None:
    page, _ = make_page(java_script_enabled=False)
    page.goto(site + "/")
    page.locator("#more-posts a").click()
    expect(page).to_have_url(site + "/page/2/")
    assert len(titles(page)) == 1


# --- search --------------------------------------------------------------------


def test_search_updates_as_you_type(page: Page, site: str) -> None:
    page.goto(site + "/search/")
    page.evaluate("window.noReload = 'still here'")
    box = page.locator("#search-query")
    box.press_sequentially("footnot", delay=40)
    expect(page.locator("#search-results .result-count")).to_contain_text("“footnot”")
    results = page.locator("ol.results h2 a")
    expect(results.first).to_have_text("Footnotes Are a Conversation")
    expect(page.locator("ol.results mark").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search/\?q=footnot$"))
    assert page.evaluate("window.noReload") == "still here"
    expect(box).to_be_focused()  # typing is never interrupted

    box.fill("zzzz nothing matches")
    expect(page.locator("#search-results .result-count")).to_have_text(
        "No posts match “zzzz nothing matches”."
    )
    page.go_back()  # the address was replaced while typing, not pushed
    expect(page).not_to_have_url(re.compile(r"/search/"))


def test_search_without_javascript_submits_the_form(make_page: MakePage, site: str) -> None:
    page, _ = make_page(java_script_enabled=False)
    page.goto(site + "/search/")
    page.locator("#search-query").fill("boring")
    page.locator("form.search-form button").click()
    expect(page).to_have_url(site + "/search/?q=boring")
    expect(page.locator("ol.results h2 a").first).to_have_text("The Boring Advantage")


# --- footnote popovers -------------------------------------------------------


def test_hover_opens_the_note_after_a_delay_and_it_stays_while_hovered(
    page: Page, site: str
) -> None:
    page.goto(site + POST)
    ref = page.locator("#fnref-1 a")
    expect(ref).to_have_attribute("aria-expanded", "false")
    page.evaluate(
        """() => {
            const ref = document.querySelector('#fnref-1 a');
            ref.addEventListener('pointerover', () => {
                window.hoveredAt = performance.now();
            }, {once: true});
            document.getElementById('footnote-popover').addEventListener('toggle', (e) => {
                if (e.newState === 'open') window.openedAt = performance.now();
            }, {once: true});
        }"""
    )
    ref.hover()
    page.wait_for_function(POPOVER_OPEN)
    assert page.evaluate("window.openedAt - window.hoveredAt") >= 250  # not on a mere pass-over
    assert popover_text(page) == note_text(page, "fn-1")
    expect(ref).to_have_attribute("aria-expanded", "true")
    expect(ref).to_have_attribute("aria-controls", "footnote-popover")
    popover = page.locator("#footnote-popover")
    expect(popover).to_have_attribute("role", "dialog")

    # The pointer travels from the reference into the note: it stays open.
    popover.locator(".footnote-text a").hover()
    page.wait_for_timeout(800)
    assert page.evaluate(POPOVER_OPEN)

    # Leaving both closes it, after a moment.
    page.mouse.move(5, 5)
    page.wait_for_function(POPOVER_CLOSED)
    expect(ref).to_have_attribute("aria-expanded", "false")


def test_links_inside_the_note_are_clickable(page: Page, site: str) -> None:
    page.goto(site + POST)
    page.locator("#fnref-1 a").hover()
    page.wait_for_function(POPOVER_OPEN)
    link = page.locator("#footnote-popover .footnote-text a")
    href = link.get_attribute("href")
    link.click()
    expect(page).to_have_url(href)


def test_keyboard_focus_opens_the_note_tab_enters_it_escape_returns(page: Page, site: str) -> None:
    page.goto(site + POST)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('a.footnote-ref')"):
            break
    ref = page.locator("a.footnote-ref").first
    expect(ref).to_be_focused()
    page.wait_for_function(POPOVER_OPEN)
    assert popover_text(page) == note_text(page, "fn-1")

    page.keyboard.press("Tab")  # into the note's own link
    assert page.evaluate(
        "document.getElementById('footnote-popover').contains(document.activeElement)"
    )
    page.keyboard.press("Escape")
    page.wait_for_function(POPOVER_CLOSED)
    expect(ref).to_be_focused()
    expect(ref).to_have_attribute("aria-expanded", "false")


def test_click_outside_closes_and_returns_focus(page: Page, site: str) -> None:
    page.goto(site + POST)
    ref = page.locator("#fnref-mckinley a")
    ref.click()
    page.wait_for_function(POPOVER_OPEN)
    assert popover_text(page) == note_text(page, "fn-mckinley")
    page.locator("h1").click()
    page.wait_for_function(POPOVER_CLOSED)
    expect(ref).to_be_focused()
    assert page.url == site + POST  # the click opened the note instead of jumping


def test_tap_on_a_phone_keeps_every_note_inside_the_screen(make_page: MakePage, site: str) -> None:
    page, _ = make_page(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page.goto(site + POST)
    refs = page.locator("a.footnote-ref")
    for index in range(refs.count()):
        ref = refs.nth(index)
        ref.scroll_into_view_if_needed()
        ref.tap()
        page.wait_for_function(POPOVER_OPEN)
        page.wait_for_function(
            "(n) => document.querySelector('#footnote-popover')"
            ".getAttribute('aria-label') === 'Footnote ' + n",
            arg=ref.inner_text(),
        )
        box = page.locator("#footnote-popover").bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        # Tapping elsewhere closes it and the reader is where they were.
        page.locator("h1").tap()
        page.wait_for_function(POPOVER_CLOSED)
        expect(ref).to_be_focused()
    assert page.url == site + POST


def test_without_javascript_references_jump_to_the_notes(make_page: MakePage, site: str) -> None:
    page, _ = make_page(java_script_enabled=False)
    page.goto(site + POST)
    page.locator("#fnref-mckinley a").click()
    expect(page).to_have_url(site + POST + "#fn-mckinley")
    expect(page.locator("#fn-mckinley")).to_be_in_viewport()
    page.locator("#fn-mckinley a.footnote-backref").click()
    expect(page).to_have_url(site + POST + "#fnref-mckinley")
