"""In-process measurements and profiles: cached requests, loading a site, where time goes."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .report import Report
from .site import BENCH_POST, BENCH_TAG, PARTIAL, forget_store


@dataclass(frozen=True)
class Loaded:
    """One process reading every post, then again from the post store that wrote."""

    first_s: float
    from_store_s: float
    posts: int


def cached_in_process(content: Path, work: Path, rounds: int = 3000) -> dict[str, float]:
    """Microseconds of CPU per cached request through the application's WSGI
    callable alone (no server, no network, no test client), for the pages the
    load runs compare: what the application adds to a server's own work."""
    from werkzeug.test import EnvironBuilder

    from webapp import create_app

    app = create_app(
        {
            "CONTENT_DIR": str(content),
            "SEARCH_INDEX": str(work / "in-process.sqlite3"),
            "POST_STORE": str(content.parent / "posts.sqlite3"),  # the server's, already full
            "INDEX_ON_START": False,
        }
    )
    pages: dict[str, tuple[str, dict[str, str]]] = {
        "cached post page": (f"/posts/{BENCH_POST}/", {}),
        "index": ("/", {}),
        "tag partial": (f"/partials/tags/{BENCH_TAG}/", PARTIAL),
    }
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
        statuses.append(status)
        return None

    def ask(environ: dict[str, Any]) -> None:
        body = app(dict(environ), start_response)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    environs = {
        name: EnvironBuilder(path=path, headers=list(headers.items())).get_environ()
        for name, (path, headers) in pages.items()
    }
    timings: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(3):  # interleaved, so a noisy moment does not land on one page
        for name, environ in environs.items():
            statuses.clear()
            ask(environ)  # cached from here on
            started = time.process_time()
            for _ in range(rounds // 3):
                ask(environ)
            timings[name].append((time.process_time() - started) / (rounds // 3) * 1e6)
            if set(statuses) != {"200 OK"}:
                raise RuntimeError(f"{name} answered {sorted(set(statuses))}")
    app.extensions["blog"].folder.close()
    return {name: min(times) for name, times in timings.items()}


#: Prints the CPU seconds this process spends importing a module.
_IMPORT_SCRIPT = """
import time
started = time.process_time()
import {module}
print(time.process_time() - started)
"""


def import_time(rounds: int = 5, module: str = "webapp") -> float:
    """CPU seconds a fresh process spends importing a module (median of
    ``rounds``): each server worker imports the application before reading a
    post, and granian's own process imports its command line before it
    starts the workers."""
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", _IMPORT_SCRIPT.format(module=module)],
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            ).stdout
        )
        for _ in range(rounds)
    ]
    return statistics.median(times)


def load_time(content: Path, store: Path) -> Loaded:
    """Seconds for one process to read every post below ``content``, then to
    load them again with the post store this first read wrote."""
    from webapp.posts import ContentFolder, ReaderSettings

    store.unlink(missing_ok=True)
    timings = []
    posts = 0
    for _ in range(2):
        started = time.perf_counter()
        folder = ContentFolder(content, ReaderSettings(), use_inotify=False, store=store)
        posts = len(folder.snapshot().posts)
        timings.append(time.perf_counter() - started)
        folder.close()  # waits for the store to be written
    return Loaded(timings[0], timings[1], posts)


def _show(report: Report, profiler: Any, heading: str, lines: int = 40, flat: int = 20) -> None:
    """pyinstrument's call tree, library frames folded, cut to the first
    lines; then the functions that spent the most time themselves (the tree's
    first branches can fill its lines, hiding where the rest goes)."""
    text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=True)
    kept = [line.rstrip() for line in text.splitlines() if line.strip()][:lines]
    report.code(heading, kept)
    text = profiler.output_text(unicode=False, color=False, flat=True, short_mode=True)
    rows = [line.rstrip() for line in text.splitlines() if line.strip()]
    rows = [row for row in rows if not row.startswith(("pyinstrument", "."))][:flat]
    report.code("The same, the functions that spent the most time themselves:", rows)


