"""Search latency over a synthetic site: the FTS5 index as the search page uses it."""

from __future__ import annotations

import itertools
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from webapp.posts import ContentFolder, ReaderSettings
from webapp.posts.search import SearchIndex

from .sitegen import FUNCTION_WORDS, TAGS, WORDS

#: Readers search for topical words more than the text's most frequent ones:
#: query words are drawn with weight proportional to the square root of
#: their frequency in the posts (a Zipf exponent of 0.525 instead of 1.05).
_QUERY_WEIGHTS = list(itertools.accumulate(1 / (rank + 1) ** 0.525 for rank in range(len(WORDS))))


def queries(count: int, seed: int = 7) -> list[str]:
    """What readers type: words, prefixes while typing, two words, phrases,
    tags, a very common English word now and then, and misses."""
    rng = random.Random(seed)

    def word() -> str:
        return rng.choices(WORDS, cum_weights=_QUERY_WEIGHTS)[0]

    made = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.30:
            made.append(word())
        elif kind < 0.50:
            typed = word()
            made.append(typed[: rng.randint(3, max(3, len(typed) - 1))])
        elif kind < 0.70:
            made.append(f"{word()} {word()}")
        elif kind < 0.80:
            made.append(f'"{rng.choice(FUNCTION_WORDS)} {word()}"')
        elif kind < 0.90:
            made.append(rng.choice(TAGS))
        elif kind < 0.95:
            made.append(rng.choice(FUNCTION_WORDS))
        else:
            made.append("xylophone quasar")
    return made


@dataclass(frozen=True)
class Searched:
    """Index build time and query times (milliseconds) over one site."""

    posts: int
    index_build_s: float
    median_ms: float
    p99_ms: float
    max_ms: float
    slowest: list[tuple[float, str, int]]  # (milliseconds, query, posts matched), slowest first
    #: pyinstrument's call tree of the slowest queries asked again (empty unless asked for).
    profile: list[str]


def measure(content: Path, *, count: int = 500, profile: bool = False) -> Searched:
    """Index the folder, then time ``count`` searches; times in milliseconds,
    and the five slowest queries (each once) with their times and how many
    posts each matched. With ``profile``, those are asked again under pyinstrument."""
    folder = ContentFolder(content, ReaderSettings(), use_inotify=False, poll_interval=3600)
    snapshot = folder.snapshot()
    with tempfile.TemporaryDirectory() as scratch:
        index = SearchIndex(Path(scratch) / "search.sqlite3")
        started = time.perf_counter()
        index.sync(snapshot.posts, snapshot.digest)
        build = time.perf_counter() - started
        now = datetime.now(UTC)
        library = snapshot.library(now)
        timings: list[tuple[float, str]] = []
        matched: dict[str, int] = {}
        for query in queries(count):
            started = time.perf_counter()
            results = index.search(query, now=now, limit=10)
            [library.get(hit.slug) for hit in results.hits]  # as the page does
            timings.append(((time.perf_counter() - started) * 1000, query))
            matched[query] = results.total
        timings.sort()
        slowest: list[tuple[float, str, int]] = []
        for ms, query in reversed(timings):  # the five slowest queries, each once
            if len(slowest) == 5:
                break
            if all(query != seen for _, seen, _ in slowest):
                slowest.append((ms, query, matched[query]))
        profiled = _profile(index, now, [query for _, query, _ in slowest]) if profile else []
        index.close()
    times = [ms for ms, _ in timings]
    return Searched(
        posts=len(snapshot.posts),
        index_build_s=build,
        median_ms=statistics.median(times),
        p99_ms=times[int(len(times) * 0.99) - 1],
        max_ms=times[-1],
        slowest=slowest,
        profile=profiled,
    )


def _profile(index: SearchIndex, now: datetime, slowest: list[str], rounds: int = 5) -> list[str]:
    """Where the slowest queries spend their time, asked ``rounds`` times each."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(rounds):
        for query in slowest:
            index.search(query, now=now, limit=10)
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=True)
    return [line.rstrip() for line in text.splitlines() if line.strip()][:40]


def build_index(content: Path, index: Path) -> None:
    """Bring a search index up to date, as a server that has run before finds it."""
    folder = ContentFolder(content, ReaderSettings(), use_inotify=False)
    snapshot = folder.snapshot()
    searcher = SearchIndex(index)
    searcher.sync(snapshot.posts, snapshot.digest)
    searcher.close()
