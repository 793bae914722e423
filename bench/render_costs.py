"""What each extension and each step of the site's Markdown costs, measured in turns.

A shared machine's speed drifts by 2-3x over seconds (other processes on
the sibling hyperthread, the clock frequency), and CPU time drifts with it.
Timing one configuration for a while and then the next puts them at
different moments: a difference of a few milliseconds between two such runs
is mostly the drift. Here every configuration renders once per round, in
an order shuffled each round, and a cost is the median over rounds of the
difference within a round, so the drift falls on both sides alike.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import markdown

#: Rounds of the extension costs (every configuration renders once a round)
#: and renders of the step table.
ROUNDS = 40

#: The configuration with every extension and the one with none of them.
ALL = "all"
NONE = "none"
#: Stock smarty (its own second inline pass) on stock extensions, with and without it.
STOCK = "stock, all"
STOCK_WITHOUT_SMARTY = "stock, without smarty"
STOCK_SMARTY = "smarty, its own inline pass (stock)"


def in_turns(
    renders: Mapping[str, Callable[[], object]],
    rounds: int,
    clock: Callable[[], float] = time.process_time,
    seed: int = 15,
) -> dict[str, list[float]]:
    """Milliseconds of each render in each round: every render once a round,
    in a shuffled order, after one call each to warm up. Index ``i`` of every
    list is round ``i``."""
    for render in renders.values():
        render()
    order = list(renders)
    shuffle = random.Random(seed).shuffle
    spent: dict[str, list[float]] = {label: [] for label in order}
    for _ in range(rounds):
        shuffle(order)
        for label in order:
            started = clock()
            renders[label]()
            spent[label].append((clock() - started) * 1000)
    return spent


def paired_cost(spent: Mapping[str, list[float]], more: str, less: str) -> float:
    """The median over rounds of ``more``'s time less ``less``'s in the same round."""
    return statistics.median(a - b for a, b in zip(spent[more], spent[less], strict=True))


@dataclass(frozen=True)
class ExtensionCosts:
    """Medians (ms, CPU time) of the site's extensions on one text."""

    all_ms: float  # every extension
    none_ms: float  # none of them (the site's own processing that stays)
    cost_ms: dict[str, float]  # all less all but this one, paired within rounds

    @property
    def sum_ms(self) -> float:
        """The costs of the site's extensions added up (not the stock smarty row)."""
        return sum(ms for name, ms in self.cost_ms.items() if name != STOCK_SMARTY)


def extension_costs(body: str, rounds: int = ROUNDS) -> ExtensionCosts:
    """Each extension's cost on ``body``: the site's Markdown with every
    extension less the same without that one, each a Markdown instance of its
    own, all rendering in turns.

    As the site renders (the typography step in place of smarty's second inline
    pass, so removing smarty removes that step; only the inline patterns the
    text can match; lexers reused), without its own post-processing. One more
    row is smarty as it comes, with its own second pass, on stock extensions.
    """
    from webapp.posts import rendering
    from webapp.posts.render_speed import InlinePatternsExtension, ReusedLexersExtension
    from webapp.posts.typography import TypographyExtension

    configs = dict(rendering.EXTENSION_CONFIGS)

    def renderer(extensions: list[Any]) -> Callable[[], object]:
        md = markdown.Markdown(
            extensions=extensions, extension_configs=configs, output_format="html"
        )

        def render() -> object:
            md.reset()
            return md.convert(body)

        return render

    def site(extensions: list[str]) -> Callable[[], object]:
        """As the site builds it, with these extensions."""
        return renderer(
            [ReusedLexersExtension(), *extensions, TypographyExtension(), InlinePatternsExtension()]
        )

    names = list(rendering.EXTENSIONS)
    renders = {ALL: site(names), NONE: site([])}
    for name in names:
        renders[name] = site([other for other in names if other != name])
    renders[STOCK] = renderer(names)
    renders[STOCK_WITHOUT_SMARTY] = renderer([name for name in names if name != "smarty"])
    spent = in_turns(renders, rounds)
    costs = {name: paired_cost(spent, ALL, name) for name in names}
    costs[STOCK_SMARTY] = paired_cost(spent, STOCK, STOCK_WITHOUT_SMARTY)
    return ExtensionCosts(statistics.median(spent[ALL]), statistics.median(spent[NONE]), costs)


class StepClock:
    """CPU time spent in each wrapped step, less the time of wrapped steps it calls
    (a footnote's HTML runs the postprocessors inside a tree processor), so the
    steps add up to no more than the whole."""

    def __init__(self, clock: Callable[[], float] = time.process_time) -> None:
        self.clock = clock
        self.spent: dict[str, list[float]] = {}
        self._inner: list[float] = []  # per open step: the time of the steps it called

    def new_round(self) -> None:
        for times in self.spent.values():
            times.append(0.0)

    def wrap(self, label: str, run: Callable[..., Any]) -> Callable[..., Any]:
        times = self.spent.setdefault(label, [])

        def timed_run(*args: Any) -> Any:
            started = self.clock()
            self._inner.append(0.0)
            try:
                return run(*args)
            finally:
                took = self.clock() - started
                inner = self._inner.pop()
                times[-1] += (took - inner) * 1000
                if self._inner:
                    self._inner[-1] += took

        return timed_run


#: The part of a render outside every step in the table.
REST = "the rest (splitting lines, reset, calls between steps)"


def step_costs(body: str, rounds: int = ROUNDS) -> tuple[float, dict[str, float]]:
    """The median whole render of ``body`` by the site's Markdown (ms, CPU time),
    and the median of each of its steps: every preprocessor, the block parser,
    every tree processor, the serializer and every postprocessor, each without
    the steps it calls; the rest is the whole less the steps, per render."""
    from webapp.posts import rendering
    from webapp.posts.render_speed import settings_for

    md = rendering.build_markdown(settings_for(body, rendering.EXTENSIONS))
    steps = StepClock()
    for kind, registry in (
        ("preprocessor", md.preprocessors),
        ("tree processor", md.treeprocessors),
        ("postprocessor", md.postprocessors),
    ):
        for processor in list(registry):
            step: Any = processor  # each kind of processor has its own run()
            step.run = steps.wrap(f"{kind} {type(processor).__name__}", step.run)
    parser: Any = md.parser
    parser.parseDocument = steps.wrap("block parser", parser.parseDocument)
    md.serializer = steps.wrap("serializer", md.serializer)
    whole = steps.wrap(REST, md.convert)

    def render() -> None:
        steps.new_round()
        md.reset()
        whole(body)

    render()
    for times in steps.spent.values():
        times.clear()
    for _ in range(rounds):
        render()
    rest = steps.spent.pop(REST)
    totals = [sum(each) for each in zip(rest, *steps.spent.values(), strict=True)]
    medians = {label: statistics.median(times) for label, times in steps.spent.items()}
    medians[REST] = statistics.median(rest)
    return statistics.median(totals), medians
