"""Real Jekyll and Hugo blogs, served whole: no template code on any page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import parse

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SITES = ["jekyll-18f", "jekyll-jekyllrb", "hugo-linkerd", "hugo-grpc"]


def serve(site: str, content_dir: Path, make_app: Any) -> Any:
    shutil.copytree(FIXTURES / site, content_dir, dirs_exist_ok=True)
    return make_app().test_client()


@pytest.mark.parametrize("site", SITES)
def test_no_post_shows_template_code(site: str, content_dir: Path, make_app: Any) -> None:
    client = serve(site, content_dir, make_app)
    listing = parse(client.get("/"))
    links = {a["href"] for a in listing.select("a[href^='/posts/']") if a["href"].count("/") == 3}
    assert len(links) >= 5
    for link in sorted(links):
        response = client.get(link)
        assert response.status_code == 200, link
        body = parse(response).select_one(".post-body")
        assert body is not None, link
        shown = str(body)
        for code in body.select("pre, code"):
            code.decompose()  # code may show template syntax on purpose
        text = str(body)
        assert "{{<" not in text and "{{%" not in text and "{%" not in text, link
        assert "{% raw" not in shown and "{% endraw" not in shown, link


def test_a_linkerd_post_shows_youtube_thumbnails(content_dir: Path, make_app: Any) -> None:
    client = serve("hugo-linkerd", content_dir, make_app)
    page = parse(client.get("/posts/2021-0617-may-community-meeting-recap-part-1/"))
    video = page.select_one(".post-body a.video-link")
    assert video["href"] == "https://www.youtube.com/watch?v=BWL4889RKhU"
    assert video.img["src"] == "https://i.ytimg.com/vi/BWL4889RKhU/hqdefault.jpg"


def test_a_grpc_post_links_its_relref_to_the_post_here(content_dir: Path, make_app: Any) -> None:
    client = serve("hugo-grpc", content_dir, make_app)
    page = parse(client.get("/posts/kotlin-gradle-projects/"))
    link = page.select_one(".post-body").find("a", string="Kotlin, meet gRPC")
    assert link["href"] == "/posts/kotlin-meet-grpc/"
    assert client.get(link["href"]).status_code == 200


def test_a_jekyll_post_url_leads_to_the_post_here(content_dir: Path, make_app: Any) -> None:
    client = serve("jekyll-jekyllrb", content_dir, make_app)
    page = parse(client.get("/posts/jekyll-turns-2-0-0/"))
    hrefs = {a["href"] for a in page.select(".post-body a")}
    assert "/posts/jekyll-1-0-0-released/" in hrefs
    assert client.get("/posts/jekyll-1-0-0-released/").status_code == 200


def test_blog_check_names_each_unknown_shortcode_and_liquid_problem(
    content_dir: Path, make_app: Any
) -> None:
    shutil.copytree(FIXTURES / "hugo-grpc", content_dir / "hugo", dirs_exist_ok=True)
    shutil.copytree(FIXTURES / "jekyll-18f" / "_posts", content_dir / "_posts")
    result = make_app().test_cli_runner().invoke(args=["blog", "check", "--format", "json"])
    problems = json.loads(result.output)["problems"]
    found = {(Path(p["path"]).name, p["line"]): p["message"] for p in problems}
    alert = found[("kotlin-gradle-projects.md", 12)]
    assert alert.startswith("shortcode 'alert' is the site's own") and "used once" in alert
    include = found[("2017-09-05-ficam-partners-with-federalist.md", 31)]
    assert include == "Liquid: include 'svg/blog/money_coins.svg': no such file in _includes/"
