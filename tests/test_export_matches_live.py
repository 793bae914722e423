"""The static export against the live site over HTTP: every page and fragment
the live site serves is in the export, with the same bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.servers import PROJECT_ROOT, gunicorn
from webapp.export import MARKER
from webapp.request_facts import PARTIAL_REQUEST_HEADERS

PARTIAL = PARTIAL_REQUEST_HEADERS


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, bool]] = []  # (URL, asked for as htmx does)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in ("href", "src"):
                self.links.append((value, False))
            elif value and name in ("hx-get", "data-hx-get"):
                self.links.append((value, True))


def get(url: str, fragment: bool) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=PARTIAL if fragment else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def is_fragment(path: str) -> bool:
    return path.startswith("/partials/") or "/footnotes/" in path


def exported_file(out: Path, path: str) -> Path:
    file = out / path.lstrip("/")
    return file / "index.html" if path.endswith("/") else file


@pytest.mark.slow
def test_every_page_and_fragment_the_live_site_serves_is_exported_byte_for_byte(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    env = {
        "BLOG_CONTENT_DIR": str(content),
        "BLOG_SEARCH_INDEX": str(tmp_path / "search.sqlite3"),
        "BLOG_POST_STORE": str(tmp_path / "posts.sqlite3"),
        "BLOG_SITE_URL": "https://blog.example",
        "BLOG_PAGE_SIZE": "2",  # several listing pages even on the sample site
    }
    out = tmp_path / "out"
    frozen = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "blog", "freeze", str(out)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert frozen.returncode == 0, frozen.stderr
    # The live site as the export shows it: no search (it needs the application).
    with gunicorn({**env, "BLOG_STATIC_EXPORT": "true"}) as url:
        seen: set[tuple[str, bool]] = set()
        queue: list[tuple[str, bool]] = [("/", False), ("/sitemap.xml", False)]
        queue += [("/robots.txt", False), ("/feed.xml", False)]
        while queue:
            path, fragment = queue.pop()
            if (path, fragment) in seen:
                continue
            seen.add((path, fragment))
            status, body = get(url + path, fragment)
            assert status == 200, (path, fragment, status)
            file = exported_file(out, path)
            assert file.is_file(), f"{path} is served but not exported"
            assert file.read_bytes() == body, f"{path}: the export differs from the live site"
            if not path.endswith("/"):
                continue  # a feed, sitemap or static file: nothing to follow
            links = _Links()
            links.feed(body.decode())
            for link, htmx in links.links:
                absolute = urlsplit(urljoin(url + path, link))
                if absolute.netloc != urlsplit(url).netloc or absolute.path == "/search/":
                    continue
                # A static host has one answer per URL: fragment URLs hold the
                # fragment (the live site sends others to the page instead).
                queue.append((absolute.path, htmx or is_fragment(absolute.path)))
        # The not-found page names the address asked for; the export asked for this one.
        status, body = get(url + "/this-page-does-not-exist/", False)
        assert status == 404 and (out / "404.html").read_bytes() == body
        # Every other exported file is also what the live site serves at its URL.
        served = {exported_file(out, path) for path, _ in seen}
        others = [
            path
            for path in out.rglob("*")
            if path.is_file() and path not in served and path.name not in ("404.html", MARKER)
        ]
        for file in others:
            path = "/" + file.relative_to(out).as_posix().removesuffix("index.html")
            status, body = get(url + path, is_fragment(path))
            assert status == 200 and file.read_bytes() == body, path
    assert len(seen) > 50
