"""Page bundles: which files beside a post's index.md may be served, and how.

A bundle is a folder below the content root holding ``index.md``; its other
files (images, downloads) are served beside the post. Only its own:

- a file is looked up with every link resolved, and the target must lie in
  the bundle's own folder (a link to ``../.env`` or a draft's source is not
  the bundle's);
- a file in a nested bundle (a subfolder with its own ``index.md``)
  belongs to that bundle only, so a draft child's files stay hidden;
- a root ``index.md`` is a post, not a bundle of the whole content folder;
- hidden names (``.git``, ``_drafts``) and posts' sources are never served;
  the bundle's other Markdown files are its resources (as in Hugo) and are.

Opening walks the resolved path one component at a time without following
links, so a link swapped in after the check is refused, not followed.

On a sanitised site (authors not trusted) bundle files must not be able to
script the site: ``untrusted_file_headers`` says how to serve each.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from .files import is_bundle_file, is_post_path
from .migration.files import MARKDOWN_SUFFIXES, is_bundle_index, is_markdown_name


def bundle_folder(source: PurePosixPath) -> PurePosixPath | None:
    """The bundle folder of a post read from ``source``, or None if it is no bundle."""
    if not is_bundle_index(source.name) or source.parent == PurePosixPath("."):
        return None
    return source.parent


def _resolved_file(root: Path, bundle: PurePosixPath, name: str) -> Path | None:
    """The real path of bundle file ``name`` if the bundle may serve it, else None."""
    if not is_bundle_file(name):
        return None
    try:
        real_root = root.resolve(strict=True)
        folder = (root / bundle).resolve(strict=True)
        target = (folder / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not folder.is_relative_to(real_root) or not target.is_relative_to(folder):
        return None
    relative = target.relative_to(folder)
    if not is_bundle_file(relative.as_posix()):
        return None
    if is_markdown_name(target.name) and is_post_path(target, real_root):
        return None  # a post's source (a Jekyll site's pages, say), not a resource
    # Every folder from the bundle down to the file: none may be a bundle itself.
    for depth in range(1, len(relative.parts)):
        inner = folder.joinpath(*relative.parts[:depth])
        if any(os.path.lexists(inner / f"index{suffix}") for suffix in MARKDOWN_SUFFIXES):
            return None
    return target


def serves_bundle_file(root: Path, bundle: PurePosixPath, name: str) -> bool:
    """Whether the bundle serves file ``name`` (what ``open_bundle_file`` would open)."""
    return _resolved_file(root, bundle, name) is not None


def open_bundle_file(root: Path, bundle: PurePosixPath, name: str) -> BinaryIO | None:
    """Open bundle file ``name`` for reading if the bundle may serve it, else None."""
    target = _resolved_file(root, bundle, name)
    if target is None:
        return None
    real_root = root.resolve()
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real_root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        parts = target.relative_to(real_root).parts
        for part in parts[:-1]:
            inner = os.open(part, flags | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        inner = os.open(parts[-1], flags | os.O_NONBLOCK, dir_fd=fd)
        os.close(fd)
        fd = inner
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except (OSError, ValueError):
        os.close(fd)
        return None


def bundle_files(root: Path, bundle: PurePosixPath) -> Iterator[str]:
    """Every file name the bundle serves (for the static export), in a stable order."""
    folder = root / bundle
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if not path.is_dir() and _resolved_file(root, bundle, name) is not None:
            yield name


#: Types a browser shows without running anything from the file.
_PASSIVE_TYPES = ("image/", "audio/", "video/", "font/")
_PASSIVE_EXACT = {
    "text/plain",
    "text/csv",
    "text/css",
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/json",
    "application/octet-stream",
}
_SCRIPT_TYPES = {"text/javascript", "application/javascript", "application/x-javascript"}
#: A sandboxed document with no origin, allowed nothing but to show itself.
SANDBOX_POLICY = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def untrusted_file_headers(name: str) -> tuple[str, bool, dict[str, str]]:
    """(Content-Type, as attachment?, extra headers) for a bundle file from an untrusted author.

    Every file gets a sandboxing Content-Security-Policy, so even opened
    directly it runs no script with the site's origin. Types that are
    active when opened (HTML, SVG, XML, anything unknown) are downloads;
    scripts are plain text, which browsers (with ``nosniff``) refuse to run.
    An SVG stays ``image/svg+xml`` so ``<img src=…svg>`` keeps working:
    as an image it cannot run script.
    """
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if mimetype in _SCRIPT_TYPES:
        mimetype = "text/plain"
        attachment = True
    else:
        attachment = not (mimetype.startswith(_PASSIVE_TYPES) and mimetype != "image/svg+xml")
        attachment = attachment and mimetype not in _PASSIVE_EXACT
    return mimetype, attachment, {"Content-Security-Policy": SANDBOX_POLICY}
