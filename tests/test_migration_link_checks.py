"""``blog check`` names links and images that will not work as written, and the
site really answers them as the check says (301 for an old address, 404 for a
missing file, 200 for the rest)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import WritePost

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OLD = "links and images at old addresses (they redirect: use the new one)"
MISSING = "links and images that will not load (404)"


def check(make_app: Any) -> dict[str, Any]:
    result = make_app().test_cli_runner().invoke(args=["blog", "check", "--format", "json"])
    report: dict[str, Any] = json.loads(result.output)
    return report


def reported(report: dict[str, Any], kind: str) -> dict[tuple[str, int], str]:
    """(path below the content folder, line) -> message, for one kind (several on
    one line are joined by newlines)."""
    root = Path(report["content_dir"])
    found: dict[tuple[str, int], str] = {}
    for problem in report["problems"]:
        if problem["kind"] == kind:
            path = (Path.cwd() / problem["path"]).resolve().relative_to(root).as_posix()
            place = (path, problem["line"])
            found[place] = "\n".join(filter(None, (found.get(place), problem["message"])))
    return found


def status(client: Any, url: str) -> tuple[int, str | None]:
    """The status and Location of the answer at url (closing any file it sends)."""
    with client.get(url) as response:
        return response.status_code, response.location


def test_a_hugo_site_s_links_to_old_addresses_and_missing_bundle_images(
    content_dir: Path, make_app: Any
) -> None:
    shutil.copytree(FIXTURES / "hugo-linkerd", content_dir, dirs_exist_ok=True)
    report = check(make_app)
    old = reported(report, OLD)
    missing = reported(report, MISSING)
    assert report["warnings_by_kind"][OLD] == len(old) == 1
    assert report["warnings_by_kind"][MISSING] == len(missing)
    # Written as /2021/02/23/protocol-detection-and-opaque-ports-in-linkerd/ on line 113.
    link = "content/blog/2021/0317-february-linkerd-community-meeting/index.md"
    message = old[(link, 113)]
    new = "/posts/2021-0223-protocol-detection-and-opaque-ports/"
    assert message.endswith(f"use {new}")
    bundle = "content/blog/2021/0223-protocol-detection-and-opaque-ports/index.md"
    assert "protocol_detection_base.png" in missing[(bundle, 33)]
    # The bundle image that is there, and links to other sites, are not named.
    assert not any("buoyant-linkerd-logo.png" in m for m in missing.values())
    assert not any("slack.linkerd.io" in m for m in missing.values())
    # A page of the old site that is not carried over.
    assert (
        "/community/get-involved/"
        in missing[("content/blog/2019/0918-happy-birthday-linkerd/index.md", 112)]
    )

    client = make_app().test_client()
    answer = status(client, "/2021/02/23/protocol-detection-and-opaque-ports-in-linkerd/")
    assert answer == (301, new)
    assert status(client, new + "protocol_detection_base.png")[0] == 404
    logo = "/posts/2017-0124-linkerd-joins-the-cloud-native-computing-foundation/"
    assert status(client, logo + "buoyant-linkerd-logo.png")[0] == 200
    assert status(client, "/community/get-involved/")[0] == 404


def test_a_jekyll_site_s_images_missing_from_its_assets(content_dir: Path, make_app: Any) -> None:
    shutil.copytree(FIXTURES / "jekyll-18f", content_dir, dirs_exist_ok=True)
    missing = reported(check(make_app), MISSING)
    post = "_posts/2016-03-03-five-questions-for-the-nasa-chief-historian.md"
    # {{site.baseurl}}/assets/blog/nasa-historian/nasa-historian.jpg, on line 40.
    assert "/assets/blog/nasa-historian/nasa-historian.jpg" in missing[(post, 40)]
    assert not any("meatball.jpg" in m or "worm-logo.jpg" in m for m in missing.values())
    # <img src="{{site.baseurl}}/assets/…"> in HTML too.
    html = "_posts/2016-07-19-strategies-for-starting-your-own-writing-lab.md"
    assert "writing-lab-screenshot.png" in missing[(html, 17)]
    client = make_app().test_client()
    assert status(client, "/assets/blog/nasa-historian/nasa-historian.jpg")[0] == 404
    assert status(client, "/assets/blog/nasa-historian/meatball.jpg")[0] == 200


def test_a_hugo_static_image_that_is_not_there(content_dir: Path, make_app: Any) -> None:
    shutil.copytree(FIXTURES / "hugo-grpc", content_dir, dirs_exist_ok=True)
    report = check(make_app)
    missing = reported(report, MISSING)
    message = missing[("content/en/blog/kotlin-gradle-projects.md", 134)]
    assert message.startswith("image /img/kotlin-project-android-app.png will not load (404)")
    # The relref to another post is its new address: nothing to say about it.
    assert not reported(report, OLD)


def test_text_output_groups_each_kind_under_its_count(content_dir: Path, make_app: Any) -> None:
    shutil.copytree(FIXTURES / "hugo-linkerd", content_dir, dirs_exist_ok=True)
    result = make_app().test_cli_runner().invoke(args=["blog", "check"])
    lines = result.output.splitlines()
    assert f"-- warnings: {OLD} (1)" in lines
    heading = next(line for line in lines if line.startswith(f"-- warnings: {MISSING} ("))
    after = lines[lines.index(heading) + 1]
    assert ": warning: " in after and "will not load (404)" in after


def test_every_way_of_writing_a_link_or_image(
    content_dir: Path, write_post: WritePost, make_app: Any
) -> None:
    (content_dir / "_config.yml").write_text("url: https://old.example.org\npermalink: date\n")
    write_post("_posts/2019-03-14-pi-day.md", title="Pi day", date="2019-03-14")
    write_post(
        "_posts/2019-04-01-moved.md",
        title="Moved",
        date="2019-04-01",
        redirect_from="[/old-moved/]",
    )
    write_post("_posts/2019-05-01-gone.md", title="Gone", redirect_to="https://else.example/")
    (content_dir / "assets").mkdir()
    (content_dir / "assets" / "here.png").write_bytes(b"png")
    body = "\n".join(
        [
            "[new address]({% post_url 2019-03-14-pi-day %}) is fine.",  # 1
            "[jekyll permalink](/2019/03/14/pi-day.html)",  # 2: old
            "[redirect_from](/old-moved/)",  # 3: old
            "[on the old host](https://old.example.org/2019/03/14/pi-day.html)",  # 4: old
            "[a stub](/posts/gone/)",  # 5: old (a redirect)
            "![here]({{ site.baseurl }}/assets/here.png)",  # 6: fine
            '<img src="/assets/not-here.png" alt="x">',  # 7: 404
            "![beside](beside.png)",  # 8: 404, not a bundle
            "[a css file](/static/css/nope.css) and [the icon](/static/favicon.svg)",  # 9
            "[other site](https://else.example/a.png) [tags](/tags/) [anchor](#x)",  # 10
            "[no such post](/posts/nothing/)",  # 11: error
        ]
    )
    write_post("_posts/2020-01-01-links.md", title="Links", date="2020-01-01", body=body)
    report = check(make_app)
    first = 6  # the body's first line in the file
    old = {line - first + 1 for (_, line) in reported(report, OLD)}
    missing = {line - first + 1: m for (_, line), m in reported(report, MISSING).items()}
    errors = {
        p["line"] - first + 1: p["message"] for p in report["problems"] if p["kind"] == "errors"
    }
    assert old == {2, 3, 4, 5}
    assert set(missing) == {7, 8, 9}
    assert "is not a page bundle" in missing[8]
    assert "/static/css/nope.css" in missing[9]
    assert errors == {11: "links to /posts/nothing/, but no post has slug 'nothing'"}
    messages = reported(report, OLD).values()
    assert any(
        m.endswith("use /posts/pi-day/") and "/2019/03/14/pi-day.html" in m for m in messages
    )
    assert any(m.endswith("use https://else.example/") for m in messages)

    client = make_app().test_client()
    assert status(client, "/2019/03/14/pi-day.html")[0] == 301
    assert status(client, "/old-moved/")[0] == 301
    assert status(client, "/assets/here.png")[0] == 200
    assert status(client, "/assets/not-here.png")[0] == 404
    assert status(client, "/posts/links/beside.png")[0] == 404
    assert status(client, "/static/css/nope.css")[0] == 404
    assert status(client, "/static/favicon.svg")[0] == 200


def test_hugo_shortcodes_and_bundles(
    content_dir: Path, write_post: WritePost, make_app: Any
) -> None:
    (content_dir / "hugo.toml").write_text('baseURL = "https://old.example.org/"\n')
    write_post("content/post/first.md", title="First", aliases="[/first-old/]")
    write_post(
        "content/post/trip/index.md",
        title="Trip",
        body="""
        {{< figure src="map.png" >}}
        {{< figure src="missing.png" >}}
        [ref]({{< ref "first" >}}) [section path](/post/first/) [alias](/first-old/)
        [data](data/table.csv)
        """,
    )
    (content_dir / "content/post/trip/map.png").write_bytes(b"png")
    report = check(make_app)
    missing = reported(report, MISSING)
    old = "\n".join(reported(report, OLD).values()).splitlines()
    assert [m.split(" will")[0] for m in missing.values()] == [
        "image missing.png",
        "link data/table.csv",
    ]
    assert sorted(m.split(" is the")[0] for m in old) == ["link /first-old/", "link /post/first/"]
    assert all(m.endswith("use /posts/first/") for m in old)
    assert (content_dir / "content/post/trip/index.md").read_text().splitlines()[
        next(iter(missing))[1] - 1
    ].strip() == '{{< figure src="missing.png" >}}'


def test_a_post_with_only_fine_links_has_nothing_reported(
    content_dir: Path, write_post: WritePost, make_app: Any
) -> None:
    write_post("a.md", title="A", body="[B](/posts/b/) ![icon](/static/favicon.svg)")
    write_post("b.md", title="B", body="[A](../a/) [feed](/feed.xml)")
    report = check(make_app)
    assert report["problems"] == [], report["problems"]
