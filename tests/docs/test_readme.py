"""The README's configuration and API tables name exactly what the code has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec.inspect as mi

from actors.dashboard import DashboardSettings
from actors.dashboard._api import Api
from runtime.config import Config

if TYPE_CHECKING:
    from runtime import ActorSystem

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text under ``## title``, up to the next ``##`` heading."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def config_keys_in_readme() -> set[str]:
    """``section.key`` for every key a row of the configuration table names.

    A row's first cell is ``section.key`` or ``dex[].key``, then ``.key`` for
    more keys of the same section, comma-separated.
    """
    keys = set()
    for line in section("Configuration").splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        names = re.findall(r"`([a-z0-9_\[\].]+)`", cell)
        first = names[0].replace("[]", "")
        table = first.partition(".")[0]
        keys.add(first)
        keys.update(f"{table}{name}" for name in names[1:])
    return keys


def config_keys_in_schema() -> set[str]:
    keys = set()
    for field in mi.type_info(Config).fields:  # type: ignore[attr-defined]
        kind: Any = field.type
        if isinstance(kind, mi.UnionType):
            (kind,) = [t for t in kind.types if not isinstance(t, mi.NoneType)]
        if isinstance(kind, mi.ListType):
            kind = kind.item_type
        keys.update(f"{field.name}.{key.name}" for key in kind.fields)
    return keys


def test_the_configuration_table_has_a_row_for_every_key_and_no_other() -> None:
    in_readme, in_schema = config_keys_in_readme(), config_keys_in_schema()

    assert sorted(in_schema - in_readme) == [], "keys missing from the README"
    assert sorted(in_readme - in_schema) == [], "keys the README names that do not exist"


def test_the_api_table_names_every_route_the_dashboard_serves() -> None:
    system: ActorSystem = None  # type: ignore[assignment] - routing needs no system
    api = Api(
        system=system,
        settings=DashboardSettings(),
        token="",
        collector=None,  # type: ignore[arg-type]
        hub=None,  # type: ignore[arg-type]
        dashboard_path="/app/dashboard",
    )
    table = section("The health page and the API")
    routes = {
        re.sub(r"\{(\w+):[^}]*\}", r"{\1}", resource.canonical)
        for resource in api.application().router.resources()
    }

    named = set(re.findall(r"(/[a-z{}/_]*)[`?]", table))
    missing = sorted(routes - {"/", "/static/{name}"} - named)
    assert missing == []
