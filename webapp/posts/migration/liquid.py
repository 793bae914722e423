"""Jekyll's Liquid in a post body, turned into the Markdown Jekyll made of it.

Jekyll renders a post's Liquid before its Markdown. What a post can use
without a theme is done here: ``{% raw %}`` (kept literally, tags removed),
``{% highlight lang %}`` (a fenced code block), ``{% link %}`` and
``{% post_url %}`` (the linked page's URL), ``{% include %}`` (the include's
text when it is plain HTML or Markdown), ``{% comment %}`` (dropped), and
outputs such as ``{{ site.baseurl }}``, ``{{ page.title }}`` or
``{{ "/x" | relative_url }}``. Anything else is a template this engine
cannot run: its tags are dropped (any text between them kept) and each use
is reported with its line.

Liquid inside code that is not wrapped in ``{% raw %}`` is evaluated when it
can be, as Jekyll did, and otherwise left as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .code import Lines, Regions, code_regions
from .report import Expanded, Unknown

# A tag or output never holds "{{" or "{%" (so an unclosed one fails fast
# rather than at the end of the text) and is at most 2,000 characters long.
_TOKEN = re.compile(
    r"\{%-?\s*(?P<tag>\w+)(?P<markup>(?:[^%{]|%(?!\})|\{(?![{%])){0,2000}?)-?%\}"
    r"|\{\{-?(?P<output>(?:[^}{]|\}(?!\})|\{(?![{%])){0,2000}?)-?\}\}"
)
_STRING = re.compile(r"""^(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)')$""")
_FILTER_ARGUMENT = re.compile(r"""^\s*(\w+)\s*(?::\s*(.*))?$""")


@dataclass
class LiquidContext:
    """What a post's Liquid may ask of the site."""

    #: The site's ``_config.yml``.
    site: Mapping[str, Any] = field(default_factory=dict)
    #: The post's front matter (``page.*``).
    page: Mapping[str, Any] = field(default_factory=dict)
    #: URL of a post named as ``post_url`` names it (``2019-03-14-pi-day``), or None.
    resolve_post_url: Callable[[str], str | None] = lambda _name: None
    #: URL of a file named by ``link`` (``_posts/2019-03-14-pi-day.md``), or None.
    resolve_link: Callable[[str], str | None] = lambda _path: None
    #: The text of ``_includes/<name>``, or None when there is no such file.
    read_include: Callable[[str], str | None] = lambda _name: None
    #: Where the site's own pages and static files are served (Jekyll's baseurl).
    baseurl: str = ""


def has_liquid(text: str) -> bool:
    """A cheap test, so posts without Liquid cost nothing."""
    return "{%" in text or "{{" in text


def expand_liquid(text: str, context: LiquidContext | None = None) -> Expanded:
    """Expand the Liquid Jekyll would have run in text."""
    if not has_liquid(text):
        return Expanded(text)
    return _Expander(text, context or LiquidContext()).run()


