"""The targets, each measured beside its peer, and why any is missed."""

from __future__ import annotations

from dataclasses import dataclass, field

from .compare import BLOG, CONSTANT, EXPORTED, Comparison
from .export import Exported
from .rendering import RenderResult
from .report import Report
from .search import Searched
from .sizes import CONNECTIONS, PRODUCTION, SizeResult


@dataclass(frozen=True)
class Facts:
    """Numbers from this run that the explanations of misses quote."""

    bare_ms: float
    load_s: float
    stored_s: float
    posts: int
    import_s: float
    granian_s: float
    cached_app_us: float


#: What the profiles show behind each target this code can miss on this
#: machine; {names} are filled from the same run's Facts.
WHY_MISSED = {
    "start-up": "Start-up: on a first start the workers share the posts out before they"
    " answer: each reads and parses about half ({load_s:.1f} s for all {posts:,} posts in"
    " one process; YAML is about a third, the rest reading, field checks and migration"
    " rules, the profile of loading them below shows where), stores them and takes the"
    " other half from the post store, on two cores shared with the server's own start."
    " A restart takes unchanged posts from the post store"
    " instead ({stored_s:.2f} s in one process), after importing Flask, Jinja and the"
    " application ({import_s:.2f} s of CPU per worker), which granian's own process"
    " starts once it has imported itself ({granian_s:.2f} s of CPU, asyncio most of it):"
    " about half of a 1 s restart goes before any post is read.",
    "Markdown": "Markdown: Python-Markdown with no extensions already takes"
    " {bare_ms:.1f} ms for this post; the per-extension table above shows what each"
    " extension the site needs adds.",
    "first view of a post on a first start": "First view on a first start: no process has"
    " rendered the body yet, so the request renders it (the Markdown row), then builds"
    " the page and caches it.",
    "first view of a post after a restart": "First view after a restart: the body comes"
    " from the render store, but the page is still built from its template and cached"
    " (the profile of such first views below shows where that goes), then crosses the"
    " server and the loopback on two cores shared with the client.",
    "bodies in the post store": "Export with the bodies in the post store: no Markdown is"
    " rendered; the time is starting Python and reading the posts, then building each page"
    " through the application (the export profile below shows where it goes).",
    "export": "Export: with no body rendered before, every one is rendered (the Markdown"
    " row), and every page is built through the application, where Hugo's renderer is"
    " compiled Go; the export profile below shows where the time goes.",
    "cached post ÷": "Cached post against the ceiling and the limit: the application's"
    " own work is {cached_app_us:.0f} µs of CPU per cached post (the in-process row"
    " above); the rest of each request is the server's, wrk's and the kernel's loopback,"
    " with the two server workers and wrk's two threads on two cores, and this machine's"
    " load moves the ratio from one run to the next.",
    "search index build": "Search index build: one thread extracts the text of every post"
    " (Python) while the other makes SQLite's FTS5 inserts into the stemmed and prefix"
    " tables, each about half the work, and the commit then copies the index out of"
    " SQLite's write-ahead log into its file (the profile of a build below shows the split).",
    "search": "Search: the slowest queries (listed above, with how many posts each"
    " matches, and profiled there) are the first letters of a word still being typed."
    " FTS5 merges the match lists of every word they start, with each match's place in"
    " the text, inside SQLite. The index holds words' first two and three letters; a"
    " longer prefix that starts few words is searched as those words. The matches are"
    " counted before a page is chosen: past 1,000 the page is the title and tag matches,"
    " then the newest, with no BM25 over them all.",
}


