"""The benchmark keeps working: a tiny run end to end (no time is asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import PROJECT_ROOT


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_tiny_benchmark_run_writes_its_report(tmp_path: Path) -> None:
    output = tmp_path / "benchmarks.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--sizes",
            "12,24",
            "--seconds",
            "1",
            "--rounds",
            "1",
            "--compare-size",
            "12",
            "--output",
            str(output),
        ],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = output.read_text()
    for section in (
        "## By size",
        "### 12 posts",
        "### 24 posts",
        "First request to a never-viewed post",
        "## Static export and servers",
        "`blog freeze` again after editing one post",
        "the exported page (nginx)",
        "Flask, constant bytes (granian)",
        "## Rendering and search",
        "Each extension's cost",
        "| smarty |",
        "## Targets",
        "## Profiles",
        "Python-Markdown with no extensions",
        "**loading 25 posts**",
        "**loading 25 posts from the post store** (a restart)",
        "**first view of a post after a restart**",
        "**building the search index of 13 posts**",
        "**exporting 13 posts in one process, no body rendered before**",
        "**exporting 13 posts in one process, the bodies in the post store**",
        "`blog freeze` into an empty folder, the bodies in the post store",
    ):
        assert section in report, section
    assert "req/s" in report and "Machine:" in report
    # Hugo's build is timed beside the export, or the report says why not.
    assert ("Hugo, the same posts" in report) or ("Hugo not measured" in report)
    # Pelican's reader is timed in turns with this renderer, or the report says why not.
    assert ("MarkdownReader (its defaults): median" in report) or ("Pelican's reader not" in report)
    # Each target shows what is wanted beside what was measured.
    targets = report.split("## Targets")[1].split("## Profiles")[0]
    assert "| Target | Wanted | Measured | Verdict |" in targets
    for target in ("start-up, first start", "start-up, restart", "edit to visible"):
        assert target in targets, target
    assert "search index build" in targets and "memory per worker" in targets
    assert "at most 3 s" in targets and "at most 250 MB" in targets
    # Every miss is explained with this run's numbers, never a template.
    assert "{" not in report.split("## Targets")[1].split("## Profiles")[0]
