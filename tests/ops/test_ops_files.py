"""The files in ops/ agree with the code: the unit's command line, the alerts' metrics."""

from __future__ import annotations

import configparser
import importlib.util
import re
import shlex
import sys
from pathlib import Path

from runtime.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"


def _served_metrics() -> set[str]:
    spec = importlib.util.spec_from_file_location("gen_docs", OPS / "gen_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    families = module._metric_families(module._sample_metrics())
    served = {family.name for family in families}
    for family in families:
        if family.kind == "histogram":
            served |= {f"{family.name}_bucket", f"{family.name}_sum", f"{family.name}_count"}
    return served


def test_the_systemd_units_command_line_is_one_arbiter_accepts() -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment, method-assign] - keep keys as written
    unit.read(OPS / "arbiter.service", encoding="utf-8")
    program, *arguments = shlex.split(unit["Service"]["ExecStart"])
    assert program.endswith("/.venv/bin/arbiter")
    parsed = _parser().parse_args(arguments)
    assert parsed.config == Path("/etc/arbiter/arbiter.toml")
    assert parsed.state_dir == Path("/var/lib/arbiter")
    assert unit["Service"]["KillSignal"] == "SIGTERM"
    assert unit["Service"]["RestartPreventExitStatus"] == "2"


def test_every_metric_the_alerting_rules_use_is_one_arbiter_serves() -> None:
    rules = (OPS / "arbiter-rules.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\barbiter_[a-z_]+\b", rules))
    assert used
    assert used <= _served_metrics(), used - _served_metrics()


def test_the_scrape_config_loads_the_rules_and_scrapes_the_default_address() -> None:
    config = (OPS / "prometheus.yml").read_text(encoding="utf-8")
    for name in re.findall(r"^\s*-\s*(\S+\.yml)\s*$", config, re.MULTILINE):
        assert (OPS / name).exists(), name
    assert '"127.0.0.1:8700"' in config
    assert "metrics_path: /metrics" in config
