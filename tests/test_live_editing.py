"""Editing files under a running server: the development server and gunicorn, over HTTP."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import post_text
from tests.servers import free_port, gunicorn, server


def fetch(url: str) -> tuple[int, BeautifulSoup]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, BeautifulSoup(response.read(), "html.parser")
    except urllib.error.HTTPError as error:
        return error.code, BeautifulSoup(error.read(), "html.parser")


def heading(url: str) -> str:
    status, page = fetch(url)
    assert status == 200, status
    return page.h1.get_text()


@pytest.fixture
def dev_server(content_dir: Path) -> Iterator[str]:
    """``flask --app webapp run --debug``, as an author runs it."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "webapp",
        "run",
        "--debug",
        "--port",
        str(port),
    ]
    with server(command, port, {"BLOG_CONTENT_DIR": str(content_dir)}) as running:
        yield running.url


@pytest.mark.slow
def test_saving_shows_on_the_next_load_whatever_the_editor(
    content_dir: Path, dev_server: str
) -> None:
    post = content_dir / "a.md"
    post.write_text(post_text(title="First"))
    url = dev_server + "/posts/a/"
    assert heading(url) == "First"

    post.write_text(post_text(title="Written in place"))  # VS Code, nano
    assert heading(url) == "Written in place"

    swap = content_dir / ".a.md.swp"  # vim, Emacs: write elsewhere, rename over
    swap.write_text(post_text(title="Renamed into place"))
    assert heading(url) == "Written in place"
    swap.replace(post)
    assert heading(url) == "Renamed into place"

    (content_dir / "b.md").write_text(post_text(title="Brand new"))
    assert heading(dev_server + "/posts/b/") == "Brand new"
    (content_dir / "b.md").unlink()
    assert fetch(dev_server + "/posts/b/")[0] == 404


@pytest.mark.slow
def test_broken_front_matter_shows_an_error_page_in_debug_mode(
    content_dir: Path, dev_server: str
) -> None:
    (content_dir / "a.md").write_text(post_text(title="Fine"))
    assert heading(dev_server + "/posts/a/") == "Fine"
    (content_dir / "a.md").write_text("---\ntitle: Fine\ndate: 2024-13-01\n---\nBody")
    status, page = fetch(dev_server + "/posts/a/")
    assert status == 500
    assert page.select_one(".content-error code").get_text() == "a.md:3"
    assert "date" in page.select_one(".problem").get_text()


@pytest.mark.slow
def test_readers_never_see_a_half_written_post(content_dir: Path) -> None:
    post = content_dir / "a.md"
    post.write_text(post_text(title="Complete", body="The whole text."))
    with gunicorn({"BLOG_CONTENT_DIR": str(content_dir)}) as base:
        url = base + "/posts/a/"
        assert heading(url) == "Complete"
        with post.open("w") as handle:
            handle.write(post_text(title="Complete, revised", body="The first half").rstrip())
            handle.flush()
            for _ in range(5):  # every worker keeps the last complete version
                status, page = fetch(url)
                assert (status, page.h1.get_text()) == (200, "Complete")
            handle.write(" and the second.")
        status, page = fetch(url)
        assert page.h1.get_text() == "Complete, revised"
        assert page.select_one(".post-body").get_text().strip() == "The first half and the second."


@pytest.mark.slow
def test_a_broken_save_keeps_the_last_good_version(content_dir: Path) -> None:
    # One worker: each worker reads files when it next answers, so a version
    # that lived only between two requests can be one worker's last good one
    # and not another's.
    post = content_dir / "a.md"
    post.write_text(post_text(title="Good"))
    with gunicorn({"BLOG_CONTENT_DIR": str(content_dir)}, workers=1) as base:
        url = base + "/posts/a/"
        assert heading(url) == "Good"
        post.write_text(post_text(title="Better"))
        assert heading(url) == "Better"
        post.write_text("---\ntitle: [half-typed\n")
        assert heading(url) == "Better"
        post.write_text(post_text(title="Best"))
        assert heading(url) == "Best"


def next_post_link(server: str) -> str | None:
    """Where post "a"'s link "the next post" leads, as the server shows it now."""
    status, page = fetch(server + "/posts/a/")
    assert status == 200, status
    found = page.select_one(".post-body").find("a", string="the next post")
    return None if found is None else found.get("href")


@pytest.mark.slow
def test_a_jekyll_post_url_to_a_post_written_later_becomes_a_link(
    content_dir: Path, dev_server: str
) -> None:
    (content_dir / "_config.yml").write_text("title: A Jekyll site\n")
    posts = content_dir / "_posts"
    posts.mkdir()
    (posts / "2020-01-02-a.md").write_text(
        post_text(title="A", body="See [the next post]({% post_url 2020-01-03-next %}).")
    )

    assert next_post_link(dev_server) in (None, "#")
    (posts / "2020-01-03-next.md").write_text(post_text(title="Next"))
    assert next_post_link(dev_server) == "/posts/next/"


@pytest.mark.slow
def test_a_hugo_relref_to_a_post_written_later_becomes_a_link(
    content_dir: Path, dev_server: str
) -> None:
    (content_dir / "hugo.toml").write_text('title = "A Hugo site"\n')
    posts = content_dir / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "a.md").write_text(
        post_text(title="A", body='See [the next post]({{< relref "next" >}}).')
    )

    assert next_post_link(dev_server) == "next"  # as written: no post has that name yet
    (posts / "next").mkdir()
    (posts / "next" / "index.md").write_text(post_text(title="Next"))
    assert next_post_link(dev_server) == "/posts/next/"
