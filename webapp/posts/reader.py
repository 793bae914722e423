"""Read one Markdown file with front matter into a Post, or say exactly why not.

A reader returns plain data: front matter is parsed by python-frontmatter's
handlers, then each known key is converted by one entry of ``FIELDS``. Every
problem becomes a ``PostError`` that names the file, the line and the field.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

import frontmatter
import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from .models import Post, Rendered, Tag

#: Files larger than this are reported rather than read.
MAX_POST_BYTES = 5 * 1024 * 1024
#: Dates outside these years are almost certainly typos (and break time zone maths).
MIN_YEAR, MAX_YEAR = 1900, 9999


class PostError(Exception):
    """Why a file is not a post: ``path:line: field: message``."""

    def __init__(
        self,
        path: PurePosixPath | str,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        severity: str = "error",
    ) -> None:
        super().__init__(message)
        self.path = PurePosixPath(path)
        self.message = message
        self.line = line
        self.field = field
        self.severity = severity

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "line": self.line,
            "field": self.field,
            "severity": self.severity,
            "message": self.message,
        }


class TOMLHandler(BaseHandler):
    """TOML front matter between ``+++`` lines, as Hugo writes it (stdlib tomllib)."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


HANDLERS: tuple[BaseHandler, ...] = (YAMLHandler(), TOMLHandler(), JSONHandler())


@dataclass(frozen=True)
class ReaderSettings:
    """What reading depends on besides the file itself."""

    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    renderer: Callable[[str], Rendered] | None = None
    summarizer: Callable[[str], str] | None = None
    max_bytes: int = MAX_POST_BYTES


# --- slugs ------------------------------------------------------------------

_SYMBOL_WORDS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}
_NON_WORD = re.compile(r"[\W_]+")
_JEKYLL_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")


def slugify(text: str) -> str:
    """A URL segment for a title or tag: lowercase words joined by hyphens.

    Letters of any script are kept; ``C++`` and ``C#`` stay distinct from ``C``.
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_SYMBOL_WORDS.get(char, char) for char in text)
    return _NON_WORD.sub("-", text.casefold()).strip("-")[:120].strip("-")


def slug_from_path(source: PurePosixPath) -> str:
    """The file's stem without a Jekyll date prefix (a bundle's folder for index.md)."""
    stem = source.parent.name if source.stem == "index" and source.parent.name else source.stem
    return slugify(_JEKYLL_PREFIX.sub("", stem))


def date_from_path(source: PurePosixPath) -> date | None:
    match = _JEKYLL_PREFIX.match(source.name)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


# --- reading ----------------------------------------------------------------


def read_post(path: Path, root: Path, settings: ReaderSettings) -> Post:
    """Read the file at ``path`` (below ``root``) into a Post, or raise PostError."""
    source = PurePosixPath(path.relative_to(root).as_posix())
    try:
        with path.open("rb") as handle:
            raw = handle.read(settings.max_bytes + 1)
    except OSError as error:
        raise PostError(source, f"cannot be read: {error.strerror or error}") from error
    if len(raw) > settings.max_bytes:
        limit = settings.max_bytes // (1024 * 1024)
        raise PostError(source, f"is larger than {limit} MB; split it or raise BLOG_MAX_POST_BYTES")
    return parse_post(raw, source, settings)


def parse_post(raw: bytes, source: PurePosixPath, settings: ReaderSettings) -> Post:
    """Turn a file's bytes into a Post, or raise PostError naming the line."""
    text = _decode(raw, source)
    metadata, body, fm_text, fm_line = _split_front_matter(text, source)
    fields = _convert(metadata, source, settings, fm_text, fm_line)
    return Post(
        body=body,
        source=source,
        digest=hashlib.blake2b(raw, digest_size=16).hexdigest(),
        renderer=settings.renderer,
        summarizer=settings.summarizer,
        **fields,
    )


