"""Old Jekyll and Hugo addresses answer with a redirect to the post's address here."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from tests.conftest import parse
from webapp.posts.migration import hugo, jekyll
from webapp.posts.migration.permalinks import bundle_slug_parts, hugo_urls, jekyll_urls, urlize
from webapp.posts.slugs import slug_from_path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WHEN = datetime(2019, 3, 14, 9, 26)
POST = PurePosixPath("_posts/2019-03-14-Pi-Day.md")


@pytest.mark.parametrize(
    ("permalink", "expected"),
    [
        (None, ("/essays/maths/2019/03/14/Pi-Day.html", "/essays/maths/2019/03/14/Pi-Day")),
        ("date", ("/essays/maths/2019/03/14/Pi-Day.html", "/essays/maths/2019/03/14/Pi-Day")),
        ("pretty", ("/essays/maths/2019/03/14/Pi-Day/",)),
        ("ordinal", ("/essays/maths/2019/073/Pi-Day.html", "/essays/maths/2019/073/Pi-Day")),
        (
            "weekdate",
            ("/essays/maths/2019/W11/Thu/Pi-Day.html", "/essays/maths/2019/W11/Thu/Pi-Day"),
        ),
        ("none", ("/essays/maths/Pi-Day.html", "/essays/maths/Pi-Day")),
        ("/blog/:year/:i_month/:title/", ("/blog/2019/3/Pi-Day/",)),
    ],
)
def test_jekyll_permalink_styles(permalink: str | None, expected: tuple[str, ...]) -> None:
    """Jekyll's documented styles, with categories from front matter (lower-cased)."""
    config = {} if permalink is None else {"permalink": permalink}
    metadata = {"categories": ["Essays", "maths"]}
    assert jekyll_urls(POST, metadata, WHEN, config) == expected


def test_jekyll_own_permalink_slug_and_folder_categories() -> None:
    own = {"permalink": "/pi/"}
    assert jekyll_urls(POST, own, WHEN, {"permalink": "pretty"}) == ("/pi/",)
    slugged = {"slug": "pi"}
    assert jekyll_urls(POST, slugged, WHEN, {"permalink": "pretty"}) == ("/2019/03/14/pi/",)
    nested = PurePosixPath("blog/_posts/2019-03-14-pi-day.md")
    assert jekyll_urls(nested, {}, WHEN, {"permalink": "pretty"}) == ("/blog/2019/03/14/pi-day/",)


def test_the_real_jekyll_sites_addresses() -> None:
    """18F used `permalink: pretty`; jekyllrb.com a posts collection permalink."""
    eighteen_f = jekyll.load_config(FIXTURES / "jekyll-18f/_config.yml")
    source = PurePosixPath("_posts/2016-03-22-what-was-your-path-to-18f.md")
    assert jekyll_urls(source, {}, datetime(2016, 3, 22, 14), eighteen_f) == (
        "/2016/03/22/what-was-your-path-to-18f/",
    )
    jekyllrb = jekyll.load_config(FIXTURES / "jekyll-jekyllrb/_config.yml")
    source = PurePosixPath("_posts/2017-03-21-jekyll-3-4-3-released.markdown")
    assert jekyll_urls(source, {}, datetime(2017, 3, 21, 8), jekyllrb) == (
        "/news/2017/03/21/jekyll-3-4-3-released/",
    )


def test_the_real_hugo_sites_addresses() -> None:
    linkerd = hugo.load_config(FIXTURES / "hugo-linkerd")
    assert linkerd["permalinks"]["page"]["blog"] == "/:year/:month/:day/:slug/"
    bundle = PurePosixPath("content/blog/2019/0918-happy-birthday-linkerd/index.md")
    assert hugo_urls(
        bundle, {"slug": "happy-birthday-linkerd"}, datetime(2019, 9, 18), linkerd
    ) == ("/2019/09/18/happy-birthday-linkerd/",)
    titled = PurePosixPath("content/blog/2020/0217-architecting-multicluster/index.md")
    metadata = {"title": "Architecting for Multicluster Kubernetes"}
    assert hugo_urls(titled, metadata, datetime(2020, 2, 17), linkerd) == (
        "/2020/02/17/architecting-for-multicluster-kubernetes/",
    )
    grpc = hugo.load_config(FIXTURES / "hugo-grpc")  # contentDir: content/en
    source = PurePosixPath("content/en/blog/installation.md")
    assert hugo_urls(source, {}, datetime(2016, 4, 4), grpc) == ("/blog/installation/",)


def test_hugo_sections_bundles_url_and_permalinks() -> None:
    config = hugo.load_config(FIXTURES / "handwritten-hugo")
    july = PurePosixPath("content/retrospectives/2019/07/index.md")
    assert hugo_urls(july, {}, WHEN, config) == ("/retrospectives/2019/07/",)
    hello = PurePosixPath("content/post/hello.mdown")
    assert hugo_urls(hello, {"slug": "hi"}, datetime(2021, 3, 5), config) == ("/2021/03/hi/",)
    moved = PurePosixPath("content/post/moved.md")
    assert hugo_urls(moved, {"url": "/old/moved-here/"}, WHEN, config) == ("/old/moved-here/",)
    plain = PurePosixPath("content/notes/x.md")
    assert hugo_urls(plain, {"slug": "y"}, WHEN, config) == ("/notes/y/",)
    assert urlize("Linkerd 2.x turns one year old! 🎂") == "linkerd-2.x-turns-one-year-old-"


