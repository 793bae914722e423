"""The benchmark's cost tables compare configurations in turns and count each step once.

No time is asserted: clocks here are counters the test moves by hand.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.render_costs import (
    REST,
    STOCK_SMARTY,
    StepClock,
    extension_costs,
    in_turns,
    paired_cost,
    step_costs,
)
from bench.rendering import bench_body
from webapp.posts import rendering


def test_every_configuration_renders_once_a_round_in_a_changing_order() -> None:
    calls: list[str] = []

    def render(label: str) -> Callable[[], None]:
        return lambda: calls.append(label)

    labels = ["a", "b", "c", "d", "e"]
    spent = in_turns({label: render(label) for label in labels}, rounds=6)
    warm_up, rounds = calls[: len(labels)], calls[len(labels) :]
    assert sorted(warm_up) == labels
    orders = [rounds[i : i + len(labels)] for i in range(0, len(rounds), len(labels))]
    assert len(orders) == 6 and all(sorted(order) == labels for order in orders)
    assert len({tuple(order) for order in orders}) > 1
    assert all(len(times) == 6 for times in spent.values())


def test_a_cost_is_paired_within_rounds_so_a_drifting_machine_cancels_out() -> None:
    now = [0.0]
    slowdown = {"with": 0.0, "without": 0.0}

    def render(label: str, work: float) -> Callable[[], None]:
        def run() -> None:
            # The machine gets slower every round; "with" does 2 units more work.
            now[0] += work * (1 + slowdown[label])
            slowdown[label] += 1

        return run

    renders = {"with": render("with", 3.0), "without": render("without", 1.0)}
    spent = in_turns(renders, rounds=9, clock=lambda: now[0])
    # Each side alone spreads over a range many times the difference ...
    assert max(spent["without"]) - min(spent["without"]) > 3 * 2000
    # ... and within a round the difference is what the work adds, slowed down alike.
    # (warmed up once, so round k is slowed k + 1 times; the median round is k = 4)
    assert paired_cost(spent, "with", "without") == 2000 * (1 + 5)


def test_a_step_does_not_count_the_steps_it_calls() -> None:
    now = [0.0]
    steps = StepClock(clock=lambda: now[0])

    def inner() -> None:
        now[0] += 2

    timed_inner = steps.wrap("inner", inner)

    def outer() -> None:
        now[0] += 1
        timed_inner()
        now[0] += 1

    timed_outer = steps.wrap("outer", outer)
    steps.new_round()
    timed_outer()
    timed_inner()
    assert steps.spent == {"outer": [2000.0], "inner": [4000.0]}


def test_the_tables_cover_every_extension_and_every_step_of_the_render() -> None:
    body = bench_body()
    costs = extension_costs(body, rounds=1)
    assert set(costs.cost_ms) == {*rendering.EXTENSIONS, STOCK_SMARTY}
    assert costs.all_ms > 0 and costs.none_ms > 0
    whole_ms, steps = step_costs(body, rounds=3)
    assert {"block parser", "serializer", REST} <= set(steps)
    assert "tree processor TypographyTreeprocessor" in steps
    assert "preprocessor SuperFencesBlockPreprocessor" in steps
    assert all(ms >= 0 for ms in steps.values()) and whole_ms > 0
