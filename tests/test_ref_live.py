"""Hugo's ``ref`` and ``relref`` follow the folder while the site runs, and after
a restart that takes posts from the post store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import parse, post_text


def linked(client: Any, slug: str = "a") -> str | None:
    """Where the post's "the other post" link leads (None when it is no link)."""
    page = parse(client.get(f"/posts/{slug}/"))
    link = page.select_one(".post-body").find("a", string="the other post")
    return None if link is None else link.get("href")


def hugo_site(content_dir: Path, shortcode: str = "relref") -> Path:
    """A Hugo site whose post a links to a post "b" (not there yet)."""
    (content_dir / "hugo.toml").write_text('title = "A Hugo site"\n')
    posts = content_dir / "content" / "posts"
    posts.mkdir(parents=True)
    body = f'See [the other post]({{{{< {shortcode} "b" >}}}}).'
    (posts / "a.md").write_text(post_text(title="A", body=body))
    return posts


def check_output(app: Any) -> str:
    return str(app.test_cli_runner().invoke(args=["blog", "check"]).output)


def test_a_ref_to_a_post_written_later_becomes_its_link(content_dir: Path, make_app: Any) -> None:
    posts = hugo_site(content_dir)
    app = make_app()
    client = app.test_client()
    assert linked(client) == "b"  # as written: no post has that name
    assert "relref 'b' names no post found here" in check_output(app)
    (posts / "b.md").write_text(post_text(title="B"))
    assert linked(client) == "/posts/b/"
    assert "relref" not in check_output(app)


def test_a_ref_follows_its_target_given_another_slug(content_dir: Path, make_app: Any) -> None:
    posts = hugo_site(content_dir)
    (posts / "b.md").write_text(post_text(title="B"))
    client = make_app().test_client()
    assert linked(client) == "/posts/b/"
    (posts / "b.md").write_text(post_text(title="B", slug="bee"))
    assert linked(client) == "/posts/bee/"


def test_a_ref_follows_its_target_file_renamed(content_dir: Path, make_app: Any) -> None:
    posts = hugo_site(content_dir)
    (posts / "b.md").write_text(post_text(title="B"))
    client = make_app().test_client()
    assert linked(client) == "/posts/b/"
    (posts / "b.md").rename(posts / "c.md")
    assert linked(client) == "b"
    (posts / "c.md").rename(posts / "b.md")
    assert linked(client) == "/posts/b/"


def test_a_ref_follows_its_target_bundle_renamed(content_dir: Path, make_app: Any) -> None:
    posts = hugo_site(content_dir, shortcode="ref")
    (posts / "b").mkdir()
    (posts / "b" / "index.md").write_text(post_text(title="B"))
    client = make_app().test_client()
    assert linked(client) == "/posts/b/"
    (posts / "b").rename(posts / "bee")
    assert linked(client) == "b"
    (posts / "bee").rename(posts / "b")
    assert linked(client) == "/posts/b/"


def test_a_ref_made_ambiguous_by_a_new_page_is_no_link(content_dir: Path, make_app: Any) -> None:
    posts = hugo_site(content_dir, shortcode="ref")
    (posts / "b.md").write_text(post_text(title="B"))
    client = make_app().test_client()
    assert linked(client) == "/posts/b/"
    # Another page named b: Hugo refuses to guess, and so does the link.
    other = content_dir / "content" / "notes" / "b.md"
    other.parent.mkdir()
    other.write_text(post_text(title="Other B"))
    assert linked(client) == "b"
    other.unlink()
    assert linked(client) == "/posts/b/"


def test_a_stored_post_is_read_again_when_its_ref_target_appears(
    content_dir: Path, make_app: Any, tmp_path: Path
) -> None:
    posts = hugo_site(content_dir)
    store = str(tmp_path / "posts.sqlite3")
    first = make_app(POST_STORE=store)
    assert linked(first.test_client()) == "b"
    first.extensions["blog"].folder.close()  # the store is written
    # While no server runs, the target is written; a's file is unchanged.
    (posts / "b.md").write_text(post_text(title="B"))
    again = make_app(POST_STORE=store)
    assert linked(again.test_client()) == "/posts/b/"
