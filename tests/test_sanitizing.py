"""BLOG_SANITIZE=true: every output (page, footnote fragment, feed) is sanitised last.

An untrusted author's HTML is inert on the page; it must stay inert after any
later rewriting, such as the feed's (absolute links, no htmx attributes).
"""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import HTMX_PARTIAL, post_text
from tests.servers import gunicorn
from webapp.posts.contract import footnote_fragment_path
from webapp.posts.rendering import Renderer, sanitize
from webapp.posts.sanitizing import Attributes, rewrite_start_tags
from webapp.urls import portable_html

ATOM = "{http://www.w3.org/2005/Atom}"

#: Inert as written: the "attributes" are text inside alt and a paragraph.
#: A regex that strips `hx-…='…'` after sanitising joins them into an onerror.
REOPENING_IMG = """<p><img src="x.png" alt=" hx-a='">'" onerror="alert(1)" </p>"""

BODY = f"""\
A post with a note.[^1]

{REOPENING_IMG}

<a href="#" hx-get="/admin/" data-hx-get="/admin/" hx-trigger="load" data-hx-target="body">x</a>

[^1]: The note, with <img src=n.png alt=" hx-b='">'" onerror="alert(2)" </p>
"""


def active_attributes(html: str) -> list[str]:
    """Every attribute of html that runs script or drives htmx, as a browser parses it."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for element in soup.find_all(True):
        assert isinstance(element, Tag)
        for name, value in element.attrs.items():
            if name.startswith(("on", "hx-", "data-hx-")) or "javascript:" in str(value):
                found.append(f"{element.name}[{name}]")
    return found


def fetch(url: str, headers: dict[str, str] | None = None) -> str:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


@pytest.mark.slow
def test_no_output_of_a_sanitised_site_runs_an_authors_script(
    content_dir: Path, tmp_path: Path
) -> None:
    (content_dir / "a.md").write_text(post_text(title="Crafted", body=BODY))
    env = {
        "BLOG_CONTENT_DIR": str(content_dir),
        "BLOG_SEARCH_INDEX": str(tmp_path / "search.sqlite3"),
        "BLOG_POST_STORE": str(tmp_path / "posts.sqlite3"),
        "BLOG_SANITIZE": "true",
    }
    with gunicorn(env) as base:
        page = fetch(base + "/posts/a/")
        note = fetch(base + "/posts/a/footnotes/1/", HTMX_PARTIAL)
        feed = ET.fromstring(fetch(base + "/feed.xml"))
    article = BeautifulSoup(page, "html.parser").select_one("article")
    assert article is not None
    # The page keeps the renderer's own footnote attributes and nothing else active.
    # (Spelt hx-* or data-hx-*.)
    kept = sorted(found.replace("[data-", "[") for found in active_attributes(str(article)))
    assert kept == ["a[hx-get]", "a[hx-target]", "a[hx-trigger]"]
    assert active_attributes(note) == []
    [content] = [node.text or "" for node in feed.iter(f"{ATOM}content")]
    assert "The note" in content and "alert" in content  # the text is there, inert
    assert active_attributes(content) == []
    images = BeautifulSoup(content, "html.parser").find_all("img")
    assert [image["src"] for image in images] == [f"{base}/posts/a/x.png", f"{base}/posts/a/n.png"]


def test_the_renderers_footnote_attributes_pass_in_either_spelling() -> None:
    for prefix in ("hx-", "data-hx-"):
        link = (
            f'<a href="#fn-1" {prefix}get="footnotes/1/" {prefix}trigger="footnote-open" '
            f'{prefix}target="#footnote-popover-content">1</a>'
        )
        kept = BeautifulSoup(sanitize(link), "html.parser").a
        assert kept is not None
        assert {name for name in kept.attrs} == {
            "href",
            f"{prefix}get",
            f"{prefix}trigger",
            f"{prefix}target",
        }


@pytest.mark.parametrize(
    "attribute",
    [
        'hx-get="/admin/"',
        'data-hx-get="footnotes/../../x/"',
        # "." and "..", as such or encoded: the pattern's characters, but out of the notes.
        'hx-get="footnotes/./"',
        'data-hx-get="footnotes/../"',
        'hx-get="footnotes/%2e%2e/"',
        'hx-get="footnotes/%2E/"',
        'hx-get="https://evil.example/footnotes/1/"',
        'data-hx-trigger="load"',
        'hx-target="body"',
        'hx-post="footnotes/1/"',
        'data-hx-on--click="alert(1)"',
    ],
)
def test_any_other_htmx_attribute_or_value_is_dropped(attribute: str) -> None:
    name = attribute.split("=")[0]
    assert name not in sanitize(f"<a href='#' {attribute}>x</a>")
    assert name not in sanitize(f"<span {attribute}>x</span>")


@given(st.text(min_size=1))
def test_the_path_of_any_note_but_dot_and_dot_dot_is_kept(footnote_id: str) -> None:
    """Whatever a note's id, the renderer's path to it passes, unless it leads out."""
    link = f'<a href="#" hx-get="{escape(footnote_fragment_path(footnote_id))}">1</a>'
    kept = BeautifulSoup(sanitize(link), "html.parser").a
    assert kept is not None
    assert kept.get("hx-get") == (
        None if footnote_id in (".", "..") else footnote_fragment_path(footnote_id)
    )


def test_the_feed_of_a_sanitised_site_carries_no_htmx_attributes() -> None:
    html = Renderer(sanitize=True)("Text.[^1]\n\n[^1]: Note.").html
    assert "hx-get" in html
    portable = sanitize(portable_html(html, "https://blog.example/posts/a/"), feed=True)
    assert active_attributes(portable) == []
    assert 'href="https://blog.example/posts/a/#fn-1"' in portable


def test_portable_html_rewrites_tags_not_text() -> None:
    html = (
        '<p title="hx-get=\'x\'">a hx-b="c" <a href="/x" data-hx-get="y">l</a></p>'
        "<!-- <a href='/in-comment'> --><script>var s = '<a href=\"/in-script\">';</script>"
        '<img src="i.png" alt="&quot;quoted&quot;">'
    )
    out = portable_html(html, "https://blog.example/posts/a/")
    assert out == (
        '<p title="hx-get=\'x\'">a hx-b="c" <a href="https://blog.example/x">l</a></p>'
        "<!-- <a href='/in-comment'> --><script>var s = '<a href=\"/in-script\">';</script>"
        '<img src="https://blog.example/posts/a/i.png" alt="&quot;quoted&quot;">'
    )


def test_rewriting_keeps_unchanged_markup_byte_for_byte() -> None:
    html = "<P CLASS=x>t&amp;t<br/>\n<a\nhref='/y'>y</a>&nbsp;<b>b</b>\n"
    assert rewrite_start_tags(html, lambda tag, attrs: None) == html
    assert rewrite_start_tags(html, lambda tag, attrs: attrs if tag == "a" else None) == (
        '<P CLASS=x>t&amp;t<br/>\n<a href="/y">y</a>&nbsp;<b>b</b>\n'
    )


def test_dropped_elements_go_whole_with_any_rewriting_inside_them() -> None:
    def absolute(tag: str, attrs: Attributes) -> Attributes | None:
        return [(n, f"https://x/{v}" if n == "href" else v) for n, v in attrs] if attrs else None

    def gone(tag: str, attrs: Attributes) -> bool:
        return ("class", "gone") in attrs

    html = '<p>a<span class="gone">b<span>c</span><a href="d">d</a></span> <a href="e">e</a></p>'
    assert rewrite_start_tags(html, absolute, drop=gone) == '<p>a <a href="https://x/e">e</a></p>'
    # An element of the same name inside does not end it early.
    assert rewrite_start_tags('<div class="gone">x<div>y</div>z</div>!', absolute, drop=gone) == "!"
    assert rewrite_start_tags('a<span class="gone"/>b', absolute, drop=gone) == "ab"
    assert rewrite_start_tags('a<i class="gone" title="x>y"/>b', absolute, drop=gone) == "ab"
    # One never closed stays, rewritten like the rest.
    assert rewrite_start_tags('<b class="gone">x<a href="d">d</a>', absolute, drop=gone) == (
        '<b class="gone">x<a href="https://x/d">d</a>'
    )
