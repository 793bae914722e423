"""The static export, served by a plain static file server, in a real browser."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import POPOVER_OPEN
from tests.servers import PROJECT_ROOT, free_port, server
from webapp import create_app
from webapp.export import freeze_site


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample site frozen, served by ``python -m http.server`` (no application)."""
    root = tmp_path_factory.mktemp("export")
    shutil.copytree(PROJECT_ROOT / "content", root / "content")
    app = create_app(
        {
            "CONTENT_DIR": str(root / "content"),
            "SEARCH_INDEX": str(root / "search.sqlite3"),
            "INDEX_ON_START": False,
            "PAGE_SIZE": 5,
        }
    )
    freeze_site(app, root / "out")
    app.extensions["blog"].folder.close()
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "http.server",
        str(port),
        "--bind",
        "127.0.0.1",
        "--directory",
        str(root / "out"),
    ]
    with server(command, port, {}) as running:
        yield running.url


def titles(page: Page) -> list[str]:
    return page.locator("ol.post-list h2 a").all_inner_texts()


def test_tag_filtering_and_history_from_static_files(page: Page, static_site: str) -> None:
    page.goto(static_site + "/")
    page.evaluate("window.noReload = 'still here'")
    everything = titles(page)
    page.locator("nav.tag-filter a", has_text="essay").click()
    expect(page).to_have_url(static_site + "/tags/essay/")
    expect(page.locator("#listing-title")).to_have_text("Posts tagged “essay”")
    assert page.evaluate("window.noReload") == "still here"
    page.go_back()
    expect(page.locator("#listing-title")).to_have_text("All posts")
    assert titles(page) == everything


def test_footnote_popovers_from_static_files(page: Page, static_site: str) -> None:
    page.goto(static_site + "/posts/the-boring-advantage/")
    page.locator("#fnref-mckinley a").hover()
    page.wait_for_function(POPOVER_OPEN)
    expect(page.locator("#footnote-popover .footnote-text a")).to_have_text(
        "https://boringtechnology.club/"
    )


def test_more_posts_from_static_files(page: Page, static_site: str) -> None:
    page.goto(static_site + "/")
    page.locator("#more-posts a").click()
    expect(page.locator("#post-list > li")).to_have_count(6)


def test_the_not_found_page_is_exported(page: Page, static_site: str) -> None:
    response = page.request.get(static_site + "/404.html")
    assert response.ok and "Not found" in response.text()
