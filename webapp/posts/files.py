"""Which files in a content folder are posts, and which files beside a post may be served.

Rules about names and links only: nothing here reads a file's content.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from .migration.files import SITE_TOOLING_FOLDERS, is_markdown_name


def is_post_name(name: str) -> bool:
    """Whether a file is a post: Markdown, not a dotfile nor ``_index.md`` and its kind.

    Markdown is any suffix Jekyll or Hugo read (``.md``, ``.markdown``, ``.mkd``…).
    Names starting with an underscore are Hugo's list pages and partials.
    """
    return is_markdown_name(name) and not name.startswith((".", "_"))


def is_bundle_file(name: str) -> bool:
    """Whether a file beside a bundle's index.md may be served: not Markdown, not hidden."""
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and "\x00" not in name
        and not is_markdown_name(name)
        and not any(part.startswith((".", "_")) or part == ".." for part in parts)
    )


def iter_post_files(folder: Path, root: Path) -> Iterator[os.DirEntry[str]]:
    """Every post file below ``folder``, as directory entries (their stat is cached).

    Dotfiles and dot-folders are skipped. Folder links are never followed (no
    loops, no escaping); a file link is followed only if it stays inside root.
    """
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                listing = list(entries)
        except OSError:
            continue
        for entry in listing:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if current == root and entry.name in SITE_TOOLING_FOLDERS:
                    continue  # a whole site's theme, build output or static files
                stack.append(Path(entry.path))
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
