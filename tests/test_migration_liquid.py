"""Jekyll's Liquid becomes what Jekyll made of it, never template code on the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import frontmatter
from bs4 import BeautifulSoup

from webapp.posts import Renderer
from webapp.posts.migration.jekyll import JekyllSite
from webapp.posts.migration.liquid import LiquidContext, expand_liquid
from webapp.posts.migration.report import Unknown

FIXTURES = Path(__file__).resolve().parent / "fixtures"
JEKYLLRB = FIXTURES / "jekyll-jekyllrb"
EIGHTEEN_F = FIXTURES / "jekyll-18f"
RENDER = Renderer(cache_size=0)


def render(site_root: Path, name: str) -> tuple[BeautifulSoup, Any]:
    site = JekyllSite(site_root)
    post = frontmatter.loads((site_root / "_posts" / name).read_text(encoding="utf-8"))
    expanded = expand_liquid(str(post.content), site.context(dict(post.metadata)))
    html = RENDER(expanded.text).html
    return BeautifulSoup(html, "html.parser"), expanded


def test_raw_blocks_show_their_liquid_literally_without_the_raw_tags() -> None:
    page, expanded = render(JEKYLLRB, "2017-03-21-jekyll-3-4-3-released.markdown")
    code = page.select_one("div.highlight").get_text()
    assert code.strip() == '{{ "example :page" | uri_escape }}'
    assert "raw %}" not in str(page)
    assert expanded.unknown == () and expanded.problems == ()


def test_link_to_a_post_becomes_its_url_here() -> None:
    page, _ = render(JEKYLLRB, "2017-03-21-jekyll-3-4-3-released.markdown")
    assert page.find("a", string="v3.4.0")["href"] == "/posts/jekyll-3-4-0-released/"


def test_link_to_a_collection_page_points_at_the_old_site() -> None:
    """_docs/history.md is not a post: its URL is the old site's, from _config.yml."""
    page, expanded = render(JEKYLLRB, "2023-01-29-jekyll-3-9-3-released.markdown")
    link = page.find("a", string="the full release notes")
    assert link["href"] == "https://jekyllrb.com/docs/history/#v3-9-3"
    page, expanded = render(JEKYLLRB, "2024-06-23-jekyll-3-10-0-released.markdown")
    link = page.find("a", string="are in the changelog")
    assert link["href"] == "https://jekyllrb.com/docs/history/#v3-10-0"
    assert expanded.problems == ()


def test_link_to_a_missing_file_is_reported_with_its_line() -> None:
    expanded = expand_liquid("See\n[it]({% link img/gone.png %})", JekyllSite(JEKYLLRB).context())
    assert expanded.text == "See\n[it](/img/gone.png)"
    assert expanded.problems == ((2, "link 'img/gone.png' names no file found here"),)
    present = expand_liquid("{% link img/footer-logo.png %}", JekyllSite(JEKYLLRB).context())
    assert present.text == "/img/footer-logo.png" and present.problems == ()


def test_post_url_in_a_link_definition() -> None:
    page, expanded = render(JEKYLLRB, "2014-05-06-jekyll-turns-2-0-0.markdown")
    links = page.find_all("a", href="/posts/jekyll-1-0-0-released/")
    assert links
    assert "post_url" not in str(page)
    assert expanded.problems == ()


def test_highlight_blocks_become_highlighted_code() -> None:
    page, _ = render(JEKYLLRB, "2014-03-27-jekyll-1-5-1-released.markdown")
    blocks = page.select("div.highlight")
    assert len(blocks) == 2
    assert blocks[0].get_text().startswith('> sanitized_path("/tmp/foobar/jail"')
    assert "highlight" not in page.get_text()


def test_relative_url_filter_and_site_baseurl() -> None:
    page, _ = render(JEKYLLRB, "2016-10-06-jekyll-3-3-is-here.md")
    link = page.find("a", string="documentation on the subject")
    assert link["href"] == "/docs/themes/#assets"
    page, _ = render(EIGHTEEN_F, "2016-03-03-five-questions-for-the-nasa-chief-historian.md")
    sources = [img["src"] for img in page.find_all("img")]
    assert sources[:2] == [
        "/assets/blog/nasa-historian/meatball.jpg",
        "/assets/blog/nasa-historian/worm-logo.jpg",
    ]
    assert all((EIGHTEEN_F / src.lstrip("/")).is_file() for src in sources[:2])
    assert sources[2] == "/assets/blog/nasa-historian/nasa-historian.jpg"  # not in the excerpt


def test_includes_render_when_plain_and_are_reported_when_missing() -> None:
    page, expanded = render(EIGHTEEN_F, "2017-09-05-ficam-partners-with-federalist.md")
    assert len(page.select("figure svg")) == 2  # the two icons the fixture keeps
    assert "{%" not in str(page)
    missing = [message for _, message in expanded.problems]
    assert missing == [
        "include 'svg/blog/money_coins.svg': no such file in _includes/",
        "include 'svg/blog/brain_thinking.svg': no such file in _includes/",
        "include 'svg/blog/laptop_user_login.svg': no such file in _includes/",
    ]
    assert [line for line, _ in expanded.problems] == [17, 29, 35]


def test_raw_inside_a_code_block_of_18f() -> None:
    page, expanded = render(
        EIGHTEEN_F, "2017-09-26-automated-scanning-for-sensitive-information.md"
    )
    code = "\n".join(block.get_text() for block in page.select("div.highlight"))
    assert "status: {staged {%!s(bool=false)}}" in code
    assert "{% raw" not in code and "endraw" not in code
    assert expanded.unknown == ()


def test_tags_that_cannot_run_keep_their_text_and_are_reported() -> None:
    text = (
        "{% oembed https://www.youtube.com/watch?v=abc %}\n\n"
        "{% if page.hero %}Shown{% endif %}\n\n"
        "By {{ page.author }} in `{{ post.title }}` {{ post.title }}.\n\n"
        "{% comment %}not for readers{% endcomment %}\n"
    )
    expanded = expand_liquid(text, LiquidContext(page={"author": "kate"}))
    assert expanded.unknown == (
        Unknown(1, "oembed"),
        Unknown(3, "if"),
        Unknown(3, "endif"),
        Unknown(5, "{{ post.title }}"),
    )
    html = RENDER(expanded.text).html
    page = BeautifulSoup(html, "html.parser")
    assert page.find("code").get_text() == "{{ post.title }}"  # code shows what it cannot run
    assert "By kate in" in page.get_text() and "Shown" in page.get_text()
    assert "not for readers" not in html and "{%" not in html
