"""The core: reading Markdown files into posts and keeping them current.

Nothing here imports Flask or knows about requests; the web layer asks a
``ContentFolder`` for the ``Library`` visible now and renders it.
"""

from .folder import ContentFolder
from .library import Library, Snapshot, TagCount
from .models import Footnote, Heading, Post, PostError, Rendered, Tag
from .reader import ReaderSettings, parse_post, read_post
from .rendering import Renderer, html_to_text, summarize
from .slugs import slugify

__all__ = [
    "ContentFolder",
    "Footnote",
    "Heading",
    "Library",
    "Post",
    "PostError",
    "ReaderSettings",
    "Rendered",
    "Renderer",
    "Snapshot",
    "Tag",
    "TagCount",
    "html_to_text",
    "parse_post",
    "read_post",
    "slugify",
    "summarize",
]
