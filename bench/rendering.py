"""Markdown rendering: the site's renderer, each extension's cost, and its peers.

All on the same text: a 2,000-word post with 8 footnotes and code blocks
(bench/sitegen.py's ``post_text``), rendered with no cache.
"""

from __future__ import annotations

import random
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .render_costs import ROUNDS as COST_ROUNDS
from .render_costs import ExtensionCosts, extension_costs, step_costs
from .report import Report
from .sitegen import post_text

ROUNDS = 40
#: Renders in a row by one renderer before the next takes its turn.
TURN = 4


def bench_body() -> str:
    """The measured post's Markdown body (front matter removed)."""
    from webapp.posts import ReaderSettings, Renderer, parse_post

    text = post_text(random.Random(5), 0, words=2000, notes=8)
    settings = ReaderSettings(renderer=Renderer())
    return parse_post(text.encode(), PurePosixPath("p.md"), settings).body


#: A shell block whose ``$`` loads the math extension (webapp/posts/render_speed.py).
SHELL_BLOCK = "\n\n```sh\nexport PATH=$HOME/bin:$PATH\n```\n"


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
    shell_ms: list[float]  # the same post with SHELL_BLOCK after it
    bare_ms: float
    extensions: ExtensionCosts
    whole_ms: float  # the site's Markdown, the render the steps divide
    step_ms: dict[str, float]  # each step of the site's Markdown, median
    pelican_ms: float | None
    pelican_note: str

    @property
    def site_median_ms(self) -> float:
        return statistics.median(self.site_ms)


#: Pelican's reader, kept running: each line read is a number of reads to
#: time; it answers with their CPU times (ms) on one line.
PELICAN_SCRIPT = """
import sys, time
from pelican.readers import MarkdownReader
from pelican.settings import DEFAULT_CONFIG
reader = MarkdownReader(dict(DEFAULT_CONFIG))
path = sys.argv[1]
reader.read(path)
print("ready", flush=True)
for line in sys.stdin:
    times = []
    for _ in range(int(line)):
        started = time.process_time()
        reader.read(path)
        times.append((time.process_time() - started) * 1000)
    print(" ".join(map(repr, times)), flush=True)
"""

#: Longest wait for one answer of Pelican's reader (s).
PELICAN_TIMEOUT = 120


