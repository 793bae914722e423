"""Content written for Jekyll and Hugo reads as it is, awkward parts included."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import pytest

from webapp.posts import ContentFolder, PostError, ReaderSettings, Renderer, parse_post, summarize

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)
LATER = datetime(2030, 1, 1, tzinfo=UTC)


def read(root: str) -> ContentFolder:
    return ContentFolder(FIXTURES / root, SETTINGS, use_inotify=False, poll_interval=3600)


def parse(text: str, name: str = "post.md"):
    return parse_post(text.encode(), PurePosixPath(name), SETTINGS)


def test_a_jekyll_site() -> None:
    folder = read("jekyll")
    library = folder.library(LATER)
    assert library.errors == ()
    assert [p.slug for p in library.posts] == ["pi-day", "untitled-with-heading"]
    pi = library.get("pi-day")
    assert pi is not None
    assert pi.title == "Pi Day, Revisited"
    assert pi.published == datetime(2019, 3, 14, tzinfo=UTC)  # from the file name
    # Space-separated tags, then categories merged in after them.
    assert [t.slug for t in pi.tags] == ["circles", "history", "maths", "essays"]
    assert pi.summary == "Why a constant deserves a holiday."  # excerpt
    assert pi.updated == datetime(2020, 1, 2, 8, tzinfo=UTC)  # "... 08:00:00 +0000"
    assert pi.aliases == ("/2019/03/14/pi-day.html", "/pi")
    assert pi.warnings == ()  # layout is known to be Jekyll's
    untitled = library.get("untitled-with-heading")
    assert untitled is not None
    assert untitled.title == "A Post Whose Title Is Its Heading"
    assert not untitled.body.startswith("#")
    assert untitled.body_line == 4


def test_jekyll_drafts_and_unpublished_posts_are_drafts() -> None:
    library = read("jekyll").library(LATER, drafts=True)
    drafts = {p.slug: p for p in library.posts if p.draft}
    assert set(drafts) == {"unpublished", "an-idea"}
    assert drafts["unpublished"].published == datetime(2018, 1, 1, tzinfo=UTC)
    # An undated draft is dated by its file, as Jekyll does.
    modified = (FIXTURES / "jekyll/_drafts/an-idea.md").stat().st_mtime
    assert drafts["an-idea"].published == datetime.fromtimestamp(modified, UTC)


def test_a_hugo_site() -> None:
    library = read("hugo").library(LATER)
    assert library.errors == ()
    assert sorted(p.slug for p in library.posts) == [
        "bundle-post",
        "custom-slug",
        "json-post",
        "toml-post",
    ]  # _index.md is a section page, not a post
    toml = library.get("toml-post")
    assert toml is not None
    assert toml.title == "Written in TOML"
    assert toml.published == datetime(2023, 6, 1, 16, 30, tzinfo=UTC)
    assert toml.updated == datetime(2023, 6, 5, 17, tzinfo=UTC)
    assert [t.name for t in toml.tags] == ["Hugo", "migration", "Notes"]
    assert toml.aliases == ("/old/toml-post", "/2023/06/written-in-toml")
    assert toml.summary == "Hugo's own front matter, read as it is."
    assert toml.warnings == ()  # weight is known to be Hugo's
    quoted = library.get("custom-slug")
    assert quoted is not None and quoted.published == datetime(2022, 2, 2, tzinfo=UTC)
    json_post = library.get("json-post")
    assert json_post is not None and json_post.published == datetime(2021, 12, 24, 18, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("+++\ntitle = 'T'\ndate = 2024-01-01\ntags = [\n+++\nx", 5),
        ("+++\ntitle = T\ndate = 2024-01-01\n+++\nx", 2),
        ('{\n  "title": "T",\n  "date": 2024-01-01\n}\nx', 3),
    ],
)
def test_toml_and_json_errors_name_their_line(text: str, line: int) -> None:
    with pytest.raises(PostError) as caught:
        parse(text)
    assert caught.value.line == line


def test_hugo_publish_date_is_the_date_when_there_is_no_date() -> None:
    post = parse("---\ntitle: T\npublishDate: 2024-05-06\n---\nx")
    assert post.published == datetime(2024, 5, 6, tzinfo=UTC)


def test_a_tag_string_with_commas_keeps_spaces_inside_tags() -> None:
    assert [
        t.name for t in parse("---\ntitle: T\ndate: 2024-01-01\ntags: a b, c\n---\nx").tags
    ] == [
        "a b",
        "c",
    ]


def test_empty_front_matter_without_a_heading_or_dated_name_is_explained() -> None:
    with pytest.raises(PostError) as caught:
        parse("---\n---\nJust text.")
    assert (caught.value.field, caught.value.message) == ("title", "is missing")


def test_unknown_keys_are_warnings_with_a_suggestion() -> None:
    post = parse(
        "---\ntitle: T\ndate: 2024-01-01\ntgas: [a]\nSummary: s\nmood: ok\nlayout: post\n---\nx"
    )
    assert [(w.field, w.line, w.message) for w in post.warnings] == [
        ("tgas", 4, "is not a key this site reads; did you mean 'tags'?"),
        ("Summary", 5, "is not a key this site reads; did you mean 'summary'?"),
        ("mood", 6, "is not a key this site reads"),
    ]
    assert all(w.severity == "warning" for w in post.warnings)
