"""Footnotes as readers meet them: popovers on narrow screens, sidenotes in wide margins."""

from __future__ import annotations

import json
import shutil
import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import POPOVER_CLOSED, POPOVER_OPEN, SCREENSHOTS, PageProblems
from tests.servers import PROJECT_ROOT, gunicorn

pytestmark = pytest.mark.slow

MakePage = Callable[..., tuple[Page, PageProblems]]
POST = "/posts/the-boring-advantage/"
NOTES = "/posts/notes-of-every-kind/"
CODE_POST = "/posts/a-tiny-cache-in-python/"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
WIDE = {"width": 1400, "height": 900}

FILLER = (
    "A sentence that takes up room on the page, so that the notes land where a "
    "reader would meet them, far apart and near the edges of the screen. "
) * 4
LONG_NOTE = " ".join(f"Sentence {n} of a note that goes on and on." for n in range(1, 60))
RICH_POST = f"""\
---
title: Notes of every kind
date: 2024-01-01
tags: ["testing"]
---

A note with code, a list and paragraphs.[^code] {FILLER}

## A heading with a note[^short]

{FILLER}

{FILLER}

{FILLER}

A long note near the end.[^long] {FILLER}

{FILLER}

[^code]: A note holding code:

    ```python
    def cached(key):
        return store[key]
    ```

    A second paragraph.

    - one item
    - another item

[^short]: Short.
[^long]: {LONG_NOTE}
"""


