"""``flask blog freeze OUT/``: the whole site as static files, fragments included.

Each page the live site serves is requested from the application itself
(as a WSGI server asks it, so the bytes are those the live site sends)
and written where a static server looks for it: ``/tags/essay/`` becomes
``tags/essay/index.html``. A post's footnote fragments (most of the files)
are its footnote view's answers, asked for without a request each. Fragment
URLs are requested as htmx requests them, so ``partials/…`` and
``posts/<slug>/footnotes/<id>/`` hold fragments and tag filtering and
footnote popovers work from any static host. Search needs the application,
so an exported site has none.

The export keeps a manifest (``.marginalia-export``, JSON): for each file,
a digest of what its content depends on (the posts it shows, the names of
their tags, the templates, static files and code). A second export renders
only the files whose digest changed and rewrites only files whose bytes
changed, so one edited post costs its own page, its notes and the listings
and feeds it appears in. Pages are rendered in one process per core.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, url_for
from markupsafe import Markup
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .blog import get_blog
from .export_files import Files, by_prefix, read_manifest, remove_extra, write_if_changed
from .listing import keep_summaries, post_summary, summary_key
from .posts import Library, Post
from .posts.bundles import bundle_folder, open_bundle_file
from .posts.render_store import StoredRenderer
from .request_facts import PARTIAL_REQUEST_HEADERS
from .site_urls import SiteURL, site_urls
from .site_version import site_version

#: Marks a folder as an export (so freezing never empties a folder it did
#: not make) and holds its manifest.
MARKER = ".marginalia-export"
NOT_FOUND_PAGE = "404.html"
#: Asked for to write the not-found page; no post or page has this address.
_MISSING_URL = "/this-page-does-not-exist/"
#: Below this many pages to render, one process is quicker than starting more.
_PARALLEL_FROM = 64


@dataclass(frozen=True)
class Report:
    written: int
    unchanged: int
    removed: int


@dataclass(frozen=True)
class Output:
    """One URL the static copy holds, and a digest of what its answer depends on."""

    endpoint: str
    values: tuple[tuple[str, Any], ...]
    depends_on: str
    #: Asked for as htmx asks (an answer it swaps into part of a page).
    fragment: bool = False
    #: A post page: its footnotes' fragments (known once its body is
    #: rendered) are written with it, depending on the same inputs.
    with_footnotes: bool = False


def freeze_site(app: Flask, destination: Path, *, processes: int | None = None) -> Report:
    """Write the site into destination (made if missing); return what changed.

    ``processes``: how many render at once (default: one per core).
    """
    destination = destination.resolve()
    marker = destination / MARKER
    if destination.exists() and any(destination.iterdir()) and not marker.exists():
        raise ValueError(f"{destination} is not empty and is not an export; choose another folder")
    fresh = not destination.exists() or not any(destination.iterdir())
    destination.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(marker)
    notes_below = by_prefix(manifest, "footnotes/")
    app.config["STATIC_EXPORT"] = True
    wanted: dict[str, str] = {}  # file -> digest of its inputs
    todo: list[_Task] = [_Task(NOT_FOUND_PAGE, _MISSING_URL, "", False, None)]
    unchanged = 0
    with app.test_request_context(base_url=_base_url(app)):
        library = get_blog().library()
        for output in site_outputs(app, library):
            url = url_for(output.endpoint, **dict(output.values))
            file = _file_for(url)
            wanted[file] = output.depends_on
            if manifest.get(file) == output.depends_on and os.path.isfile(f"{destination}/{file}"):
                unchanged += 1
                if output.with_footnotes:  # unchanged too: the same inputs
                    notes = file.removesuffix("index.html") + "footnotes/"
                    for old in notes_below.get(notes, ()):
                        if manifest[old] == output.depends_on:
                            wanted[old] = output.depends_on
                            unchanged += 1
            else:
                slug = dict(output.values)["slug"] if output.with_footnotes else None
                todo.append(_Task(file, url, output.depends_on, output.fragment, slug))
    wanted[NOT_FOUND_PAGE] = ""
    written = 0
    responses = app.extensions["response_cache"]
    responses.storing = False  # each URL is asked for once: nothing to keep or compress
    files = Files(destination, fresh=fresh)
    try:
        for file, digest, changed in _render_all(app, files, todo, processes):
            wanted[file] = digest
            written += changed
            unchanged += not changed
    finally:
        responses.storing = True
    static_written, static_unchanged = _copy_static(app, files, wanted)
    written += static_written
    unchanged += static_unchanged
    removed = 0 if fresh else remove_extra(destination, wanted, MARKER)
    write_if_changed(destination / MARKER, json.dumps(wanted, sort_keys=True).encode())
    return Report(written=written, unchanged=unchanged, removed=removed)


def site_outputs(app: Flask, library: Library) -> Iterator[Output]:
    """Every page, fragment and file the static copy holds (the site's own list,
    ``site_urls``), each with a digest of what its answer depends on.

    Tag listings are exported for single tags only: combinations of tags
    need the application (the exported pages do not link them). A post's
    footnote fragments are written with its page, once its body is rendered.
    """
    site = site_version(app)
    every_post = _digest(site, [_post_facts(post) for post in library.posts])
    tag_names = [(item.tag.slug, item.tag.name, item.count) for item in library.tags]
    listing_frame = _digest(site, tag_names, len(library.posts))
    size = int(app.config["PAGE_SIZE"])
    feed_length = int(app.config["FEED_LENGTH"])
    root = get_blog().folder.root

    frames: dict[str | None, str] = {}  # each listing's frame, for all its pages

    def listing(url: SiteURL, posts: tuple[Post, ...]) -> Output:
        page = int(url.values.get("page", 1))
        shown = posts[(page - 1) * size : page * size]
        tags = url.values.get("tags")
        frame = frames.get(tags)
        if frame is None:
            narrower = [(post.slug, [tag.slug for tag in post.tags]) for post in posts]
            frame = frames[tags] = _digest(listing_frame, len(posts), narrower)
        return _output(url, frame, [_post_facts(post) for post in shown])

    # Footnote fragments are written with their post's page, once its body is rendered.
    for url in site_urls(library, size, root, footnotes=False):
        kind = url.endpoint.split(".", 1)[1]
        if kind in ("index", "index_page"):
            yield listing(url, library.posts)
        elif kind in ("tag", "tag_page"):
            yield listing(url, library.by_tag(url.values["tags"]))
        elif url.endpoint == "feeds.tag_feed":
            posts = library.by_tag(url.values["tags"])
            name = [tag.name for tag in map(library.tag, [url.values["tags"]]) if tag]
            feed = [_post_facts(post) for post in posts[:feed_length]]
            yield _output(url, site, name, feed)
        elif url.endpoint == "pages.post":
            post = library.get(url.values["slug"])
            assert post is not None
            newer, older = library.neighbours(post)
            around = [
                (other.slug, other.title, other.published.isoformat())
                for other in (newer, older, *library.related(post))
                if other is not None
            ]
            names = [(tag.slug, tag.name) for tag in library.display_tags(post)]
            page = _output(url, site, _post_facts(post), around, names)
            yield dataclasses.replace(page, with_footnotes=True)
        elif url.endpoint == "pages.bundle_file":
            post = library.get(url.values["slug"])
            bundle = bundle_folder(post.source) if post else None
            handle = open_bundle_file(root, bundle, url.values["filename"]) if bundle else None
            if handle is None:
                continue
            with handle:
                content = hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
            yield _output(url, site, content)
        elif url.endpoint == "seo.robots":
            yield _output(url, site)
        else:  # the tag index, the archive, the site's feed, the sitemap
            yield _output(url, every_post)


def _output(url: SiteURL, *inputs: object) -> Output:
    return Output(
        url.endpoint, tuple(sorted(url.values.items())), _digest(*inputs), fragment=url.is_fragment
    )


def _digest(*inputs: object) -> str:
    text = json.dumps(inputs, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _post_facts(post: Post) -> tuple[object, ...]:
    """What a post shows that its file's bytes do not fix: its path and dates."""
    return (post.slug, post.digest, str(post.source), post.published, post.updated, post.draft)


