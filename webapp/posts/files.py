"""Which files in a content folder are posts, and which files beside a post may be served.

Rules about names and links only: nothing here reads a file's content.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from .migration.files import (
    MARKDOWN_SUFFIXES,
    SITE_TOOLING_FOLDERS,
    is_bundle_index,
    is_markdown_name,
)


def is_post_name(name: str) -> bool:
    """Whether a file is a post: Markdown, not a dotfile nor ``_index.md`` and its kind.

    Markdown is any suffix Jekyll or Hugo read (``.md``, ``.markdown``, ``.mkd``…).
    Names starting with an underscore are Hugo's list pages and partials.
    """
    return is_markdown_name(name) and not name.startswith((".", "_"))


def is_bundle_file(name: str) -> bool:
    """Whether a file beside a bundle's index.md may be served: not hidden, not an
    ``index.md`` (a post's source). Other Markdown files in a bundle are its
    resources, as in Hugo, and served like any other file."""
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and "\x00" not in name
        and not is_bundle_index(parts[-1])
        and not any(part.startswith((".", "_")) or part == ".." for part in parts)
    )


def _holds_bundle_index(folder: Path) -> bool:
    return any(os.path.isfile(folder / f"index{suffix}") for suffix in MARKDOWN_SUFFIXES)


def _bundles_apply(root: Path) -> bool:
    """Whether Hugo's leaf-bundle rule applies: not in a Jekyll site, where a
    folder's ``index.md`` and its other Markdown files are all pages."""
    return not ((root / "_config.yml").is_file() or (root / "_posts").is_dir())


def _inside_bundle(folder: Path, root: Path) -> bool:
    """Whether a folder is, or lies inside, a leaf bundle (a folder below root with an
    ``index.md``): its Markdown files, other than a nested bundle's index, are resources."""
    if not _bundles_apply(root):
        return False
    try:
        parts = folder.relative_to(root).parts
    except ValueError:
        return False
    return any(
        _holds_bundle_index(root.joinpath(*parts[:depth])) for depth in range(1, len(parts) + 1)
    )


def is_post_path(path: Path, root: Path) -> bool:
    """Whether the file at path (below root) is a post: a post's name, and not a
    resource of a leaf bundle (Hugo: every file in a folder with ``index.md``, and
    below it, is the page's resource, except the index of a nested bundle)."""
    if not is_post_name(path.name):
        return False
    return is_bundle_index(path.name) or not _inside_bundle(path.parent, root)


def iter_post_files(folder: Path, root: Path) -> Iterator[os.DirEntry[str]]:
    """Every post file below ``folder``, as directory entries (their stat is cached).

    Dotfiles and dot-folders are skipped. Folder links are never followed (no
    loops, no escaping); a file link is followed only if it stays inside root.
    In a leaf bundle only the ``index.md`` is a post (see ``is_post_path``).
    """
    bundles = _bundles_apply(root)
    stack = [(folder, _inside_bundle(folder.parent, root) if folder != root else False)]
    while stack:
        current, in_bundle = stack.pop()
        try:
            with os.scandir(current) as entries:
                listing = list(entries)
        except OSError:
            continue
        if bundles and current != root and not in_bundle:
            in_bundle = any(is_bundle_index(e.name) and e.is_file() for e in listing)
        for entry in listing:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if current == root and entry.name in SITE_TOOLING_FOLDERS:
                    continue  # a whole site's theme, build output or static files
                stack.append((Path(entry.path), in_bundle))
            elif in_bundle and not is_bundle_index(entry.name):
                continue  # a resource of the bundle, not a post
            elif is_post_name(entry.name) and entry.is_file():
                if entry.is_symlink() and not is_inside(Path(entry.path), root):
                    continue
                yield entry


def is_inside(path: Path, root: Path) -> bool:
    """Whether path, with every link resolved, lies inside root."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False
