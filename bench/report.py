"""The benchmark report: Markdown lines echoed as they come, and the machine's facts."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path


class Report:
    """Collects lines of Markdown, echoing them to the terminal as they come."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, text: str = "") -> None:
        self.lines.append(text)
        print(text, flush=True)

    def paragraph(self, text: str) -> None:
        self.add(text)
        self.add()

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.add("| " + " | ".join(header) + " |")
        self.add("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            self.add("| " + " | ".join(row) + " |")
        self.add()

    def code(self, heading: str, lines: list[str]) -> None:
        self.paragraph(heading)
        self.add("```")
        for line in lines:
            self.add(line)
        self.add("```")
        self.add()


def tool_version(command: list[str]) -> str:
    """The first line a tool prints about its version, or that it is missing."""
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return f"{command[0]}: not found"


def machine() -> list[str]:
    """Report lines naming the date, hardware, Python, libraries and tools."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("flask", "gunicorn", "granian", "markdown", "flask-caching", "jinja2")
    )
    tools = [
        tool_version(command)
        for command in (["nginx", "-v"], ["wrk", "--version"], ["hugo", "version"])
    ]
    return [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {cpu}, {os.cpu_count()} cores, {memory:,} MiB RAM, {platform.platform()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- {'; '.join(tools)}",
        "- Servers run 2 worker processes (granian, as the container runs it, unless"
        " named; gunicorn threaded: 4 threads each); wrk runs 2 threads on the same machine,"
        " so load and server share its cores.",
    ]