@pytest.fixture(scope="module")
def notes_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample site plus a post whose notes hold code, lists, a heading and a long note."""
    content = tmp_path_factory.mktemp("notes") / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    (content / "notes-of-every-kind.md").write_text(textwrap.dedent(RICH_POST))
    env = {
        "BLOG_CONTENT_DIR": str(content),
        "BLOG_SEARCH_INDEX": str(content.parent / "search.sqlite3"),
        "BLOG_POST_STORE": str(content.parent / "posts.sqlite3"),
    }
    with gunicorn(env) as base_url:
        yield base_url


def rect(page: Page, selector: str) -> dict[str, float]:
    box: dict[str, float] = page.evaluate(
        """(s) => { const r = document.querySelector(s).getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                    width: r.width, height: r.height}; }""",
        selector,
    )
    return box


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


def open_note(page: Page, ref_selector: str, number: str) -> None:
    page.locator(ref_selector).click()
    page.wait_for_function(POPOVER_OPEN)
    page.wait_for_function(
        "(n) => document.querySelector('#footnote-popover .footnote-number')"
        "?.textContent.trim() === 'Note ' + n",
        arg=number,
    )


# --- popovers ----------------------------------------------------------------


@pytest.mark.parametrize("device", ["mouse", "touch"])
def test_pressing_inside_a_popover_keeps_it_open_and_its_text_selectable(
    make_page: MakePage, site: str, device: str
) -> None:
    if device == "touch":
        page, _ = make_page(viewport=PHONE, has_touch=True, is_mobile=True)
    else:
        page, _ = make_page(viewport=LAPTOP)
    page.goto(site + POST)
    ref = page.locator("#fnref-1 a")
    ref.scroll_into_view_if_needed()
    if device == "touch":
        ref.tap()
    else:
        ref.click()
    page.wait_for_function(POPOVER_OPEN)
    # The note's first words (text, not a link): where a reader starts a selection.
    word = page.evaluate(
        """() => {
            const p = document.querySelector('#footnote-popover .footnote-text p');
            const range = document.createRange();
            range.setStart(p.firstChild, 0);
            range.setEnd(p.firstChild, 3);
            const r = range.getBoundingClientRect();
            return {x: r.left + 2, y: r.top + r.height / 2};
        }"""
    )
    x, y = word["x"], word["y"]
    if device == "touch":
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    page.wait_for_timeout(500)
    assert page.evaluate(POPOVER_OPEN)
    # A drag across the words selects them, and the note stays.
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y, steps=5)
    page.mouse.up()
    page.wait_for_timeout(300)
    assert page.evaluate(POPOVER_OPEN)
    selected = page.evaluate("getSelection().toString()")
    assert len(selected.strip()) > 3, selected
    # Escape still closes it and gives focus back to the reference.
    page.keyboard.press("Escape")
    page.wait_for_function(POPOVER_CLOSED)
    expect(ref).to_be_focused()


def test_a_keyboard_opened_note_is_placed_after_scrolling_and_never_covers_its_reference(
    make_page: MakePage, site: str
) -> None:
    page, _ = make_page(viewport=LAPTOP)
    page.goto(site + POST)
    refs = page.locator("a.footnote-ref")
    seen = 0
    for _ in range(80):
        page.keyboard.press("Tab")
        if not page.evaluate("document.activeElement.matches('a.footnote-ref')"):
            if page.evaluate(POPOVER_OPEN):
                page.keyboard.press("Escape")
            continue
        page.wait_for_function(POPOVER_OPEN)
        page.wait_for_timeout(400)  # any scrolling and placing is over
        ref = page.evaluate(
            """() => { const r = document.activeElement.getBoundingClientRect();
                return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }"""
        )
        note = rect(page, "#footnote-popover")
        assert not overlaps(ref, note), (ref, note)
        assert 0 <= ref["top"] and ref["bottom"] <= LAPTOP["height"]  # still in view
        room_below = LAPTOP["height"] - ref["bottom"]
        if room_below > note["height"] + 20:
            assert note["top"] >= ref["bottom"], "there was room below"
        seen += 1
        page.keyboard.press("Escape")  # back on the reference; Tab goes on past it
        page.wait_for_function(POPOVER_CLOSED)
        if seen == refs.count():
            break
    assert seen == refs.count() == 5


def test_on_a_phone_a_note_near_the_bottom_goes_below_and_a_long_note_scrolls(
    make_page: MakePage, notes_site: str
) -> None:
    page, _ = make_page(viewport=PHONE, has_touch=True, is_mobile=True)
    page.goto(notes_site + NOTES)
    # The long note's reference, brought to the bottom of the screen.
    page.evaluate(
        """() => { const r = document.querySelector('#fnref-long').getBoundingClientRect();
            window.scrollBy(0, r.bottom - innerHeight + 30); }"""
    )
    assert rect(page, "#fnref-long")["bottom"] > PHONE["height"] - 60
    page.locator("#fnref-long a").tap()
    page.wait_for_function(POPOVER_OPEN)
    page.wait_for_timeout(400)
    ref = rect(page, "#fnref-long a")
    note = rect(page, "#footnote-popover")
    assert note["top"] >= ref["bottom"], (ref, note)  # below: the lines before stay readable
    assert note["bottom"] <= PHONE["height"] and note["left"] >= 0
    assert note["right"] <= PHONE["width"]
    assert ref["top"] >= 60  # and the lines leading to the reference are on screen
    # A long note keeps a bounded height and scrolls inside it.
    assert note["height"] <= 0.6 * PHONE["height"]
    scrolls = page.evaluate(
        """() => { const c = document.getElementById('footnote-popover-content');
            return c.scrollHeight > c.clientHeight + 20
                && getComputedStyle(c).overflowY === 'auto'; }"""
    )
    assert scrolls


def test_each_note_is_fetched_once_per_page_view_and_reopens_offline(
    make_page: MakePage, site: str
) -> None:
    page, _ = make_page(viewport=LAPTOP)
    fetched: list[str] = []

    def count(route: Route) -> None:
        fetched.append(route.request.url)
        route.continue_()

    # Routing also turns the browser's HTTP cache off, as when it has expired.
    page.route("**/footnotes/**", count)
    page.goto(site + POST)
    ref = page.locator("#fnref-1 a")
    for _ in range(3):
        ref.hover()
        page.wait_for_function(POPOVER_OPEN)
        page.mouse.move(5, 5)
        page.wait_for_function(POPOVER_CLOSED)
    assert len(fetched) == 1, fetched
    assert fetched[0].endswith(POST + "footnotes/1/")

    page.context.set_offline(True)
    ref.hover()
    page.wait_for_function(POPOVER_OPEN)
    text = page.locator("#footnote-popover-content").inner_text()
    assert "could not be loaded" not in text
    assert "Choose Boring Technology" in text
    page.context.set_offline(False)


def test_a_slow_answer_shows_that_the_note_is_loading(make_page: MakePage, site: str) -> None:
    page, _ = make_page(viewport=LAPTOP)

    def slow(route: Route) -> None:
        time.sleep(1.2)  # a slow connection, as the reader sees it
        route.continue_()

    page.goto(site + POST)
    page.evaluate(
        """() => {
            window.sawLoading = '';
            new MutationObserver(() => {
                const status = document.querySelector('#footnote-popover .footnote-loading');
                const panel = document.getElementById('footnote-popover');
                if (status && panel.matches(':popover-open') && status.checkVisibility())
                    window.sawLoading = status.textContent;
            }).observe(document.body, {subtree: true, childList: true, attributes: true});
        }"""
    )
    page.route("**/footnotes/**", slow)
    page.locator("#fnref-mckinley a").click()
    page.wait_for_function("() => window.sawLoading !== ''")
    assert "Loading note" in page.evaluate("window.sawLoading")
    page.wait_for_function(
        "() => !!document.querySelector('#footnote-popover-content .footnote-text')"
    )
    expect(page.locator("#footnote-popover .footnote-loading")).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_popover_has_its_own_typography_a_tie_to_its_reference_and_elevation(
    make_page: MakePage, notes_site: str, scheme: str
) -> None:
    page, _ = make_page(viewport=LAPTOP, color_scheme=scheme)
    page.goto(notes_site + NOTES)
    # The reference sits in a heading: bold sans, large. The note must not be.
    open_note(page, "#fnref-short a", "2")
    style = page.evaluate(
        """() => {
            const body = getComputedStyle(document.querySelector('.post-body > p'));
            const note = getComputedStyle(
                document.querySelector('#footnote-popover .footnote-text p'));
            const panel = document.getElementById('footnote-popover');
            const arrow = getComputedStyle(panel, '::before');
            const bg = (s) => s.backgroundColor.match(/\\d+/g).slice(0, 3).map(Number);
            return {
                ratio: parseFloat(note.fontSize) / parseFloat(body.fontSize),
                family: note.fontFamily === body.fontFamily,
                weight: note.fontWeight,
                side: panel.dataset.side,
                arrow: arrow.content,
                page: bg(getComputedStyle(document.body)),
                surface: bg(getComputedStyle(panel)),
                shadow: getComputedStyle(panel).boxShadow,
            };
        }"""
    )
    assert 0.85 <= style["ratio"] <= 0.95, style
    assert style["family"] and style["weight"] == "400", style
    assert style["side"] in ("below", "above") and style["arrow"] != "none", style
    assert style["shadow"] != "none"
    if scheme == "dark":  # raised: lighter than the page it floats over
        assert sum(style["surface"]) > sum(style["page"]) + 20, style
    # The arrow points at the reference.
    arrow_x = page.evaluate(
        """() => { const p = document.getElementById('footnote-popover');
            return p.getBoundingClientRect().left
                + parseFloat(getComputedStyle(p, '::before').left) + 7; }"""
    )
    ref = rect(page, "#fnref-short a")
    assert ref["left"] - 4 <= arrow_x <= ref["right"] + 4, (arrow_x, ref)


def test_a_note_holds_code_blocks_lists_and_paragraphs(page: Page, notes_site: str) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto(notes_site + NOTES)
    open_note(page, "#fnref-code a", "1")
    note = page.locator("#footnote-popover .footnote-text")
    code = note.locator("pre code")
    expect(code).to_be_visible()
    assert code.inner_text().startswith("def cached(key):\n")
    assert "python" not in note.inner_text().split("def")[0]
    assert (
        page.evaluate("getComputedStyle(document.querySelector('#footnote-popover pre')).display")
        == "block"
    )
    expect(note.locator("ul > li")).to_have_count(2)
    assert note.locator("p").count() >= 2


def test_references_and_back_links_have_24_px_hit_areas_without_moving_text(
    page: Page, site: str
) -> None:
    page.goto(site + POST)
    result = page.evaluate(
        """() => {
            const links = [...document.querySelectorAll('a.footnote-ref, a.footnote-backref')];
            const small = [];
            for (const link of links) {
                link.scrollIntoView({block: 'center', behavior: 'instant'});
                const r = link.getBoundingClientRect();
                const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
                const corners = [[-11.5, -11.5], [11.5, -11.5], [-11.5, 11.5], [11.5, 11.5]];
                for (const [dx, dy] of corners) {
                    const hit = document.elementFromPoint(cx + dx, cy + dy);
                    if (!hit || !(hit === link || link.contains(hit) || hit.closest('a') === link))
                        small.push(link.outerHTML.slice(0, 60) + ' at ' + dx + ',' + dy);
                }
            }
            // Without the enlarged hit areas the text is laid out the same.
            const paragraphs = [...document.querySelectorAll('.post-body p, .footnotes li')];
            const before = paragraphs.map(p => p.getBoundingClientRect().height);
            // A constructed sheet: the site's CSP refuses inline <style>.
            const off = new CSSStyleSheet();
            off.replaceSync('.footnote-ref::after, .footnote-backref::after'
                + ' { content: none !important; }');
            document.adoptedStyleSheets = [...document.adoptedStyleSheets, off];
            const after = paragraphs.map(p => p.getBoundingClientRect().height);
            document.adoptedStyleSheets = document.adoptedStyleSheets.filter(s => s !== off);
            const same = JSON.stringify(before) === JSON.stringify(after);
            return {count: links.length, small, same};
        }"""
    )
    assert result["count"] >= 10
    assert result["small"] == []
    assert result["same"]


def test_without_javascript_jumps_leave_a_margin_and_mark_the_target(
    make_page: MakePage, site: str
) -> None:
    page, _ = make_page(viewport=LAPTOP, java_script_enabled=False)
    page.goto(site + POST)
    page.locator("#fnref-mckinley a").click()
    expect(page).to_have_url(site + POST + "#fn-mckinley")
    page.wait_for_timeout(800)  # smooth scrolling may be on
    note = rect(page, "#fn-mckinley")
    assert note["top"] >= 16, note
    assert (
        page.evaluate("getComputedStyle(document.querySelector('#fn-mckinley')).outlineStyle")
        != "none"
    )
    page.locator("#fn-mckinley a.footnote-backref").click()
    expect(page).to_have_url(site + POST + "#fnref-mckinley")
    page.wait_for_timeout(800)
    ref = rect(page, "#fnref-mckinley")
    assert ref["top"] >= 0.2 * LAPTOP["height"], ref
    marked = page.evaluate(
        "getComputedStyle(document.querySelector('#fnref-mckinley a')).outlineStyle"
    )
    assert marked == "solid"


# --- sidenotes ----------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False])
def test_wide_screens_show_every_note_in_the_margin_beside_its_reference(
    make_page: MakePage, site: str, javascript: bool
) -> None:
    page, _ = make_page(viewport=WIDE, java_script_enabled=javascript)
    page.goto(site + POST)
    layout = page.evaluate(
        """() => {
            const column = document.querySelector('.post-body').getBoundingClientRect();
            return [...document.querySelectorAll('sup[id^="fnref"]')].map(sup => {
                const note = sup.nextElementSibling;
                const r = note.getBoundingClientRect(), s = sup.getBoundingClientRect();
                return {cls: note.className, hidden: note.getAttribute('aria-hidden'),
                        top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                        refTop: s.top, columnRight: column.right, text: note.textContent};
            });
        }"""
    )
    assert len(layout) == 5
    notes = page.locator("section.footnotes li")
    for index, note in enumerate(layout):
        assert note["cls"] == "sidenote" and note["hidden"] == "true"
        assert note["left"] >= note["columnRight"] + 16  # in the margin, clear of the text
        assert note["right"] <= WIDE["width"]
        list_text = notes.nth(index).inner_text().replace("↩︎", "").split()
        assert note["text"].split()[1:] == list_text  # its number, then the note
        if index:
            previous = layout[index - 1]
            assert note["top"] >= previous["bottom"]  # never overlapping
            # Beside its line, unless the note above pushed it down.
            assert note["top"] - note["refTop"] < 40 or abs(note["top"] - previous["bottom"]) < 30
        else:
            assert abs(note["top"] - note["refTop"]) < 40
    if javascript:  # the note is already there: hovering opens no popover
        page.locator("#fnref-1 a").hover()
        page.wait_for_timeout(800)
        assert not page.evaluate(POPOVER_OPEN)


def test_a_reference_and_its_sidenote_highlight_each_other(page: Page, site: str) -> None:
    page.set_viewport_size(WIDE)
    page.goto(site + POST)
    background = "(s) => getComputedStyle(document.querySelector(s)).backgroundColor"
    sidenote = "#fnref-mckinley + .sidenote"
    ref = "#fnref-mckinley a"
    resting = (page.evaluate(background, sidenote), page.evaluate(background, ref))
    page.locator(ref).hover()
    assert page.evaluate(background, sidenote) != resting[0]
    page.mouse.move(5, 5)
    page.locator(sidenote).hover()
    assert page.evaluate(background, ref) != resting[1]
    page.mouse.move(5, 5)
    page.locator(ref).focus()
    assert page.evaluate(background, sidenote) != resting[0]


def test_a_long_sidenote_is_clamped_and_shown_whole_on_hover(page: Page, notes_site: str) -> None:
    page.set_viewport_size(WIDE)
    page.goto(notes_site + NOTES)
    long = page.locator("#fnref-long + .sidenote")
    clamped = long.bounding_box()
    assert clamped is not None
    full = page.evaluate("document.querySelector('#fnref-long + .sidenote').scrollHeight")
    assert full > clamped["height"] + 50
    long.hover()
    opened = long.bounding_box()
    assert opened is not None and opened["height"] >= full - 2


def test_phones_show_no_sidenotes_and_keep_popovers(make_page: MakePage, site: str) -> None:
    page, _ = make_page(viewport=PHONE, has_touch=True, is_mobile=True)
    page.goto(site + POST)
    visible = page.evaluate(
        "[...document.querySelectorAll('.sidenote')].filter(n => n.checkVisibility()).length"
    )
    assert visible == 0
    assert page.locator(".sidenote").count() == 5
    ref = page.locator("#fnref-2 a")
    ref.scroll_into_view_if_needed()
    ref.tap()
    page.wait_for_function(POPOVER_OPEN)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "footnote-popover-phone.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def test_screenshot_of_sidenotes(make_page: MakePage, site: str) -> None:
    page, _ = make_page(viewport=WIDE)
    page.goto(site + POST)
    page.evaluate(
        """() => window.scrollTo({behavior: 'instant',
            top: document.getElementById('fnref-1').getBoundingClientRect().top + scrollY - 420})"""
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "sidenotes-1400.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


# --- accessibility -----------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["phone", "wide"])
def test_a_post_with_code_has_no_accessibility_violations(
    make_page: MakePage, notes_site: str, scheme: str, width: str
) -> None:
    options: dict[str, Any] = {"viewport": PHONE if width == "phone" else WIDE}
    if width == "phone":
        options |= {"has_touch": True, "is_mobile": True}
    for path in (CODE_POST, NOTES):
        page, _ = make_page(color_scheme=scheme, **options)
        page.goto(notes_site + path)
        if width == "phone":  # with a note open
            ref = page.locator("a.footnote-ref").first
            ref.scroll_into_view_if_needed()
            ref.tap()
            page.wait_for_function(POPOVER_OPEN)
        violations = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in Axe().run(page).response["violations"]
        ]
        assert violations == [], json.dumps(violations, indent=2)
