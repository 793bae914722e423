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

from .files import iter_post_files
from .library import Library, unique_slugs
from .links import SitePaths, check_references, linked_slugs
from .migration.files import iter_skipped_files
from .migration.siteroot import find_site
from .models import Post, PostError, preferred_name
from .reader import ReaderSettings, read_post

__all__ = ["check_folder", "check_links", "in_reading_order", "linked_slugs", "problem_kind"]


def check_folder(root: Path, settings: ReaderSettings, urls: SitePaths) -> list[PostError]:
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
    problems.extend(check_links(posts, root, urls))
    problems.extend(PostError(path, reason) for path, reason in iter_skipped_files(root))
    return in_reading_order(problems)


#: What a warning is about, by how its message reads (first match wins).
_WARNING_KINDS = (
    ("is not a key this site reads", "unknown front matter keys"),
    ("shortcode '", "site-defined shortcodes (text kept, tags dropped)"),
    ("Liquid '", "Liquid that cannot run (text kept, tags dropped)"),
    ("embed: ", "embeds and styles the Content Security Policy blocks"),
    ("shortcode: ", "shortcodes rendered in part"),
    ("Liquid: ", "Liquid rendered in part"),
    ("is the old address of", "links and images at old addresses (they redirect: use the new one)"),
    ("will not load (404)", "links and images that will not load (404)"),
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
    from .front_matter import key_line  # here: a server never needs the YAML it imports

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


class _ShownText(HTMLParser):
    """The text of a page a reader sees as prose (not code)."""

    _CODE = frozenset({"code", "pre", "kbd", "samp", "script", "style"})

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag in self._CODE

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in self._CODE and self.depth > 0

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def check_footnotes(post: Post) -> list[PostError]:
    """A reference with no note (an error: the reader sees ``[^2]`` as text, so it is
    looked for in the page as rendered, not in code) and a note nothing refers to."""
    references: dict[str, int] = {}
    definitions: dict[str, int] = {}
    for number, line in enumerate(_prose_lines(post.body)):
        defined = _DEFINITION.match(line)
        if defined:
            definitions.setdefault(defined.group(1), post.body_line + number)
            line = line[defined.end() :]
        for match in _REFERENCE.finditer(line):
            references.setdefault(match.group(1), post.body_line + number)
    shown = _ShownText()
    try:
        shown.feed(post.html)
    except PostError:
        pass  # reported once, by check_links
    unresolved = dict.fromkeys(_REFERENCE.findall("".join(shown.parts)))
    problems = [
        PostError(
            post.source,
            f"footnote [^{label}] has no definition",
            line=references.get(label) or _line_of_text(post, f"[^{label}]"),
        )
        for label in unresolved
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


def _line_of_text(post: Post, text: str) -> int | None:
    offset = next((n for n, line in enumerate(post.body.split("\n")) if text in line), None)
    return None if offset is None else post.body_line + offset


# --- links and images -----------------------------------------------------------


def check_links(posts: list[Post], root: Path, urls: SitePaths) -> list[PostError]:
    """Links to missing posts (errors), and links and images that will not work as
    written: old addresses that redirect, and files nothing here serves (warnings)."""
    unique = unique_slugs(sorted(posts, key=lambda post: post.source.parts))[0]
    newest_first = sorted(unique, key=lambda p: (p.published, p.slug), reverse=True)
    library = Library(
        tuple(p for p in newest_first if p.redirect_to is None),
        "check",
        stubs=tuple(p for p in newest_first if p.redirect_to is not None),
    )
    return check_references(
        [p for p in unique if p.redirect_to is None], library, find_site(root), urls
    )
