"""Search finds what was written: identifiers, versions, file names, stems, prefixes."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from webapp.posts import ContentFolder, ReaderSettings
from webapp.posts.search import SCHEMA_VERSION, SearchIndex
from webapp.posts.search_sql import BROAD
from webapp.posts.search_text import extract, identifier_parts, parse_query

CACHE_POST = """---
title: A tiny cache
date: 2024-09-20
tags: [python]
---
```python
@lru_cache(maxsize=1024)
def render(markdown_text: str) -> str:
    return expensive_markdown_to_html(markdown_text)
```

Python's `functools.lru_cache` memoises `expensive_markdown_to_html(markdown_text)`.
Check **hits** with `render.cache_info()`; it needs Python 3.11 and a _setup.py_ file.
"""

OTHER_POST = """---
title: Boring choices
date: 2024-08-08
tags: [essay]
---
The companies that last made boring decisions. They cached nothing, ran Python 3.12
and kept a py file named setup beside the notes.
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    root = tmp_path_factory.mktemp("search")
    content = root / "content"
    content.mkdir()
    (content / "cache.md").write_text(CACHE_POST)
    (content / "boring.md").write_text(OTHER_POST)
    snapshot = ContentFolder(content, ReaderSettings(), use_inotify=False).snapshot()
    built = SearchIndex(root / "search.sqlite3")
    assert built.sync(snapshot.posts, snapshot.digest)
    yield built
    built.close()


def found(index: SearchIndex, query: str) -> list[str]:
    return [hit.slug for hit in index.search(query, now=datetime.now(UTC)).hits]


@pytest.mark.parametrize(
    "query",
    [
        "lru_cache",
        "cache_info",
        "cache_info()",
        "lru cache",
        "functools.lru_cache",
        "expensive markdown",
        "3.11",
        "setup.py",
        "lru_ca",  # still typing
        "expensive_mark",
        "memoise",  # stems: "memoises" in the text
        "caches lru_cache ",
    ],
)
def test_code_versions_and_file_names_are_found_as_typed_and_by_their_parts(
    index: SearchIndex, query: str
) -> None:
    assert found(index, query) == ["cache"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("caches ", ["boring", "cache"]),  # stemmed: "cached", "cache_info"'s parts
        ("borin", ["boring"]),  # a prefix of a word stored stemmed as "bore"
        ("boring ", ["boring"]),
        ("3.12", ["boring"]),
        ("py.setup", []),
        ('"decisions boring"', []),
        ("python", ["cache", "boring"]),  # the tag counts more than the text
    ],
)
def test_stems_prefixes_and_phrases(index: SearchIndex, query: str, expected: list[str]) -> None:
    assert sorted(found(index, query)) == sorted(expected)
    if query == "python":
        assert found(index, query) == expected


def test_snippets_come_from_the_prose_and_keep_words_apart(index: SearchIndex) -> None:
    (hit,) = index.search("lru_cache", now=datetime.now(UTC)).hits
    assert hit.snippet_html.startswith("Python&#x27;s functools.<mark>lru_cache</mark>")
    assert "@lru_cache(maxsize" not in hit.snippet_html
    assert "expensive_markdown_to_html(markdown_text)" in hit.snippet_html


def test_extract_keeps_code_apart_and_word_boundaries() -> None:
    text = extract(CACHE_POST.split("---\n", 2)[2])
    assert text.prose.startswith("Python's functools.lru_cache memoises")
    assert "expensive_markdown_to_html(markdown_text)" in text.prose
    assert "hits" in text.prose.split() and "setup.py" in text.prose.split()
    assert "@lru_cache(maxsize=1024)" in text.code and "def render" not in text.prose
    assert identifier_parts("lru_cache SimpleCache HTMLParser v2 plain") == (
        "lru cache Simple Cache HTML Parser v 2"
    )


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Plain Words HTTP 2024 café", ""),
        ("_private __init__ trailing_ x_", ""),  # one piece each: nothing to add
        ("(lru_cache), x86!", "lru cache x 86"),
        ("aB_cD fooBar²baz ÉcoleNormale", "a B c D foo Bar²baz École Normale"),
        ("SimpleCache SimpleCache", "Simple Cache Simple Cache"),  # each time it is written
    ],
)
def test_identifier_parts_split_only_words_with_a_place_to_split(text: str, parts: str) -> None:
    assert identifier_parts(text) == parts


def test_queries_are_always_valid_fts5() -> None:
    assert parse_query("  ") is None
    assert parse_query("()") is None
    query = parse_query('NEAR(a b) "x AND y" col:thing')
    assert query is not None
    assert query.terms == ('"NEAR(a"', '"b"', '"x AND y"', '"col:thing"')
    assert query.typing  # the last word may still be being typed
    typed = parse_query("lru ca")
    assert typed is not None and typed.typing
    assert typed.with_prefix == '"lru" "ca"*'
    assert parse_query("lru c") is not None and not parse_query("lru c").typing  # type: ignore[union-attr]


