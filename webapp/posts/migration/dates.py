"""Dates as Hugo and Jekyll accepted them in front matter.

Hugo parses dates with Go's ``time.Parse`` over a list of layouts (RFC 3339
with a one-digit hour such as ``2019-04-09T8:09:26-07:00``, Go's own
``2006-01-02 15:04:05 -0700 MST``, RFC 1123, ``02 Jan 2006``…); Jekyll with
Ruby's ``Time.parse``, which reads ``April 5, 2021``, ``2016-03-22 14:00 EDT``
and even ``2023-01-29 18:30:22 2023 -0800`` (the year twice). Posts their
authors published with those dates must not be dropped here.

python-dateutil (already a dependency of feedgen) does the lenient parsing.
This module adds what it lacks: Go's and Ruby's habits rewritten into forms it
reads, the zone abbreviations Ruby knows, and a refusal of anything without a
full calendar date (dateutil would fill a missing day from today).
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta, timezone

_HOUR = 3600
#: Zone abbreviations Ruby's Time.parse knows (Date::ZONE_TABLE's common part).
ZONE_OFFSETS: dict[str, int] = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5 * _HOUR, "EDT": -4 * _HOUR, "CST": -6 * _HOUR, "CDT": -5 * _HOUR,
    "MST": -7 * _HOUR, "MDT": -6 * _HOUR, "PST": -8 * _HOUR, "PDT": -7 * _HOUR,
    "AKST": -9 * _HOUR, "AKDT": -8 * _HOUR, "HST": -10 * _HOUR,
    "BST": 1 * _HOUR, "CET": 1 * _HOUR, "CEST": 2 * _HOUR, "MET": 1 * _HOUR,
    "MEST": 2 * _HOUR, "EET": 2 * _HOUR, "EEST": 3 * _HOUR, "WET": 0,
    "WEST": 1 * _HOUR, "IST": 5 * _HOUR + 1800, "JST": 9 * _HOUR, "KST": 9 * _HOUR,
    "AEST": 10 * _HOUR, "AEDT": 11 * _HOUR, "NZST": 12 * _HOUR, "NZDT": 13 * _HOUR,
}  # fmt: skip

# Ruby (Time#to_s of some old tools): "2023-01-29 18:30:22 2023 -0800".
_REPEATED_YEAR = re.compile(r"^(?P<year>\d{4})(?P<rest>-\d{1,2}-\d{1,2}[ T][\d:.]+)\s+(?P=year)\b")
# Go (Time#String): "2006-01-02 15:04:05.999999999 -0700 MST": the offset decides.
_OFFSET_THEN_NAME = re.compile(r"(?P<offset>[+-]\d{2}:?\d{2})\s+[A-Z]{2,5}$")
# Go's "m=+0.000" monotonic clock reading, printed by Time#String.
_MONOTONIC = re.compile(r"\s+m=[+-][\d.]+$")
# A remark in parentheses ("2016-07-19 (optional)"), which Ruby skips.
_REMARK = re.compile(r"\([^()]*\)")
_HAS_LETTERS_OR_DIGITS = re.compile(r"\w")

# Two defaults far apart: a part the text lacks shows up as a difference.
_DEFAULTS = (datetime(1901, 1, 1), datetime(1902, 2, 2))


def parse_date_text(text: str) -> datetime | None:
    """A date and time Hugo or Jekyll would have accepted, or None.

    The result is naive when the text names no zone or offset (the site's
    time zone applies then). Text without a year, month and day is refused.
    """
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    text = _MONOTONIC.sub("", text)
    text = _REPEATED_YEAR.sub(r"\g<year>\g<rest>", text)
    text = _OFFSET_THEN_NAME.sub(r"\g<offset>", text)
    text = " ".join(_REMARK.sub(" ", text).split())
    if not _HAS_LETTERS_OR_DIGITS.search(text):
        return None
    # Here: most dates are ISO, and a restart reads none, so need not import it.
    from dateutil import parser as date_parser

    results = []
    for default in _DEFAULTS:
        try:
            with warnings.catch_warnings():
                # An unknown zone name would give a naive time with a warning:
                # refuse it rather than guess.
                warnings.simplefilter("error")
                results.append(date_parser.parse(text, default=default, tzinfos=_tzinfo))
        except (ValueError, OverflowError, date_parser.UnknownTimezoneWarning):
            return None
    first, second = results
    if first.date() != second.date():
        return None
    return first


def _tzinfo(name: str | None, offset: int | None) -> timezone | None:
    if name is None:
        return timezone(timedelta(seconds=offset)) if offset is not None else None
    known = ZONE_OFFSETS.get(name.upper())
    if known is None:
        raise ValueError(f"unknown time zone {name!r}")
    return timezone(timedelta(seconds=known), name.upper()) if known else UTC
