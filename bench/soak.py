"""Load and soak runs against the production server: python -m bench.soak load|soak.

load: wrk at many connections over a mix of URLs (pages, fragments, feeds,
      search, 404s) for a bounded time; fails on any 5xx or timeout, and
      reports the latency percentiles.
soak: a writer rewrites, adds and deletes posts ten times a second while
      readers load post pages and the index; every answer must be one whole
      version of its post (title, body and footnote agreeing), never a 500,
      and no live post may be missing from the index for longer than the
      invalidation window.

Both start the production server (granian, as the container runs it; or
gunicorn with --server) with several workers on a free port, with Redis as
the shared cache if --redis names a server, and
stop it when done. Exit status 0 means every check held.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

from .search import build_index
from .servers import app_server
from .sitegen import generate

#: How long a post may be absent from the index after it exists on disk.
INVALIDATION_WINDOW = 1.0

LOAD_SCRIPT = r"""
local paths = {PATHS}
local partial = {PARTIAL}
local i = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) fivexx = 0; statuses = {} end
request = function()
  i = i % #paths + 1
  local headers = {}
  if partial[i] then
    headers["HX-Request"] = "true"
    headers["HX-Request-Type"] = "partial"
  end
  return wrk.format("GET", paths[i], headers)
end
response = function(status, headers, body)
  if status >= 500 then
    fivexx = fivexx + 1
    if not first5xx then first5xx = string.gsub(string.sub(body or "", 1, 300), "%s+", " ") end
  end
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = 0
  local counts = {}
  for _, thread in ipairs(threads) do
    total = total + thread:get("fivexx")
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  io.write(string.format("fivexx=%d\n", total))
  for _, thread in ipairs(threads) do
    local body = thread:get("first5xx")
    if body then io.write("first5xx " .. body .. "\n") end
  end
  for status, n in pairs(counts) do io.write(string.format("status %d=%d\n", status, n)) end
  io.write(string.format("timeouts=%d\n", summary.errors.timeout))
  io.write(string.format("requests=%d\n", summary.requests))
  for _, p in pairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%s=%.2fms\n", p, latency:percentile(p) / 1000))
  end
