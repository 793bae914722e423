"""Every kind of page and fragment of the sample site is valid HTML, by the Nu Html Checker.

vnu.jar (npm ``vnu-jar``, pinned in tests/vnu/package-lock.json, installed by
scripts/test) runs on Java and is slow to start, so every document goes to
one run. Fragments are checked inside the smallest valid document, the way
htmx puts them into a page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import HTMX_PARTIAL, close_app, parse
from tests.servers import PROJECT_ROOT
from webapp import create_app

VNU_JAR = Path(
    os.environ.get("VNU_JAR", PROJECT_ROOT / "tests/vnu/node_modules/vnu-jar/build/dist/vnu.jar")
)
FRAGMENT_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{title}'
    "</head><body><div>{body}</div></body></html>"
)
TITLE = re.compile(r"\s*(<title>.*?</title>)", re.DOTALL)


def in_a_page(fragment: str) -> str:
    """A fragment inside the smallest document, as htmx puts it into a page.

    A leading ``<title>`` is htmx's way to set the page's title: it goes to
    the head, not into the page.
    """
    title = TITLE.match(fragment)
    if title is None:
        return FRAGMENT_PAGE.format(title="<title>Fragment</title>", body=fragment)
    return FRAGMENT_PAGE.format(title=title[1], body=fragment[title.end() :])


#: Every kind of page: listings, their second page, a tag, a tag combination,
#: the archive, the tag cloud, search with results, and an unknown URL.
PAGES = {
    "index": "/",
    "page-2": "/page/2/",
    "tag": "/tags/essay/",
    "tag-combination": "/tags/business+essay/",
    "archive": "/archive/",
    "tags": "/tags/",
    "search": "/search/?q=boring",
    "search-empty-query": "/search/",
    "not-found": "/posts/no-such-post/",
}
#: Every kind of fragment htmx asks for.
FRAGMENTS = {
    "listing": "/partials/",
    "listing-page-2": "/partials/page/2/",
    "tag-listing": "/partials/tags/essay/",
    "tag-combination-listing": "/partials/tags/business+essay/",
    "search-results": "/partials/search/?q=boring",
    "not-found-fragment": "/partials/tags/no-such-tag/",
}


@pytest.fixture
def sample_site(tmp_path: Path) -> Iterator[Flask]:
    """The sample site, five posts to a page so that it has a page 2."""
    app = create_app(
        {
            "TESTING": True,
            "CONTENT_DIR": str(PROJECT_ROOT / "content"),
            "SEARCH_INDEX": str(tmp_path / "search.sqlite3"),
            "POST_STORE": str(tmp_path / "posts.sqlite3"),
            "INDEX_ON_START": False,
            "PAGE_SIZE": 5,
        }
    )
    yield app
    close_app(app)


def collect(client: FlaskClient, app: Flask) -> dict[str, str]:
    """Name -> document for every page and fragment kind, and every post and note."""
    documents: dict[str, str] = {}
    for name, url in PAGES.items():
        response = client.get(url)
        assert response.status_code == (404 if name == "not-found" else 200), url
        documents[name] = response.get_data(as_text=True)
    for name, url in FRAGMENTS.items():
        response = client.get(url, headers=HTMX_PARTIAL)
        assert response.status_code == (404 if name == "not-found-fragment" else 200), url
        documents[name] = in_a_page(response.get_data(as_text=True))
    library = app.extensions["blog"].library()
    for post in library.posts:
        response = client.get(f"/posts/{post.slug}/")
        assert response.status_code == 200
        documents[f"post-{post.slug}"] = response.get_data(as_text=True)
        for ref in parse(response).select("a.footnote-ref"):
            url = f"/posts/{post.slug}/{ref['data-hx-get']}"
            note = client.get(url, headers=HTMX_PARTIAL)
            assert note.status_code == 200, url
            documents[f"note-{post.slug}-{ref['href'][1:]}"] = in_a_page(
                note.get_data(as_text=True)
            )
    return documents


def check(paths: list[Path]) -> list[dict[str, object]]:
    """The Nu Html Checker's messages for the files, in one run of vnu.jar."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: install Debian's default-jre-headless (scripts/test does)")
    if not VNU_JAR.exists():
        pytest.fail(f"{VNU_JAR} is missing: run `npm ci --ignore-scripts --prefix tests/vnu`")
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages: list[dict[str, object]] = json.loads(result.stderr)["messages"]
    return messages


#: A control document with the two kinds of error every page once had, so
#: the check is seen to find them in the very run that passes the site.
BROKEN = (
    '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body>'
    '<a href="/" hx-get="/x">x</a> <span aria-label="3 posts">3</span></body></html>'
)


@pytest.mark.slow
def test_every_page_and_fragment_is_valid_html(sample_site: Flask, tmp_path: Path) -> None:
    documents = collect(sample_site.test_client(), sample_site)
    assert any(name.startswith("note-") for name in documents)  # the sample has notes
    assert len(documents) > 30
    documents["control-broken"] = BROKEN
    paths = []
    for name, html in documents.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        paths.append(path)
    errors: dict[str, list[str]] = {}
    for m in check(paths):
        if m["type"] in ("error", "non-document-error"):
            name = Path(str(m.get("url", ""))).stem
            extract = str(m.get("extract", "")).strip()
            errors.setdefault(name, []).append(f"{m.get('lastLine')}: {m['message']} [{extract}]")
    assert len(errors.pop("control-broken", [])) == 2
    assert errors == {}, json.dumps(errors, indent=2, ensure_ascii=False)
