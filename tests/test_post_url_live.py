"""Jekyll's ``{% post_url %}`` follows the folder while the site runs, and after a
restart that takes posts from the post store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import parse, post_text


def linked(client: Any, slug: str) -> str | None:
    """Where the post's "the other post" link leads (None when it is no link)."""
    page = parse(client.get(f"/posts/{slug}/"))
    link = page.select_one(".post-body").find("a", string="the other post")
    return None if link is None else link.get("href")


def jekyll_site(content_dir: Path) -> Path:
    (content_dir / "_config.yml").write_text("title: A Jekyll site\n")
    (content_dir / "_posts").mkdir()
    post = content_dir / "_posts" / "2020-01-02-a.md"
    post.write_text(post_text(title="A", body="See [the other post]({% post_url 2020-01-01-b %})."))
    return content_dir / "_posts"


def test_a_post_url_follows_posts_added_renamed_and_reslugged(
    content_dir: Path, make_app: Any
) -> None:
    posts = jekyll_site(content_dir)
    app = make_app()
    client = app.test_client()
    assert linked(client, "a") in (None, "", "#")
    check = app.test_cli_runner().invoke(args=["blog", "check"])
    assert "post_url '2020-01-01-b' names no post found here" in check.output

    (posts / "2020-01-01-b.md").write_text(post_text(title="B"))
    assert linked(client, "a") == "/posts/b/"
    (posts / "2020-01-01-b.md").write_text(post_text(title="B", slug="bee"))
    assert linked(client, "a") == "/posts/bee/"
    (posts / "2020-01-01-b.md").rename(posts / "2020-01-01-c.md")
    assert linked(client, "a") in (None, "", "#")
    (posts / "2020-01-01-c.md").rename(posts / "2020-01-01-b.md")
    assert linked(client, "a") == "/posts/bee/"
    check = app.test_cli_runner().invoke(args=["blog", "check"])
    assert "post_url" not in check.output


def test_a_stored_post_is_read_again_when_its_post_url_target_appears(
    content_dir: Path, make_app: Any, tmp_path: Path
) -> None:
    posts = jekyll_site(content_dir)
    store = str(tmp_path / "posts.sqlite3")
    first = make_app(POST_STORE=store)
    assert linked(first.test_client(), "a") in (None, "", "#")
    first.extensions["blog"].folder.close()  # the store is written
    # While no server runs, the target is written; a's file is unchanged.
    (posts / "2020-01-01-b.md").write_text(post_text(title="B"))
    again = make_app(POST_STORE=store)
    assert linked(again.test_client(), "a") == "/posts/b/"
