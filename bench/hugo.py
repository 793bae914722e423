"""Hugo building the same posts: the peer the static export is measured against.

bench/hugo/ holds a minimal site (hugo.toml and a post, list, tag and home
template); the benchmark's posts are copied into its content folder as
they are (Hugo reads their YAML front matter and Markdown, footnotes and
fenced code included).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

THEME = Path(__file__).resolve().parent / "hugo"


@dataclass(frozen=True)
class HugoBuild:
    seconds: float
    files: int
    version: str


def hugo_binary() -> str | None:
    return shutil.which("hugo")


def make_site(content: Path, site: Path) -> Path:
    """A Hugo site in ``site`` with the theme and a copy of every post in ``content``."""
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(THEME, site)
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    for path in sorted(content.glob("*.md")):
        shutil.copyfile(path, posts / path.name)
    return site


def build(site: Path, destination: Path) -> HugoBuild:
    """Time one full ``hugo`` build of site into an empty destination."""
    binary = hugo_binary()
    if binary is None:
        raise RuntimeError("hugo is not installed (apt-get install hugo)")
    if destination.exists():
        shutil.rmtree(destination)
    version = subprocess.run(
        [binary, "version"], capture_output=True, text=True, timeout=60
    ).stdout.strip()
    started = time.perf_counter()
    result = subprocess.run(
        [binary, "--source", str(site), "--destination", str(destination), "--quiet"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"hugo failed:\n{result.stderr[-3000:]}")
    files = sum(1 for path in destination.rglob("*") if path.is_file())
    return HugoBuild(seconds, files, version)
