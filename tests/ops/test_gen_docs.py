"""The generated references in docs/: up to date with the code, and read from it correctly."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "ops" / "gen_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


gen_docs = _load_generator()


@pytest.mark.parametrize("name", sorted(gen_docs.GENERATED))
def test_the_committed_reference_is_what_the_code_generates(name: str) -> None:
    committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert committed == gen_docs.GENERATED[name](), f"docs/{name} is stale: run `make docs`"


def test_every_config_key_in_the_schema_has_a_row_in_the_reference() -> None:
    from runtime.config import Config

    reference = gen_docs.config_reference()
    for section in gen_docs._struct(gen_docs.mi.type_info(Config)).fields:
        struct, _, _ = gen_docs._section_struct(section.type)
        assert f"[{section.name}]" in reference
        for key in struct.fields:
            assert f"| `{key.name}` |" in reference, f"{section.name}.{key.name}"


def test_a_key_is_described_by_the_comment_above_it_or_after_it_even_when_commented_out() -> None:
    example = """
# Sections are refused when unknown.

[runtime]
# Name of the system,
# in logs.
name = "arbiter"

# [[dex]]
# kind = "uniswap_v2"   # which contracts
# pools = []
"""
    assert gen_docs._example_comments(example) == {
        "runtime.name": "Name of the system, in logs.",
        "dex.kind": "which contracts",
    }


def test_an_attribute_docstring_describes_its_config_field() -> None:
    source = '''
class RuntimeConfig:
    name: str = "arbiter"
    """The system's name,
    in logs."""
    log_level: str = "info"
'''
    assert gen_docs._attribute_docstrings(source) == {"runtime.name": "The system's name, in logs."}


def test_metric_families_carry_the_labels_of_their_samples() -> None:
    exposition = """\
# HELP arbiter_x_total Xs.
# TYPE arbiter_x_total counter
arbiter_x_total{path="/app"} 1
# HELP arbiter_t_seconds T.
# TYPE arbiter_t_seconds histogram
arbiter_t_seconds_bucket{path="/app",le="0.001"} 1
arbiter_t_seconds_sum{path="/app"} 0.001
# HELP arbiter_up Up.
# TYPE arbiter_up gauge
arbiter_up 1
"""
    families = {f.name: (f.kind, f.labels) for f in gen_docs._metric_families(exposition)}
    assert families == {
        "arbiter_x_total": ("counter", ("path",)),
        "arbiter_t_seconds": ("histogram", ("path", "le")),
        "arbiter_up": ("gauge", ()),
    }


def test_the_metrics_reference_lists_the_families_a_scrape_serves() -> None:
    reference = gen_docs.metrics_reference()
    for family in ("arbiter_actor_mailbox_depth", "arbiter_chain_lag_blocks", "arbiter_txs_total"):
        assert f"| `{family}` |" in reference


def test_log_events_are_found_with_their_level_fields_and_place() -> None:
    import ast

    source = """
class Watcher:
    def on_tick(self, message):
        self.log.warning("pool_lost", pool=message.pool, block=1)
        _log.info(f"not an event {message}")
"""
    [(where, call)] = gen_docs._log_calls(ast.parse(source))
    assert where == "Watcher.on_tick"
    assert call.args[0].value == "pool_lost"
    assert [k.arg for k in call.keywords] == ["pool", "block"]


def test_the_kernels_trouble_events_are_among_the_log_events() -> None:
    events = {(e.event, e.level) for e in gen_docs.log_events()}
    assert ("actor_failed", "error") in events
    assert ("message_rejected", "warning") in events
    assert ("root_escalated", "critical") in events


def test_the_references_do_not_depend_on_string_hashing() -> None:
    generator = str(ROOT / "ops" / "gen_docs.py")
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('g', {generator!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['g'] = module\n"
        "spec.loader.exec_module(module)\n"
        "print(''.join(generate() for generate in module.GENERATED.values()))\n"
    )
    outputs = {
        subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
