"""What templates can use besides their context: site settings and dates."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from .blog import current_library, get_blog
from .listing import listing_url, post_summary, tag_filter
from .seo import blog_posting
from .urls import absolute_path, absolute_url, page_url_for

log = logging.getLogger(__name__)


def init_templating(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_filter(display_date)
    app.add_template_filter(month_name)
    app.add_template_global(listing_url)
    app.add_template_global(tag_filter)
    app.add_template_global(post_summary, name="cached_post_summary")
    app.add_template_global(absolute_url)
    app.add_template_global(page_url_for, name="url_for")
    app.add_template_global(absolute_path)
    app.add_template_global(blog_posting)
    app.context_processor(_site_context)


#: Templates of pages a reader seldom opens first (search, the archive, the
#: tag index, error pages): compiled when first used (5-15 ms each, once per
#: process), not before every server process's first answer (a quarter of
#: the time compiling every template took).
COMPILED_ON_FIRST_USE = frozenset(
    {
        "pages/search.html",
        "partials/search_results.html",
        "pages/archive.html",
        "pages/tags.html",
        "pages/error.html",
        "partials/error.html",
        "pages/content_error.html",
    }
)


def compile_templates(app: Flask) -> None:
    """Compile the templates of the pages readers land on now (posts,
    listings, their fragments; all but ``COMPILED_ON_FIRST_USE``), so that
    no reader's first request to such a page waits for Jinja to compile it
    (a tenth of a second or more for the post page with its macros)."""
    for name in app.jinja_env.list_templates():
        if name in COMPILED_ON_FIRST_USE:
            continue
        try:
            app.jinja_env.get_template(name)
        except Exception:  # the request that needs it reports it too
            log.exception("template %s does not compile", name)


def _site_context() -> dict[str, Any]:
    config = current_app.config
    context: dict[str, Any] = {
        "site": {
            "title": config["TITLE"],
            "description": config["DESCRIPTION"],
            "author": config["AUTHOR"],
        }
    }
    if current_app.debug:
        # Authors running the development server see every unreadable file.
        context["content_errors"] = current_library().errors
    return context


def display_date(moment: datetime) -> str:
    """``8 August 2024``, in the site's time zone."""
    local = moment.astimezone(get_blog().timezone)
    return f"{local.day} {local:%B %Y}"


def month_name(month: int) -> str:
    return datetime(2000, month, 1).strftime("%B")
