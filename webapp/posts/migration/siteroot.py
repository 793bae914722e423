"""Where a Jekyll or Hugo site keeps its posts and the files it serves as they are.

``BLOG_CONTENT_DIR`` may point at a whole site rather than a folder of
posts. A Jekyll site (``_config.yml``, ``_posts/``) has its posts in
``_posts/`` and ``_drafts/`` (also ``<category>/_posts/``) and copies every
other folder not starting with ``_`` or ``.`` to the same URL
(``assets/a.png`` is ``/assets/a.png``). A Hugo site (``hugo.toml``,
``config.*``, ``config/_default/``, ``content/``) has its posts in
``content/`` (``contentDir``) and serves ``static/`` (``staticDir``) at the
root (``static/img/a.png`` is ``/img/a.png``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from . import hugo, jekyll
from .files import is_markdown_name

#: Folders a Jekyll site never publishes (besides ``_*`` and ``.*``).
JEKYLL_NEVER_COPIED = frozenset({"node_modules", "vendor", "gemfiles", "Gemfile", "_site"})


@dataclass(frozen=True)
class SiteLayout:
    """What was found at a content folder: the kind of site, its posts and static files."""

    kind: Literal["jekyll", "hugo", "posts"]
    root: Path
    #: Folders holding posts (for a plain folder of posts, the folder itself).
    post_folders: tuple[Path, ...]
    #: (URL prefix, folder): a file below the folder is served at prefix + its path.
    static: tuple[tuple[str, Path], ...] = ()
    config_files: tuple[Path, ...] = ()

    def static_file(self, url_path: str) -> Path | None:
        """The static file served at a URL path, or None (never outside its folder)."""
        path = PurePosixPath("/" + url_path.lstrip("/"))
        if any(part.startswith(".") or part == ".." for part in path.parts[1:]):
            return None
        if is_markdown_name(path.name):
            return None  # a page's source, which the old generator rendered
        for prefix, folder in self.static:
            if not str(path).startswith(prefix):
                continue
            relative = str(path)[len(prefix) :]
            if not relative:
                continue
            candidate = (folder / relative).resolve()
            base = folder.resolve()
            if candidate.is_relative_to(base) and candidate.is_file():
                return candidate
        return None


def find_site(root: Path) -> SiteLayout:
    """Look at a content folder and say what kind of site it is and where things are."""
    config_files = hugo.find_config_files(root)
    if (root / "_config.yml").is_file() or (root / "_posts").is_dir():
        return _jekyll(root)
    if config_files or ((root / "content").is_dir() and not _has_posts_at_top(root)):
        return _hugo(root, config_files)
    return SiteLayout("posts", root, (root,))


def _has_posts_at_top(root: Path) -> bool:
    """Whether Markdown files sit directly in root (a folder of posts, not a site)."""
    return any(is_markdown_name(path.name) for path in root.iterdir() if path.is_file())


def _jekyll(root: Path) -> SiteLayout:
    config = jekyll.load_config(root / "_config.yml")
    excluded = {str(item).strip("/") for item in config.get("exclude") or ()}
    post_folders: list[Path] = []
    static: list[tuple[str, Path]] = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        name = folder.name
        if name in ("_posts", "_drafts"):
            post_folders.append(folder)
        elif name.startswith(("_", ".")) or name in JEKYLL_NEVER_COPIED or name in excluded:
            continue
        elif (folder / "_posts").is_dir():
            post_folders.append(folder / "_posts")  # a category's posts
        else:
            static.append((f"/{name}/", folder))
    config_files = (root / "_config.yml",) if (root / "_config.yml").is_file() else ()
    return SiteLayout("jekyll", root, tuple(post_folders), tuple(static), config_files)


def _hugo(root: Path, config_files: list[Path]) -> SiteLayout:
    config = hugo.load_config(root)
    content_dirs = {str(config.get("contentDir") or "content")}
    languages = config.get("languages")
    for language in languages.values() if isinstance(languages, dict) else ():
        if isinstance(language, dict) and isinstance(language.get("contentDir"), str):
            content_dirs.add(language["contentDir"])
    found = [root / folder for folder in sorted(content_dirs) if (root / folder).is_dir()]
    # content/ and content/en/ are one tree: keep the outermost.
    post_folders = tuple(
        folder
        for folder in found
        if not any(folder.is_relative_to(o) and folder != o for o in found)
    )
    static_dirs = config.get("staticDir") or "static"
    if isinstance(static_dirs, str):
        static_dirs = [static_dirs]
    static = tuple(
        ("/", root / str(folder)) for folder in static_dirs if (root / str(folder)).is_dir()
    )
    return SiteLayout("hugo", root, post_folders, static, tuple(config_files))
