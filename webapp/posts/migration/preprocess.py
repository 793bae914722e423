"""Template code in a post body expanded as its old generator did, before Markdown.

Hugo shortcodes are expanded in every post (their ``{{<``/``{{%`` cannot be
mistaken for prose). Liquid is expanded only in Jekyll posts (files under
``_posts/`` or ``_drafts/``, or any post of a site with a ``_config.yml``):
in a Hugo post, ``{{ .Title }}`` was shown as written. Frames and scripts
the Content Security Policy would block become links (see ``embeds``). Posts of a Jekyll or
Hugo site then have their kramdown and CommonMark habits (2-space list
nesting, ``{:toc}``…) rewritten for Python-Markdown (see ``dialect``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models import PostError
from .dialect import normalize as normalize_dialect
from .embeds import has_embeds, replace_embeds
from .hugo import REF_PREFIX, HugoSite, find_config_files
from .jekyll import JekyllSite, default_post_url
from .liquid import expand_liquid, has_liquid
from .permalinks import hugo_urls, jekyll_urls
from .report import Expanded
from .shortcodes import BUILTIN_NAMES, expand_shortcodes, has_shortcodes


class BodyPreprocessor:
    """Expands one post's shortcodes or Liquid and explains what it could not render."""

    def __init__(self, root: Path, post_url: Callable[[str], str] = default_post_url) -> None:
        self.root = root
        self.hugo = HugoSite(root, post_url)
        self.jekyll = JekyllSite(root, post_url)
        self.is_jekyll_site = (root / "_config.yml").is_file()
        self.is_hugo_site = bool(find_config_files(root)) or (root / "content").is_dir()
        zone = self.jekyll.config.get("timezone")
        try:
            self.jekyll_zone: tzinfo | None = ZoneInfo(zone) if isinstance(zone, str) else None
        except (ZoneInfoNotFoundError, ValueError):
            self.jekyll_zone = None

    def __call__(
        self, body: str, source: PurePosixPath, metadata: Mapping[str, Any], body_line: int
    ) -> tuple[str, tuple[PostError, ...]]:
        """(expanded body, warnings naming each line that could not be rendered exactly)."""
        warnings: list[PostError] = []
        if has_shortcodes(body):
            expanded = expand_shortcodes(body, self.hugo.context(dict(metadata)))
            warnings += _warnings(expanded, source, body_line, "shortcode")
            body = expanded.text
        jekyll_post = self.is_jekyll_site or {"_posts", "_drafts"} & set(source.parts)
        if jekyll_post and has_liquid(body):
            expanded = expand_liquid(body, self.jekyll.context(dict(metadata)))
            warnings += _warnings(expanded, source, body_line, "Liquid")
            body = expanded.text
        if has_embeds(body):
            expanded = replace_embeds(body)
            warnings += _warnings(expanded, source, body_line, "embed")
            body = expanded.text
        if jekyll_post or self.is_hugo_site:
            # Written for kramdown or Goldmark: their list nesting and extensions.
            body = normalize_dialect(body)
        return body, tuple(warnings)

    def references(self, body: str, source: PurePosixPath) -> tuple[tuple[str, str], ...]:
        """(name, URL or "") for the posts a post links to by name: its shortcodes'
        ``ref``/``relref`` (named ``ref <target>``), a Jekyll post's ``post_url``
        and ``link`` (named by the post's file stem). Called for each post read."""
        self.hugo.notice(source)
        self.jekyll.notice(source)
        found = self.hugo.references(body)
        if "{%" in body and (self.is_jekyll_site or {"_posts", "_drafts"} & set(source.parts)):
            found += self.jekyll.references(body)
        return found

    def resolve_reference(self, name: str) -> str:
        """What a name recorded by ``references`` resolves to now ("" for nothing)."""
        if name.startswith(REF_PREFIX):
            return self.hugo.resolve_ref(name.removeprefix(REF_PREFIX)) or ""
        return self.jekyll.resolve_post_url(name) or ""

    def old_urls(
        self, source: PurePosixPath, metadata: Mapping[str, Any], published: datetime
    ) -> tuple[str, ...]:
        """The URLs the post had under Jekyll or Hugo (none for other posts)."""
        if self.is_jekyll_site or {"_posts", "_drafts"} & set(source.parts):
            if self.jekyll_zone is not None:
                published = published.astimezone(self.jekyll_zone)
            return jekyll_urls(source, metadata, published, self.jekyll.config)
        if self.is_hugo_site:
            return hugo_urls(source, metadata, published, self.hugo.config)
        return ()


def _warnings(
    expanded: Expanded, source: PurePosixPath, body_line: int, kind: str
) -> list[PostError]:
    """One warning per unknown name (its lines and count), one per other problem."""
    lines: dict[str, list[int]] = defaultdict(list)
    for unknown in expanded.unknown:
        lines[unknown.name].append(body_line + unknown.line - 1)
    warnings = []
    for name, where in lines.items():
        uses = f"used {len(where)} times (lines {', '.join(map(str, where))})"
        if len(where) == 1:
            uses = "used once"
        if kind == "shortcode":
            what = f"shortcode {name!r} is the site's own (not one of Hugo's {len(BUILTIN_NAMES)})"
        else:
            what = f"Liquid {name!r} cannot run here"
        warnings.append(
            PostError(
                source,
                f"{what}, {uses}: its tags are dropped and any text between them kept",
                line=where[0],
                severity="warning",
            )
        )
    for line, message in expanded.problems:
        warnings.append(
            PostError(source, f"{kind}: {message}", line=body_line + line - 1, severity="warning")
        )
    return warnings
