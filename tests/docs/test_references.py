"""The docs' links lead somewhere, and they cover what the code can log and build."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runtime.app import app_children
from runtime.config import load_config

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "ops" / "gen_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = _FENCED.sub("", path.read_text(encoding="utf-8"))
    return {slug(m[1]) for m in re.finditer(r"^#+\s+(.+)$", text, re.MULTILINE)}


def links(path: Path) -> list[str]:
    text = _FENCED.sub("", path.read_text(encoding="utf-8"))
    return [target for target in _LINK.findall(text) if "://" not in target]


@pytest.mark.parametrize(
    "document", DOCUMENTS, ids=[str(path.relative_to(ROOT)) for path in DOCUMENTS]
)
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(document: Path) -> None:
    for target in links(document):
        file, _, anchor = target.partition("#")
        linked = (document.parent / file).resolve() if file else document
        where = document.relative_to(ROOT)
        assert linked.exists(), f"{where}: {target} does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{where}: no heading #{anchor} in {file}"


def test_a_heading_anchor_is_spelled_as_github_spells_it() -> None:
    assert (
        slug("Nonce stuck, or transactions not mining") == "nonce-stuck-or-transactions-not-mining"
    )
    assert slug("Arbiter's tree") == "arbiters-tree"
    assert slug("5. Put it under the tree") == "5-put-it-under-the-tree"
    assert slug("`[runtime]`") == "runtime"


def test_every_warning_and_error_the_code_logs_is_in_troubleshooting() -> None:
    troubleshooting = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    events = _load_generator().log_events()
    trouble = {e.event for e in events if e.level in {"warning", "error", "exception", "critical"}}
    missing = sorted(event for event in trouble if f"`{event}`" not in troubleshooting)
    assert not missing, f"add these to docs/troubleshooting.md: {missing}"


def test_the_tree_in_the_concepts_names_every_child_the_app_starts(tmp_path: Path) -> None:
    config = tmp_path / "arbiter.toml"
    config.write_text(
        """
[chain]
ws_url = "ws://127.0.0.1:8545"
chain_id = 31337

[[dex]]
name = "uniswap_v2_a"
kind = "uniswap_v2"
factory = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
pools = ["0x5FbDB2315678afecb367f032d93F642f64180aa3"]
""",
        encoding="utf-8",
    )
    children = [spec.name for spec in app_children(load_config(config, {}), tmp_path)]
    concepts = (ROOT / "docs" / "concepts.md").read_text(encoding="utf-8")
    tree = concepts[concepts.index("### Arbiter's tree") :]
    tree = tree[tree.index("```") : tree.index("```", tree.index("```") + 3)]
    drawn = re.findall(r"[├└]── (\S+)", tree)
    assert "chain" in children
    for name in children:
        assert name in drawn, f"/app/{name} is missing from the tree in docs/concepts.md"


def test_no_actor_creates_tasks_or_takes_locks_as_the_migration_guide_says() -> None:
    offending = [
        f"{path.relative_to(ROOT)}: {word}"
        for path in sorted((ROOT / "actors").rglob("*.py"))
        for word in ("create_task(", "ensure_future(", "Lock(")
        if word in path.read_text(encoding="utf-8")
    ]
    assert not offending, offending
