"""The posts of a site as immutable values, and the questions pages ask of them.

A ``Snapshot`` is every good post of a content folder at one moment (drafts
and scheduled posts included); ``Snapshot.library(now)`` is a ``Library``,
the posts a reader can see at that moment, memoised until a scheduled post's
time comes. ``folder.ContentFolder`` keeps snapshots current with the files.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import itertools
import operator
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property

from .models import Post, PostError, Tag, preferred_name

_SLUG = operator.attrgetter("slug")
_TAGS = operator.attrgetter("tags")
_PUBLISHED = operator.attrgetter("published")
_DRAFT = operator.attrgetter("draft")
_REDIRECT = operator.attrgetter("redirect_to")


@dataclass(frozen=True)
class TagCount:
    tag: Tag
    count: int


@dataclass(frozen=True)
class Library:
    """The posts a reader can see at one moment, newest first."""

    posts: tuple[Post, ...]
    version: str
    errors: tuple[PostError, ...] = ()
    next_publication: datetime | None = None
    #: Files that failed to read, by the slug their post has (or would have).
    broken: Mapping[str, PostError] = field(default_factory=dict)
    #: When what this library shows last changed: a file's change, or a post's appearance.
    last_modified: datetime | None = None
    #: Redirect stubs (``redirect_to``): visible, but listed nowhere.
    stubs: tuple[Post, ...] = ()

    def edited(
        self, replaced: Mapping[Post, Post], version: str, last_modified: datetime | None
    ) -> Library:
        """This library with posts replaced by others in the same places
        (``Snapshot.edited``): the indexes already built are updated, not rebuilt."""
        positions = self._positions
        posts = list(self.posts)
        for old, new in replaced.items():
            at = positions.get(old.slug)
            if at is not None and posts[at] is old:
                posts[at] = new
        library = dataclasses.replace(
            self, posts=tuple(posts), version=version, last_modified=last_modified
        )
        known = self.__dict__
        library.__dict__["_positions"] = positions
        if "_by_slug" in known:
            library.__dict__["_by_slug"] = {
                **self._by_slug,
                **{p.slug: p for p in replaced.values()},
            }
        same_tags = all(
            [(t.slug, t.name) for t in old.tags] == [(t.slug, t.name) for t in new.tags]
            for old, new in replaced.items()
        )
        if same_tags and "_tags" in known:
            library.__dict__["_tags"] = self._tags
        if same_tags and "_tag_positions" in known:  # posts keep their places
            library.__dict__["_tag_positions"] = self._tag_positions
        if same_tags and "_tag_sets" in known:
            library.__dict__["_tag_sets"] = self._tag_sets
        if same_tags and "_by_tag" in known:
            by_tag = dict(self._by_tag)
            swap = dict(replaced)
            for slug in {tag.slug for old in replaced for tag in old.tags}:
                by_tag[slug] = tuple(swap.get(post, post) for post in by_tag[slug])
            library.__dict__["_by_tag"] = by_tag
        return library

    def warm(self) -> None:
        """Build the indexes a post page uses (tens of milliseconds at 10,000
        posts), so no reader's first view waits for them."""
        for index in (
            "_positions",
            "_by_slug",
            "_by_tag",
            "_tags",
            "_tag_positions",
            "_tag_sets",
            "_aliases",
        ):
            getattr(self, index)

    def redirect_for(self, slug: str) -> str | None:
        """Where the post at this slug sends readers, if it is a redirect stub."""
        stub = self._stubs.get(slug)
        return stub.redirect_to if stub else None

    def alias_redirect(self, path: str) -> str | None:
        """Where an old URL of a redirect stub sends readers (normalised path)."""
        return self._stub_aliases.get(path)

    @cached_property
    def _stubs(self) -> dict[str, Post]:
        return {post.slug: post for post in self.stubs}

    @cached_property
    def _stub_aliases(self) -> dict[str, str]:
        return {path: post.redirect_to or "" for post in self.stubs for path in post.aliases}

    def error_for(self, slug: str) -> PostError | None:
        """Why the post at this slug could not be read, if it could not."""
        return self.broken.get(slug)

    @cached_property
    def _aliases(self) -> dict[str, Post]:
        """Old URLs (from ``aliases``/``redirect_from``). A live page at the same
        address wins: only requests nothing else answers ask for an alias."""
        aliases: dict[str, Post] = {}
        for post in reversed(self.posts):  # the newest post wins a shared alias
            for path in post.aliases:
                aliases[path] = post
        return aliases

    def alias(self, path: str) -> Post | None:
        """The post that used to live at ``path`` (normalised: no trailing slash)."""
        return self._aliases.get(path)

    @cached_property
    def _slugs(self) -> list[str]:
        """Each post's slug, in the order of ``posts``."""
        return list(map(_SLUG, self.posts))

    @cached_property
    def _by_slug(self) -> dict[str, Post]:
        return dict(zip(self._slugs, self.posts, strict=True))

    @cached_property
    def _by_tag(self) -> dict[str, tuple[Post, ...]]:
        posts = self.posts
        return {
            slug: tuple(posts[place] for place in places)
            for slug, places in self._tag_positions.items()
        }

    @cached_property
    def _tags(self) -> dict[str, TagCount]:
        """Each tag once, in the form most posts write it (ties: alphabetical)."""
        # Tags are counted as objects, in C (posts read from the post store
        # share one Tag per spelling), then grouped by slug and spelling: a
        # site has far fewer spellings than it has tags on posts.
        tags = list(itertools.chain.from_iterable(map(_TAGS, self.posts)))
        by_id = dict(zip(map(id, tags), tags, strict=True))
        forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for tag_id, count in Counter(map(id, tags)).items():
            tag = by_id[tag_id]
            forms[tag.slug][tag.name] += count
        counts = {}
        for slug, names in forms.items():
            counts[slug] = TagCount(Tag(slug, preferred_name(names)), len(self._by_tag[slug]))
        return counts

    @property
    def tags(self) -> list[TagCount]:
        """Every tag with its number of posts, alphabetically."""
        return sorted(self._tags.values(), key=lambda tc: tc.tag.name.casefold())

    def tag(self, slug: str) -> Tag | None:
        found = self._tags.get(slug)
        return found.tag if found else None

    def display_tags(self, post: Post) -> tuple[Tag, ...]:
        """A post's tags in the site-wide display form."""
        return tuple(self._tags[t.slug].tag if t.slug in self._tags else t for t in post.tags)

    def get(self, slug: str) -> Post | None:
        return self._by_slug.get(slug)

    def by_tag(self, *slugs: str) -> tuple[Post, ...]:
        """Posts having every one of the tags, newest first."""
        if not slugs:
            return self.posts
        groups = sorted((self._by_tag.get(slug, ()) for slug in set(slugs)), key=len)
        others = [{post.slug for post in group} for group in groups[1:]]
        return tuple(post for post in groups[0] if all(post.slug in group for group in others))

    @cached_property
    def _positions(self) -> dict[str, int]:
        return dict(zip(self._slugs, range(len(self.posts)), strict=True))

    @cached_property
    def _tag_positions(self) -> dict[str, tuple[int, ...]]:
        """Each tag's posts as places in ``posts`` (newest first)."""
        index: defaultdict[str, list[int]] = defaultdict(list)
        for place, tags in enumerate(map(_TAGS, self.posts)):
            for tag in tags:
                index[tag.slug].append(place)
        return {slug: tuple(places) for slug, places in index.items()}

    @cached_property
    def _tag_sets(self) -> dict[str, frozenset[int]]:
        """Each tag's places in ``posts``, as a set (for intersections)."""
        return {slug: frozenset(places) for slug, places in self._tag_positions.items()}

    def related(self, post: Post, limit: int = 3) -> list[Post]:
        """Other posts sharing the most tags with this one (ties: the newest).

        Tier by tier, from posts sharing every tag down to posts sharing one:
        a tier is a union of intersections of the tags' sets (done in C); the
        last tier is the tags' own places, already newest first.
        """
        slugs = [tag.slug for tag in post.tags if tag.slug in self._tag_sets]
        chosen = {self._positions.get(post.slug, -1)}
        best: list[int] = []
        for shared in range(len(slugs), 1, -1):
            tier: set[int] = set()
            for combination in itertools.combinations(slugs, shared):
                tier |= frozenset.intersection(*(self._tag_sets[slug] for slug in combination))
            tier -= chosen
            found = heapq.nsmallest(limit - len(best), tier)  # the newest of the tier
            best += found
            chosen.update(found)
            if len(best) >= limit:
                return [self.posts[place] for place in best]
        lists = (self._tag_positions[slug] for slug in slugs)
        for place, _ in itertools.groupby(heapq.merge(*lists)):  # sorted: newest first
            if len(best) >= limit:
                break
            if place not in chosen:
                best.append(place)
        return [self.posts[place] for place in best]

    def archive(self, tz: tzinfo) -> list[tuple[int, list[tuple[int, list[Post]]]]]:
        """Posts by year, then month (in tz), newest first: [(2024, [(8, [...]), ...]), ...]."""
        years: dict[int, dict[int, list[Post]]] = {}
        for post in self.posts:
            local = post.published.astimezone(tz)
            years.setdefault(local.year, {}).setdefault(local.month, []).append(post)
        return [(year, list(months.items())) for year, months in years.items()]

    def neighbours(self, post: Post) -> tuple[Post | None, Post | None]:
        """(newer, older) posts next to this one."""
        index = self._positions.get(post.slug)
        if index is None:
            return None, None
        newer = self.posts[index - 1] if index > 0 else None
        older = self.posts[index + 1] if index + 1 < len(self.posts) else None
        return newer, older


