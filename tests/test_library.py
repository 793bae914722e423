"""The library: order, tags, drafts, schedules, and keeping up with the files."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import WritePost, post_text
from webapp.posts import ContentFolder, ReaderSettings, Renderer, summarize
from webapp.posts import folder as folder_module

NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)

MakeFolder = Callable[..., ContentFolder]


@pytest.fixture(params=["inotify", "polling"])
def make_folder(request: pytest.FixtureRequest, content_dir: Path) -> MakeFolder:
    """A ContentFolder over content_dir, watched by inotify or by rescanning each time."""
    folders: list[ContentFolder] = []

    def make(**kwargs: object) -> ContentFolder:
        folder = ContentFolder(
            content_dir,
            SETTINGS,
            use_inotify=request.param == "inotify",
            poll_interval=0,
            **kwargs,  # type: ignore[arg-type]
        )
        folders.append(folder)
        return folder

    yield make
    for folder in folders:
        folder.close()


def slugs(folder: ContentFolder, **kwargs: object) -> list[str]:
    return [post.slug for post in folder.library(NOW, **kwargs).posts]  # type: ignore[arg-type]


def test_posts_newest_first(write_post: WritePost, make_folder: MakeFolder) -> None:
    write_post("old.md", date="2020-01-01")
    write_post("new.md", date="2024-06-01")
    write_post("mid.md", date="2022-03-04 10:00")
    assert slugs(make_folder()) == ["new", "mid", "old"]


def test_related_posts_share_the_most_tags_then_are_the_newest(
    write_post: WritePost, make_folder: MakeFolder
) -> None:
    write_post("me.md", date="2021-01-01", tags="[a, b, c]")
    write_post("one-old.md", date="2019-01-01", tags="[a]")
    write_post("one-new.md", date="2024-01-01", tags="[c, z]")
    write_post("two-old.md", date="2018-01-01", tags="[a, b]")
    write_post("two-new.md", date="2020-01-01", tags="[b, c]")
    write_post("three.md", date="2017-01-01", tags="[c, b, a]")
    write_post("none.md", date="2025-01-01", tags="[z]")
    library = make_folder().library(NOW)
    me = library.get("me")
    assert me is not None
    related = [post.slug for post in library.related(me, limit=5)]
    assert related == ["three", "two-new", "two-old", "one-new", "one-old"]
    assert [post.slug for post in library.related(me)] == ["three", "two-new", "two-old"]
    lonely = library.get("none")
    assert lonely is not None
    assert [post.slug for post in library.related(lonely)] == ["one-new"]


def test_reads_subfolders_and_ignores_dotfiles_and_other_files(
    write_post: WritePost, content_dir: Path, make_folder: MakeFolder
) -> None:
    write_post("a.md")
    write_post("deep/er/b.md")
    write_post(".hidden.md")
    write_post(".git/c.md")
    write_post("notes.txt")
    write_post("d.markdown")  # Jekyll's and Hugo's suffix: a post too
    assert sorted(slugs(make_folder())) == ["a", "b", "d"]


def test_links_leaving_the_folder_are_not_followed(
    write_post: WritePost, content_dir: Path, tmp_path: Path, make_folder: MakeFolder
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(post_text(title="Secret"))
    os.symlink(outside / "secret.md", content_dir / "linked-file.md")
    os.symlink(outside, content_dir / "linked-folder")
    write_post("real.md")
    os.symlink(content_dir / "real.md", content_dir / "alias.md")
    assert sorted(slugs(make_folder())) == ["alias", "real"]


def test_drafts_are_hidden_unless_asked_for(write_post: WritePost, make_folder: MakeFolder) -> None:
    write_post("public.md")
    write_post("wip.md", draft="true")
    folder = make_folder()
    assert slugs(folder) == ["public"]
    assert sorted(slugs(folder, drafts=True)) == ["public", "wip"]


def test_scheduled_posts_appear_at_their_time(
    write_post: WritePost, make_folder: MakeFolder
) -> None:
    write_post("now.md", date="2024-12-31")
    write_post("later.md", date="2025-01-01T18:00:00+00:00")
    folder = make_folder()
    before = folder.library(NOW)
    assert [p.slug for p in before.posts] == ["now"]
    assert before.next_publication == datetime(2025, 1, 1, 18, tzinfo=UTC)
    after = folder.library(NOW + timedelta(hours=7))
    assert [p.slug for p in after.posts] == ["later", "now"]
    assert after.next_publication is None
    assert after.version != before.version


def test_tags_with_counts_in_their_most_common_form(
    write_post: WritePost, make_folder: MakeFolder
) -> None:
    write_post("a.md", tags='["Essay", "python"]', date="2024-01-01")
    write_post("b.md", tags='["essay"]', date="2024-01-02")
    write_post("c.md", tags='["Essay", "business"]', date="2024-01-03")
    library = make_folder().library(NOW)
    assert [(tc.tag.slug, tc.tag.name, tc.count) for tc in library.tags] == [
        ("business", "business", 1),
        ("essay", "Essay", 3),
        ("python", "python", 1),
    ]
    assert [p.slug for p in library.by_tag("essay")] == ["c", "b", "a"]
    assert [p.slug for p in library.by_tag("essay", "python")] == ["a"]
    assert library.by_tag("essay", "nope") == ()
    b = library.get("b")
    assert b is not None and [t.name for t in library.display_tags(b)] == ["Essay"]


def test_neighbours(write_post: WritePost, make_folder: MakeFolder) -> None:
    for day in (1, 2, 3):
        write_post(f"p{day}.md", date=f"2024-01-0{day}")
    library = make_folder().library(NOW)
    p2 = library.get("p2")
    assert p2 is not None
    newer, older = library.neighbours(p2)
    assert (newer and newer.slug, older and older.slug) == ("p3", "p1")


def test_a_broken_file_is_left_out_and_reported(
    write_post: WritePost, make_folder: MakeFolder, caplog: pytest.LogCaptureFixture
) -> None:
    write_post("good.md")
    write_post("bad.md", text="---\ntitle: [oops\ndate: 2024-01-01\n---\n")
    library = make_folder().library(NOW)
    assert [p.slug for p in library.posts] == ["good"]
    assert [str(e.path) for e in library.errors] == ["bad.md"]
    assert "bad.md:3: front matter is not valid YAML" in caplog.text
    assert "started on line 2" in caplog.text


def test_duplicate_slugs_keep_every_post_reachable_and_say_so(
    write_post: WritePost, make_folder: MakeFolder
) -> None:
    write_post("a/same.md", title="First")
    write_post("b/same.md", title="Second")
    write_post("a-b/same.md", title="Third")  # after "a/" folder by folder, before it as text
    library = make_folder().library(NOW)
    assert {p.slug: p.title for p in library.posts} == {
        "same": "First",
        "same-2": "Third",
        "same-3": "Second",
    }
    assert [str(e) for e in library.errors] == [
        "a-b/same.md: slug: slug 'same' is already used by a/same.md; this post has slug"
        " 'same-2' (set 'slug' to choose another)",
        "b/same.md: slug: slug 'same' is already used by a/same.md; this post has slug"
        " 'same-3' (set 'slug' to choose another)",
    ]
    assert all(error.severity == "warning" for error in library.errors)


# --- keeping up with the files ---------------------------------------------


def test_an_edit_shows_up_on_the_next_look(write_post: WritePost, make_folder: MakeFolder) -> None:
    write_post("a.md", title="Before")
    folder = make_folder()
    before = folder.library(NOW)
    write_post("a.md", title="After")
    after = folder.library(NOW)
    assert [p.title for p in after.posts] == ["After"]
    assert after.version != before.version


def test_new_deleted_and_renamed_files(
    write_post: WritePost, content_dir: Path, make_folder: MakeFolder
) -> None:
    write_post("a.md")
    folder = make_folder()
    write_post("b.md")
    assert sorted(slugs(folder)) == ["a", "b"]
    (content_dir / "a.md").unlink()
    assert slugs(folder) == ["b"]
    (content_dir / "b.md").rename(content_dir / "c.md")
    assert slugs(folder) == ["c"]


def test_an_editor_saving_through_a_temporary_file(
    write_post: WritePost, content_dir: Path, make_folder: MakeFolder
) -> None:
    write_post("a.md", title="Old")
    folder = make_folder()
    temporary = content_dir / ".a.md.swp"
    temporary.write_text(post_text(title="New"))
    assert [p.title for p in folder.library(NOW).posts] == ["Old"]
    temporary.replace(content_dir / "a.md")
    assert [p.title for p in folder.library(NOW).posts] == ["New"]


def test_new_and_removed_folders(
    write_post: WritePost, content_dir: Path, make_folder: MakeFolder
) -> None:
    write_post("a.md")
    folder = make_folder()
    write_post("new/deeper/b.md")
    assert sorted(slugs(folder)) == ["a", "b"]
    write_post("new/deeper/c.md")
    assert sorted(slugs(folder)) == ["a", "b", "c"]
    shutil.rmtree(content_dir / "new")
    assert slugs(folder) == ["a"]


def test_a_broken_edit_keeps_the_last_good_version(
    write_post: WritePost, make_folder: MakeFolder
) -> None:
    write_post("a.md", title="Good")
    folder = make_folder()
    assert slugs(folder) == ["a"]
    write_post("a.md", text="---\ntitle: Good\ndate: 2024-02-30\n---\n")
    library = folder.library(NOW)
    assert [p.title for p in library.posts] == ["Good"]
    assert "a.md:3: date:" in str(library.errors[0])
    write_post("a.md", title="Fixed")
    library = folder.library(NOW)
    assert [p.title for p in library.posts] == ["Fixed"]
    assert library.errors == ()


# Only change notification can tell a file still being written from a finished one.
@pytest.mark.parametrize("make_folder", ["inotify"], indirect=True)
def test_a_half_written_file_is_not_read_until_closed(
    write_post: WritePost, content_dir: Path, make_folder: MakeFolder
) -> None:
    write_post("a.md", title="Complete", body="All of it.")
    folder = make_folder()
    assert slugs(folder) == ["a"]
    with open(content_dir / "a.md", "w", encoding="utf-8") as handle:
        handle.write(post_text(title="Complete v2", body="Half of").rstrip())
        handle.flush()
        assert [p.title for p in folder.library(NOW).posts] == ["Complete"]
        handle.write(" it, and the rest.")
    assert [p.body for p in folder.library(NOW).posts] == ["Half of it, and the rest."]


def test_the_folder_briefly_missing(
    write_post: WritePost, content_dir: Path, make_folder: MakeFolder
) -> None:
    write_post("a.md")
    folder = make_folder()
    assert slugs(folder) == ["a"]
    moved = content_dir.with_name("moved-away")
    content_dir.rename(moved)
    assert slugs(folder) == ["a"]
    moved.rename(content_dir)
    write_post("b.md")
    assert sorted(slugs(folder)) == ["a", "b"]


def test_looking_again_reads_only_what_changed(
    write_post: WritePost, make_folder: MakeFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(50):
        write_post(f"p{index}.md")
    folder = make_folder()
    folder.library(NOW)
    reads: list[Path] = []
    real_read = folder_module.read_post

    def counting_read(path: Path, *args: object) -> object:
        reads.append(path)
        return real_read(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(folder_module, "read_post", counting_read)
    for _ in range(20):
        folder.library(NOW)
    assert reads == []
    write_post("p7.md", title="Edited")
    assert folder.library(NOW).get("p7").title == "Edited"  # type: ignore[union-attr]
    assert [path.name for path in reads] == ["p7.md"]


def _shape(folder: ContentFolder) -> dict[str, object]:
    """What readers see of a library: order, titles, tags, related posts, neighbours."""
    library = folder.library(NOW)
    return {
        "version": library.version.split(".", 1)[0],
        "posts": [(post.slug, post.title, post.body) for post in library.posts],
        "tags": [(count.tag.slug, count.tag.name, count.count) for count in library.tags],
        "by_tag": {
            count.tag.slug: [post.title for post in library.by_tag(count.tag.slug)]
            for count in library.tags
        },
        "related": {post.slug: [p.title for p in library.related(post)] for post in library.posts},
        "display": {
            post.slug: [str(t) for t in library.display_tags(post)] for post in library.posts
        },
        "get": {post.slug: library.get(post.slug).title for post in library.posts},  # type: ignore[union-attr]
        "last_modified": library.last_modified,
    }


@pytest.mark.parametrize(
    "edit",
    [
        {"title": "Retitled"},
        {"body": "A new body."},
        {"tags": "[cats, Dogs]"},  # a new spelling of a tag
        {"tags": "[fish]"},
        {"date": "2021-01-01"},  # moves in the order
        {"slug": "renamed"},
        {"draft": "true"},
    ],
)
def test_an_edited_post_is_seen_as_a_fresh_read_sees_it(
    write_post: WritePost, make_folder: MakeFolder, edit: dict[str, str]
) -> None:
    """An edit updates the last snapshot and its indexes in place when it can:
    what readers see is the same as a new process reading the folder."""
    for number in range(6):
        write_post(
            f"p{number}.md", title=f"Post {number}", date=f"202{number}-02-02", tags="[cats, dogs]"
        )
    folder = make_folder()
    before = _shape(folder)  # every index built, so that the edit updates them
    fields = {"title": "Post 3", "date": "2023-02-02", "tags": "[cats, dogs]", **edit}
    write_post("p3.md", **fields)
    after = _shape(folder)
    assert after != before
    fresh = ContentFolder(folder.root, SETTINGS, use_inotify=False)
    assert after == _shape(fresh)
    write_post("p3.md", title="Post 3", date="2023-02-02", tags="[cats, dogs]")
    assert _shape(folder) == _shape(ContentFolder(folder.root, SETTINGS, use_inotify=False))
