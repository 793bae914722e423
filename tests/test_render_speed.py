"""The faster renderer gives the same output as every extension with stock settings.

"Stock" is Python-Markdown and its extensions as they come: all of them on
every text, smarty's own second inline pass, codehilite and pymdownx.highlight
making their own Pygments objects. The site's renderer must write the same
bytes, the same footnotes and the same headings for every text here.
"""

from __future__ import annotations

import random
from typing import Any

import markdown
import pymdownx.highlight  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.treeprocessors import InlineProcessor

from bench.sitegen import post_text
from tests.conftest import PROJECT_ROOT
from webapp.posts import Renderer, rendering
from webapp.posts.models import Rendered
from webapp.posts.render_speed import STOCK_BLOCK_FORMATTER, extensions_for
from webapp.posts.typography import TypographyExtension


class StockRenderer(Renderer):
    """Every extension on every text, codehilite making its own formatters."""

    def _markdown(self, body: str) -> markdown.Markdown:
        configs: dict[str, Any] = dict(rendering.EXTENSION_CONFIGS)
        configs["codehilite"] = {
            key: value
            for key, value in configs["codehilite"].items()
            if key != "pygments_formatter"
        }
        return markdown.Markdown(
            extensions=[*rendering.EXTENSIONS, rendering._PostExtension()],
            extension_configs=configs,
            output_format="html",
        )


stock = StockRenderer(cache_size=0)
fast = Renderer(cache_size=0)

FEATURES = [
    "The HTML spec.\n\n*[HTML]: Hyper Text Markup Language",
    "Term\n:   Its definition\n\nOther\n: another",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    '<div markdown="1">\n*inside* html\n</div>\n\n<p>raw</p>',
    "# Heading {#custom .cls}\n\nA paragraph.\n{: .note }",
    "It's \"quoted\" -- and --- dashed... <<angled>> '80s",
    "See https://example.com/x, www.example.org and mail me@example.com.",
    "Upper case: WWW.EXAMPLE.COM and HTTPS://EXAMPLE.ORG/X are links too.",
    "A [reference][r], a [short one] and ![an image][i]\n\n[r]: /a\n[short one]: /b\n[i]: /i",
    "```python\nprint('hi')  # note\n```\n\n~~~js\nlet a = 1;\n~~~\n\n    indented = code",
    "## Section one\n\ntext[^a]\n\n### Sub\n\n[^a]: A note with 'quotes' and https://a.example",
    "plain text with no marks at all\n\nand a second paragraph",
    "~~struck~~ and $e^{i\\pi}$ inline, then\n\n$$\na^2 + b^2\n$$\n\nand \\(x\\)",
    # Dollars and backslashes only in code: math is loaded, its pattern not tried on prose.
    "```sh\nexport PATH=$HOME/bin:$PATH \\\n  && echo done\n```\n\nPlain prose after it.",
    "A `$HOME` and `C:\\dir` in code spans, no math.",
    # Quotes after entities and dashes, nested, doubled, and next to dashes and dots.
    "&#8212;'a' &#8211;\"b\" &mdash;'c' &nbsp;\"d\" ----'e' \u2014'f' ''g'' \"'h'\" 'i'... ---'j'",
    # Line breaks as the inline pass sees them: tabs become spaces, CRLF a newline.
    "a line ending in a tab\t\nthen the next",
    "a line ending in spaces  \r\nthen the next",
    # Python-Markdown removes STX and ETX before anything else.
    "a break \x02 \nand an image !\x03[alt](i.png) here",
]


def same(body: str) -> None:
    expected: Rendered = stock(body)
    assert fast(body) == expected, body


MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}


def sample_bodies() -> list[str]:
    """Every Markdown file in the project (real Jekyll and Hugo posts among them),
    generated posts like the benchmark's, and the features above mixed."""
    files = [
        path
        for folder in ("content", "tests/fixtures")
        for path in sorted((PROJECT_ROOT / folder).rglob("*"))
        if path.suffix in MARKDOWN_SUFFIXES
    ]
    texts = [path.read_text() for path in files]
    texts += [post_text(random.Random(seed), seed, notes=seed % 9) for seed in range(12)]
    # Long posts mixing every feature in different orders.
    for seed in range(20):
        mixed = FEATURES * 3
        random.Random(seed).shuffle(mixed)
        texts.append("\n\n".join(mixed))
    return texts


@pytest.mark.parametrize("body", FEATURES)
def test_each_extension_renders_as_before(body: str) -> None:
    same(body)


def test_sample_posts_render_as_before() -> None:
    for body in sample_bodies():
        same(body)


CODE = (
    '```python hl_lines="2"\ndef f(x):\n    return x ** 2  # square\n```\n\n'
    "```js\nconst a = [1, 2];\n```\n\n"
    "```\nno language <b>\n```\n\n"
    '- a list\n\n    ```sh\n    echo "$HOME"\n    ```\n'
)


