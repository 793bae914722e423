"""flask blog freeze: the site as files, fragments included, rewritten only where changed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from tests.conftest import PROJECT_ROOT, post_text


def freeze(app: Any, destination: Path) -> str:
    result = app.test_cli_runner().invoke(args=["blog", "freeze", str(destination)])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def page(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(), "html.parser")


def test_the_export_holds_every_page_and_fragment(
    content_dir: Path, make_app: Any, tmp_path: Path
) -> None:
    shutil.copytree(PROJECT_ROOT / "content", content_dir, dirs_exist_ok=True)
    out = tmp_path / "out"
    freeze(make_app(SITE_URL="https://blog.example"), out)
    index = page(out / "index.html")
    assert index.html is not None and index.select("ol.post-list > li")
    assert not index.select("a[href='/search/']")  # no search without the application
    # Every link a reader or htmx can follow leads to a file.
    for document in out.rglob("*.html"):
        for link in page(document).select("[href^='/'], [data-hx-get^='/']"):
            target = (link.get("data-hx-get") or link["href"]).split("#")[0].split("?")[0]
            file = out / target.lstrip("/")
            assert file.is_file() or (file / "index.html").is_file(), (document, target)
    fragment = page(out / "partials/tags/essay/index.html")
    assert fragment.html is None and fragment.section["id"] == "listing"
    post = page(out / "posts/the-boring-advantage/index.html")
    for ref in post.select("a.footnote-ref"):
        note = out / "posts/the-boring-advantage" / ref["data-hx-get"] / "index.html"
        assert page(note).select_one(".footnote-text"), note
    assert (out / "404.html").read_text().count("Not found") >= 1
    assert "https://blog.example/posts/the-boring-advantage/" in (out / "feed.xml").read_text()
    assert (out / "static/vendor/htmx-4.0.1.min.js").is_file()


def test_only_changed_files_are_rewritten(content_dir: Path, make_app: Any, tmp_path: Path) -> None:
    for day in (1, 2, 3):
        (content_dir / f"p{day}.md").write_text(
            post_text(title=f"Post {day}", date=f"2024-01-0{day}", tags='["essay"]')
        )
    (content_dir / "other.md").write_text(
        post_text(title="Other", date="2023-01-01", tags='["misc"]')
    )
    out = tmp_path / "out"
    app = make_app()
    first = freeze(app, out)
    assert "0 unchanged" in first
    mtimes = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    unchanged = len(mtimes) - 1  # every file but the export's marker
    assert freeze(app, out).endswith(f"0 files written, {unchanged} unchanged, 0 removed")

    (content_dir / "p2.md").write_text(
        post_text(title="Post 2, revised", date="2024-01-02", tags='["essay"]')
    )
    report = freeze(app, out)
    changed = {
        path.relative_to(out).as_posix()
        for path in out.rglob("*")
        if path.is_file() and path.stat().st_mtime_ns != mtimes.get(path)
    } - {".marginalia-export"}  # the manifest, rewritten by every export that renders
    assert "posts/p2/index.html" in changed and "tags/essay/index.html" in changed
    assert "posts/other/index.html" not in changed
    assert "static/css/site.css" not in changed
    assert report.startswith(f"{out}: {len(changed)} files written")

    (content_dir / "other.md").unlink()
    (out / "gone/deeper/still").mkdir(parents=True)
    (out / "gone/deeper/stray.html").write_text("no longer part of the site")
    (out / "posts/stray.html").write_text("nor this")
    assert "removed" in freeze(app, out)
    assert not (out / "posts/other").exists() and not (out / "gone").exists()
    assert not (out / "posts/stray.html").exists() and (out / "posts/p2/index.html").is_file()


def test_freezing_refuses_a_folder_it_did_not_make(make_app: Any, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    result = make_app().test_cli_runner().invoke(args=["blog", "freeze", str(precious)])
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert (precious / "thesis.txt").read_text() == "do not delete"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and path.name != ".marginalia-export"
    }


def test_an_export_after_edits_equals_a_fresh_export(
    content_dir: Path, make_app: Any, tmp_path: Path
) -> None:
    shutil.copytree(PROJECT_ROOT / "content", content_dir, dirs_exist_ok=True)
    posts = sorted(content_dir.glob("*.md"))
    edits = [
        lambda: posts[0].write_text(
            posts[0].read_text() + "\nA new closing line.[^late]\n\n[^late]: Late.\n"
        ),
        lambda: posts[1].write_text(posts[1].read_text().replace("title:", "title: Renamed", 1)),
        lambda: posts[2].write_text(posts[2].read_text().replace("tags: [", "tags: [fresh, ", 1)),
        lambda: (content_dir / "new.md").write_text(
            post_text(title="Newest", date="2030-01-01", tags='["essay"]')
        ),
        lambda: posts[3].unlink(),
    ]
    out = tmp_path / "out"
    freeze(make_app(PAGE_SIZE=2), out)
    for number, edit in enumerate(edits):
        edit()
        report = freeze(make_app(PAGE_SIZE=2), out)
        fresh = tmp_path / f"fresh-{number}"
        freeze(make_app(PAGE_SIZE=2), fresh)
        assert tree(out) == tree(fresh), (number, report)
        # Only what depends on the edit was rendered: most of the site stayed.
        assert int(report.split(", ")[1].split()[0]) > 0, report


def test_an_export_leaves_the_response_cache_as_it_was(
    content_dir: Path, make_app: Any, tmp_path: Path
) -> None:
    """An export asks for each URL once: keeping the answers (in a Redis the
    live site shares, perhaps) would only fill the cache."""
    (content_dir / "p.md").write_text(post_text(title="Post", tags='["essay"]'))
    app = make_app(SITE_URL="https://blog.example")
    freeze(app, tmp_path / "out")
    client = app.test_client()
    for url in ("/", "/posts/p/", "/tags/essay/", "/feed.xml"):
        assert client.get(url).headers["X-Cache"] == "miss", url
        assert client.get(url).headers["X-Cache"] == "hit", url


def test_an_export_in_processes_without_a_post_store_equals_one_in_one_process(
    write_post: Any, make_app: Any, tmp_path: Path
) -> None:
    """Enough posts for the export to fork; bodies rendered in one process are
    shared with the others through a file of the export's own."""
    from webapp.export import freeze_site

    for number in range(40):
        body = f"Post {number} says a thing.[^1]\n\n[^1]: A note on post {number}.\n"
        write_post(f"post-{number}.md", title=f"Post {number}", body=body, tags=["one", "two"])
    app = make_app(POST_STORE="off")
    together, apart = tmp_path / "together", tmp_path / "apart"
    freeze_site(app, together, processes=1)
    report = freeze_site(app, apart, processes=2)
    assert report.written > 64
    files = sorted(path.relative_to(together) for path in together.rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(apart) for path in apart.rglob("*") if path.is_file())
    for file in files:
        assert (together / file).read_bytes() == (apart / file).read_bytes(), file
    note = page(apart / "posts/post-7/footnotes/1/index.html")
    assert "A note on post 7." in note.get_text()
