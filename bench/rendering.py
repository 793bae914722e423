"""Markdown rendering: the site's renderer, each extension's cost, and its peers.

All on the same text: a 2,000-word post with 8 footnotes and code blocks
(bench/sitegen.py's ``post_text``), rendered with no cache.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import markdown

from .report import Report
from .sitegen import post_text

ROUNDS = 40


def bench_body() -> str:
    """The measured post's Markdown body (front matter removed)."""
    from webapp.posts import ReaderSettings, Renderer, parse_post

    text = post_text(random.Random(5), 0, words=2000, notes=8)
    settings = ReaderSettings(renderer=Renderer())
    return parse_post(text.encode(), PurePosixPath("p.md"), settings).body


def timed(
    render: Callable[[], object],
    rounds: int = ROUNDS,
    clock: Callable[[], float] = time.perf_counter,
) -> list[float]:
    """Milliseconds for each of ``rounds`` calls, after one call to warm up."""
    render()
    times = []
    for _ in range(rounds):
        started = clock()
        render()
        times.append((clock() - started) * 1000)
    return times


@dataclass(frozen=True)
class RenderResult:
    """Medians (ms) of the site's renderer, bare Python-Markdown and each extension's cost."""

    site_ms: list[float]
    bare_ms: float
    all_extensions_ms: float
    extension_cost_ms: dict[str, float]  # all extensions, less the same without this one
    step_ms: dict[str, float]  # each processor of the site's Markdown, fastest run
    pelican_ms: float | None
    pelican_note: str

    @property
    def site_median_ms(self) -> float:
        return statistics.median(self.site_ms)


