"""The shortcut for the plainest YAML front matter: what PyYAML reads, or left to PyYAML."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from webapp.posts.front_matter import plain_yaml, split_front_matter
from webapp.posts.models import PostError

#: Keys and words YAML reads as something other than a string among plain ones.
KEYS = ["title", "date", "tags", "Title", "last_mod", "yes", "No", "on", "OFF", "null", "y", "n"]
WORDS = [
    "Machine learning",
    "a b",
    "C++",
    "1.5",
    "v2.0",
    "Yes",
    "essay",
    "caching",
    "a-b",
    "x9",
    "yes",
    "no",
    "on",
    "off",
    "true",
    "null",
    "inf",
    "e1",
    "y",
]


#: Characters for plain and quoted scalars, YAML's indicators and breaks among them.
PLAIN = st.one_of(
    st.sampled_from(list("aZ09 ,.;!?&*|>%@`'\"-()[]{}/#:~\\\t\u00e9\u2028\x85\ufeff")),
    st.sampled_from(["\U0001f389", "\u00a0", "\u200b", "yes", "null", "1", " #", ": "]),
)


def _same(ours: dict[str, Any], theirs: object) -> None:
    """Equal, and of the same types: a date is not a datetime, offsets match."""
    assert isinstance(theirs, dict)
    assert list(ours) == list(theirs)
    for key, value in ours.items():
        other = theirs[key]
        assert type(value) is type(other)
        assert value == other
        if isinstance(value, datetime):
            assert value.utcoffset() == other.utcoffset()
        if isinstance(value, list):
            assert [type(item) for item in value] == [type(item) for item in other]


def _yaml(text: str) -> object:
    return yaml.load(text, Loader=yaml.CSafeLoader)


stamps = st.builds(
    lambda y, m, d, time, zone: f"{y:04d}-{m:02d}-{d:02d}{time}{zone if time else ''}",
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["", "T12:00:00", "t08:30:59", "T24:00:00", "T23:61:00"]),
    st.sampled_from(["", "Z", "+00:00", "-00:00", "+05:30", "-11:45", "+24:00"]),
)
values = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20).map(
        lambda text: f'"{text}"'
    ),
    stamps,
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(
        lambda words: f"[{', '.join(words)}]"
    ),
    st.sampled_from(["[]", "plain", "'single'", '"esc\\"aped"', "[a,b]", "1.5", "~"]),
    st.lists(PLAIN, max_size=24).map("".join),  # a plain scalar, or not: YAML decides
    st.lists(PLAIN, max_size=16).map("".join).map(lambda text: f"'{text}'"),
    st.lists(st.lists(PLAIN, max_size=6).map("".join), min_size=1, max_size=3).map(
        lambda texts: "[" + ", ".join(f'"{text}"' for text in texts) + "]"
    ),
)
lines = st.builds(
    lambda key, value, tail: f"{key}: {value}{tail}",
    st.sampled_from(KEYS),
    values,
    st.sampled_from(["", "  ", " # note", "\t"]),
)


@given(
    st.lists(st.one_of(lines, st.sampled_from(["", "  indented: 1", "- item", "x:"])), max_size=6)
)
def test_the_shortcut_reads_what_yaml_reads(front: list[str]) -> None:
    text = "\n".join(front)
    ours = plain_yaml(text)
    if ours is not None:
        _same(ours, _yaml(text))


@given(
    st.lists(
        st.builds(
            lambda key, value: f"{key}: {value}",
            st.sampled_from(["title", "date", "tags", "slug"]),
            st.one_of(
                st.text(
                    st.characters(
                        min_codepoint=32,
                        max_codepoint=0x2FFF,
                        exclude_categories=["Cc", "Cs", "Zl", "Zp"],  # YAML's line breaks
                    ),
                    max_size=20,
                )
                .filter(lambda text: '"' not in text and "\\" not in text)
                .map(lambda text: f'"{text}"'),
                st.dates(date(1900, 1, 1)).map(str),
                st.lists(st.sampled_from(["essay", "caching", "a-b"]), min_size=1).map(
                    lambda words: f"[{', '.join(words)}]"
                ),
            ),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_plainest_front_matter_takes_the_shortcut(front: list[str]) -> None:
    text = "\n" + "\n".join(front) + "\n"
    ours = plain_yaml(text)
    assert ours is not None
    _same(ours, _yaml(text))


@pytest.mark.parametrize(
    "text",
    [
        'title: "a line\u2028separator"',  # a line break to YAML
        'title: "del\x7f"',
        'yes: "a key YAML reads as true"',
        "tags: [essay, no]",
        "date: 2024-02-30",
        "title: 'it''s'",  # an escaped quote
        "title: a: b",
        "title: 10",
        "draft: ~",
        'title: "an \\"escape\\""',
        'title: "x" # a comment',
        '  title: "indented"',
        "tags: []",
        "",
    ],
)
def test_anything_else_is_left_to_yaml(text: str) -> None:
    assert plain_yaml(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "title: What a Year of Writing Taught Me\nlayout: post\ndraft: false",
        'title: \'Single, quoted\'\ntags: ["essay", "business"]\ndate: 2024-08-08',
        "title: Caf\u00e9 \U0001f389, and more  \ntags: [essay, Writing, machine learning]",
    ],
)
def test_common_front_matter_takes_the_shortcut(text: str) -> None:
    ours = plain_yaml(text)
    assert ours is not None
    _same(ours, _yaml(text))


def test_an_impossible_date_is_still_reported_on_its_line_and_key() -> None:
    text = '---\ntitle: "Plain"\ndate: 2024-02-30\ntags: [essay]\n---\nBody\n'
    with pytest.raises(PostError) as raised:
        split_front_matter(text, PurePosixPath("post.md"))
    error = raised.value
    assert (error.line, error.field) == (3, "date")
    assert "2024-02-30 is not a real date" in error.message
