"""What the dashboard shows, as plain JSON-ready values: actors, chains, pools, readiness.

Pure functions over the kernel's cells and the actors' answers; no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from messages.analytics import AnalyticsStats
from messages.chain import ChainStatus
from messages.executor import ExecutorStatus
from messages.health import ActorSnapshot
from messages.market import PoolSnapshot, V2State, V3State
from runtime import RestartType

if TYPE_CHECKING:
    from actors.dashboard._history import History
    from messages.bank import BankHealth
    from runtime import ActorSystem
    from runtime._cell import ActorCell

__all__ = [
    "ChainAnswer",
    "Entry",
    "actor_detail",
    "actor_rows",
    "analytics_view",
    "chain_row",
    "executor_view",
    "find_cell",
    "pool_rows",
    "readiness",
    "records",
    "walk",
]

ChainAnswer = tuple[str, ChainStatus | str]
"""A chain client's path and its `ChainStatus`, or why it gave none."""

Entry = tuple["ActorCell", ActorSnapshot]
"""An actor's cell and its snapshot, taken together."""


def walk(system: ActorSystem) -> list[Entry]:
    """Every live actor's cell and snapshot, parents before children, siblings in start order.

    The same order as `ActorSystem.snapshot`; the cells also carry what a
    snapshot leaves out (restart type, histograms, the last traceback).
    """
    out: list[Entry] = []
    stack = [system.root]
    while stack:
        cell = stack.pop()
        out.append((cell, cell.snapshot()))
        stack.extend(reversed(list(cell.children.values())))
    return out


def find_cell(system: ActorSystem, path: str) -> ActorCell | None:
    """The live cell at an absolute path, or None."""
    cell = system.root
    for name in filter(None, path.split("/")):
        child = cell.children.get(name)
        if child is None:
            return None
        cell = child
    return cell


def _actor_json(cell: ActorCell, snapshot: ActorSnapshot) -> dict[str, Any]:
    row: dict[str, Any] = msgspec.structs.asdict(snapshot)
    row["restart"] = str(cell.spec.restart)
    return row


def actor_rows(entries: list[Entry], history: History) -> list[dict[str, Any]]:
    """One object per actor for the health page: its snapshot, rate, restart type, traceback."""
    rows = []
    for cell, snapshot in entries:
        row = _actor_json(cell, snapshot)
        row["messages_per_s"] = history.rates.get(cell.path, 0.0)
        row["last_traceback"] = cell.last_traceback
        rows.append(row)
    return rows


def actor_detail(cell: ActorCell) -> dict[str, Any]:
    """One actor, with its restart type and last traceback, and its children in full."""
    row = _actor_json(cell, cell.snapshot())
    row["last_traceback"] = cell.last_traceback
    row["children"] = [_actor_json(child, child.snapshot()) for child in cell.children.values()]
    return row


def chain_row(path: str, answer: ChainStatus | str) -> dict[str, Any]:
    """A chain as ``GET /api/chain`` lists it; an actor that did not answer says why."""
    if isinstance(answer, ChainStatus):
        row: dict[str, Any] = msgspec.structs.asdict(answer)
        row["path"] = path
        row["error"] = None
        return row
    return {
        "path": path,
        "chain": path.rsplit("/", 1)[-1],
        "chain_id": None,
        "head_block": None,
        "head_hash": None,
        "processed_block": None,
        "lag_blocks": None,
        "reorgs_total": 0,
        "reconnects_total": 0,
        "connected": False,
        "resumed_from": None,
        "malformed_total": 0,
        "error": answer,
    }


def pool_rows(snapshots: list[PoolSnapshot]) -> list[dict[str, Any]]:
    """Pools as ``GET /api/pools`` lists them: integers as decimal strings (they exceed 2**53)."""
    rows = []
    for snapshot in snapshots:
        pool = snapshot.pool
        row: dict[str, Any] = {
            "address": pool.address,
            "dex": pool.dex,
            "kind": pool.kind,
            "token0": pool.token0,
            "token1": pool.token1,
            "fee": pool.fee,
            "block": snapshot.block_number,
        }
        state = snapshot.state
        if pool.kind == "uniswap_v2":
            v2 = state if isinstance(state, V2State) else None
            row["reserve0"] = None if v2 is None else str(v2.reserve0)
            row["reserve1"] = None if v2 is None else str(v2.reserve1)
        else:
            v3 = state if isinstance(state, V3State) else None
            row["sqrt_price_x96"] = None if v3 is None else str(v3.sqrt_price_x96)
            row["liquidity"] = None if v3 is None else str(v3.liquidity)
            row["tick"] = None if v3 is None else str(v3.tick)
        rows.append(row)
    return rows


