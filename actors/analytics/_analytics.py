"""`Analytics`: finds arbitrage in the watchers' pool states, block by block, and publishes it."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from actors.analytics._graph import GasModel, PriceGraph, pair_of
from actors.analytics._stats import RollingStats
from messages.analytics import AnalyticsStats, GetAnalyticsStats, Hop, Opportunity
from messages.bank import RecordConfigChange, RecordOpportunity
from messages.chain import NewHead, Reorg
from messages.control import SetParam  # noqa: TC001 - handlers' types are read at run time
from messages.market import GetPools, PoolSnapshot, PoolUpdated
from runtime import Actor, Rejected

if TYPE_CHECKING:
    from actors.analytics._graph import Finding

__all__ = ["MAX_HOPS_LIMIT", "Analytics", "AnalyticsSettings"]

MAX_HOPS_LIMIT = 5
"""The longest cycle `max_hops` may ask for (cycles multiply with every hop)."""


class _Evaluate(msgspec.Struct, frozen=True, tag=True):
    """Time to re-evaluate the cycles through the pools changed since the last evaluation."""


class _Snapshots(msgspec.Struct, frozen=True):
    """A watcher's answer to `GetPools`, asked at start."""

    snapshots: list[PoolSnapshot]


class _SnapshotsFailed(msgspec.Struct, frozen=True):
    watcher: str
    error: str

    @classmethod
    def of(cls, watcher: str, error: Exception) -> _SnapshotsFailed:
        return cls(watcher, repr(error))


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """What analytics searches and what it reports; ``[analytics]`` in the config.

    Args:
        chain: the chain whose heads and reorgs count (`NewHead.chain`).
        min_profit_wei: only opportunities whose net profit in wei is above
            this are emitted (settable at run time with `SetParam`).
        max_hops: the longest cycle searched, 2 to `MAX_HOPS_LIMIT` pools
            (settable at run time).
        gas: gas units per hop and the tip; see `GasModel`.
        weth: WETH's address: cycles through it start there and profits are
            valued in wei through its pools (empty: every token at par).
        watchers: paths of the DEX watchers asked for their pools at start
            (pools that change later arrive as `PoolUpdated` anyway).
        stats_window: seconds of history in the rolling statistics.
        reorg_depth: blocks of emitted opportunities remembered, to mark
            them stale when a reorg removes their block.
    """

    chain: str = "devnet"
    min_profit_wei: int = 0
    max_hops: int = 3
    gas: GasModel = field(default_factory=GasModel)
    weth: str = ""
    watchers: tuple[str, ...] = ()
    stats_window: float = 3600.0
    reorg_depth: int = 128


