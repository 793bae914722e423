"""Rendering faster with the same output: fewer extensions and inline patterns
where a text cannot use them, one Pygments formatter per set of options (for
codehilite) and one lexer per language (for superfences' highlighter).

Each extension below does nothing to a text that lacks what it looks for
(tables need a ``|``, abbreviations a ``*[`` definition, and so on), but it
still costs a pass over every block or every run of text. ``extensions_for``
leaves out those a body cannot use, so the renderer builds (once per thread)
a Markdown with only what the body needs. The tests render many posts both
ways and compare the results.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pygments.formatters import HtmlFormatter
from pymdownx.highlight import Highlight, HighlightExtension  # type: ignore[import-untyped]

_DEFINITION = re.compile(r"^ {0,3}:[ \t]", re.M)

#: Extensions that act only on a text with one of these marks; the rest always run.
_NEEDS: dict[str, Callable[[str], bool]] = {
    "abbr": lambda text: "*[" in text,
    "attr_list": lambda text: "{" in text,
    "def_list": lambda text: _DEFINITION.search(text) is not None,
    "md_in_html": lambda text: "<" in text,
    "tables": lambda text: "|" in text,
    # Its marks (see typography.py; angled quotes are off).
    "smarty": lambda text: any(mark in text for mark in ("'", '"', "--", "...")),
    "pymdownx.magiclink": lambda text: any(mark in text for mark in ("://", "www.", "ftp.", "@")),
    "pymdownx.tilde": lambda text: "~" in text,
    # $…$, $$…$$, \(…\), \[…\] and \begin{…} environments.
    "pymdownx.arithmatex": lambda text: "$" in text or "\\" in text,
}


def extensions_for(body: str, extensions: Sequence[str]) -> tuple[str, ...]:
    """The extensions (in their order) that can change how ``body`` renders."""
    return tuple(name for name in extensions if name not in _NEEDS or _NEEDS[name](body))


#: Python-Markdown's inline patterns (by the names it registers them under)
#: that match only a text with one of these marks. The first inline pass
#: tries every pattern on every run of text; these go when the body lacks
#: their mark. Each test is on the body as the inline pass can see it:
#: tabs become spaces and line ends ``\n`` before it runs.
_PATTERN_NEEDS: dict[tuple[str, ...], Callable[[str], bool]] = {
    ("escape",): lambda text: "\\" in text,
    ("image_link", "image_reference", "short_image_ref"): lambda text: "![" in text,
    ("autolink", "automail", "html"): lambda text: "<" in text,
    ("entity",): lambda text: "&" in text,
    # Two spaces before a line end (a tab is one or more spaces).
    ("linebreak",): lambda text: re.search(r"[ \t][\r\n]", text) is not None,
}

#: The extensions a body can use, and the inline patterns it cannot (a hashable key).
Settings = tuple[tuple[str, ...], tuple[str, ...]]


def settings_for(body: str, extensions: Sequence[str]) -> Settings:
    """The extensions ``body`` can use and the inline patterns it cannot."""
    if "\x02" in body or "\x03" in body:  # Python-Markdown removes these first
        body = body.replace("\x02", "").replace("\x03", "")
    names = extensions_for(body, extensions)
    unused = tuple(
        pattern
        for patterns, needs in _PATTERN_NEEDS.items()
        if not needs(body)
        for pattern in patterns
    )
    return names, unused


def configs_for(settings: Settings, configs: Mapping[str, Any]) -> dict[str, Any]:
    """The extension configuration for these settings."""
    return {name: config for name, config in configs.items() if name in settings[0]}


@functools.lru_cache(maxsize=32)
def _formatter(options: tuple[tuple[str, Any], ...]) -> HtmlFormatter[str]:
    return HtmlFormatter(**dict(options))


def cached_html_formatter(*, lang_str: str = "", **options: Any) -> HtmlFormatter[str]:
    """Pygments' HTML formatter for these options, made once.

    codehilite makes a formatter (and its whole stylesheet) for every code
    block; a formatter keeps no state between blocks, so one serves them all.
    ``lang_str`` is what codehilite passes to a formatter class and its
    default ("html", by name) never receives, so it is left out here too.
    """
    try:
        return _formatter(tuple(sorted(options.items(), key=lambda item: item[0])))
    except TypeError:  # an option that cannot be a cache key (a list, say)
        return HtmlFormatter(**options)


class _ReusedLexers(Highlight):  # type: ignore[misc]  # pymdownx has no types
    """pymdownx's highlighter, taking each Pygments lexer from a cache.

    ``get_lexer`` looks the language up (an import and a class built with its
    options) for every code block. Without language guessing or extended
    languages the answer depends only on the language and its options, and a
    lexer keeps no state between texts, so one serves every block.
    """

    def get_lexer(self, src: str, language: str, inline: bool, stripnl: bool) -> Any:
        if self.guess_lang or self.extend_pygments_lang:
            return super().get_lexer(src, language, inline, stripnl)
        key = (language, stripnl, self.default_lang)
        found = _LEXERS.get(key)
        if found is None:
            found = _LEXERS[key] = super().get_lexer(src, language, inline, stripnl)
        return found


_LEXERS: dict[tuple[str, bool, str], Any] = {}


class ReusedLexersExtension(HighlightExtension):  # type: ignore[misc]
    """pymdownx.highlight's settings (its defaults, not highlighting indented code
    itself) with ``_ReusedLexers``: listed before superfences, it is the one
    superfences asks for its highlighter."""

    def __init__(self) -> None:
        super().__init__(_enabled=False)

    def get_pymdownx_highlighter(self) -> type[Highlight]:
        return _ReusedLexers
