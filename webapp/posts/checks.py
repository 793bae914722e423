"""``flask blog check``: every problem in a content folder, with its file and line.

Errors are what breaks a post or a reader's click: a file that cannot be
read, a slug used twice, a footnote reference with no note, a link to a
post that does not exist. Warnings are what is probably a slip: an unknown
front matter key, one tag spelt two ways, a note nothing refers to.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urljoin, urlsplit

from .files import iter_post_files
from .front_matter import key_line
from .library import unique_slugs
from .migration.files import iter_skipped_files
from .models import Post, PostError, preferred_name
from .reader import ReaderSettings, read_post


class PostPaths(Protocol):
    """The site's URL scheme, as far as checking links between posts needs it."""

    def post(self, slug: str) -> str:
        """The path of a post's page."""
        ...

    def slug_of(self, path: str) -> str | None:
        """The slug of the post a path belongs to, or None for any other path."""
        ...


def check_folder(root: Path, settings: ReaderSettings, urls: PostPaths) -> list[PostError]:
    """Read every post file below root and report every problem, in file order."""
    problems: list[PostError] = []
    posts: list[Post] = []
    for file in sorted(iter_post_files(root, root), key=lambda entry: entry.path):
        try:
            post = read_post(Path(file.path), root, settings)
        except PostError as error:
            problems.append(error)
            continue
        posts.append(post)
        problems.extend(post.warnings)
        problems.extend(check_footnotes(post))
    problems.extend(check_slugs(posts))
    problems.extend(check_tag_spellings(posts, root))
    problems.extend(check_links(posts, urls))
    problems.extend(PostError(path, reason) for path, reason in iter_skipped_files(root))
    return in_reading_order(problems)


#: What a warning is about, by how its message reads (first match wins).
_WARNING_KINDS = (
    ("is not a key this site reads", "unknown front matter keys"),
    ("shortcode '", "site-defined shortcodes (text kept, tags dropped)"),
    ("Liquid '", "Liquid that cannot run (text kept, tags dropped)"),
    ("embed: ", "embeds and styles the Content Security Policy blocks"),
    ("shortcode: ", "shortcodes rendered in part"),
    ("liquid: ", "Liquid rendered in part"),
    ("footnote [^", "footnotes"),
    ("is already used by", "slugs claimed by two files"),
    ("is written", "one tag written several ways"),
)


def problem_kind(problem: PostError) -> str:
    """What a problem is about, for grouping: errors are one kind, warnings several."""
    if problem.severity == "error":
        return "errors"
    return next((kind for text, kind in _WARNING_KINDS if text in problem.message), "other")


def in_reading_order(problems: Iterable[PostError]) -> list[PostError]:
    """Errors first, in file order; then warnings, the most common kind first,
    each kind in file order. An author fixes what breaks first, then works
    down the warnings a kind at a time."""
    ordered = sorted(problems, key=lambda p: (str(p.path), p.line or 0, p.message))
    counts: dict[str, int] = defaultdict(int)
    for problem in ordered:
        counts[problem_kind(problem)] += 1

    def rank(problem: PostError) -> tuple[int, int, str]:
        kind = problem_kind(problem)
        return (problem.severity != "error", -counts[kind], kind)

    return sorted(ordered, key=rank)


def check_slugs(posts: Iterable[Post]) -> list[PostError]:
    """Files that claim a slug another file has (both are served, one renamed)."""
    return unique_slugs(sorted(posts, key=lambda post: post.source.parts))[1]


def check_tag_spellings(posts: Iterable[Post], root: Path) -> list[PostError]:
    """One tag written in several ways (case, spacing, punctuation)."""
    spellings: dict[str, dict[str, list[Post]]] = defaultdict(lambda: defaultdict(list))
    for post in posts:
        for tag in post.tags:
            spellings[tag.slug][tag.name].append(post)
    problems = []
    for forms in spellings.values():
        if len(forms) < 2:
            continue
        shown = preferred_name({name: len(users) for name, users in forms.items()})
        for name, users in forms.items():
            if name == shown:
                continue
            for post in users:
                problems.append(
                    PostError(
                        post.source,
                        f"tag {name!r} is written {shown!r} in {len(forms[shown])} other "
                        f"post(s); the site shows {shown!r} everywhere",
                        line=_line_of_key(root / post.source, ("tags", "categories", "category")),
                        field="tags",
                        severity="warning",
                    )
                )
    return problems


def _line_of_key(path: Path, keys: tuple[str, ...]) -> int | None:
    """The line of the first of keys in a file's front matter (for pointing at it)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    found = key_line("\n".join(lines), keys)
    return None if found is None else found + 1


# --- footnotes ----------------------------------------------------------------

_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]]+)\]:")
_REFERENCE = re.compile(r"\[\^([^\]]+)\](?!:)")


def _prose_lines(body: str) -> list[str]:
    """The body's lines with code (fenced blocks, inline spans) blanked out."""
    lines = []
    fence: str | None = None
    for line in body.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1) == fence:
                fence = None
            lines.append("")
        elif opened:
            fence = opened.group(1)
            lines.append("")
        else:
            lines.append(_INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line))
    return lines


def check_footnotes(post: Post) -> list[PostError]:
    references: dict[str, int] = {}
    definitions: dict[str, int] = {}
    for number, line in enumerate(_prose_lines(post.body)):
        defined = _DEFINITION.match(line)
        if defined:
            definitions.setdefault(defined.group(1), post.body_line + number)
            line = line[defined.end() :]
        for match in _REFERENCE.finditer(line):
            references.setdefault(match.group(1), post.body_line + number)
    problems = [
        PostError(post.source, f"footnote [^{label}] has no definition", line=line)
        for label, line in references.items()
        if label not in definitions
    ]
    problems += [
        PostError(
            post.source,
            f"footnote [^{label}] is defined but never referenced",
            line=line,
            severity="warning",
        )
        for label, line in definitions.items()
        if label not in references
    ]
    return problems


# --- links between posts ------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def linked_slugs(post: Post, urls: PostPaths) -> list[tuple[str, str]]:
    """(href, slug) for each link in the post's body to a post of this site."""
    parser = _Links()
    parser.feed(post.html)
    found = []
    base = urls.post(post.slug)
    for href in dict.fromkeys(parser.hrefs):  # once each: a note's sidenote repeats its links
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("#"):
            continue
        path = unquote(urlsplit(urljoin(base, href)).path)
        slug = urls.slug_of(path)
        if slug is not None:
            found.append((href, slug))
    return found


def check_links(posts: list[Post], urls: PostPaths) -> list[PostError]:
    slugs = {post.slug for post in posts}
    problems = []
    for post in posts:
        try:
            links = linked_slugs(post, urls)
        except PostError as error:
            problems.append(error)
            continue
        for href, slug in links:
            if slug in slugs:
                continue
            offset = next((n for n, line in enumerate(post.body.split("\n")) if href in line), None)
            line = post.body_line + offset if offset is not None else None
            problems.append(
                PostError(post.source, f"links to {href}, but no post has slug {slug!r}", line=line)
            )
    return problems
