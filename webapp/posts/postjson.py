"""Posts as JSON, and back: only plain values in, only plain values out.

Front matter gives more than JSON has: dates, datetimes and times with
their zones, tuples, sets, bytes, maps with keys that are not strings.
Each of those is written as a JSON object with one tag naming its type
(``{"date": "2024-08-08"}``, ``{"dict": [[key, value], ...]}``); a map in
the data is always written tagged, so every JSON object is a tag and
nothing read back is ambiguous. Only these exact types are written
(a subclass, or any other value, raises TypeError: that post is then not
stored), and decoding builds nothing but them, so a row can never name a
class or a function to call.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from .models import Post, PostError, Tag

#: The fields of a post that are stored; the renderer and summariser are set when loading.
STORED = tuple(f.name for f in dataclasses.fields(Post) if f.name not in ("renderer", "summarizer"))
_STORED_SET = frozenset(STORED)
_ALL_FIELDS = tuple(f.name for f in dataclasses.fields(Post))


def encode(post: Post, *, omit: Collection[str] = ()) -> str:
    """The post's stored fields (but those in ``omit``) as JSON. TypeError if a
    value cannot be represented."""
    fields = {name: _encode(getattr(post, name)) for name in STORED if name not in omit}
    return json.dumps(fields, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def decode(
    text: str | bytes,
    given: Mapping[str, object] | None = None,
    **functions: Callable[[str], Any] | None,
) -> Post:
    """The post written by ``encode``, with ``renderer`` and ``summarizer`` as
    given, and the fields it omitted from ``given`` (checked like the rest).

    ValueError (or TypeError, KeyError) for anything ``encode`` would not write.
    """
    given = given or {}
    if not isinstance(text, str):
        text = text.decode(json.detect_encoding(text), "surrogatepass")  # as json.loads does
    fields = _DECODER.decode(text)
    if type(fields) is not dict or fields.keys() | given.keys() != _STORED_SET:
        raise ValueError("not a stored post")
    if fields.keys() & given.keys():
        raise ValueError("not a stored post")
    # Most fields are plain strings, numbers or null: no call needed for those.
    values = {
        name: value if type(value) in _PLAIN else _decode(value) for name, value in fields.items()
    }
    values.update(given)
    for name, check in _FIELD_CHECKS.items():
        if not check(values[name]):
            raise ValueError(f"stored post has a bad {name}")
    return Post(**values, **functions)  # type: ignore[arg-type]


#: The fields a store row keeps in columns of their own, in column order
#: (``published`` only when its zone is a plain offset: see ``row``).
COLUMNS = ("slug", "title", "published", "source", "tags", "digest", "body_line", "draft")
#: Between the parts of the tags column (each tag's slug, then its name):
#: splitting on it is a seventh of decoding the same list as JSON. A post
#: with a tag holding it is not stored.
TAG_SEPARATOR = "\x1f"
_DEFAULTS: dict[str, object] = {
    f.name: f.default
    for f in dataclasses.fields(Post)
    if f.name in _STORED_SET and f.default is not dataclasses.MISSING
}


#: The fields a row may hold in its JSON: all but the columns (and ``published`` only
#: when it has no column) and the body.
_IN_JSON = _STORED_SET - {"body", *COLUMNS} | {"published"}


def row(post: Post) -> tuple[object, ...]:
    """The post as a store row: ``COLUMNS``, then the JSON (``encode``) of
    the other fields that differ from their defaults. TypeError if a value
    cannot be represented."""
    zone = _encode_zone(post.published.tzinfo)
    plain = post.published.fold == 0 and isinstance(zone, dict) and "offset" in zone
    published = post.published.isoformat() if plain else None
    tags = [part for tag in post.tags if type(tag) is Tag for part in (tag.slug, tag.name)]
    if len(tags) != 2 * len(post.tags):
        raise TypeError("a tag that is not a Tag cannot be stored")
    if any(type(part) is not str or TAG_SEPARATOR in part for part in tags):
        raise TypeError("a tag holding U+001F (or not text) cannot be stored")
    skip = {"body", *COLUMNS} - ({"published"} if published is None else set())
    rest = {
        name: _encode(getattr(post, name))
        for name in STORED
        if name not in skip and not _is_default(name, getattr(post, name))
    }
    columns = (
        post.slug,
        post.title,
        published,
        str(post.source),
        TAG_SEPARATOR.join(tags),
        post.digest,
        post.body_line,
        post.draft,
    )
    text = json.dumps(rest, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (*columns, text)


def _is_default(name: str, value: object) -> bool:
    default = _DEFAULTS.get(name, dataclasses.MISSING)
    if name == "extra":
        default = {}
    return type(value) is type(default) and value == default


class RowReader:
    """Builds the posts ``row`` wrote, with ``renderer`` and ``summarizer`` as
    given. Equal tags, and equal lists of them, are shared between posts (the
    list is decoded once for all the posts that have it)."""

    def __init__(self, **functions: Callable[[str], Any] | None) -> None:
        #: Every field of a post, in their order, with its default (see ``post``).
        self._fields: dict[str, object] = {
            name: _DEFAULTS.get(name) for name in _ALL_FIELDS
        } | functions
        if tuple(self._fields) != _ALL_FIELDS:
            raise TypeError("only a post's renderer and summarizer are given")
        self._tag_lists: dict[str, tuple[Tag, ...]] = {"": ()}
        self._tags = _TagTable()

    def post(
        self,
        slug: object,
        title: object,
        published: object,
        source: object,
        tag_text: object,
        digest: object,
        body_line: object,
        draft: object,
        text: object,
        body: str | Callable[[], str],
    ) -> Post:
        """The post of one row's ``COLUMNS`` and JSON, with ``body`` (its text, or
        a function giving it: see ``Post``). ValueError (or TypeError, KeyError)
        for anything ``row`` would not write: every value is checked."""
        if not (
            type(slug) is str
            and type(title) is str
            and type(source) is str
            and _is_plain_path(source)
            and type(tag_text) is str
            and type(digest) is str
            and type(body_line) is int
            and type(draft) is int
            and (draft == 0 or draft == 1)
            and type(text) is str
            and (type(body) is str or callable(body))
        ):
            raise ValueError("not a stored post")
        tags = self._tag_lists.get(tag_text)
        if tags is None:
            tags = self._tag_lists[tag_text] = self._decode_tags(tag_text)
        values = self._fields.copy()  # in field order: see Post.restore
        values.update(
            slug=slug, title=title, source=source, body=body, tags=tags,
            draft=draft == 1, digest=digest, body_line=body_line, extra={},
        )  # fmt: skip
        # Most posts differ from the defaults in the columns alone: "{}" needs no decoding.
        if text != "{}":
            fields = _DECODER.decode(text)
            if type(fields) is not dict or not fields.keys() <= _IN_JSON:
                raise ValueError("not a stored post")
            for name, value in fields.items():
                value = values[name] = value if type(value) in _PLAIN else _decode(value)
                if not _FIELD_CHECKS[name](value):
                    raise ValueError(f"stored post has a bad {name}")
            if (published is None) != ("published" in fields):
                raise ValueError("not a stored post")
        elif published is None:
            raise ValueError("not a stored post")
        if published is not None:
            if type(published) is not str:
                raise ValueError("stored post has a bad published")
            values["published"] = moment = datetime.fromisoformat(published)
            if type(moment.tzinfo) is not timezone:
                raise ValueError("stored post has a bad published")
        return Post.restore(values)

    def _decode_tags(self, text: str) -> tuple[Tag, ...]:
        parts = text.split(TAG_SEPARATOR)
        if len(parts) % 2:
            raise ValueError("stored post has bad tags")
        pairs = iter(parts)
        return tuple(map(self._tags.__getitem__, zip(pairs, pairs)))  # noqa: B905 (even)


class _TagTable(dict[tuple[str, str], Tag]):
    """One Tag for each (slug, name), made when first asked for."""

    def __missing__(self, pair: tuple[str, str]) -> Tag:
        tag = self[pair] = Tag(*pair)
        return tag


def _is_plain_path(text: str) -> bool:
    """Whether text is a relative path as ``str(PurePosixPath)`` writes it (no
    empty or ``.`` part): the path made of it later (see ``Post.source``) has
    the same text."""
    parts = text.split("/")
    return "" not in parts and "." not in parts


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not stored as a bare constant")


#: One decoder for every row (json.loads with an option builds a new one each call).
_DECODER = json.JSONDecoder(parse_constant=_no_constant)
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _is_tuple_of(kind: type) -> Callable[[object], bool]:
    return lambda value: type(value) is tuple and all(type(item) is kind for item in value)


def _is_pairs_of_str(value: object) -> bool:
    return type(value) is tuple and all(
        type(pair) is tuple and len(pair) == 2 and _is_tuple_of(str)(pair) for pair in value
    )


def _is(*kinds: type | None) -> Callable[[object], bool]:
    allowed = tuple(type(None) if kind is None else kind for kind in kinds)
    return lambda value: type(value) in allowed


_FIELD_CHECKS: dict[str, Callable[[object], bool]] = {
    "slug": _is(str),
    "title": _is(str),
    "published": _is(datetime),
    "source": _is(PurePosixPath),
    "body": _is(str),
    "tags": _is_tuple_of(Tag),
    "summary_text": _is(str, None),
    "redirect_to": _is(str, None),
    "draft": _is(bool),
    "updated": _is(datetime, None),
    "aliases": _is_tuple_of(str),
    "digest": _is(str),
    "body_line": _is(int),
    "extra": _is(dict),
    "warnings": _is_tuple_of(PostError),
    "references": lambda value: _is_pairs_of_str(value),
}


def _encode(value: object) -> object:
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if isinstance(value, float) and kind is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, list) and kind is list:
        return [_encode(item) for item in value]
    if isinstance(value, tuple | set | frozenset) and kind in (tuple, set, frozenset):
        return {kind.__name__: [_encode(item) for item in value]}
    if isinstance(value, dict) and kind is dict:
        return {"dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, datetime | time) and kind in (datetime, time):
        return {
            kind.__name__: value.replace(tzinfo=None, fold=0).isoformat(),
            "fold": value.fold,
            "zone": _encode_zone(value.tzinfo),
        }
    if isinstance(value, date) and kind is date:
        return {"date": value.isoformat()}
    if isinstance(value, bytes) and kind is bytes:
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, PurePosixPath) and kind is PurePosixPath:
        return {"path": str(value)}
    if isinstance(value, Tag) and kind is Tag:
        return {"tag": [value.slug, value.name]}
    if isinstance(value, PostError) and kind is PostError:
        return {"error": value.as_dict()}
    raise TypeError(f"a {kind.__name__} cannot be stored")


def _encode_zone(zone: tzinfo | None) -> object:
    if zone is None:
        return None
    if isinstance(zone, ZoneInfo) and type(zone) is ZoneInfo and zone.key is not None:
        return {"name": zone.key}
    if isinstance(zone, timezone) and type(zone) is timezone:
        offset = zone.utcoffset(None)
        if repr(zone) == repr(timezone(offset)):  # no name of its own to lose
            return {"offset": [offset.days, offset.seconds, offset.microseconds]}
    raise TypeError(f"the time zone {zone!r} cannot be stored")


def _decode(value: object) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        raise ValueError(f"unexpected {type(value).__name__}")
    tag = next(iter(value), None)
    body = value.get(tag)
    if tag in ("datetime", "time"):
        if value.keys() != {tag, "fold", "zone"} or not isinstance(body, str):
            raise ValueError(f"malformed {tag}")
        parsed = datetime.fromisoformat(body) if tag == "datetime" else time.fromisoformat(body)
        if parsed.tzinfo is not None or value["fold"] not in (0, 1):
            raise ValueError(f"malformed {tag}")
        return parsed.replace(tzinfo=_decode_zone(value["zone"]), fold=value["fold"])
    if len(value) != 1:
        raise ValueError("a tag has exactly one key")
    if tag == "float" and body in ("inf", "-inf", "nan"):
        return float(body)
    if tag in ("tuple", "set", "frozenset") and isinstance(body, list):
        items = [_decode(item) for item in body]
        return tuple(items) if tag == "tuple" else set(items) if tag == "set" else frozenset(items)
    if tag == "dict" and isinstance(body, list):
        pairs = [_pair(item) for item in body]
        return {_decode(k): _decode(v) for k, v in pairs}
    if tag == "date" and isinstance(body, str):
        return date.fromisoformat(body)
    if tag == "bytes" and isinstance(body, str):
        return base64.b64decode(body, validate=True)
    if tag == "path" and isinstance(body, str):
        return PurePosixPath(body)
    if tag == "tag" and isinstance(body, list) and [type(item) for item in body] == [str, str]:
        return Tag(body[0], body[1])
    if tag == "error" and isinstance(body, dict):
        return _decode_error(body)
    raise ValueError(f"unknown or malformed tag {tag!r}")


def _pair(item: object) -> tuple[object, object]:
    if not isinstance(item, list) or len(item) != 2:
        raise ValueError("malformed map entry")
    return item[0], item[1]


def _decode_zone(zone: object) -> tzinfo | None:
    if zone is None:
        return None
    if isinstance(zone, dict) and zone.keys() == {"name"} and isinstance(zone["name"], str):
        return ZoneInfo(zone["name"])
    if isinstance(zone, dict) and zone.keys() == {"offset"} and isinstance(zone["offset"], list):
        parts = zone["offset"]
        if len(parts) == 3 and all(type(part) is int for part in parts):
            return timezone(timedelta(*parts))
    raise ValueError("malformed time zone")


def _decode_error(fields: dict[str, object]) -> PostError:
    if fields.keys() != {"path", "line", "field", "severity", "message"}:
        raise ValueError("malformed warning")
    path, message, line, field, severity = (
        fields["path"],
        fields["message"],
        fields["line"],
        fields["field"],
        fields["severity"],
    )
    if not (
        isinstance(path, str)
        and isinstance(message, str)
        and isinstance(severity, str)
        and (line is None or type(line) is int)
        and (field is None or isinstance(field, str))
    ):
        raise ValueError("malformed warning")
    return PostError(path, message, line=line, field=field, severity=severity)