def test_bundles_are_named_by_their_path_below_the_section() -> None:
    assert bundle_slug_parts(PurePosixPath("content/retrospectives/2019/07/index.md")) == (
        "2019",
        "07",
    )
    assert slug_from_path(PurePosixPath("retrospectives/2020/07/index.md")) == "2020-07"
    assert slug_from_path(PurePosixPath("posts/bundle-post/index.md")) == "bundle-post"
    assert slug_from_path(PurePosixPath("trip/index.markdown")) == "trip"
    assert slug_from_path(PurePosixPath("posts/trip.md")) == "trip"


def serve(site: str, content_dir: Path, make_app: Any) -> Any:
    shutil.copytree(FIXTURES / site, content_dir, dirs_exist_ok=True)
    return make_app().test_client()


@pytest.mark.parametrize(
    ("site", "old", "new"),
    [
        (
            "jekyll-18f",
            "/2016/03/03/five-questions-for-the-nasa-chief-historian/",
            "/posts/five-questions-for-the-nasa-chief-historian/",
        ),
        (
            "jekyll-jekyllrb",
            "/news/2023/01/29/jekyll-3-9-3-released/",
            "/posts/jekyll-3-9-3-released/",
        ),
        (
            "hugo-linkerd",
            "/2021/06/17/linkerd-at-kubecon-eu/",
            "/posts/2021-0617-may-community-meeting-recap-part-1/",
        ),
        (
            "hugo-linkerd",  # an alias from the post's own front matter
            "/2017/01/23/linkerd-joins-the-cloud-native-computing-foundation/",
            "/posts/2017-0124-linkerd-joins-the-cloud-native-computing-foundation/",
        ),
        ("hugo-grpc", "/blog/wireshark/", "/posts/wireshark/"),
        ("handwritten-hugo", "/retrospectives/2019/07/", "/posts/2019-07/"),
        ("handwritten-hugo", "/retrospectives/2020/07/", "/posts/2020-07/"),
        ("handwritten-hugo", "/2021/03/hi/", "/posts/hi/"),
        ("handwritten-hugo", "/old/moved-here/", "/posts/moved/"),
    ],
)
def test_old_addresses_redirect_to_the_post(
    site: str, old: str, new: str, content_dir: Path, make_app: Any
) -> None:
    client = serve(site, content_dir, make_app)
    response = client.get(old)
    assert (response.status_code, response.location) == (301, new)
    assert client.get(new).status_code == 200


def test_two_bundles_with_one_folder_name_are_two_posts(content_dir: Path, make_app: Any) -> None:
    client = serve("handwritten-hugo", content_dir, make_app)
    first = parse(client.get("/posts/2019-07/"))
    second = parse(client.get("/posts/2020-07/"))
    assert first.select_one("h1").get_text(strip=True) == "July 2019 retrospective"
    assert second.select_one("h1").get_text(strip=True) == "July 2020 retrospective"
    # The relref in the 2020 post reaches the 2019 one; its bundle image is served.
    link = second.select_one(".post-body").find("a", string="last year’s")
    assert link["href"] == "/posts/2019-07/"
    assert "by Ann" in first.select_one(".post-body").get_text()
    with client.get("/posts/2019-07/chart.svg") as response:
        assert response.status_code == 200


def test_a_redirect_stub_answers_301_and_is_listed_nowhere(
    write_post: Any, content_dir: Path, make_app: Any
) -> None:
    # jekyll-redirect-from's redirect_to: the file stands for a page that moved.
    write_post("new.md", title="The new home", body="Moved here. Zebra.")
    write_post(
        "old.md",
        text="---\nredirect_to: /posts/new/\nredirect_from:\n  - /2018/old-name/\n---\n",
    )
    write_post(
        "away.md",
        text="---\ntitle: Gone elsewhere\ndate: 2020-01-01\n"
        "redirect_to: https://example.org/essay/\n---\nZebra text that is not here.\n",
    )
    app = make_app()
    client = app.test_client()
    for path, target in (
        ("/posts/old/", "/posts/new/"),
        ("/2018/old-name/", "/posts/new/"),
        ("/posts/away/", "https://example.org/essay/"),
    ):
        response = client.get(path)
        assert (response.status_code, response.location) == (301, target), path
    listed = parse(client.get("/")).select("ol.post-list h2 a")
    assert [a.get_text() for a in listed] == ["The new home"]
    for path in ("/feed.xml", "/sitemap.xml"):
        body = client.get(path).get_data(as_text=True)
        assert "/posts/old/" not in body and "/posts/away/" not in body, path
    results = parse(client.get("/search/?q=zebra")).select("#result-list h2 a")
    assert [a.get_text() for a in results] == ["The new home"]
    check = app.test_cli_runner().invoke(args=["blog", "check"])
    assert "redirect_to" not in check.output and check.exit_code == 0, check.output