@dataclass(frozen=True)
class Snapshot:
    """Every good post in the folder at one moment, drafts and future posts included,
    newest first (by publication time, then slug)."""

    posts: tuple[Post, ...]
    errors: tuple[PostError, ...]
    digest: str
    broken: Mapping[str, PostError] = field(default_factory=dict)
    #: The newest modification time among the files read.
    modified: datetime | None = None
    _views: dict[tuple[int, bool], Library] = field(default_factory=dict, compare=False)
    #: The snapshot this one was made from by ``edited``, and the posts it replaced.
    _origin: tuple[Snapshot, dict[Post, Post]] | None = field(default=None, compare=False)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {post.slug: index for index, post in enumerate(self.posts)}

    def edited(
        self, replaced: Mapping[Post, Post], digest: str, modified: datetime | None
    ) -> Snapshot | None:
        """This snapshot with some posts replaced by new reads of their files, or
        None when a change could move a post (a new slug, date, draft or
        redirect state) and the whole snapshot must be built again.

        An edit of one post at 10,000 then costs a copy of the posts and
        each index, not a sort and a rebuild of every index.
        """
        if self.errors:
            return None
        index = self._index
        posts = list(self.posts)
        for old, new in replaced.items():
            at = index.get(old.slug)
            if at is None or posts[at] is not old or not _same_place(old, new):
                return None
            posts[at] = new
        edited = Snapshot(tuple(posts), (), digest, self.broken, modified)
        edited.__dict__["_index"] = index
        for kept in ("_moments", "_plain"):  # no post moved, none became a draft or stub
            if kept in self.__dict__:
                edited.__dict__[kept] = self.__dict__[kept]
        object.__setattr__(edited, "_origin", (self, dict(replaced)))
        # One step back at most: a chain of edits must not keep every old snapshot.
        object.__setattr__(self, "_origin", None)
        return edited

    @cached_property
    def _moments(self) -> list[datetime]:
        """Every distinct publication time, in order: the moments the visible set changes."""
        return sorted(set(map(_PUBLISHED, self.posts)))

    @cached_property
    def _plain(self) -> bool:
        """Whether no post is a draft or a redirect stub (each pass made in C)."""
        return not any(map(_DRAFT, self.posts)) and set(map(_REDIRECT, self.posts)) <= {None}

    def library(self, now: datetime, *, drafts: bool = False) -> Library:
        """The posts visible at ``now``: built once between one publication and the next."""
        moments = self._moments
        epoch = bisect.bisect_right(moments, now)
        key = (epoch, drafts)
        view = self._views.get(key)
        if view is not None:
            return view
        upcoming = moments[epoch] if epoch < len(moments) else None
        version = self.library_version(epoch, drafts)
        appeared = moments[epoch - 1] if epoch else None
        changed = max(filter(None, (self.modified, appeared)), default=None)
        origin = self._origin
        earlier = origin[0]._views.get(key) if origin is not None else None
        if origin is not None and earlier is not None:
            view = earlier.edited(origin[1], version, changed)
        else:
            # Newest first: the posts still to come (usually none) lead.
            start = 0
            posts = self.posts
            while start < len(posts) and posts[start].published > now:
                start += 1
            stubs: tuple[Post, ...] = ()
            if self._plain:  # the usual case: no drafts, no stubs
                visible = posts[start:]
            else:
                shown = [post for post in posts[start:] if drafts or not post.draft]
                visible = tuple(post for post in shown if post.redirect_to is None)
                stubs = tuple(post for post in shown if post.redirect_to is not None)
            view = Library(visible, version, self.errors, upcoming, self.broken, changed, stubs)
        if len(self._views) > 16:
            self._views.clear()
        self._views[key] = view
        return view

    def library_version(self, epoch: int, drafts: bool) -> str:
        return f"{self.digest}.{epoch}{'d' if drafts else ''}"


