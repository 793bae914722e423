"""The reader: front matter in, a Post or a precise PostError out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import pytest

from webapp.posts import (
    PostError,
    ReaderSettings,
    Renderer,
    parse_post,
    read_post,
    slugify,
    summarize,
)

SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)


def parse(text: str | bytes, name: str = "post.md", settings: ReaderSettings = SETTINGS):
    raw = text.encode() if isinstance(text, str) else text
    return parse_post(raw, PurePosixPath(name), settings)


def error_of(
    text: str | bytes, name: str = "post.md", settings: ReaderSettings = SETTINGS
) -> PostError:
    with pytest.raises(PostError) as caught:
        parse(text, name, settings)
    return caught.value


def test_reads_the_typical_post() -> None:
    post = parse(
        "---\n"
        "title: The Boring Advantage\n"
        "date: 2024-08-08\n"
        'tags: ["essay", "business"]\n'
        "---\n\n"
        "**TLDR: it wins.** Really.\n\nMore.\n"
    )
    assert post.title == "The Boring Advantage"
    assert post.published == datetime(2024, 8, 8, tzinfo=UTC)
    assert [(t.slug, t.name) for t in post.tags] == [("essay", "essay"), ("business", "business")]
    assert post.slug == "post"
    assert post.summary == "TLDR: it wins. Really."
    assert post.draft is False


def test_slug_comes_from_the_file_name_without_a_jekyll_date() -> None:
    assert (
        parse("---\ntitle: T\ndate: 2024-01-01\n---\nx", "2024-08-08-My Post.md").slug == "my-post"
    )
    assert (
        parse("---\ntitle: T\ndate: 2024-01-01\n---\nx", "notes/plain-name.md").slug == "plain-name"
    )


def test_explicit_slug_wins_and_is_made_url_safe() -> None:
    post = parse("---\ntitle: T\ndate: 2024-01-01\nslug: Hello, World!\n---\nx", "whatever.md")
    assert post.slug == "hello-world"


def test_tags_as_a_comma_separated_string_keep_their_display_form() -> None:
    post = parse("---\ntitle: T\ndate: 2024-01-01\ntags: Essay,  Machine   Learning , C++\n---\nx")
    assert [(t.slug, t.name) for t in post.tags] == [
        ("essay", "Essay"),
        ("machine-learning", "Machine Learning"),
        ("c-plus-plus", "C++"),
    ]


def test_tags_differing_only_in_case_are_one_tag() -> None:
    post = parse("---\ntitle: T\ndate: 2024-01-01\ntags: [Essay, essay, ESSAY]\n---\nx")
    assert [(t.slug, t.name) for t in post.tags] == [("essay", "Essay")]


def test_a_date_means_midnight_in_the_site_time_zone() -> None:
    paris = ReaderSettings(timezone=ZoneInfo("Europe/Paris"))
    post = parse("---\ntitle: T\ndate: 2024-08-08\n---\nx", settings=paris)
    assert post.published == datetime(2024, 8, 8, tzinfo=ZoneInfo("Europe/Paris"))
    assert post.published.utcoffset() == timedelta(hours=2)


def test_a_naive_datetime_is_read_in_the_site_time_zone() -> None:
    paris = ReaderSettings(timezone=ZoneInfo("Europe/Paris"))
    post = parse("---\ntitle: T\ndate: 2024-01-15 10:30:00\n---\nx", settings=paris)
    assert post.published.astimezone(UTC) == datetime(2024, 1, 15, 9, 30, tzinfo=UTC)


def test_a_datetime_with_an_offset_keeps_it() -> None:
    paris = ReaderSettings(timezone=ZoneInfo("Europe/Paris"))
    post = parse("---\ntitle: T\ndate: 2024-08-08T10:30:00-05:00\n---\nx", settings=paris)
    assert post.published.astimezone(UTC) == datetime(2024, 8, 8, 15, 30, tzinfo=UTC)


def test_a_quoted_date_is_still_a_date() -> None:
    post = parse('---\ntitle: T\ndate: "2024-08-08"\n---\nx')
    assert post.published == datetime(2024, 8, 8, tzinfo=UTC)


def test_summary_and_draft_from_front_matter() -> None:
    post = parse("---\ntitle: T\ndate: 2024-01-01\nsummary: Short.\ndraft: true\n---\nLong body.")
    assert post.summary == "Short."
    assert post.draft is True


def test_default_summary_is_the_first_paragraph_as_text() -> None:
    post = parse(
        "---\ntitle: T\ndate: 2024-01-01\n---\n"
        "# A heading\n\n> A quote\n\n"
        'It\'s *the* [first](https://x.org) "paragraph"[^1] -- really.\n\n'
        "Second.\n\n[^1]: Note."
    )
    assert post.summary == "It’s the first “paragraph” – really."


def test_a_long_first_paragraph_is_shortened_at_a_word() -> None:
    post = parse("---\ntitle: T\ndate: 2024-01-01\n---\n" + "word " * 200)
    assert post.summary.endswith("…")
    assert len(post.summary) <= 301
    assert "wor…" not in post.summary


def test_unknown_keys_are_kept_aside() -> None:
    post = parse("---\ntitle: T\ndate: 2024-01-01\nmood: sunny\n---\nx")
    assert post.extra == {"mood": "sunny"}


def test_utf8_with_a_byte_order_mark_and_crlf_line_ends() -> None:
    raw = "\ufeff---\r\ntitle: Café ‘quoted’\r\ndate: 2024-01-01\r\n---\r\n\r\nBody\r\n".encode()
    post = parse(raw)
    assert post.title == "Café ‘quoted’"
    assert post.body == "Body"


def test_json_front_matter() -> None:
    post = parse('{\n  "title": "From JSON",\n  "date": "2024-02-03",\n  "tags": ["a"]\n}\nBody')
    assert (post.title, post.published.date(), post.tags[0].slug) == (
        "From JSON",
        date(2024, 2, 3),
        "a",
    )


# --- bad input: each error names the file, the line and the field ---------------


def test_malformed_yaml_names_the_line() -> None:
    error = error_of("---\ntitle: ok\ntags: [a, b\ndate: 2024-01-01\n---\nx", "notes/broken.md")
    assert str(error.path) == "notes/broken.md"
    assert error.line in (4, 5)
    assert "not valid YAML" in error.message
    assert str(error).startswith(f"notes/broken.md:{error.line}: ")


@pytest.mark.parametrize("missing", ["title", "date"])
def test_a_missing_required_field_is_named(missing: str) -> None:
    fields = {"title": "title: T", "date": "date: 2024-01-01"}
    del fields[missing]
    error = error_of("---\n" + "\n".join(fields.values()) + "\n---\nx")
    assert (error.field, error.message, error.line) == (missing, "is missing", 1)


def test_an_impossible_date_names_its_line_and_field() -> None:
    error = error_of("---\ntitle: T\ntags: [a]\ndate: 2024-02-30\n---\nx")
    assert (error.line, error.field) == (4, "date")
    assert "2024-02-30 is not a real date" in error.message


def test_a_date_that_is_not_a_date() -> None:
    error = error_of("---\ntitle: T\ndate: next tuesday\n---\nx")
    assert (error.line, error.field) == (3, "date")
    assert "'next tuesday' is not a date" in error.message


def test_a_date_out_of_range() -> None:
    error = error_of("---\ntitle: T\ndate: 0001-01-01\n---\nx")
    assert error.field == "date"
    assert "out of range" in error.message


def test_yaml_booleans_are_not_titles() -> None:
    error = error_of("---\ntitle: no\ndate: 2024-01-01\n---\nx")
    assert (error.field, error.line) == ("title", 2)
    assert "quote it" in error.message


def test_an_empty_title() -> None:
    assert error_of('---\ntitle: "  "\ndate: 2024-01-01\n---\nx').message == "is empty"


def test_tags_must_be_names() -> None:
    error = error_of("---\ntitle: T\ndate: 2024-01-01\ntags: {a: 1}\n---\nx")
    assert (error.field, error.line) == ("tags", 4)


def test_draft_must_be_a_boolean() -> None:
    error = error_of('---\ntitle: T\ndate: 2024-01-01\ndraft: "maybe"\n---\nx')
    assert error.field == "draft"


def test_undecodable_bytes_name_their_line() -> None:
    error = error_of(b"---\ntitle: T\ndate: 2024-01-01\n---\nfine\ncaf\xe9\n")
    assert error.line == 6
    assert "not UTF-8" in error.message


def test_binary_content_is_refused() -> None:
    assert "binary" in error_of(b"---\ntitle: T\ndate: 2024-01-01\n---\n\x00\x01\x02").message


@pytest.mark.parametrize("text", ["", "   \n\n"])
def test_an_empty_file(text: str) -> None:
    assert error_of(text).message == "is empty"


def test_no_front_matter() -> None:
    assert "no front matter" in error_of("# Just a heading\n\nText.").message


def test_front_matter_that_is_never_closed() -> None:
    error = error_of("---\ntitle: T\ndate: 2024-01-01\n\nBody without a closing line.")
    assert "never closed" in error.message
    assert error.line == 1


@pytest.mark.parametrize("front_matter", ["- a\n- b", "just a string"])
def test_front_matter_must_be_a_mapping(front_matter: str) -> None:
    assert "must be a mapping" in error_of(f"---\n{front_matter}\n---\nx").message


def test_a_file_over_the_size_limit_is_reported_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_text("---\ntitle: T\ndate: 2024-01-01\n---\n" + "x" * 2000)
    with pytest.raises(PostError, match="larger than"):
        read_post(path, tmp_path, ReaderSettings(max_bytes=1000))


def test_slugify() -> None:
    assert slugify("  Hello, World! ") == "hello-world"
    assert slugify("Ça va?") == "ça-va"
    assert slugify("C#") == "c-sharp"
    assert slugify("snake_case") == "snake-case"
    assert slugify("!!!") == ""