class _Expander:
    def __init__(self, text: str, context: LiquidContext) -> None:
        self.text = text
        self.context = context
        self.code = Regions(code_regions(text))
        self.lines = Lines(text)
        self.unknown: list[Unknown] = []
        self.problems: list[tuple[int, str]] = []

    def line(self, offset: int) -> int:
        return self.lines.of(offset)

    def run(self) -> Expanded:
        out: list[str] = []
        position = 0
        while True:
            token = _TOKEN.search(self.text, position)
            if token is None:
                out.append(self.text[position:])
                break
            out.append(self.text[position : token.start()])
            position = token.end()
            if token.group("output") is not None:
                out.append(self._output(token))
                continue
            tag, markup = token.group("tag"), token.group("markup").strip()
            if tag in ("raw", "comment", "highlight"):
                end = re.compile(rf"\{{%-?\s*end{tag}\s*-?%\}}").search(self.text, position)
                inner_end = end.start() if end else len(self.text)
                inner = self.text[position:inner_end]
                position = end.end() if end else len(self.text)
                if end is None:
                    self.problems.append(
                        (self.line(token.start()), f"{{% {tag} %}} is never closed")
                    )
                if tag == "raw":
                    out.append(inner)
                elif tag == "highlight":
                    out.append(_fenced(inner, markup.split()[0] if markup else ""))
                continue
            out.append(self._tag(token, tag, markup))
        return Expanded("".join(out), tuple(self.unknown), tuple(self.problems))

    # -- tags ----------------------------------------------------------------

    def _tag(self, token: re.Match[str], tag: str, markup: str) -> str:
        line = self.line(token.start())
        if tag == "post_url":
            url = self.context.resolve_post_url(markup)
            if url is None:
                self.problems.append((line, f"post_url {markup!r} names no post found here"))
                return "#"
            return url
        if tag == "link":
            path = self._evaluate(markup) or markup
            url = self.context.resolve_link(path)
            if url is None:
                self.problems.append((line, f"link {path!r} names no file found here"))
                return "/" + path.lstrip("/")
            return url
        if tag == "include":
            name = markup.split()[0] if markup else ""
            included = self.context.read_include(name)
            if included is None:
                self.problems.append((line, f"include {name!r}: no such file in _includes/"))
                return ""
            if has_liquid(included):
                self.unknown.append(Unknown(line, f"include {name}"))
                return ""
            return included
        if self.code.contains(token.start()):
            return token.group()
        self.unknown.append(Unknown(line, tag))
        return ""

    # -- outputs ----------------------------------------------------------------

    def _output(self, token: re.Match[str]) -> str:
        value = self._evaluate(token.group("output"))
        if value is not None:
            return value
        if self.code.contains(token.start()):
            return token.group()
        expression = " ".join(token.group("output").split())
        self.unknown.append(Unknown(self.line(token.start()), "{{ " + expression + " }}"))
        return ""

    def _evaluate(self, expression: str) -> str | None:
        """The value of ``expr | filter: arg …``, or None when it cannot be known."""
        head, *filters = [part.strip() for part in expression.split("|")]
        value = self._value(head)
        if value is None:
            return None
        for item in filters:
            match = _FILTER_ARGUMENT.match(item)
            if match is None:
                return None
            argument = self._value(match.group(2).strip()) if match.group(2) else None
            filtered = self._filter(match.group(1), value, argument)
            if filtered is None:
                return None
            value = filtered
        return value

    def _value(self, expression: str) -> str | None:
        literal = _STRING.match(expression)
        if literal:
            return (
                literal.group("double")
                if literal.group("double") is not None
                else (literal.group("single"))
            )
        if expression == "site.baseurl":
            return self.context.baseurl
        for prefix, source in (("site.", self.context.site), ("page.", self.context.page)):
            if expression.startswith(prefix):
                found = _lookup(source, expression[len(prefix) :])
                if isinstance(found, (str, int, float)) and not isinstance(found, bool):
                    return str(found)
        return None

    def _filter(self, name: str, value: str, argument: str | None) -> str | None:
        if name == "relative_url":
            return self.context.baseurl + _with_slash(value)
        if name == "absolute_url":
            site_url = str(self.context.site.get("url") or "").rstrip("/")
            return site_url + self.context.baseurl + _with_slash(value)
        if name == "prepend" and argument is not None:
            return argument + value
        if name == "append" and argument is not None:
            return value + argument
        if name in ("strip", "escape", "xml_escape", "uri_escape", "url_encode") and not (
            set(value) & set("<>&\"' ")
        ):
            return value.strip()
        return None


def _with_slash(path: str) -> str:
    return path if path.startswith(("/", "#", "?")) or "://" in path else "/" + path


def _fenced(code: str, language: str) -> str:
    code = code.strip("\n")
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def _lookup(source: Mapping[str, Any], dotted: str) -> Any:
    value: Any = source
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