def _same_place(old: Post, new: Post) -> bool:
    """Whether new stands where old stood in every list and library."""
    return (
        new.slug == old.slug
        and new.published == old.published
        and new.draft == old.draft
        and new.redirect_to is None
        and old.redirect_to is None
    )


def unique_slugs(posts: Sequence[Post]) -> tuple[list[Post], list[PostError]]:
    """Posts with one slug each, and a warning for each that had to change.

    ``posts`` come in path order: the first of two files claiming a slug
    keeps it, and the next takes the first free ``slug-2``, ``slug-3``…, so
    every post stays reachable and the author is told which and why.
    """
    if len({post.slug for post in posts}) == len(posts):
        return list(posts), []  # the usual case, checked in C
    chosen: dict[str, Post] = {}
    renamed: list[PostError] = []
    for post in posts:
        other = chosen.get(post.slug)
        if other is not None:
            number = 2
            while f"{post.slug}-{number}" in chosen:
                number += 1
            new_slug = f"{post.slug}-{number}"
            renamed.append(
                PostError(
                    post.source,
                    f"slug {post.slug!r} is already used by {other.source}; this post"
                    f" has slug {new_slug!r} (set 'slug' to choose another)",
                    field="slug",
                    severity="warning",
                )
            )
            post = dataclasses.replace(post, slug=new_slug)
        chosen[post.slug] = post
    return list(chosen.values()), renamed
