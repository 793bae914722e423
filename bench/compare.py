"""The cached post page under each server, beside constant bytes and nginx."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from .load import Load, LoadRow, find, median_run, wrk
from .report import Report
from .servers import Running, app_server, fetch, nginx
from .site import BENCH_POST, site_env, site_folder
from .sizes import CONNECTIONS, PRODUCTION

APP_SERVERS = ("gunicorn-sync", "gunicorn-gthread", "granian")


@dataclass(frozen=True)
class ServerRow:
    """One server and what it served, at one connection count (median round)."""

    server: str  # gunicorn-sync, gunicorn-gthread, granian or nginx
    content: str  # "blog, cached post", "Flask, constant bytes", "the exported page"
    row: LoadRow


@dataclass
class Comparison:
    rows: list[ServerRow]

    def load(self, server: str, content: str, connections: int) -> Load | None:
        return find(
            [row.row for row in self.rows if row.server == server and row.content == content],
            content,
            connections,
        )

    def ratio(self, content: str, peer: tuple[str, str], connections: int) -> float | None:
        """This page's requests a second under the production server, over a peer's."""
        mine = self.load(PRODUCTION, content, connections)
        theirs = self.load(*peer, connections)
        if mine is None or theirs is None:
            return None
        return mine.requests_per_second / theirs.requests_per_second


BLOG = "blog, cached post"
CONSTANT = "Flask, constant bytes"
EXPORTED = "the exported page"


def compare_servers(
    report: Report, size: int, work: Path, export: Path, seconds: float, rounds: int
) -> Comparison:
    """Load the same post page from every server, interleaved; ``export`` is its static copy."""
    content = site_folder(work, size)
    post = f"/posts/{BENCH_POST}/"
    env = site_env(content)
    body = (export / post.strip("/") / "index.html").read_bytes()
    body_file = work / "constant-body.html"
    body_file.write_bytes(body)
    # Every server runs at once (idle but for its turn), so rounds can
    # interleave them as they do the pages; each row is its median round.
    with contextlib.ExitStack() as servers:
        running: dict[tuple[str, str], Running] = {}
        for kind in APP_SERVERS:
            blog = servers.enter_context(app_server(kind, env))
            for _ in range(3):
                fetch(blog.url + post)
            running[(kind, BLOG)] = blog
            running[(kind, CONSTANT)] = servers.enter_context(
                app_server(kind, {"BENCH_BODY": str(body_file)}, target="bench.ceiling:app")
            )
        running[("nginx", EXPORTED)] = servers.enter_context(nginx(export))
        runs: dict[tuple[str, str, int], list[Load]] = {}
        for _ in range(rounds):
            for (kind, what), server in running.items():
                for connections in CONNECTIONS:
                    load = wrk(server.url + post, connections=connections, seconds=seconds)
                    runs.setdefault((kind, what, connections), []).append(load)
    rows = [
        ServerRow(kind, what, LoadRow(what, connections, median_run(loads)))
        for (kind, what, connections), loads in runs.items()
    ]
    report.paragraph(
        f"### Servers, on the same page ({size:,} posts, a {len(body):,}-byte post page)"
    )
    report.table(
        ["Server and content", "Connections", "Result"],
        [[f"{row.content} ({row.server})", *row.row.cells()[1:]] for row in rows],
    )
    return Comparison(rows)
