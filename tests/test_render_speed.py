"""The faster renderer gives the same output as every extension with stock settings."""

from __future__ import annotations

import random
from typing import Any

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_ROOT
from webapp.posts import Renderer, rendering
from webapp.posts.models import Rendered
from webapp.posts.render_speed import extensions_for


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
    "```python\nprint('hi')  # note\n```\n\n~~~js\nlet a = 1;\n~~~\n\n    indented = code",
    "## Section one\n\ntext[^a]\n\n### Sub\n\n[^a]: A note with 'quotes' and https://a.example",
    "plain text with no marks at all\n\nand a second paragraph",
    "~~struck~~ and $e^{i\\pi}$ inline, then\n\n$$\na^2 + b^2\n$$\n\nand \\(x\\)",
]


def same(body: str) -> None:
    expected: Rendered = stock(body)
    assert fast(body) == expected, body


def sample_bodies() -> list[str]:
    files = sorted((PROJECT_ROOT / "content").rglob("*.md"))
    files += sorted((PROJECT_ROOT / "tests" / "fixtures").rglob("*.md"))
    texts = [path.read_text() for path in files]
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


def test_a_text_without_marks_skips_the_extensions_that_need_them() -> None:
    # The point of it: plain prose does not pay for tables or abbreviations.
    assert extensions_for("plain words\n\nmore words", rendering.EXTENSIONS) == (
        "pymdownx.superfences",
        "footnotes",
        "codehilite",
        "toc",
    )
    assert "tables" in extensions_for("| a |\n|---|\n| 1 |", rendering.EXTENSIONS)


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
            ]
        ),  # fmt: skip
        max_size=40,
    ).map("".join)
)
def test_any_text_of_marks_renders_as_before(body: str) -> None:
    same(body)
