"""Driving load with wrk and reading its report."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    """One wrk run: requests a second, latency percentiles (ms), failures."""

    requests_per_second: float
    median_ms: float
    p99_ms: float
    errors: int

    def row(self) -> str:
        failures = f", {self.errors} failed" if self.errors else ""
        return (
            f"{self.requests_per_second:,.0f} req/s, median {self.median_ms:.2f} ms,"
            f" p99 {self.p99_ms:.2f} ms{failures}"
        )


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse(report: str) -> Load:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", report)
    median = re.search(r"50%\s+([\d.]+\w+)", report)
    p99 = re.search(r"99%\s+([\d.]+\w+)", report)
    if not (rate and median and p99):
        raise RuntimeError(f"could not read wrk's report:\n{report}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", report))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return Load(
        float(rate.group(1)), _milliseconds(median.group(1)), _milliseconds(p99.group(1)), errors
    )


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    paths: list[str] | None = None,
    threads: int = 2,
) -> Load:
    """Load url from a second process; ``paths`` rotates requests over several URLs."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    command = [
        binary,
        "--latency",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory() as scratch:
        if paths:
            script = Path(scratch) / "rotate.lua"
            quoted = ",".join(f'"{path}"' for path in paths)
            script.write_text(
                f"local paths = {{{quoted}}}\nlocal i = 0\n"
                "request = function()\n  i = i % #paths + 1\n"
                "  return wrk.format(nil, paths[i])\nend\n"
            )
            command += ["-s", str(script)]
        result = subprocess.run(
            command + [url], capture_output=True, text=True, timeout=seconds + 60
        )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}")
    return parse(result.stdout)


@dataclass(frozen=True)
class LoadRow:
    """A load run kept in a report: what was asked for, how, and the median round."""

    name: str
    connections: int
    load: Load

    def cells(self) -> list[str]:
        return [self.name, str(self.connections), self.load.row()]


def median_run(loads: list[Load]) -> Load:
    """The run with the median throughput (the upper one of an even number)."""
    ordered = sorted(loads, key=lambda load: load.requests_per_second)
    return ordered[len(ordered) // 2]


def find(rows: list[LoadRow], name: str, connections: int) -> Load | None:
    """The load of the row with this name and connection count, if measured."""
    return next(
        (row.load for row in rows if row.name == name and row.connections == connections), None
    )
