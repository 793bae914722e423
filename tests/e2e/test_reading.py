"""Accessibility, keyboard use, reading design, page weight and screenshots."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import POPOVER_OPEN, SCREENSHOTS, PageProblems

MakePage = Callable[..., tuple[Page, PageProblems]]
POST = "/posts/the-boring-advantage/"
PAGES = {
    "index": "/",
    "post": POST,
    "tag": "/tags/essay/",
    "tags": "/tags/",
    "archive": "/archive/",
    "search": "/search/?q=boring",
    "combination": "/tags/business+essay/",
    "not-found": "/posts/no-such-post/",
    "code": "/posts/a-tiny-cache-in-python/",
    "page-2": "/page/2/",
    "more": "/?to=2",
    "search-code": "/search/?q=lru_cache",
}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Each test drives Chromium against a real server.
pytestmark = pytest.mark.slow


def open_page(make_page: MakePage, site: str, path: str, **options: object) -> Page:
    page, problems = make_page(**options)
    if path == PAGES["not-found"]:
        problems.allowed.append("404")  # the document itself is the expected 404
    page.goto(site + path)
    return page


@pytest.mark.parametrize("width", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_accessibility_violations(
    make_page: MakePage, site: str, name: str, scheme: str, width: str
) -> None:
    viewport = PHONE if width == "phone" else DESKTOP
    page = open_page(make_page, site, PAGES[name], viewport=viewport, color_scheme=scheme)
    if name == "post":
        # Check the popover's markup too, with a note open.
        page.locator("#fnref-1 a").click()
        page.wait_for_function(POPOVER_OPEN)
    results = Axe().run(page)
    violations = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results.response["violations"]
    ]
    assert violations == [], json.dumps(violations, indent=2)


def test_the_skip_link_comes_first_and_moves_focus_to_the_content(page: Page, site: str) -> None:
    page.goto(site + POST)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


@pytest.mark.parametrize("name", ["index", "post", "search"])
def test_every_control_is_reachable_by_keyboard_with_visible_focus(
    page: Page, site: str, name: str
) -> None:
    page.goto(site + PAGES[name])
    count = page.evaluate(
        """() => {
            const controls = [...document.querySelectorAll('a[href], button, [tabindex="0"]')]
                .filter(e => e.getClientRects().length && !e.closest('[popover]'));
            controls.forEach((e, i) => { e.dataset.control = i; });
            return controls.length;
        }"""
    )
    reached: set[int] = set()
    for _ in range(count * 2 + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const e = document.activeElement;
                if (!e || e.dataset.control === undefined) return null;
                const style = getComputedStyle(e);
                return {index: Number(e.dataset.control), outline: style.outlineStyle,
                        width: style.outlineWidth, html: e.outerHTML.slice(0, 120)};
            }"""
        )
        if focused is None:
            continue
        assert focused["outline"] != "none" and focused["width"] != "0px", focused["html"]
        reached.add(focused["index"])
        if page.evaluate("document.getElementById('footnote-popover')?.matches(':popover-open')"):
            page.keyboard.press("Escape")  # a note opened on focus; carry on past it
        if len(reached) == count:
            break
    assert sorted(set(range(count)) - reached) == []


def test_long_form_typography(page: Page, site: str) -> None:
    page.goto(site + POST)
    metrics = page.evaluate(
        """() => {
            // The longest paragraph: its characters over its full lines (not
            // counting sidenotes, which this width does not show).
            const shown = (e) => {
                const copy = e.cloneNode(true);
                copy.querySelectorAll('.sidenote').forEach((n) => n.remove());
                return copy.textContent;
            };
            const p = [...document.querySelectorAll('.post-body > p')]
                .sort((a, b) => shown(b).length - shown(a).length)[0];
            const style = getComputedStyle(p);
            const height = p.getBoundingClientRect().height;
            const lines = Math.round(height / parseFloat(style.lineHeight));
            return {
                charsPerLine: shown(p).length / (lines - 0.5),
                lineHeight: parseFloat(style.lineHeight) / parseFloat(style.fontSize),
                fontFamily: style.fontFamily,
                notes: parseFloat(getComputedStyle(document.querySelector('.footnotes')).fontSize)
                    / parseFloat(style.fontSize),
                webFonts: document.fonts.size,
            };
        }"""
    )
    assert 55 <= metrics["charsPerLine"] <= 80, metrics
    assert 1.5 <= metrics["lineHeight"] <= 1.8, metrics
    assert metrics["fontFamily"].startswith('"Source Serif 4"'), metrics
    assert 0.8 <= metrics["notes"] < 1, metrics  # small but legible
    # The text face is our own, loaded from our origin, for the text and the note numbers.
    page.wait_for_function("document.fonts.status === 'loaded'")
    loaded = page.evaluate(
        """() => [...document.fonts].filter(f => f.status === 'loaded')
            .map(f => f.family + ' ' + f.style + ' ' + f.weight)"""
    )
    assert "Source Serif 4 normal 400" in loaded, loaded
    assert page.evaluate("document.fonts.check('16px \"Source Serif 4\"', '1')"), (
        "the face covers digits"
    )
    ref_font = page.locator(".footnote-ref").first.evaluate("e => getComputedStyle(e).fontFamily")
    assert ref_font == metrics["fontFamily"]


