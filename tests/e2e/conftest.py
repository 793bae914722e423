"""Browser tests: Debian's chromium, driven by Playwright, against gunicorn on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
)

from tests.servers import PROJECT_ROOT, gunicorn

E2E = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is slow: it starts a server and Chromium."""
    for item in items:
        if E2E in item.path.parents:
            item.add_marker(pytest.mark.slow)


SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
# Functions, not bare expressions: Playwright evaluates those without eval(),
# which the site's Content-Security-Policy (on in these tests) forbids.
# Open means showing its note, not "Loading note…" (shown while an answer is slow).
POPOVER_OPEN = (
    "() => { const p = document.getElementById('footnote-popover');"
    " return p?.matches(':popover-open') === true && p.dataset.state === 'open'; }"
)
POPOVER_CLOSED = (
    "() => document.getElementById('footnote-popover')?.matches(':popover-open') === false"
)

#: Hosts the sample posts link to; answered locally so clicking a link works offline.
EXTERNAL = "https://**/*"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample site (a copy of content/) under gunicorn; yields its base URL."""
    content = tmp_path_factory.mktemp("e2e") / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    env = {
        "BLOG_CONTENT_DIR": str(content),
        "BLOG_SEARCH_INDEX": str(content.parent / "search.sqlite3"),
        "BLOG_POST_STORE": str(content.parent / "posts.sqlite3"),
        # Six sample posts: two pages, so "More posts" has something to load.
        "BLOG_PAGE_SIZE": "5",
    }
    with gunicorn(env) as base_url:
        yield base_url


@dataclass
class PageProblems:
    """Console errors and failed requests seen while a test ran."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def unexpected(self) -> list[str]:
        problems = self.console_errors + self.failed_requests
        return [p for p in problems if not any(a in p for a in self.allowed)]


@pytest.fixture
def make_page(browser: Browser) -> Iterator[Callable[..., tuple[Page, PageProblems]]]:
    """New pages in fresh contexts; each test fails if a page logged errors or lost requests."""
    contexts: list[tuple[BrowserContext, PageProblems]] = []

    def make(**context_options: Any) -> tuple[Page, PageProblems]:
        context = browser.new_context(**context_options)
        problems = PageProblems()
        context.route(
            EXTERNAL,
            lambda route: route.fulfill(
                status=200, content_type="text/html", body="<!doctype html><title>Elsewhere</title>"
            ),
        )
        page = context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.console_errors.append(f"console: {message.text} ({message.location})")

        def on_failed(request: Request) -> None:
            if request.failure == "net::ERR_ABORTED":
                return  # cancelled on purpose: a newer search, or the page navigated away
            problems.failed_requests.append(
                f"failed: {request.method} {request.url} {request.failure}"
            )

        def on_finished(request: Request) -> None:
            response = request.response()
            if response is not None and response.status >= 400:
                problems.failed_requests.append(f"status {response.status}: {request.url}")

        page.on("console", on_console)
        page.on("requestfailed", on_failed)
        page.on("requestfinished", on_finished)
        contexts.append((context, problems))
        return page, problems

    yield make
    for context, problems in contexts:
        context.close()
        assert problems.unexpected() == []


@pytest.fixture
def page(make_page: Callable[..., tuple[Page, PageProblems]]) -> Page:
    """A desktop page with JavaScript on."""
    page, _ = make_page(viewport={"width": 1280, "height": 900})
    return page