def _convert_with(extensions: list[Any], configs: dict[str, dict[str, Any]], body: str) -> float:
    md = markdown.Markdown(extensions=extensions, extension_configs=configs, output_format="html")

    def render() -> None:
        md.reset()
        md.convert(body)

    # This process's CPU time, fastest run: differences of a few milliseconds
    # drown in a shared machine's noise, which only ever adds time.
    return min(timed(render, ROUNDS // 2, time.process_time))


def extension_costs(body: str) -> tuple[float, dict[str, float]]:
    """The fastest render with every extension, and each extension's share: that
    less the fastest render without that one (each a fresh Markdown instance).

    As the site renders (the typography step in place of smarty's second inline
    pass, so removing smarty removes that step; only the inline patterns the
    text can match; lexers reused), without its own post-processing. One more
    row is smarty as it comes, with its own second pass, on stock extensions.
    """
    from webapp.posts import rendering
    from webapp.posts.render_speed import InlinePatternsExtension, ReusedLexersExtension
    from webapp.posts.typography import TypographyExtension

    def site(extensions: list[Any]) -> list[Any]:
        """As the site builds it, with these extensions."""
        return [
            ReusedLexersExtension(),
            *extensions,
            TypographyExtension(),
            InlinePatternsExtension(),
        ]

    names = list(rendering.EXTENSIONS)
    configs = {name: config for name, config in rendering.EXTENSION_CONFIGS.items()}
    full = _convert_with(site(names), configs, body)
    costs = {}
    for name in names:
        rest = [other for other in names if other != name]
        costs[_label(name)] = full - _convert_with(site(rest), configs, body)
    without_smarty = [name for name in names if name != "smarty"]
    costs["smarty, its own inline pass (stock)"] = _convert_with(
        names, configs, body
    ) - _convert_with(without_smarty, configs, body)
    return full, costs


def step_costs(body: str) -> dict[str, float]:
    """CPU time (ms, fastest of the rounds) of each preprocessor, tree processor
    and postprocessor of the site's Markdown for ``body`` (the block parser and
    serializer are not steps: they are the rest of the whole)."""
    from webapp.posts import rendering
    from webapp.posts.render_speed import settings_for

    md = rendering.build_markdown(settings_for(body, rendering.EXTENSIONS))
    spent: dict[str, list[float]] = {}
    for kind, registry in (
        ("preprocessor", md.preprocessors),
        ("tree processor", md.treeprocessors),
        ("postprocessor", md.postprocessors),
    ):
        for processor in list(registry):
            label = f"{kind} {type(processor).__name__}"
            times = spent.setdefault(label, [])
            step: Any = processor  # each kind of processor has its own run()
            step.run = _timing(step.run, times)

    def render() -> None:
        for times in spent.values():
            times.append(0.0)
        md.reset()
        md.convert(body)

    timed(render, ROUNDS // 2, time.process_time)
    return {label: min(times) for label, times in spent.items()}


def _timing(run: Callable[..., Any], times: list[float]) -> Callable[..., Any]:
    def timed_run(*args: Any) -> Any:
        started = time.process_time()
        try:
            return run(*args)
        finally:
            times[-1] += (time.process_time() - started) * 1000

    return timed_run


def _label(extension: object) -> str:
    return extension if isinstance(extension, str) else type(extension).__name__


PELICAN_SCRIPT = """
import statistics, sys, time
from pelican.readers import MarkdownReader
from pelican.settings import DEFAULT_CONFIG
reader = MarkdownReader(dict(DEFAULT_CONFIG))
path = sys.argv[1]
reader.read(path)
times = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    reader.read(path)
    times.append((time.perf_counter() - started) * 1000)
print(statistics.median(times))
"""


def pelican_reader(body: str, work: Path) -> tuple[float | None, str]:
    """Pelican's own Markdown reader on the same text, from a scratch virtualenv.

    The scratch environment is made in ``work`` with pip; without network
    access or pip, the row says so instead of a number.
    """
    venv = work / "pelican-venv"
    python = venv / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "pelican[markdown]>=4.11,<5"],
                check=True,
                timeout=600,
                capture_output=True,
            )
        with tempfile.NamedTemporaryFile("w", suffix=".md", dir=work, delete=False) as file:
            file.write("Title: Bench\nDate: 2020-01-01\n\n" + body)
        out = subprocess.run(
            [str(python), "-c", PELICAN_SCRIPT, file.name, str(ROUNDS)],
            check=True,
            timeout=600,
            capture_output=True,
            text=True,
        )
        version = subprocess.run(
            [str(python), "-c", "import pelican; print(pelican.__version__)"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        return float(out.stdout.strip()), f"Pelican {version}'s MarkdownReader (its defaults)"
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        return None, f"Pelican's reader not measured: could not install or run it ({error})"


def measure(report: Report, work: Path) -> RenderResult:
    import markdown as plain

    from webapp.posts import Renderer

    body = bench_body()
    renderer = Renderer()

    def site() -> None:
        renderer.render.cache_clear()
        renderer(body)

    bare = plain.Markdown()

    def bare_render() -> None:
        bare.reset()
        bare.convert(body)

    site_ms = timed(site)
    bare_ms = statistics.median(timed(bare_render))
    full_ms, costs = extension_costs(body)
    steps = step_costs(body)
    pelican_ms, pelican_note = pelican_reader(body, work)
    result = RenderResult(site_ms, bare_ms, full_ms, costs, steps, pelican_ms, pelican_note)
    pelican = (
        f"{pelican_note}: median {pelican_ms:.2f} ms" if pelican_ms is not None else pelican_note
    )
    report.paragraph(
        "Markdown to HTML for a 2,000-word post with 8 footnotes and code, no cache: the"
        f" site's renderer median {result.site_median_ms:.2f} ms, slowest"
        f" {max(site_ms):.2f} ms; Python-Markdown with no extensions {bare_ms:.2f} ms; every"
        f" extension on this text, none of the site's own processing (fastest run, CPU"
        f" time) {full_ms:.2f} ms; {pelican}."
    )
    report.paragraph(
        "Each extension's cost in CPU time (the fastest of 20 renders with all the site's"
        " extensions, less the fastest without that one; extensions that share work can sum"
        " to more or less than the whole):"
    )
    report.table(
        ["Extension", "Cost (ms)"],
        [[name, f"{ms:.2f}"] for name, ms in sorted(costs.items(), key=lambda item: -item[1])],
    )
    report.paragraph(
        "Each step of the site's Markdown for this text in CPU time (the fastest of 20"
        " renders; the typography step is TypographyTreeprocessor, in place of smarty's"
        " inline pass; block parsing and serializing are the rest of the whole):"
    )
    report.table(
        ["Step", "Time (ms)"],
        [
            [name, f"{ms:.2f}"]
            for name, ms in sorted(steps.items(), key=lambda item: -item[1])
            if ms >= 0.01
        ],
    )
    return result
