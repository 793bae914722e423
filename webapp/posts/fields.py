"""Front matter keys to Post fields: one entry of ``FIELDS`` per key, one converter each.

Jekyll's and Hugo's names for the same thing map to the same field. Every
problem is a ``PostError`` naming the file, the key's line and the key.
Adding a front matter key means adding a converter and a ``FIELDS`` entry.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .migration.dates import parse_date_text
from .models import PostError, Tag
from .slugs import date_from_path, slug_from_path, slugify

if TYPE_CHECKING:
    from .front_matter import FrontMatter

#: Dates outside these years are almost certainly typos (and break time zone maths).
MIN_YEAR, MAX_YEAR = 1900, 9999


@dataclass(frozen=True)
class _Context:
    """What a field converter needs to explain a problem precisely."""

    source: PurePosixPath
    timezone: tzinfo
    front: FrontMatter

    def error(self, key: str, message: str) -> PostError:
        return PostError(self.source, message, line=self.front.line_of(key), field=key)

    def warning(self, key: str, message: str) -> PostError:
        return PostError(
            self.source, message, line=self.front.line_of(key), field=key, severity="warning"
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
    tz = context.timezone
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


def _redirect_target(value: Any, key: str, context: _Context) -> str:
    """Where a post that only redirects sends readers: a URL or a path of this site."""
    target = value[0] if isinstance(value, list) and len(value) == 1 else value
    if not isinstance(target, str) or not target.strip():
        raise context.error(key, "must be a URL or a path, such as /new-name/")
    parts = urlsplit(target.strip())
    if parts.scheme not in ("", "http", "https") or not (parts.netloc or parts.path):
        raise context.error(key, f"{target!r} is not an http(s) URL or a path")
    return target.strip()


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
    "redirect_to": ("redirect_to", _redirect_target),  # jekyll-redirect-from
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

#: Every key that sets a field: the others are kept in ``Post.extra``.
_READ_KEYS = frozenset({*FIELDS, *MERGED_INTO_TAGS})

REQUIRED = {"title": "title", "published": "date"}
MAX_TAGS = 100


def convert(
    front: FrontMatter,
    source: PurePosixPath,
    timezone: tzinfo,
    modified: datetime | None = None,
) -> dict[str, Any]:
    """The Post fields front matter sets (body and body_line included), or PostError.

    ``modified`` (the file's modification time) dates an undated draft in
    ``_drafts/``, as Jekyll does.
    """
    context = _Context(source, timezone, front)
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
            fields["published"] = datetime.combine(dated, time(), timezone)
        elif in_drafts and modified is not None:
            fields["published"] = modified
    if "redirect_to" in fields:
        # A redirect stub (jekyll-redirect-from) is listed nowhere: it needs
        # neither a title nor a date of its own.
        fields.setdefault("title", fields["redirect_to"])
        fields.setdefault("published", datetime(1970, 1, 1, tzinfo=timezone))
    for name, key in REQUIRED.items():
        if name not in fields:
            raise PostError(source, "is missing", line=front.line, field=key)
    fields.setdefault("slug", slug_from_path(source))
    if not fields["slug"]:
        raise PostError(source, "file name has no letters or digits; set 'slug'", line=front.line)
    if in_drafts:
        fields["draft"] = True  # Jekyll keeps drafts in _drafts/
    fields["extra"] = {str(k): v for k, v in metadata.items() if k not in _READ_KEYS}
    fields["warnings"] = tuple(
        context.warning(str(key), _unknown_key_message(str(key)))
        for key in fields["extra"]
        if key not in KNOWN_ELSEWHERE
    )
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
