"""Front matter: split a post's text into metadata and body, or say which line is wrong.

YAML (``---``), TOML (``+++``, Hugo's, read with the standard library's
tomllib) and JSON (``{ … }``) are recognised by python-frontmatter's
handlers. Each format knows how to turn its own parse error into a line of
the file and a message an author can act on.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import PurePosixPath
from typing import Any, NamedTuple

import frontmatter
import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from .models import PostError


class TOMLHandler(BaseHandler):
    """TOML front matter between ``+++`` lines, as Hugo writes it (stdlib tomllib)."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


#: A line setting a key, in any of the formats: ``key:``, ``"key":``, ``key =``.
_KEY = re.compile(r"""^[ \t]*["']?([^"':=\s]+)["']?[ \t]*[:=]""")


def key_line(text: str, keys: Iterable[str]) -> int | None:
    """The 0-based line of front matter text on which one of keys is first set."""
    wanted = set(keys)
    for number, line in enumerate(text.split("\n")):
        match = _KEY.match(line)
        if match and match.group(1) in wanted:
            return number
    return None


@dataclass(frozen=True)
class Problem:
    """A parse error, placed on a line of the file."""

    line: int
    message: str
    field: str | None = None


class Format:
    """One front matter format: its handler, and how its errors are explained."""

    name = ""
    handler: BaseHandler
    #: The exceptions its loader raises for bad input.
    errors: tuple[type[BaseException], ...] = ()

    def explain(self, error: BaseException, text: str, first_line: int) -> Problem:
        """Where and what the error is, given the line front matter text starts on."""
        if isinstance(error, RecursionError):
            return Problem(first_line, "front matter is nested too deeply")
        return Problem(first_line, f"front matter is not valid {self.name}: {error}")


class _YAMLHandler(YAMLHandler):
    """python-frontmatter's YAML handler, with a shortcut for the plainest front matter."""

    def load(self, fm: str, **kwargs: object) -> Any:
        plain = plain_yaml(fm)
        return super().load(fm, **kwargs) if plain is None else plain


#: Characters YAML reads as themselves inside a quoted or plain scalar on one
#: line: printable, none of its line breaks (U+0085, U+2028, U+2029) nor a byte
#: order mark. ``"`` and ``\`` (escapes) and ``'`` are added where they are plain.
_CHARS = r" !#-&(-\[\]-~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
#: A word in a flow list: no spaces at its ends, none of YAML's indicators.
_WORD = r"[A-Za-z0-9](?:[A-Za-z0-9_.+ -]*[A-Za-z0-9_.+-])?"
#: A line of the plainest front matter: a key, then a double- or single-quoted
#: string without escapes, a date (and time), a flow list of words or of
#: double-quoted strings, or a plain scalar with no ``:`` or ``#`` in it.
#: Anything else is YAML's.
_PLAIN_LINE = re.compile(
    rf"""(?P<key>[A-Za-z][A-Za-z0-9_-]{{0,99}}):[ ]+
    (?:"(?P<double>[{_CHARS}']*)"
      |'(?P<single>[{_CHARS}"\\]*)'
      |(?P<date>(?P<y>[0-9]{{4}})-(?P<m>[0-9]{{2}})-(?P<d>[0-9]{{2}})
        (?:[Tt](?P<H>[0-9]{{2}}):(?P<M>[0-9]{{2}}):(?P<S>[0-9]{{2}})
          (?:(?P<z>Z)|(?P<sign>[-+])(?P<zh>[0-9]{{2}}):(?P<zm>[0-9]{{2}}))?)?)
      |\[(?P<words>{_WORD}(?:,[ ]{_WORD})*)\]
      |\[(?P<strings>"[{_CHARS}']*"(?:,[ ]"[{_CHARS}']*")*)\]
      |(?P<plain>[A-Za-z0-9\u00c0-\u2027\u202a-\ud7ff][^:\#\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]*)
    )[ ]*""",
    re.VERBOSE,
)
_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"


@functools.lru_cache(maxsize=4096)
def _plain_scalar(word: str) -> str | bool | None:
    """What YAML makes of this plain scalar, if a string or a boolean
    (``yes``, ``Off``); None for anything else (a number, ``null``, a date)."""
    resolver: Any = yaml.resolver.Resolver()
    tag = resolver.resolve(yaml.ScalarNode, word, (True, False))
    if tag == _STR:
        return word
    if tag == _BOOL:
        return bool(yaml.constructor.SafeConstructor.bool_values[word.lower()])
    return None


def plain_yaml(text: str) -> dict[str, Any] | None:
    """What ``yaml.load`` makes of front matter written only in ``_PLAIN_LINE``s,
    at a fraction of its cost; None for any other text (YAML reads it). The
    dates are built as PyYAML's SafeConstructor builds them; an impossible one
    (2024-02-30) is left to YAML, so that its error is the one reported."""
    metadata: dict[str, Any] = {}
    for line in text.split("\n"):
        if not line:
            continue
        match = _PLAIN_LINE.fullmatch(line)
        if match is None or type(_plain_scalar(match["key"])) is not str:
            return None
        value: Any
        if match["double"] is not None:
            value = match["double"]
        elif match["single"] is not None:
            value = match["single"]
        elif match["words"] is not None:
            value = [_plain_scalar(word) for word in match["words"].split(", ")]
            if any(type(word) is not str for word in value):
                return None  # a list of booleans or numbers: rare, YAML's
        elif match["strings"] is not None:
            value = match["strings"][1:-1].split('", "')
        elif match["plain"] is not None:
            value = _plain_scalar(match["plain"].rstrip(" "))
            if value is None:
                return None
        else:
            try:
                value = _timestamp(match)
            except ValueError:
                return None
        metadata[match["key"]] = value
    return metadata or None


