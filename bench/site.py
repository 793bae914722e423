"""The measured site: its folder, its environment, and the one post every size shares."""

from __future__ import annotations

import random
import re
from pathlib import Path

from webapp.posts.render_store import rendered_path
from webapp.request_facts import PARTIAL_REQUEST_HEADERS

from .sitegen import generate, post_text

#: The htmx request headers for a fragment.
PARTIAL = PARTIAL_REQUEST_HEADERS
#: One post, identical at every size, so pages compare like for like.
BENCH_POST = "bench-post"
#: One of the measured post's footnotes, and its first tag.
BENCH_NOTE = "1"
BENCH_TAG = "essay"


def add_bench_post(content: Path) -> None:
    """The measured post: 1,600 words and 6 footnotes, the same in every site."""
    text = post_text(random.Random(99), 0, words=1600, notes=6)
    text = re.sub(r"^date: .*$", "date: 2019-06-01T12:00:00+00:00", text, count=1, flags=re.M)
    text = re.sub(r"^tags: \[.*\]$", f"tags: [{BENCH_TAG}, caching]", text, count=1, flags=re.M)
    (content / f"{BENCH_POST}.md").write_text(text)


def site_folder(work: Path, size: int) -> Path:
    """The content folder of the synthetic site of this size, generated on first use."""
    content = work / f"site-{size}" / "content"
    if not (content / f"{BENCH_POST}.md").exists():
        generate(content, size)
        add_bench_post(content)
    return content


def site_env(content: Path, **extra: str) -> dict[str, str]:
    """The blog's environment for a site, its search index and store beside it."""
    return {
        "BLOG_CONTENT_DIR": str(content),
        "BLOG_SEARCH_INDEX": str(content.parent / "search.sqlite3"),
        "BLOG_POST_STORE": str(content.parent / "posts.sqlite3"),
        "BLOG_PAGE_SIZE": "10",
        **extra,
    }


def forget_store(store: Path) -> None:
    """Remove a post store and its rendered bodies (with SQLite's journals):
    the next start reads every file and renders every body."""
    for kept in (store, rendered_path(store)):
        for path in (kept, kept.with_name(kept.name + "-wal"), kept.with_name(kept.name + "-shm")):
            path.unlink(missing_ok=True)