def _decode(raw: bytes, source: PurePosixPath) -> str:
    if not raw.strip():
        raise PostError(source, "is empty", line=1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise PostError(
            source,
            f"is not UTF-8 text (byte 0x{raw[error.start]:02x} cannot be decoded)",
            line=line,
        ) from error
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise PostError(source, "looks binary (it contains a NUL byte)", line=line)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_front_matter(
    text: str, source: PurePosixPath
) -> tuple[Mapping[str, Any], str, str, int]:
    """Return (metadata, body, front matter text, line of its opening delimiter)."""
    stripped = text.lstrip()
    offset_lines = text.count("\n", 0, len(text) - len(stripped))
    handler = frontmatter.detect_format(stripped, HANDLERS)
    if handler is None:
        raise PostError(source, "has no front matter: start the file with a line of '---'", line=1)
    assert handler.FM_BOUNDARY is not None
    opening = handler.FM_BOUNDARY.search(stripped)
    assert opening is not None
    fm_line = offset_lines + 1
    try:
        fm_text, body = handler.split(stripped)
    except ValueError:
        delimiter = handler.START_DELIMITER or "}"
        raise PostError(
            source,
            f"front matter opened on line {fm_line} is never closed with '{delimiter}'",
            line=fm_line,
        ) from None
    # Line numbers inside fm_text count from the end of the opening delimiter.
    base_line = offset_lines + stripped.count("\n", 0, opening.end()) + 1
    try:
        metadata = handler.load(fm_text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = base_line + mark.line if mark else fm_line
        problem = error.problem or str(error)
        if error.context and error.context_mark and error.context_mark is not mark:
            started = base_line + error.context_mark.line
            problem += f" ({error.context.removeprefix('while ')} started on line {started})"
        raise PostError(source, f"front matter is not valid YAML: {problem}", line=line) from None
    except yaml.YAMLError as error:
        raise PostError(source, f"front matter is not valid YAML: {error}", line=fm_line) from None
    except tomllib.TOMLDecodeError as error:
        raise PostError(source, f"front matter is not valid TOML: {error}", line=fm_line) from None
    except json.JSONDecodeError as error:
        line = base_line + error.lineno - 1
        raise PostError(source, f"front matter is not valid JSON: {error.msg}", line=line) from None
    except (ValueError, TypeError, RecursionError) as error:
        # PyYAML raises a plain ValueError for impossible dates such as 2024-02-30.
        bad = _first_bad_date(fm_text, base_line)
        if bad is not None:
            line, key, value = bad
            raise PostError(
                source, f"{value} is not a real date ({error})", line=line, field=key
            ) from None
        raise PostError(
            source, f"front matter has an invalid value: {error}", line=fm_line
        ) from None
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        kind = type(metadata).__name__
        raise PostError(
            source, f"front matter must be a mapping of keys to values, not a {kind}", line=fm_line
        )
    return metadata, body.strip("\n"), fm_text, base_line


_DATE_LIKE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_KEY = re.compile(r"""^[ \t]*["']?([^"':=\s]+)["']?[ \t]*[:=]""")


def _first_bad_date(fm_text: str, base_line: int) -> tuple[int, str | None, str] | None:
    """(line, key, value) of the first impossible date in the front matter."""
    for number, line in enumerate(fm_text.split("\n")):
        for match in _DATE_LIKE.finditer(line):
            try:
                date(*(int(part) for part in match.groups()))
            except ValueError:
                key = _KEY.match(line)
                return base_line + number, key.group(1) if key else None, match.group(0)
    return None


# --- converting front matter -------------------------------------------------


class _Context:
    """What a field converter needs to explain a problem precisely."""

    def __init__(
        self, source: PurePosixPath, settings: ReaderSettings, fm_text: str, fm_line: int
    ) -> None:
        self.source = source
        self.settings = settings
        self.fm_text = fm_text
        self.fm_line = fm_line

    def line_of(self, key: str) -> int:
        pattern = re.compile(rf"""^[ \t]*["']?{re.escape(key)}["']?[ \t]*[:=]""", re.MULTILINE)
        match = pattern.search(self.fm_text)
        if match is None:
            return self.fm_line
        return self.fm_line + self.fm_text.count("\n", 0, match.start())

    def error(self, key: str, message: str) -> PostError:
        return PostError(self.source, message, line=self.line_of(key), field=key)


def _text(value: Any, key: str, context: _Context) -> str:
    if isinstance(value, bool) or value is None:
        raise context.error(
            key, f"must be text, not {value!r} (YAML reads yes/no/true/false as booleans: quote it)"
        )
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise context.error(key, f"must be text, not a {type(value).__name__}")
    return " ".join(value.split())


def _title(value: Any, context: _Context) -> str:
    title = _text(value, "title", context)
    if not title:
        raise context.error("title", "is empty")
    return title


def _datetime(value: Any, key: str, context: _Context) -> datetime:
    tz = context.settings.timezone
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=tz)
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), tz)
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise context.error(
                key, f"{value!r} is not a date; write it as 2024-08-08 or 2024-08-08T10:30:00+01:00"
            ) from None
        moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    else:
        raise context.error(key, f"must be a date like 2024-08-08, not {value!r}")
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise context.error(key, f"year {moment.year} is out of range ({MIN_YEAR}–{MAX_YEAR})")
    return moment


