"""`PoolWatcher`: one actor per DEX, keeping its pools' exact state block by block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import msgspec

from actors.dex._apply import apply_event
from actors.dex._events import decode_event
from actors.dex._exceptions import MalformedLog, ReorgTooDeep
from actors.dex._journal import DEFAULT_JOURNAL_DEPTH, StateJournal
from messages.bank import Checkpoint, LoadCheckpoint, PoolRecord, RecordPoolStates
from messages.chain import (
    ChainStatus,
    GetChainStatus,
    PoolLogs,
    Reorg,
    ReplayLogs,
    Rpc,
    WatchAddresses,
)
from messages.market import GetPools, Pool, PoolSnapshot, PoolState, PoolUpdated, V2State, V3State
from runtime import Actor, ArbiterError, ChainError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from runtime import ActorRef

__all__ = ["PoolWatcher", "WatcherSettings"]

# Function selectors of the pool contracts' views.
_TOKEN0 = "0x0dfe1681"
_TOKEN1 = "0xd21220a7"
_FEE = "0xddca3f43"
_TICK_SPACING = "0xd0c93a7c"
_GET_RESERVES = "0x0902f1ac"
_SLOT0 = "0x3850c7bd"
_LIQUIDITY = "0x1a686502"
_GET_PAIR = "0xe6a43905"  # UniswapV2Factory.getPair(address,address)
_GET_POOL = "0x1698ee82"  # UniswapV3Factory.getPool(address,address,uint24)

_V2_FEE = 3000  # hundredths of a basis point: 0.3 %


@dataclass(frozen=True, slots=True)
class WatcherSettings:
    """What one watcher watches.

    Args:
        dex: the DEX's name (``uniswap_v2_a``).
        kind: ``uniswap_v2`` or ``uniswap_v3``.
        chain: the chain's name, as in `PoolLogs.chain`.
        chain_path: where the chain client lives (``/app/chain/devnet``).
        pools: the pools' addresses.
        factory: the DEX's factory, to find the pools of ``pairs``.
        pairs: token pairs whose pool the factory is asked for (V3: at ``fee``).
        fee: the V3 fee tier of the pools of ``pairs``, in hundredths of a bip.
        journal_depth: blocks of changes kept to undo a reorg.
        bank_path: the memory bank, asked at start for the pools' states at
            its checkpoint (none there: they are read from the chain).
        complete_every: every this many blocks the record sent to the bank
            holds every pool, not only those the block changed, so that a
            lost record costs the bank at most this many blocks of checkpoints.
        sync_interval: seconds between checks that no block the chain client
            processed was lost on the way here (see `PoolWatcher.on_sync`).
    """

    dex: str
    kind: Literal["uniswap_v2", "uniswap_v3"]
    chain: str
    chain_path: str
    pools: tuple[str, ...]
    factory: str = ""
    pairs: tuple[tuple[str, str], ...] = ()
    fee: int = 3000
    journal_depth: int = DEFAULT_JOURNAL_DEPTH
    bank_path: str = "/app/bank"
    complete_every: int = 64
    sync_interval: float = 1.0


class _Sync(msgspec.Struct, frozen=True):
    """Time to check that every block the chain client processed reached this watcher."""


class _ChainAt(msgspec.Struct, frozen=True):
    """The chain client's processed block, as it answered a `_Sync` check (None: no answer)."""

    processed_block: int | None


