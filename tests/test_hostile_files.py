"""Whatever an author (or an accident) puts in content/: each bad file is named, the rest serve."""

from __future__ import annotations

import string
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import WritePost, parse, post_text
from webapp.posts import PostError, ReaderSettings, Renderer, parse_post, slugify, summarize
from webapp.posts import folder as folder_module

ALIAS_BOMB = "\n".join(
    [
        "---",
        "title: Bomb",
        "date: 2024-01-01",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    + ["tags: *i", "---", "Body."]
)

HOSTILE: dict[str, bytes] = {
    "malformed-yaml.md": b"---\ntitle: [unclosed\ndate: 2024-01-01\n---\nx",
    "alias-bomb.md": ALIAS_BOMB.encode(),
    "list-front-matter.md": b"---\n- a\n- b\n---\nx",
    "string-front-matter.md": b"---\njust a string\n---\nx",
    "unclosed.md": b"---\ntitle: T\ndate: 2024-01-01\nBody and no closing line.",
    "invalid-utf8.md": b"---\ntitle: T\ndate: 2024-01-01\n---\n\xc3\x28 broken",
    "empty.md": b"",
    "binary.md": bytes(range(256)) * 4,
    "nested-lists.md": (
        "---\ntitle: Deep\ndate: 2024-01-01\n---\n"
        + "\n".join("    " * level + "- item" for level in range(500))
    ).encode(),
    "nested-quotes.md": (
        "---\ntitle: Deep\ndate: 2024-01-01\n---\n" + ">" * 500 + " deep"
    ).encode(),
    "thousand-tags.md": (
        "---\ntitle: Tags\ndate: 2024-01-01\ntags: ["
        + ", ".join(f"t{i}" for i in range(1000))
        + "]\n---\nx"
    ).encode(),
    "year-zero.md": b"---\ntitle: T\ndate: 0001-01-01\n---\nx",
    "year-far.md": b"---\ntitle: T\ndate: 99999-01-01\n---\nx",
    "huge.md": b"---\ntitle: Huge\ndate: 2024-01-01\n---\n" + b"word " * (21 * 1024 * 1024 // 5),
}


def test_every_hostile_file_is_named_and_the_good_posts_keep_serving(
    write_post: WritePost, content_dir: Path, make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    write_post("good-one.md", title="Good one", date="2024-01-02")
    write_post("good-two.md", title="Good two", date="2024-01-03", tags='["essay"]')
    write_post("zz/good-one.md", title="Duplicate slug", date="2024-01-04")  # sorts after
    for name, raw in HOSTILE.items():
        (content_dir / name).write_bytes(raw)
    app = make_app()
    client = app.test_client()
    page = parse(client.get("/"))
    titles = [a.get_text() for a in page.select("ol.post-list h2 a")]
    assert titles == ["Duplicate slug", "Good two", "Good one"]
    assert client.get("/posts/good-one/").status_code == 200
    assert client.get("/posts/good-one-2/").status_code == 200  # both stay reachable
    assert client.get("/tags/essay/").status_code == 200
    assert client.get("/feed.xml").status_code == 200
    errors = {str(error.path): str(error) for error in app.extensions["blog"].library().errors}
    assert set(errors) == set(HOSTILE) | {"zz/good-one.md"}
    for name in HOSTILE:
        assert name in caplog.text
    assert "nests lists" in errors["nested-lists.md"] and ":" in errors["nested-lists.md"]
    assert "nests quotes" in errors["nested-quotes.md"]
    assert "1000 tags" in errors["thousand-tags.md"]
    assert "larger than" in errors["huge.md"]
    assert "already used" in errors["zz/good-one.md"]


def test_a_file_vanishing_between_listing_and_reading(
    write_post: WritePost, content_dir: Path, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_post("stays.md", title="Stays")
    doomed = write_post("doomed.md", title="Doomed")
    real_read = folder_module.read_post

    def read_after_deleting(path: Path, *args: Any) -> Any:
        if path.name == "doomed.md":
            doomed.unlink(missing_ok=True)  # deleted after it was listed
        return real_read(path, *args)

    monkeypatch.setattr(folder_module, "read_post", read_after_deleting)
    library = make_app().extensions["blog"].library()
    assert [post.title for post in library.posts] == ["Stays"]
    assert library.errors == ()  # gone is not broken


def test_a_post_that_cannot_render_is_a_500_page_not_a_crash(
    write_post: WritePost,
    make_app: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_post("fine.md", title="Fine", date="2024-01-02")
    write_post("fragile.md", title="Fragile", body="Breaks the renderer.[^1]\n\n[^1]: n")
    app = make_app()
    renderer = app.extensions["blog"].renderer
    real = renderer._render

    def fragile(body: str) -> Any:
        if "Breaks" in body:
            raise RecursionError("maximum recursion depth exceeded")
        return real(body)

    monkeypatch.setattr(renderer, "render", fragile)
    client = app.test_client()
    response = client.get("/posts/fragile/")
    assert response.status_code == 500
    assert "could not be displayed" in parse(response).get_text()
    assert "fragile.md:6: cannot be rendered (RecursionError)" in caplog.text
    assert client.get("/posts/fine/").status_code == 200
    assert client.get("/").status_code == 200  # listings use summaries, not bodies
    assert client.get("/feed.xml").status_code == 200


# --- property-based: the reader and the slug and tag rules -----------------------

SETTINGS = ReaderSettings(renderer=Renderer(), summarizer=summarize)
yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
keys = st.sampled_from(
    [
        "title",
        "date",
        "tags",
        "slug",
        "summary",
        "draft",
        "updated",
        "aliases",
        "categories",
        "lastmod",
        "published",
        "description",
        "x",
    ]
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=st.dictionaries(keys, yaml_values, max_size=8), body=st.text(max_size=300))
def test_the_reader_either_reads_or_explains(front: dict[str, Any], body: str) -> None:
    import yaml

    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body
    try:
        post = parse_post(text.encode("utf-8", "surrogatepass"), PurePosixPath("p.md"), SETTINGS)
    except PostError as error:
        assert error.message and str(error).startswith("p.md")
        return
    assert post.title and post.slug
    assert post.published.tzinfo is not None
    assert isinstance(post.html, str)  # and a post that reads also renders
    assert isinstance(post.summary, str)


@settings(deadline=None)
@given(raw=st.binary(max_size=400))
def test_arbitrary_bytes_never_escape_the_reader(raw: bytes) -> None:
    try:
        parse_post(raw, PurePosixPath("p.md"), SETTINGS)
    except PostError:
        pass


@given(text=st.text())
def test_slugs_are_safe_url_segments(text: str) -> None:
    slug = slugify(text)
    assert slug == slugify(slug)  # stable
    assert not slug.startswith("-") and not slug.endswith("-")
    assert "/" not in slug and "+" not in slug and "." not in slug and "%" not in slug
    assert len(slug) <= 120
    assert all(char.isalnum() or char == "-" for char in slug)


@given(
    names=st.lists(
        st.text(alphabet=string.ascii_letters + " -_+#.", min_size=1, max_size=20), max_size=10
    )
)
def test_tags_are_unique_by_slug(names: list[str]) -> None:
    text = post_text(tags="[" + ", ".join(repr(name) for name in names) + "]")
    try:
        post = parse_post(text.encode(), PurePosixPath("p.md"), SETTINGS)
    except PostError as error:
        assert error.field == "tags" or error.field is None
        return
    slugs = [tag.slug for tag in post.tags]
    assert len(slugs) == len(set(slugs))
    assert all(
        slug and slug == slugify(tag.name) for slug, tag in zip(slugs, post.tags, strict=True)
    )