@pytest.mark.parametrize("width", [320, 390, 768, 1920])
@pytest.mark.parametrize("name", ["index", "post", "tags", "search", "archive"])
def test_no_sideways_scrolling_from_320_px_up(
    make_page: MakePage, site: str, name: str, width: int
) -> None:
    page = open_page(make_page, site, PAGES[name], viewport={"width": width, "height": 800})
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_dark_mode_follows_the_system(make_page: MakePage, site: str) -> None:
    backgrounds = {}
    for scheme in ("light", "dark"):
        page = open_page(make_page, site, POST, color_scheme=scheme)
        backgrounds[scheme] = page.evaluate(
            "getComputedStyle(document.body).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)"
        )
    assert sum(backgrounds["light"]) > 600 and sum(backgrounds["dark"]) < 150, backgrounds


def test_print_shows_the_notes_in_full_and_hides_navigation(page: Page, site: str) -> None:
    page.goto(site + POST)
    page.locator("#fnref-1 a").click()
    page.wait_for_function(POPOVER_OPEN)
    page.emulate_media(media="print")
    for selector in (
        ".site-header",
        ".site-footer",
        ".post-nav",
        "#footnote-popover",
        ".skip-link",
    ):
        expect(page.locator(selector)).to_be_hidden()
    notes = page.locator("section.footnotes li")
    assert notes.count() == 5
    for index in range(notes.count()):
        expect(notes.nth(index)).to_be_visible()
    for selector in (".post-header .tags", ".toc"):
        expect(page.locator(selector)).to_be_hidden()
    # The site's name and the post's address are on paper.
    source = page.locator(".print-source")
    expect(source).to_be_visible()
    expect(source).to_have_text(f"Marginalia · {site}{POST}")
    # Links in the text and in the notes print where they lead.
    after = page.evaluate(
        """() => [...document.querySelectorAll('.footnotes a[href^="http"]')]
            .map(a => getComputedStyle(a, '::after').content)"""
    )
    assert after and all("http" in content for content in after), after
    width = page.locator("main").evaluate("e => e.getBoundingClientRect().width")
    font = page.locator(".post-body p").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert width / font <= 40  # about 75 characters a line
    # What a reader gets on paper, for a person to look at.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "post-print.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_a_post_page_with_its_fonts_weighs_under_100_kb_compressed(
    make_page: MakePage, site: str
) -> None:
    page, _ = make_page(viewport=DESKTOP)
    transferred: dict[str, int] = {}

    def record(response: object) -> None:
        request = response.request  # type: ignore[attr-defined]
        sizes = request.sizes()
        transferred[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

    page.on("response", record)
    page.goto(site + POST, wait_until="networkidle")
    hosts = {url.split("/")[2] for url in transferred}
    assert hosts == {site.split("/")[2]}  # nothing from other hosts
    kinds = {url.rsplit("?", 1)[0].rsplit(".", 1)[-1] for url in transferred}
    assert {"css", "js", "woff2"} <= kinds
    total = sum(transferred.values())
    print(f"post page: {total} bytes transferred in {len(transferred)} responses")
    assert total < 100 * 1024, transferred
    assert transferred[site + POST] < 30 * 1024, transferred


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width_name", ["phone", "desktop"])
@pytest.mark.parametrize("name", ["index", "post"])
def test_screenshots(
    make_page: MakePage, site: str, name: str, width_name: str, scheme: str
) -> None:
    viewport = PHONE if width_name == "phone" else DESKTOP
    page = open_page(make_page, site, PAGES[name], viewport=viewport, color_scheme=scheme)
    if name == "post":
        page.locator("#fnref-1 a").click()
        page.wait_for_function(POPOVER_OPEN)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{width_name}-{scheme}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
