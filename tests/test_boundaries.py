"""The core (reading, rendering, the library) stands without Flask."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "webapp" / "posts"
WEB_PACKAGES = {"flask", "werkzeug", "jinja2", "flask_caching", "htmx_flask", "markupsafe"}


def test_core_runs_without_loading_any_web_package() -> None:
    # Import the core as a top-level package, so webapp/__init__.py (which
    # builds the Flask app) is not involved, then read a post end to end.
    script = f"""
import sys
sys.path.insert(0, {str(CORE.parent)!r})
from pathlib import PurePosixPath
from posts import ReaderSettings, Renderer, parse_post, summarize
post = parse_post(
    b"---\\ntitle: T\\ndate: 2024-01-01\\n---\\nA note.[^1]\\n\\n[^1]: https://example.com\\n",
    PurePosixPath("t.md"),
    ReaderSettings(renderer=Renderer(), summarizer=summarize),
)
assert post.footnotes[0].number == 1 and post.summary == "A note."
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({sorted(WEB_PACKAGES)!r}))
print(",".join(loaded))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_core_source_never_imports_the_web_layer() -> None:
    for path in CORE.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in WEB_PACKAGES | {"webapp"}, f"{path.name} imports {name}"
