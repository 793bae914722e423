"""htmx fragments. Each lives at its own URL, so a fragment is never cached as a page.

Listing fragments mirror their page's path under ``/partials``; a footnote's
fragment sits under its post, at ``footnotes/<id>/`` relative to the post's
URL (the rendered body links it that way). Asked for without htmx, such a URL
redirects to the page it belongs to. Every answer varies on the htmx headers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .blog import current_library
from .caching import cached_response
from .htmx import add_vary, is_partial_request
from .posts.contract import FOOTNOTE_FRAGMENT, footnote_anchor
from .views import render_listing, rendered_or_abort, search_context

bp = Blueprint("partials", __name__)
bp.after_request(add_vary)

View = Callable[..., Any]


def fragment_of(page_url: Callable[..., str]) -> Callable[[View], View]:
    """Serve the view to htmx partial requests; send anyone else to ``page_url(**args)``."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            if not is_partial_request():
                return redirect(page_url(**kwargs), 303)
            return view(**kwargs)

        return wrapper

    return decorator


@bp.get("/partials/")
@fragment_of(lambda: url_for("pages.index"))
@cached_response(fragment=True)
def index() -> Response | str:
    return render_listing(None, 1, fragment=True)


@bp.get("/partials/page/<int:page>/")
@fragment_of(lambda page: url_for("pages.index_page", page=page))
@cached_response(fragment=True)
def index_page(page: int) -> Response | str:
    return render_listing(None, page, fragment=True)


@bp.get("/partials/tags/<tags>/")
@fragment_of(lambda tags: url_for("pages.tag", tags=tags))
@cached_response(fragment=True)
def tag(tags: str) -> Response | str:
    return render_listing(tags, 1, fragment=True)


@bp.get("/partials/tags/<tags>/page/<int:page>/")
@fragment_of(lambda tags, page: url_for("pages.tag_page", tags=tags, page=page))
@cached_response(fragment=True)
def tag_page(tags: str, page: int) -> Response | str:
    return render_listing(tags, page, fragment=True)


@bp.get("/partials/search/")
@fragment_of(lambda: url_for("pages.search", q=request.args.get("q", "")))
@cached_response(fragment=True, store=False)
def search() -> Response:
    context = search_context()
    response = make_response(
        render_template("partials/search_results.html", fragment=True, **context)
    )
    # The address bar follows the query; replaced, not pushed, so Back skips keystrokes.
    page = (
        url_for("pages.search", q=context["query"]) if context["query"] else url_for("pages.search")
    )
    response.headers["HX-Replace-Url"] = page
    return response


@bp.get("/posts/<slug>/" + FOOTNOTE_FRAGMENT.format(id="<footnote_id>"))
@fragment_of(
    lambda slug, footnote_id: url_for("pages.post", slug=slug, _anchor=footnote_anchor(footnote_id))
)
@cached_response(fragment=True)
def footnote(slug: str, footnote_id: str) -> str:
    post = current_library().get(slug)
    found = rendered_or_abort(post).footnote(footnote_id) if post else None
    if post is None or found is None:
        abort(404, description="This note does not exist.")
    return render_template("partials/footnote.html", post=post, footnote=found)