@dataclass
class Targets:
    rows: list[list[str]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def check(
        self,
        name: str,
        value: float,
        goal: float,
        *,
        higher: bool,
        shown: str,
        wanted: str,
        facts: Facts,
    ) -> None:
        met = value >= goal if higher else value <= goal
        verdict = "met"
        if not met:
            gap = (goal / value if higher else value / goal) if value else float("inf")
            verdict = f"missed by {gap:.2f}x"
            reason = next((why for key, why in WHY_MISSED.items() if key in name), None)
            if reason:
                reason = reason.format(**vars(facts))
                if reason not in self.reasons:
                    self.reasons.append(reason)
        self.rows.append([name, wanted, shown, verdict])


def report_targets(
    report: Report,
    sizes: list[SizeResult],
    servers: Comparison,
    rendered: RenderResult,
    exported: Exported,
    searched: Searched,
    facts: Facts,
) -> Targets:
    targets = Targets()

    def ratio(name: str, value: float | None, goal: float) -> None:
        if value is not None:
            shown, wanted = f"{value:.2f}x", f"at least {goal:g}x"
            targets.check(name, value, goal, higher=True, shown=shown, wanted=wanted, facts=facts)

    def at_most(name: str, value: float, goal: float, unit: str, digits: int = 2) -> None:
        shown, wanted = f"{value:.{digits}f} {unit}", f"at most {goal:g} {unit}"
        targets.check(name, value, goal, higher=False, shown=shown, wanted=wanted, facts=facts)

    for connections in CONNECTIONS:
        ratio(
            f"cached post ÷ nginx serving the export, {connections} conn.",
            servers.ratio(BLOG, ("nginx", EXPORTED), connections),
            0.6,
        )
        ratio(
            f"cached post ÷ constant bytes, both under {PRODUCTION}, {connections} conn.",
            servers.ratio(BLOG, (PRODUCTION, CONSTANT), connections),
            2.0,
        )
    if exported.hugo is not None:
        hugo_s = exported.hugo.seconds
        size = f"{exported.size:,} posts"
        ratio(f"Hugo's build time ÷ the export's, {size}", hugo_s / exported.full_s, 1.0)
        ratio(
            f"Hugo's build time ÷ the export's, bodies in the post store, {size}",
            hugo_s / exported.warm_s,
            1.0,
        )
        ratio(
            f"half Hugo's build time ÷ the export's after one edit, {size}",
            hugo_s / 2 / exported.edit_s,
            1.0,
        )
    median_render = rendered.site_median_ms
    at_most("Markdown render, 2,000 words, 8 footnotes (median)", median_render, 5.0, "ms")
    if rendered.pelican_ms is not None:
        ratio("Markdown: Pelican's reader ÷ this renderer", rendered.pelican_ms / median_render, 1)
    largest = sizes[-1]
    label = f"{largest.size:,} posts"
    if largest.first_views_restart and largest.first_views_first_start:
        at_most(
            f"first view of a post after a restart, mean, {label}",
            largest.first_views_restart.mean_ms,
            4.0,
            "ms",
        )
        at_most(
            f"first view of a post on a first start, mean, {label}",
            largest.first_views_first_start.mean_ms,
            10.0,
            "ms",
        )
    at_most(f"start-up, first start, {label}", largest.first_start_s, 3.0, "s")
    at_most(f"start-up, restart, {label}", largest.restart_s, 1.0, "s")
    at_most(f"edit to visible, {label} (worst)", max(largest.edit_ms), 50, "ms", 0)
    at_most(f"search index build, {searched.posts:,} posts", searched.index_build_s, 10, "s", 1)
    at_most(f"memory per worker, {label}", max(largest.rss_mb), 250, "MB", 0)
    at_most(f"search median, {searched.posts:,} posts", searched.median_ms, 10, "ms", 1)
    at_most(f"search p99, {searched.posts:,} posts", searched.p99_ms, 50, "ms", 1)
    report.paragraph("## Targets")
    report.table(["Target", "Wanted", "Measured", "Verdict"], targets.rows)
    if targets.reasons:
        report.paragraph("Why the misses (from the profiles and measurements of this code):")
        for reason in targets.reasons:
            report.add(f"- {reason}")
        report.add()
    return targets
