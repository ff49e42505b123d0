"""Receipts: what an asked write's answer promises, and `write_durably`'s timeout."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from actors.bank import WriteRejected, write_durably
from messages.bank import RecordBlock
from runtime import AskTimeout, ManualClock
from tests.actors.bank.conftest import CHAIN, block, running_bank

if TYPE_CHECKING:
    from actors.bank import BankSettings, Receipt

pytestmark = pytest.mark.timeout(30)


async def test_a_write_not_committed_in_time_raises_ask_timeout_and_still_commits_later(
    settings: BankSettings,
) -> None:
    clock = ManualClock()
    async with running_bank(settings, clock, batch_interval=1) as running:
        with pytest.raises(AskTimeout, match="not committed within"):
            await write_durably(running.bank, block(1), timeout=0.1)
        receipt: Receipt = await running.bank.ask(block(2))
        clock.advance(1)
        await receipt.wait(5)
        assert (await running.health()).committed_rows_total == 2


async def test_giving_up_on_one_receipt_does_not_cancel_the_others_of_its_batch(
    settings: BankSettings,
) -> None:
    clock = ManualClock()
    async with running_bank(settings, clock, batch_interval=1) as running:
        first: Receipt = await running.bank.ask(block(1))
        second: Receipt = await running.bank.ask(block(2))
        waiting = asyncio.ensure_future(first.wait(None))
        await asyncio.sleep(0)  # wait-ok: one loop turn, so the wait has begun
        waiting.cancel()
        clock.advance(1)
        await second.wait(5)
        await first.wait(5)
        assert first.done
        assert second.done


async def test_a_write_sqlite_refuses_fails_alone_and_its_batch_is_committed(
    settings: BankSettings,
) -> None:
    clock = ManualClock()
    too_big = RecordBlock(chain=CHAIN, number=2**70, hash="0x1", parent_hash="0x0", timestamp=0)
    async with running_bank(settings, clock, batch_interval=1) as running:
        good: Receipt = await running.bank.ask(block(1))
        bad: Receipt = await running.bank.ask(too_big)
        clock.advance(1)
        await good.wait(5)
        with pytest.raises(WriteRejected, match="RecordBlock rejected: OverflowError"):
            await bad.wait(5)
        health = await running.health()
        assert (health.committed_rows_total, health.dropped_writes_total) == (1, 1)
