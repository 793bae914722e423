"""Authors' frames and embed scripts become links the CSP allows; the rest is reported."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from tests.conftest import parse
from webapp.posts.migration.embeds import replace_embeds
from webapp.posts.migration.preprocess import BodyPreprocessor

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def page_of(slug: str, content_dir: Path, make_app: Any) -> Any:
    shutil.copytree(FIXTURES / "jekyll-18f", content_dir, dirs_exist_ok=True)
    client = make_app().test_client()
    response = client.get(f"/posts/{slug}/")
    assert response.status_code == 200
    return parse(response).select_one(".post-body")


def test_18fs_youtube_frames_become_thumbnail_links(content_dir: Path, make_app: Any) -> None:
    body = page_of("california-takes-new-approach-procurement", content_dir, make_app)
    assert body.find("iframe") is None
    video = body.select_one("a.video-link")
    assert video["href"] == "https://www.youtube.com/watch?v=JM4VLjRgqWo"
    assert video.img["src"] == "https://i.ytimg.com/vi/JM4VLjRgqWo/hqdefault.jpg"
    assert video.img["alt"].startswith("YouTube video of Stuart Drown")


def test_a_start_time_is_kept(content_dir: Path, make_app: Any) -> None:
    body = page_of("dan-brown-conflict-in-design", content_dir, make_app)
    link = body.select_one("a.video-link")
    assert link["href"] == "https://www.youtube.com/watch?v=mO8PiHST5CI&t=159s"


def test_tweets_stay_readable_without_their_script(content_dir: Path, make_app: Any) -> None:
    body = page_of("the-new-10", content_dir, make_app)
    tweets = body.select("blockquote.twitter-tweet")
    assert len(tweets) == 2
    assert "Secy Lew will choose a woman" in tweets[0].get_text()
    assert body.find("script") is None


def test_other_frames_scripts_and_styles_are_reported_with_their_lines() -> None:
    text = (
        '<iframe src="https://speakerdeck.com/player/abc" title="Slides"></iframe>\n'
        '<script src="https://example.com/widget.js"></script>\n'
        '<p style="color: red">Red</p>\n'
        '<script src="https://gist.github.com/octocat/6cad326836d38bd3a7ae.js?file=hello.rb">'
        "</script>\n"
        '```html\n<iframe src="https://www.youtube.com/embed/abcdefgh"></iframe>\n```\n'
        "<script>counter()</script>\n"
    )
    expanded = replace_embeds(text)
    lines = expanded.text.split("\n")
    assert lines[0] == '<a class="embed-link" href="https://speakerdeck.com/player/abc">Slides</a>'
    assert lines[1] == ""
    assert lines[3] == (
        '<a class="embed-link" href="https://gist.github.com/octocat/6cad326836d38bd3a7ae'
        '#file-hello-rb">hello.rb (gist by octocat)</a>'
    )
    assert '<iframe src="https://www.youtube.com/embed/abcdefgh"></iframe>' in expanded.text
    assert expanded.problems == (
        (1, "a frame from speakerdeck.com is blocked by the CSP; shown as a link"),
        (2, "a script (example.com) is blocked by the CSP; removed"),
        (3, "a style= attribute is ignored under the CSP"),
        (8, "an inline script is blocked by the CSP"),
    )
    assert lines[7] == "<script>counter()</script>"  # the author's own, left to BLOG_SANITIZE


def test_blog_check_sees_them_as_warnings(tmp_path: Path) -> None:
    preprocess = BodyPreprocessor(tmp_path)
    body, warnings = preprocess(
        'Intro.\n\n<p style="x">A</p>\n', PurePosixPath("a.md"), {}, body_line=5
    )
    assert [(w.line, w.severity, w.message) for w in warnings] == [
        (7, "warning", "embed: a style= attribute is ignored under the CSP")
    ]
