"""Every Markdown file Jekyll or Hugo published is a post here; other formats are named."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WritePost, parse, post_text
from webapp.posts import ContentFolder, ReaderSettings, Renderer, summarize
from webapp.posts.checks import check_folder
from webapp.posts.migration.files import is_bundle_index, is_markdown_name

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)
LATER = datetime(2030, 1, 1, tzinfo=UTC)


class PATHS:
    """Posts at /posts/<slug>/, as the site serves them."""

    @staticmethod
    def post(slug: str) -> str:
        return f"/posts/{slug}/"

    @staticmethod
    def slug_of(path: str) -> str | None:
        parts = path.strip("/").split("/")
        return parts[1] if len(parts) == 2 and parts[0] == "posts" else None

    @staticmethod
    def bundle_file_of(path: str) -> tuple[str, str] | None:
        return None

    @staticmethod
    def serves(path: str) -> bool:
        return True


def read(root: Path) -> Any:
    return ContentFolder(root, SETTINGS, use_inotify=False, poll_interval=3600).library(LATER)


def test_the_jekyll_news_posts_written_as_markdown_files_are_read() -> None:
    """Real posts named .markdown (most of jekyllrb.com's news) are posts, not ignored."""
    root = FIXTURES / "jekyll-jekyllrb"
    library = read(root)
    names = sorted(path.name for path in (root / "_posts").iterdir())
    read_names = sorted(
        [post.source.name for post in library.posts] + [e.path.name for e in library.errors]
    )
    assert read_names == names
    assert sum(name.endswith(".markdown") for name in names) == 7
    turns = library.get("jekyll-1-5-1-released")
    assert turns is not None and turns.title == "Jekyll 1.5.1 Released"


@pytest.mark.parametrize("suffix", [".markdown", ".mkdown", ".mkdn", ".mkd", ".md", ".mdown"])
def test_every_markdown_suffix_jekyll_or_hugo_reads_is_a_post(
    suffix: str, content_dir: Path, write_post: WritePost
) -> None:
    write_post(f"_posts/2020-02-02-hello{suffix}", title="Hello", body="*Hi*")
    library = read(content_dir)
    assert [post.slug for post in library.posts] == ["hello"]
    assert "<em>Hi</em>" in library.posts[0].html


def test_names_that_are_not_markdown_posts() -> None:
    assert is_markdown_name("post.MARKDOWN")
    assert not is_markdown_name("post.txt")
    assert not is_markdown_name("markdown")  # no suffix at all
    assert not is_markdown_name(".md") and not is_markdown_name("post.md.")  # a dotfile; no suffix
    assert is_markdown_name("a.b.Md") and is_markdown_name("..md") and is_markdown_name("a/b.mkd")
    assert is_bundle_index("index.markdown") and is_bundle_index("index.mdown")
    assert not is_bundle_index("index.html") and not is_bundle_index("indexes.md")


def test_a_bundle_whose_index_is_not_dot_md_serves_its_files(
    content_dir: Path, make_app: Any
) -> None:
    bundle = content_dir / "post" / "trip"
    bundle.mkdir(parents=True)
    (bundle / "index.markdown").write_text(
        post_text(title="Trip", body="![map](map.svg)"), encoding="utf-8"
    )
    (bundle / "map.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    client = make_app().test_client()
    page = parse(client.get("/posts/trip/"))
    assert page.select_one("img")["src"] == "map.svg"
    with client.get("/posts/trip/map.svg") as response:
        assert response.status_code == 200
    assert client.get("/posts/trip/index.markdown").status_code == 404  # the source stays private


def test_blog_check_names_pages_in_formats_that_are_not_read(
    content_dir: Path, write_post: WritePost
) -> None:
    write_post("_posts/2020-01-01-kept.md", title="Kept")
    write_post("_posts/2020-01-02-old.textile", title="Old")
    write_post("content/about.html", title="About")
    write_post("static/plain.html", text="<p>no front matter: a static file</p>")
    write_post("content/fragment.html", text="<p>no front matter</p>")
    problems = check_folder(content_dir, SETTINGS, PATHS)
    skipped = {str(p.path): p for p in problems if "not Markdown" in p.message}
    assert set(skipped) == {"_posts/2020-01-02-old.textile", "content/about.html"}
    assert all(p.severity == "error" for p in skipped.values())
    assert "textile" in skipped["_posts/2020-01-02-old.textile"].message


def test_a_real_hugo_site_copied_whole_reads_every_post(content_dir: Path) -> None:
    shutil.copytree(FIXTURES / "hugo-grpc", content_dir, dirs_exist_ok=True)
    problems = check_folder(content_dir, SETTINGS, PATHS)
    assert not [p for p in problems if "not Markdown" in p.message]
    assert len(read(content_dir).posts) == 5


def test_the_start_up_log_counts_posts_and_names_skipped_files(
    content_dir: Path, write_post: WritePost, make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    write_post("_posts/2020-01-01-kept.markdown", title="Kept")
    write_post("_posts/2020-01-02-old.textile", title="Old")
    write_post("_posts/2020-01-03-broken.md", text="---\ntitle: [unclosed\n---\n")
    with caplog.at_level("INFO", logger="webapp"):
        make_app()
    messages = [record.getMessage() for record in caplog.records]
    summary = next(m for m in messages if m.startswith("read 1 posts"))
    assert "2 files skipped (1 unreadable, 1 not Markdown)" in summary
    assert any(m.startswith("_posts/2020-01-02-old.textile: has front matter") for m in messages)
    assert any("_posts/2020-01-03-broken.md" in m for m in messages)


def test_a_whole_sites_theme_and_tooling_are_not_read_as_posts(
    content_dir: Path, write_post: WritePost
) -> None:
    write_post("content/post/kept.md", title="Kept")
    write_post("themes/paper/exampleSite/content/post/demo.md", title="A theme's demo")
    write_post("node_modules/pkg/README.md", title="A package's readme")
    write_post("static/notes.md", title="A static file")
    write_post("notes/themes/kept-too.md", title="Deeper down, a section may be called anything")
    library = read(content_dir)
    assert sorted(post.slug for post in library.posts) == ["kept", "kept-too"]