class PelicanReader:
    """Pelican's own Markdown reader on the same text, in a scratch virtualenv
    made in ``work`` with pip, running in a process of its own that times
    reads when asked, so its runs interleave with this renderer's.
    """

    def __init__(self, body: str, work: Path) -> None:
        venv = work / "pelican-venv"
        python = venv / "bin" / "python"
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "pelican[markdown]>=4.11,<5"],
                check=True,
                timeout=600,
                capture_output=True,
            )
        self.version = subprocess.run(
            [str(python), "-c", "import pelican; print(pelican.__version__)"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        with tempfile.NamedTemporaryFile("w", suffix=".md", dir=work, delete=False) as file:
            file.write("Title: Bench\nDate: 2020-01-01\n\n" + body)
        self._process = subprocess.Popen(
            [str(python), "-c", PELICAN_SCRIPT, file.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            self._answer()
        except OSError:
            self.close()
            raise

    def read(self, times: int) -> list[float]:
        """CPU milliseconds of each of ``times`` reads of the text."""
        assert self._process.stdin is not None
        self._process.stdin.write(f"{times}\n")
        self._process.stdin.flush()
        return [float(ms) for ms in self._answer().split()]

    def _answer(self) -> str:
        stdout = self._process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], PELICAN_TIMEOUT)
        line = stdout.readline() if ready else ""
        if not line:
            raise OSError(f"Pelican's reader did not answer within {PELICAN_TIMEOUT} s")
        return line

    def close(self) -> None:
        self._process.kill()
        self._process.wait()


@dataclass(frozen=True)
class Interleaved:
    """CPU milliseconds of each render, by renderer, taken in turns."""

    site_ms: list[float]
    shell_ms: list[float]
    bare_ms: list[float]
    pelican_ms: list[float] | None
    note: str


def interleaved(body: str, work: Path) -> Interleaved:
    """CPU milliseconds of each render by the site's renderer (no cache, of
    ``body`` and of ``body`` with a shell block), bare Python-Markdown and
    Pelican's reader, in turns of a few renders each, so a change in the
    machine's load falls on all alike."""
    import markdown as plain

    from webapp.posts import Renderer

    renderer = Renderer()

    def site() -> None:
        renderer.render.cache_clear()
        renderer(body)

    def shell() -> None:
        renderer.render.cache_clear()
        renderer(body + SHELL_BLOCK)

    bare = plain.Markdown()

    def bare_render() -> None:
        bare.reset()
        bare.convert(body)

    pelican: PelicanReader | None = None
    try:
        pelican = PelicanReader(body, work)
        note = f"Pelican {pelican.version}'s MarkdownReader (its defaults)"
    except (OSError, subprocess.SubprocessError) as error:
        note = f"Pelican's reader not measured: could not install or run it ({error})"
    site_ms: list[float] = []
    shell_ms: list[float] = []
    bare_ms: list[float] = []
    pelican_ms: list[float] = []
    try:
        for _ in range(ROUNDS // TURN):
            site_ms += timed(site, TURN, time.process_time)
            shell_ms += timed(shell, TURN, time.process_time)
            bare_ms += timed(bare_render, TURN, time.process_time)
            if pelican is not None:
                pelican_ms += pelican.read(TURN)
    except OSError as error:
        note = f"Pelican's reader stopped answering ({error})"
        pelican_ms = []
    finally:
        if pelican is not None:
            pelican.close()
    return Interleaved(site_ms, shell_ms, bare_ms, pelican_ms or None, note)


def measure(report: Report, work: Path) -> RenderResult:
    from webapp.posts import rendering
    from webapp.posts.render_speed import settings_for

    body = bench_body()
    runs = interleaved(body, work)
    site_ms, pelican_ms, pelican_note = runs.site_ms, runs.pelican_ms, runs.note
    extensions = extension_costs(body)
    whole_ms, steps = step_costs(body)
    pelican_median = statistics.median(pelican_ms) if pelican_ms else None
    result = RenderResult(
        site_ms,
        runs.shell_ms,
        statistics.median(runs.bare_ms),
        extensions,
        whole_ms,
        steps,
        pelican_median,
        pelican_note,
    )
    pelican = (
        f"{pelican_note}: median {pelican_median:.2f} ms"
        if pelican_median is not None
        else pelican_note
    )
    report.paragraph(
        "Markdown to HTML for a 2,000-word post with 8 footnotes and code, no cache, in CPU"
        f" time ({ROUNDS} renders each, taking turns of {TURN}): the site's renderer median"
        f" {result.site_median_ms:.2f} ms, slowest {max(site_ms):.2f} ms; the same post with a"
        f" shell block using `$HOME` after it (math's extension loaded for it)"
        f" {statistics.median(runs.shell_ms):.2f} ms; Python-Markdown with"
        f" no extensions {result.bare_ms:.2f} ms; {pelican}."
    )
    loaded = settings_for(body, rendering.EXTENSIONS)
    report.paragraph(
        "Each extension's cost in CPU time: the site's Markdown with every extension, less"
        " the same without that one (none of the site's post-processing), the median over"
        f" {COST_ROUNDS} rounds of the difference within a round, where each configuration"
        " renders once in a shuffled order. Every extension:"
        f" {extensions.all_ms:.2f} ms; none: {extensions.none_ms:.2f} ms; the difference"
        f" {extensions.all_ms - extensions.none_ms:.2f} ms against the costs' sum"
        f" {extensions.sum_ms:.2f} ms (extensions that share work, or whose absence changes"
        " what others see, need not add up). The site loads only the extensions a text can"
        " use (webapp/posts/render_speed.py); the last column says which it loads for this one."
    )
    report.table(
        ["Extension", "Cost (ms)", "Loaded for this text"],
        [
            [name, f"{ms:.2f}", "yes" if name in loaded else ("-" if "stock" in name else "no")]
            for name, ms in sorted(extensions.cost_ms.items(), key=lambda item: -item[1])
        ],
    )
    report.paragraph(
        f"Each step of the site's Markdown for this text in CPU time (medians of {COST_ROUNDS}"
        f" renders, whole render median {whole_ms:.2f} ms; each step without the steps it"
        " calls, so they add up to the whole; the typography step is"
        " TypographyTreeprocessor, in place of smarty's inline pass):"
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
