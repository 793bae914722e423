"""Dates Hugo (Go's time.Parse) and Jekyll (Ruby's Time.parse) published are read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import pytest

from webapp.posts import ContentFolder, PostError, ReaderSettings, Renderer, parse_post, summarize
from webapp.posts.migration.dates import parse_date_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)


def offset(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


# Go's reference time in each layout the time package documents (Hugo reads
# front matter dates with these), and a one-digit hour, which Go accepts.
GO_LAYOUTS = [
    ("2006-01-02T15:04:05Z", datetime(2006, 1, 2, 15, 4, 5, tzinfo=UTC)),  # RFC3339
    ("2006-01-02T15:04:05-07:00", datetime(2006, 1, 2, 15, 4, 5, tzinfo=offset(-7))),
    ("2006-01-02T15:04:05.999999999-07:00", datetime(2006, 1, 2, 15, 4, 5, 999999, offset(-7))),
    ("Mon Jan  2 15:04:05 2006", datetime(2006, 1, 2, 15, 4, 5)),  # ANSIC
    ("Mon Jan  2 15:04:05 MST 2006", datetime(2006, 1, 2, 15, 4, 5, tzinfo=offset(-7))),  # Unix
    ("Mon Jan 02 15:04:05 -0700 2006", datetime(2006, 1, 2, 15, 4, 5, tzinfo=offset(-7))),  # Ruby
    ("02 Jan 06 15:04 MST", datetime(2006, 1, 2, 15, 4, tzinfo=offset(-7))),  # RFC822
    ("02 Jan 06 15:04 -0700", datetime(2006, 1, 2, 15, 4, tzinfo=offset(-7))),  # RFC822Z
    ("Monday, 02-Jan-06 15:04:05 MST", datetime(2006, 1, 2, 15, 4, 5, tzinfo=offset(-7))),
    ("Mon, 02 Jan 2006 15:04:05 MST", datetime(2006, 1, 2, 15, 4, 5, tzinfo=offset(-7))),
    ("Mon, 02 Jan 2006 15:04:05 -0700", datetime(2006, 1, 2, 15, 4, 5, tzinfo=offset(-7))),
    # Time.String(), with the monotonic clock reading Go appends.
    (
        "2006-01-02 15:04:05.999999999 -0700 MST m=+0.000000001",
        datetime(2006, 1, 2, 15, 4, 5, 999999, offset(-7)),
    ),
    ("2006-01-02 15:04:05 -07:00", datetime(2006, 1, 2, 15, 4, 5, tzinfo=offset(-7))),
    ("2006-01-02T15:04:05-0700", datetime(2006, 1, 2, 15, 4, 5, tzinfo=offset(-7))),
    ("2006-01-02 15:04:05", datetime(2006, 1, 2, 15, 4, 5)),
    ("02 Jan 2006", datetime(2006, 1, 2)),
    ("2019-04-09T8:09:26-07:00", datetime(2019, 4, 9, 8, 9, 26, tzinfo=offset(-7))),
]

# Examples from Ruby's Time.parse documentation and Jekyll's front matter
# documentation ("YYYY-MM-DD HH:MM:SS +/-TTTT"), and from the real posts in
# the fixtures.
RUBY_EXAMPLES = [
    ("2011-10-05T22:26:12-04:00", datetime(2011, 10, 5, 22, 26, 12, tzinfo=offset(-4))),
    ("Thu Nov 29 14:33:20 2001", datetime(2001, 11, 29, 14, 33, 20)),
    ("2001-11-29 14:33:20 +09:00", datetime(2001, 11, 29, 14, 33, 20, tzinfo=offset(9))),
    ("2008-12-14 10:30:00 +0900", datetime(2008, 12, 14, 10, 30, tzinfo=offset(9))),
    ("2019-03-14 10:00:00 +0100", datetime(2019, 3, 14, 10, tzinfo=offset(1))),
    ("2023-01-29 18:30:22 2023 -0800", datetime(2023, 1, 29, 18, 30, 22, tzinfo=offset(-8))),
    ("2016-03-22 14:00 EDT", datetime(2016, 3, 22, 14, tzinfo=offset(-4))),
    ("2016-03-03 3:00", datetime(2016, 3, 3, 3)),
    ("2016-07-19 (optional)", datetime(2016, 7, 19)),
    ("April 5, 2021", datetime(2021, 4, 5)),
    ("2019-01-2", datetime(2019, 1, 2)),
]


@pytest.mark.parametrize(("text", "expected"), GO_LAYOUTS + RUBY_EXAMPLES)
def test_dates_hugo_and_jekyll_accept(text: str, expected: datetime) -> None:
    parsed = parse_date_text(text)
    assert parsed == expected
    assert (parsed.utcoffset() if parsed else None) == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    ["", "TBD", "tomorrow", "16:30", "5", "January 2019", "2024-02-30", "2016-03-03 3:00 XYZ"],
)
def test_text_without_a_full_real_date_is_refused(text: str) -> None:
    """Nothing is filled in from today, and an unknown zone name is not guessed."""
    assert parse_date_text(text) is None


def test_a_post_with_such_a_date_is_read_and_a_bad_one_is_named() -> None:
    post = parse_post(
        b"---\ntitle: T\ndate: '2019-04-09T8:09:26-07:00'\n---\nBody\n",
        PurePosixPath("post/t.md"),
        SETTINGS,
    )
    assert post.published == datetime(2019, 4, 9, 15, 9, 26, tzinfo=UTC)
    with pytest.raises(PostError) as caught:
        parse_post(b"---\ntitle: T\ndate: soon\n---\n", PurePosixPath("t.md"), SETTINGS)
    assert (caught.value.line, caught.value.field) == (3, "date")


def test_the_real_jekyll_blogs_dates_all_read() -> None:
    """18F and jekyllrb.com published every one of these posts; all are read here."""
    settings = ReaderSettings(
        timezone=ZoneInfo("America/New_York"), renderer=Renderer(), summarizer=summarize
    )
    later = datetime(2030, 1, 1, tzinfo=UTC)
    dates = {}
    for site in ("jekyll-18f", "jekyll-jekyllrb"):
        folder = ContentFolder(FIXTURES / site, settings, use_inotify=False, poll_interval=3600)
        library = folder.library(later)
        assert library.errors == ()
        dates.update({post.slug: post.published for post in library.posts})
    eastern = ZoneInfo("America/New_York")
    assert dates["jekyll-3-9-3-released"] == datetime(2023, 1, 29, 18, 30, 22, tzinfo=offset(-8))
    assert dates["what-was-your-path-to-18f"] == datetime(2016, 3, 22, 18, tzinfo=UTC)
    assert dates["five-questions-for-the-nasa-chief-historian"] == datetime(
        2016, 3, 3, 3, tzinfo=eastern
    )
    assert dates["strategies-for-starting-your-own-writing-lab"] == datetime(
        2016, 7, 19, tzinfo=eastern
    )
    assert dates["why-simplicity-choosing-a-web-architecture"] == datetime(
        2021, 4, 5, tzinfo=eastern
    )
