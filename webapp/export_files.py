"""The export's files on disk: writing only what changed, its manifest, and
removing what is no longer part of the site (see ``export``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path


def write_if_changed(path: Path, content: bytes, folders: set[Path] | None = None) -> bool:
    """Write content unless the file holds it already; ``folders`` are known to exist."""
    try:
        if path.stat().st_size == len(content) and path.read_bytes() == content:
            return False
    except FileNotFoundError:
        if folders is None or path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            if folders is not None:
                folders.add(path.parent)
    path.write_bytes(content)
    return True


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