def profile(report: Report, content: Path, largest: Path, work: Path) -> None:
    """Where a cached and an uncached post request, and loading the largest
    site, spend their time (pyinstrument)."""
    from pyinstrument import Profiler

    from webapp import create_app
    from webapp.posts import ContentFolder, ReaderSettings

    post = f"/posts/{BENCH_POST}/"
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("cached post page", {}, 3000),
        (
            "uncached post page (Markdown rendered each time)",
            {"CACHE_TYPE": "NullCache", "POST_STORE": "off"},
            150,
        ),
    ]
    for label, config, rounds in cases:
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
        client.get(post)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(rounds):
            if config:
                renderer.render.cache_clear()
            client.get(post)
        profiler.stop()
        session = profiler.last_session
        assert session is not None
        _show(
            report,
            profiler,
            f"**{label}**: {session.duration / rounds * 1000:.2f} ms per request in-process"
            " (the Flask test client's own work included). Where the time goes:",
        )
        app.extensions["blog"].folder.close()

    profile_stored_views(report, content, work)
    posts = sum(1 for _ in largest.rglob("*.md"))
    store = work / "profile-load.sqlite3"
    forget_store(store)
    for label in (
        f"loading {posts:,} posts** (what each worker does before its first answer"
        " on a first start)",
        f"loading {posts:,} posts from the post store** (a restart)",
    ):
        folder = ContentFolder(largest, ReaderSettings(), use_inotify=False, store=store)
        profiler = Profiler(interval=0.001)
        profiler.start()
        folder.snapshot()
        profiler.stop()
        folder.wait_until_stored()
        folder.close()
        session = profiler.last_session
        assert session is not None
        _show(
            report,
            profiler,
            f"**{label}: {session.duration:.2f} s in one process. Where the time goes:",
        )
    forget_store(store)
    profile_search_build(report, content, work)


def profile_stored_views(report: Report, content: Path, work: Path, views: int = 60) -> None:
    """A restarted process's first view of posts an earlier one rendered:
    bodies from the render store, pages built and cached afresh."""
    from pyinstrument import Profiler

    from webapp import create_app

    store = work / "profile-views.sqlite3"
    forget_store(store)
    slugs = sorted(path.stem for path in content.glob("*.md"))[:views]
    config = {
        "CONTENT_DIR": str(content),
        "SEARCH_INDEX": str(work / "profile.sqlite3"),
        "INDEX_ON_START": False,
        "POST_STORE": str(store),
    }
    earlier = create_app(config)
    for slug in slugs:
        earlier.test_client().get(f"/posts/{slug}/")
    earlier.extensions["blog"].folder.close()
    app = create_app(config)
    client = app.test_client()
    client.get("/")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for slug in slugs:
        client.get(f"/posts/{slug}/")
    profiler.stop()
    app.extensions["blog"].folder.close()
    forget_store(store)
    session = profiler.last_session
    assert session is not None
    _show(
        report,
        profiler,
        f"**first view of a post after a restart** (its body in the render store, the"
        f" page built and cached): {session.duration / views * 1000:.2f} ms per request"
        " in-process (the Flask test client's own work included). Where the time goes:",
    )


def profile_search_build(report: Report, content: Path, work: Path) -> None:
    """Building the search index of a site from nothing (the main thread; a
    second one extracts the next batch's text meanwhile)."""
    from pyinstrument import Profiler

    from .search import build_index

    index = work / "profile-search.sqlite3"
    posts = sum(1 for _ in content.glob("*.md"))
    profiler = Profiler(interval=0.001)
    profiler.start()
    build_index(content, index)
    profiler.stop()
    for path in work.glob("profile-search.sqlite3*"):
        path.unlink()
    session = profiler.last_session
    assert session is not None
    _show(
        report,
        profiler,
        f"**building the search index of {posts:,} posts** (reading them included):"
        f" {session.duration:.2f} s in one process. Where the time goes:",
    )


def profile_export(report: Report, content: Path, destination: Path) -> None:
    """Where a full static export of a site spends its time (pyinstrument): first
    with no body rendered before, then again with every body in the post store."""
    import shutil

    from pyinstrument import Profiler

    from webapp import create_app
    from webapp.export import freeze_site

    store = destination.parent / f"{destination.name}-store.sqlite3"
    forget_store(store)
    posts = sum(1 for _ in content.glob("*.md"))
    for label in ("no body rendered before", "the bodies in the post store"):
        shutil.rmtree(destination, ignore_errors=True)
        app = create_app(
            {"CONTENT_DIR": str(content), "INDEX_ON_START": False, "POST_STORE": str(store)}
        )
        profiler = Profiler(interval=0.001)
        profiler.start()
        freeze_site(app, destination, processes=1)
        profiler.stop()
        app.extensions["blog"].folder.close()
        session = profiler.last_session
        assert session is not None
        _show(
            report,
            profiler,
            f"**exporting {posts:,} posts in one process, {label}**:"
            f" {session.duration:.2f} s. Where the time goes:",
        )
