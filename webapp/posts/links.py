"""``blog check`` on the links and images in posts: those that will not work as written.

Every local address in a post's HTML (after shortcodes and Liquid are
expanded) is looked up as the running site answers it, with the code that
answers: the URL map (``SitePaths``), the posts and their old addresses
(``Library.alias``), a bundle's files (``bundles``) and a Jekyll or Hugo
site's static folders (``SiteLayout.static_file``). What is found:

- a link to a post that does not exist: an error (a reader's click fails);
- a link or image at an old address of a post here (a Jekyll permalink, a
  Hugo section path, an alias, a ``url``): it answers 301, so it works, but
  should name the new address;
- an image, or a link, that nothing here answers: it will 404.

Links to other sites are not checked (no network), except links to the
old site's own address (Jekyll's ``url``, Hugo's ``baseURL``) that lead to
an old address of a post here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import unquote, urljoin, urlsplit

from .bundles import bundle_folder, serves_bundle_file
from .fields import normalize_path
from .library import Library
from .migration import hugo, jekyll
from .migration.siteroot import SiteLayout
from .models import Post, PostError


class SitePaths(Protocol):
    """The site's URL scheme, as far as checking links in posts needs it."""

    def post(self, slug: str) -> str:
        """The path of a post's page."""
        ...

    def slug_of(self, path: str) -> str | None:
        """The slug of the post a path belongs to (page, note, bundle file), or None."""
        ...

    def bundle_file_of(self, path: str) -> tuple[str, str] | None:
        """(slug, file name) when the path names a file beside a post, else None."""
        ...

    def serves(self, path: str) -> bool:
        """Whether the site answers the path itself, with something other than a
        post or a bundle file (a listing, a feed, a file of its own /static/)."""
        ...


#: Attributes holding addresses a reader's browser follows or loads.
_ADDRESSES = {
    "a": ("href",),
    "img": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "source": ("src",),
}


@dataclass(frozen=True)
class Reference:
    """An address in a post's HTML: ``image`` for what the page loads, else ``link``."""

    kind: str
    url: str


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Reference] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in _ADDRESSES.get(tag, ()):
            url = (values.get(name) or "").strip()
            if url:
                self.found.append(Reference("link" if tag == "a" else "image", url))


def references(post: Post) -> list[Reference]:
    """Each address in the post's HTML once (a note's sidenote repeats its links)."""
    parser = _References()
    parser.feed(post.html)
    return list(dict.fromkeys(parser.found))


def linked_slugs(post: Post, urls: SitePaths) -> list[tuple[str, str]]:
    """(href, slug) for each link in the post's body to a post of this site."""
    found = []
    base = urls.post(post.slug)
    for reference in references(post):
        path = _local_path(reference.url, base, frozenset())
        slug = None if path is None else urls.slug_of(path)
        if reference.kind == "link" and slug is not None:
            found.append((reference.url, slug))
    return found


def own_hosts(site: SiteLayout) -> frozenset[str]:
    """The old site's own host names (``url`` of a Jekyll site, ``baseURL`` of a Hugo one)."""
    if site.kind == "jekyll":
        address = jekyll.load_config(site.root / "_config.yml").get("url")
    elif site.kind == "hugo":
        config = hugo.load_config(site.root)
        address = config.get("baseURL") or config.get("baseurl")
    else:
        return frozenset()
    host = urlsplit(address).netloc.lower() if isinstance(address, str) else ""
    return frozenset({host, host.removeprefix("www.")} - {""})


def _local_path(url: str, base: str, hosts: frozenset[str]) -> str | None:
    """The path on this site a URL leads to, or None (another site, a fragment, mail)."""
    parts = urlsplit(url)
    if url.startswith("#") or parts.scheme not in ("", "http", "https"):
        return None
    if parts.netloc and parts.netloc.lower().removeprefix("www.") not in hosts:
        return None
    return unquote(urlsplit(urljoin(base, parts.path)).path) if parts.path else None


def check_references(
    posts: list[Post], library: Library, site: SiteLayout, urls: SitePaths
) -> list[PostError]:
    """Every link and image in the posts that will not work as written (see the module)."""
    hosts = own_hosts(site)
    problems = []
    for post in posts:
        try:
            found = references(post)
        except PostError as error:
            problems.append(error)
            continue
        base = urls.post(post.slug)
        source: list[str] | None = None
        for reference in found:
            path = _local_path(reference.url, base, hosts)
            if path is None:
                continue
            absolute = bool(urlsplit(reference.url).netloc)
            for severity, message in _problems(reference, path, absolute, library, site, urls):
                source = _source_lines(site.root, post) if source is None else source
                line = _line_of(source, post, reference.url)
                problems.append(PostError(post.source, message, line=line, severity=severity))
    return problems


def _problems(
    reference: Reference,
    path: str,
    absolute: bool,
    library: Library,
    site: SiteLayout,
    urls: SitePaths,
) -> Iterator[tuple[str, str]]:
    """(severity, message) for one address, as the site would answer it."""
    url, what = reference.url, "image" if reference.kind == "image" else "link"
    file = urls.bundle_file_of(path)
    slug = urls.slug_of(path)
    if file is not None:
        slug, name = file
        post = library.get(slug)
        if post is None:
            pass  # no such post: said below
        elif (bundle := bundle_folder(post.source)) is None:
            yield (
                "warning",
                (
                    f"{what} {url} will not load (404): {post.source} is not a page bundle,"
                    f" so no file is served beside it (move it to a folder as index.md)"
                ),
            )
            return
        elif serves_bundle_file(site.root, bundle, name):
            return
        else:
            yield "warning", f"{what} {url} will not load (404): no file {name} in {bundle}/"
            return
    if slug is not None and library.get(slug) is not None:
        return
    stub = None if slug is None else library.redirect_for(slug)
    if stub is not None:
        yield "warning", f"{what} {url} is the old address of a redirect: use {stub}"
        return
    if not absolute and slug is None and urls.serves(path):
        return
    moved = library.alias(normalize_path(path))
    if moved is not None:
        new = urls.post(moved.slug)
        yield (
            "warning",
            (
                f"{what} {url} is the old address of {moved.source} (it answers with a redirect):"
                f" use {new}"
            ),
        )
        return
    target = library.alias_redirect(normalize_path(path))
    if target is not None:
        yield "warning", f"{what} {url} is the old address of a redirect: use {target}"
        return
    if absolute:
        return  # the old site's address of something else: perhaps still online
    if slug is not None:
        yield "error", f"links to {url}, but no post has slug {slug!r}"
    elif site.static_file(path) is None:
        where = "that address" if urlsplit(url).path == path else path
        yield (
            "warning",
            (f"{what} {url} will not load (404): no post, page or file here answers at {where}"),
        )


def _line_of(source: list[str], post: Post, url: str) -> int | None:
    """The line where an address is written: found in the file as written (template
    code around it) or, for an address that template code made, in the expanded body."""
    wanted = [url, unquote(url)]
    name = PurePosixPath(urlsplit(url).path).name
    start = post.body_line - 1  # not the front matter: an ``image:`` there is no link
    for text in [*wanted, name] if name else wanted:
        offset = next((n for n, line in enumerate(source[start:]) if text in line), None)
        if offset is not None:
            return post.body_line + offset
    body = post.body.split("\n")
    offset = next((n for n, line in enumerate(body) if any(t in line for t in wanted)), None)
    return None if offset is None else post.body_line + offset


def _source_lines(root: Path, post: Post) -> list[str]:
    try:
        return (root / post.source).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
