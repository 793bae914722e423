"""What expanding template code in a post body produced, and what it could not render."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unknown:
    """A use of a template tag this engine cannot render, at a line of the body (1-based)."""

    line: int
    name: str


@dataclass(frozen=True)
class Expanded:
    """A body with its template code expanded, and what could not be rendered exactly."""

    text: str
    unknown: tuple[Unknown, ...] = ()
    #: (line, message) for tags that were rendered but lost something.
    problems: tuple[tuple[int, str], ...] = ()
