"""Cache backends that store only bytes and integers, never pickles.

cachelib's backends pickle every value, and its Redis backend unpickles any
value that starts with ``!``: whoever can write to a shared Redis could run
code in every worker reading it. The backends here keep two kinds of value,
both plain data:

- integers (the generation counter), as ASCII digits, so Redis's ``INCR``
  works on them;
- response entries, as ``bytes`` in the frame below, which the reader
  parses field by field.

Anything else read from the cache (a pickle, a string, a truncated or
malformed frame) is refused: it counts as a miss and the first such refusal
in a process is logged.

A response entry's frame::

    MAGIC (6 bytes) | version (1 byte) | header length (4 bytes, big-endian)
    | header: UTF-8 JSON {"headers": [[name, value], ...], "etag": str,
                          "parts": [["", n], ["br", n], ["gzip", n], ...]}
    | the parts' bytes, in that order (the first is the identity body)

``CACHE_TYPE`` names flask-caching's backends as users write them
(``RedisCache``, ``SimpleCache``, ...); ``safe_cache_type`` maps each to its
counterpart here.
"""

from __future__ import annotations

import json
import logging
import re
import struct
import threading
from typing import IO, Any, NamedTuple

from cachelib.serializers import (
    BaseSerializer,
    FileSystemSerializer,
    RedisSerializer,
)
from flask_caching.backends.filesystemcache import FileSystemCache as _FileSystemCache
from flask_caching.backends.rediscache import RedisCache as _RedisCache
from flask_caching.backends.rediscache import RedisClusterCache as _RedisClusterCache
from flask_caching.backends.rediscache import RedisSentinelCache as _RedisSentinelCache

log = logging.getLogger(__name__)

MAGIC = b"MRGNL\x00"
VERSION = 1
_PREFIX = struct.Struct(">6sBI")
#: Larger headers are not something this application writes.
MAX_HEADER_BYTES = 64 * 1024
_INTEGER = re.compile(rb"-?[0-9]{1,19}")
_CODING = re.compile(r"[a-z0-9-]{1,20}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,100}")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


class Entry(NamedTuple):
    """A cached response's parts, as the frame holds them."""

    body: bytes
    headers: list[tuple[str, str]]
    etag: str
    encoded: dict[str, bytes]


class RefusedValue(ValueError):
    """A value read from the cache that is not in this module's format."""


_refusal_logged = threading.Event()


def refuse(reason: str) -> None:
    """Log the first refused value of this process (later ones would only repeat it)."""
    if not _refusal_logged.is_set():
        _refusal_logged.set()
        log.warning(
            "ignored a value in the response cache: %s; treated as a miss. Something "
            "other than this application writes to the cache (later refusals are not logged)",
            reason,
        )


def pack(entry: Entry) -> bytes:
    """An entry as one ``bytes`` frame."""
    parts = [("", entry.body), *entry.encoded.items()]
    header = json.dumps(
        {
            "headers": [list(pair) for pair in entry.headers],
            "etag": entry.etag,
            "parts": [[name, len(data)] for name, data in parts],
        },
        separators=(",", ":"),
    ).encode()
    return b"".join(
        [_PREFIX.pack(MAGIC, VERSION, len(header)), header, *(data for _, data in parts)]
    )


def unpack(frame: bytes) -> Entry:
    """Parse a frame written by ``pack``; raise RefusedValue saying what is wrong."""
    if len(frame) < _PREFIX.size:
        raise RefusedValue("shorter than a frame")
    magic, version, header_size = _PREFIX.unpack_from(frame)
    if magic != MAGIC:
        raise RefusedValue(f"does not start with the frame's magic ({frame[:8]!r})")
    if version != VERSION:
        raise RefusedValue(f"frame version {version}, expected {VERSION}")
    if header_size > MAX_HEADER_BYTES or _PREFIX.size + header_size > len(frame):
        raise RefusedValue(f"header length {header_size} does not fit the frame")
    start = _PREFIX.size + header_size
    try:
        header = json.loads(frame[_PREFIX.size : start])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RefusedValue(f"header is not JSON ({error})") from error
    if not isinstance(header, dict) or set(header) != {"headers", "etag", "parts"}:
        raise RefusedValue("header does not hold exactly headers, etag and parts")
    headers = header["headers"]
    etag = header["etag"]
    parts = header["parts"]
    if not isinstance(etag, str) or not re.fullmatch(r"[0-9a-f]{1,64}", etag):
        raise RefusedValue("etag is not a hex digest")
    if not isinstance(headers, list) or not all(_is_header(pair) for pair in headers):
        raise RefusedValue("headers are not [name, value] pairs of valid text")
    if (
        not isinstance(parts, list)
        or not parts
        or not all(_is_part(part) for part in parts)
        or parts[0][0] != ""
        or any(not _CODING.fullmatch(name) for name, _ in parts[1:])
        or len({name for name, _ in parts}) != len(parts)
    ):
        raise RefusedValue("parts are not a body followed by named encodings")
    if start + sum(size for _, size in parts) != len(frame):
        raise RefusedValue("the parts' lengths do not add up to the frame")
    view = memoryview(frame)
    data: dict[str, bytes] = {}
    for name, size in parts:
        data[name] = bytes(view[start : start + size])
        start += size
    body = data.pop("")
    return Entry(body, [(name, value) for name, value in headers], etag, data)


