"""A Jekyll site's configuration, posts and includes, as Liquid in its posts needs them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from ..slugs import slug_from_path, slugify
from .files import is_markdown_name
from .liquid import LiquidContext


def default_post_url(slug: str) -> str:
    return f"/posts/{slug}/"


class JekyllSite:
    """What ``post_url``, ``link`` and ``include`` find in a Jekyll site's folder."""

    def __init__(self, root: Path, post_url: Callable[[str], str] = default_post_url) -> None:
        self.root = root
        self.post_url = post_url
        self.config = load_config(root / "_config.yml")
        #: Post file stem (``2019-03-14-pi-day``) -> its file; see ``notice``.
        self.posts: dict[str, Path] = {}
        self._listed: set[Path] = set()
        self._list_posts()
        self._slugs = FileSlugs(root)

    def _list_posts(self) -> None:
        posts: dict[str, Path] = {}
        listed = set()
        for folder in ("_posts", "_drafts"):
            for path in sorted((self.root / folder).rglob("*")):
                if path.is_file() and is_markdown_name(path.name):
                    posts.setdefault(path.stem, path)
                    listed.add(path)
        self.posts, self._listed, self._stale = posts, listed, False

    def notice(self, source: PurePosixPath) -> None:
        """A post was read: one not listed was added or renamed since the folders
        were listed, so they are listed again before the next ``post_url``."""
        if source.parts[:1] in (("_posts",), ("_drafts",)) and is_markdown_name(source.name):
            self._stale = self._stale or self.root / source not in self._listed

    def _find(self, stem: str) -> tuple[Path, str] | None:
        """A post's file and slug, following the folder as it changes: a file gone
        since the listing (renamed or removed) lists the folders again."""
        if self._stale:
            self._list_posts()
        path = self.posts.get(stem)
        slug = self._slugs.get(path) if path is not None else None
        if path is not None and slug is None:
            self._list_posts()
            path = self.posts.get(stem)
            slug = self._slugs.get(path) if path is not None else None
        return (path, slug) if path is not None and slug is not None else None

    def context(self, page: dict[str, Any] | None = None) -> LiquidContext:
        """The Liquid context for one post (``page`` is its front matter)."""
        return LiquidContext(
            site=self.config,
            page=page or {},
            resolve_post_url=self.resolve_post_url,
            resolve_link=self.resolve_link,
            read_include=self.read_include,
        )

    def resolve_post_url(self, name: str) -> str | None:
        found = self._find(PurePosixPath(name.strip()).name)
        return self.post_url(found[1]) if found else None

    def references(self, body: str) -> tuple[tuple[str, str], ...]:
        """(name, URL or "") for each post a body's ``post_url`` or ``link`` names:
        what its Liquid resolved to, to notice when that changes."""
        names = [match.group(1) for match in _POST_URL.finditer(body)]
        names += [PurePosixPath(match.group(1)).stem for match in _POST_LINK.finditer(body)]
        return tuple((name, self.resolve_post_url(name) or "") for name in dict.fromkeys(names))

    def resolve_link(self, target: str) -> str | None:
        """The URL of a file named as ``{% link %}`` names it (a path from the site root)."""
        path = PurePosixPath(target.strip().lstrip("/"))
        if not path.parts or ".." in path.parts:
            return None
        if path.parts[0] in ("_posts", "_drafts"):
            return self.resolve_post_url(path.stem)
        if path.parts[0].startswith("_") and len(path.parts) > 1:
            # A collection's page is not served here: link to it on the old site.
            return self._collection_url(path)
        if not (self.root / path).is_file():
            return None
        return "/" + str(path)

    def _collection_url(self, path: PurePosixPath) -> str:
        """A collection page's URL on the old site (it is not served here)."""
        collection = path.parts[0][1:]
        settings = (self.config.get("collections") or {}).get(collection) or {}
        pattern = str(settings.get("permalink") or "/:collection/:path:output_ext")
        inner = PurePosixPath(*path.parts[1:]).with_suffix("")
        url = (
            pattern.replace(":collection", collection)
            .replace(":path", str(inner))
            .replace(":name", inner.name)
            .replace(":title", inner.name)
            .replace(":output_ext", ".html")
        )
        return str(self.config.get("url") or "").rstrip("/") + url

    def read_include(self, name: str) -> str | None:
        includes = (self.root / "_includes").resolve()
        path = (includes / name.strip()).resolve()
        if not path.is_relative_to(includes) or not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None


_POST_URL = re.compile(r"\{%-?\s*post_url\s+([^\s%]+)")
_POST_LINK = re.compile(r"\{%-?\s*link\s+(?:_posts|_drafts)/([^\s%]+)")


def load_config(path: Path) -> dict[str, Any]:
    """A YAML site configuration as a mapping (empty when missing or not a mapping)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    import yaml  # here: only a Jekyll site needs it

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


class FileSlugs:
    """The slug of each post file a link names, its front matter read once per change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        #: File -> ((mtime, size), slug).
        self._known: dict[Path, tuple[tuple[int, int], str]] = {}

    def get(self, path: Path) -> str | None:
        """The file's slug now, or None when it is gone."""
        try:
            status = path.stat()
        except OSError:
            self._known.pop(path, None)
            return None
        key = (status.st_mtime_ns, status.st_size)
        known = self._known.get(path)
        if known is None or known[0] != key:
            known = self._known[path] = (key, slug_of_file(path, self.root))
        return known[1]


def slug_of_file(path: Path, root: Path) -> str:
    """The slug the reader gives the post in this file (front matter ``slug`` or its name)."""
    import frontmatter  # here: a server that reads no file (a restart) need not import it
    import yaml

    try:
        metadata = frontmatter.load(str(path)).metadata
    except (OSError, ValueError, yaml.YAMLError):  # the reader reports a broken post
        metadata = {}
    slug = metadata.get("slug")
    if isinstance(slug, str) and slugify(slug):
        return slugify(slug)
    return slug_from_path(PurePosixPath(path.relative_to(root).as_posix()))
