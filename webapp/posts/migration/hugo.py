"""A Hugo site's configuration and pages, as shortcodes in its posts need them."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from ..files import is_post_path
from .files import is_markdown_name
from .jekyll import FileSlugs, default_post_url
from .shortcodes import ShortcodeContext, ref_targets

#: Site configuration files, in Hugo's order of precedence.
CONFIG_NAMES = tuple(
    f"{stem}.{suffix}" for stem in ("hugo", "config") for suffix in ("toml", "yaml", "yml", "json")
)


def find_config_files(root: Path) -> list[Path]:
    """The site configuration files below root: ``hugo.toml``… or ``config/_default/*``."""
    found = [root / name for name in CONFIG_NAMES if (root / name).is_file()]
    default = root / "config" / "_default"
    if default.is_dir():
        found += sorted(
            path
            for path in default.iterdir()
            if path.suffix in (".toml", ".yaml", ".yml", ".json") and path.is_file()
        )
    return found


def load_config(root: Path) -> dict[str, Any]:
    """The merged site configuration (``config/_default/<key>.*`` files set ``<key>``)."""
    merged: dict[str, Any] = {}
    for path in find_config_files(root):
        loaded = _load(path)
        if path.parent.name == "_default" and path.stem not in ("hugo", "config"):
            merged.setdefault(path.stem, {}).update(loaded)
        else:
            for key, value in loaded.items():
                merged.setdefault(key, value)
    return merged


def _load(path: Path) -> dict[str, Any]:
    import yaml  # here: a server that reads no file (a restart) need not import it

    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            loaded: Any = tomllib.loads(text)
        elif path.suffix == ".json":
            loaded = json.loads(text)
        else:
            loaded = yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


class HugoSite:
    """What ``param``, ``ref`` and ``relref`` find in a Hugo site's folder."""

    def __init__(self, root: Path, post_url: Callable[[str], str] = default_post_url) -> None:
        self.root = root
        self.post_url = post_url
        self.config = load_config(root)
        self.params: dict[str, Any] = dict(self.config.get("params") or {})
        #: Each name a ref may use -> the pages it names; see ``notice``.
        self._pages: dict[str, list[Path]] | None = None
        self._listed: set[Path] = set()
        self._slugs = FileSlugs(root)

    def context(self, page: dict[str, Any] | None = None) -> ShortcodeContext:
        page = dict(page or {})
        params = (
            {**page, **(page.get("params") or {})} if isinstance(page.get("params"), dict) else page
        )
        return ShortcodeContext(
            page_params=params, site_params=self.params, resolve_ref=self.resolve_ref
        )

    def notice(self, source: PurePosixPath) -> None:
        """A post was read: one the index does not list was added or renamed since
        the folder was listed, so it is listed again before the next ref."""
        path = self.root / source
        if self._pages is not None and path not in self._listed and _is_page(path, self.root):
            self._pages = None

    def _index(self) -> dict[str, list[Path]]:
        """Every Markdown page, by each name a ref may use for it."""
        if self._pages is None:
            pages: dict[str, list[Path]] = {}
            listed = list(_markdown_files(self.root))
            for path in listed:
                relative = PurePosixPath(path.relative_to(self.root).as_posix())
                parts = relative.parts[1:] if relative.parts[:1] == ("content",) else relative.parts
                inside = PurePosixPath(*parts)
                names = {inside.as_posix(), inside.with_suffix("").as_posix(), path.stem}
                if path.stem == "index":
                    names |= {inside.parent.as_posix(), path.parent.name}
                for name in names:
                    pages.setdefault(name.lower(), []).append(path)
            self._pages, self._listed = pages, set(listed)
        return self._pages

    def resolve_ref(self, target: str) -> str | None:
        """The URL of the page a ``ref``/``relref`` names (path, bundle or file name),
        following the folder: a page gone since the listing (renamed or removed)
        lists it again; a page re-slugged gives its new address."""
        path, _, anchor = target.strip().partition("#")
        key = path.strip("/").lower()
        for _attempt in range(2):
            index = self._index()
            candidates = index.get(key) or index.get(PurePosixPath(key).with_suffix("").as_posix())
            if not candidates:
                return None
            slugs = [self._slugs.get(candidate) for candidate in candidates]
            if None not in slugs:
                break
            self._pages = None
        else:
            return None
        if len(slugs) > 1 or slugs[0] is None:
            return None
        return self.post_url(slugs[0]) + (f"#{anchor}" if anchor else "")

    def references(self, body: str) -> tuple[tuple[str, str], ...]:
        """(name, URL or "") for each page a body's ``ref`` or ``relref`` names, the
        name being ``REF_PREFIX`` and the target (see ``BodyPreprocessor.references``)."""
        targets = dict.fromkeys(ref_targets(body))
        return tuple((REF_PREFIX + target, self.resolve_ref(target) or "") for target in targets)


#: Starts the name of a reference made by ``ref``/``relref``; Jekyll's names hold no space.
REF_PREFIX = "ref "


def _markdown_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if _is_page(path, root):
            yield path


def _is_page(path: Path, root: Path) -> bool:
    """A Markdown page a ref may name (not a leaf bundle's resources)."""
    relative = path.relative_to(root).parts
    if any(part.startswith(".") for part in relative) or path.name.startswith("_"):
        return False
    if relative[:1] in (("static",), ("layouts",), ("themes",), ("assets",)):
        return False
    return is_markdown_name(path.name) and path.is_file() and is_post_path(path, root)
