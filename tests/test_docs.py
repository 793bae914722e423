"""The README and CI say what the code does, and generated files are current."""

from __future__ import annotations

import re
from pathlib import Path

from scripts import highlight_css
from webapp import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def readme_commands() -> list[str]:
    """The indented commands among the README's first lines."""
    head = README.split("\n## ", 1)[0]
    return [line.strip() for line in head.splitlines() if line.startswith("    ")]


def test_readme_opens_with_the_serve_and_test_commands() -> None:
    serve, test = readme_commands()[:2]
    assert "pip install -e ." in serve and "flask --app webapp run" in serve
    assert test == "./scripts/test"
    assert (ROOT / "scripts" / "test").stat().st_mode & 0o111


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = readme_commands()[1]
    assert re.search(rf"^exec {re.escape(test_command)}\b", ci, re.MULTILINE)


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^\| `((?:BLOG|CACHE)_[A-Z_]+)` \|", README, re.MULTILINE))
    expected = {key if key.startswith("CACHE_") else f"BLOG_{key}" for key in DEFAULTS}
    assert expected == documented


def test_highlight_css_is_generated_from_the_configured_styles() -> None:
    assert highlight_css.build() == (ROOT / "static" / "css" / "highlight.css").read_text()


def test_vendored_htmx_carries_its_version_and_licence() -> None:
    vendor = ROOT / "static" / "vendor"
    script = (vendor / "htmx-4.0.1.min.js").read_text()
    assert 'version="4.0.1"' in script
    assert "Zero-Clause BSD" in (vendor / "htmx-4.0.1.LICENSE").read_text()
