"""Where the code is in a Markdown text: template tags there are shown, not run."""

from __future__ import annotations

import bisect
import re

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[^\n]*$", re.MULTILINE)
_BACKTICKS = re.compile(r"`+")


def code_regions(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of fenced code blocks and inline code spans, in order.

    A fence closes at the next line holding at least as many of the same
    character (or at the end of the text, as CommonMark has it); a code span
    runs from a run of backticks to the next run of the same length.
    """
    regions: list[tuple[int, int]] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        end_of_prose = opening.start() if opening else len(text)
        regions.extend(_code_spans(text, position, end_of_prose))
        if opening is None:
            return regions
        char, size = opening.group("fence")[0], len(opening.group("fence"))
        closing = re.compile(rf"^[ \t]*{re.escape(char)}{{{size},}}[ \t]*$", re.MULTILINE)
        found = closing.search(text, opening.end() + 1)
        end = found.end() if found else len(text)
        regions.append((opening.start(), end))
        position = end


def _code_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    position = start
    while True:
        run = _BACKTICKS.search(text, position, end)
        if run is None:
            return spans
        closer = re.compile(rf"(?<!`){re.escape(run.group())}(?!`)")
        found = closer.search(text, run.end(), end)
        if found is None:
            position = run.end()
            continue
        spans.append((run.start(), found.end()))
        position = found.end()


class Regions:
    """Answers "is this offset inside code?" quickly for many offsets."""

    def __init__(self, regions: list[tuple[int, int]]) -> None:
        self._starts = [start for start, _ in regions]
        self._regions = regions

    def contains(self, offset: int) -> bool:
        index = bisect.bisect_right(self._starts, offset) - 1
        return index >= 0 and offset < self._regions[index][1]


class Lines:
    """Line numbers (1-based) of offsets in a text, each found by bisection."""

    def __init__(self, text: str) -> None:
        self._newlines = [match.start() for match in re.finditer("\n", text)]

    def of(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1
