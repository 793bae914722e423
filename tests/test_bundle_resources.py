"""Hugo's rule for Markdown files in a leaf bundle: they are the page's resources,
not pages. A branch bundle (``_index.md``) keeps its other files as pages, and
a Jekyll site, which has no bundles, keeps every page."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WritePost, parse, post_text
from webapp.posts import ContentFolder, ReaderSettings, Renderer, summarize

SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)


def hugo_site(content_dir: Path, write_post: WritePost) -> None:
    (content_dir / "hugo.toml").write_text('title = "A Hugo site"\n')
    write_post("content/post/_index.md", text="---\ntitle: Posts\n---\n")  # a branch bundle
    write_post("content/post/plain.md", title="Plain")  # a page of the branch
    write_post("content/post/trip/index.md", title="Trip", body="[notes](notes.md)")
    # Resources: no front matter, or front matter of their own; neither is a post.
    write_post("content/post/trip/notes.md", text="Notes for the trip, not a page.\n")
    write_post("content/post/trip/more/day-one.md", title="Day one")
    write_post("content/post/trip/page.html", text="---\ntitle: a resource\n---\n<p>hi</p>\n")
    # A nested bundle stays a post of its own (see the README).
    write_post("content/post/trip/child/index.md", title="Child")


def slugs(folder: ContentFolder) -> set[str]:
    return {post.slug for post in folder.snapshot().posts}


def test_markdown_files_in_a_leaf_bundle_are_resources(
    content_dir: Path, write_post: WritePost, make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    hugo_site(content_dir, write_post)
    with caplog.at_level(logging.INFO, logger="webapp.blog"):
        app = make_app()
    assert "read 3 posts from" in caplog.text and "skipped" not in caplog.text
    client = app.test_client()
    page = parse(client.get("/"))
    listed = {a["href"] for a in page.select("a[href^='/posts/']") if a["href"].count("/") == 3}
    assert listed == {"/posts/plain/", "/posts/trip/", "/posts/trip-child/"}
    with client.get("/posts/trip/notes.md") as answer:
        assert answer.status_code == 200
        assert answer.get_data(as_text=True) == "Notes for the trip, not a page.\n"
    for source in ("index.md", "child/index.md"):
        with client.get(f"/posts/trip/{source}") as answer:
            assert answer.status_code == 404, source

    result = app.test_cli_runner().invoke(args=["blog", "check", "--format", "json"])
    report = json.loads(result.output)
    assert report["problems"] == [], report["problems"]


def test_a_jekyll_site_s_folder_with_index_md_keeps_every_page(
    content_dir: Path, write_post: WritePost, make_app: Any
) -> None:
    (content_dir / "_config.yml").write_text("title: A Jekyll site\n")
    write_post("_posts/2020-01-01-hello.md", title="Hello")
    write_post("about/index.md", title="About")
    write_post("about/team.md", title="Team", draft="true")
    folder = ContentFolder(content_dir, SETTINGS, use_inotify=False, poll_interval=0)
    assert slugs(folder) == {"hello", "about", "team"}
    # A page's source is never served as a file of the folder beside it.
    with make_app(SHOW_DRAFTS=True).test_client().get("/posts/about/team.md") as answer:
        assert answer.status_code == 404


@pytest.mark.parametrize("use_inotify", [True, False])
def test_an_index_md_added_or_removed_while_running(
    content_dir: Path, write_post: WritePost, use_inotify: bool
) -> None:
    write_post("essays/one.md", title="One")
    write_post("essays/two.md", title="Two")
    folder = ContentFolder(content_dir, SETTINGS, use_inotify=use_inotify, poll_interval=0)
    try:
        assert slugs(folder) == {"one", "two"}
        (content_dir / "essays" / "index.md").write_text(post_text(title="Essays"))
        assert slugs(folder) == {"essays"}  # one.md and two.md are its resources now
        (content_dir / "essays" / "two.md").write_text(post_text(title="Two, edited"))
        assert slugs(folder) == {"essays"}  # saving a resource does not make it a post
        (content_dir / "essays" / "index.md").unlink()
        assert slugs(folder) == {"one", "two"}
        assert {p.title for p in folder.snapshot().posts} == {"One", "Two, edited"}
    finally:
        folder.close()