def _is_header(pair: Any) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and all(isinstance(text, str) for text in pair)
        and _HEADER_NAME.fullmatch(pair[0]) is not None
        and _HEADER_VALUE.fullmatch(pair[1]) is not None
    )


def _is_part(part: Any) -> bool:
    return (
        isinstance(part, list)
        and len(part) == 2
        and isinstance(part[0], str)
        and type(part[1]) is int
        and part[1] >= 0
    )


class SafeSerializer(BaseSerializer):
    """Integers as ASCII digits, frames as themselves; reads nothing else.

    Used by every backend here, for Redis (``dumps``/``loads``) and for files
    (``dump``/``load``) alike.
    """

    def dumps(self, value: Any, protocol: int | None = None) -> bytes:
        if type(value) is int:
            return str(value).encode("ascii")
        if isinstance(value, bytes) and value.startswith(MAGIC):
            return value
        raise TypeError(f"this cache stores integers and response frames, not {type(value)}")

    def loads(self, value: bytes | None) -> int | bytes | None:
        if value is None:
            return None
        if not isinstance(value, bytes):
            refuse(f"a {type(value).__name__}, not bytes")
            return None
        if _INTEGER.fullmatch(value):
            return int(value)
        if value.startswith(MAGIC):
            return value
        refuse(f"neither a number nor a response frame (starts {value[:8]!r})")
        return None

    def dump(self, value: Any, f: IO[bytes], protocol: int | None = None) -> None:
        f.write(self.dumps(value))

    def load(self, f: IO[bytes]) -> int | bytes | None:
        return self.loads(f.read())


class _SafeFileSystemSerializer(SafeSerializer, FileSystemSerializer):
    pass


class _SafeRedisSerializer(SafeSerializer, RedisSerializer):
    pass


class FileSystemCache(_FileSystemCache):
    """flask-caching's file cache, without pickles on disk."""

    serializer = _SafeFileSystemSerializer()


class RedisCache(_RedisCache):
    """flask-caching's Redis cache, without pickles."""

    serializer = _SafeRedisSerializer()


class RedisSentinelCache(_RedisSentinelCache):
    """flask-caching's Redis Sentinel cache, without pickles."""

    serializer = _SafeRedisSerializer()


class RedisClusterCache(_RedisClusterCache):
    """flask-caching's Redis Cluster cache, without pickles."""

    serializer = _SafeRedisSerializer()


#: flask-caching's own backends, as ``CACHE_TYPE`` may name them, and their safe versions.
_SAFE_TYPES = {
    # In process: bounded in bytes, values kept as they are (the same frames).
    "SimpleCache": "webapp.memory_cache.BoundedMemoryCache",
    **{
        name: f"{__name__}.{name}"
        for name in ("FileSystemCache", "RedisCache", "RedisSentinelCache", "RedisClusterCache")
    },
}
#: Backends whose client pickles values itself: no safe version exists.
_PICKLING_TYPES = {"MemcachedCache", "SASLMemcachedCache", "SpreadSASLMemcachedCache", "UWSGICache"}


def safe_cache_type(cache_type: str) -> str:
    """The backend to use for ``CACHE_TYPE`` as written: flask-caching's names map to ours.

    ``NullCache`` and the operator's own classes (any other dotted path) are
    kept; flask-caching's memcached backends, whose clients pickle values,
    are refused with a clear error.
    """
    name = cache_type
    for prefix in ("flask_caching.backends.", "cachelib."):
        if name.startswith(prefix):
            name = name.rsplit(".", 1)[-1]
            break
    if name in _SAFE_TYPES:
        return _SAFE_TYPES[name]
    if name in _PICKLING_TYPES:
        raise ValueError(
            f"CACHE_TYPE={cache_type!r} stores values with pickle, so whoever can write to "
            "that cache could run code here; use RedisCache or SimpleCache"
        )
    return cache_type
