"""A small TOML writer for plain records (the standard library only reads TOML).

Handles what a deployment record holds: strings, integers, booleans,
floats, lists of those, tables, and arrays of tables.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps"]

_BARE_KEY = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_INT64 = range(-(2**63), 2**63)


def dumps(document: Mapping[str, Any]) -> str:
    """``document`` as TOML text; ``tomllib.loads`` of it gives ``document`` back.

    None values are left out (TOML has no null).

    Raises:
        ValueError: a value TOML cannot hold (an integer beyond 64 bits, a
            float that is not finite, a list mixing tables and values).
    """
    lines: list[str] = []
    _table(document, [], lines)
    return "\n".join(lines).strip() + "\n"


def _table(table: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    tables: list[tuple[str, Mapping[str, Any]]] = []
    arrays: list[tuple[str, list[Mapping[str, Any]]]] = []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            arrays.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, sub in tables:
        name = [*path, key]
        lines += ["", f"[{'.'.join(map(_key, name))}]"]
        _table(sub, name, lines)
    for key, items in arrays:
        name = [*path, key]
        for item in items:
            lines += ["", f"[[{'.'.join(map(_key, name))}]]"]
            _table(item, name, lines)


def _key(key: str) -> str:
    return key if key and set(key) <= _BARE_KEY else _string(key)


def _string(text: str) -> str:
    # JSON's escapes are TOML's, except that TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value not in _INT64:
            raise ValueError(f"{value} does not fit a TOML integer (64 bits); store it as a string")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite float")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        if any(isinstance(item, Mapping) for item in value):
            raise ValueError("a list mixes tables and values")
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise ValueError(f"{type(value).__name__} cannot be written as TOML")