class PoolWatcher(Actor):
    """Reads its pools' state once at a known block, then keeps it by their events.

    Every block's `PoolLogs` is applied in order (V2 ``Sync``; V3 ``Swap``,
    ``Mint``, ``Burn``) and each changed pool is published once as
    `PoolUpdated`. A `Reorg` is undone from a per-block journal, or by
    reading the state at the ancestor when it goes deeper than the journal.
    A log that does not parse is counted and its pool re-read.

    The chain client publishes every block, but a publication can be lost on
    the way: the event stream drops what a full mailbox cannot take (a long
    backfill after the node was slow or away), and a restarting watcher is
    not subscribed. So the watcher never waits for a block to reach it: a
    block number that skips one, or a chain client found ahead of it by the
    check made every `WatcherSettings.sync_interval`, makes it ask the
    chain client for the blocks it missed (`ReplayLogs`, exact and one
    ``eth_getLogs``), or read the state again when its block is no longer
    on the client's chain. Once the chain is quiet, every watcher is at the
    client's processed block, whatever was lost.

    Every processed block is recorded in the bank (`RecordPoolStates`, with
    the pools it changed; with every pool after a read from the chain). A
    watcher that starts where the bank has a checkpoint takes its pools and
    their states from it, and the blocks since from the chain client
    (`ReplayLogs`), instead of reading every pool again.
    """

    def __init__(self, settings: WatcherSettings) -> None:
        super().__init__()
        self.settings = settings
        self.pools: dict[str, Pool] = {}
        self.states: dict[str, PoolState] = {}
        self.block: int | None = None
        self.block_hash: str | None = None
        self.journal: StateJournal[PoolState] = StateJournal(settings.journal_depth)
        self.malformed_total = 0
        self.rereads_total = 0
        self.catch_ups_total = 0
        self.restored_from: int | None = None
        self._complete_due = False  # the next record must hold every pool
        self._sync_asked = False  # a `_Sync` check awaits the chain client's answer

    # -- lifecycle ----------------------------------------------------------

    async def on_start(self) -> None:
        events = self.context.system.events
        events.subscribe(PoolLogs, self.context.self_ref)
        events.subscribe(Reorg, self.context.self_ref)
        self.context.every(self.settings.sync_interval, _Sync())
        addresses = {a.lower() for a in [*self.settings.pools, *await self._discover()]}
        checkpoint = await self._checkpoint()
        restored = self._restorable(checkpoint, addresses)
        for address in sorted(addresses):
            self.pools[address] = restored.get(address) or await self._describe(address)
        base = await self._chain().ask(
            WatchAddresses(owner=self.context.path, addresses=list(self.pools))
        )
        if checkpoint is not None and restored and await self._restore(checkpoint):
            self.log.info(
                "watching",
                dex=self.settings.dex,
                pools=len(self.pools),
                block=self.block,
                restored_from=self.restored_from,
            )
            return
        if base is not None:
            await self._read_all(base)
        self.log.info("watching", dex=self.settings.dex, pools=len(self.pools), block=base)

    async def on_stop(self) -> None:
        self.context.system.events.unsubscribe_all(self.context.self_ref)

    # -- handlers -------------------------------------------------------------

    async def on_pool_logs(self, message: PoolLogs) -> None:
        if message.chain != self.settings.chain:
            return
        number = message.block_number
        if self.block is not None and number > self.block + 1:
            await self._catch_up()  # the blocks in between were lost on the way
        if self.block is None or number > self.block + 1:
            # First block after starting, or the blocks in between could not be
            # replayed: the state before this block comes from the chain itself.
            await self._read_all(number - 1)
        if self.block is not None and number <= self.block:
            return  # already in the state that was read or replayed
        await self._apply_block(message)

    def on_sync(self, message: _Sync) -> None:
        """Ask the chain client for its processed block, without waiting for it here.

        The last blocks published before the chain goes quiet have no later
        block to show that they were lost; this check does. The answer
        arrives as `_ChainAt` through the mailbox, while the watcher goes on
        with its blocks: a chain client busy with a slow node holds up
        neither. One check at a time.
        """
        if self._sync_asked or self.block is None:
            return
        self._sync_asked = True
        self.context.pipe(
            self._chain().ask(GetChainStatus(), timeout=30),
            lambda status: _ChainAt(status.processed_block),
            lambda _: _ChainAt(None),
            name="sync",
        )

    async def on_chain_at(self, message: _ChainAt) -> None:
        """Catch up if the chain client had processed blocks that never arrived here.

        Exact, not a guess: the client published every block up to the one
        it answered before it answered, so their `PoolLogs` (and any `Reorg`)
        are ahead of this answer in the mailbox. If the watcher is still
        behind when the answer comes, they were lost.
        """
        self._sync_asked = False
        processed = message.processed_block
        if processed is not None and self.block is not None and processed > self.block:
            await self._catch_up()

    async def _catch_up(self) -> None:
        """Apply the blocks the chain client processed after this watcher's block.

        They come from its header window (`ReplayLogs`), as they were
        published. If this watcher's block is not on the client's chain any
        more (a `Reorg` was lost too), the state is read again at the
        client's processed block instead.
        """
        if self.block is None or self.block_hash is None:
            return
        replay: list[PoolLogs] | None = await self._chain().ask(
            ReplayLogs(
                addresses=list(self.pools), after_number=self.block, after_hash=self.block_hash
            ),
            timeout=30,
        )
        self.catch_ups_total += 1
        self.log.info(
            "catching_up",
            dex=self.settings.dex,
            block=self.block,
            blocks=None if replay is None else len(replay),
        )
        if replay is not None:
            await self._apply_replay(replay)
            return
        status: ChainStatus = await self._chain().ask(GetChainStatus(), timeout=30)
        if status.processed_block is not None:
            await self._read_all(status.processed_block)

    async def _apply_replay(self, replay: Sequence[PoolLogs]) -> None:
        """Apply replayed blocks (oldest first) that follow this watcher's block."""
        for logs in replay:
            if self.block is None or logs.block_number > self.block + 1:
                return  # not contiguous: never from the chain client; the next check reads
            if logs.block_number == self.block + 1:
                await self._apply_block(logs)

    async def _apply_block(self, message: PoolLogs) -> None:
        """Apply the block after this watcher's block, publish and record what it changed."""
        number = message.block_number
        changed, suspect = self._apply(message)
        for address in suspect:
            self._remember(number, message.block_hash, address, changed)
            changed[address] = self.states[address] = await self._read_state(address, hex(number))
        self.block = number
        self.block_hash = message.block_hash
        for address, state in changed.items():
            self._publish(address, state, number, message.block_hash, message.received_ns)
        self._record(number, message.block_hash, changed)

    def _apply(self, message: PoolLogs) -> tuple[dict[str, PoolState], set[str]]:
        """Apply a block's logs; return the changed pools' new states and the pools to re-read."""
        changed: dict[str, PoolState] = {}
        suspect: set[str] = set()
        for log in message.logs:
            address = log.address
            if address not in self.pools:
                continue
            try:
                event = decode_event(log.topics, log.data)
                new = None if event is None else apply_event(self.states.get(address), event)
            except MalformedLog as exc:
                self.malformed_total += 1
                suspect.add(address)
                self.log.warning(
                    "malformed_log", pool=address, block=message.block_number, error=str(exc)
                )
                continue
            if new is not None:
                self._remember(message.block_number, message.block_hash, address, changed)
                changed[address] = self.states[address] = new
        return changed, suspect

    def _remember(
        self, number: int, block_hash: str, address: str, changed: dict[str, PoolState]
    ) -> None:
        """Journal a pool's state before the block changes it (once per block)."""
        if address not in changed and address in self.states:
            self.journal.record(number, block_hash, address, self.states[address])

    async def on_reorg(self, message: Reorg) -> None:
        if message.chain != self.settings.chain or self.block is None:
            return
        if message.ancestor_number >= self.block:
            return
        try:
            restored = self.journal.rollback_to(message.ancestor_number)
        except ReorgTooDeep:
            await self._read_all(message.ancestor_number, rewound=True)
            restored = dict(self.states)
        else:
            for address, state in restored.items():
                if state is not None:
                    self.states[address] = state
            self.block = message.ancestor_number
            self.block_hash = message.ancestor_hash
            self._record(
                message.ancestor_number,
                message.ancestor_hash,
                {address: state for address, state in restored.items() if state is not None},
                rewound=True,
            )
        for address, state in restored.items():
            if state is not None:
                self._publish(address, state, message.ancestor_number, message.ancestor_hash, 0)

    # -- the bank -------------------------------------------------------------------

    async def _checkpoint(self) -> Checkpoint | None:
        """The bank's checkpoint of this DEX: its newest block on the recorded branch."""
        bank = self.context.system.lookup(self.settings.bank_path)
        if bank is None:
            return None
        try:
            checkpoint: Checkpoint | None = await bank.ask(
                LoadCheckpoint(chain=self.settings.chain, dex=self.settings.dex), timeout=30
            )
        except ArbiterError as exc:
            self.log.warning("checkpoint_unavailable", dex=self.settings.dex, error=str(exc))
            return None
        if checkpoint is None or self.settings.dex not in checkpoint.dexes:
            return None
        return checkpoint

    def _restorable(self, checkpoint: Checkpoint | None, addresses: set[str]) -> dict[str, Pool]:
        """The checkpoint's pools, if they are exactly the pools configured now (else none)."""
        if checkpoint is None:
            return {}
        mine = {
            entry.pool.address: entry.pool
            for entry in checkpoint.pools
            if entry.pool.dex == self.settings.dex and entry.pool.kind == self.settings.kind
        }
        return mine if set(mine) == addresses else {}

    async def _restore(self, checkpoint: Checkpoint) -> bool:
        """Take the pools' states at the checkpoint, then apply the blocks the chain went past.

        Returns:
            False when the chain client cannot replay from the checkpoint
            block (it is not on its processed chain): read the chain instead.
        """
        replay: list[PoolLogs] | None = await self._chain().ask(
            ReplayLogs(
                addresses=list(self.pools),
                after_number=checkpoint.block_number,
                after_hash=checkpoint.block_hash,
            ),
            timeout=30,
        )
        if replay is None:
            self.log.info("checkpoint_not_replayable", dex=self.settings.dex)
            return False
        for entry in checkpoint.pools:
            if entry.pool.address in self.pools:
                self.states[entry.pool.address] = entry.state
        self.block = self.restored_from = checkpoint.block_number
        self.block_hash = checkpoint.block_hash
        self.journal.reset(checkpoint.block_number)
        await self._apply_replay(replay)
        return True

    def _record(
        self, number: int, block_hash: str, changed: dict[str, PoolState], *, rewound: bool = False
    ) -> None:
        """Tell the bank the pools after block ``number``: those it changed, or every one."""
        every = self.settings.complete_every
        complete = self._complete_due or (every > 0 and number % every == 0)
        self._complete_due = False
        states = self.states if complete else changed
        self.context.system.events.publish(
            RecordPoolStates(
                chain=self.settings.chain,
                dex=self.settings.dex,
                block_number=number,
                block_hash=block_hash,
                states=[
                    PoolRecord(pool=self.pools[address], state=state)
                    for address, state in states.items()
                ],
                complete=complete,
                rewound=rewound,
            )
        )

    def on_get_pools(self, message: GetPools) -> list[PoolSnapshot]:
        return [
            PoolSnapshot(pool=pool, block_number=self.block, state=self.states.get(address))
            for address, pool in self.pools.items()
        ]

    # -- reading the chain --------------------------------------------------------

    def _chain(self) -> ActorRef:
        chain = self.context.system.lookup(self.settings.chain_path)
        if chain is None:
            raise ChainError(f"no chain client at {self.settings.chain_path}")
        return chain

    async def _call(
        self, address: str, selector: str, block: str | dict[str, str] = "latest"
    ) -> bytes:
        result = await self._chain().ask(
            Rpc(method="eth_call", params=[{"to": address, "data": selector}, block]), timeout=30
        )
        try:
            return bytes.fromhex(str(result).removeprefix("0x"))
        except ValueError as exc:
            raise ChainError(f"eth_call to {address} answered {result!r}") from exc

    async def _discover(self) -> list[str]:
        """The pools of the configured token pairs, as the factory names them."""
        found = []
        for token_a, token_b in self.settings.pairs:
            words = _address_word(token_a) + _address_word(token_b)
            if self.settings.kind == "uniswap_v2":
                call = _GET_PAIR + words
            else:
                call = _GET_POOL + words + f"{self.settings.fee:064x}"
            address = "0x" + (await self._call(self.settings.factory, call))[12:32].hex()
            if int(address, 16) == 0:
                self.log.warning("no_pool", dex=self.settings.dex, tokens=[token_a, token_b])
                continue
            found.append(address)
        return found

    async def _describe(self, address: str) -> Pool:
        token0 = "0x" + (await self._call(address, _TOKEN0))[12:32].hex()
        token1 = "0x" + (await self._call(address, _TOKEN1))[12:32].hex()
        if self.settings.kind == "uniswap_v2":
            fee, spacing = _V2_FEE, 0
        else:
            fee = _word(await self._call(address, _FEE), 0)
            spacing = _signed(_word(await self._call(address, _TICK_SPACING), 0), 24)
        return Pool(
            address=address,
            dex=self.settings.dex,
            kind=self.settings.kind,
            token0=token0,
            token1=token1,
            fee=fee,
            tick_spacing=spacing,
        )

    async def _read_state(self, address: str, block: str | dict[str, str]) -> PoolState:
        if self.settings.kind == "uniswap_v2":
            reserves = await self._call(address, _GET_RESERVES, block)
            return V2State(reserve0=_word(reserves, 0), reserve1=_word(reserves, 1))
        slot0 = await self._call(address, _SLOT0, block)
        liquidity = await self._call(address, _LIQUIDITY, block)
        return V3State(
            sqrt_price_x96=_word(slot0, 0),
            tick=_signed(_word(slot0, 1), 24),
            liquidity=_word(liquidity, 0),
        )

    async def _read_all(self, block: int, *, rewound: bool = False) -> None:
        """Every pool's state at the end of ``block``; the journal restarts there.

        Read at the block's hash, so that every pool is read at the same
        block even if the node reorgs meanwhile, and recorded whole in the
        bank at once (``rewound``: after a reorg to ``block``).
        """
        header = await self._chain().ask(
            Rpc(method="eth_getBlockByNumber", params=[hex(block), False]), timeout=30
        )
        if not isinstance(header, dict) or not isinstance(header.get("hash"), str):
            raise ChainError(f"the node has no block {block}: {header!r}")
        block_hash: str = header["hash"]
        for address in self.pools:
            self.states[address] = await self._read_state(address, {"blockHash": block_hash})
        self.block = block
        self.block_hash = block_hash
        self.journal.reset(block)
        self.rereads_total += 1
        self.log.info("pools_read", dex=self.settings.dex, block=block, rewound=rewound)
        self._complete_due = True
        self._record(block, block_hash, {}, rewound=rewound)

    def _publish(
        self, address: str, state: PoolState, block: int, block_hash: str, received_ns: int
    ) -> None:
        self.context.system.events.publish(
            PoolUpdated(
                pool=self.pools[address],
                block_number=block,
                block_hash=block_hash,
                state=state,
                received_ns=received_ns,
            )
        )


def _word(data: bytes, index: int) -> int:
    word = data[32 * index : 32 * (index + 1)]
    if len(word) != 32:
        raise ChainError(
            f"expected at least {index + 1} words of return data, got {len(data)} bytes"
        )
    return int.from_bytes(word, "big")


def _address_word(address: str) -> str:
    return address.lower().removeprefix("0x").rjust(64, "0")


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value
