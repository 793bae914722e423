"""Rendering faster with the same output: fewer extensions (and fewer smarty patterns)
where a text cannot use them, one Pygments formatter per set of options.

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

_DEFINITION = re.compile(r"^ {0,3}:[ \t]", re.M)

#: Extensions that act only on a text with one of these marks; the rest always run.
_NEEDS: dict[str, Callable[[str], bool]] = {
    "abbr": lambda text: "*[" in text,
    "attr_list": lambda text: "{" in text,
    "def_list": lambda text: _DEFINITION.search(text) is not None,
    "md_in_html": lambda text: "<" in text,
    "tables": lambda text: "|" in text,
    "smarty": lambda text: any(mark in text for mark in ("'", '"', "--", "...", "<<", ">>")),
    "pymdownx.magiclink": lambda text: any(mark in text for mark in ("://", "www.", "ftp.", "@")),
    "pymdownx.tilde": lambda text: "~" in text,
    # $…$, $$…$$, \(…\), \[…\] and \begin{…} environments.
    "pymdownx.arithmatex": lambda text: "$" in text or "\\" in text,
}


def extensions_for(body: str, extensions: Sequence[str]) -> tuple[str, ...]:
    """The extensions (in their order) that can change how ``body`` renders."""
    return tuple(name for name in extensions if name not in _NEEDS or _NEEDS[name](body))


#: smarty's own switches, each on only for a text with its marks: every
#: switch adds patterns that its pass tries on each run of text.
_SMARTY_NEEDS: dict[str, Callable[[str], bool]] = {
    "smart_quotes": lambda text: "'" in text or '"' in text,
    "smart_dashes": lambda text: "--" in text,
    "smart_ellipses": lambda text: "..." in text,
}

Settings = tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]


def settings_for(body: str, extensions: Sequence[str]) -> Settings:
    """The extensions ``body`` can use and smarty's switches for it (a hashable key)."""
    names = extensions_for(body, extensions)
    switches: tuple[tuple[str, bool], ...] = ()
    if "smarty" in names:
        switches = tuple((name, needs(body)) for name, needs in _SMARTY_NEEDS.items())
    return names, switches


def configs_for(settings: Settings, configs: Mapping[str, Any]) -> dict[str, Any]:
    """The extension configuration for these settings."""
    names, switches = settings
    chosen = {name: config for name, config in configs.items() if name in names}
    if switches:
        chosen["smarty"] = {**chosen.get("smarty", {}), **dict(switches)}
    return chosen


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
