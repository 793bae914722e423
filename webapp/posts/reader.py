"""Read one Markdown file with front matter into a Post, or say exactly why not.

A reader returns plain data: front matter is parsed by python-frontmatter's
handlers, then each known key is converted by one entry of ``FIELDS``. Every
problem becomes a ``PostError`` that names the file, the line and the field.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import frontmatter
import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from .migration.dates import parse_date_text
from .migration.files import SITE_TOOLING_FOLDERS, is_markdown_name
from .migration.permalinks import bundle_slug_parts
from .models import Post, PostError, Rendered, Tag

#: Files larger than this are reported rather than read.
MAX_POST_BYTES = 5 * 1024 * 1024
#: Dates outside these years are almost certainly typos (and break time zone maths).
MIN_YEAR, MAX_YEAR = 1900, 9999


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
    #: Expands template code (Hugo shortcodes, Jekyll Liquid) in a body before
    #: Markdown: (body, source, front matter, body's first line) -> (body, warnings).
    preprocess: (
        Callable[[str, PurePosixPath, Mapping[str, Any], int], tuple[str, tuple[PostError, ...]]]
        | None
    ) = None
    #: The URLs a post had under its old generator: (source, front matter, date) -> paths.
    old_urls: Callable[[PurePosixPath, Mapping[str, Any], datetime], tuple[str, ...]] | None = None


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
    """The file's stem without a Jekyll date prefix (for a bundle's index.md, Hugo's rule).

    A bundle is named by its path below its section, so ``post/2019/07/index.md``
    and ``post/2020/07/index.md`` are ``2019-07`` and ``2020-07``.
    """
    bundle = bundle_slug_parts(source)
    stem = "-".join(bundle) if bundle else source.stem
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
            modified = datetime.fromtimestamp(os.fstat(handle.fileno()).st_mtime, UTC)
    except OSError as error:
        raise PostError(source, f"cannot be read: {error.strerror or error}") from error
    if len(raw) > settings.max_bytes:
        limit = settings.max_bytes // (1024 * 1024)
        raise PostError(source, f"is larger than {limit} MB; split it or raise BLOG_MAX_POST_BYTES")
    return parse_post(raw, source, settings, modified=modified)


def parse_post(
    raw: bytes,
    source: PurePosixPath,
    settings: ReaderSettings,
    *,
    modified: datetime | None = None,
) -> Post:
    """Turn a file's bytes into a Post, or raise PostError naming the line.

    ``modified`` (the file's modification time) dates an undated draft in
    ``_drafts/``, as Jekyll does.
    """
    front = _split_front_matter(_decode(raw, source), source)
    fields = _convert(front, source, settings, modified)
    return Post(
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


class _FrontMatter(NamedTuple):
    metadata: Mapping[str, Any]
    body: str
    text: str
    #: The line of the opening delimiter; front matter text line 0 is on it.
    line: int
    #: The line the body starts on.
    body_line: int


def _split_front_matter(text: str, source: PurePosixPath) -> _FrontMatter:
    stripped = text.lstrip()
    offset_lines = text.count("\n", 0, len(text) - len(stripped))
    handler = frontmatter.detect_format(stripped, HANDLERS)
    if handler is None:
        raise PostError(source, "has no front matter: start the file with a line of '---'", line=1)
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
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = fm_line + mark.line if mark else fm_line
        problem = error.problem or str(error)
        if error.context and error.context_mark and error.context_mark is not mark:
            started = fm_line + error.context_mark.line
            problem += f" ({error.context.removeprefix('while ')} started on line {started})"
        raise PostError(source, f"front matter is not valid YAML: {problem}", line=line) from None
    except yaml.YAMLError as error:
        raise PostError(source, f"front matter is not valid YAML: {error}", line=fm_line) from None
    except tomllib.TOMLDecodeError as error:
        at = re.search(r"at line (\d+)", str(error))
        if at:
            line = fm_line + int(at.group(1)) - 1
        else:  # "at end of document": the problem runs up to the closing +++
            line = fm_line + fm_text.count("\n")
        message = re.sub(r" \(at (line \d+, column \d+|end of document)\)", "", str(error))
        raise PostError(source, f"front matter is not valid TOML: {message}", line=line) from None
    except json.JSONDecodeError as error:
        line = fm_line + error.lineno - 1
        raise PostError(source, f"front matter is not valid JSON: {error.msg}", line=line) from None
    except (ValueError, TypeError, RecursionError) as error:
        # PyYAML raises a plain ValueError for impossible dates such as 2024-02-30.
        bad = _first_bad_date(fm_text, fm_line)
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
    return _FrontMatter(metadata, body.strip("\n"), fm_text, fm_line, body_line)


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
        self, source: PurePosixPath, settings: ReaderSettings, front: _FrontMatter
    ) -> None:
        self.source = source
        self.settings = settings
        self.front = front

    def line_of(self, key: str) -> int:
        pattern = re.compile(rf"""^[ \t]*["']?{re.escape(key)}["']?[ \t]*[:=]""", re.MULTILINE)
        match = pattern.search(self.front.text)
        if match is None:
            return self.front.line
        return self.front.line + self.front.text.count("\n", 0, match.start())

    def error(self, key: str, message: str) -> PostError:
        return PostError(self.source, message, line=self.line_of(key), field=key)

    def warning(self, key: str, message: str) -> PostError:
        return PostError(
            self.source, message, line=self.line_of(key), field=key, severity="warning"
        )


Converter = Callable[[Any, str, _Context], Any]


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


def _title(value: Any, key: str, context: _Context) -> str:
    title = _text(value, key, context)
    if not title:
        raise context.error(key, "is empty")
    return title


def _datetime(value: Any, key: str, context: _Context) -> datetime:
    tz = context.settings.timezone
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=tz)
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), tz)
    elif isinstance(value, str) and value.strip():
        parsed = _parse_date_text(value.strip())
        if parsed is None:
            raise context.error(
                key, f"{value!r} is not a date; write it as 2024-08-08 or 2024-08-08T10:30:00+01:00"
            )
        moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    else:
        raise context.error(key, f"must be a date like 2024-08-08, not {value!r}")
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise context.error(key, f"year {moment.year} is out of range ({MIN_YEAR}–{MAX_YEAR})")
    return moment


