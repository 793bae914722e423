"""Full pages. A missing post becomes a 404 here; listings (``listing``) and
fragments (``partials``) make their own for a missing tag, page or note, and
every error page is rendered by ``register_error_handlers``."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from .blog import current_library, get_blog
from .bundle_files import send_bundle_file
from .caching import cached_response
from .htmx import is_partial_request
from .listing import TAG_SEPARATOR, build_listing, canonical_tag_path, parse_tags
from .nearest import not_found_context
from .posts import Post, PostError, Rendered
from .posts.bundles import bundle_folder, open_bundle_file
from .posts.fields import normalize_path
from .posts.search import MAX_QUERY_CHARS, Hit

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)


def render_listing(
    tags_expression: str | None, page: int, *, fragment: bool = False
) -> Response | str:
    """A listing page or fragment; a non-canonical tag path redirects to its canonical one."""
    library = current_library()
    tags = parse_tags(library, tags_expression) if tags_expression else ()
    if tags_expression and canonical_tag_path(tags) != tags_expression:
        endpoint = request.endpoint or "pages.tag"
        args: dict[str, Any] = {**(request.view_args or {}), "tags": canonical_tag_path(tags)}
        return redirect(url_for(endpoint, **args), 301)
    # ?to=N: pages page..N at once, the URL "More posts" leaves in the address bar.
    through = None if fragment else request.args.get("to", type=int)
    listing = build_listing(library, tags, page, int(current_app.config["PAGE_SIZE"]), through)
    template = "partials/post_list.html" if fragment else "pages/listing.html"
    return render_template(template, listing=listing, library=library, fragment=fragment)


@bp.get("/")
@cached_response()
def index() -> Response | str:
    # WordPress-style ?tag=a links (and ?tag=a&tag=b) lead to the tag page.
    if wanted := [slug for slug in request.args.getlist("tag") if slug]:
        tags = parse_tags(current_library(), TAG_SEPARATOR.join(wanted[:20]))
        return redirect(url_for("pages.tag", tags=canonical_tag_path(tags)), 301)
    return render_listing(None, 1)


@bp.get("/page/<int:page>/")
@cached_response()
def index_page(page: int) -> Response | str:
    if page == 1:
        return redirect(url_for("pages.index"), 301)
    return render_listing(None, page)


@bp.get("/tags/<tags>/")
@cached_response()
def tag(tags: str) -> Response | str:
    return render_listing(tags, 1)


@bp.get("/tags/<tags>/page/<int:page>/")
@cached_response()
def tag_page(tags: str, page: int) -> Response | str:
    if page == 1:
        return redirect(url_for("pages.tag", tags=tags), 301)
    return render_listing(tags, page)


@bp.get("/archive/")
@cached_response()
def archive() -> str:
    library = current_library()
    return render_template(
        "pages/archive.html", archive=library.archive(get_blog().timezone), library=library
    )


SEARCH_PAGE_SIZE = 10


def search_context() -> dict[str, Any]:
    """The query (tidied), one page of its results, and the next page's URL if any."""
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY_CHARS]
    page = _search_page(request.args.get("page", "1"))
    library = current_library()
    hits: list[tuple[Post, Hit]] = []
    total = 0
    more_url = None
    building = False
    if query:
        blog = get_blog()
        snapshot = blog.folder.snapshot()
        # Never keep a reader waiting on an index being written elsewhere:
        # search what is indexed, and say so if that is nothing yet.
        current = blog.search_index.sync(snapshot.posts, snapshot.digest, wait=False)
        building = not current and not blog.search_index.ready
        results = blog.search_index.search(
            query,
            now=g.now,
            drafts=blog.show_drafts,
            limit=SEARCH_PAGE_SIZE,
            offset=(page - 1) * SEARCH_PAGE_SIZE,
        )
        hits = [(post, hit) for hit in results.hits if (post := library.get(hit.slug))]
        total = results.total
        if results.more:
            more_url = url_for("pages.search", q=query, page=page + 1)
    return {
        "query": query,
        "page": page,
        "hits": hits,
        "total": total,
        "more_url": more_url,
        "building": building,
        "library": library,
    }


def _search_page(text: str) -> int:
    """The results page asked for: 1 to 100, or a 404 (``?page=abc`` is not a page)."""
    page = int(text) if text.isdigit() and len(text) <= 3 else 0
    if not 1 <= page <= 100:
        abort(404, description="There is no such page of results.")
    return page


@bp.get("/search/")
@cached_response(store=False)
def search() -> str | tuple[str, int, dict[str, str]]:
    context = search_context()
    page = render_template("pages/search.html", **context)
    if context["building"]:
        return page, 503, {"Retry-After": "5"}  # not cached: it will soon be different
    return page


@bp.get("/posts/<slug>/<path:filename>")
def bundle_file(slug: str, filename: str) -> Response:
    """A file beside a visible post in its page bundle (see ``posts.bundles``)."""
    post = current_library().get(slug)
    bundle = bundle_folder(post.source) if post is not None else None
    file = None if bundle is None else open_bundle_file(get_blog().folder.root, bundle, filename)
    if file is None:
        abort(404)
    return send_bundle_file(file, filename, sanitized=bool(current_app.config["SANITIZE"]))


@bp.get("/tags/")
@cached_response()
def tags() -> str:
    return render_template("pages/tags.html", library=current_library())


@bp.get("/posts/<slug>/")
@cached_response()
def post(slug: str) -> str | tuple[str, int] | Response:
    library = current_library()
    target = library.redirect_for(slug)
    if target is not None:  # a redirect stub (redirect_to): the post moved
        return redirect(target, 301)
    error = library.error_for(slug)
    if error is not None and current_app.debug:
        # Authors see why at once; readers (in production) get the last good
        # version, or a 404, and the log says why.
        return render_template("pages/content_error.html", error=error), 500
    found = library.get(slug)
    if found is None:
        abort(404, description="There is no post at this address.")
    rendered_or_abort(found)
    newer, older = library.neighbours(found)
    return render_template(
        "pages/post.html",
        post=found,
        newer=newer,
        older=older,
        related=library.related(found),
        library=library,
    )


def rendered_or_abort(post: Post) -> Rendered:
    """The post's HTML, or a 500 page (and a log line naming the file) if it cannot render."""
    try:
        return post.rendered
    except PostError as error:
        log.error("%s", error)
        abort(500, description="This post could not be displayed. The site's log says why.")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException | Response:
        if error.code is None or error.code < 400:
            return error
        if error.code == 404 and request.method in ("GET", "HEAD"):
            path = normalize_path(request.path)
            moved = current_library().alias(path)
            if moved is not None:
                return redirect(url_for("pages.post", slug=moved.slug), 301)
            target = current_library().alias_redirect(path)
            if target is not None:
                return redirect(target, 301)
            # A Jekyll or Hugo site's own files (assets/, static/) at the URLs they had.
            static = get_blog().site.static_file(request.path)
            if static is not None:
                return send_file(static, max_age=3600)
        return _error_page(error), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        log.exception("error serving %s", request.path)
        return _error_page(InternalServerError()), 500


def _error_page(error: HTTPException) -> str:
    template = "partials/error.html" if is_partial_request() else "pages/error.html"
    listing_target = request.headers.get("HX-Target", "").endswith("#listing")
    try:
        return render_template(
            template, error=error, listing_target=listing_target, **not_found_context(error.code)
        )
    except Exception:
        log.exception("error page failed to render")
        return "<!doctype html><title>Error</title><p>Something went wrong.</p>"
