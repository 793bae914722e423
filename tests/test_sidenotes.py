"""Each footnote's copy beside its reference (a sidenote), and code blocks inside notes."""

from __future__ import annotations

import feedparser
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from tests.conftest import WritePost
from webapp.posts import Renderer
from webapp.posts.sidenotes import PHRASING, is_sidenote, phrasing_html, without_sidenotes
from webapp.urls import portable_html

BODY = """\
A claim.[^code] Another.[^short]

## A heading[^short]

| a | b |
|---|---|
| cell[^short] | b |

[^code]: A note holding code and [a link](https://example.org/):

    ```python
    def cached(key):
        return store[key] < 2
    ```

    A second paragraph.

    - one
    - two

[^short]: Short <em>and</em> sweet.
"""


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_fenced_code_in_a_note_is_a_code_block() -> None:
    note = soup(Renderer()(BODY).footnotes[0].html)
    code = note.select_one("div.highlight pre code")
    assert code is not None
    assert code.get_text().startswith("def cached(key):\n")
    assert [li.get_text() for li in note.select("ul > li")] == ["one", "two"]
    assert [p.get_text() for p in note.find_all("p")] == [
        "A note holding code and a link:",
        "A second paragraph.",
    ]


def test_the_back_link_leaves_no_empty_paragraph_in_a_note() -> None:
    note = soup(Renderer()(BODY).footnotes[0].html)
    assert all(p.get_text(strip=True) for p in note.find_all("p"))


def test_each_reference_is_followed_by_its_note_for_the_margin() -> None:
    page = soup(Renderer()(BODY).html)
    body_refs = [sup for sup in page.select("sup[id^=fnref]") if not sup.find_parent("table")]
    assert len(body_refs) == 3
    for sup in body_refs:
        sidenote = sup.find_next_sibling()
        assert sidenote.name == "span"
        assert sidenote["class"] == ["sidenote"]
        assert sidenote["aria-hidden"] == "true"  # screen readers read the notes list
        number = sup.a.get_text()
        assert sidenote.select_one(".sidenote-number").get_text() == number
    first = body_refs[0].find_next_sibling()
    assert "def cached(key):" in first.get_text()
    assert first.select_one("a")["tabindex"] == "-1"  # hidden copies take no focus
    assert first.select(".sn-li") and first.select(".sn-pre")


def test_a_sidenote_holds_only_phrasing_content_and_repeats_no_id() -> None:
    page = soup(Renderer()(BODY).html)
    for sidenote in page.select(".sidenote"):
        names = {tag.name for tag in sidenote.find_all(True)}
        assert names <= PHRASING, names
        assert not sidenote.select("[id]")
        assert not sidenote.find_parent("p") or sidenote.parent.name == "p"


def test_references_in_a_table_get_no_sidenote() -> None:
    table = soup(Renderer()(BODY).html).table
    assert table.select("sup[id^=fnref]") and not table.select(".sidenote")


def test_sanitised_posts_keep_their_sidenotes() -> None:
    page = soup(Renderer(sanitize=True)(BODY).html)
    sidenote = page.select_one(".sidenote")
    assert sidenote["aria-hidden"] == "true"
    assert sidenote.select_one("a")["tabindex"] == "-1"


def test_phrasing_html_turns_blocks_into_labelled_spans() -> None:
    html = phrasing_html(
        '<p id="x">One &amp; <a href="/a" id="y">two</a></p><pre class="c">a &lt; b</pre>'
        "<hr><script>alert(1)</script><ul><li>i</li></ul><img src=x.png alt=x>"
    )
    assert html == (
        '<span class="sn-p">One &amp; <a href="/a" tabindex="-1">two</a></span>'
        '<span class="sn-pre c">a &lt; b</span>'
        '<span class="sn-ul"><span class="sn-li">i</span></span><img src="x.png" alt="x">'
    )


def test_phrasing_html_closes_what_it_opened() -> None:
    assert (
        phrasing_html("<div><p>unclosed")
        == '<span class="sn-div"><span class="sn-p">unclosed</span></span>'
    )


def test_without_sidenotes_leaves_the_rest_byte_for_byte() -> None:
    rendered = Renderer()(BODY).html
    plain = without_sidenotes(rendered)
    page = soup(plain)
    assert not page.select(".sidenote")
    assert len(page.select("sup[id^=fnref]")) == 4
    assert page.select("section.footnotes li")  # the notes list stays
    # The same as the page with its sidenote elements taken out.
    expected = soup(rendered)
    for sidenote in expected.select(".sidenote"):
        sidenote.decompose()
    assert str(page) == str(expected)
    assert without_sidenotes("<p>No notes &amp; more</p>") == "<p>No notes &amp; more</p>"


def test_the_feed_drops_sidenotes_in_the_pass_that_makes_links_absolute() -> None:
    rendered = Renderer()(BODY).html
    base = "https://blog.example/posts/a/"
    one_pass = portable_html(rendered, base, drop=is_sidenote)
    assert one_pass == portable_html(without_sidenotes(rendered), base)
    assert "sidenote" not in one_pass and 'href="https://example.org/"' in one_pass


def test_feeds_carry_the_notes_list_but_not_the_sidenotes(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("a.md", body=BODY)
    entry = feedparser.parse(client.get("/feed.xml").get_data(as_text=True)).entries[0]
    content = soup(entry.content[0].value)
    assert len(content.select("section.footnotes > ol > li")) == 2
    assert content.select("sup[id^=fnref]")
    assert not content.select(".sidenote")
    assert content.get_text().count("def cached(key):") == 1