def _file_for(url: str) -> str:
    """Where a static server looks for a URL's answer."""
    path = url.lstrip("/")
    return path + "index.html" if path.endswith("/") or not path else path


@dataclass(frozen=True)
class _Task:
    file: str
    url: str
    depends_on: str
    fragment: bool
    footnotes_of: str | None  # a post page's slug: its notes are written with it


def _base_url(app: Flask) -> str:
    return str(app.config["SITE_URL"] or "http://localhost/")


Row = tuple[str, str, bool]  # a file, its inputs' digest, whether its bytes changed
Summary = tuple[tuple[object, ...], Markup]  # a post as listings show it, by summary_key
#: Tasks a worker takes at a time: small enough to keep both busy to the end.
_BATCH = 16


def _render_all(app: Flask, files: Files, todo: list[_Task], processes: int | None) -> list[Row]:
    """Render and write each task; return a Row for each file.

    Post pages come first, spread over processes forked once the app and
    its posts are loaded, each body rendered once and kept in the post
    store; listings and feeds (which show the same bodies) come after and
    take the bodies from there. Without a post store (``BLOG_POST_STORE=off``)
    a private one lasts for the export. The listings' summaries of posts are
    made with their pages, and kept for the processes forked next, so that
    neither makes every summary again.
    """
    processes = processes or os.cpu_count() or 1
    if processes == 1 or len(todo) < _PARALLEL_FROM or not _can_fork():
        return _render_chunk(app, files, todo)[0]
    posts = [task for task in todo if task.footnotes_of is not None]
    rest = [task for task in todo if task.footnotes_of is None]
    renderer: StoredRenderer = app.extensions["blog"].renderer
    with renderer.shared():
        rows, summaries = _in_processes(app, files, posts, processes)
        keep_summaries(app, summaries)
        return rows + _in_processes(app, files, rest, processes)[0]


