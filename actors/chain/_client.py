"""`ChainClient`: one actor per chain; blocks in order, exactly once per branch, reorg-safe."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from actors.chain._blocks import Block, MalformedNodeData, decode_block, decode_log, decode_logs
from actors.chain._headers import Header, HeaderWindow
from actors.chain._jsonrpc import JsonRpcConnection, Notification, RpcError
from messages.bank import Checkpoint, LoadCheckpoint
from messages.chain import (
    ChainStatus,
    GetChainStatus,
    Log,
    NewHead,
    PoolLogs,
    Reorg,
    ReplayLogs,
    Rpc,
    WatchAddresses,
)
from runtime import Actor, ArbiterError, ChainError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ChainClient", "ChainMemory", "ChainSettings"]

# Headers prefetched per batch call when a gap must be filled.
_HEADER_BATCH = 100
# Numbers the client's incarnations: a lost socket of an earlier one is old news.
_INCARNATIONS = itertools.count()
# "block height is N but requested was N+1": the node's log index lags its head.
_LOG_RETRIES = 5
# Blocks published per loop turn in a backfill: 64 messages (PoolLogs and NewHead),
# what a subscriber's drain takes in one turn at the kernel's default throughput.
_PUBLISH_BATCH = 32


@dataclass(frozen=True, slots=True)
class ChainSettings:
    """How to reach one chain.

    Args:
        name: the chain's name in paths and messages (``devnet``, ``mainnet``).
        ws_url: the node's WebSocket JSON-RPC address.
        chain_id: the id the node must report; anything else is refused.
        confirmations: blocks a block must be buried under before it is
            published; reorgs shallower than that are never seen downstream.
        rpc_timeout: seconds a call may take.
        logs_chunk: most blocks per ``eth_getLogs`` range when backfilling.
        poll_interval: seconds between checks of the latest block, a safety
            net for subscriptions that go quiet.
        bank_path: the memory bank, asked for a checkpoint to resume from
            when the process starts (none there: start at the node's head).
    """

    name: str
    ws_url: str
    chain_id: int
    confirmations: int = 0
    rpc_timeout: float = 10.0
    logs_chunk: int = 1000
    poll_interval: float = 5.0
    bank_path: str = "/app/bank"


@dataclass(slots=True)
class ChainMemory:
    """What the chain client keeps across its restarts (its factory holds it)."""

    window: HeaderWindow = field(default_factory=HeaderWindow)
    watchers: dict[str, list[str]] = field(default_factory=dict)
    """Owner path -> the addresses whose logs it wants; a restart must not forget them."""
    starts: int = 0
    reorgs_total: int = 0
    reconnects_total: int = 0
    resumed_from: int | None = None


class _HeadArrived(msgspec.Struct, frozen=True):
    block: Block
    received_ns: int


class _CatchUp(msgspec.Struct, frozen=True):
    pass


class _ConnectionLost(msgspec.Struct, frozen=True):
    error: str
    incarnation: int


class ChainClient(Actor):
    """Follows one chain over one WebSocket and publishes what happened, block by block.

    For every block, in order: `PoolLogs` (every watched address's logs,
    fetched by block hash, so complete and reorg-safe), then `NewHead`. A new
    head that does not extend the last processed block is traced back
    through its parents to a processed ancestor: blocks missed in between are
    fetched (a gap), and if the ancestor is not the last processed block,
    `Reorg` is published first. A lost connection fails the actor; its
    supervisor restarts it with backoff and it resumes from the last
    processed block, so nothing is skipped and nothing applied twice.
    """

    def __init__(self, settings: ChainSettings, memory: ChainMemory) -> None:
        super().__init__()
        self.settings = settings
        self.memory = memory
        self.connection = JsonRpcConnection(settings.ws_url, settings.rpc_timeout)
        # Others' calls (`Rpc`) go over a second socket, so they are not queued
        # behind the subscriptions' notifications (anvil answers a call on a
        # subscribed socket ~8 ms late).
        self.calls = JsonRpcConnection(settings.ws_url, settings.rpc_timeout)
        self.incarnation = next(_INCARNATIONS)
        self.node_head: Block | None = None
        self.malformed_total = 0
        self._heads_subscription: str | None = None
        self._logs_subscription: str | None = None
        self._catch_up_told = False

    # -- lifecycle ----------------------------------------------------------

    async def on_start(self) -> None:
        memory = self.memory
        memory.starts += 1
        if memory.starts > 1:
            memory.reconnects_total += 1
        await self.connection.open()
        # The reader must run before the first call: it is what delivers answers.
        # A head that arrives before its subscription id is known is dropped,
        # which is harmless: the next head fills the gap.
        self.context.stream(
            self.connection.notifications(),
            self._to_message,
            self._lost,
            name="websocket",
            wait_for_room=False,
        )
        await self.calls.open()
        self.context.stream(
            self.calls.notifications(),
            lambda _: None,
            self._lost,
            name="calls",
            wait_for_room=False,
        )
        chain_id = int(await self._call_json("eth_chainId", []), 16)
        if chain_id != self.settings.chain_id:
            raise ChainError(
                f"{self.settings.ws_url} is chain {chain_id}, not {self.settings.chain_id}"
            )
        if memory.window.last is None:
            await self._restore()
        self._heads_subscription = await self._call_json("eth_subscribe", ["newHeads"])
        await self._resubscribe_logs()
        if memory.window.last is not None and memory.starts > 1:
            memory.resumed_from = memory.window.last.number
            self.log.info("chain_resuming", chain=self.settings.name, block=memory.resumed_from)
        self.context.every(self.settings.poll_interval, _CatchUp())
        self.context.self_ref.tell(_CatchUp())
        self.log.info("chain_connected", chain=self.settings.name, url=self.settings.ws_url)

    async def on_stop(self) -> None:
        try:
            await self.connection.close()
        finally:
            # Also when the first close is cancelled (a stop past its timeout
            # while a slow node holds back the close frame): an unclosed
            # session is a ResourceWarning at garbage collection.
            await self.calls.close()

    def _to_message(self, notification: Notification) -> Any:
        try:
            if notification.subscription == self._heads_subscription:
                block = decode_block(notification.result)
                return None if block is None else _HeadArrived(block, notification.received_ns)
            if notification.subscription == self._logs_subscription:
                log = decode_log(notification.result)
                # Never relied upon (anvil sends none), but a removed log is a
                # sure sign of a reorg: look at the chain again now.
                return _CatchUp() if log.removed else None
        except MalformedNodeData as exc:
            self.malformed_total += 1
            self.log.warning("malformed_notification", chain=self.settings.name, error=str(exc))
        return None

    # -- handlers -----------------------------------------------------------

    async def on_head_arrived(self, message: _HeadArrived) -> None:
        first = self.memory.window.first
        if first is not None and message.block.number < first.number:
            # Old news: a head queued before a restart, or a slow node's late
            # frame, below every block remembered. Tracing it would fail as a
            # reorg too deep; the node's head now says if anything changed.
            if not self._catch_up_told:
                self._catch_up_told = True  # once for a mailbox full of them
                self.context.self_ref.tell(_CatchUp())
            return
        try:
            await self._follow(message.block, message.received_ns)
        except RpcError as exc:
            raise _failed_following(exc) from exc

    async def on_catch_up(self, message: _CatchUp) -> None:
        self._catch_up_told = False
        try:
            latest = await self.connection.call("eth_getBlockByNumber", ["latest", False])
            block = decode_block(latest)
            if block is not None:
                await self._follow(block, time.perf_counter_ns())
        except RpcError as exc:
            raise _failed_following(exc) from exc

    def on_connection_lost(self, message: _ConnectionLost) -> None:
        # Both sockets of one incarnation may go at once: its restart handles both.
        if message.incarnation == self.incarnation:
            raise ChainError(f"{self.settings.name}: {message.error}")

    def _lost(self, error: Exception | None) -> _ConnectionLost:
        return _ConnectionLost(error=str(error), incarnation=self.incarnation)

    async def on_rpc(self, message: Rpc) -> Any:
        """Make a call for the asker; the node's error answer is raised as `RpcError`.

        `RpcError` is a `runtime.Rejected`: the asker gets it and the client
        carries on. A lost connection or a timeout (`ChainError`) fails the
        client, which its supervisor restarts.
        """
        return msgspec.json.decode(await self.calls.call(message.method, message.params))

    async def on_watch_addresses(self, message: WatchAddresses) -> int | None:
        """Fetch logs of ``addresses`` from the next block on; reply the last processed block."""
        self.memory.watchers[message.owner] = sorted({a.lower() for a in message.addresses})
        await self._resubscribe_logs()
        last = self.memory.window.last
        return None if last is None else last.number

    async def on_replay_logs(self, message: ReplayLogs) -> list[PoolLogs] | None:
        """The logs of ``addresses`` in every processed block after the given one (`ReplayLogs`)."""
        window = self.memory.window
        after = window.get(message.after_hash)
        last = window.last
        if after is not None and after.number == message.after_number:
            headers = [header for header in window if header.number > after.number]
        elif last is not None and message.after_number > last.number:
            # The watcher is ahead (it restored from its own newer checkpoint):
            # nothing to replay if its block is where the node's chain goes next;
            # it skips the blocks up to its own as they are published.
            found = await self._blocks_by_number(last.number + 1, message.after_number)
            path = [last, *sorted(map(_header, found.values()), key=lambda h: h.number)]
            return [] if _linked(path, message.after_hash) else None
        else:
            older = await self._below_window(message.after_number, message.after_hash)
            if older is None:
                return None
            headers = [*older, *window]
        addresses = sorted({address.lower() for address in message.addresses})
        logs = await self._logs_of(headers, addresses)
        return [
            PoolLogs(
                chain=self.settings.name,
                block_number=header.number,
                block_hash=header.hash,
                logs=logs.get(header.hash, []),
                received_ns=0,
            )
            for header in headers
        ]

    async def _below_window(self, number: int, block_hash: str) -> list[Header] | None:
        """The node's blocks after ``number`` up to the window, if they link it to ``block_hash``.

        For a replay from further back than the window remembers (blocks came
        fast while the process was down): None unless block ``number`` is
        still ``block_hash`` and every block from it links to the window.
        """
        first = self.memory.window.first
        if first is None or number >= first.number:
            return None
        found = await self._blocks_by_number(number, first.number - 1)
        path = [*sorted(map(_header, found.values()), key=lambda h: h.number), first]
        if path[0].number != number or path[0].hash != block_hash or not _linked(path, first.hash):
            return None
        return path[1:-1]

    def on_get_chain_status(self, message: GetChainStatus) -> ChainStatus:
        last = self.memory.window.last
        head = self.node_head
        return ChainStatus(
            chain=self.settings.name,
            chain_id=self.settings.chain_id,
            head_block=None if head is None else head.number,
            head_hash=None if head is None else head.hash,
            processed_block=None if last is None else last.number,
            lag_blocks=None if head is None or last is None else max(0, head.number - last.number),
            reorgs_total=self.memory.reorgs_total,
            reconnects_total=self.memory.reconnects_total,
            connected=self.connection.connected,
            resumed_from=self.memory.resumed_from,
            malformed_total=self.malformed_total + self.connection.malformed_total,
        )

    # -- following the chain --------------------------------------------------

    @property
    def addresses(self) -> list[str]:
        return sorted({a for addresses in self.memory.watchers.values() for a in addresses})

    async def _follow(self, head: Block, received_ns: int) -> None:
        """The node announced ``head``: process up to it, less the confirmations."""
        if self.node_head is None or head.number >= self.node_head.number:
            self.node_head = head
        target: Block | None = head
        for _ in range(self.settings.confirmations):
            if target is None or target.number == 0:
                return
            target = await self._block_by_hash(target.parent_hash)
        if target is not None:
            await self._advance_to(target, received_ns)

    async def _advance_to(self, head: Block, received_ns: int) -> None:
        window = self.memory.window
        if window.knows(head.hash):
            return
        last = window.last
        if last is None or window.extends(_header(head)):
            await self._process([head], received_ns)
            return
        branch = await self._branch_to_window(head, last)
        ancestor = window.find_ancestor([_header(b) for b in branch])
        if ancestor != last:
            dropped = window.rewind_to(ancestor)
            self.memory.reorgs_total += 1
            self.log.warning(
                "chain_reorg",
                chain=self.settings.name,
                ancestor=ancestor.number,
                depth=len(dropped),
                new_head=head.number,
            )
            self.context.system.events.publish(
                Reorg(
                    chain=self.settings.name,
                    ancestor_number=ancestor.number,
                    ancestor_hash=ancestor.hash,
                    depth=len(dropped),
                )
            )
        branch.reverse()
        await self._process(branch, received_ns)

    async def _branch_to_window(self, head: Block, last: Header) -> list[Block]:
        """``head`` and its ancestors down to the first whose parent was processed, newest first."""
        window = self.memory.window
        first = window.first
        prefetched = await self._blocks_by_number(last.number + 1, head.number - 1)
        branch = [head]
        current = head
        while not window.knows(current.parent_hash):
            if first is not None and current.number <= first.number:
                break  # find_ancestor reports the reorg as too deep
            parent = prefetched.get(current.parent_hash) or await self._block_by_hash(
                current.parent_hash
            )
            branch.append(parent)
            current = parent
        return branch

    async def _restore(self) -> None:
        """Resume from the bank's checkpoint: its headers that the node still has.

        A checkpoint whose newest blocks the node no longer has (a reorg
        while the process was down) is cut back to the newest block it has:
        the next head then reaches it as a reorg below the checkpoint, which
        moves the checkpoint back. Without a bank or a checkpoint the client
        starts at the node's head.
        """
        bank = self.context.system.lookup(self.settings.bank_path)
        if bank is None:
            return
        try:
            checkpoint: Checkpoint | None = await bank.ask(
                LoadCheckpoint(chain=self.settings.name), timeout=self.settings.rpc_timeout
            )
        except ArbiterError as exc:
            self.log.warning("checkpoint_unavailable", chain=self.settings.name, error=str(exc))
            return
        if checkpoint is None:
            return
        headers = checkpoint.headers
        on_node = await self._blocks_by_number(headers[0].number, headers[-1].number)
        window = self.memory.window
        for header in headers:
            if header.hash not in on_node:
                break
            window.append(Header(header.number, header.hash, header.parent_hash))
        last = window.last
        if last is None:
            self.log.warning(
                "checkpoint_not_on_chain", chain=self.settings.name, block=checkpoint.block_number
            )
            return
        self.memory.resumed_from = last.number
        self.log.info(
            "chain_restored",
            chain=self.settings.name,
            block=last.number,
            checkpoint=checkpoint.block_number,
        )

    async def _process(self, blocks: Sequence[Block], received_ns: int) -> None:
        """Publish each block's logs and head, in order, and record it as processed.

        A long backfill (the node was slow or away) is published `_PUBLISH_BATCH`
        blocks per loop turn, so that subscribers drain their mailboxes in
        between: published at once, hundreds of blocks would overflow them and
        the event stream would drop the newest. (A subscriber still loses what
        it cannot take; the pool watchers catch up by `ReplayLogs`.)
        """
        logs = await self._logs_of(blocks, self.addresses)
        events = self.context.system.events
        name = self.settings.name
        for index, block in enumerate(blocks):
            if index and not index % _PUBLISH_BATCH:
                await asyncio.sleep(0)
            events.publish(
                PoolLogs(
                    chain=name,
                    block_number=block.number,
                    block_hash=block.hash,
                    logs=logs.get(block.hash, []),
                    received_ns=received_ns,
                )
            )
            events.publish(
                NewHead(
                    chain=name,
                    number=block.number,
                    hash=block.hash,
                    parent_hash=block.parent_hash,
                    timestamp=block.timestamp,
                    base_fee=block.base_fee,
                    received_ns=received_ns,
                )
            )
            self.memory.window.append(_header(block))

    async def _logs_of(
        self, blocks: Sequence[Block] | Sequence[Header], addresses: list[str]
    ) -> dict[str, list[Log]]:
        if not addresses or not blocks:
            return {}
        if len(blocks) == 1:
            block = blocks[0]
            return {block.hash: await self._logs_by_hash(block.hash, addresses)}
        wanted = {block.hash for block in blocks}
        by_hash: dict[str, list[Log]] = {block.hash: [] for block in blocks}
        stale: set[int] = set()
        for start in range(blocks[0].number, blocks[-1].number + 1, self.settings.logs_chunk):
            end = min(blocks[-1].number, start + self.settings.logs_chunk - 1)
            for log in await self._logs_by_range(start, end, addresses):
                if log.block_hash in wanted:
                    by_hash[log.block_hash].append(log)
                else:
                    stale.add(log.block_number)
        # A range query answers for the node's branch now; where that is not
        # ours, ask by our block's hash, which is exact.
        for block in blocks:
            if block.number in stale:
                by_hash[block.hash] = await self._logs_by_hash(block.hash, addresses)
        return by_hash

    async def _logs_by_hash(self, block_hash: str, addresses: list[str]) -> list[Log]:
        for attempt in range(_LOG_RETRIES):
            try:
                raw = await self.connection.call(
                    "eth_getLogs", [{"blockHash": block_hash, "address": addresses}]
                )
            except RpcError as exc:
                if attempt + 1 == _LOG_RETRIES or "block" not in exc.node_message.lower():
                    raise
                await asyncio.sleep(0.005 * 2**attempt)
                continue
            logs = decode_logs(raw)
            return sorted(logs, key=lambda log: log.log_index)
        raise ChainError(f"eth_getLogs for {block_hash} kept failing")  # pragma: no cover

    async def _logs_by_range(self, start: int, end: int, addresses: list[str]) -> list[Log]:
        raw = await self.connection.call(
            "eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(end), "address": addresses}]
        )
        return decode_logs(raw)

    async def _block_by_hash(self, block_hash: str) -> Block:
        block = decode_block(await self.connection.call("eth_getBlockByHash", [block_hash, False]))
        if block is None:
            raise ChainError(f"the node does not know block {block_hash}")
        return block

    async def _blocks_by_number(self, first: int, last: int) -> dict[str, Block]:
        blocks: dict[str, Block] = {}
        for start in range(first, last + 1, _HEADER_BATCH):
            numbers = range(start, min(last, start + _HEADER_BATCH - 1) + 1)
            results = await self.connection.batch(
                [("eth_getBlockByNumber", [hex(n), False]) for n in numbers]
            )
            for raw in results:
                block = decode_block(raw)
                if block is not None:
                    blocks[block.hash] = block
        return blocks

    async def _resubscribe_logs(self) -> None:
        if self._logs_subscription is not None:
            await self._call_json("eth_unsubscribe", [self._logs_subscription])
            self._logs_subscription = None
        if self.addresses:
            self._logs_subscription = await self._call_json(
                "eth_subscribe", ["logs", {"address": self.addresses}]
            )

    async def _call_json(self, method: str, params: Sequence[Any]) -> Any:
        return msgspec.json.decode(await self.connection.call(method, params))


def _failed_following(error: RpcError) -> ChainError:
    """A node error while following the chain is the client's failure, not a refusal."""
    return ChainError(f"following the chain failed: {error}")


def _linked(path: list[Header], tip: str) -> bool:
    """Whether ``path`` (oldest first) is one chain of consecutive blocks ending at hash ``tip``."""
    consecutive = all(
        child.parent_hash == parent.hash and child.number == parent.number + 1
        for parent, child in itertools.pairwise(path)
    )
    return consecutive and path[-1].hash == tip


def _header(block: Block) -> Header:
    return Header(block.number, block.hash, block.parent_hash)
