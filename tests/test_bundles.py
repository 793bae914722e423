"""Page-bundle files: only a visible bundle's own files, and never as active content
on a sanitised site. Against gunicorn, as deployed; the static export follows the same rules.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import post_text
from tests.servers import gunicorn
from webapp.export import freeze_site

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
SCRIPT = "localStorage.setItem('pwned', document.domain);"
#: The site's CSP forbids inline script but allows script-src 'self': so the
#: attack loads the bundle's own script file.
ACTIVE_HTML = '<!doctype html><title>demo</title><script src="demo.js"></script>'
ACTIVE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    '<script href="demo.js"/><rect width="10" height="10"/></svg>'
)


def build_content(content: Path) -> None:
    """A content folder with secrets beside a published bundle that links to them."""
    (content / ".env").write_text("SECRET_KEY=hunter2\n")
    (content / ".git").mkdir()
    (content / ".git" / "config").write_text("[remote] url = secret\n")
    (content / "draft.md").write_text(post_text(title="Draft", draft="true", body="Unsaid."))
    (content / "root-note.txt").write_text("not part of any bundle\n")
    bundle = content / "pub"
    bundle.mkdir()
    (bundle / "index.md").write_text(post_text(title="Published", body="![p](pic.png)"))
    (bundle / "pic.png").write_bytes(PNG)
    (bundle / "inner").mkdir()
    (bundle / "inner" / "ok.png").write_bytes(PNG)
    (bundle / "same.png").symlink_to("pic.png")  # a link within the bundle is fine
    (bundle / "env.txt").symlink_to("../.env")
    (bundle / "git.txt").symlink_to("../.git/config")
    (bundle / "draft.txt").symlink_to("../draft.md")
    (bundle / "up").symlink_to("..")
    # A nested bundle that is a draft: its files are its own, and hidden.
    child = bundle / "child"
    child.mkdir()
    (child / "index.md").write_text(post_text(title="Child", draft="true", body="Later."))
    (child / "secret.png").write_bytes(PNG)
    (bundle / "via-child.png").symlink_to("child/secret.png")
    # A scheduled bundle: hidden until its time.
    later = content / "later"
    later.mkdir()
    (later / "index.md").write_text(post_text(title="Later", date="2999-01-01", body="Soon."))
    (later / "plan.png").write_bytes(PNG)
    # A root index.md does not make the whole folder a bundle.
    (content / "index.md").write_text(post_text(title="Home page", body="Hi."))
    # Active content in a bundle.
    (bundle / "demo.html").write_text(ACTIVE_HTML)
    (bundle / "demo.svg").write_text(ACTIVE_SVG)
    (bundle / "demo.js").write_text(SCRIPT)


SERVED = ["pub/pic.png", "pub/inner/ok.png", "pub/same.png"]
REFUSED = [
    "pub/env.txt",
    "pub/git.txt",
    "pub/draft.txt",
    "pub/up/root-note.txt",
    "pub/up/later/plan.png",
    "pub/child/secret.png",
    "pub/via-child.png",
    "child/secret.png",
    "later/plan.png",
    "index/root-note.txt",
    "index/pub/pic.png",
]


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def headers_of(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        return {name.lower(): value for name, value in response.headers.items()}


@pytest.fixture
def site(content_dir: Path, tmp_path: Path) -> dict[str, str]:
    build_content(content_dir)
    return {
        "BLOG_CONTENT_DIR": str(content_dir),
        "BLOG_SEARCH_INDEX": str(tmp_path / "search.sqlite3"),
        "BLOG_POST_STORE": str(tmp_path / "posts.sqlite3"),
    }


@pytest.fixture
def sanitized(site: dict[str, str]) -> Iterator[str]:
    with gunicorn({**site, "BLOG_SANITIZE": "true"}) as base:
        yield base


@pytest.mark.slow
def test_a_bundle_serves_its_own_files_and_nothing_else(sanitized: str) -> None:
    assert {path: status(f"{sanitized}/posts/{path}") for path in SERVED} == dict.fromkeys(
        SERVED, 200
    )
    assert {path: status(f"{sanitized}/posts/{path}") for path in REFUSED} == dict.fromkeys(
        REFUSED, 404
    )


@pytest.mark.slow
def test_a_sanitised_site_serves_bundle_files_so_they_cannot_script_it(sanitized: str) -> None:
    for name in ("demo.html", "demo.svg", "demo.js", "pic.png"):
        headers = headers_of(f"{sanitized}/posts/pub/{name}")
        policy = headers["content-security-policy"]
        assert "sandbox" in [part.strip().split(" ")[0] for part in policy.split(";")], name
        assert "script-src 'self'" not in policy, name
        assert headers["x-content-type-options"] == "nosniff"
    assert headers_of(f"{sanitized}/posts/pub/demo.js")["content-type"].startswith("text/plain")
    for name in ("demo.html", "demo.svg", "demo.js"):
        disposition = headers_of(f"{sanitized}/posts/pub/{name}")["content-disposition"]
        assert disposition.startswith("attachment"), name
    assert headers_of(f"{sanitized}/posts/pub/pic.png")["content-type"] == "image/png"


@pytest.mark.slow
def test_trusted_authors_bundle_files_are_served_as_written(site: dict[str, str]) -> None:
    with gunicorn(site) as base:
        headers = headers_of(f"{base}/posts/pub/demo.html")
        assert headers["content-type"].startswith("text/html")
        assert "attachment" not in headers.get("content-disposition", "")
        assert {path: status(f"{base}/posts/{path}") for path in REFUSED} == dict.fromkeys(
            REFUSED, 404
        )


def test_the_static_export_follows_the_same_rules(
    make_app: object, content_dir: Path, tmp_path: Path
) -> None:
    build_content(content_dir)
    app: Flask = make_app(SANITIZE=True)  # type: ignore[operator]
    out = tmp_path / "out"
    freeze_site(app, out)
    exported = {
        path.relative_to(out / "posts").as_posix()
        for path in (out / "posts").rglob("*")
        if path.is_file() and "." in path.name and path.name != "index.html"
    }
    assert set(SERVED) <= exported
    assert not exported & set(REFUSED)
    assert not any(
        "hunter2" in path.read_text(errors="replace") for path in out.rglob("*") if path.is_file()
    )


@pytest.mark.slow
@pytest.mark.parametrize("sanitize", [False, True])
def test_a_browser_opening_bundle_files_runs_their_script_only_for_trusted_authors(
    site: dict[str, str], sanitize: bool, browser: Browser
) -> None:
    with gunicorn({**site, "BLOG_SANITIZE": str(sanitize).lower()}) as base:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        ran = []
        for name in ("demo.html", "demo.svg"):
            try:
                page.goto(f"{base}/posts/pub/{name}")
                page.wait_for_load_state("load")
            except PlaywrightError:
                pass  # a download, not a page
            page.goto(base + "/")
            ran.append(page.evaluate("() => localStorage.getItem('pwned')"))
            page.evaluate("() => localStorage.clear()")
        # The post's image still shows.
        page.goto(f"{base}/posts/pub/")
        width = page.evaluate("() => document.querySelector('article img').naturalWidth")
        context.close()
    assert width == 1
    assert ran == ([None, None] if sanitize else ["127.0.0.1", "127.0.0.1"])