class Analytics(Actor):
    """Keeps the price graph of every watched pool; sizes and publishes arbitrage each block.

    Protocol:
        `PoolUpdated` (subscribed): a pool's state after a block; marks it changed.
        `NewHead` (subscribed): the block's pool updates are in (the chain
            client publishes a block's logs before its head, and the watchers
            publish what they changed while handling the logs); the changed
            pools' cycles are re-evaluated once the updates already sent are
            handled (a zero-delay timer, so they come first). An update for a
            block already evaluated (a watcher that had to re-read the chain)
            triggers another evaluation.
        `Reorg` (subscribed): opportunities from the orphaned blocks are
            published again with status ``stale``.
        `SetParam`: ``min_profit_wei`` (an int >= 0, or its decimal text) and
            ``max_hops`` (2 to 5); anything else raises `Rejected` (the actor
            carries on). Recorded as `RecordConfigChange`.
        `GetAnalyticsStats` -> `AnalyticsStats`.

    Emits, on ``system.events``, each `Opportunity` and a `RecordOpportunity`
    of it (the bank records those). ``latency_us`` runs from the head
    frame's arrival (`NewHead.received_ns`, ``time.perf_counter_ns``) to the
    publication.
    """

    def __init__(self, settings: AnalyticsSettings) -> None:
        super().__init__()
        self.settings = settings
        self.graph = PriceGraph(weth=settings.weth.lower())
        self.graph.set_max_hops(_max_hops(settings.max_hops))
        self.min_profit_wei = _min_profit(settings.min_profit_wei)
        self.stats = RollingStats(settings.stats_window)
        self.head: NewHead | None = None
        self.changed: set[str] = set()
        self.blocks: dict[str, int] = {}
        self.last_update: PoolUpdated | None = None
        self.evaluated_block: int | None = None
        self.pending = False
        self.recent: dict[int, list[Opportunity]] = {}
        self.blocks_evaluated = 0
        self.cycles_evaluated_total = 0
        self.opportunities_total = 0
        self.last_evaluation_us: int | None = None

    # -- lifecycle --------------------------------------------------------------

    def on_start(self) -> None:
        events = self.context.system.events
        for kind in (PoolUpdated, NewHead, Reorg):
            events.subscribe(kind, self.context.self_ref)
        for path in self.settings.watchers:
            watcher = self.context.system.lookup(path)
            if watcher is None:
                self.log.warning("watcher_missing", watcher=path)
                continue
            self.context.pipe(
                watcher.ask(GetPools(), timeout=60),
                _Snapshots,
                partial(_SnapshotsFailed.of, path),
            )

    def on_stop(self) -> None:
        self.context.system.events.unsubscribe_all(self.context.self_ref)

    # -- handlers ----------------------------------------------------------------

    def on_pool_updated(self, message: PoolUpdated) -> None:
        address = message.pool.address
        self.graph.update(message.pool, message.state)
        self.blocks[address] = message.block_number
        self.changed.add(address)
        self.last_update = message
        if self.evaluated_block is not None and message.block_number <= self.evaluated_block:
            self._evaluate_soon()

    def on_new_head(self, message: NewHead) -> None:
        if message.chain != self.settings.chain:
            return
        self.head = message
        self._evaluate_soon()

    def on_evaluate(self, message: _Evaluate) -> None:
        self.pending = False
        if not self.changed:
            return
        started = time.perf_counter_ns()
        indexes = self.graph.touching(self.changed)
        self.changed.clear()
        block, base_fee, received_ns = self._block()
        findings = self.graph.evaluate(indexes, self.settings.gas, base_fee, self.min_profit_wei)
        self.last_evaluation_us = (time.perf_counter_ns() - started) // 1000
        self.blocks_evaluated += 1
        self.cycles_evaluated_total += len(indexes)
        self.evaluated_block = block
        for finding in findings:
            self._emit(finding, block, received_ns)
        for old in [b for b in self.recent if b <= block - self.settings.reorg_depth]:
            del self.recent[old]

    def on_reorg(self, message: Reorg) -> None:
        if message.chain != self.settings.chain:
            return
        # The watchers publish the restored states next, at the ancestor:
        # they are evaluated with the next head, not as late updates.
        self.evaluated_block = None
        self.head = None
        events = self.context.system.events
        for block in sorted(b for b in self.recent if b > message.ancestor_number):
            for opportunity in self.recent.pop(block):
                stale = msgspec.structs.replace(opportunity, status="stale")
                events.publish(stale)
                events.publish(RecordOpportunity(opportunity=stale))
                self.log.info("opportunity_stale", id=opportunity.id, block=block)

    def on_snapshots(self, message: _Snapshots) -> None:
        for snapshot in message.snapshots:
            address, block = snapshot.pool.address, snapshot.block_number
            if snapshot.state is None or block is None:
                continue
            if address in self.blocks and self.blocks[address] >= block:
                continue
            self.graph.update(snapshot.pool, snapshot.state)
            self.blocks[address] = block
            self.changed.add(address)

    def on_snapshots_failed(self, message: _SnapshotsFailed) -> None:
        self.log.warning("watcher_pools_unread", watcher=message.watcher, error=message.error)

    def on_set_param(self, message: SetParam) -> None:
        try:
            if message.name == "min_profit_wei":
                self.min_profit_wei = _min_profit(_integer(message.value))
            elif message.name == "max_hops":
                self.graph.set_max_hops(_max_hops(_integer(message.value)))
            else:
                raise Rejected(
                    f"analytics has no parameter {message.name!r} (it has min_profit_wei, max_hops)"
                )
        except (ValueError, TypeError) as exc:
            raise Rejected(f"{message.name} = {message.value!r}: {exc}") from exc
        self.log.info("analytics_param_set", name=message.name, value=message.value)
        self.context.system.events.publish(
            RecordConfigChange(
                path=self.context.path,
                name=message.name,
                value=json.dumps(message.value),
                at=time.time(),
            )
        )

    def on_get_analytics_stats(self, message: GetAnalyticsStats) -> AnalyticsStats:
        pairs, dexes = self.stats.summary(self.graph, self.context.system.clock.time())
        return AnalyticsStats(
            window_s=int(self.settings.stats_window),
            pools=len(self.graph.pools),
            cycles=len(self.graph.cycles),
            blocks_evaluated=self.blocks_evaluated,
            cycles_evaluated_total=self.cycles_evaluated_total,
            opportunities_total=self.opportunities_total,
            last_block=self.evaluated_block,
            last_evaluation_us=self.last_evaluation_us,
            min_profit_wei=self.min_profit_wei,
            max_hops=self.graph.max_hops,
            pairs=pairs,
            dexes=dexes,
        )

    # -- inside ---------------------------------------------------------------------

    def _evaluate_soon(self) -> None:
        if not self.pending:
            self.pending = True
            # A timer, not a tell: the watchers' updates for this block are
            # published by handlers already scheduled on the loop; a
            # zero-delay timer fires after them.
            self.context.schedule(0.0, _Evaluate())

    def _block(self) -> tuple[int, int | None, int]:
        """The block being evaluated, its base fee, and when its head frame arrived."""
        head, update = self.head, self.last_update
        if head is not None and (update is None or head.number >= update.block_number):
            return head.number, head.base_fee, head.received_ns
        assert update is not None  # noqa: S101 - evaluating means an update arrived
        return update.block_number, None, update.received_ns

    def _emit(self, finding: Finding, block: int, received_ns: int) -> None:
        cycle, sized = finding.cycle, finding.sized
        path = [
            Hop(pool=leg.pool.address, token_in=leg.token_in, token_out=leg.token_out)
            for leg in finding.legs
        ]
        digest = hashlib.blake2b(repr(cycle.hops).encode(), digest_size=6).hexdigest()
        latency_us = (time.perf_counter_ns() - received_ns) // 1000 if received_ns else 0
        opportunity = Opportunity(
            id=f"{block}-{digest}",
            block=block,
            path=path,
            amount_in=sized.amount_in,
            amount_out=sized.amount_out,
            expected_profit_wei=finding.profit_wei,
            gas_cost_wei=finding.gas_cost_wei,
            detected_at=time.time(),
            latency_us=latency_us,
        )
        events = self.context.system.events
        events.publish(opportunity)
        events.publish(RecordOpportunity(opportunity=opportunity))
        self.opportunities_total += 1
        self.recent.setdefault(block, []).append(opportunity)
        self.stats.record(
            self.context.system.clock.time(),
            finding.profit_wei,
            frozenset(pair_of(leg.pool) for leg in finding.legs),
            frozenset(leg.pool.dex for leg in finding.legs),
        )


def _integer(value: Any) -> int:
    """An int from an int or its decimal text (JSON numbers arrive either way); not a bool/float."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("must be an integer")
    if isinstance(value, str):
        text = value.strip().strip('"')
        if not text.lstrip("-").isdigit():
            raise ValueError("must be an integer")
        return int(text)
    return value


def _min_profit(value: int) -> int:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _max_hops(value: int) -> int:
    if not 2 <= value <= MAX_HOPS_LIMIT:
        raise ValueError(f"must be between 2 and {MAX_HOPS_LIMIT}")
    return value
