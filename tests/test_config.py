"""Configuration layers: defaults, then BLOG_* and CACHE_* environment, then the test mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp import DEFAULTS, create_app


def test_defaults(content_dir: Path) -> None:
    app = create_app({"CONTENT_DIR": str(content_dir)})
    assert app.config["PAGE_SIZE"] == DEFAULTS["PAGE_SIZE"]
    assert app.config["CACHE_TYPE"] == "SimpleCache"
    assert app.template_folder and Path(app.template_folder).is_absolute()
    assert app.static_folder and Path(app.static_folder).is_absolute()


def test_default_content_is_the_sample_site() -> None:
    app = create_app()
    assert Path(app.config["CONTENT_DIR"]).name == "content"
    assert app.extensions["blog"].library().posts


def test_environment_overrides_defaults(content_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOG_CONTENT_DIR", str(content_dir))
    monkeypatch.setenv("BLOG_PAGE_SIZE", "3")
    monkeypatch.setenv("BLOG_TITLE", "Field Notes")
    monkeypatch.setenv("BLOG_SHOW_DRAFTS", "true")
    monkeypatch.setenv("CACHE_TYPE", "FileSystemCache")
    monkeypatch.setenv("CACHE_DIR", str(content_dir.parent / "cache"))
    monkeypatch.setenv("CACHE_DEFAULT_TIMEOUT", "60")
    app = create_app()
    assert app.config["CONTENT_DIR"] == str(content_dir)
    assert app.config["PAGE_SIZE"] == 3
    assert app.config["TITLE"] == "Field Notes"
    assert app.config["SHOW_DRAFTS"] is True
    assert app.config["CACHE_TYPE"] == "FileSystemCache"
    assert app.config["CACHE_DIR"] == str(content_dir.parent / "cache")
    assert app.config["CACHE_DEFAULT_TIMEOUT"] == 60


def test_the_test_mapping_overrides_the_environment(
    content_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOG_PAGE_SIZE", "3")
    app = create_app({"CONTENT_DIR": str(content_dir), "PAGE_SIZE": 7})
    assert app.config["PAGE_SIZE"] == 7


def test_an_unknown_time_zone_is_a_clear_error(content_dir: Path) -> None:
    with pytest.raises(ValueError, match="BLOG_TIMEZONE='Mars/Olympus' is not an IANA time zone"):
        create_app({"CONTENT_DIR": str(content_dir), "TIMEZONE": "Mars/Olympus"})


def test_the_time_zone_shapes_displayed_dates(content_dir: Path) -> None:
    (content_dir / "late.md").write_text(
        "---\ntitle: Late\ndate: 2024-08-08T23:30:00+00:00\n---\nx"
    )
    app = create_app({"CONTENT_DIR": str(content_dir), "TIMEZONE": "Asia/Tokyo", "TESTING": True})
    text = app.test_client().get("/posts/late/").get_data(as_text=True)
    assert "9 August 2024" in text