def records(answer: Any, limit: int) -> list[Any]:
    """A bank's list answer as JSON-ready values, at most ``limit`` of them.

    Amounts (``amount_in``, ``amount_out`` and every ``*_wei``) become
    decimal strings, as pool reserves do: they exceed what a JavaScript
    number holds exactly.
    """
    if not isinstance(answer, list):
        return []
    rows = []
    for record in answer[:limit]:
        row = msgspec.to_builtins(record, str_keys=True)
        if isinstance(row, dict):
            for key, value in row.items():
                if isinstance(value, int) and not isinstance(value, bool) and _is_amount(key):
                    row[key] = str(value)
        rows.append(row)
    return rows


def _is_amount(key: str) -> bool:
    return key in {"amount_in", "amount_out"} or key.endswith("_wei")


def analytics_view(answer: AnalyticsStats | str) -> dict[str, Any]:
    """Analytics' rolling statistics as ``GET /api/analytics`` gives them, or why there are none.

    Profits (every ``*_wei``) are decimal strings, as in `records`; ``error``
    is None, or the reason when the actor gave no answer (then nothing else).
    """
    if not isinstance(answer, AnalyticsStats):
        return {"error": answer}
    view: dict[str, Any] = records([answer], 1)[0]
    for group in ("pairs", "dexes"):
        view[group] = records(getattr(answer, group), len(getattr(answer, group)))
    view["error"] = None
    return view


def executor_view(answer: ExecutorStatus | str) -> dict[str, Any]:
    """The executor's status as ``GET /api/executor`` gives it, or why there is none.

    ``min_profit`` and the ``realised_profit`` per start token are decimal
    strings (raw token units exceed what a JavaScript number holds exactly).
    """
    if not isinstance(answer, ExecutorStatus):
        return {"error": answer}
    view: dict[str, Any] = msgspec.structs.asdict(answer)
    view["min_profit"] = str(answer.min_profit)
    view["realised_profit"] = {token: str(n) for token, n in answer.realised_profit.items()}
    view["error"] = None
    return view


def readiness(
    running: bool,
    entries: list[Entry],
    chains: list[ChainAnswer],
    max_lag_blocks: int,
    bank: BankHealth | None = None,
) -> list[str]:
    """Why the system is not ready: empty when every permanent actor runs and chains are synced.

    Args:
        running: whether the root supervisor runs.
        entries: the tree (`walk`).
        chains: every chain client's answer.
        max_lag_blocks: most blocks behind that still count as synced.
        bank: the bank's health; a database it cannot write or open is a reason.
    """
    if not running:
        return ["the actor system is stopping"]
    reasons = []
    for cell, snapshot in entries:
        if cell.spec.restart is not RestartType.PERMANENT or cell.parent is None:
            continue
        if snapshot.state != "running":
            reasons.append(f"{cell.path} is {snapshot.state}")
        elif snapshot.paused:
            reasons.append(f"{cell.path} is paused")
    reasons += [
        f"{cell.path.rstrip('/')}/{name} was stopped and will not be restarted"
        for cell, _ in entries
        for name in sorted(cell.retired)
    ]
    reasons += [
        reason
        for path, answer in chains
        if (reason := _unsynced(path, answer, max_lag_blocks)) is not None
    ]
    if bank is not None and bank.state != "ok":
        reasons.append(f"the bank is {bank.state}: {bank.error}")
    return reasons


def _unsynced(path: str, answer: ChainStatus | str, max_lag_blocks: int) -> str | None:
    if not isinstance(answer, ChainStatus):
        return f"{path} did not report its status: {answer}"
    if not answer.connected:
        return f"{path} is not connected to its node"
    if answer.lag_blocks is None:
        return f"{path} has processed no block yet"
    if answer.lag_blocks > max_lag_blocks:
        return f"{path} is {answer.lag_blocks} blocks behind its node"
    return None
