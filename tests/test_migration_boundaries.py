"""The migration modules are part of the pure core: no web framework, no request."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from tests.test_boundaries import WEB_PACKAGES
from webapp.posts.migration.preprocess import BodyPreprocessor

MIGRATION = Path(__file__).resolve().parent.parent / "webapp" / "posts" / "migration"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_every_migration_module_imports_no_web_package() -> None:
    modules = sorted(MIGRATION.glob("*.py"))
    assert len(modules) >= 10
    for path in modules:
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


def test_a_real_post_is_expanded_without_loading_a_web_package() -> None:
    root = FIXTURES / "hugo-grpc"
    script = f"""
import sys
sys.path.insert(0, {str(MIGRATION.parent.parent)!r})
from pathlib import Path, PurePosixPath
from posts.migration.preprocess import BodyPreprocessor
root = Path({str(root)!r})
source = PurePosixPath("content/en/blog/installation.md")
text = (root / source).read_text().split("---", 2)[2]
body, warnings = BodyPreprocessor(root)(text, source, {{}}, 1)
assert "v1.82.0" in body and "{{{{<" not in body, body
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({sorted(WEB_PACKAGES)!r}))
print(",".join(loaded))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    "unit",
    ["{{< ", '{{< x "', "{{< x `", "{{% ", "{% ", "{{ ", "{% raw %}", "<iframe ", "<script ",
     "<p style ", "`{{< a >}}", "- a\n  ", "1. x\n   ```\n"],
)  # fmt: skip
def test_hostile_bodies_are_expanded_in_time_linear_in_their_size(unit: str) -> None:
    """200 KB of unclosed tags: patterns that rescan the rest of the text for each
    opening would take minutes here, past the test time limit."""
    text = unit * (200_000 // len(unit))
    body, _warnings = BodyPreprocessor(FIXTURES / "jekyll-jekyllrb")(
        text, PurePosixPath("_posts/2020-01-01-x.md"), {}, 1
    )
    assert body