@pytest.mark.parametrize(
    "highlight",
    [
        {},
        {"pygments_style": "monokai", "noclasses": True},  # styles written into the HTML
        {"linenums": True, "linenums_style": "pymdownx-inline"},
        {"linenums": True, "linenums_style": "table", "css_class": "code"},
    ],
)
def test_code_blocks_highlight_as_pymdownx_own_formatter_does(
    highlight: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The site's block formatter shares each style's stylesheet between
    # blocks; pymdownx's own works it out for every block.
    def html() -> str:
        md = markdown.Markdown(
            extensions=["pymdownx.highlight", "pymdownx.superfences"],
            extension_configs={"pymdownx.highlight": highlight},
        )
        return md.convert(CODE)

    shared = [html(), html()]  # the second takes the stylesheets the first worked out
    monkeypatch.setattr(pymdownx.highlight, "BlockHtmlFormatter", STOCK_BLOCK_FORMATTER)
    assert shared == [html()] * 2
    assert 'class="highlight"' in shared[0] or 'class="code"' in shared[0]


def test_a_text_without_marks_skips_the_extensions_that_need_them() -> None:
    # The point of it: plain prose does not pay for tables or abbreviations.
    assert extensions_for("plain words\n\nmore words", rendering.EXTENSIONS) == (
        "pymdownx.superfences",
        "footnotes",
        "codehilite",
        "toc",
    )
    assert "tables" in extensions_for("| a |\n|---|\n| 1 |", rendering.EXTENSIONS)


def test_math_is_tried_only_on_prose_with_a_dollar_or_backslash() -> None:
    renderer = Renderer(cache_size=0)

    def tried(body: str) -> bool:
        renderer(body)
        md = renderer._markdown(body)
        assert "pymdownx.arithmatex" in extensions_for(body, rendering.EXTENSIONS)
        inline = md.treeprocessors["inline"]
        assert isinstance(inline, InlineProcessor)
        return md.inlinePatterns["arithmatex-inline"] in list(inline.inlinePatterns)

    # A shell block's $HOME loads the extension; the prose, without one, does not pay for it.
    assert not tried("```sh\necho $HOME\n```\n\nPlain prose.")
    assert tried("```sh\necho $HOME\n```\n\nIt costs $5 and $6.")
    assert tried("Inline \\(x\\) math.")


@settings(deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "word",
                " ",
                "\n",
                "\n\n",
                "'",
                '"',
                "-",
                ".",
                "<",
                ">",
                "|",
                "*",
                "[",
                "]",
                "^",
                ":",
                "{",
                "}",
                "#",
                "@",
                "`",
                "~",
                "~~",
                "$",
                "$$",
                "http://x.example",
                "www.",
                "1.",
                "_",
                "&",
                "\\",
                "!",
                "![i](x.png)",
                "\t",
                "  \n",
                "\r\n",
                "\r",
                "\x02",
                "<b>",
                "&amp;",
            ]
        ),  # fmt: skip
        max_size=40,
    ).map("".join)
)
def test_any_text_of_marks_renders_as_before(body: str) -> None:
    same(body)


#: Pieces of prose that smarty reads by their context: quotes next to
#: punctuation, digits, dashes, entities, code, links, emphasis and raw HTML.
TYPOGRAPHY_PIECES = [
    "word",
    "it's",
    "'80s",
    "s",
    "1990",
    " ",
    "  ",
    "\n",
    "\n\n",
    "'",
    "''",
    '"',
    "\"'",
    "'\"",
    "-",
    "--",
    "---",
    "----",
    ".",
    "..",
    "...",
    "....",
    ",",
    "!",
    "?",
    "(",
    ")",
    "[",
    "{",
    "<<",
    ">>",
    "\\'",
    '\\"',
    "&nbsp;",
    "&mdash;",
    "&ndash;",
    "&#8212;",
    "&amp;",
    "&",
    "\u2013",
    "\u2014",
    "\xa0",
    "`code 'q' -- ...`",
    '``a"b``',
    "*em*",
    "**strong 'x'**",
    "_u_",
    "[a 'link'](https://example.com/\"x\")",
    "<https://example.com/it's>",
    "https://example.com/a--b...",
    '<span title="it\'s -- \\"x\\"">\'html\'</span>',
    "<b>",
    "</b>",
    "<!-- it's -->",
    "[^n]",
    "# ",
    "> ",
    "- ",
    "$x'$",
]

NOTE = "\n\n[^n]: A note, 'quoted' -- \"twice\"...\n"


@settings(deadline=None, max_examples=300)
@given(st.lists(st.sampled_from(TYPOGRAPHY_PIECES), max_size=30).map("".join))
def test_any_text_of_quotes_and_dashes_renders_as_before(body: str) -> None:
    same(body + NOTE)


SMARTY_SWITCHES = ["smart_quotes", "smart_angled_quotes", "smart_dashes", "smart_ellipses"]


@settings(deadline=None, max_examples=100)
@given(
    st.lists(st.sampled_from(TYPOGRAPHY_PIECES), max_size=30).map("".join),
    st.fixed_dictionaries({name: st.booleans() for name in SMARTY_SWITCHES}),
)
def test_typography_matches_smarty_in_any_configuration(
    body: str, switches: dict[str, bool]
) -> None:
    # Angled quotes and custom substitutions are off in the site's configuration;
    # the replacement takes smarty's own patterns, so these agree too.
    # An entity stands in the text; raw HTML (the ellipsis here) goes to the stash.
    substitutions = {"left-double-quote": "&bdquo;", "ellipsis": '<span class="e">…</span>'}
    config = {"smarty": {**switches, "substitutions": substitutions}}
    stock_md = markdown.Markdown(extensions=["smarty"], extension_configs=config)
    ours = markdown.Markdown(extensions=["smarty", TypographyExtension()], extension_configs=config)
    assert ours.convert(body) == stock_md.convert(body)
