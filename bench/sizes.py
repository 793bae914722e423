"""Each site size under the production server: start-up, memory, load, edits, first views."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import search as search_bench
from .load import Load, LoadRow, find, median_run, wrk
from .report import Report
from .servers import Running, app_server, fetch
from .site import BENCH_NOTE, BENCH_POST, BENCH_TAG, PARTIAL, site_env, site_folder

CONNECTIONS = (16, 64)
#: The server the container runs (serve.py); the others are for comparison.
PRODUCTION = "granian"
#: Never-viewed posts requested once each after a start.
FIRST_VIEWS = 40


@dataclass(frozen=True)
class FirstViews:
    """Milliseconds for one client's first request to each of several never-viewed posts."""

    times_ms: list[float]

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.times_ms)

    def describe(self) -> str:
        ordered = sorted(self.times_ms)
        p90 = ordered[int(len(ordered) * 0.9) - 1] if len(ordered) >= 10 else ordered[-1]
        return (
            f"mean {self.mean_ms:.1f} ms, median {statistics.median(ordered):.1f} ms,"
            f" p90 {p90:.1f} ms, max {ordered[-1]:.1f} ms over {len(ordered)} posts"
        )


@dataclass
class SizeResult:
    """What one site size measured."""

    size: int
    first_start_s: float = 0.0
    restart_s: float = 0.0
    rss_mb: list[float] = field(default_factory=list)
    edit_ms: list[float] = field(default_factory=list)
    response_bytes: dict[str, int] = field(default_factory=dict)
    rows: list[LoadRow] = field(default_factory=list)
    first_views_first_start: FirstViews | None = None
    first_views_restart: FirstViews | None = None

    def load(self, name: str, connections: int) -> Load:
        found = find(self.rows, name, connections)
        if found is None:
            raise KeyError(f"{name} at {connections} connections was not measured")
        return found


def endpoints(running: Running) -> dict[str, tuple[str, dict[str, str]]]:
    post = f"/posts/{BENCH_POST}/"
    _, headers, _ = fetch(running.url + post)
    return {
        "cached post page": (post, {}),
        "index": ("/", {}),
        "tag partial": (f"/partials/tags/{BENCH_TAG}/", PARTIAL),
        "footnote partial": (f"{post}footnotes/{BENCH_NOTE}/", PARTIAL),
        "304 conditional": (post, {"If-None-Match": headers["ETag"]}),
    }


def first_views(running: Running, slugs: list[str]) -> FirstViews:
    """Time one request to each post, none of them viewed since the server started."""
    times = []
    for slug in slugs:
        started = time.perf_counter()
        status, _, _ = fetch(f"{running.url}/posts/{slug}/")
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"/posts/{slug}/ answered {status}")
    return FirstViews(times)


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


def measure_size(report: Report, size: int, work: Path, seconds: float, rounds: int) -> SizeResult:
    content = site_folder(work, size)
    env = site_env(content)
    search_bench.build_index(content, Path(env["BLOG_SEARCH_INDEX"]))
    result = SizeResult(size)
    store = Path(env["BLOG_POST_STORE"])
    store.unlink(missing_ok=True)
    # Posts in a shuffled order, none of them the measured one: each first
    # view below asks for a post no process has rendered since it started.
    others = sorted(path.stem for path in content.glob("*.md") if path.stem != BENCH_POST)
    random.Random(size).shuffle(others)
    with app_server(PRODUCTION, env) as running:
        result.first_start_s = running.started_in
        result.first_views_first_start = first_views(running, others[:FIRST_VIEWS])
        targets = endpoints(running)
        for name, (path, headers) in targets.items():  # warm every cache
            for _ in range(3):
                _, _, body = fetch(running.url + path, headers)
            result.response_bytes[name] = len(body)
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
            result.rows.append(LoadRow(name, connections, median_run(loads)))
        result.rss_mb = running.worker_rss_mb()
        result.edit_ms = edit_to_visible(running, content / f"{BENCH_POST}.md")
    if not store.exists():
        raise RuntimeError(f"the server did not write its post store {store}")
    # A restart: the store holds every post but the one just edited, and the
    # bodies the first process rendered. A deploy is such a restart; the
    # posts asked for are ones this process has never served.
    with app_server(PRODUCTION, env) as running:
        result.restart_s = running.started_in
        result.first_views_restart = first_views(running, others[:FIRST_VIEWS])
    # Every request renders: no response cache, no post store, and URLs
    # rotating over many posts so that the bounded Markdown cache mostly misses too.
    uncached = site_env(content, CACHE_TYPE="NullCache", BLOG_POST_STORE="off")
    with app_server("gunicorn-gthread", uncached) as running:
        paths = [f"/posts/{slug}/" for slug in sorted(others)[:2000]]
        for connections in CONNECTIONS:
            load = wrk(running.url + "/", connections=connections, seconds=seconds, paths=paths)
            result.rows.append(LoadRow("uncached post render", connections, load))
    _report(report, result)
    return result


def _report(report: Report, result: SizeResult) -> None:
    report.paragraph(f"### {result.size:,} posts")
    edits = result.edit_ms
    assert result.first_views_first_start and result.first_views_restart
    report.paragraph(
        "Start-up (process start to first 200 on /): first start"
        f" {result.first_start_s:.2f} s, restart {result.restart_s:.2f} s"
        " (posts read before taken from the post store). "
        "Resident memory per worker after the runs: "
        f"{', '.join(f'{mb:.0f} MB' for mb in result.rss_mb)}. "
        f"Edit to visible: median {statistics.median(edits):.0f} ms, worst {max(edits):.0f} ms."
    )
    report.paragraph(
        "First request to a never-viewed post, one client over HTTP: on a first start "
        f"{result.first_views_first_start.describe()}; after a restart, posts the"
        " previous process rendered (their HTML taken from the post store): "
        f"{result.first_views_restart.describe()}."
    )
    report.table(["Request", "Connections", "Result"], [row.cells() for row in result.rows])
