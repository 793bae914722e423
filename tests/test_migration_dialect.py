"""Markdown written for kramdown, GFM or Goldmark renders as its author saw it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from tests.conftest import parse
from webapp.posts import Renderer
from webapp.posts.migration.dialect import normalize, renest_lists

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RENDER = Renderer(cache_size=0)


def html(text: str) -> BeautifulSoup:
    return BeautifulSoup(RENDER(normalize(text)).html, "html.parser")


def serve(site: str, content_dir: Path, make_app: Any) -> Any:
    shutil.copytree(FIXTURES / site, content_dir, dirs_exist_ok=True)
    return make_app().test_client()


def test_linkerds_two_space_nested_list(content_dir: Path, make_app: Any) -> None:
    """The Linkerd roadmap (Goldmark) nests at 2 spaces: the nesting survives."""
    client = serve("hugo-linkerd", content_dir, make_app)
    page = parse(client.get("/posts/2021-0514-april-linkerd-community-meeting/"))
    roadmap = page.select_one(".post-body ul")
    items = roadmap.find_all("li", recursive=False)
    assert len(items) == 5
    nested = items[1].find("ul")
    assert [li.get_text() for li in nested.find_all("li")] == [
        "As Linkerd evolves, the service profile API must also.",
        "The existing API will be gracefully deprecated over time",
    ]
    assert items[4].find("ul") is None


def test_eighteen_fs_class_under_a_paragraph(content_dir: Path, make_app: Any) -> None:
    """`{: .font-alt-xs }` under a caption (18F, kramdown) is a class, not text."""
    client = serve("jekyll-18f", content_dir, make_app)
    page = parse(client.get("/posts/tech-talks/"))
    caption = page.select_one(".post-body p.font-alt-xs")
    assert caption is not None
    assert "Jessica Dussault" in caption.get_text()
    assert "{:" not in page.select_one(".post-body").get_text()


def test_kramdown_habits_in_a_handwritten_post(content_dir: Path, make_app: Any) -> None:
    client = serve("handwritten-jekyll", content_dir, make_app)
    page = parse(client.get("/posts/kramdown-habits/"))
    body = page.select_one(".post-body")
    text = body.get_text()
    assert "{:" not in text and "TOC" not in text
    assert body.select_one(".toc a[href='#lists']") is not None  # {:toc} is a contents list
    steps = body.select_one("ol").find_all("li", recursive=False)
    assert "gem install kramdown" in steps[0].select_one("div.highlight").get_text()
    assert len(steps[1].select("ul > li")) == 2  # nested at 3 spaces under "2. "
    nested = body.select("p + ul > li > ul > li")
    assert [li.get_text() for li in nested] == ["first", "second"]
    assert body.find("del").get_text() == "wrong"
    table = body.find("table")
    assert len(table.select("tbody tr")) == 1  # the IAL is not an extra row
    assert body.select_one("p.small").get_text() == "A note in small print."
    math = body.select_one("div.arithmatex").get_text()
    assert "e^{i\\pi} + 1 = 0" in math and "<em>" not in str(body.select_one("div.arithmatex"))


@pytest.mark.parametrize(
    "text",
    [
        "- a\n    - b\n        - c\n- d\n",  # Python-Markdown's own 4-space nesting
        "1. x\n\n    para in the item\n",
        "text\n\n    an indented code block\n",
        "```\n- a\n  - not a list\n```\n",
    ],
)
def test_text_already_right_for_python_markdown_renders_the_same(text: str) -> None:
    assert RENDER(renest_lists(text)).html == RENDER(text).html


def test_two_and_four_space_nesting_give_one_shape() -> None:
    two = html("- a\n  - b\n    - c\n- d\n")
    four = html("- a\n    - b\n        - c\n- d\n")
    assert str(two) == str(four)
    assert two.select_one("ul > li > ul > li > ul > li").get_text() == "c"