def _in_processes(
    app: Flask, files: Files, todo: list[_Task], processes: int
) -> tuple[list[Row], list[Summary]]:
    # A child forked while another thread is inside SQLite (the post store
    # being written after the first read) inherits SQLite's locks held, and
    # hangs on its first query of the rendered bodies: fork after that write.
    app.extensions["blog"].folder.wait_until_stored()
    global _forked  # read by the forked workers, which inherit the loaded app
    _forked = (app, files)
    batches = [todo[start : start + _BATCH] for start in range(0, len(todo), _BATCH)]
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            results = list(pool.imap_unordered(_render_in_worker, batches))
    finally:
        _forked = None
    rows = [row for rows, _ in results for row in rows]
    return rows, [summary for _, summaries in results for summary in summaries]


_forked: tuple[Flask, Files] | None = None


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _render_in_worker(todo: list[_Task]) -> tuple[list[Row], list[Summary]]:
    assert _forked is not None
    app, files = _forked
    return _render_chunk(app, files, todo)


def _render_chunk(app: Flask, files: Files, todo: list[_Task]) -> tuple[list[Row], list[Summary]]:
    """Write each task's answer; return its rows, and the summaries of its posts.

    Pages go through the whole application, as a server asks it. A post's
    footnote fragments, most of the site's files, are its view's answers
    too, asked for directly, in one htmx request context per post: the
    fragment's body is the view's text, which no layer around it changes.
    """
    base_url = _base_url(app)
    footnote = inspect.unwrap(app.view_functions["partials.footnote"])
    done: list[Row] = []
    summaries: list[Summary] = []

    def write(file: str, content: bytes, depends_on: str) -> None:
        done.append((file, depends_on, files.write(file, content)))

    for task in todo:
        headers = PARTIAL_REQUEST_HEADERS if task.fragment else {}
        status, content = _get(app, task.url, base_url, headers)
        if status != (404 if task.file == NOT_FOUND_PAGE else 200):
            raise RuntimeError(f"{task.url} answered {status} while exporting")
        write(task.file, content, task.depends_on)
        if task.footnotes_of is None:
            continue
        with app.test_request_context(task.url, base_url=base_url, headers=PARTIAL_REQUEST_HEADERS):
            library = get_blog().library()
            post = library.get(task.footnotes_of)
            assert post is not None, task.url
            for note in post.rendered.footnotes:
                url = url_for("partials.footnote", slug=post.slug, footnote_id=note.id)
                html = footnote(slug=post.slug, footnote_id=note.id)
                write(_file_for(url), html.encode(), task.depends_on)
            summaries.append((summary_key(post, library), post_summary(post, library)))
    return done, summaries


def _get(app: Flask, url: str, base_url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """The status and body of the application's answer to a GET, as a server
    would ask (the environ Flask's test client builds, without its cookies
    and response objects)."""
    environ = EnvironBuilder(
        path=url, base_url=base_url, headers=list(headers.items())
    ).get_environ()
    body, status, _ = run_wsgi_app(app, environ)
    try:
        content = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()  # a bundle file's answer holds the file open until closed
    return int(status.split(" ", 1)[0]), content


def _copy_static(app: Flask, files: Files, wanted: dict[str, str]) -> tuple[int, int]:
    """Copy the static folder (the live site serves each file's bytes as they are)."""
    assert app.static_folder is not None and app.static_url_path is not None
    folder = Path(app.static_folder)
    prefix = app.static_url_path.strip("/")
    written = unchanged = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        file = f"{prefix}/{relative.as_posix()}"
        wanted[file] = ""
        if files.write(file, path.read_bytes()):
            written += 1
        else:
            unchanged += 1
    return written, unchanged
