"""The static export (``flask blog freeze``) beside Hugo building the same posts."""

from __future__ import annotations

import dataclasses
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import hugo
from .report import Report
from .servers import PROJECT_ROOT
from .site import BENCH_POST, forget_store, site_env, site_folder


@dataclass(frozen=True)
class Exported:
    size: int
    folder: Path
    files: int
    full_s: float
    edit_s: float
    edit_written: int
    warm_s: float
    hugo: hugo.HugoBuild | None
    hugo_note: str


def freeze(content: Path, destination: Path) -> tuple[float, str]:
    """Seconds for ``flask blog freeze`` in a new process, and what it printed."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "blog", "freeze", str(destination)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **site_env(content, INDEX_ON_START="false")},
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"blog freeze failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started, result.stdout.strip()


def _written(output: str) -> int:
    """The number of files an export reports writing."""
    return int(output.rsplit(": ", 1)[1].split(" files written")[0])


#: Rounds of a re-export after one edit, each followed by a Hugo build: the
#: two compared rows are medians of runs taken in turns.
ROUNDS = 3


def measure(report: Report, size: int, work: Path) -> Exported:
    content = site_folder(work, size)
    destination = work / f"export-{size}"
    shutil.rmtree(destination, ignore_errors=True)
    store = Path(site_env(content)["BLOG_POST_STORE"])
    forget_store(store)  # no body rendered before: every one is rendered
    full_s, _ = freeze(content, destination)
    files = sum(1 for path in destination.rglob("*") if path.is_file())
    if hugo.hugo_binary() is None:
        site = None
        note = "Hugo not measured: `hugo` is not installed (Debian: apt-get install hugo)."
    else:
        site = hugo.make_site(content, work / f"hugo-{size}")
        note = f"a minimal theme (bench/hugo/), median of {ROUNDS} builds"
    # One edit to a post's body that is not the measured one, then export
    # again; each round undoes it (an export that matches the site again),
    # then Hugo builds the same posts.
    edited = next(path for path in sorted(content.glob("*.md")) if path.stem != BENCH_POST)
    original = edited.read_text()
    edits: list[float] = []
    builds: list[hugo.HugoBuild] = []
    for _ in range(ROUNDS):
        edited.write_text(original.rstrip("\n") + "\n\nOne more sentence, added by an edit.\n")
        try:
            edit_s, printed = freeze(content, destination)
        finally:
            edited.write_text(original)
        edits.append(edit_s)
        freeze(content, destination)
        if site is not None:
            builds.append(hugo.build(site, work / f"hugo-{size}-public"))
    edit_s = statistics.median(edits)
    built: hugo.HugoBuild | None = None
    if builds:
        median_s = statistics.median(build.seconds for build in builds)
        built = dataclasses.replace(builds[0], seconds=median_s)
        note = f"{built.version}, {note}"
    # Into an empty folder again, every body already in the post store (as
    # after a server has shown them, `blog check`, or an earlier export).
    shutil.rmtree(destination)
    warm_s, _ = freeze(content, destination)
    result = Exported(
        size, destination, files, full_s, edit_s, _written(printed), warm_s, built, note
    )
    rows = [
        [
            f"`blog freeze`, {size:,} posts, no body rendered before",
            f"{full_s:.2f} s",
            f"{files:,}",
        ],
        [
            "`blog freeze` into an empty folder, the bodies in the post store",
            f"{warm_s:.2f} s",
            f"{files:,}",
        ],
        [
            f"`blog freeze` again after editing one post (median of {ROUNDS}, in turns with Hugo)",
            f"{edit_s:.2f} s",
            f"{result.edit_written:,} rewritten",
        ],
    ]
    if built is not None:
        rows.append(
            [f"Hugo, the same posts ({note})", f"{built.seconds:.2f} s", f"{built.files:,}"]
        )
    report.paragraph(f"### Static export beside Hugo ({size:,} posts)")
    report.table(["Build", "Time", "Files"], rows)
    if built is None:
        report.paragraph(note)
    report.paragraph(
        "The export writes each post, its footnote fragments, every listing page and its"
        " fragment, single-tag pages with their feeds, the site feed, sitemap, robots.txt,"
        " 404 page and static files, rendering in one process per core; tag combinations"
        " need the application. Hugo writes each post, listing and tag page, and feeds."
    )
    return result
