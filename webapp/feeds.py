"""Atom feeds: the whole site, each tag, and any combination of tags."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from . import urls
from .assets import asset_url
from .blog import current_library, get_blog
from .caching import cached_response
from .listing import canonical_tag_path, parse_tags
from .posts import Post, PostError, Tag
from .posts.sanitizing import sanitize
from .posts.sidenotes import is_sidenote
from .urls import absolute_url, portable_html, site_root

log = logging.getLogger(__name__)

bp = Blueprint("feeds", __name__)

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@bp.get("/feed.xml")
@cached_response()
def site_feed() -> Response:
    return _feed(current_library().posts, ())


@bp.get("/tags/<tags>/feed.xml")
@cached_response()
def tag_feed(tags: str) -> BaseResponse:
    library = current_library()
    selected = parse_tags(library, tags)
    if canonical_tag_path(selected) != tags:
        return redirect(url_for("feeds.tag_feed", tags=canonical_tag_path(selected)), 301)
    return _feed(library.by_tag(*(tag.slug for tag in selected)), selected)


def _feed(posts: Sequence[Post], tags: tuple[Tag, ...]) -> Response:
    config = current_app.config
    library = current_library()
    newest = posts[: int(config["FEED_LENGTH"])]
    title = config["TITLE"]
    if tags:
        title += " · " + " + ".join(tag.name for tag in tags)
        home = absolute_url("pages.tag", tags=canonical_tag_path(tags))
    else:
        home = absolute_url("pages.index")
    # Here: feedgen (with lxml and dateutil) is not worth importing before a server's first answer.
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(home)
    feed.title(title)
    feed.subtitle(config["DESCRIPTION"])
    feed.link(href=home, rel="alternate", type="text/html")
    feed.link(href=site_root() + request.path, rel="self", type="application/atom+xml")
    feed.author({"name": config["AUTHOR"] or config["TITLE"]})
    feed.language("en")
    feed.generator("Marginalia")
    # Atom requires an updated time even for an empty feed: the site's newest post then.
    changed = [post.updated or post.published for post in newest or library.posts[:1]]
    feed.updated(max(changed, default=UNIX_EPOCH))
    for post in newest:
        url = absolute_url("pages.post", slug=post.slug)
        entry = feed.add_entry(order="append")
        entry.id(url)
        entry.title(post.title)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(post.published)
        entry.updated(post.updated or post.published)
        if post.summary:
            entry.summary(post.summary)
        try:
            entry.content(_entry_html(post, url, bool(config["SANITIZE"])), type="html")
        except PostError as error:  # one broken post must not take the feed with it
            log.error("%s", error)
        for tag in library.display_tags(post):
            entry.category(term=tag.slug, label=tag.name)
    body = feed.atom_str(pretty=True)
    # Opened in a browser, the feed is styled and says what a feed is for.
    # Served as application/xml: Chromium shows application/atom+xml as plain
    # text, stylesheet or not; feed readers know Atom by its root element.
    declaration, _, rest = body.partition(b"\n")
    stylesheet = f'<?xml-stylesheet type="text/css" href="{asset_url("css/feed.css")}"?>'
    body = b"\n".join((declaration, stylesheet.encode(), rest))
    return Response(body, content_type="application/xml; charset=utf-8")


#: The code that makes a feed entry's HTML from a post's, beyond what the
#: renderer's version covers: entries kept in the post store follow it.
_ENTRY_CODE = hashlib.blake2b(
    Path(__file__).read_bytes() + Path(urls.__file__).read_bytes(), digest_size=16
).digest()


@functools.lru_cache(maxsize=256)
def _entry_html(post: Post, url: str, sanitized: bool) -> str:
    """A post's HTML as a feed carries it: no sidenotes, links absolute
    (and sanitised, last, on the exact HTML the feed carries). Kept for the
    newest posts, which every feed of their tags repeats, and in the post
    store beside the post's rendered body."""

    def make() -> str:
        content = portable_html(post.html, url, drop=is_sidenote)
        return sanitize(content, feed=True) if sanitized else content

    recipe = _ENTRY_CODE + (b"sanitized" if sanitized else b"as written")
    return get_blog().renderer.feed_entry(post.body, url, recipe, make)
