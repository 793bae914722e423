"""A page of posts (all, or those with some tags), shared by full pages and fragments."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import (
    Flask,
    abort,
    current_app,
    get_template_attribute,
    render_template,
    request,
)
from markupsafe import Markup

from .posts import Library, Post, Tag, TagCount
from .urls import page_url_for

#: Joins tag slugs in a URL: /tags/essay+business/ lists posts with both.
TAG_SEPARATOR = "+"


@dataclass(frozen=True)
class Listing:
    """One page of a list of posts, and how to reach its neighbours."""

    posts: Sequence[Post]
    total: int
    page: int
    pages: int
    tags: tuple[Tag, ...] = ()
    #: Other tags these posts carry, with how many have each: ways to narrow the list.
    narrower: tuple[TagCount, ...] = ()
    #: The last page shown: after "More posts", one URL shows pages ``page`` to this.
    last_page: int = 0
    page_size: int = 10

    @property
    def through(self) -> int:
        """The last page on screen (``page`` unless more pages were appended)."""
        return max(self.page, self.last_page)

    @property
    def tag_path(self) -> str | None:
        return TAG_SEPARATOR.join(tag.slug for tag in self.tags) or None

    @property
    def subject(self) -> str:
        if not self.tags:
            return "All posts"
        return "Posts tagged " + " and ".join(f"“{tag.name}”" for tag in self.tags)

    @property
    def title(self) -> str:
        """The heading: what is listed, and which pages of it past the first."""
        if self.page == 1:
            return self.subject
        if self.through == self.page:
            return f"{self.subject}, page {self.page}"
        return f"{self.subject}, pages {self.page}–{self.through}"

    @property
    def document_title(self) -> str:
        """The page's name before the site's in <title>; empty for the home page,
        which is titled with the site's name alone (as a page and as a fragment)."""
        return "" if not self.tags and self.page == 1 else self.title

    def numbered(self) -> list[tuple[int, Post]]:
        """Each post shown with the number of the page it belongs to."""
        return [(self.page + i // self.page_size, post) for i, post in enumerate(self.posts)]

    def more_url(self) -> str:
        """The URL that shows what is on screen once the next page is appended."""
        return self.page_url() + f"?to={self.through + 1}"

    def page_url(self, page: int | None = None, *, fragment: bool = False) -> str:
        """The URL of a page of this listing (or of its fragment)."""
        return listing_url(self.tags, self.page if page is None else page, fragment=fragment)

    def with_tag(self, tag: Tag) -> tuple[Tag, ...]:
        return (*self.tags, tag)

    def without_tag(self, tag: Tag) -> tuple[Tag, ...]:
        return tuple(t for t in self.tags if t != tag)


def listing_url(tags: Sequence[Tag], page: int = 1, *, fragment: bool = False) -> str:
    """The URL of a listing (all posts, or posts with all of tags), or of its fragment."""
    prefix = "partials" if fragment else "pages"
    if tags:
        path = canonical_tag_path(tags)
        if page == 1:
            return page_url_for(f"{prefix}.tag", tags=path)
        return page_url_for(f"{prefix}.tag_page", tags=path, page=page)
    if page == 1:
        return page_url_for(f"{prefix}.index")
    return page_url_for(f"{prefix}.index_page", page=page)


def parse_tags(library: Library, expression: str) -> tuple[Tag, ...]:
    """The tags named by ``a+b``; 404 for any unknown tag."""
    tags = []
    for slug in expression.split(TAG_SEPARATOR):
        tag = library.tag(slug)
        if tag is None:
            abort(404, description=f"There is no tag “{slug}”.")
        tags.append(tag)
    return tuple(tags)


def canonical_tag_path(tags: Sequence[Tag]) -> str:
    """One spelling per combination: each tag once, alphabetical by slug."""
    return TAG_SEPARATOR.join(sorted({tag.slug for tag in tags}))


def build_listing(
    library: Library, tags: tuple[Tag, ...], page: int, page_size: int, through: int | None = None
) -> Listing:
    """The posts on pages ``page`` to ``through`` (default: one page); 404 past the last page."""
    posts = library.by_tag(*(tag.slug for tag in tags))
    if tags and not posts:
        abort(404, description="No post has all of these tags.")
    pages = max(1, math.ceil(len(posts) / page_size))
    if not 1 <= page <= pages:
        abort(404, description=f"There is no page {page}; the last page is {pages}.")
    last = page if through is None else through
    if not page <= last <= pages:
        abort(404, description=f"There is no page {last} after page {page}; the last is {pages}.")
    start = (page - 1) * page_size
    end = last * page_size
    narrower: tuple[TagCount, ...] = ()
    if tags:
        selected = {tag.slug for tag in tags}
        counts: dict[str, int] = {}
        for post in posts:
            for tag in post.tags:
                if tag.slug not in selected:
                    counts[tag.slug] = counts.get(tag.slug, 0) + 1
        shown = [tag for tag in map(library.tag, counts) if tag is not None]
        shown.sort(key=lambda t: (-counts[t.slug], t.name.casefold()))
        narrower = tuple(TagCount(tag, counts[tag.slug]) for tag in shown)
    return Listing(posts[start:end], len(posts), page, pages, tags, narrower, last, page_size)


#: Characters of tag rows kept per app (each listing page of the same posts
#: and selection shows the same row); past this, the rows are made afresh.
_TAG_FILTERS_KEPT = 4_000_000


def tag_filter(library: Library, selected: Sequence[Tag]) -> Markup:
    """The tag row of a listing (every tag, ``selected`` marked), rendered once
    per set of visible posts, selection and mount point, not once per page."""
    kept: dict[tuple[object, ...], Markup] = current_app.extensions.setdefault("tag_filters", {})
    key = (library.version, tuple(tag.slug for tag in selected), request.script_root)
    html = kept.get(key)
    if html is None:
        html = Markup(
            render_template("partials/tag_filter.html", library=library, selected=selected)
        )
        if sum(map(len, kept.values())) + len(html) > _TAG_FILTERS_KEPT:
            kept.clear()
        kept[key] = html
    return html


#: Post summaries kept per app (each shows in several listings: its tags'
#: pages and the index, and each page's fragment); past this many, made afresh.
_SUMMARIES_KEPT = 20_000


def post_summary(post: Post, library: Library) -> Markup:
    """A post as listings show it (the ``post_summary`` macro), rendered once per
    version of the posts and mount point, however many listings show it."""
    kept = _summaries(current_app)
    key = summary_key(post, library)
    html = kept.get(key)
    if html is None:
        if len(kept) >= _SUMMARIES_KEPT:
            kept.clear()
        macro = get_template_attribute("macros.html", "post_summary")
        html = kept[key] = Markup(macro(post, library))
    return html


def summary_key(post: Post, library: Library) -> tuple[object, ...]:
    """What a kept summary is found by (in a request: the mount point is part of it)."""
    return (library.version, post.slug, request.script_root)


def keep_summaries(app: Flask, made: Iterable[tuple[tuple[object, ...], Markup]]) -> None:
    """Keep summaries made elsewhere (by ``summary_key``: another process of an export)."""
    kept = _summaries(app)
    for key, html in made:
        if len(kept) >= _SUMMARIES_KEPT:
            return
        kept[key] = html


def _summaries(app: Flask) -> dict[tuple[object, ...], Markup]:
    kept: dict[tuple[object, ...], Markup] = app.extensions.setdefault("summaries", {})
    return kept
