"""Rendering faster with the same output: fewer extensions where a body cannot
use them, only the inline patterns its text can match, one Pygments formatter
per set of options (for codehilite), and for superfences' highlighter one
lexer per language and one stylesheet per style.

Each extension below does nothing to a text that lacks what it looks for
(tables need a ``|``, abbreviations a ``*[`` definition, and so on), but it
still costs a pass over every block or every run of text. ``extensions_for``
leaves out those a body cannot use, so the renderer builds (once per thread)
a Markdown with only what the body needs; ``InlinePatternsForText`` does the
same for the inline pass's patterns, per document. The tests render many
posts both ways and compare the results.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import markdown
import pymdownx.highlight  # type: ignore[import-untyped]
from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AtomicString, Registry
from pygments.formatters import HtmlFormatter
from pymdownx.highlight import Highlight, HighlightExtension

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
    # Its patterns ignore case: WWW.example.com is a link too.
    "pymdownx.magiclink": lambda text: any(
        mark in text.lower() for mark in ("://", "www.", "ftp.", "@")
    ),
    "pymdownx.tilde": lambda text: "~" in text,
    # $…$, $$…$$, \(…\), \[…\] and \begin{…} environments.
    "pymdownx.arithmatex": lambda text: "$" in text or "\\" in text,
}


def extensions_for(body: str, extensions: Sequence[str]) -> tuple[str, ...]:
    """The extensions (in their order) that can change how ``body`` renders."""
    return tuple(name for name in extensions if name not in _NEEDS or _NEEDS[name](body))


#: The extensions a body can use (a hashable key).
Settings = tuple[str, ...]


def settings_for(body: str, extensions: Sequence[str]) -> Settings:
    """The extensions ``body`` can use."""
    if "\x02" in body or "\x03" in body:  # Python-Markdown removes these first
        body = body.replace("\x02", "").replace("\x03", "")
    return extensions_for(body, extensions)


#: Inline patterns (by the names Python-Markdown and the extensions register
#: them under) and what a text must hold for each to change it; a pattern not
#: named here is always tried. The inline pass tries every pattern on every
#: run of text; ``InlinePatternsForText`` hands it only these that can match.
_PATTERN_NEEDS: dict[str, Callable[[str, bool], bool]] = {
    "backtick": lambda text, refs: "`" in text,
    "escape": lambda text, refs: "\\" in text,
    "footnote": lambda text, refs: "[^" in text,
    # Without a [label]: url definition a reference is left as it is written.
    "reference": lambda text, refs: refs and "[" in text,
    "short_reference": lambda text, refs: refs and "[" in text,
    "image_reference": lambda text, refs: refs and "![" in text,
    "short_image_ref": lambda text, refs: refs and "![" in text,
    "link": lambda text, refs: "[" in text,
    "image_link": lambda text, refs: "![" in text,
    "autolink": lambda text, refs: "<" in text,
    "automail": lambda text, refs: "<" in text,
    "html": lambda text, refs: "<" in text,
    "entity": lambda text, refs: "&" in text,
    "linebreak": lambda text, refs: "  \n" in text,
    # One pattern for both emphasis marks (Python-Markdown 3.11).
    "em_strong": lambda text, refs: "*" in text or "_" in text,
    "magic-mail": lambda text, refs: "@" in text,
    "delimiter": lambda text, refs: "~" in text,  # pymdownx.tilde's
    # $…$ and \(…\): loaded for a body with a $ or \ anywhere, code blocks
    # included (a shell's $HOME), but tried here only on text that has one.
    "arithmatex-inline": lambda text, refs: "$" in text or "\\" in text,
}


class InlinePatternsForText(Treeprocessor):
    """Gives the inline pass only the patterns that can match this document's text.

    Runs just before it (priority 20), on the tree it will read: every text
    and tail it will try its patterns on, after the preprocessors (code and
    raw HTML already stashed, tabs expanded, line ends ``\\n``). Patterns only
    split and wrap that text, so a mark missing from it is missing from all
    they see. Each document gets its own list, in the registry's order.
    """

    def run(self, root: etree.Element) -> None:
        inline = self.md.treeprocessors["inline"]
        if not isinstance(inline, InlineProcessor):
            return
        texts = []
        for parent in root.iter():
            for child in parent:
                if child.text and not isinstance(child.text, AtomicString):
                    texts.append(child.text)
                if child.tail and not isinstance(child.tail, AtomicString):
                    texts.append(child.tail)
        text = "\n".join(texts)
        refs = bool(self.md.references)
        everything = self.md.inlinePatterns
        unused = {
            everything.get_index_for_name(name)
            for name, needs in _PATTERN_NEEDS.items()
            if name in everything and not needs(text, refs)
        }
        wanted: Registry[Any] = Registry()
        for index, pattern in enumerate(everything):
            if index not in unused:
                wanted.register(pattern, str(index), -index)
        inline.inlinePatterns = wanted


class InlinePatternsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After the tree processors that add text (footnotes at 50, codehilite
        # at 30), before the inline pass at 20.
        md.treeprocessors.register(InlinePatternsForText(md), "inline-patterns", 25)


def configs_for(settings: Settings, configs: Mapping[str, Any]) -> dict[str, Any]:
    """The extension configuration for these settings."""
    return {name: config for name, config in configs.items() if name in settings}


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


class _SharedStylesheet(pymdownx.highlight.BlockHtmlFormatter):  # type: ignore[misc]
    """pymdownx's block formatter, working out each style's stylesheet once.

    pymdownx makes a formatter for every code block, and Pygments' formatter
    works out its style's whole stylesheet as it is made: about 1 ms a
    block, most of a block's cost after the lexer's. The stylesheet depends
    only on the style and the class prefix, and a formatter only reads it,
    so every formatter of the same two shares one.
    """

    ttype2class: dict[Any, str]
    class2style: dict[str, Any]

    def _create_stylesheet(self) -> None:
        key = (self.style, self.classprefix)
        found = _STYLESHEETS.get(key)
        if found is None:
            super()._create_stylesheet()
            _STYLESHEETS[key] = (self.ttype2class, self.class2style)
        else:
            self.ttype2class, self.class2style = found


_STYLESHEETS: dict[tuple[type, str], tuple[dict[Any, str], dict[str, Any]]] = {}
#: The formatter pymdownx's highlighter makes for each block (it names the
#: class through its module; it has no setting for it).
STOCK_BLOCK_FORMATTER = pymdownx.highlight.BlockHtmlFormatter
pymdownx.highlight.BlockHtmlFormatter = _SharedStylesheet