def _parse_date_text(text: str) -> datetime | None:
    """Whatever Hugo (Go) or Jekyll (Ruby) accepted as a date: see migration.dates."""
    return parse_date_text(text)


def _tags(value: Any, key: str, context: _Context) -> tuple[Tag, ...]:
    """A list, or a string split on commas (on spaces if it has none, as Jekyll does)."""
    if isinstance(value, str):
        names: list[Any] = value.split(",") if "," in value else value.split()
    elif isinstance(value, list):
        names = value
    else:
        raise context.error(key, f"must be a list or a comma-separated string, not {value!r}")
    if len(names) > MAX_TAGS:
        raise context.error(key, f"has {len(names)} tags; at most {MAX_TAGS} are allowed")
    tags: dict[str, Tag] = {}
    for index, item in enumerate(names):
        if isinstance(item, (list, dict)):
            raise context.error(key, f"item {index + 1} must be a tag name, not a nested value")
        name = _text(item, key, context)
        if not name:
            continue
        slug = slugify(name)
        if not slug:
            raise context.error(key, f"{name!r} has no letters or digits to make a URL from")
        tags.setdefault(slug, Tag(slug, name))
    return tuple(tags.values())


def _slug(value: Any, key: str, context: _Context) -> str:
    slug = slugify(_text(value, key, context))
    if not slug:
        raise context.error(key, f"{value!r} has no letters or digits to make a URL from")
    return slug


def _draft(value: Any, key: str, context: _Context) -> bool:
    if not isinstance(value, bool):
        raise context.error(key, f"must be true or false, not {value!r}")
    return value


