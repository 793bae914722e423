"""What search engines and link previews read: sitemap, robots.txt, structured data."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, url_for

from .blog import current_library, get_blog
from .caching import cached_response
from .posts import Library, Post
from .site_urls import site_urls
from .urls import absolute_url, site_root

bp = Blueprint("seo", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@bp.get("/sitemap.xml")
@cached_response()
def sitemap() -> Response:
    library = current_library()
    urlset = ElementTree.Element("urlset", xmlns=SITEMAP_NS)

    def add(url: str, modified: datetime | None = None) -> None:
        entry = ElementTree.SubElement(urlset, "url")
        ElementTree.SubElement(entry, "loc").text = url
        if modified:
            ElementTree.SubElement(entry, "lastmod").text = modified.isoformat()

    root = get_blog().folder.root
    # Footnote fragments are not documents: no body needs rendering for this list.
    for url in site_urls(library, int(current_app.config["PAGE_SIZE"]), root, footnotes=False):
        # Each listing's first page stands for the rest of it.
        if url.is_document and not url.endpoint.endswith("_page"):
            add(absolute_url(url.endpoint, **url.values), url.modified)
    body = ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return Response(body, content_type="application/xml; charset=utf-8")


@bp.get("/robots.txt")
@cached_response()
def robots() -> Response:
    lines = [
        "User-agent: *",
        # Fragments are parts of pages; search results are not content.
        f"Disallow: {url_for('partials.index')}",
    ]
    if not current_app.config["STATIC_EXPORT"]:  # an export has no search
        lines.append(f"Disallow: {url_for('pages.search')}")
    lines += ["", f"Sitemap: {absolute_url('seo.sitemap')}", ""]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8")


def blog_posting(post: Post, library: Library) -> dict[str, Any]:
    """schema.org BlogPosting for a post, as JSON-LD."""
    url = absolute_url("pages.post", slug=post.slug)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": post.published.isoformat(),
        "dateModified": (post.updated or post.published).isoformat(),
        "wordCount": post.word_count,
        "keywords": [tag.name for tag in library.display_tags(post)],
        "publisher": {
            "@type": "Organization",
            "name": current_app.config["TITLE"],
            "url": site_root() + "/",
        },
    }
    if post.summary:
        data["description"] = post.summary
    author = current_app.config["AUTHOR"]
    if author:
        data["author"] = {"@type": "Person", "name": author}
    return data
