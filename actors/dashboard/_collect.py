"""`Collector`: asks the actors what the dashboard shows, and reads the process's resources.

An actor that is missing, not running, paused, slow or without a handler
is a gap in the answer (an empty list, a zero, a reason), never an error of
the dashboard's own.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import psutil

from actors.dashboard._views import find_cell, records
from messages.analytics import AnalyticsStats, GetAnalyticsStats
from messages.bank import (
    ActivityTotals,
    BankHealth,
    GetBankHealth,
    QueryOpportunities,
    QueryTotals,
    QueryTxs,
)
from messages.chain import ChainStatus, GetChainStatus
from messages.executor import ExecutorStatus, GetExecutorStatus
from messages.health import GetLoopStats, LoopStats
from messages.market import GetPools, PoolSnapshot

if TYPE_CHECKING:
    from collections.abc import Callable

    from actors.dashboard._settings import DashboardSettings
    from actors.dashboard._views import ChainAnswer
    from runtime import ActorSystem
    from runtime._cell import ActorCell

__all__ = ["Collector"]

# Seconds between readings of the process's connection count (see `Collector.process`).
_CONNECTIONS_EVERY = 5.0


class Collector:
    """Reads for the API and the page; each method asks the actors concerned at once.

    Args:
        system: the running system.
        settings: where the chain clients, DEX watchers, bank and monitor live.
    """

    def __init__(self, system: ActorSystem, settings: DashboardSettings) -> None:
        self.system = system
        self.settings = settings
        self._process = psutil.Process()
        self._connections: tuple[float, int] | None = None

    async def chains(self, timeout: float) -> list[ChainAnswer]:
        """Every chain client's status, or why it gave none."""
        answers = await _ask_all(
            self._children(self.settings.chain_path), GetChainStatus(), timeout
        )
        return [
            (path, answer if isinstance(answer, ChainStatus) else _why(answer))
            for path, answer in answers
        ]

    async def pools(self, timeout: float) -> list[PoolSnapshot]:
        """Every DEX watcher's pools; watchers that do not answer add none."""
        answers = await _ask_all(self._children(self.settings.dex_path), GetPools(), timeout)
        return [
            snapshot
            for _, answer in answers
            if isinstance(answer, list)
            for snapshot in answer
            if isinstance(snapshot, PoolSnapshot)
        ]

    async def opportunities(self, limit: int, timeout: float) -> list[Any]:
        """The bank's newest opportunities, newest first; empty without a bank."""
        return records(await self._ask_bank(QueryOpportunities(limit=limit), timeout), limit)

    async def txs(self, limit: int, timeout: float) -> list[Any]:
        """The bank's newest transactions, newest first; empty without a bank."""
        return records(await self._ask_bank(QueryTxs(limit=limit), timeout), limit)

    async def totals(self, timeout: float) -> ActivityTotals:
        """Opportunities and transactions counted by the bank; zeros without a bank."""
        answer = await self._ask_bank(QueryTotals(), timeout)
        return answer if isinstance(answer, ActivityTotals) else ActivityTotals()

    async def bank_health(self, timeout: float) -> BankHealth | None:
        """The bank's health (a database it cannot write or open), None without an answer."""
        answer = await self._ask_bank(GetBankHealth(), timeout)
        return answer if isinstance(answer, BankHealth) else None

    async def loop_stats(self, timeout: float) -> LoopStats | None:
        """The loop monitor's lag figures, None without a monitor."""
        answer = await self._ask_one(self.settings.monitor_path, GetLoopStats(), timeout)
        return answer if isinstance(answer, LoopStats) else None

    async def analytics(self, timeout: float) -> AnalyticsStats | str:
        """The analytics actor's rolling statistics, or why it gave none."""
        path = self.settings.analytics_path
        answer = await self._ask_one(path, GetAnalyticsStats(), timeout)
        return answer if isinstance(answer, AnalyticsStats) else _why(answer, path)

    async def executor(self, timeout: float) -> ExecutorStatus | str:
        """The executor's mode and outcomes, or why it gave none."""
        path = self.settings.executor_path
        answer = await self._ask_one(path, GetExecutorStatus(), timeout)
        return answer if isinstance(answer, ExecutorStatus) else _why(answer, path)

    def process(self) -> dict[str, float]:
        """The runtime process's memory, open descriptors, connections, threads and tasks.

        A figure the platform will not give (``psutil.AccessDenied``) is left out.
        The connection count is re-read at most every `_CONNECTIONS_EVERY` s.
        """
        process = self._process
        readings: dict[str, Callable[[], float]] = {
            "resident_memory_bytes": lambda: process.memory_info().rss,
            "open_fds": process.num_fds,
            "connections": self._connections_count,
            "threads": process.num_threads,
            "cpu_seconds_total": lambda: round(sum(process.cpu_times()[:2]), 3),
            # Tasks alive on the loop: flat when nothing leaks (`make soak` reads it).
            "asyncio_tasks": lambda: len(asyncio.all_tasks()),
        }
        figures: dict[str, float] = {}
        with process.oneshot():
            for name, read in readings.items():
                try:
                    figures[name] = read()
                except psutil.Error:
                    continue
        return figures

    def _connections_count(self) -> int:
        # psutil finds a process's sockets by parsing every socket of the
        # machine in /proc/net: 4-5 ms on a loaded host, taken on the loop at
        # every push. Read at each push, it cost the runtime 4-5 % of its
        # tell throughput with 50 viewers (`benchmarks/dashboard.py`).
        now = self.system.clock.time()
        cached = self._connections
        if cached is None or now - cached[0] >= _CONNECTIONS_EVERY:
            cached = self._connections = (now, len(self._process.net_connections(kind="inet")))
        return cached[1]

    def _children(self, path: str) -> list[ActorCell]:
        cell = find_cell(self.system, path)
        return [] if cell is None else list(cell.children.values())

    async def _ask_bank(self, message: object, timeout: float) -> Any:
        return await self._ask_one(self.settings.bank_path, message, timeout)

    async def _ask_one(self, path: str, message: object, timeout: float) -> Any:
        """The answer of the actor at ``path``, as `_ask_all` gives it; None if there is none."""
        cell = find_cell(self.system, path)
        if cell is None:
            return None
        [(_, answer)] = await _ask_all([cell], message, timeout)
        return answer


async def _ask_all(
    cells: list[ActorCell], message: object, timeout: float
) -> list[tuple[str, Any]]:
    """Ask every cell at once; each answer is the reply, or the exception or state that stood in."""
    answers: list[tuple[str, Any]] = []
    waiting: list[tuple[int, asyncio.Future[Any]]] = []
    for cell in cells:
        # An actor that cannot answer now would only hold the page up until the timeout.
        if cell.state != "running":
            answers.append((cell.path, f"{cell.path} is {cell.state}"))
            continue
        if cell.snapshot().paused:
            answers.append((cell.path, f"{cell.path} is paused"))
            continue
        try:
            reply = cell.ref.ask(message, timeout=timeout)
        except Exception as exc:
            answers.append((cell.path, exc))
            continue
        answers.append((cell.path, None))
        waiting.append((len(answers) - 1, reply))
    results = await asyncio.gather(*(reply for _, reply in waiting), return_exceptions=True)
    for (index, _), result in zip(waiting, results, strict=True):
        answers[index] = (answers[index][0], result)
    return answers


def _why(answer: Any, path: str = "") -> str:
    if answer is None:
        return f"no actor at {path}"
    if isinstance(answer, BaseException):
        return f"{type(answer).__name__}: {answer}"
    return str(answer)
