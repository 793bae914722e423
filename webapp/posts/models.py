"""The values the rest of the site is built from: posts, their tags and footnotes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from .contract import MarkdownRenderer, footnote_anchor


class PostError(Exception):
    """Why a file is not a post: ``path:line: field: message``."""

    def __init__(
        self,
        path: PurePosixPath | str,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        severity: str = "error",
    ) -> None:
        super().__init__(message)
        self.path = PurePosixPath(path)
        self.message = message
        self.line = line
        self.field = field
        self.severity = severity

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle as cls(*args); this one needs its keywords back too.
        return (type(self), (self.path, self.message), self.__dict__)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "line": self.line,
            "field": self.field,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True, order=True)
class Tag:
    """A tag: its URL slug (its identity) and the form an author wrote it in."""

    slug: str
    name: str = field(compare=False)

    def __str__(self) -> str:
        return self.name


def preferred_name(spellings: Mapping[str, int]) -> str:
    """How a tag written several ways is shown: the most used spelling (ties: alphabetical)."""
    return min(spellings, key=lambda name: (-spellings[name], name))


@dataclass(frozen=True)
class Footnote:
    """One footnote: its label in the source, the number readers see, and its HTML."""

    id: str
    number: int
    html: str

    @property
    def anchor(self) -> str:
        """The id of the note in the post's notes list."""
        return footnote_anchor(self.id)


@dataclass(frozen=True)
class Heading:
    """A heading of a post's body, for its table of contents."""

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Rendered:
    """A post body turned into HTML, with each footnote's own HTML beside it."""

    html: str
    footnotes: tuple[Footnote, ...] = ()
    headings: tuple[Heading, ...] = ()

    def footnote(self, footnote_id: str) -> Footnote | None:
        return next((f for f in self.footnotes if f.id == footnote_id), None)


class _MadeOnFirstUse:
    """A field a post may be given in a cheaper form, made into its value on
    first use and kept (as a cached_property keeps its value):

    - ``body``: the text, or a function giving it. A post taken from the post
      store gets its body only when something needs it (rendering it,
      summarising it): a restart at 10,000 posts then neither decodes nor
      keeps about 100 MB of Markdown per process.
    - ``source``: a PurePosixPath, or its text. Making 10,000 paths was about
      a fifth of a restart's loading, and most posts' paths are never needed
      (``source_text`` gives the text without making one).
    """

    def __init__(
        self, name: str, is_made: Callable[[object], bool], make: Callable[[Any], Any]
    ) -> None:
        self.name, self.is_made, self.make = name, is_made, make

    def __get__(self, post: Post | None, owner: type | None = None) -> Any:
        if post is None:
            raise AttributeError(self.name)  # for dataclasses: the field has no default
        value = post.__dict__[self.name]
        if not self.is_made(value):
            value = post.__dict__[self.name] = self.make(value)
        return value

    def __set__(self, post: Post, value: object) -> None:
        post.__dict__[self.name] = value  # only ever by __init__: the dataclass is frozen

    def unkept(self, post: Post) -> Any:
        """The value, without keeping it on the post if it was not made already."""
        value = post.__dict__[self.name]
        return value if self.is_made(value) else self.make(value)


def source_text(post: Post) -> str:
    """``str(post.source)``, without making the path of a post that has only its text."""
    source = post.__dict__["source"]
    return source if type(source) is str else str(source)


@dataclass(frozen=True, eq=False)
class Post:
    """A post as read from one file.

    Posts compare by identity: each read of a file is a new post.
    Metadata is read eagerly; the body is rendered on first use (through the
    renderer's bounded cache), so a site of 10,000 posts starts quickly and
    does not hold every body's HTML in memory. ``body`` may be given as a
    function that returns the text, ``source`` as the text of its path (see
    ``_MadeOnFirstUse``).
    """

    slug: str
    title: str
    published: datetime
    source: PurePosixPath
    body: str = field(repr=False)
    tags: tuple[Tag, ...] = ()
    summary_text: str | None = None
    draft: bool = False
    updated: datetime | None = None
    aliases: tuple[str, ...] = ()
    #: Where this post's addresses send readers (a redirect stub: listed nowhere).
    redirect_to: str | None = None
    digest: str = ""
    #: The line of the file the body starts on (for messages about the body).
    body_line: int = 1
    extra: Mapping[str, object] = field(default_factory=dict, repr=False, compare=False)
    #: (name, URL or "") of each post the body's template code names (Jekyll's
    #: ``post_url``, Hugo's ``ref``): the post is read again when one resolves differently.
    references: tuple[tuple[str, str], ...] = ()
    #: Problems that do not stop the post being served (an unknown key, say).
    warnings: tuple[PostError, ...] = field(default=(), repr=False, compare=False)
    renderer: MarkdownRenderer | None = field(default=None, repr=False, compare=False)
    summarizer: Callable[[str], str] | None = field(default=None, repr=False, compare=False)

    def passing_body(self) -> str:
        """The body text, not kept on the post if it was not loaded already: a
        pass over every post's body (pruning the render store) then does not
        leave every body in memory."""
        text: str = _BODY.unkept(self)
        return text

    @classmethod
    def restore(cls, fields: Mapping[str, object]) -> Post:
        """The post with these values: every field, in the order they are declared,
        each already checked (as the post store checks a row). Without
        ``__init__``'s keyword matching and a frozen attribute set per field
        (about 9 µs a post, against 3 µs: tens of milliseconds of a restart at 10,000 posts)."""
        post = object.__new__(cls)
        own = post.__dict__  # filled in field order, it shares its keys with every post's
        for name, value in fields.items():
            own[name] = value
        return post

    @property
    def rendered(self) -> Rendered:
        """The body as HTML. Raises PostError (naming the file) if it cannot be rendered."""
        if self.renderer is None:
            raise RuntimeError(f"{self.source}: post was built without a renderer")
        try:
            return self.renderer(self.body)
        except (RecursionError, MemoryError, ValueError, TypeError, IndexError) as error:
            # The reader rejects what is known to break Markdown; this is the backstop.
            problem = type(error).__name__
            raise PostError(
                self.source, f"cannot be rendered ({problem})", line=self.body_line
            ) from error

    @property
    def html(self) -> str:
        return self.rendered.html

    @property
    def footnotes(self) -> tuple[Footnote, ...]:
        return self.rendered.footnotes

    @property
    def summary(self) -> str:
        if self.summary_text is not None:
            return self.summary_text
        return self.summarizer(self.body) if self.summarizer else ""

    @cached_property
    def word_count(self) -> int:
        """Counted once per post (listings and pages show it for every post they list)."""
        return len(self.body.split())

    @property
    def reading_minutes(self) -> int:
        """Minutes to read at 230 words a minute, never less than one."""
        return max(1, round(self.word_count / 230))

    def has_tag(self, slug: str) -> bool:
        return any(tag.slug == slug for tag in self.tags)

    def __html__(self) -> str:
        return self.html


# After the dataclass is made (it would otherwise take the descriptor for a default).
_BODY = _MadeOnFirstUse("body", lambda body: type(body) is str, lambda load: load())
Post.body = _BODY  # type: ignore[assignment]
Post.source = _MadeOnFirstUse(  # type: ignore[assignment]
    "source", lambda source: type(source) is not str, PurePosixPath
)
