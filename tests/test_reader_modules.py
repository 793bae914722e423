"""The reader is several modules; a store of posts read earlier follows all of them."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from tests.conftest import WritePost
from webapp.posts import ContentFolder, ReaderSettings, reader
from webapp.posts import folder as folder_module

POSTS_PACKAGE = Path(reader.__file__).parent


def local_imports(module: str) -> set[str]:
    """Modules of webapp.posts that module imports (``from . import x``, ``from .x import``),
    as dotted names below webapp.posts (``migration.dates``)."""
    tree = ast.parse((POSTS_PACKAGE / f"{module.replace('.', '/')}.py").read_text())
    package = module.rsplit(".", 1)[0] + "." if "." in module else ""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level in (1, 2):
            prefix = package if node.level == 1 else ""
            if node.module:
                found.add(prefix + node.module)
            else:
                found.update(prefix + alias.name for alias in node.names)
    return {name for name in found if (POSTS_PACKAGE / f"{name.replace('.', '/')}.py").is_file()}


def test_every_module_the_reader_uses_is_in_the_store_fingerprint() -> None:
    reachable, pending = set(), ["reader"]
    while pending:
        module = pending.pop()
        if module not in reachable:
            reachable.add(module)
            pending.extend(local_imports(module))
    assert reachable <= set(reader.SHAPING_MODULES)


@pytest.mark.parametrize("module", reader.SHAPING_MODULES)
def test_changing_any_module_that_shapes_a_post_invalidates_the_store(
    module: str,
    write_post: WritePost,
    content_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_post("a.md", title="Alpha")
    store = tmp_path / "posts.sqlite3"
    reads: list[Path] = []
    real_read = folder_module.read_post

    def counting_read(path: Path, *args: object, **kwargs: object) -> object:
        reads.append(path)
        return real_read(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(folder_module, "read_post", counting_read)

    def start() -> None:
        folder = ContentFolder(content_dir, ReaderSettings(), use_inotify=False, store=store)
        folder.snapshot()
        folder.close()

    start()
    start()
    assert len(reads) == 1  # the second start took the post from the store

    # The same code with one more line: as after an upgrade of that module.
    source = POSTS_PACKAGE / f"{module.replace('.', '/')}.py"
    assert source in reader.shaping_files()
    changed = tmp_path / source.name
    shutil.copy(source, changed)
    changed.write_text(changed.read_text() + "\n# changed\n")
    files = tuple(changed if path == source else path for path in reader.shaping_files())
    monkeypatch.setattr(reader, "shaping_files", lambda: files)
    start()
    assert len(reads) == 2
