"""Rendering: footnotes (and each one's own HTML), code, quotes, typography."""

from __future__ import annotations

from bs4 import BeautifulSoup

from webapp.posts import Renderer

render = Renderer()

ESSAY = """\
**TLDR: it's "boring" -- and that's the point.**

A claim.[^1] An aside.[^aside] The claim again.[^1]

> A quote with a note.[^3]

[^1]: https://example.com/source
[^aside]: A sentence with [a link](https://example.org/essay) in it.
[^3]: First paragraph.

    Second paragraph.
"""


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_references_link_to_notes_with_css_safe_ids() -> None:
    page = soup(render(ESSAY).html)
    refs = page.select("sup > a.footnote-ref")
    assert [a["href"] for a in refs] == ["#fn-1", "#fn-aside", "#fn-1", "#fn-3"]
    assert [a.get_text() for a in refs] == ["1", "2", "1", "3"]
    for a in refs:
        assert page.select_one(a["href"]) is not None  # the selector works and finds the note


def test_references_fetch_their_note_with_htmx() -> None:
    first = soup(render(ESSAY).html).select_one("a.footnote-ref")
    assert first["data-hx-get"] == "footnotes/1/"
    assert first["data-hx-trigger"] == "footnote-open"
    assert first["data-hx-target"] == "#footnote-popover-content"


def test_the_notes_section_is_a_labelled_list_with_back_links() -> None:
    section = soup(render(ESSAY).html).select_one("section.footnotes")
    assert section.h2.get_text() == "Notes"
    assert section["aria-labelledby"] == section.h2["id"]
    items = section.select("ol > li")
    assert [li["id"] for li in items] == ["fn-1", "fn-aside", "fn-3"]
    backrefs = items[0].select("a.footnote-backref")
    assert [a["href"] for a in backrefs] == ["#fnref-1", "#fnref2-1"]
    assert all(a["aria-label"] for a in backrefs)


def test_each_footnote_has_its_own_html_without_back_links() -> None:
    notes = render(ESSAY).footnotes
    assert [(n.id, n.number) for n in notes] == [("1", 1), ("aside", 2), ("3", 3)]
    url_note = soup(notes[0].html)
    assert url_note.a["href"] == "https://example.com/source"  # a bare URL becomes a link
    assert not url_note.select(".footnote-backref")
    aside = soup(notes[1].html)
    assert aside.get_text() == "A sentence with a link in it."
    assert aside.a["href"] == "https://example.org/essay"
    assert [p.get_text() for p in soup(notes[2].html).find_all("p")] == [
        "First paragraph.",
        "Second paragraph.",
    ]
    assert "\xa0" not in notes[1].html and "&#160;" not in notes[1].html


def test_a_body_without_footnotes_has_no_notes_section() -> None:
    rendered = render("Just *text*.")
    assert rendered.footnotes == ()
    assert soup(rendered.html).select("section.footnotes") == []


def test_smart_quotes_and_dashes() -> None:
    text = soup(render(ESSAY).html).p.get_text()
    assert text == "TLDR: it’s “boring” – and that’s the point."
    assert "—" in soup(render("a --- b").html).get_text()


def test_block_quotes() -> None:
    quote = soup(render(ESSAY).html).blockquote
    for sidenote in quote.select(".sidenote"):
        sidenote.decompose()
    assert quote.p.get_text() == "A quote with a note.3"


def test_fenced_code_is_highlighted_by_class_and_keyboard_scrollable() -> None:
    page = soup(render("```python\ndef f(x):\n    return x\n```").html)
    pre = page.select_one("div.highlight > pre")
    assert pre["tabindex"] == "0"
    assert pre.select_one("span.k").get_text() == "def"
    assert "style" not in str(page)


def test_code_without_a_language_is_not_guessed() -> None:
    page = soup(render("```\nSELECT 1;\n```").html)
    assert page.select_one("pre").get_text() == "SELECT 1;\n"
    assert page.select("pre span.k") == []


def test_tables_align_without_inline_styles() -> None:
    page = soup(render("| a | b |\n|:--|--:|\n| 1 | 2 |").html)
    assert [th["align"] for th in page.select("th")] == ["left", "right"]
    assert "style=" not in str(page)


def test_headings_get_ids_and_are_listed() -> None:
    rendered = render("## First part\n\ntext\n\n### A detail\n\n## Second part")
    page = soup(rendered.html)
    assert [h["id"] for h in page.select("h2, h3")] == ["first-part", "a-detail", "second-part"]
    assert [(h.level, h.id, h.text) for h in rendered.headings] == [
        (2, "first-part", "First part"),
        (3, "a-detail", "A detail"),
        (2, "second-part", "Second part"),
    ]


def test_rendering_is_memoised_by_text() -> None:
    renderer = Renderer(cache_size=2)
    assert renderer("same") is renderer("same")
