"""A whole Jekyll or Hugo site as the content folder: its posts and static files are found."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from webapp.posts import ReaderSettings
from webapp.posts.migration.siteroot import find_site
from webapp.posts.store import fingerprint

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_a_jekyll_site() -> None:
    root = FIXTURES / "jekyll-18f"
    site = find_site(root)
    assert site.kind == "jekyll"
    assert site.post_folders == (root / "_posts",)
    assert site.static == (("/assets/", root / "assets"),)  # _includes/ is not published
    assert site.config_files == (root / "_config.yml",)


def test_a_hugo_site_with_config_folder_and_one_with_a_language_content_dir() -> None:
    linkerd = find_site(FIXTURES / "hugo-linkerd")
    assert linkerd.kind == "hugo"
    assert linkerd.post_folders == (FIXTURES / "hugo-linkerd/content",)
    assert linkerd.static == (("/", FIXTURES / "hugo-linkerd/static"),)
    assert {path.name for path in linkerd.config_files} == {"hugo.yaml", "permalinks.yaml"}
    grpc = find_site(FIXTURES / "hugo-grpc")
    assert grpc.post_folders == (FIXTURES / "hugo-grpc/content",)
    assert [path.name for path in grpc.config_files] == ["config.yaml"]


def test_a_plain_folder_of_posts() -> None:
    site = find_site(FIXTURES / "hugo/content/posts")
    assert (site.kind, site.post_folders, site.static) == (
        "posts",
        (FIXTURES / "hugo/content/posts",),
        (),
    )


IMAGE = re.compile(r"""(?:!\[[^\]]*\]\(|src=")(?:\{\{ ?site\.baseurl ?\}\})?(/[^)"\s]+)""")


@pytest.mark.parametrize(
    ("site", "url"),
    [
        ("jekyll-18f", "/assets/blog/nasa-historian/meatball.jpg"),
        ("jekyll-jekyllrb", "/img/footer-logo.png"),
        ("hugo-linkerd", "/images/identity/favicon/linkerd-favicon.png"),
        ("hugo-grpc", "/img/external-link-icon.png"),
        ("handwritten-hugo", "/img/dot.svg"),
    ],
)
def test_static_files_are_found_at_the_urls_they_had(site: str, url: str) -> None:
    root = FIXTURES / site
    found = find_site(root).static_file(url)
    assert found is not None and found.is_file()
    assert found.read_bytes()[:4] in (b"\xff\xd8\xff\xe0", b"\x89PNG", b"<svg")


def test_images_the_real_posts_use_are_found_unless_left_out_of_the_excerpt() -> None:
    """Every root-relative image in the 18F posts: the two kept resolve, the rest are named."""
    root = FIXTURES / "jekyll-18f"
    site = find_site(root)
    used = {
        match.group(1)
        for post in (root / "_posts").iterdir()
        for match in IMAGE.finditer(post.read_text(encoding="utf-8"))
    }
    found = {url for url in used if site.static_file(url) is not None}
    assert found == {
        "/assets/blog/nasa-historian/meatball.jpg",
        "/assets/blog/nasa-historian/worm-logo.jpg",
    }
    assert used - found  # the excerpt leaves the other images out


@pytest.mark.parametrize(
    "url",
    [
        "/assets/../_config.yml",
        "/assets/blog/../../_posts/2016-03-22-what-was-your-path-to-18f.md",
        "/_posts/2016-03-22-what-was-your-path-to-18f.md",
        "/_includes/svg/blog/upload_cloud.svg",
        "/assets/.secret",
        "/assets/",
        "/NOTICE",
    ],
)
def test_nothing_else_is_served(url: str, tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "jekyll-18f", root)
    (root / "assets" / ".secret").write_text("no", encoding="utf-8")
    assert find_site(root).static_file(url) is None


def test_a_link_out_of_a_static_folder_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    (root / "assets").mkdir()
    (tmp_path / "private.txt").write_text("secret", encoding="utf-8")
    (root / "assets" / "leak.txt").symlink_to(tmp_path / "private.txt")
    assert find_site(root).static_file("/assets/leak.txt") is None


@pytest.mark.parametrize(
    ("site", "url", "file"),
    [
        (
            "jekyll-18f",
            "/assets/blog/nasa-historian/meatball.jpg",
            "assets/blog/nasa-historian/meatball.jpg",
        ),
        ("handwritten-hugo", "/img/dot.svg", "static/img/dot.svg"),
    ],
)
def test_the_server_answers_static_files_at_their_old_urls(
    site: str, url: str, file: str, content_dir: Path, make_app: Any
) -> None:
    shutil.copytree(FIXTURES / site, content_dir, dirs_exist_ok=True)
    (content_dir / "assets").mkdir(exist_ok=True)
    (content_dir / "assets" / "page.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    client = make_app().test_client()
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.data == (content_dir / file).read_bytes()
    for refused in (
        "/_config.yml",
        "/assets/../_config.yml",
        "/assets/page.md",
        "/static/img/dot.svg",
    ):
        assert client.get(refused).status_code == 404, refused


def test_stored_posts_are_read_again_when_the_sites_configuration_changes(tmp_path: Path) -> None:
    """Posts expand Liquid and shortcodes from the site's configuration at read time."""
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "jekyll-jekyllrb", root)
    settings = ReaderSettings()
    before = fingerprint(root, settings)
    assert fingerprint(root, settings) == before
    with (root / "_config.yml").open("a", encoding="utf-8") as config:
        config.write("permalink: pretty\n")
    assert fingerprint(root, settings) != before
