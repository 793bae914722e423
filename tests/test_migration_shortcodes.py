"""Hugo shortcodes become what Hugo made of them, never template code on the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import frontmatter
import yaml
from bs4 import BeautifulSoup

from webapp.posts import Renderer
from webapp.posts.migration.shortcodes import (
    ShortcodeContext,
    UnknownShortcode,
    expand_shortcodes,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GRPC = FIXTURES / "hugo-grpc"
LINKERD = FIXTURES / "hugo-linkerd/content/blog"
RENDER = Renderer(cache_size=0)


def body_of(path: Path) -> str:
    return str(frontmatter.loads(path.read_text(encoding="utf-8")).content)


def html_of(text: str, context: ShortcodeContext | None = None) -> tuple[BeautifulSoup, Any]:
    expanded = expand_shortcodes(text, context)
    html = RENDER(expanded.text).html
    assert "{{<" not in html and "{{%" not in html
    return BeautifulSoup(html, "html.parser"), expanded


def test_linkerds_x_posts_become_links_to_each_post() -> None:
    page, expanded = html_of(body_of(LINKERD / "2019/0918-happy-birthday-linkerd/index.md"))
    links = [a["href"] for a in page.select("a.embed-link")]
    assert len(links) == 8
    assert links[0] == "https://x.com/markrendle/status/1172922222941560832"
    assert page.select_one("a.embed-link").get_text() == "Post by @markrendle on X"
    assert expanded.unknown == ()


def test_linkerds_youtube_videos_are_thumbnail_links() -> None:
    path = LINKERD / "2021/0617-may-community-meeting-recap-part-1/index.md"
    page, _ = html_of(body_of(path))
    videos = page.select("a.video-link")
    assert len(videos) == 2
    assert videos[0]["href"] == "https://www.youtube.com/watch?v=BWL4889RKhU"
    image = videos[0].find("img")
    assert image["src"] == "https://i.ytimg.com/vi/BWL4889RKhU/hqdefault.jpg"
    assert "YouTube" in image["alt"]
    assert not page.find("youtube") and not page.find("iframe")


def test_named_youtube_arguments_from_grpc() -> None:
    page, _ = html_of(body_of(GRPC / "content/en/blog/proxyless-grpc.md"))
    video = page.select_one("a.video-link")
    assert video["href"] == "https://www.youtube.com/watch?v=BwFBYLa5mgY"
    assert video.img["alt"].startswith("Single Cluster Gateway for Mesh")


def test_grpcs_param_reads_the_site_configuration() -> None:
    params = yaml.safe_load((GRPC / "config.yaml").read_text())["params"]
    page, expanded = html_of(
        body_of(GRPC / "content/en/blog/installation.md"), ShortcodeContext(site_params=params)
    )
    link = page.find("a", string="manual build and install")
    assert link["href"] == "https://github.com/grpc/grpc/blob/v1.82.0/src/cpp/README.md"
    assert expanded.problems == ()


def test_a_site_defined_shortcode_keeps_its_content_and_is_reported() -> None:
    """gRPC's theme's `alert` and Linkerd's `note`: the text stays, the tags go."""
    context = ShortcodeContext(resolve_ref={"kotlin-meet-grpc": "/posts/kotlin-meet-grpc/"}.get)
    text = body_of(GRPC / "content/en/blog/kotlin-gradle-projects.md")
    page, expanded = html_of(text, context)
    assert expanded.unknown == (UnknownShortcode(line=3, name="alert"),)
    assert text.splitlines()[2].startswith("{{% alert")
    link = page.find("a", string="Kotlin, meet gRPC")
    assert link["href"] == "/posts/kotlin-meet-grpc/"  # relref inside the alert's content
    page, expanded = html_of(body_of(LINKERD / "2020/0217-architecting-multicluster/index.md"))
    assert [u.name for u in expanded.unknown] == ["note"]
    first = page.find("p")
    assert first.get_text().startswith("Linkerd 2.8 has been released")
    assert first.find("a")["href"] == "/2020/06/09/announcing-linkerd-2.8/"


