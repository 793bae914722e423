"""The export's files on disk: writing only what changed, its manifest, and
removing what is no longer part of the site (see ``export``)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path


class Files:
    """Writes an export's files below root, each only if its bytes changed.

    Into a folder that was empty (``fresh``) nothing is looked at first:
    there is nothing to compare with, and each folder is made once, its
    parents known from the paths already written (most of an export's
    time outside rendering goes to making thousands of small files and
    folders). Files are opened and written with one call each, without
    Python's buffered file objects.
    """

    def __init__(self, root: Path, *, fresh: bool) -> None:
        self.root = str(root)
        self.fresh = fresh
        self._folders = {self.root}  # made or known to exist

    def write(self, file: str, content: bytes) -> bool:
        """Write ``file`` (a relative path with ``/``); False if it held content already."""
        path = f"{self.root}/{file}"
        if not self.fresh:
            try:
                if os.stat(path).st_size == len(content) and _read(path) == content:
                    return False
            except FileNotFoundError:
                pass
            else:  # there, with other bytes: its folder exists
                _write(path, content)
                return True
        folder = path.rpartition("/")[0]
        if folder not in self._folders:
            self._make(folder)
        _write(path, content)
        return True

    def _make(self, folder: str) -> None:
        missing = []
        while folder not in self._folders:
            missing.append(folder)
            folder = folder.rpartition("/")[0]
        for folder in reversed(missing):
            # Another worker may have made it; in a re-export it may be there.
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder)
            self._folders.add(folder)


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _write(path: str, content: bytes) -> None:
    # Mode 0o666 less the umask, as open(path, "wb") makes files: pages a
    # web server publishes.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def write_if_changed(path: Path, content: bytes) -> bool:
    """Write content unless the file holds it already (its folder is made if missing)."""
    return Files(path.parent, fresh=False).write(path.name, content)


def read_manifest(marker: Path) -> dict[str, str]:
    try:
        loaded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(file): str(digest) for file, digest in loaded.items()}


def by_prefix(files: Iterable[str], marker: str) -> dict[str, list[str]]:
    """The files whose path has ``marker`` in it, under each path up to and
    including it: ``files.startswith(prefix)`` for every such prefix at once."""
    below: dict[str, list[str]] = {}
    for file in files:
        at = file.find(marker)
        while at != -1:
            below.setdefault(file[: at + len(marker)], []).append(file)
            at = file.find(marker, at + 1)
    return below


def remove_extra(destination: Path, wanted: Iterable[str], marker: str) -> int:
    """Delete files no longer part of the site (but the marker), then folders
    left empty. Strings, not Paths: a re-export walks thousands of folders."""
    keep, root, removed, gone = set(wanted) | {marker}, str(destination), 0, set[str]()
    # Deepest first, so a folder is looked at after what was inside it.
    for folder, folders, files in os.walk(root, topdown=False):
        prefix = folder[len(root) + 1 :].replace(os.sep, "/") + "/" if folder != root else ""
        extra = [name for name in files if prefix + name not in keep]
        for name in extra:
            os.unlink(os.path.join(folder, name))
        removed += len(extra)
        left = len(files) - len(extra) + sum(os.path.join(folder, f) not in gone for f in folders)
        if folder != root and not left:
            os.rmdir(folder)
            gone.add(folder)
    return removed
