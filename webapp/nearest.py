"""What a not-found page offers: the posts whose addresses are nearest the one asked for."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from flask import current_app, request

from .blog import current_library
from .posts import Post

#: Words of the site's own URLs, which say nothing about what was wanted.
_URL_WORDS = {"posts", "post", "tags", "page", "partials", "html", "index", "www"}


def words_of(path: str) -> list[str]:
    """The words in a path: ``/posts/boring-advantag/`` gives ``boring advantag``."""
    return [word for word in re.findall(r"[a-z0-9]+", path.lower()) if word not in _URL_WORDS][:8]


def nearest_posts(posts: Sequence[Post], path: str, limit: int = 3) -> list[Post]:
    """Up to ``limit`` posts whose slug or title is closest to the path's words."""
    wanted = "-".join(words_of(path))
    if not wanted:
        return []
    by_key: dict[str, Post] = {}
    for post in posts:
        by_key.setdefault(post.slug, post)
        by_key.setdefault("-".join(re.findall(r"[a-z0-9]+", post.title.lower())), post)
    found: list[Post] = []
    for key in difflib.get_close_matches(wanted, list(by_key), n=limit * 2, cutoff=0.5):
        if by_key[key] not in found:
            found.append(by_key[key])
    return found[:limit]


def not_found_context(code: int | None) -> dict[str, Any]:
    """For a 404 page: the words to search for and the nearest posts (nothing otherwise)."""
    if code != 404 or current_app.config.get("STATIC_EXPORT"):
        return {}
    posts = current_library().posts
    return {
        "guess": " ".join(words_of(request.path)),
        "nearest": nearest_posts(posts, request.path),
    }
