"""The URLs a post had under Jekyll or Hugo, so old links can be redirected to it.

Jekyll: the post's own ``permalink``, else the posts collection's or the
site's ``permalink`` (a template or one of the styles ``date``, ``pretty``,
``ordinal``, ``weekdate``, ``none``), with ``:categories`` from front matter
and from folders above ``_posts``. Hugo: the page's ``url``, else the
section's pattern in ``[permalinks]``, else its path below ``content/``
(a bundle's folder, with ``slug`` replacing the last part).

Hugo's rule for a bundle's name is used for the new address too: the path
below its section, so ``retrospectives/2019/07/index.md`` and
``retrospectives/2020/07/index.md`` are two posts, not one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from .files import is_bundle_index

#: Jekyll's built-in permalink styles.
JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_DATE_PREFIX = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}-")
_PLACEHOLDER = re.compile(r":([a-z_]+)")


def bundle_slug_parts(source: PurePosixPath) -> tuple[str, ...]:
    """The folders naming a page bundle: the path below its section (Hugo's rule).

    ``content/retrospectives/2019/07/index.md`` -> ``("2019", "07")``;
    ``posts/trip/index.md`` -> ``("trip",)``; ``trip/index.md`` -> ``("trip",)``.
    Empty for a file that is not a bundle's index.
    """
    if not is_bundle_index(source.name):
        return ()
    folders = source.parent.parts
    if folders[:1] == ("content",):
        folders = folders[1:]
    if len(folders) > 1:
        folders = folders[1:]  # drop the section
    return tuple(folders)


# --- Jekyll ----------------------------------------------------------------------


def jekyll_urls(
    source: PurePosixPath,
    metadata: Mapping[str, Any],
    published: datetime,
    config: Mapping[str, Any],
) -> tuple[str, ...]:
    """The URL Jekyll gave the post at ``source`` (relative to the site's folder).

    A URL ending in ``.html`` also answers without it, as GitHub Pages does.
    """
    own = metadata.get("permalink")
    collections = config.get("collections")
    posts = collections.get("posts") if isinstance(collections, Mapping) else None
    pattern = (
        own
        if isinstance(own, str)
        else (posts or {}).get("permalink")
        if isinstance(posts, Mapping) and isinstance(posts.get("permalink"), str)
        else config.get("permalink", "date")
    )
    pattern = JEKYLL_STYLES.get(str(pattern), str(pattern))
    stem = source.stem
    title = metadata.get("slug") if isinstance(metadata.get("slug"), str) else None
    title = _jekyll_slugify(title or _DATE_PREFIX.sub("", stem))
    categories = [*_folder_categories(source), *_list(metadata.get("categories"))]
    categories += _list(metadata.get("category"))
    values = {
        "year": f"{published.year:04d}",
        "short_year": f"{published.year % 100:02d}",
        "month": f"{published.month:02d}",
        "i_month": str(published.month),
        "short_month": published.strftime("%b"),
        "long_month": published.strftime("%B"),
        "day": f"{published.day:02d}",
        "i_day": str(published.day),
        "y_day": f"{published.timetuple().tm_yday:03d}",
        "week": f"{published.isocalendar()[1]:02d}",
        "short_day": published.strftime("%a"),
        "long_day": published.strftime("%A"),
        "hour": f"{published.hour:02d}",
        "minute": f"{published.minute:02d}",
        "second": f"{published.second:02d}",
        "title": title,
        "slug": title,
        "name": title,
        "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        "output_ext": ".html",
        "path": str(source.with_suffix("")),
        "collection": "posts",
    }
    url = _fill(pattern, values)
    urls = [url]
    if url.endswith(".html"):
        urls.append(url.removesuffix(".html"))
    return tuple(urls)


def _folder_categories(source: PurePosixPath) -> list[str]:
    """Jekyll makes each folder above ``_posts`` a category (``blog/_posts/x.md``)."""
    parts = source.parts
    if "_posts" in parts:
        return [part for part in parts[: parts.index("_posts")] if part]
    return []


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(item) for item in value if item is not None]
    return []


def _jekyll_slugify(text: str) -> str:
    """Jekyll's ``pretty`` slugify with case kept, as it builds ``:title``."""
    return re.sub(r"[^\w.~!$&'()+,;=@-]+", "-", text).strip("-")


# --- Hugo --------------------------------------------------------------------------


def hugo_urls(
    source: PurePosixPath,
    metadata: Mapping[str, Any],
    published: datetime,
    config: Mapping[str, Any],
) -> tuple[str, ...]:
    """The URL Hugo gave the page at ``source`` (relative to the site's folder)."""
    own = metadata.get("url")
    if isinstance(own, str) and own.strip():
        return ("/" + own.strip().strip("/") + ("/" if not own.endswith(".html") else ""),)
    path = _below_content_dir(source, config)
    section = path.parts[0] if len(path.parts) > 1 else ""
    bundle = is_bundle_index(path.name)
    folders = path.parent.parts if bundle else path.parts[:-1]
    filename = path.parent.name if bundle else path.stem
    pattern = _hugo_pattern(config, section)
    title = str(metadata.get("title") or "")
    slug = metadata.get("slug") if isinstance(metadata.get("slug"), str) else None
    if pattern is None:
        last = slug or filename
        parts = [*(folders[:-1] if bundle else folders), last]
        return ("/" + "/".join(part for part in parts if part) + "/",)
    values = {
        "year": f"{published.year:04d}",
        "month": f"{published.month:02d}",
        "monthname": published.strftime("%B").lower(),
        "day": f"{published.day:02d}",
        "weekday": str(published.isoweekday() % 7),
        "weekdayname": published.strftime("%A").lower(),
        "yearday": str(published.timetuple().tm_yday),
        "section": section,
        "sections": "/".join(folders[:-1] if bundle else folders),
        "title": urlize(title),
        "slug": urlize(slug) if slug else urlize(title),
        "slugorfilename": urlize(slug) if slug else filename,
        "slugorcontentbasename": urlize(slug) if slug else filename,
        "filename": filename,
        "contentbasename": filename,
    }
    return (_fill(pattern, values),)


def _below_content_dir(source: PurePosixPath, config: Mapping[str, Any]) -> PurePosixPath:
    """The page's path below its content folder (``contentDir``, per language too)."""
    folders = {str(config.get("contentDir") or "content")}
    languages = config.get("languages")
    for language in languages.values() if isinstance(languages, Mapping) else ():
        if isinstance(language, Mapping) and isinstance(language.get("contentDir"), str):
            folders.add(language["contentDir"])
    for folder in sorted(folders, key=len, reverse=True):
        prefix = PurePosixPath(folder.strip("/")).parts
        if prefix and source.parts[: len(prefix)] == prefix:
            return PurePosixPath(*source.parts[len(prefix) :])
    return source


def _hugo_pattern(config: Mapping[str, Any], section: str) -> str | None:
    permalinks = config.get("permalinks")
    if not isinstance(permalinks, Mapping):
        return None
    page = permalinks.get("page")
    for table in (page if isinstance(page, Mapping) else {}, permalinks):
        pattern = table.get(section)
        if isinstance(pattern, str):
            return pattern
    return None


def urlize(text: str) -> str:
    """Hugo's ``urlize``: lower case, spaces to hyphens, only URL-safe characters kept."""
    text = unicodedata.normalize("NFC", text.strip()).lower()
    text = re.sub(r"\s+", "-", text)
    return "".join(char for char in text if char.isalnum() or char in "./_-#+~")


def _fill(pattern: str, values: Mapping[str, str]) -> str:
    url = _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), pattern)
    url = re.sub(r"/{2,}", "/", "/" + url)
    return url
