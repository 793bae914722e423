"""The core: reading Markdown files into posts and keeping them current.

Nothing here imports Flask or knows about requests; the web layer asks a
``ContentFolder`` for the ``Library`` visible now and renders it.
"""

from .library import ContentFolder, Library, Snapshot, TagCount
from .models import Footnote, Heading, Post, PostError, Rendered, Tag
from .reader import ReaderSettings, parse_post, read_post, slugify
from .rendering import Renderer, html_to_text, summarize

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
