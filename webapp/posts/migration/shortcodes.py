"""Hugo shortcodes in a post body, turned into the Markdown and HTML Hugo made of them.

Hugo runs ``{{< name args >}}`` and ``{{% name args %}}`` through templates
before the Markdown is rendered. Its built-in shortcodes are rendered here as
Hugo renders them, except that embeds which would need a third party's script
or frame (YouTube, Vimeo, X, Gist, Instagram) become plain links (YouTube's
with its thumbnail), which a strict Content Security Policy allows. A
site's own shortcodes (``layouts/shortcodes/*.html``) are templates this
engine cannot run: their tags are dropped, their inner content kept, and each
use is reported so ``blog check`` can name it.

Shortcodes in fenced code blocks and code spans are left as written; the
escaped form ``{{</* name */>}}`` is shown literally, in code and out of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote

from .code import Lines, Regions, code_regions
from .embeds import gist_link, vimeo_link, youtube_link
from .report import Expanded, Unknown

#: A shortcode this engine cannot render, where it is used.
UnknownShortcode = Unknown


#: Tag bodies: anything up to the closing delimiter, quoted strings whole.
def _tag_pattern(opening: str, closing: str) -> re.Pattern[str]:
    """``{{<`` … ``>}}``: a tag never holds "{{" or a blank line (so an unclosed
    tag fails fast rather than at the end of the text), and is at most 2,000
    characters long."""
    o, c = re.escape(opening), re.escape(closing)
    inner = (
        rf"""[^"`{c}{{\n]|\n(?!\n)|\{{(?!\{{)|"(?:[^"\\\n]|\\.){{0,1000}}"|`[^`]{{0,1000}}`"""
        rf"""|{c}(?!\}}\}})"""
    )
    return re.compile(rf"\{{\{{{o}(?P<body>(?:{inner}){{0,2000}}){c}\}}\}}")


_TAGS = {"<": _tag_pattern("<", ">"), "%": _tag_pattern("%", "%")}
_ARGUMENT = re.compile(r"""\s*(?:(?P<key>[\w-]+)=)?(?P<value>"(?:[^"\\]|\\.)*"|`[^`]*`|[^\s"`]+)""")
_NAME = re.compile(r"[\w./-]+")


@dataclass
class ShortcodeContext:
    """What shortcodes may ask of the page and the site."""

    #: The page's own parameters (front matter, with Hugo's ``params`` merged in).
    page_params: Mapping[str, Any] = field(default_factory=dict)
    #: The site's ``params`` from its configuration.
    site_params: Mapping[str, Any] = field(default_factory=dict)
    #: The URL of a page named by ``ref``/``relref``, or None when unknown.
    resolve_ref: Callable[[str], str | None] = lambda _path: None


@dataclass
class _Node:
    name: str
    arguments: list[tuple[str | None, str]]
    start: int
    tag_end: int
    end: int
    line: int
    markdown_inner: bool
    escaped: str | None = None  # the literal text of an escaped tag
    inner: tuple[int, int] | None = None
    children: list[_Node] = field(default_factory=list)

    def get(self, key: str | int, default: str = "") -> str:
        """A named argument, or the n-th positional one."""
        if isinstance(key, int):
            positional = [value for name, value in self.arguments if name is None]
            return positional[key] if key < len(positional) else default
        for name, value in self.arguments:
            if name == key:
                return value
        return default


def has_shortcodes(text: str) -> bool:
    """A cheap test, so posts without shortcodes cost nothing."""
    return "{{<" in text or "{{%" in text


def expand_shortcodes(text: str, context: ShortcodeContext | None = None) -> Expanded:
    """Expand every Hugo shortcode in text outside code."""
    if not has_shortcodes(text):
        return Expanded(text)
    renderer = _Renderer(text, context or ShortcodeContext())
    return renderer.run()


def ref_targets(text: str) -> list[str]:
    """What each ``ref``/``relref`` outside code names, in text order."""
    if not has_shortcodes(text) or "ref" not in text:
        return []
    tokens = _Renderer(text, ShortcodeContext())._tokens()
    return [
        node.get("path") or node.get(0)
        for kind, node in tokens
        if kind == "open" and node.name in ("ref", "relref")
    ]


class _Renderer:
    def __init__(self, text: str, context: ShortcodeContext) -> None:
        self.text = text
        self.context = context
        self.code = Regions(code_regions(text))
        self.lines = Lines(text)
        self.unknown: list[UnknownShortcode] = []
        self.problems: list[tuple[int, str]] = []

    def run(self) -> Expanded:
        nodes = self._tree(self._tokens())
        out = self._render_range(0, len(self.text), nodes)
        return Expanded(out, tuple(self.unknown), tuple(self.problems))

    # -- parsing --------------------------------------------------------------

    def _tokens(self) -> list[tuple[str, _Node]]:
        """("open" | "close" | "escape", node) for every tag, in text order."""
        found: list[tuple[str, _Node]] = []
        for delimiter, pattern in _TAGS.items():
            for match in pattern.finditer(self.text):
                body = match.group("body").strip()
                line = self.lines.of(match.start())
                node = _Node(
                    "", [], match.start(), match.end(), match.end(), line, delimiter == "%"
                )
                if body.startswith("/*") and body.endswith("*/"):
                    closing = "%}}" if delimiter == "%" else ">}}"
                    node.escaped = f"{{{{{delimiter} {body[2:-2].strip()} {closing}"
                    found.append(("escape", node))
                    continue
                if self.code.contains(match.start()):
                    continue
                kind = "open"
                if body.startswith("/"):
                    kind, body = "close", body[1:].strip()
                body = body.removesuffix("/").strip()
                name = _NAME.match(body)
                if name is None:
                    continue
                node.name = name.group()
                node.arguments = [
                    (arg.group("key"), _unquote(arg.group("value")))
                    for arg in _ARGUMENT.finditer(body, name.end())
                ]
                found.append((kind, node))
        found.sort(key=lambda item: item[1].start)
        return found

    def _tree(self, tokens: list[tuple[str, _Node]]) -> list[_Node]:
        root: list[_Node] = []
        stack: list[_Node] = []

        def container() -> list[_Node]:
            return stack[-1].children if stack else root

        for kind, node in tokens:
            if kind in ("escape",):
                container().append(node)
            elif kind == "open":
                container().append(node)
                stack.append(node)
            else:
                index = next(
                    (i for i in range(len(stack) - 1, -1, -1) if stack[i].name == node.name), None
                )
                if index is None:
                    self.problems.append((node.line, f"closing shortcode {{{{< /{node.name} >}}}} "
                                          "has no opening tag; dropped"))  # fmt: skip
                    node.escaped = ""  # rendered as nothing
                    container().append(node)
                    continue
                while len(stack) > index + 1:
                    self._unpair(stack.pop(), stack[-1].children)
                opened = stack.pop()
                opened.inner = (opened.tag_end, node.start)
                opened.end = node.end
        while stack:
            unpaired = stack.pop()
            self._unpair(unpaired, container())
        return root

    @staticmethod
    def _unpair(node: _Node, siblings: list[_Node]) -> None:
        """A tag with no closing tag stands alone: its would-be children are siblings."""
        position = siblings.index(node) + 1
        siblings[position:position] = node.children
        node.children = []

    # -- rendering -----------------------------------------------------------

    def _render_range(self, start: int, end: int, nodes: list[_Node]) -> str:
        parts = []
        position = start
        for node in nodes:
            parts.append(self.text[position : node.start])
            parts.append(self._render(node))
            position = node.end
        parts.append(self.text[position:end])
        return "".join(parts)

    def _inner(self, node: _Node) -> str:
        if node.inner is None:
            return ""
        return self._render_range(node.inner[0], node.inner[1], node.children)

    def _alone(self, node: _Node) -> bool:
        line_start = self.text.rfind("\n", 0, node.start) + 1
        line_end = self.text.find("\n", node.end)
        line_end = len(self.text) if line_end < 0 else line_end
        return not self.text[line_start : node.start].strip() and not (
            self.text[node.end : line_end].strip()
        )

    def _render(self, node: _Node) -> str:
        if node.escaped is not None:
            if self.code.contains(node.start):
                return node.escaped
            return node.escaped.replace("<", "&lt;").replace(">", "&gt;")
        builtin = _BUILTINS.get(node.name)
        if builtin is None:
            self.unknown.append(UnknownShortcode(node.line, node.name))
            return self._inner(node)
        html, block = builtin(self, node)
        if block and self._alone(node):
            return f"\n\n{html}\n\n"
        return html

    # -- built-ins -------------------------------------------------------------

    def figure(self, node: _Node) -> tuple[str, bool]:
        src, link = node.get("src"), node.get("link")
        caption, attr, attrlink = node.get("caption"), node.get("attr"), node.get("attrlink")
        title = node.get("title")
        alt = node.get("alt") or _plain(caption)
        image = f'<img src="{escape(src)}" alt="{escape(alt)}"'
        for name in ("width", "height", "loading"):
            if node.get(name):
                image += f' {name}="{escape(node.get(name))}"'
        image += ">"
        if link:
            attributes = f' href="{escape(link)}"'
            for name in ("target", "rel"):
                if node.get(name):
                    attributes += f' {name}="{escape(node.get(name))}"'
            image = f"<a{attributes}>{image}</a>"
        css = f' class="{escape(node.get("class"))}"' if node.get("class") else ""
        html = f"<figure{css}>{image}"
        if title or caption or attr:
            html += "<figcaption>"
            if title:
                html += f"<h4>{escape(title)}</h4>"
            if caption or attr:
                credit = _inline_markdown(attr)
                if attrlink:
                    credit = f'<a href="{escape(attrlink)}">{credit}</a>'
                html += f"<p>{_inline_markdown(caption)}{credit}</p>"
            html += "</figcaption>"
        return html + "</figure>", True

    def youtube(self, node: _Node) -> tuple[str, bool]:
        video = node.get("id") or node.get(0)
        title = node.get("title") or "Video on YouTube"
        return youtube_link(video, title, node.get("start")), True

    def vimeo(self, node: _Node) -> tuple[str, bool]:
        video = node.get("id") or node.get(0)
        return vimeo_link(video, node.get("title") or "Video on Vimeo"), True

    def gist(self, node: _Node) -> tuple[str, bool]:
        user, gist = node.get("user") or node.get(0), node.get("id") or node.get(1)
        return gist_link(user, gist, node.get("file") or node.get(2)), True

    def x(self, node: _Node) -> tuple[str, bool]:
        user, post = node.get("user"), node.get("id")
        if not post:  # the old positional form: {{< tweet 1234 >}}
            post = node.get(0)
        url = f"https://x.com/{quote(user or 'i')}/status/{quote(post)}"
        label = f"Post by @{user} on X" if user else "Post on X"
        return f'<a class="embed-link" href="{escape(url)}">{escape(label)}</a>', True

    def instagram(self, node: _Node) -> tuple[str, bool]:
        post = node.get("id") or node.get(0)
        url = f"https://www.instagram.com/p/{quote(post)}/"
        return f'<a class="embed-link" href="{escape(url)}">Post on Instagram</a>', True

    def highlight(self, node: _Node) -> tuple[str, bool]:
        language = node.get("lang") or node.get(0)
        code = self.text[node.inner[0] : node.inner[1]] if node.inner else ""
        code = code.strip("\n")
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}{language}\n{code}\n{fence}", True

    def ref(self, node: _Node) -> tuple[str, bool]:
        target = node.get("path") or node.get(0)
        url = self.context.resolve_ref(target)
        if url is None:
            self.problems.append((node.line, f"{node.name} {target!r} names no post found here"))
            return escape(target), False
        return url, False

    def param(self, node: _Node) -> tuple[str, bool]:
        name = node.get("name") or node.get(0)
        for source in (self.context.page_params, self.context.site_params):
            value = _lookup(source, name)
            if value is not None:
                return escape(str(value)), False
        self.problems.append((node.line, f"param {name!r} is set neither in the post nor the site"))
        return "", False

    def details(self, node: _Node) -> tuple[str, bool]:
        summary = node.get("summary") or "Details"
        is_open = node.get("open").lower() in ("true", "1")
        opening = '<details open markdown="1">' if is_open else '<details markdown="1">'
        inner = self._inner(node).strip("\n")
        summary_html = f"<summary>{_inline_markdown(summary)}</summary>"
        return f"{opening}\n{summary_html}\n\n{inner}\n\n</details>", True

    def qr(self, node: _Node) -> tuple[str, bool]:
        text = node.get("text") or _plain(self._inner(node))
        if re.match(r"https?://", text):
            return f'<a href="{escape(text)}">{escape(text)}</a>', False
        self.problems.append((node.line, "qr: shown as its text (no QR image is drawn)"))
        return escape(text), False

    def comment(self, node: _Node) -> tuple[str, bool]:
        return "", False


_Builtin = Callable[[_Renderer, _Node], tuple[str, bool]]
_BUILTINS: dict[str, _Builtin] = {
    "figure": _Renderer.figure,
    "youtube": _Renderer.youtube,
    "vimeo": _Renderer.vimeo,
    "vimeo_simple": _Renderer.vimeo,
    "gist": _Renderer.gist,
    "x": _Renderer.x,
    "tweet": _Renderer.x,
    "twitter": _Renderer.x,
    "twitter_simple": _Renderer.x,
    "instagram": _Renderer.instagram,
    "highlight": _Renderer.highlight,
    "ref": _Renderer.ref,
    "relref": _Renderer.ref,
    "param": _Renderer.param,
    "details": _Renderer.details,
    "qr": _Renderer.qr,
    "comment": _Renderer.comment,
}

#: The shortcodes Hugo ships, rendered here.
BUILTIN_NAMES = frozenset(_BUILTINS)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if len(value) >= 2 and value[0] == value[-1] == "`":
        return value[1:-1]
    return value


def _lookup(source: Mapping[str, Any], dotted: str) -> Any:
    """A value by Hugo's dotted path (``grpc_vers.core``), keys matched without case."""
    value: Any = source
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        lowered = {str(key).lower(): item for key, item in value.items()}
        value = lowered.get(part.lower())
    return value


def _inline_markdown(text: str) -> str:
    """Hugo's ``markdownify`` for one line: inline Markdown, no paragraph around it."""
    if not text:
        return ""
    import markdown  # here: most sites never call it, and a start need not import it

    html = markdown.markdown(text)
    return re.sub(r"^<p>(.*)</p>$", r"\1", html, flags=re.DOTALL)


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", _inline_markdown(text)).strip()
