"""What authors rely on: drafts, schedules, debug errors, aliases, bundles, the CLI."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import HTMX_PARTIAL, WritePost, parse

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def titles(app: Flask, url: str = "/") -> list[str]:
    return [a.get_text() for a in parse(app.test_client().get(url)).select("ol.post-list h2 a")]


# --- drafts and schedules ----------------------------------------------------


def test_drafts_are_shown_marked_when_asked_for(write_post: WritePost, make_app: Any) -> None:
    write_post("wip.md", title="Work in progress", draft="true", tags='["essay"]')
    write_post("done.md", title="Done", tags='["essay"]')
    assert titles(make_app()) == ["Done"]
    shown = make_app(SHOW_DRAFTS=True)
    assert sorted(titles(shown)) == ["Done", "Work in progress"]
    assert sorted(titles(shown, "/tags/essay/")) == ["Done", "Work in progress"]
    item = parse(shown.test_client().get("/")).find("a", string="Work in progress")
    assert item.find_parent("article").select_one(".badge").get_text() == "Draft"


def test_a_scheduled_post_appears_at_its_moment_everywhere(
    write_post: WritePost, make_app: Any
) -> None:
    write_post("now.md", title="Already out", date="2025-06-01", tags='["essay"]')
    write_post("soon.md", title="Scheduled", date="2025-06-02T09:00:00+02:00", tags='["essay"]')
    app = make_app(TIMEZONE="Europe/Paris")
    blog = app.extensions["blog"]
    client = app.test_client()
    blog.now = lambda: datetime(2025, 6, 2, 6, 59, tzinfo=UTC)  # 08:59 in Paris
    for url in ("/", "/tags/essay/"):
        assert titles(app, url) == ["Already out"]
    assert client.get("/posts/soon/").status_code == 404
    tag_counts = parse(client.get("/tags/")).select_one(".tag-cloud a").get_text(" ", strip=True)
    assert tag_counts == "essay 1 post"

    blog.now = lambda: datetime(2025, 6, 2, 7, 0, tzinfo=UTC)  # 09:00 in Paris
    for url in ("/", "/tags/essay/"):
        assert titles(app, url) == ["Scheduled", "Already out"]  # not the cached answer
    assert client.get("/posts/soon/").status_code == 200
    fragment = parse(client.get("/partials/tags/essay/", headers=HTMX_PARTIAL))
    assert [a.get_text() for a in fragment.select("ol.post-list h2 a")][0] == "Scheduled"


def test_cached_answers_never_outlive_the_next_scheduled_post(
    write_post: WritePost, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_post("now.md", date="2025-06-01")
    write_post("soon.md", date="2025-06-01T12:00:30+00:00")
    app = make_app(CACHE_DEFAULT_TIMEOUT=300)
    app.extensions["blog"].now = lambda: datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    timeouts: list[int | None] = []
    backend = app.extensions["response_cache"].backend
    real_set = backend.set

    def recording_set(key: str, value: object, timeout: int | None = None) -> bool:
        timeouts.append(timeout)
        return bool(real_set(key, value, timeout=timeout))

    monkeypatch.setattr(backend, "set", recording_set)
    app.test_client().get("/")
    assert timeouts == [30]


# --- live editing in debug mode ----------------------------------------------


def test_debug_mode_shows_why_a_post_cannot_be_read(write_post: WritePost, make_app: Any) -> None:
    write_post("good.md", title="Good")
    write_post("broken.md", text="---\ntitle: Broken\ndate: 2024-02-30\n---\nBody")
    debug = make_app(DEBUG=True).test_client()
    response = debug.get("/posts/broken/")
    assert response.status_code == 500
    page = parse(response)
    assert page.h1.get_text() == "This post cannot be read"
    assert page.select_one(".content-error code").get_text() == "broken.md:3"
    assert "2024-02-30 is not a real date" in page.select_one(".problem").get_text()
    banner = parse(debug.get("/")).select_one("aside.content-errors")
    assert "broken.md:3" in banner.get_text()

    production = make_app().test_client()
    assert production.get("/posts/broken/").status_code == 404
    assert parse(production.get("/")).select("aside.content-errors") == []


def test_production_keeps_serving_the_last_good_version(
    write_post: WritePost, make_app: Any
) -> None:
    write_post("a.md", title="Good version")
    production = make_app().test_client()
    debug = make_app(DEBUG=True).test_client()
    assert production.get("/posts/a/").status_code == 200
    assert debug.get("/posts/a/").status_code == 200
    write_post("a.md", text="---\ntitle: [unfinished\n---\n")
    assert parse(production.get("/posts/a/")).h1.get_text() == "Good version"
    assert debug.get("/posts/a/").status_code == 500


# --- migration: aliases and bundles -----------------------------------------


def test_old_urls_redirect_to_the_post(content_dir: Path, make_app: Any) -> None:
    shutil.copytree(FIXTURES / "jekyll", content_dir, dirs_exist_ok=True)
    shutil.copytree(FIXTURES / "hugo/content", content_dir, dirs_exist_ok=True)
    client = make_app().test_client()
    for old, new in [
        ("/2019/03/14/pi-day.html", "/posts/pi-day/"),
        ("/pi", "/posts/pi-day/"),
        ("/pi/", "/posts/pi-day/"),
        ("/old/toml-post/", "/posts/toml-post/"),
        ("/2023/06/written-in-toml", "/posts/toml-post/"),
    ]:
        response = client.get(old)
        assert (response.status_code, response.location) == (301, new), old
    assert client.get("/no/such/old/url/").status_code == 404


def test_page_bundles_serve_their_files_beside_the_post(content_dir: Path, make_app: Any) -> None:
    shutil.copytree(FIXTURES / "hugo/content", content_dir, dirs_exist_ok=True)
    client = make_app().test_client()
    page = parse(client.get("/posts/bundle-post/"))
    image = page.select_one(".post-body img")["src"]
    link = page.select_one(".post-body a[href$='.csv']")["href"]
    bundle = FIXTURES / "hugo/content/posts/bundle-post"
    for relative, file in ((image, "diagram.svg"), (link, "data/table.csv")):
        with client.get("/posts/bundle-post/" + relative) as response:  # as a browser resolves it
            assert response.status_code == 200
            assert response.data == (bundle / file).read_bytes()
    for hidden in ("index.md", "../toml-post.md", ".secret", "data/../index.md"):
        assert client.get("/posts/bundle-post/" + hidden).status_code == 404, hidden
    assert client.get("/posts/toml-post/diagram.svg").status_code == 404  # not a bundle


# --- the command line ---------------------------------------------------------


def test_blog_new_writes_a_draft_with_front_matter(content_dir: Path, make_app: Any) -> None:
    app = make_app(TIMEZONE="Europe/Paris")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["blog", "new", "Hello, World: Part 2", "--tags", "essay, Business"]
    )
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.resolve() == content_dir / "hello-world-part-2.md"
    app.extensions["blog"].show_drafts = True
    post = app.extensions["blog"].library().get("hello-world-part-2")
    assert post is not None
    assert post.title == "Hello, World: Part 2"
    assert [t.name for t in post.tags] == ["essay", "Business"]
    assert post.draft
    assert post.published.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert abs(post.published - datetime.now(UTC)) < timedelta(minutes=1)

    again = runner.invoke(args=["blog", "new", "Hello World Part 2"])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_blog_check_reports_each_problem_with_its_line(content_dir: Path, make_app: Any) -> None:
    (content_dir / "a.md").write_text(
        "---\ntitle: A\ndate: 2024-01-01\ntags: [Machine Learning]\ntgas: [x]\n---\n\n"
        "Text[^1] and [^2], [a dead link](/posts/nope/) and [a live one](../b/).\n\n"
        "`[^in-code]`\n\n[^1]: One.\n[^3]: Never used.\n"
    )
    (content_dir / "b.md").write_text(
        "---\ntitle: B\ndate: 2024-01-02\ntags: machine learning, x\n---\nB."
    )
    (content_dir / "c.md").write_text("---\ntitle: B again\ndate: 2024-01-03\nslug: b\n---\nC.")
    (content_dir / "d.md").write_text("---\ntitle: [bad\n---\n")
    result = make_app().test_cli_runner().invoke(args=["blog", "check"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    a, b, c, d = (_shown(content_dir, name) for name in ("a.md", "b.md", "c.md", "d.md"))
    assert lines[:-1] == [
        f"{a}:8: error: footnote [^2] has no definition",
        f"{a}:8: error: links to /posts/nope/, but no post has slug 'nope'",
        f"{d}:3: error: front matter is not valid YAML: did not find "
        "expected ',' or ']' (parsing a flow sequence started on line 2)",
        "-- warnings: footnotes (1)",
        f"{a}:13: warning: footnote [^3] is defined but never referenced",
        "-- warnings: one tag written several ways (1)",
        f"{b}:4: warning: tags: tag 'machine learning' is written "
        "'Machine Learning' in 1 other post(s); the site shows 'Machine Learning' everywhere",
        "-- warnings: slugs claimed by two files (1)",
        f"{c}: warning: slug: slug 'b' is already used by b.md; this post has slug 'b-2'"
        " (set 'slug' to choose another)",
        "-- warnings: unknown front matter keys (1)",
        f"{a}:5: warning: tgas: is not a key this site reads; did you mean 'tags'?",
    ]
    assert lines[-1] == "3 errors, 4 warnings"


def test_a_footnote_reference_is_missing_only_where_readers_see_it_as_text(
    content_dir: Path, make_app: Any
) -> None:
    (content_dir / "a.md").write_text(
        "---\ntitle: A\ndate: 2024-01-01\n---\n\n"
        "Shown as text: [^2].\n\n    indented code [^3]\n\n<code>[^4]</code> and `[^5]`\n\n"
        "```\nfenced [^6]\n```\n"
    )
    result = make_app().test_cli_runner().invoke(args=["blog", "check", "--format", "json"])
    problems = json.loads(result.output)["problems"]
    assert [(p["line"], p["severity"], p["message"]) for p in problems] == [
        (6, "error", "footnote [^2] has no definition")
    ]


def test_blog_check_json_and_strict(content_dir: Path, make_app: Any) -> None:
    (content_dir / "a.md").write_text("---\ntitle: A\ndate: 2024-01-01\nmood: fine\n---\nA.")
    runner = make_app().test_cli_runner()
    result = runner.invoke(args=["blog", "check", "--format", "json"])
    assert result.exit_code == 0  # warnings alone pass
    report = json.loads(result.output)
    assert (report["errors"], report["warnings"]) == (0, 1)
    assert report["problems"][0] == {
        "path": _shown(content_dir, "a.md"),
        "line": 4,
        "field": "mood",
        "severity": "warning",
        "message": "is not a key this site reads",
        "kind": "unknown front matter keys",
    }
    assert report["warnings_by_kind"] == {"unknown front matter keys": 1}
    assert runner.invoke(args=["blog", "check", "--strict"]).exit_code == 1


def test_blog_check_passes_on_the_sample_site(sample_app: Flask) -> None:
    result = sample_app.test_cli_runner().invoke(args=["blog", "check"])
    assert result.exit_code == 0, result.output
    assert "error" not in result.output.replace("0 errors", "")


def _shown(root: Path, name: str) -> str:
    return os.path.relpath(root / name)
