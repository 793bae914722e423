"""python -m bench: speed, memory and scaling, beside the limits of this machine and peers.

Generates synthetic sites (fixed seed) of each size, serves each with the
production server, loads it with wrk from a second process, and measures
start-up, first views of posts, memory, throughput and latency,
edit-to-visible time and uncached rendering; times the static export
beside Hugo building the same posts, and a re-export after one edit;
compares servers (gunicorn sync and threaded, granian), Flask returning
constant bytes (the framework's ceiling) and nginx serving the static
export (the machine's limit); measures Markdown rendering, each
extension's cost and Pelican's reader on the same text. Prints a report
and writes it to docs/benchmarks.md. Every server and load is bounded in time.

    python -m bench                                     # 100, 1,000, 10,000 posts (about 20 min)
    python -m bench --sizes 20 --seconds 1 --rounds 1   # a smoke run
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from . import export, rendering, search
from .compare import compare_servers
from .profiles import cached_in_process, import_time, load_time, profile, profile_export
from .report import Report, machine
from .servers import PROJECT_ROOT
from .site import site_folder
from .sizes import measure_size
from .targets import Facts, report_targets

#: Interleaved rounds of the cached-page and server comparison load runs.
ROUNDS = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="site sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help=f"interleaved rounds of the cached-page and server runs (default {ROUNDS})",
    )
    parser.add_argument(
        "--compare-size",
        type=int,
        default=1000,
        help="site size for the server comparison and the export (default 1000)",
    )
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiles")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    compare_size = (
        args.compare_size if args.compare_size in sizes else sizes[min(1, len(sizes) - 1)]
    )

    # As the container image is built: each server worker then loads the
    # application's bytecode instead of compiling its source (a quarter of a
    # second per process where PYTHONDONTWRITEBYTECODE keeps Python from
    # writing it on first import).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash", "webapp"],
        cwd=PROJECT_ROOT,
        check=True,
        timeout=300,
    )
    report = Report()
    report.paragraph("# Benchmarks")
    report.paragraph("Written by `python -m bench` (bench/: one module per kind of measurement).")
    for line in machine():
        report.add(line)
    report.add()
    report.paragraph(
        "Synthetic sites from a fixed seed: 300 to 3,000 words a post, 0 to 10 footnotes"
        " (some with links), 1 to 4 tags of 60, quotes and code blocks. Requests without"
        " Accept-Encoding (identity), as nginx serves the export; access logs off. Each"
        " server finds its search index already built, as after its first start, and the"
        " application byte-compiled, as in the container image. Each"
        f" cached-page row and each server comparison row is the median of {args.rounds}"
        f" interleaved {args.seconds:g}-second runs; every other row is one run."
    )
    with tempfile.TemporaryDirectory(prefix="marginalia-bench-") as scratch:
        work = Path(scratch)
        work.chmod(0o755)  # nginx's workers (another user) read the export from here
        report.paragraph("## By size")
        measured = [measure_size(report, size, work, args.seconds, args.rounds) for size in sizes]
        report.paragraph("## Static export and servers")
        exported = export.measure(report, compare_size, work)
        servers = compare_servers(
            report, compare_size, work, exported.folder, args.seconds, args.rounds
        )
        report.paragraph("## Rendering and search")
        rendered = rendering.measure(report, work)
        largest = site_folder(work, sizes[-1])
        loaded = load_time(largest, work / "load-posts.sqlite3")
        imported_s = import_time()
        granian_s = import_time(module="granian.cli")
        report.paragraph(
            f"Reading all {loaded.posts:,} posts of the largest site in one process (what each"
            f" worker does before its first answer): {loaded.first_s:.2f} s; taking them from"
            f" the post store instead: {loaded.from_store_s:.2f} s. Importing the application"
            f" first: {imported_s:.2f} s of CPU in a fresh process (median of 5); granian's"
            f" own process imports its command line ({granian_s:.2f} s) before it starts the"
            " workers."
        )
        in_process = cached_in_process(largest, work)
        report.paragraph(
            "Cached requests through the application's WSGI callable alone (CPU time; no"
            f" server, network or test client), {sizes[-1]:,} posts: "
            + ", ".join(f"{name} {us:.0f} µs" for name, us in in_process.items())
            + "."
        )
        searched = search.measure(largest, profile=not args.no_profile)
        slowest = ", ".join(
            f"`{query}` {ms:.1f} ms ({matched:,} posts match)"
            for ms, query, matched in searched.slowest
        )
        report.paragraph(
            f"Search over {searched.posts:,} posts: index built in "
            f"{searched.index_build_s:.1f} s (once; later syncs rewrite changed files only);"
            f" queries median {searched.median_ms:.1f} ms, p99 {searched.p99_ms:.1f} ms,"
            f" slowest {searched.max_ms:.1f} ms, over a mix of words, prefixes while typing,"
            f" phrases, tags and misses (bench/search.py). The slowest: {slowest}."
        )
        if searched.profile:
            report.code(
                "Those five queries asked again, 5 times each (pyinstrument; SQLite's own"
                " work shows as the `execute` that asks for it). Where the time goes:",
                searched.profile,
            )
        facts = Facts(
            rendered.bare_ms,
            loaded.first_s,
            loaded.from_store_s,
            loaded.posts,
            imported_s,
            granian_s,
            in_process["cached post page"],
        )
        report_targets(report, measured, servers, rendered, exported, searched, facts)
        if not args.no_profile:
            report.paragraph("## Profiles")
            content = site_folder(work, compare_size)
            profile(report, content, largest, work)
            profile_export(report, content, work / "profiled-export")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(report.lines) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
