"""Which files are posts: every Markdown extension Jekyll and Hugo read.

Jekyll's ``markdown_ext`` default is ``markdown,mkdown,mkdn,mkd,md``; Hugo
reads ``.md``, ``.markdown`` and ``.mdown``. A file in another format the old
generator could publish (HTML, Textile, Org, AsciiDoc, reStructuredText,
Pandoc) is not read here, and is named so no post is lost in silence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

#: Suffixes read as Markdown posts (lower case; matched without regard to case).
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".mdown"})

#: Formats Jekyll or Hugo publish as pages, which this engine does not read.
OTHER_CONTENT_SUFFIXES = frozenset(
    {".html", ".htm", ".textile", ".org", ".adoc", ".asciidoc", ".ad", ".rst", ".pandoc", ".pdc"}
)

_OTHER_SUFFIXES = tuple(OTHER_CONTENT_SUFFIXES)

#: How a file that the old generator would publish starts: front matter.
_FRONT_MATTER_STARTS = (b"---", b"+++", b"{")


#: Folders at the top of a Jekyll or Hugo site that hold its tooling, theme,
#: build output or static files: their Markdown files are not posts.
SITE_TOOLING_FOLDERS = frozenset(
    {
        "themes", "layouts", "archetypes", "static", "assets", "resources", "public", "data",
        "i18n", "node_modules", "vendor", "_site", "_layouts", "_includes", "_sass", "_data",
    }
)  # fmt: skip


def _split_name(name: str) -> tuple[str, str]:
    """A file name's stem and suffix, as PurePosixPath's ``stem`` and ``suffix``
    find them, without building one. For names a folder listing gives: a
    start reads every name of 10,000 posts several times."""
    if "/" in name:
        path = PurePosixPath(name)
        return path.stem, path.suffix
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1:
        return name[:dot], name[dot:]
    return name, ""


def is_markdown_name(name: str) -> bool:
    """Whether a file name has one of the Markdown suffixes posts use."""
    return _split_name(name)[1].lower() in MARKDOWN_SUFFIXES


def is_bundle_index(name: str) -> bool:
    """Whether a file is a page bundle's ``index.<Markdown suffix>``."""
    stem, suffix = _split_name(PurePosixPath(name).name if "/" in name else name)
    return stem == "index" and suffix.lower() in MARKDOWN_SUFFIXES


def iter_skipped_files(root: Path) -> Iterator[tuple[PurePosixPath, str]]:
    """Files below root that the old generator published as pages but are not read here.

    Yields (path relative to root, reason). Only files that start with front
    matter count: an ``.html`` file without it is a static file, not a post.
    Hidden files and folders, and folders starting with ``_`` other than
    ``_posts`` and ``_drafts`` (layouts, includes, data), are not looked at,
    nor, outside a Jekyll site, a leaf bundle's files (its resources, as in Hugo).
    """
    jekyll = (root / "_config.yml").is_file() or (root / "_posts").is_dir()
    bundles: set[str] = set()
    for folder, folders, files in os.walk(root):
        if not jekyll and folder != str(root):
            if os.path.dirname(folder) in bundles or any(map(is_bundle_index, files)):
                bundles.add(folder)
                continue
        folders[:] = sorted(
            name
            for name in folders
            if not name.startswith(".")
            and (not name.startswith("_") or name in {"_posts", "_drafts"})
            and name not in {"layouts", "static", "assets", "themes", "node_modules"}
        )
        # Most names are posts': one test in C each leaves out every one of them.
        for name in sorted(n for n in files if n.lower().endswith(_OTHER_SUFFIXES)):
            suffix = _split_name(name)[1].lower()
            if name.startswith(".") or suffix not in OTHER_CONTENT_SUFFIXES:
                continue
            path = Path(folder, name)
            try:
                with path.open("rb") as handle:
                    start = handle.read(8).lstrip(b"\xef\xbb\xbf").lstrip()
            except OSError:
                continue
            if start.startswith(_FRONT_MATTER_STARTS):
                relative = PurePosixPath(path.relative_to(root).as_posix())
                yield (
                    relative,
                    f"has front matter but is {suffix[1:]}, not Markdown: it is not "
                    "served (convert it to Markdown to keep it)",
                )
