"""The in-process response cache: least recently used first out, bounded in bytes.

flask-caching's SimpleCache bounds the number of entries, not their size,
and pickles every value on the way in and out. Cached answers here are
immutable (bytes, or ``caching.Stored`` tuples), so they are kept as they are,
and the total size of what is kept never passes ``CACHE_MAX_BYTES``: many
distinct answers (a page asked for under thousands of host names, say) cost
the oldest entries their place, never the worker's memory.

``CACHE_TYPE=SimpleCache`` (the default) means this backend.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_caching.backends.base import BaseCache

#: What an entry costs besides its bytes (key, bookkeeping, small objects).
ENTRY_OVERHEAD = 200


def size_of(value: Any) -> int:
    """Roughly how many bytes a cached value holds (exact for bytes and text)."""
    if isinstance(value, (bytes, str)):
        return len(value)
    if isinstance(value, (tuple, list)):
        return sum(size_of(item) for item in value) + 8 * len(value)
    if isinstance(value, dict):
        return sum(size_of(k) + size_of(v) for k, v in value.items()) + 16 * len(value)
    return 32


class BoundedMemoryCache(BaseCache):
    """A thread-safe LRU cache holding at most ``max_bytes`` (and ``threshold`` entries)."""

    def __init__(
        self,
        max_bytes: int = 64 * 1024 * 1024,
        threshold: int = 2000,
        default_timeout: int = 300,
        ignore_delete_many_errors: bool = False,
    ) -> None:
        super().__init__(default_timeout=default_timeout)
        self.max_bytes = max_bytes
        self.threshold = threshold
        self._entries: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> BoundedMemoryCache:
        kwargs.update(
            max_bytes=int(config["CACHE_MAX_BYTES"]), threshold=int(config["CACHE_THRESHOLD"])
        )
        return cls(*args, **kwargs)

    @property
    def size(self) -> int:
        """The bytes held now (by ``size_of``'s measure)."""
        return self._bytes

    def _expiry(self, timeout: int | timedelta | None) -> float:
        timeout = self._normalize_timeout(timeout)
        return time.monotonic() + timeout if timeout else float("inf")

    def _drop(self, key: str) -> None:
        _, cost, _ = self._entries.pop(key)
        self._bytes -= cost

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[2]

    def set(self, key: str, value: Any, timeout: int | timedelta | None = None) -> bool:
        cost = size_of(value) + len(key) + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return False  # larger than the whole budget: not worth the others' places
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (self._expiry(timeout), cost, value)
            self._bytes += cost
            while self._bytes > self.max_bytes or len(self._entries) > self.threshold:
                self._drop(next(iter(self._entries)))
        return True

    def add(self, key: str, value: Any, timeout: int | timedelta | None = None) -> bool:
        with self._lock:
            present = key in self._entries and self._entries[key][0] > time.monotonic()
        return False if present else self.set(key, value, timeout)

    def delete(self, key: str) -> bool:
        with self._lock:
            if key not in self._entries:
                return False
            self._drop(key)
            return True

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def clear(self) -> bool:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
        return True

    def inc(self, key: str, delta: int = 1) -> int:
        with self._lock:
            entry = self._entries.get(key)
            value = int(entry[2]) + delta if entry and entry[0] > time.monotonic() else delta
        self.set(key, value, timeout=0)
        return value
