"""``flask blog ...``: commands for authors and deployers."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .blog import get_blog
from .posts import PostError, ReaderSettings, slugify
from .posts.checks import check_folder, problem_kind
from .site_urls import PostURLs

blog_cli = AppGroup("blog", help="Write and check posts.")


def init_cli(app: Flask) -> None:
    app.cli.add_command(blog_cli)


def _shown_path(root: Path, error: PostError) -> str:
    """A problem's file as the author would type it: relative to here when possible."""
    path = root / error.path
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@blog_cli.command("new")
@click.argument("title")
@click.option("--tags", default="", help="Comma-separated tags, e.g. essay,business.")
@click.option(
    "--draft/--publish",
    default=True,
    show_default=True,
    help="Start as a draft (hidden until 'draft: true' is removed).",
)
def new_post(title: str, tags: str, draft: bool) -> None:
    """Write a new post file with front matter, and print its path."""
    blog = get_blog()
    slug = slugify(title)
    if not slug:
        raise click.UsageError(f"{title!r} has no letters or digits to make a file name from")
    if blog.folder.snapshot().library(blog.now(), drafts=True).get(slug) is not None:
        raise click.ClickException(f"a post with slug {slug!r} already exists")
    path = blog.folder.root / f"{slug}.md"
    now = datetime.now(blog.timezone).replace(microsecond=0)
    names = [name.strip() for name in tags.split(",") if name.strip()]
    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"date: {now.isoformat()}",
        f"tags: {json.dumps(names, ensure_ascii=False)}",
    ]
    if draft:
        lines.append("draft: true")
    lines += ["---", "", ""]
    blog.folder.root.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
    except FileExistsError:
        raise click.ClickException(f"{path} already exists") from None
    click.echo(os.path.relpath(path))


@blog_cli.command("check")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json suits editors and CI.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def check(output_format: str, strict: bool) -> None:
    """Read every post and report each problem as path:line: message.

    Exits 1 if there are errors (or, with --strict, warnings).
    """
    blog = get_blog()
    root = blog.folder.root
    settings = ReaderSettings(
        timezone=blog.timezone,
        renderer=blog.renderer,
        max_bytes=blog.folder.settings.max_bytes,
        preprocess=blog.folder.settings.preprocess,
        old_urls=blog.folder.settings.old_urls,
        references=blog.folder.settings.references,
        resolve_reference=blog.folder.settings.resolve_reference,
    )
    problems = check_folder(root, settings, PostURLs(current_app))
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    kinds = Counter(problem_kind(p) for p in problems if p.severity == "warning")
    if output_format == "json":
        payload = {
            "content_dir": str(root),
            "errors": errors,
            "warnings": warnings,
            "warnings_by_kind": dict(kinds.most_common()),
            "problems": [
                {**p.as_dict(), "path": _shown_path(root, p), "kind": problem_kind(p)}
                for p in problems
            ],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        heading = None
        for problem in problems:
            kind = problem_kind(problem)
            if problem.severity == "warning" and kind != heading:
                heading = kind
                click.echo(f"-- warnings: {kind} ({kinds[kind]})")
            where = _shown_path(root, problem) + (f":{problem.line}" if problem.line else "")
            field = f"{problem.field}: " if problem.field else ""
            click.echo(f"{where}: {problem.severity}: {field}{problem.message}")
        summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        click.echo(summary, err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@blog_cli.command("invalidate")
def invalidate_cache() -> None:
    """Make every cached page stale, in every worker sharing the cache.

    Pages are keyed by content and code already; this is for changes neither
    shows, such as a setting changed for only some of the servers.
    """
    from .caching import invalidate

    try:
        generation = invalidate()
    except Exception as error:
        raise click.ClickException(f"the cache did not answer: {error}") from error
    click.echo(f"cache generation is now {generation}")


@blog_cli.command("freeze")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
def freeze(destination: Path) -> None:
    """Write the whole site as static files into DESTINATION.

    Fragments are included, so tag filtering and footnote popovers work from
    any static host. Only files whose content changed are rewritten. Set
    BLOG_SITE_URL for absolute links in feeds and the sitemap.
    """
    from .export import freeze_site

    try:
        report = freeze_site(current_app._get_current_object(), destination)  # type: ignore[attr-defined]
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"{destination}: {report.written} files written, {report.unchanged} unchanged, "
        f"{report.removed} removed"
    )