def test_each_unknown_use_is_counted_with_its_line() -> None:
    text = '{{< toc >}}\n\nText {{< badge "new" >}} and\n{{< badge >}}\n'
    expanded = expand_shortcodes(text)
    assert expanded.unknown == (
        UnknownShortcode(1, "toc"),
        UnknownShortcode(3, "badge"),
        UnknownShortcode(4, "badge"),
    )
    assert "toc" not in expanded.text and "badge" not in expanded.text


def test_shortcodes_in_code_are_shown_and_the_escaped_form_is_literal() -> None:
    text = (
        "Write `{{< youtube abc >}}` to embed.\n\n"
        "```go-html-template\n{{</* youtube abc */>}}\n{{< figure src=x.png >}}\n```\n\n"
        "Outside code: {{</* x user=a id=1 */>}}\n"
    )
    page, expanded = html_of(text)
    assert page.find("code").get_text() == "{{< youtube abc >}}"
    block = page.find("pre").get_text()
    assert "{{< youtube abc >}}" in block and "{{< figure src=x.png >}}" in block
    assert page.find_all("p")[-1].get_text() == "Outside code: {{< x user=a id=1 >}}"
    assert not page.select("a.video-link") and not page.find("figure")
    assert expanded.unknown == ()


def test_figure_as_hugo_renders_it() -> None:
    text = (
        '{{< figure src="/img/logo.png" link="https://linkerd.io" alt="Logo" width="200"'
        ' title="The logo" caption="Drawn *by hand*" attr="CC BY" attrlink="https://cc.org" >}}'
    )
    page, _ = html_of(text)
    figure = page.find("figure")
    assert figure.a["href"] == "https://linkerd.io"
    assert (figure.img["src"], figure.img["alt"], figure.img["width"]) == (
        "/img/logo.png",
        "Logo",
        "200",
    )
    assert figure.figcaption.h4.get_text() == "The logo"
    assert figure.figcaption.p.em.get_text() == "by hand"
    assert figure.figcaption.p.find("a", href="https://cc.org").get_text() == "CC BY"


def test_the_other_builtins() -> None:
    text = (
        "{{< gist spf13 7896402 >}}\n\n"
        '{{< vimeo id="55073825" title="A film" >}}\n\n'
        "{{< highlight python \"linenos=table\" >}}\nprint('hi')\n{{< /highlight >}}\n\n"
        '{{< details summary="See *more*" >}}\nHidden **text**.\n{{< /details >}}\n\n'
        '{{< qr text="https://gohugo.io" />}}\n\n'
        "{{< comment >}}not for readers{{< /comment >}}\n\n"
        '[old]({{< relref "gone.md" >}})\n'
    )
    page, expanded = html_of(text)
    assert page.find("a", href="https://gist.github.com/spf13/7896402")
    assert page.find("a", href="https://vimeo.com/55073825").get_text().startswith("A film")
    assert "print" in page.select_one("div.highlight").get_text()
    details = page.find("details")
    assert details.summary.em.get_text() == "more"
    assert details.find("strong").get_text() == "text"
    assert page.find("a", href="https://gohugo.io")
    assert "not for readers" not in str(page)
    assert page.find("a", string="old")["href"] == "gone.md"
    assert expanded.problems == ((17, "relref 'gone.md' names no post found here"),)


def test_a_builtin_inside_an_unknown_shortcode_is_still_rendered() -> None:
    page, expanded = html_of("{{% note %}}\n\nWatch: {{< youtube abc >}}\n\n{{% /note %}}\n")
    assert page.select_one("a.video-link")["href"] == "https://www.youtube.com/watch?v=abc"
    assert [u.name for u in expanded.unknown] == ["note"]


def test_a_closing_tag_without_an_opening_one_is_reported() -> None:
    expanded = expand_shortcodes("Text\n{{< /note >}}\n")
    assert "{{<" not in expanded.text
    assert expanded.problems[0][0] == 2
