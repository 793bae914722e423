"""nginx in the foreground, with a configuration and a folder of its own.

The tests put it in front of gunicorn as a reverse proxy; the benchmarks
serve the static export with it. Either way the caller writes the one
``server`` block; the rest (pid file, error log, temporary folders, no
access log) is the same everywhere.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .processes import Server, server


def nginx_command(
    folder: Path,
    server_block: str,
    *,
    workers: int = 1,
    connections: int = 64,
    open_files: int | None = None,
    http: str = "",
) -> list[str]:
    """Write ``folder/nginx.conf`` around ``server_block`` and return the command
    that runs it in the foreground.

    ``workers`` worker processes of ``connections`` connections each, their
    open-file limit raised to ``open_files`` if given; ``http`` adds directives
    to the ``http`` block. Every file nginx writes stays in ``folder``: Debian's
    build would otherwise put its temporary files in /var/lib/nginx.
    """
    binary = shutil.which("nginx")
    if binary is None:
        raise RuntimeError("nginx is not installed (scripts/test installs it)")
    main = f"worker_processes {workers};\n"
    if open_files is not None:
        main += f"worker_rlimit_nofile {open_files};\n"
    temporary = "\n".join(
        f"    {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = folder / "nginx.conf"
    config.write_text(
        f"""{main}daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
{temporary}
{textwrap.indent(http, "    ")}
{server_block}
}}
"""
    )
    return [binary, "-c", str(config), "-p", str(folder), "-e", f"{folder}/error.log"]


@contextmanager
def nginx(
    server_block: str,
    port: int,
    folder: Path,
    *,
    ready_path: str = "/",
    workers: int = 1,
    connections: int = 64,
    open_files: int | None = None,
) -> Iterator[Server]:
    """nginx running ``server_block`` (which listens on ``port``) until the block
    ends, once it answers ``ready_path``; its files in ``folder``."""
    command = nginx_command(
        folder, server_block, workers=workers, connections=connections, open_files=open_files
    )
    with server(command, port, {}, ready_path=ready_path) as running:
        yield running