def test_an_index_from_an_older_version_is_rebuilt(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "search.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE VIRTUAL TABLE posts USING fts5(title, tags, body)")
    old.execute("PRAGMA user_version = 4")
    old.commit()
    old.close()
    rebuilt = SearchIndex(path)
    tables = {
        name
        for (name,) in sqlite3.connect(path).execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    rebuilt.close()
    assert {"words", "prefixes", "documents"} <= tables and "posts" not in tables


def test_every_post_of_a_large_folder_is_found_and_edits_replace_old_text(tmp_path: Path) -> None:
    # More posts than the build's first two batches (100, then 1,000), so
    # texts and ids must line up across batches.
    content = tmp_path / "content"
    content.mkdir()
    words = [f"zebra{n:04d}x" for n in range(1150)]
    for n, word in enumerate(words):
        (content / f"p{n}.md").write_text(f"---\ntitle: Post {n}\ndate: 2024-01-01\n---\n{word}\n")
    folder = ContentFolder(content, ReaderSettings(), use_inotify=False)
    index = SearchIndex(tmp_path / "search.sqlite3")
    try:
        snapshot = folder.snapshot()
        assert index.sync(snapshot.posts, snapshot.digest)
        assert all(found(index, word + " ") == [f"p{n}"] for n, word in enumerate(words))
        assert index.search("zebr", now=datetime.now(UTC)).total == 1150

        (content / "p7.md").write_text("---\ntitle: Post 7\ndate: 2024-01-01\n---\nokapi\n")
        (content / "p8.md").unlink()
        snapshot = folder.snapshot()
        assert index.sync(snapshot.posts, snapshot.digest)
        assert found(index, words[7] + " ") == [] and found(index, words[8] + " ") == []
        assert found(index, "okapi ") == ["p7"] and found(index, "oka") == ["p7"]
        assert index.search("zebr", now=datetime.now(UTC)).total == 1148
    finally:
        index.close()


def test_searches_while_the_index_is_built_answer_without_error(tmp_path: Path) -> None:
    """Readers search the shared index while a worker builds it (a first start)."""
    content = tmp_path / "content"
    content.mkdir()
    for n in range(400):
        text = f"zebra crossing number {n} " * 20
        (content / f"p{n}.md").write_text(f"---\ntitle: Post {n}\ndate: 2024-01-01\n---\n{text}\n")
    snapshot = ContentFolder(content, ReaderSettings(), use_inotify=False).snapshot()
    index = SearchIndex(tmp_path / "search.sqlite3")
    building = threading.Thread(target=index.sync, args=(snapshot.posts, snapshot.digest))
    try:
        building.start()
        during = 0
        while building.is_alive():
            for query in ("zebra", "zeb", "crossing numb"):
                index.search(query, now=datetime.now(UTC))  # raises if the index cannot answer
            during += 1
        building.join()
        assert during > 0  # some searches overlapped the build
        assert index.search("zebra", now=datetime.now(UTC)).total == 400
    finally:
        building.join()
        index.close()


def test_a_restart_finds_its_posts_indexed_without_waiting_for_a_writer(tmp_path: Path) -> None:
    """A worker starting on an index that already holds its posts neither
    compares them again nor queues behind another worker's write."""
    import sqlite3

    content = tmp_path / "content"
    content.mkdir()
    (content / "cache.md").write_text(CACHE_POST)
    folder = ContentFolder(content, ReaderSettings(), use_inotify=False)
    snapshot = folder.snapshot()
    path = tmp_path / "search.sqlite3"
    first = SearchIndex(path)
    assert first.sync(snapshot.posts, snapshot.digest)
    first.close()

    writer = sqlite3.connect(path)
    writer.execute("BEGIN IMMEDIATE")  # another worker writing the index
    restarted = SearchIndex(path)
    try:
        assert restarted.sync(snapshot.posts, snapshot.digest, wait=False)
        assert found(restarted, "lru_cache") == ["cache"]
        (content / "boring.md").write_text(OTHER_POST)
        changed = folder.snapshot()
        assert not restarted.sync(changed.posts, changed.digest, wait=False)  # must write: waits
        writer.rollback()
        assert restarted.sync(changed.posts, changed.digest, wait=False)
        assert found(restarted, "boring") == ["boring"]
    finally:
        writer.close()
        restarted.close()
        folder.close()


@pytest.fixture(scope="module")
def broad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """More posts with one word than search ranks by BM25: p0 (oldest) to
    p{BROAD+49} (newest) say "common" once, except p3, which says little else
    (BM25's favourite); p5 has it in its title, p9 in its tags, and p12 has
    only "commonplace". Every hundredth post says "forty", and p3 ten times."""
    root = tmp_path_factory.mktemp("broad")
    content = root / "content"
    content.mkdir()
    start = date(2020, 1, 1)
    for n in range(BROAD + 50):
        title = "Common ground" if n == 5 else f"Post {n}"
        tags = "[common]" if n == 9 else "[misc]"
        body = {3: "common " * 40, 12: "A commonplace filler sentence."}.get(
            n, f"A common filler sentence and a long tail of other words for post {n}."
        ) + (" forty" if n % 100 == 0 else " forty" * 10 if n == 3 else "")
        when = start + timedelta(days=n)
        (content / f"p{n}.md").write_text(
            f"---\ntitle: {title}\ndate: {when}\ntags: {tags}\n---\n{body}\n"
        )
    snapshot = ContentFolder(content, ReaderSettings(), use_inotify=False).snapshot()
    built = SearchIndex(root / "search.sqlite3")
    assert built.sync(snapshot.posts, snapshot.digest)
    yield built
    built.close()


@pytest.mark.parametrize("query", ["common ", "common", "commo", "comm"])
def test_a_query_most_posts_match_lists_titles_and_tags_first_then_the_newest(
    broad: SearchIndex, query: str
) -> None:
    results = broad.search(query, now=datetime.now(UTC))
    newest = [f"p{n}" for n in range(BROAD + 49, BROAD + 41, -1)]
    # BM25 would put p3 (the word 40 times) right after the title and tag matches.
    assert [hit.slug for hit in results.hits] == ["p9", "p5", *newest]
    assert results.more
    # Typing, the post with only "commonplace" matches too.
    assert results.total == (BROAD + 49 if query.endswith(" ") else BROAD + 50)
    assert "<mark>" in results.hits[0].title_html or "<mark>" in results.hits[0].snippet_html


def test_pages_of_a_broad_query_follow_on(broad: SearchIndex) -> None:
    now = datetime.now(UTC)
    first = broad.search("common ", now=now, limit=10)
    second = broad.search("common ", now=now, limit=10, offset=10)
    assert [hit.slug for hit in second.hits] == [f"p{n}" for n in range(BROAD + 41, BROAD + 31, -1)]
    assert not {hit.slug for hit in first.hits} & {hit.slug for hit in second.hits}
    past_the_end = broad.search("common ", now=now, offset=BROAD + 100)
    assert past_the_end.hits == [] and past_the_end.total == BROAD + 49


def test_a_narrower_query_is_still_ranked_by_bm25(broad: SearchIndex) -> None:
    # A dozen posts match: the one saying "forty" most comes first, not the newest.
    results = broad.search("forty", now=datetime.now(UTC))
    assert results.total == len(range(0, BROAD + 50, 100)) + 1
    assert results.hits[0].slug == "p3"


def test_an_index_of_the_previous_layout_holding_these_posts_is_made_again(
    tmp_path: Path,
) -> None:
    """An index of the previous schema version, though it records the very
    content version it is given, is emptied and built again."""
    import sqlite3

    content = tmp_path / "content"
    content.mkdir()
    (content / "cache.md").write_text(CACHE_POST)
    snapshot = ContentFolder(content, ReaderSettings(), use_inotify=False).snapshot()
    path = tmp_path / "search.sqlite3"
    first = SearchIndex(path)
    assert first.sync(snapshot.posts, snapshot.digest)
    first.close()
    with contextlib.closing(sqlite3.connect(path)) as old:
        old.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")

    reopened = SearchIndex(path)
    try:
        assert not reopened.ready  # nothing kept from the old layout
        assert reopened.sync(snapshot.posts, snapshot.digest)
        assert found(reopened, "expe") == ["cache"]
    finally:
        reopened.close()


def test_a_long_prefix_finds_every_word_it_starts_however_many(tmp_path: Path) -> None:
    """Past three letters the word being typed stands for the words it starts
    (when there are few): the posts found are the same either way."""
    content = tmp_path / "content"
    content.mkdir()
    bodies = {"fish": "A zebrafish swam.", "finch": "The Zebrafinch sang.", "other": "Zebras."}
    bodies |= {f"many{n}": f"quokka{n:03d} and more" for n in range(80)}
    for slug, body in bodies.items():
        (content / f"{slug}.md").write_text(f"---\ntitle: {slug}\ndate: 2024-01-01\n---\n{body}\n")
    snapshot = ContentFolder(content, ReaderSettings(), use_inotify=False).snapshot()
    index = SearchIndex(tmp_path / "search.sqlite3")
    try:
        assert index.sync(snapshot.posts, snapshot.digest)
        now = datetime.now(UTC)
        for query in ("zebraf", "ZEBRAF", "Zebrafi"):
            assert sorted(found(index, query)) == ["finch", "fish"]
        results = index.search("zebrafinch sang zebraf", now=now)
        assert [hit.slug for hit in results.hits] == ["finch"]
        assert "<mark>Zebrafinch</mark>" in results.hits[0].snippet_html
        assert index.search("quokka", now=now, limit=100).total == 80  # 80 words
        assert index.search("quokka0", now=now, limit=100).total == 80
        assert index.search("quokka07", now=now).total == 10
    finally:
        index.close()
