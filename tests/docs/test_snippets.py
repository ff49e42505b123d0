"""Every ```python block in README.md and docs/ runs, so the documentation cannot rot.

The blocks of a document run in order, each as a module of its own. After a
block has run, its ``async def main()`` is run with ``asyncio.run``, and so is
each of its ``test_*`` functions that takes no argument. The last line before
a block may be one of these HTML comments (invisible when rendered):

- ``<!-- module: actors.pricelog -->``: the block is a module the reader saves;
  later blocks of the document import it by that name.
- ``<!-- not-run: <reason> -->``: the block is not run (used sparingly).
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(r"^```(\w*)\s*$")
_MARKER = re.compile(r"^<!--\s*(module|not-run):\s*(.+?)\s*-->$")


@dataclass(frozen=True)
class Snippet:
    """One fenced python block: where it starts, its code, and its marker if any."""

    where: str
    code: str
    module: str | None = None
    not_run: str | None = None


def snippets(path: Path, root: Path = ROOT) -> list[Snippet]:
    """The ```python blocks of a Markdown file, in order, named relative to ``root``."""
    found: list[Snippet] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    fence: str | None = None
    start = 0
    body: list[str] = []
    for number, line in enumerate(lines, start=1):
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence, start, body = opening[1], number, []
        elif fence is not None and line.strip() == "```":
            if fence == "python":
                before = [text.strip() for text in lines[: start - 1] if text.strip()]
                marker = _MARKER.match(before[-1]) if before else None
                kind, value = (marker[1], marker[2]) if marker else (None, None)
                found.append(
                    Snippet(
                        where=f"{path.relative_to(root)}:{start}",
                        code="\n".join(body),
                        module=value if kind == "module" else None,
                        not_run=value if kind == "not-run" else None,
                    )
                )
            fence = None
        elif fence is not None:
            body.append(line)
    return found


def run_document(blocks: list[Snippet]) -> None:
    """Run the blocks in order; modules they declare exist only while they run."""
    declared: list[str] = []
    try:
        for block in blocks:
            if block.not_run is None:
                _run_block(block, declared)
    finally:
        for name in declared:
            sys.modules.pop(name, None)


def _run_block(block: Snippet, declared: list[str]) -> None:
    namespace: dict[str, Any]
    if block.module is not None:
        if _exists(block.module):
            pytest.fail(f"{block.where}: module {block.module} would shadow a real one")
        module = types.ModuleType(block.module)
        sys.modules[block.module] = module
        declared.append(block.module)
        namespace = module.__dict__
    else:
        namespace = {"__name__": f"snippet_{len(declared)}"}
    try:
        exec(compile(block.code, block.where, "exec"), namespace)  # noqa: S102 - the point
        for name, function in list(namespace.items()):
            if name == "main" or (name.startswith("test_") and callable(function)):
                _call(function)
    except Exception as exc:
        raise AssertionError(f"the block at {block.where} failed: {exc!r}") from exc


def _exists(module: str) -> bool:
    if module in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package does not exist either
        return False


def _call(function: Any) -> None:
    if inspect.signature(function).parameters:
        return
    if inspect.iscoroutinefunction(function):
        asyncio.run(asyncio.wait_for(function(), timeout=30))
    else:
        function()


def test_the_documents_have_blocks_to_run_and_few_that_do_not() -> None:
    blocks = [block for document in DOCUMENTS for block in snippets(document)]
    not_run = [block for block in blocks if block.not_run is not None]
    assert len(blocks) - len(not_run) >= 20
    assert len(not_run) <= len(blocks) // 10, [block.where for block in not_run]


def test_markers_say_how_a_block_is_run(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text(
        "Text.\n\n<!-- not-run: needs a node -->\n```python\nx = 1\n```\n\n"
        "<!-- module: my.module -->\n\n```python\ny = 2\n```\n\n"
        "```python\nz = 3\n```\n\n```sh\nls\n```\n",
        encoding="utf-8",
    )
    assert snippets(document, root=tmp_path) == [
        Snippet("doc.md:4", "x = 1", not_run="needs a node"),
        Snippet("doc.md:10", "y = 2", module="my.module"),
        Snippet("doc.md:14", "z = 3"),
    ]


RAN: list[str] = []
"""What the blocks of the next test record (they reach it by importing this module)."""


def test_a_later_block_imports_a_declared_module_and_its_tests_are_run() -> None:
    RAN.clear()
    blocks = [
        Snippet("a", "def double(x):\n    return 2 * x", module="docs_example_module"),
        Snippet(
            "b",
            "from docs_example_module import double\n"
            "from tests.docs.test_snippets import RAN\n"
            "def test_double():\n    RAN.append('test')\n"
            "async def main():\n    RAN.append(str(double(2)))",
        ),
    ]
    run_document(blocks)
    assert sorted(RAN) == ["4", "test"]
    assert "docs_example_module" not in sys.modules


def test_a_failing_block_names_where_it_is() -> None:
    with pytest.raises(AssertionError, match=r"the block at doc\.md:3 failed"):
        run_document([Snippet("doc.md:3", "raise ValueError('broken')")])


@pytest.mark.parametrize(
    "document", DOCUMENTS, ids=[str(path.relative_to(ROOT)) for path in DOCUMENTS]
)
def test_the_documents_python_blocks_run(document: Path) -> None:
    run_document(snippets(document))