def _tags(value: Any, context: _Context) -> tuple[Tag, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        names: list[Any] = value.split(",")
    elif isinstance(value, list):
        names = value
    else:
        raise context.error("tags", f"must be a list or a comma-separated string, not {value!r}")
    tags: dict[str, Tag] = {}
    for index, item in enumerate(names):
        if isinstance(item, (list, dict)):
            raise context.error("tags", f"item {index + 1} must be a tag name, not a nested value")
        name = _text(item, "tags", context)
        if not name:
            continue
        slug = slugify(name)
        if not slug:
            raise context.error("tags", f"{name!r} has no letters or digits to make a URL from")
        tags.setdefault(slug, Tag(slug, name))
    return tuple(tags.values())


def _slug(value: Any, context: _Context) -> str:
    slug = slugify(_text(value, "slug", context))
    if not slug:
        raise context.error("slug", f"{value!r} has no letters or digits to make a URL from")
    return slug


def _summary(value: Any, context: _Context) -> str:
    return _text(value, "summary", context)


def _draft(value: Any, context: _Context) -> bool:
    if not isinstance(value, bool):
        raise context.error("draft", f"must be true or false, not {value!r}")
    return value


#: Front matter key -> (Post field, converter). Order matters only for errors.
FIELDS: dict[str, tuple[str, Callable[[Any, _Context], Any]]] = {
    "title": ("title", _title),
    "date": ("published", lambda value, context: _datetime(value, "date", context)),
    "tags": ("tags", _tags),
    "slug": ("slug", _slug),
    "summary": ("summary_text", _summary),
    "draft": ("draft", _draft),
}

REQUIRED = ("title", "date")


def _convert(
    metadata: Mapping[str, Any],
    source: PurePosixPath,
    settings: ReaderSettings,
    fm_text: str,
    fm_line: int,
) -> dict[str, Any]:
    context = _Context(source, settings, fm_text, fm_line)
    metadata = _with_defaults(metadata, source)
    for key in REQUIRED:
        if metadata.get(key) is None:
            raise PostError(source, "is missing", line=fm_line, field=key)
    fields: dict[str, Any] = {"slug": slug_from_path(source)}
    extra: dict[str, Any] = {}
    for key, value in metadata.items():
        if key in FIELDS:
            name, convert = FIELDS[key]
            fields[name] = convert(value, context)
        else:
            extra[str(key)] = value
    if not fields["slug"]:
        raise PostError(source, "file name has no letters or digits; set 'slug'", line=fm_line)
    fields["extra"] = extra
    return fields


def _with_defaults(metadata: Mapping[str, Any], source: PurePosixPath) -> Mapping[str, Any]:
    """A Jekyll-style file name supplies the date when front matter has none."""
    if metadata.get("date") is None:
        dated = date_from_path(source)
        if dated is not None:
            return {**metadata, "date": dated}
    return metadata


def is_post_name(name: str) -> bool:
    """Whether a file name is one the site reads: ``*.md``, not a dotfile."""
    return name.endswith(".md") and not name.startswith(".")


def iter_post_files(folder: Path, root: Path) -> Iterator[os.DirEntry[str]]:
    """Every post file below ``folder``, as directory entries (their stat is cached).

    Dotfiles and dot-folders are skipped. Folder links are never followed (no
    loops, no escaping); a file link is followed only if it stays inside root.
    """
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                listing = list(entries)
        except OSError:
            continue
        for entry in listing:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif is_post_name(entry.name) and entry.is_file():
                if entry.is_symlink() and not is_inside(Path(entry.path), root):
                    continue
                yield entry


def is_inside(path: Path, root: Path) -> bool:
    """Whether path, with every link resolved, lies inside root."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False