def _unpublished(value: Any, key: str, context: _Context) -> bool:
    """Jekyll's ``published: false`` is a draft."""
    return not _draft(value, key, context)


def _aliases(value: Any, key: str, context: _Context) -> tuple[str, ...]:
    """Old URLs of the post, as paths: ``/2019/01/old-name/`` or a full URL."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise context.error(key, "must be a URL path or a list of them")
    return tuple(path for path in (normalize_path(item) for item in items) if path != "/")


def normalize_path(url: str) -> str:
    """The path of a URL, with one leading slash and no trailing one: how aliases match."""
    path = urlsplit(url.strip()).path
    return "/" + path.strip("/")


#: Front matter key -> (Post field, converter). Several keys can set one
#: field (Hugo's and Jekyll's names); the first present, in this order, wins.
FIELDS: dict[str, tuple[str, Converter]] = {
    "title": ("title", _title),
    "date": ("published", _datetime),
    "publishDate": ("published", _datetime),  # Hugo
    "updated": ("updated", _datetime),
    "lastmod": ("updated", _datetime),  # Hugo
    "last_modified_at": ("updated", _datetime),  # jekyll-last-modified-at
    "tags": ("tags", _tags),
    "slug": ("slug", _slug),
    "summary": ("summary_text", _text),
    "description": ("summary_text", _text),  # Hugo
    "excerpt": ("summary_text", _text),  # Jekyll
    "draft": ("draft", _draft),
    "published": ("draft", _unpublished),  # Jekyll
    "aliases": ("aliases", _aliases),  # Hugo
    "redirect_from": ("aliases", _aliases),  # jekyll-redirect-from
}

#: Keys whose tags are added to the post's tags: a category is a tag here.
MERGED_INTO_TAGS = ("categories", "category")

#: Keys other generators use for things this engine leaves to the theme or
#: does not do. They are kept in ``Post.extra`` without a warning.
KNOWN_ELSEWHERE = frozenset(
    {
        "layout", "permalink", "author", "authors", "comments", "image", "images",
        "cover", "weight", "type", "url", "toc", "math", "keywords", "series",
        "expiryDate", "hidden", "showToc", "featured_image", "lang", "canonical",
        # Hugo's own page keys.
        "params", "linkTitle", "menu", "menus", "outputs", "resources", "build", "cascade",
        "translationKey", "sitemap", "markup", "headless", "isCJKLanguage",
    }
)  # fmt: skip

REQUIRED = {"title": "title", "published": "date"}
MAX_TAGS = 100
#: Deeper nesting of lists and quotes than any prose needs; Python-Markdown
#: recurses once per level and gives up (RecursionError) a few hundred down.
MAX_NESTING = 32
_LIST_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)


def _check_nesting(body: str, body_line: int, source: PurePosixPath) -> None:
    """Refuse bodies nested so deep that rendering them would fail.

    Cheap for ordinary posts: the line-by-line scan runs only when the body
    holds indentation or quote markers deep enough to matter.
    """
    deep_indent = " " * (4 * MAX_NESTING - 4) in body or "\t" * (MAX_NESTING - 1) in body
    many_quotes = body.count(">") > MAX_NESTING
    if not (deep_indent or many_quotes):
        return
    for match in _LIST_ITEM.finditer(body) if deep_indent else ():
        depth = len(match.group(1).expandtabs(4)) // 4 + 1
        if depth > MAX_NESTING:
            line = body_line + body.count("\n", 0, match.start())
            raise PostError(
                source, f"nests lists {depth} levels deep (at most {MAX_NESTING})", line=line
            )
    for match in _QUOTE.finditer(body) if many_quotes else ():
        depth = match.group(0).count(">")
        if depth > MAX_NESTING:
            line = body_line + body.count("\n", 0, match.start())
            raise PostError(
                source, f"nests quotes {depth} levels deep (at most {MAX_NESTING})", line=line
            )


def _convert(
    front: _FrontMatter,
    source: PurePosixPath,
    settings: ReaderSettings,
    modified: datetime | None = None,
) -> dict[str, Any]:
    context = _Context(source, settings, front)
    metadata = front.metadata
    fields: dict[str, Any] = {}
    for key, (name, convert) in FIELDS.items():
        if metadata.get(key) is not None and name not in fields:
            fields[name] = convert(metadata[key], key, context)
    for key in MERGED_INTO_TAGS:
        if metadata.get(key) is not None:
            extra_tags = _tags(metadata[key], key, context)
            known = {tag.slug for tag in fields.get("tags", ())}
            fields["tags"] = (
                *fields.get("tags", ()),
                *(t for t in extra_tags if t.slug not in known),
            )
    body, body_line = front.body, front.body_line
    if "title" not in fields:
        # A file with no title but a first-line heading (common in migrated
        # sites) takes its title from the heading.
        heading = _LEADING_H1.match(body)
        if heading:
            fields["title"] = " ".join(heading.group(1).split())
            body_line += body.count("\n", 0, heading.end())
            body = body[heading.end() :].lstrip("\n")
    in_drafts = "_drafts" in source.parent.parts
    if "published" not in fields:
        dated = date_from_path(source)
        if dated is not None:
            fields["published"] = datetime.combine(dated, time(), settings.timezone)
        elif in_drafts and modified is not None:
            fields["published"] = modified
    for name, key in REQUIRED.items():
        if name not in fields:
            raise PostError(source, "is missing", line=front.line, field=key)
    fields.setdefault("slug", slug_from_path(source))
    if not fields["slug"]:
        raise PostError(source, "file name has no letters or digits; set 'slug'", line=front.line)
    if settings.old_urls is not None:
        old = [
            normalize_path(url) for url in settings.old_urls(source, metadata, fields["published"])
        ]
        own = f"/posts/{fields['slug']}"
        fields["aliases"] = tuple(
            dict.fromkeys([*fields.get("aliases", ()), *(u for u in old if u not in ("/", own))])
        )
    if in_drafts:
        fields["draft"] = True  # Jekyll keeps drafts in _drafts/
    known = FIELDS.keys() | set(MERGED_INTO_TAGS)
    fields["extra"] = {str(k): v for k, v in metadata.items() if k not in known}
    fields["warnings"] = tuple(
        context.warning(str(key), _unknown_key_message(str(key)))
        for key in fields["extra"]
        if key not in KNOWN_ELSEWHERE
    )
    if settings.preprocess is not None:
        body, notes = settings.preprocess(body, source, metadata, body_line)
        fields["warnings"] += notes
    _check_nesting(body, body_line, source)
    fields["body"] = body
    fields["body_line"] = body_line
    return fields


_LEADING_H1 = re.compile(r"\A#[ \t]+(.+?)[ \t#]*(?:\n|\Z)")


def _unknown_key_message(key: str) -> str:
    candidates = [*FIELDS, *MERGED_INTO_TAGS]
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    if not close:
        lowered = {candidate.lower(): candidate for candidate in candidates}
        close = [lowered[key.lower()]] if key.lower() in lowered else []
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"is not a key this site reads{hint}"


def is_post_name(name: str) -> bool:
    """Whether a file is a post: Markdown, not a dotfile nor ``_index.md`` and its kind.

    Markdown is any suffix Jekyll or Hugo read (``.md``, ``.markdown``, ``.mkd``…).
    Names starting with an underscore are Hugo's list pages and partials.
    """
    return is_markdown_name(name) and not name.startswith((".", "_"))


def is_bundle_file(name: str) -> bool:
    """Whether a file beside a bundle's index.md may be served: not Markdown, not hidden."""
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and "\x00" not in name
        and not is_markdown_name(name)
        and not any(part.startswith((".", "_")) or part == ".." for part in parts)
    )


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
                if current == root and entry.name in SITE_TOOLING_FOLDERS:
                    continue  # a whole site's theme, build output or static files
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
