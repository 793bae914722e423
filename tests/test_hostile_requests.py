"""Whatever a stranger sends: traversal, injection, abuse. Nothing leaks, nothing breaks."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from tests.conftest import HTMX_PARTIAL, WritePost, parse

SECRET = "TOP-SECRET-7f3a"


@pytest.fixture
def site(write_post: WritePost, content_dir: Path, tmp_path: Path, make_app: Any) -> FlaskClient:
    """A site with secrets beside and inside its content folder, and a bundle."""
    (tmp_path / "secret.txt").write_text(SECRET)
    (content_dir / ".env").write_text(f"PASSWORD={SECRET}")
    (content_dir / "notes.txt").write_text(SECRET)
    write_post("bundle/index.md", title="Bundle", body="![x](photo.png)")
    (content_dir / "bundle" / "photo.png").write_bytes(b"\x89PNG")
    (content_dir / "bundle" / ".hidden").write_text(SECRET)
    os.symlink(tmp_path / "secret.txt", content_dir / "bundle" / "escape.png")
    write_post("a.md", title="A", tags='["essay"]', body="Text.[^1]\n\n[^1]: Note.")
    return make_app().test_client()


TRAVERSALS = [
    "../secret.txt",
    "..%2fsecret.txt",
    "%2e%2e%2fsecret.txt",
    "%2e%2e/%2e%2e/secret.txt",
    "%252e%252e%252fsecret.txt",
    "..\\secret.txt",
    "..%5csecret.txt",
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "secret.txt%00.png",
    ".env",
    "..",
    "x" * 5000,
]
PREFIXES = [
    "/posts/",
    "/posts/bundle/",
    "/posts/bundle/../",
    "/posts/a/footnotes/",
    "/tags/",
    "/partials/tags/",
    "/static/",
    "/static/css/",
    "/",
]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_no_path_reaches_a_file_outside_content_and_static(site: FlaskClient, prefix: str) -> None:
    for payload in TRAVERSALS:
        for headers in ({}, HTMX_PARTIAL):
            response = site.get(prefix + payload, headers=headers)
            assert response.status_code in (301, 303, 308, 400, 404, 405), (
                prefix + payload,
                response.status_code,
            )
            assert SECRET.encode() not in response.data
            assert b"root:" not in response.data
            response.close()


def test_dotfiles_links_and_other_files_in_content_are_never_served(site: FlaskClient) -> None:
    for url in (
        "/posts/bundle/.hidden",
        "/posts/bundle/escape.png",
        "/posts/bundle/index.md",
        "/.env",
        "/notes.txt",
        "/content/notes.txt",
        "/posts/notes/",
    ):
        response = site.get(url)
        assert response.status_code == 404, url
        assert SECRET.encode() not in response.data
    with site.get("/posts/bundle/photo.png") as response:
        assert response.status_code == 200  # the bundle's own files are served


NASTY = '<script>alert("x")</script>"\'><img src=x onerror=alert(1)>&amp;</title>'


def test_front_matter_is_escaped_everywhere(write_post: WritePost, make_app: Any) -> None:
    write_post(
        "evil.md",
        title=json.dumps(NASTY),
        tags=json.dumps([NASTY, "fine"]),
        summary=json.dumps(NASTY + " </script><!--"),
        slug=json.dumps("evil" + NASTY),
        body="Body.",
    )
    app = make_app(SITE_URL="https://blog.example")
    client = app.test_client()
    slug = app.extensions["blog"].library().posts[0].slug
    tag = app.extensions["blog"].library().posts[0].tags[0].slug
    pages = [f"/posts/{slug}/", "/", f"/tags/{tag}/", "/tags/", "/archive/", f"/search/?q={NASTY}"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = parse(response)
        assert injected(page) == [], url
        scripts = [s for s in page.find_all("script") if not s.get("src")]
        assert all(s.get("type") == "application/ld+json" for s in scripts), url
        assert NASTY in page.get_text() or url == "/tags/" or "search" in url
    fragment = client.get(f"/partials/tags/{tag}/", headers=HTMX_PARTIAL).get_data(as_text=True)
    assert "<script>alert" not in fragment
    post = parse(client.get(f"/posts/{slug}/"))
    data = json.loads(post.select_one("script[type='application/ld+json']").string)
    assert data["headline"] == NASTY  # JSON-LD carries the text, escaped for HTML
    assert "</script" not in post.select_one("script[type='application/ld+json']").string
    for url in ("/feed.xml", f"/tags/{tag}/feed.xml", "/sitemap.xml"):
        root = ElementTree.fromstring(client.get(url).data)  # well-formed: everything escaped
        assert root is not None
    titles = [
        el.text
        for el in ElementTree.fromstring(client.get("/feed.xml").data).iter()
        if el.tag.endswith("title")
    ]
    assert NASTY in titles


def injected(page: BeautifulSoup) -> list[str]:
    """Elements or attributes the nasty string would have created had it not been escaped."""
    found = [
        str(tag)
        for tag in page.find_all("script")
        if tag.get("type") != "application/ld+json" and "alert" in (tag.string or "")
    ]
    found += [
        f"{tag.name}[{name}]"
        for tag in page.find_all(True)
        for name in tag.attrs
        if name.startswith("on")
    ]
    return found + [str(tag) for tag in page.find_all("img") if tag.get("src") == "x"]


def test_queries_and_tag_names_in_urls_are_escaped(site: FlaskClient) -> None:
    urls = (f"/tags/{NASTY}/", f"/partials/tags/{NASTY}/", f"/?tag={NASTY}", f"/search/?q={NASTY}")
    for url in urls:
        response = site.get(url, headers=HTMX_PARTIAL if "partials" in url else {})
        page = parse(response)
        assert injected(page) == [], url
    search = parse(site.get("/search/", query_string={"q": NASTY}))
    assert search.select_one("#search-query")["value"] == NASTY  # shown as typed, inert


def test_thousands_of_repeated_arguments(site: FlaskClient) -> None:
    many = "&".join(["tag=essay"] * 5000)
    assert site.get("/?" + many).location == "/tags/essay/"
    noise = "&".join(f"junk{i}=x" for i in range(5000))
    assert site.get("/posts/a/?" + noise).status_code == 200
    assert site.get("/search/?q=" + "a" * 100_000).status_code == 200


def test_unknown_methods_are_refused(site: FlaskClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "PROPFIND", "FOO"):
        assert site.open("/posts/a/", method=method).status_code == 405, method


def test_head_on_every_page(site: FlaskClient) -> None:
    for url, headers in (
        ("/", {}),
        ("/posts/a/", {}),
        ("/tags/essay/", {}),
        ("/feed.xml", {}),
        ("/partials/tags/essay/", HTMX_PARTIAL),
        ("/static/css/site.css", {}),
        ("/posts/a/footnotes/1/", HTMX_PARTIAL),
        ("/sitemap.xml", {}),
    ):
        get = site.get(url, headers=headers)
        head = site.head(url, headers=headers)
        assert head.status_code == get.status_code == 200, url
        assert head.data == b""
        assert head.headers["Content-Length"] == get.headers["Content-Length"], url
        assert head.headers["ETag"] == get.headers["ETag"], url


def test_range_requests_get_a_correct_answer(site: FlaskClient) -> None:
    for url in ("/posts/a/", "/static/css/site.css"):
        full = site.get(url)
        ranged = site.get(url, headers={"Range": "bytes=0-99"})
        assert ranged.status_code in (200, 206)
        if ranged.status_code == 200:
            assert ranged.data == full.data
        else:
            assert ranged.data == full.data[:100]
        assert site.get(url, headers={"Range": "bytes=junk"}).status_code in (200, 416)


def test_junk_headers_do_not_break_pages(site: FlaskClient) -> None:
    for headers in (
        {"Accept-Encoding": "br;q=nonsense, *;q=0"},
        {"HX-Request": "TRUE", "HX-Request-Type": "<script>"},
        {"If-None-Match": '"' + "x" * 10_000 + '"'},
        {"If-Modified-Since": "yesterday"},
        {"HX-Target": "section#" + NASTY},
    ):
        response = site.get("/posts/a/", headers=headers)
        assert response.status_code in (200, 304), headers
        assert NASTY.encode() not in response.data
