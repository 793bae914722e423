"""The cache's value format: framed bytes and integers, parsed strictly, never unpickled."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from webapp import cache_backends
from webapp.cache_backends import (
    MAGIC,
    Entry,
    RefusedValue,
    SafeSerializer,
    pack,
    safe_cache_type,
    unpack,
)
from webapp.caching import Stored, cache_key

ENTRY = Entry(
    b"<!doctype html><p>hello",
    [("Content-Type", "text/html; charset=utf-8"), ("HX-Trigger", "x")],
    "0123abcd",
    {"br": b"\x0b\x01", "gzip": b"\x1f\x8b"},
)


@pytest.fixture(autouse=True)
def _log_every_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its own first refusal logged."""
    monkeypatch.setattr(cache_backends, "_refusal_logged", cache_backends.threading.Event())


def test_an_entry_survives_the_round_trip() -> None:
    frame = pack(ENTRY)
    assert frame.startswith(MAGIC)
    assert unpack(frame) == ENTRY
    assert unpack(pack(ENTRY._replace(encoded={}))) == ENTRY._replace(encoded={})


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (pack(ENTRY)[:-1], "do not add up"),
        (pack(ENTRY) + b"x", "do not add up"),
        (pack(ENTRY)[:5], "shorter than a frame"),
        (b"!" + pickle.dumps(ENTRY), "magic"),
        (pack(ENTRY).replace(b"MRGNL\x00\x01", b"MRGNL\x00\x02", 1), "version 2"),
        (pack(ENTRY._replace(etag="0123abcX")), "hex digest"),
        (pack(ENTRY._replace(headers=[("HX-Trigger", "\r\nSet-Cookie: a=b")])), "valid text"),
        (pack(ENTRY._replace(headers=[("Bad Name", "x")])), "valid text"),
        (pack(ENTRY._replace(encoded={"b r": b"xx"})), "named encodings"),
        (pack(ENTRY._replace(encoded={"": b"xx"})), "named encodings"),
    ],
)
def test_anything_but_a_whole_frame_is_refused(frame: bytes, reason: str) -> None:
    with pytest.raises(RefusedValue, match=reason):
        unpack(frame)


def test_the_serializer_reads_numbers_and_frames_only(caplog: pytest.LogCaptureFixture) -> None:
    serializer = SafeSerializer()
    assert serializer.dumps(12) == b"12" and serializer.loads(b"12") == 12
    assert serializer.loads(b"-3") == -3
    frame = pack(ENTRY)
    assert serializer.loads(serializer.dumps(frame)) == frame
    with caplog.at_level(logging.WARNING, "webapp.cache_backends"):
        assert serializer.loads(b"!" + pickle.dumps(("a", 1))) is None
        assert serializer.loads(b"12 ") is None
    assert len(caplog.records) == 1  # logged once, not per value
    assert "ignored a value in the response cache" in caplog.text
    with pytest.raises(TypeError):
        serializer.dumps(("a", "tuple"))


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("RedisCache", "webapp.cache_backends.RedisCache"),
        ("flask_caching.backends.RedisCache", "webapp.cache_backends.RedisCache"),
        ("flask_caching.backends.rediscache.RedisCache", "webapp.cache_backends.RedisCache"),
        ("RedisSentinelCache", "webapp.cache_backends.RedisSentinelCache"),
        ("SimpleCache", "webapp.memory_cache.BoundedMemoryCache"),
        ("FileSystemCache", "webapp.cache_backends.FileSystemCache"),
        ("NullCache", "NullCache"),
        ("my_site.caches.Custom", "my_site.caches.Custom"),
    ],
)
def test_cache_type_as_users_write_it_gets_the_safe_backend(written: str, used: str) -> None:
    assert safe_cache_type(written) == used


def test_a_backend_that_pickles_is_a_clear_error_at_start(make_app: object) -> None:
    with pytest.raises(ValueError, match="CACHE_TYPE='MemcachedCache' stores values with pickle"):
        make_app(CACHE_TYPE="MemcachedCache")  # type: ignore[operator]


def test_the_in_process_cache_keeps_the_response_itself(app: Flask, content_dir: Path) -> None:
    """Only the worker writes to its own memory: a hit parses no frame."""
    (content_dir / "a.md").write_text("---\ntitle: A\ndate: 2024-01-01\n---\nBody.\n")
    client = app.test_client()
    page = client.get("/posts/a/")
    assert page.headers["X-Cache"] == "miss"
    backend = app.extensions["response_cache"].backend
    assert type(backend).__module__ == "webapp.memory_cache"
    with app.test_request_context("/posts/a/"):
        stored = backend._entries[cache_key()][2]
    assert type(stored) is Stored and stored.body == page.get_data()
    again = client.get("/posts/a/")
    assert again.headers["X-Cache"] == "hit" and again.get_data() == page.get_data()


def test_a_shared_cache_holds_frames_and_a_malformed_one_is_a_miss(
    make_app: Callable[..., Flask],
    content_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (content_dir / "a.md").write_text("---\ntitle: A\ndate: 2024-01-01\n---\nBody.\n")
    app = make_app(CACHE_TYPE="FileSystemCache", CACHE_DIR=str(tmp_path / "cache"))
    client = app.test_client()
    client.get("/posts/a/")
    assert client.get("/posts/a/").headers["X-Cache"] == "hit"
    backend = app.extensions["response_cache"].backend
    with app.test_request_context("/posts/a/"):
        key = cache_key()
    frame = backend.get(key)
    assert isinstance(frame, bytes) and frame.startswith(MAGIC)
    backend.set(key, frame[:-3])
    with caplog.at_level(logging.WARNING, "webapp.cache_backends"):
        response = client.get("/posts/a/")
    assert response.status_code == 200 and response.headers["X-Cache"] == "miss"
    assert "do not add up" in caplog.text
