"""python -m bench: speed, memory and scaling, beside the limits of this machine.

Generates synthetic sites (fixed seed) of each size, serves each with the
production server, loads it with wrk from a second process, and measures
start-up, memory, throughput and latency, edit-to-visible time and
uncached rendering; then compares servers (gunicorn sync and threaded,
granian), Flask returning constant bytes (the framework's ceiling) and
nginx serving the static export (the machine's limit). Prints a report and
writes it to docs/benchmarks.md. Every server and load is bounded in time.

    python -m bench                                     # 100, 1,000, 10,000 posts (25 min)
    python -m bench --sizes 20 --seconds 1 --rounds 1   # a smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import search as search_bench
from .load import Load, wrk
from .servers import PROJECT_ROOT, Running, app_server, fetch, nginx
from .sitegen import generate, post_text

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}
CONNECTIONS = (16, 64)
#: Interleaved rounds of the cached-page and server comparison load runs.
ROUNDS = 3
#: The server the container runs (serve.py); the others are for comparison.
PRODUCTION = "granian"
#: One post, identical at every size, so pages compare like for like.
BENCH_POST = "bench-post"


class Report:
    """Collects lines of Markdown, echoing them to the terminal as they come."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, text: str = "") -> None:
        self.lines.append(text)
        print(text, flush=True)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.add("| " + " | ".join(header) + " |")
        self.add("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            self.add("| " + " | ".join(row) + " |")
        self.add()


def machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("flask", "gunicorn", "granian", "markdown", "flask-caching", "jinja2")
    )
    tools = []
    for command in (["nginx", "-v"], ["wrk", "--version"]):
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=10)
            tools.append((out.stdout + out.stderr).strip().splitlines()[0])
        except (OSError, IndexError):
            tools.append(f"{command[0]}: not found")
    return [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {cpu}, {os.cpu_count()} cores, {memory:,} MiB RAM, {platform.platform()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- {'; '.join(tools)}",
        "- Servers run 2 worker processes (granian, as the container runs it, unless"
        " named; gunicorn threaded: 4 threads each); wrk runs 2 threads on the same machine,"
        " so load and server share its cores.",
    ]


def site_env(content: Path, index: Path, **extra: str) -> dict[str, str]:
    return {
        "BLOG_CONTENT_DIR": str(content),
        "BLOG_SEARCH_INDEX": str(index),
        "BLOG_POST_STORE": str(index.with_name("posts.sqlite3")),
        "BLOG_PAGE_SIZE": "10",
        **extra,
    }


def endpoints(
    running: Running, slug: str, note: str, tag: str
) -> dict[str, tuple[str, dict[str, str]]]:
    post = f"/posts/{slug}/"
    _, headers, _ = fetch(running.url + post)
    return {
        "cached post page": (post, {}),
        "index": ("/", {}),
        "tag partial": (f"/partials/tags/{tag}/", PARTIAL),
        "footnote partial": (f"{post}footnotes/{note}/", PARTIAL),
        "304 conditional": (post, {"If-None-Match": headers["ETag"]}),
    }


def add_bench_post(content: Path) -> None:
    """The measured post: 1,600 words and 6 footnotes, the same in every site."""
    text = post_text(random.Random(99), 0, words=1600, notes=6)
    text = re.sub(r"^date: .*$", "date: 2019-06-01T12:00:00+00:00", text, count=1, flags=re.M)
    text = re.sub(r"^tags: \[.*\]$", "tags: [essay, caching]", text, count=1, flags=re.M)
    (content / f"{BENCH_POST}.md").write_text(text)


def median_run(loads: list[Load]) -> Load:
    """The run with the median throughput (the upper one of an even number)."""
    ordered = sorted(loads, key=lambda load: load.requests_per_second)
    return ordered[len(ordered) // 2]


def pick(content: Path) -> tuple[str, str, str]:
    """The measured post, one of its notes, and its first tag."""
    return BENCH_POST, "1", "essay"


def edit_to_visible(running: Running, slug_file: Path, rounds: int = 5) -> list[float]:
    """Milliseconds from a file write to the first response that shows it."""
    slug = slug_file.stem
    original = slug_file.read_text()
    timings = []
    try:
        for attempt in range(rounds):
            marker = f"Edited {attempt} {random.random():.6f}"
            text = original.replace('title: "', f'title: "{marker} ', 1)
            started = time.perf_counter()
            slug_file.write_text(text)
            while True:
                _, _, body = fetch(f"{running.url}/posts/{slug}/")
                if marker.encode() in body:
                    break
                if time.perf_counter() - started > 10:
                    raise TimeoutError("an edit did not show within 10 s")
            timings.append((time.perf_counter() - started) * 1000)
            time.sleep(0.2)
    finally:
        slug_file.write_text(original)
    return timings


def measure_size(
    report: Report, size: int, work: Path, seconds: float, rounds: int
) -> dict[Any, Any]:
    content = generate(work / f"site-{size}" / "content", size)
    add_bench_post(content)
    index = work / f"site-{size}" / "search.sqlite3"
    search_bench.build_index(content, index)
    slug, note, tag = pick(content)
    results: dict[Any, Any] = {"size": size}
    rows: list[list[str]] = []
    store = index.with_name("posts.sqlite3")
    store.unlink(missing_ok=True)
    with app_server(PRODUCTION, site_env(content, index)) as running:
        results["first_startup_s"] = running.started_in
        targets = endpoints(running, slug, note, tag)
        for name, (path, headers) in targets.items():  # warm every cache
            for _ in range(3):
                _, _, body = fetch(running.url + path, headers)
            results[("bytes", name)] = len(body)
        # Rounds interleave the pages, so a slow minute on this shared machine
        # does not land on one of them; each row is its median round.
        runs: dict[tuple[str, int], list[Load]] = {}
        for _ in range(rounds):
            for name, (path, headers) in targets.items():
                for connections in CONNECTIONS:
                    load = wrk(
                        running.url + path,
                        connections=connections,
                        seconds=seconds,
                        headers=headers,
                    )
                    runs.setdefault((name, connections), []).append(load)
        for (name, connections), loads in runs.items():
            load = median_run(loads)
            results[(name, connections)] = load
            rows.append([name, str(connections), load.row()])
        results["rss_mb"] = running.worker_rss_mb()
        results["edit_ms"] = edit_to_visible(running, content / f"{slug}.md")
    if not store.exists():
        raise RuntimeError(f"the server did not write its post store {store}")
    # A restart: the store holds every post but the one just edited.
    with app_server(PRODUCTION, site_env(content, index)) as running:
        results["startup_s"] = running.started_in
    # Every request renders: no response cache, and URLs rotating over many
    # posts so that the bounded Markdown cache mostly misses too.
    slugs = sorted(path.stem for path in content.glob("*.md"))[:2000]
    with app_server(
        "gunicorn-gthread", site_env(content, index, CACHE_TYPE="NullCache")
    ) as running:
        paths = [f"/posts/{s}/" for s in slugs]
        for connections in CONNECTIONS:
            load = wrk(running.url + "/", connections=connections, seconds=seconds, paths=paths)
            results[("uncached post render", connections)] = load
            rows.append(["uncached post render", str(connections), load.row()])
    report.add(f"### {size:,} posts")
    report.add()
    edits = results["edit_ms"]
    report.add(
        "Start-up (process start to first 200 on /): first start"
        f" {results['first_startup_s']:.2f} s, restart {results['startup_s']:.2f} s"
        " (posts read before taken from the post store). "
        f"Resident memory per worker after the runs: "
        f"{', '.join(f'{mb:.0f} MB' for mb in results['rss_mb'])}. "
        f"Edit to visible: median {statistics.median(edits):.0f} ms, worst {max(edits):.0f} ms."
    )
    report.add()
    report.table(["Request", "Connections", "Result"], rows)
    return results


def compare_servers(
    report: Report, size: int, work: Path, seconds: float, rounds: int
) -> dict[str, Load]:
    """The cached post page under each server, beside constant bytes and nginx."""
    content = work / f"site-{size}" / "content"
    if not content.exists():
        generate(content, size)
        add_bench_post(content)
    index = work / f"site-{size}" / "search.sqlite3"
    slug, _, _ = pick(content)
    post = f"/posts/{slug}/"
    env = site_env(content, index)
    export = work / f"export-{size}"
    started = time.perf_counter()
    freeze = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "blog", "freeze", str(export)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if freeze.returncode != 0:
        raise RuntimeError(freeze.stderr)
    export_seconds = time.perf_counter() - started
    body = (export / post.strip("/") / "index.html").read_bytes()
    body_file = work / "constant-body.html"
    body_file.write_bytes(body)
    results: dict[str, Load] = {}
    rows = []

    # Every server runs at once (idle but for its turn), so rounds can
    # interleave them as they do the pages; each row is its median round.
    with contextlib.ExitStack() as servers:
        running: dict[str, Running] = {}
        for kind in ("gunicorn-sync", "gunicorn-gthread", "granian"):
            blog = servers.enter_context(app_server(kind, env))
            for _ in range(3):
                fetch(blog.url + post)
            running[f"blog, cached post ({kind})"] = blog
            running[f"Flask, constant bytes ({kind})"] = servers.enter_context(
                app_server(kind, {"BENCH_BODY": str(body_file)}, target="bench.ceiling:app")
            )
        running["nginx, the exported page"] = servers.enter_context(nginx(export))
        runs: dict[tuple[str, int], list[Load]] = {}
        for _ in range(rounds):
            for label, server in running.items():
                for connections in CONNECTIONS:
                    load = wrk(server.url + post, connections=connections, seconds=seconds)
                    runs.setdefault((label, connections), []).append(load)
    for (label, connections), loads in runs.items():
        load = median_run(loads)
        results[f"{label}@{connections}"] = load
        rows.append([label, str(connections), load.row()])
    report.add(f"### Servers, on the same page ({size:,} posts, a {len(body):,}-byte post page)")
    report.add()
    report.add(f"The static export of the {size:,}-post site took {export_seconds:.1f} s to write.")
    report.add()
    report.table(["Server and content", "Connections", "Result"], rows)
    return results


def render_time(rounds: int = 40) -> dict[str, list[float]]:
    """Milliseconds to render a 2,000-word post with 8 footnotes (no cache).

    ``site`` is the site's own renderer; ``bare`` is Python-Markdown with no
    extensions on the same text, the floor any configuration starts from.
    """
    from pathlib import PurePosixPath

    import markdown

    from webapp.posts import ReaderSettings, Renderer, parse_post

    rng = random.Random(5)
    renderer = Renderer()
    post = parse_post(
        post_text(rng, 0, words=2000, notes=8).encode(),
        PurePosixPath("p.md"),
        ReaderSettings(renderer=renderer),
    )
    bare = markdown.Markdown()

    def site() -> None:
        renderer.render.cache_clear()
        renderer(post.body)

    def plain() -> None:
        bare.reset()
        bare.convert(post.body)

    timings: dict[str, list[float]] = {}
    for name, render in (("site", site), ("bare", plain)):
        render()  # build the Markdown instance first
        timings[name] = []
        for _ in range(rounds):
            started = time.perf_counter()
            render()
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def cached_in_process(content: Path, work: Path, rounds: int = 3000) -> dict[str, float]:
    """Microseconds per cached request through the app alone (Flask's test
    client, no server, no network), for the pages the load runs compare."""
    from webapp import create_app

    app = create_app(
        {
            "CONTENT_DIR": str(content),
            "SEARCH_INDEX": str(work / "in-process.sqlite3"),
            "POST_STORE": str(content.parent / "posts.sqlite3"),  # the server's, already full
            "INDEX_ON_START": False,
        }
    )
    client = app.test_client()
    slug, _, tag = pick(content)
    pages = {
        "cached post page": (f"/posts/{slug}/", {}),
        "index": ("/", {}),
        "tag partial": (f"/partials/tags/{tag}/", PARTIAL),
    }
    timings: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(3):  # interleaved, so a noisy moment does not land on one page
        for name, (path, headers) in pages.items():
            client.get(path, headers=headers)
            started = time.perf_counter()
            for _ in range(rounds // 3):
                client.get(path, headers=headers)
            timings[name].append((time.perf_counter() - started) / (rounds // 3) * 1e6)
    app.extensions["blog"].folder.close()
    return {name: min(times) for name, times in timings.items()}


def load_time(content: Path, store: Path) -> tuple[float, float, int]:
    """Seconds for one process to read every post below ``content``, then to
    load them again with the post store this first read wrote, and how many
    posts there are."""
    from webapp.posts import ContentFolder, ReaderSettings

    store.unlink(missing_ok=True)
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        folder = ContentFolder(content, ReaderSettings(), use_inotify=False, store=store)
        posts = len(folder.snapshot().posts)
        timings.append(time.perf_counter() - started)
        folder.close()  # waits for the store to be written
    return timings[0], timings[1], posts


def profile(report: Report, content: Path, largest: Path, work: Path) -> None:
    """Where a cached and an uncached post request, and loading the largest
    site, spend their time (pyinstrument)."""
    from pyinstrument import Profiler

    from webapp import create_app
    from webapp.posts import ContentFolder, ReaderSettings

    def show(profiler: Profiler, heading: str, lines: int = 40) -> None:
        """pyinstrument's call tree, library frames folded, cut to the first lines."""
        text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=True)
        report.add(heading)
        report.add()
        report.add("```")
        for line in [line.rstrip() for line in text.splitlines() if line.strip()][:lines]:
            report.add(line)
        report.add("```")
        report.add()

    slug, _, _ = pick(content)
    for label, config, rounds in (
        ("cached post page", {}, 3000),
        ("uncached post page (Markdown rendered each time)", {"CACHE_TYPE": "NullCache"}, 150),
    ):
        app = create_app(
            {
                "CONTENT_DIR": str(content),
                "SEARCH_INDEX": str(work / "profile.sqlite3"),
                "INDEX_ON_START": False,
                **config,
            }
        )
        client = app.test_client()
        renderer = app.extensions["blog"].renderer
        client.get(f"/posts/{slug}/")
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(rounds):
            if config:
                renderer.render.cache_clear()
            client.get(f"/posts/{slug}/")
        profiler.stop()
        per_request = profiler.last_session.duration / rounds * 1000  # type: ignore[union-attr]
        show(
            profiler,
            f"**{label}**: {per_request:.2f} ms per request in-process (the Flask test"
            " client's own work included). Where the time goes:",
        )
        app.extensions["blog"].folder.close()

    folder = ContentFolder(largest, ReaderSettings(), use_inotify=False)
    profiler = Profiler(interval=0.001)
    profiler.start()
    folder.snapshot()
    profiler.stop()
    folder.close()
    posts = sum(1 for _ in largest.rglob("*.md"))
    seconds = profiler.last_session.duration  # type: ignore[union-attr]
    show(
        profiler,
        f"**loading {posts:,} posts** (what each worker does before its first answer):"
        f" {seconds:.2f} s in one process. Where the time goes:",
    )


_INDEX_PAGE = (
    "Index: answered from the cache by the same code as a post (in-process, {index_us:.0f} µs"
    " a request against {post_us:.0f} µs; {index_kb:.0f} KB a response against"
    " {post_kb:.0f} KB). What is left is wrk and the server sharing two cores, and runs on"
    " this machine vary by more than 10% from one minute to the next."
)
_TAG_PARTIAL = (
    "Tag partial: answered from the cache by the same code as a post, but a larger answer:"
    " {tag_kb:.0f} KB against {post_kb:.0f} KB, since it carries the tag filter (every tag"
    " with its count and the link that narrows the list by it). Moving those bytes costs"
    " {tag_us:.0f} µs a request in-process against {post_us:.0f} µs, and more again through"
    " the server and wrk on two shared cores."
)

#: What the profiles show behind each target this code can miss on this
#: machine; {names} are filled from the same run's measurements.
WHY_MISSED = {
    "start-up": "Start-up: on a first start every worker reads and parses every post"
    " before it answers ({load_s:.1f} s for {posts:,} posts in one process; the profile"
    " of loading them below shows where), and on two cores the workers compete with"
    " each other and with the server's own start. A restart takes unchanged posts"
    " from the post store instead ({stored_s:.2f} s in one process).",
    "Markdown render": "Markdown: Python-Markdown with no extensions already takes"
    " {bare_ms:.1f} ms for this post; the extensions the site needs (smart quotes,"
    " footnotes, code highlighting, tables, heading ids, bare-URL links) add the rest,"
    " most of it inline pattern matching (see the uncached profile below). Bodies are"
    " rendered once per process and kept in a bounded cache, and responses are"
    " cached, so readers meet this cost once per post, not per request.",
    "cached post ÷": "Cached post against the ceiling and the limit: at 64 connections the"
    " two server workers, wrk's two threads and the kernel's loopback share two cores, and"
    " this machine's load moves the ratio from one run to the next (compare the"
    " 16-connection row).",
    "cached post, ": "Cached pages at 10,000 posts: the same work per request as at 100;"
    " what differs is a larger process (its memory and caches), and runs on this shared"
    " machine vary by more than the gap from one minute to the next.",
    "index ÷": _INDEX_PAGE,
    "tag partial ÷": _TAG_PARTIAL,
    "search": "Search: the slowest queries (listed above) match most of the posts, being"
    " a very common word or the first letters of a word still being typed, and BM25"
    " ranks every match before the best ten are kept; queries of ordinary words take a"
    " few milliseconds.",
}


def targets(
    report: Report,
    sizes: list[dict[Any, Any]],
    servers: dict[str, Load],
    render_ms: list[float],
    searched: dict[str, Any] | None,
    facts: dict[str, float],
) -> None:
    rows: list[list[str]] = []
    reasons: list[str] = []

    def check(name: str, value: float, goal: float, *, higher: bool, shown: str) -> None:
        met = value >= goal if higher else value <= goal
        if met:
            verdict = "met"
        else:
            gap = (goal / value if higher else value / goal) if value else float("inf")
            verdict = f"missed by {gap:.2f}x"
            reason = next(
                (why for start, why in WHY_MISSED.items() if name.startswith(start)), None
            )
            if reason:
                reason = reason.format(**facts)
            if reason and reason not in reasons:
                reasons.append(reason)
        rows.append([name, shown, verdict])

    for connections in CONNECTIONS:
        app = servers.get(f"blog, cached post ({PRODUCTION})@{connections}")
        ceiling = servers.get(f"Flask, constant bytes ({PRODUCTION})@{connections}")
        limit = servers.get(f"nginx, the exported page@{connections}")
        if app and ceiling:
            ratio = app.requests_per_second / ceiling.requests_per_second
            check(
                f"cached post ÷ constant bytes, both under {PRODUCTION}, {connections} conn.",
                ratio,
                0.9,
                higher=True,
                shown=f"{ratio:.2f}x",
            )
        if app and limit:
            ratio = app.requests_per_second / limit.requests_per_second
            check(
                f"cached post ÷ nginx, {connections} conn.",
                ratio,
                0.25,
                higher=True,
                shown=f"{ratio:.2f}x",
            )
    largest, smallest = sizes[-1], sizes[0]
    label = f"{largest['size']:,} posts"
    check(
        f"start-up, restart, {label}",
        largest["startup_s"],
        3.0,
        higher=False,
        shown=f"{largest['startup_s']:.2f} s",
    )
    check(
        f"start-up, first start, {label}",
        largest["first_startup_s"],
        3.0,
        higher=False,
        shown=f"{largest['first_startup_s']:.2f} s",
    )
    worst_rss = max(largest["rss_mb"])
    check(f"memory per worker, {label}", worst_rss, 300, higher=False, shown=f"{worst_rss:.0f} MB")
    for connections in CONNECTIONS:
        post = largest[("cached post page", connections)].requests_per_second
        small = smallest[("cached post page", connections)].requests_per_second
        check(
            f"cached post, {label} ÷ {smallest['size']:,} posts, {connections} conn.",
            post / small,
            0.9,
            higher=True,
            shown=f"{post / small:.2f}x",
        )
        for name in ("index", "tag partial"):
            ratio = largest[(name, connections)].requests_per_second / post
            check(
                f"{name} ÷ cached post, {label}, {connections} conn.",
                ratio,
                0.9,
                higher=True,
                shown=f"{ratio:.2f}x",
            )
    median_render = statistics.median(render_ms)
    check(
        "Markdown render, 2,000 words, 8 footnotes (median)",
        median_render,
        5.0,
        higher=False,
        shown=f"{median_render:.2f} ms",
    )
    worst_edit = max(max(size["edit_ms"]) for size in sizes)
    check(
        "edit to visible (worst of all sizes)",
        worst_edit,
        1000,
        higher=False,
        shown=f"{worst_edit:.0f} ms",
    )
    if searched:
        check(
            f"search median, {searched['posts']:,} posts",
            searched["median_ms"],
            10,
            higher=False,
            shown=f"{searched['median_ms']:.1f} ms",
        )
        check(
            f"search p99, {searched['posts']:,} posts",
            searched["p99_ms"],
            50,
            higher=False,
            shown=f"{searched['p99_ms']:.1f} ms",
        )
    report.add("## Targets")
    report.add()
    report.table(["Target", "Measured", "Verdict"], rows)
    if reasons:
        report.add("Why the misses (from the profiles and measurements of this code):")
        report.add()
        for reason in reasons:
            report.add(f"- {reason}")
        report.add()


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
        help="site size for the server comparison (default 1000)",
    )
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiles")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    compare_size = (
        args.compare_size if args.compare_size in sizes else sizes[min(1, len(sizes) - 1)]
    )

    report = Report()
    report.add("# Benchmarks")
    report.add()
    report.add("Written by `python -m bench` (see bench/__main__.py for what each number means).")
    report.add()
    for line in machine():
        report.add(line)
    report.add()
    report.add(
        "Synthetic sites from a fixed seed: 300 to 3,000 words a post, 0 to 10 footnotes"
        " (some with links), 1 to 4 tags of 60, quotes and code blocks. Requests without"
        " Accept-Encoding (identity), as nginx serves the export; access logs off. Each"
        " server finds its search index already built, as after its first start. Each"
        f" cached-page row and each server comparison row is the median of {args.rounds}"
        f" interleaved {args.seconds:g}-second runs; every other row is one run."
    )
    report.add()
    with tempfile.TemporaryDirectory(prefix="marginalia-bench-") as scratch:
        work = Path(scratch)
        work.chmod(0o755)  # nginx's workers (another user) read the export from here
        report.add("## By size")
        report.add()
        measured = [measure_size(report, size, work, args.seconds, args.rounds) for size in sizes]
        report.add("## Servers and limits")
        report.add()
        servers = compare_servers(report, compare_size, work, args.seconds, args.rounds)
        report.add("## Rendering and search")
        report.add()
        rendered = render_time()
        report.add(
            "Markdown to HTML for a 2,000-word post with 8 footnotes, no cache: median"
            f" {statistics.median(rendered['site']):.2f} ms, slowest"
            f" {max(rendered['site']):.2f} ms (Python-Markdown with no extensions, same"
            f" text: median {statistics.median(rendered['bare']):.2f} ms)."
        )
        report.add()
        largest = work / f"site-{sizes[-1]}" / "content"
        loaded, stored, posts = load_time(largest, work / "load-posts.sqlite3")
        report.add(
            f"Reading all {posts:,} posts of the largest site in one process (what each"
            f" worker does before its first answer): {loaded:.2f} s; taking them from"
            f" the post store instead: {stored:.2f} s."
        )
        report.add()
        in_process = cached_in_process(largest, work)
        report.add(
            "Cached requests through the app alone (Flask's test client, no server or"
            f" network), {sizes[-1]:,} posts: "
            + ", ".join(f"{name} {us:.0f} µs" for name, us in in_process.items())
            + "."
        )
        report.add()
        searched = search_bench.measure(largest)
        slowest = ", ".join(f"`{query}` {ms:.1f} ms" for ms, query in searched["slowest"])
        report.add(
            f"Search over {searched['posts']:,} posts: index built in "
            f"{searched['index_build_s']:.1f} s (once; later syncs rewrite changed files only);"
            f" queries median {searched['median_ms']:.1f} ms, p99 {searched['p99_ms']:.1f} ms,"
            f" slowest {searched['max_ms']:.1f} ms, over a mix of words, prefixes while typing,"
            f" phrases, tags and misses (bench/search.py). The slowest: {slowest}."
        )
        report.add()
        facts = {
            "index_kb": measured[-1][("bytes", "index")] / 1000,
            "tag_kb": measured[-1][("bytes", "tag partial")] / 1000,
            "post_kb": measured[-1][("bytes", "cached post page")] / 1000,
            "index_us": in_process["index"],
            "tag_us": in_process["tag partial"],
            "post_us": in_process["cached post page"],
            "bare_ms": statistics.median(rendered["bare"]),
            "load_s": loaded,
            "stored_s": stored,
            "posts": posts,
        }
        targets(report, measured, servers, rendered["site"], searched, facts)
        if not args.no_profile:
            report.add("## Profiles")
            report.add()
            profile(report, work / f"site-{compare_size}" / "content", largest, work)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(report.lines) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
