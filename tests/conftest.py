"""Shared fixtures: a content folder per test, an app over it, parsed HTML."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.servers import RedisServer, redis_server
from webapp import create_app
from webapp.request_facts import PARTIAL_REQUEST_HEADERS

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Property tests try a few cases in the inner loop and many in CI (which sets CI=true).
settings.register_profile("quick", max_examples=30)
settings.register_profile("thorough", max_examples=300)
settings.load_profile("thorough" if os.environ.get("CI") else "quick")

#: Headers htmx 4 sends when it will swap the answer into part of a page.
HTMX_PARTIAL = PARTIAL_REQUEST_HEADERS


def post_text(
    title: str = "A post", date: str = "2024-08-08", body: str = "Body.", **fields: Any
) -> str:
    """A Markdown file with YAML front matter; extra fields are written as given."""
    lines = ["---", f"title: {title}", f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    lines += ["---", "", textwrap.dedent(body).strip(), ""]
    return "\n".join(lines)


WritePost = Callable[..., Path]


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    return folder


@pytest.fixture
def write_post(content_dir: Path) -> WritePost:
    """Write a post file: ``write_post("a.md", title=..., body=...)`` or raw ``text=``."""

    def write(name: str, text: str | None = None, **kwargs: Any) -> Path:
        path = content_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text is not None else post_text(**kwargs), encoding="utf-8")
        return path

    return write


def close_app(app: Flask) -> None:
    blog = app.extensions["blog"]
    blog.folder.close()
    if "search_index" in vars(blog):
        blog.search_index.close()


@pytest.fixture
def make_app(content_dir: Path, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        settings = {
            "TESTING": True,
            "CONTENT_DIR": str(content_dir),
            "SEARCH_INDEX": str(tmp_path / f"search-{len(apps)}.sqlite3"),
            "POST_STORE": str(tmp_path / f"posts-{len(apps)}.pickle"),
            # Searches index on demand, so tests do not race a background build.
            "INDEX_ON_START": False,
            **config,
        }
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        close_app(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def sample_app(tmp_path: Path) -> Iterator[Flask]:
    """The app over the repository's own content/ folder."""
    app = create_app(
        {
            "TESTING": True,
            "CONTENT_DIR": str(PROJECT_ROOT / "content"),
            "SEARCH_INDEX": str(tmp_path / "search.sqlite3"),
            "POST_STORE": str(tmp_path / "posts.pickle"),
            "INDEX_ON_START": False,
        }
    )
    yield app
    close_app(app)


def parse(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture(autouse=True)
def _no_blog_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure apps explicitly; the developer's BLOG_*/CACHE_* must not leak in."""
    for key in list(os.environ):
        if key.startswith(("BLOG_", "CACHE_")):
            monkeypatch.delenv(key)


# --- the browser (one per test session, shared by every test that drives it) ---

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# --- a real Redis, and a site's environment that uses it ---------------------


@pytest.fixture
def cache_server() -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port, for this test alone."""
    with redis_server() as server:
        yield server


@pytest.fixture
def redis_env(content_dir: Path, tmp_path: Path, cache_server: RedisServer) -> dict[str, str]:
    """Environment for a server over content_dir that caches in cache_server."""
    return {
        "BLOG_CONTENT_DIR": str(content_dir),
        "BLOG_SEARCH_INDEX": str(tmp_path / "search.sqlite3"),
        "BLOG_POST_STORE": str(tmp_path / "posts.sqlite3"),
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": cache_server.url,
    }