end
"""


def load(seconds: float, connections: int, posts: int, env: dict[str, str], server: str) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        content = generate(Path(scratch) / "content", posts)
        # A server that has run before finds its search index built (a brand
        # new one answers searches 503 with Retry-After until it is).
        build_index(content, Path(scratch) / "search.sqlite3")
        env = {
            "BLOG_CONTENT_DIR": str(content),
            "BLOG_SEARCH_INDEX": f"{scratch}/search.sqlite3",
            "WEB_CONCURRENCY": "3",
            **env,
        }
        slugs = sorted(path.stem for path in content.glob("*.md"))
        urls: list[tuple[str, bool]] = [
            ("/", False),
            ("/tags/", False),
            ("/archive/", False),
            ("/feed.xml", False),
            ("/sitemap.xml", False),
        ]
        for slug in slugs[:40]:
            urls += [(f"/posts/{slug}/", False), (f"/posts/{slug}/footnotes/1/", True)]
        for tag in ("essay", "python", "caching", "music"):
            urls += [
                (f"/tags/{tag}/", False),
                (f"/partials/tags/{tag}/", True),
                (f"/tags/{tag}/feed.xml", False),
            ]
        urls += [
            (f"/search/?q={quote_plus(words)}", False) for words in ("the", "cach", '"he was"')
        ]
        urls += [("/posts/no-such-post/", False), ("/tags/nope/", False), ("/nowhere", False)]
        script = LOAD_SCRIPT.replace(
            "{PATHS}", "{" + ",".join(f'"{url}"' for url, _ in urls) + "}"
        ).replace("{PARTIAL}", "{" + ",".join("true" if p else "false" for _, p in urls) + "}")
        script_file = Path(scratch) / "mixed.lua"
        script_file.write_text(script)
        with app_server(server, env) as running:
            wrk = shutil.which("wrk")
            if wrk is None:
                raise SystemExit("wrk is not installed (apt-get install wrk)")
            import subprocess

            result = subprocess.run(
                [
                    wrk,
                    "-t2",
                    f"-c{connections}",
                    f"-d{max(1, round(seconds))}s",
                    "--timeout",
                    "10s",
                    "-s",
                    str(script_file),
                    running.url,
                ],
                capture_output=True,
                text=True,
                timeout=seconds + 120,
            )
    report = dict(re.findall(r"^([\w.]+)=(\S+)$", result.stdout, re.MULTILINE))
    statuses = dict(re.findall(r"^status (\d+)=(\d+)$", result.stdout, re.MULTILINE))
    fivexx, timeouts = int(report.get("fivexx", -1)), int(report.get("timeouts", -1))
    print(
        f"load: {report.get('requests')} requests in {seconds:.0f} s at {connections} connections"
        f" over {len(urls)} URLs (pages, fragments, feeds, search, 404s)"
    )
    print(f"  statuses: {', '.join(f'{s}: {n}' for s, n in sorted(statuses.items()))}")
    print(
        f"  latency: median {report.get('p50')}, p90 {report.get('p90')}, p99 {report.get('p99')},"
        f" p99.9 {report.get('p99.9')}"
    )
    print(f"  5xx: {fivexx}, timeouts: {timeouts}")
    for line in re.findall(r"^first5xx (.*)$", result.stdout, re.MULTILINE):
        print(f"  a 5xx answer began: {line}")
    return fivexx == 0 and timeouts == 0 and int(report.get("requests", 0)) > 0


@dataclass
class Soak:
    """Shared state of the soak: what exists, and what went wrong."""

    content: Path
    base: str = ""
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: slug -> when it last came into existence on disk (None: deleted)
    alive_since: dict[str, float | None] = field(default_factory=dict)
    versions: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        with self.lock:
            if len(self.failures) < 50:
                self.failures.append(message)


def post_file(slug: str, version: int) -> str:
    """A post whose every part names its version, so a mix is detectable."""
    mark = f"v{version}-{slug}"
    paragraphs = "\n\n".join(f"Paragraph {n} of {mark}, written whole." for n in range(12))
    return (
        f'---\ntitle: "Soak {mark}"\ndate: 2024-01-01T00:00:00+00:00\ntags: [soak]\n---\n\n'
        f"{paragraphs}\n\nA note.[^1]\n\n[^1]: Note of {mark}.\n"
    )


def writer(soak: Soak, slugs: list[str]) -> None:
    version = 0
    while not soak.stop.is_set():
        version += 1
        slug = slugs[version % len(slugs)]
        path = soak.content / f"{slug}.md"
        action = version % 10
        if action == 7 and path.exists():  # delete
            path.unlink()
            with soak.lock:
                soak.alive_since[slug] = None
        elif action == 3:  # an editor's save: write elsewhere, rename over
            temporary = soak.content / f".{slug}.md.swp"
            temporary.write_text(post_file(slug, version))
            temporary.replace(path)
            with soak.lock:
                soak.alive_since.setdefault(slug, time.monotonic())
                if soak.alive_since[slug] is None:
                    soak.alive_since[slug] = time.monotonic()
        else:  # written in place (or added)
            existed = path.exists()
            path.write_text(post_file(slug, version))
            with soak.lock:
                if not existed or soak.alive_since.get(slug) is None:
                    soak.alive_since[slug] = time.monotonic()
        soak.versions["written"] += 1
        soak.stop.wait(0.1)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def reader(soak: Soak, slugs: list[str], seed: int) -> None:
    import random

    rng = random.Random(seed)
    while not soak.stop.is_set():
        if rng.random() < 0.25:
            status, body = fetch(soak.base + "/")
            soak.requests["index"] += 1
            if status >= 500:
                soak.fail(f"index answered {status}")
                continue
            listed = set(re.findall(r'href="/posts/([^/"]+)/"', body))
            now = time.monotonic()
            with soak.lock:
                overdue = [
                    s
                    for s, since in soak.alive_since.items()
                    if since is not None
                    and now - since > INVALIDATION_WINDOW + 0.5
                    and s not in listed
                ]
            # A post deleted and re-added while this page was built may be absent; recheck.
            for slug in overdue:
                if (soak.content / f"{slug}.md").exists():
                    with soak.lock:
                        since = soak.alive_since.get(slug)
                    if since is not None and time.monotonic() - since > INVALIDATION_WINDOW + 1.0:
                        soak.fail(
                            f"{slug} exists since {time.monotonic() - since:.1f} s, not listed"
                        )
            continue
        slug = rng.choice(slugs)
        status, body = fetch(f"{soak.base}/posts/{slug}/")
        soak.requests["post"] += 1
        if status == 404:
            continue  # deleted at the moment: allowed
        if status != 200:
            soak.fail(f"/posts/{slug}/ answered {status}")
            continue
        marks = set(re.findall(rf"(v\d+)-{re.escape(slug)}", body))
        if len(marks) != 1:
            soak.fail(f"/posts/{slug}/ mixed versions {sorted(marks)}")
        elif body.count(f"{marks.pop()}-{slug}") < 14:  # title, 12 paragraphs, the note
            soak.fail(f"/posts/{slug}/ is incomplete")


def soak(seconds: float, readers: int, env: dict[str, str], server: str) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        content = Path(scratch) / "content"
        content.mkdir()
        slugs = [f"soak-{n:02d}" for n in range(12)]
        state = Soak(content)
        for slug in slugs:
            (content / f"{slug}.md").write_text(post_file(slug, 0))
            state.alive_since[slug] = time.monotonic() - 10
        env = {
            "BLOG_CONTENT_DIR": str(content),
            "BLOG_SEARCH_INDEX": f"{scratch}/search.sqlite3",
            "BLOG_PAGE_SIZE": "100",
            "WEB_CONCURRENCY": "3",
            **env,
        }
        with app_server(server, env) as running:
            state.base = running.url
            threads = [threading.Thread(target=writer, args=(state, slugs))]
            threads += [
                threading.Thread(target=reader, args=(state, slugs, n)) for n in range(readers)
            ]
            for thread in threads:
                thread.start()
            state.stop.wait(seconds)
            state.stop.set()
            for thread in threads:
                thread.join(timeout=30)
    total = sum(state.requests.values())
    print(
        f"soak: {seconds:.0f} s, {state.versions['written']} writes (in place, renamed over,"
        f" deleted, re-added) to {len(slugs)} posts, {readers} readers"
    )
    print(
        f"  {total} requests: {state.requests['post']} post pages checked whole and of one version,"
        f" {state.requests['index']} index pages checked for every live post"
    )
    for failure in state.failures:
        print(f"  FAILED: {failure}")
    print("  every check held" if not state.failures and total else "  FAILED")
    return not state.failures and total > 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("mode", choices=["load", "soak"])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--redis", help="a Redis URL to use as the shared cache")
    parser.add_argument(
        "--server",
        default="granian",
        choices=["granian", "gunicorn-gthread", "gunicorn-sync"],
        help="the server to run (default: granian, as the container does)",
    )
    args = parser.parse_args(argv)
    env = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": args.redis} if args.redis else {}
    if args.mode == "load":
        ok = load(args.seconds, args.connections, args.posts, env, args.server)
    else:
        ok = soak(args.seconds, args.readers, env, args.server)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