def _timestamp(match: re.Match[str]) -> date | datetime:
    """As ``SafeConstructor.construct_yaml_timestamp`` builds it."""
    day = int(match["y"]), int(match["m"]), int(match["d"])
    if match["H"] is None:
        return date(*day)
    zone: tzinfo | None = None
    if match["sign"] is not None:
        delta = timedelta(hours=int(match["zh"]), minutes=int(match["zm"]))
        zone = timezone(-delta if match["sign"] == "-" else delta)
    elif match["z"] is not None:
        zone = UTC
    return datetime(*day, int(match["H"]), int(match["M"]), int(match["S"]), tzinfo=zone)


class YAMLFormat(Format):
    name = "YAML"
    handler = _YAMLHandler()
    # PyYAML raises a plain ValueError for impossible dates such as 2024-02-30.
    errors = (yaml.YAMLError, ValueError, TypeError, RecursionError)

    def explain(self, error: BaseException, text: str, first_line: int) -> Problem:
        if isinstance(error, yaml.MarkedYAMLError):
            mark = error.problem_mark or error.context_mark
            problem = error.problem or str(error)
            if error.context and error.context_mark and error.context_mark is not mark:
                started = first_line + error.context_mark.line
                problem += f" ({error.context.removeprefix('while ')} started on line {started})"
            line = first_line + mark.line if mark else first_line
            return Problem(line, f"front matter is not valid YAML: {problem}")
        if isinstance(error, yaml.YAMLError):
            return super().explain(error, text, first_line)
        if isinstance(error, RecursionError):
            return super().explain(error, text, first_line)
        bad = _first_bad_date(text)
        if bad is not None:
            line, key, value = bad
            return Problem(first_line + line, f"{value} is not a real date ({error})", key)
        return Problem(first_line, f"front matter has an invalid value: {error}")


class TOMLFormat(Format):
    name = "TOML"
    handler = TOMLHandler()
    errors = (tomllib.TOMLDecodeError, RecursionError)

    def explain(self, error: BaseException, text: str, first_line: int) -> Problem:
        if not isinstance(error, tomllib.TOMLDecodeError):
            return super().explain(error, text, first_line)
        at = re.search(r"at line (\d+)", str(error))
        # "at end of document": the problem runs up to the closing +++.
        line = first_line + (int(at.group(1)) - 1 if at else text.count("\n"))
        message = re.sub(r" \(at (line \d+, column \d+|end of document)\)", "", str(error))
        return Problem(line, f"front matter is not valid TOML: {message}")


class JSONFormat(Format):
    name = "JSON"
    handler = JSONHandler()
    errors = (json.JSONDecodeError, RecursionError)

    def explain(self, error: BaseException, text: str, first_line: int) -> Problem:
        if not isinstance(error, json.JSONDecodeError):
            return super().explain(error, text, first_line)
        line = first_line + error.lineno - 1
        return Problem(line, f"front matter is not valid JSON: {error.msg}")


FORMATS: tuple[Format, ...] = (YAMLFormat(), TOMLFormat(), JSONFormat())
_BY_HANDLER = {type(f.handler): f for f in FORMATS}


class FrontMatter(NamedTuple):
    metadata: Mapping[str, Any]
    body: str
    text: str
    #: The line of the opening delimiter; front matter text line 0 is on it.
    line: int
    #: The line the body starts on.
    body_line: int

    def line_of(self, key: str) -> int:
        """The file's line on which key is set (the opening line if it cannot be found)."""
        offset = key_line(self.text, (key,))
        return self.line + (offset or 0)


def split_front_matter(text: str, source: PurePosixPath) -> FrontMatter:
    """Metadata and body of a post's text; PostError naming the line if it has none
    or it cannot be parsed."""
    stripped = text.lstrip()
    offset_lines = text.count("\n", 0, len(text) - len(stripped))
    handler = frontmatter.detect_format(stripped, [f.handler for f in FORMATS])
    if handler is None:
        raise PostError(source, "has no front matter: start the file with a line of '---'", line=1)
    form = _BY_HANDLER[type(handler)]
    assert handler.FM_BOUNDARY is not None
    boundaries = list(itertools.islice(handler.FM_BOUNDARY.finditer(stripped), 2))
    fm_line = offset_lines + stripped.count("\n", 0, boundaries[0].end()) + 1
    try:
        fm_text, body = handler.split(stripped)
    except ValueError:
        delimiter = handler.END_DELIMITER or "}"
        raise PostError(
            source,
            f"front matter opened on line {fm_line} is never closed with '{delimiter}'",
            line=fm_line,
        ) from None
    closing_line = offset_lines + stripped.count("\n", 0, boundaries[1].end()) + 1
    body_line = closing_line + len(body) - len(body.lstrip("\n"))
    try:
        metadata = handler.load(fm_text)
    except form.errors as error:
        problem = form.explain(error, fm_text, fm_line)
        raise PostError(source, problem.message, line=problem.line, field=problem.field) from None
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        kind = type(metadata).__name__
        raise PostError(
            source, f"front matter must be a mapping of keys to values, not a {kind}", line=fm_line
        )
    return FrontMatter(metadata, body.strip("\n"), fm_text, fm_line, body_line)


_DATE_LIKE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")


def _first_bad_date(text: str) -> tuple[int, str | None, str] | None:
    """(0-based line, key, value) of the first impossible date in front matter text."""
    for number, line in enumerate(text.split("\n")):
        for match in _DATE_LIKE.finditer(line):
            try:
                date(*(int(part) for part in match.groups()))
            except ValueError:
                key = _KEY.match(line)
                return number, key.group(1) if key else None, match.group(0)
    return None
