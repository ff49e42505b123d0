"""The nonce benchmark: transactions signed and sent per second, arbiter against web3.py.

Run it with ``arbiter bench nonce --json`` or ``python -m benchmarks.nonce --json``.

One anvil (automine off, a block a second, as a chain would), three accounts
of its well-known mnemonic: arbiter's two nonce managers send from the first
and the fourth, web3.py from the second, in interleaved trials (order
rotated per trial), on uvloop. A bank (SQLite in a temporary directory, as
``/app/bank``) records every transaction published, as in the app.

- ``burst``: 20 senders submit at once.
  arbiter: 20 actors ask one nonce manager (chain client, pykka signer,
  `NonceManager`, as ``/app/wallet`` runs them) for 2,000 ``Submit``s in all;
  reported: submit-to-hash throughput (first ask to last hash), each
  submit's time to its hash and to its ``mined`` record, and whether the
  nonces came out 0..n-1 with none refused. ``arbiter`` answers a submit
  once the bank has committed its record (its ``bank_path`` set, as in the
  app); ``arbiter_best_effort`` once the node has the transaction (no
  ``bank_path``: the bank records it from the event stream, best effort).
  web3.py: 20 coroutines, 1,000 sends in all, each done the ordinary way --
  ``eth_getTransactionCount(pending)``, sign (eth-account, with coincurve as
  the signer has it), ``eth_sendRawTransaction`` -- over one
  ``AsyncHTTPProvider``; reported: sends the node accepted per second, all
  attempts per second, and the refusals by the node's message.
- ``latency``: automine (a block per transaction), one transaction at a
  time, 200 timed after 5 untimed, submit to mined: arbiter's (durable)
  ``mined`` record (new head, receipt by block) against web3.py's send and
  ``wait_for_transaction_receipt`` (polling every millisecond).

Benchmarks report; they do not assert. ``targets`` says whether the aim of
1,000 signed and sent transactions per second is met.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import msgspec
from eth_account import Account
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import Web3RPCError

from actors.bank import BANK_MAILBOX, Bank, BankSettings
from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.devnet import Anvil, free_port
from actors.nonce import NonceBook, NonceManager, NonceSettings
from actors.signer import Signer, SignerSettings
from benchmarks.runtime import machine, rates, rotated, say, target
from messages.tx import GetNonceStatus, NonceStatus, Submit, TxRefused, TxRequest, TxUpdated
from runtime import Actor, ActorSystem, MailboxConfig
from runtime.logs import configure_logging
from runtime.loop import run as run_on_loop

if TYPE_CHECKING:
    from collections.abc import Callable

    from runtime import ActorRef

__all__ = ["main", "run"]

TRIALS = 3
SENDERS = 20
BURST = 2_000
WEB3_BURST = 1_000
LATENCY_TXS = 200
WARM_UP = 5
TARGET_TX_PER_S = 1_000
CHAIN_ID = 31337
# anvil's first three default accounts: public keys of a public mnemonic.
ARBITER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
WEB3_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
BEST_EFFORT_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"
RECIPIENT = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
KEY_ENV = "ARBITER_BENCH_NONCE_KEY"
GAS = 21_000
MAX_FEE = 20_000_000_000
TIP = 1_000_000_000

CONTENDERS = {
    "arbiter": "20 actors asking one NonceManager (chain client + pykka Signer) to Submit; "
    "answered once the bank committed the record",
    "arbiter_best_effort": "the same, answered once the node has it; the bank records it "
    "from the event stream, best effort",
    "web3": "20 coroutines: eth_getTransactionCount(pending), sign, eth_sendRawTransaction",
}


class Burst(msgspec.Struct, frozen=True):
    count: int
    first_value: int


class Submitter(Actor):
    """Asks the nonce manager for ``count`` submits at once; answers (hash, asked, answered)."""

    def __init__(self, manager: ActorRef) -> None:
        super().__init__()
        self.manager = manager

    async def on_burst(self, message: Burst) -> list[tuple[str | TxRefused, float, float]]:
        clock = time.perf_counter
        asked = [0.0] * message.count
        answered = [0.0] * message.count

        def done(index: int, _: object) -> None:
            answered[index] = clock()

        asks = []
        for i in range(message.count):
            request = TxRequest(
                to=RECIPIENT,
                gas=GAS,
                value=message.first_value + i,
                max_fee_per_gas=MAX_FEE,
                max_priority_fee_per_gas=TIP,
            )
            asked[i] = clock()
            ask = self.manager.ask(Submit(request), timeout=120)
            ask.add_done_callback(partial(done, i))
            asks.append(ask)
        # Asks are futures: gathering them starts no task.
        replies = await asyncio.gather(*asks)
        return list(zip(replies, asked, answered, strict=True))


class MinedClock(Actor):
    """Calls ``on_mined(hash, time)`` for each ``mined`` record the nonce manager publishes."""

    def __init__(self, on_mined: Callable[[str, float], None]) -> None:
        super().__init__()
        self.on_mined = on_mined

    def on_start(self) -> None:
        self.context.system.events.subscribe(TxUpdated, self.context.self_ref)

    def on_tx_updated(self, message: TxUpdated) -> None:
        if message.record.status == "mined":
            self.on_mined(message.record.hash, time.perf_counter())


class Bench:
    """The node, arbiter's actors and web3.py's provider for one run."""

    def __init__(self, node: Anvil, system: ActorSystem, session: aiohttp.ClientSession) -> None:
        self.node = node
        self.system = system
        self.session = session
        self.mined_at: dict[str, float] = {}
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.managers: dict[str, ActorRef] = {}
        self.submitters: dict[str, list[ActorRef]] = {}
        self.w3 = AsyncWeb3(AsyncHTTPProvider(node.http_url))
        self.web3_account = Account.from_key(WEB3_KEY)
        self.values = iter(range(1, 10**9))

    async def rpc(self, method: str, *params: object) -> Any:
        payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        async with self.session.post(self.node.http_url, json=payload) as response:
            answer = await response.json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def mined(self, tx_hash: str, at: float) -> None:
        self.mined_at[tx_hash] = at
        future = self.waiting.pop(tx_hash, None)
        if future is not None and not future.done():
            future.set_result(at)

    async def start_arbiter(self, database: Path) -> None:
        """The chain client and the bank, then each arbiter contender's signer and manager."""
        chain = ChainSettings("bench", self.node.ws_url, CHAIN_ID, poll_interval=0.5)
        await self.system.spawn(partial(ChainClient, chain, ChainMemory()), name="chain")
        await self.system.spawn(
            partial(Bank, BankSettings(path=database)), name="bank", mailbox=BANK_MAILBOX
        )
        await self.system.spawn(partial(MinedClock, self.mined), name="mined-clock")
        for name, key, bank_path in (
            ("arbiter", ARBITER_KEY, "/bank"),
            ("arbiter_best_effort", BEST_EFFORT_KEY, ""),
        ):
            key_env = f"{KEY_ENV}_{name.upper()}"
            os.environ[key_env] = key
            account = Account.from_key(key).address.lower()
            await self.system.spawn_pykka(
                Signer, SignerSettings(key_env=key_env), name=f"signer-{name}"
            )
            settings = NonceSettings(
                account=account,
                chain="bench",
                chain_id=CHAIN_ID,
                chain_path="/chain",
                signer_path=f"/signer-{name}",
                bank_path=bank_path,
            )
            manager = await self.system.spawn(
                partial(NonceManager, settings, NonceBook(account)),
                name=f"nonce-{name}",
                mailbox=MailboxConfig(capacity=BURST + 100),
            )
            self.managers[name] = manager
            self.submitters[name] = [
                await self.system.spawn(partial(Submitter, manager), name=f"submitter-{name}-{i}")
                for i in range(SENDERS)
            ]

    async def status(self, name: str) -> NonceStatus:
        status: NonceStatus = await self.managers[name].ask(GetNonceStatus(), timeout=30)
        return status

    async def arbiter_settled(self, name: str) -> None:
        """Until nothing is in flight (polled: blocks come once a second)."""
        while (await self.status(name)).in_flight:  # noqa: ASYNC110 - polling the node's progress
            await asyncio.sleep(0.05)

    async def web3_settled(self) -> None:
        address = self.web3_account.address
        while True:
            pending = await self.w3.eth.get_transaction_count(address, "pending")
            if await self.w3.eth.get_transaction_count(address, "latest") == pending:
                return
            await asyncio.sleep(0.05)

    # -- burst ----------------------------------------------------------------

    async def arbiter_burst(self, name: str) -> dict[str, Any]:
        before = await self.status(name)
        per_sender = BURST // SENDERS
        first = next(self.values)
        started = time.perf_counter()
        replies = await asyncio.gather(
            *(
                s.ask(Burst(per_sender, first * 10_000 + i * per_sender), timeout=300)
                for i, s in enumerate(self.submitters[name])
            )
        )
        answers = [answer for reply in replies for answer in reply]
        sent_s = max(answered for _, _, answered in answers) - started
        hashes = [h for h, _, _ in answers if isinstance(h, str)]
        await self.arbiter_settled(name)
        after = await self.status(name)
        to_hash = [(answered - asked) * 1000 for _, asked, answered in answers]
        to_mined = [
            (self.mined_at[h] - asked) * 1000
            for h, asked, _ in answers
            if isinstance(h, str) and h in self.mined_at
        ]
        return {
            "tx_per_s": len(hashes) / sent_s,
            "sent": len(hashes),
            "refused": len(answers) - len(hashes),
            "mined": after.mined_total - before.mined_total,
            # Every nonce allocated went to a sent transaction, and all were mined.
            "contiguous_nonces": (after.next_nonce or 0) - (before.next_nonce or 0)
            == len(hashes)
            == after.mined_total - before.mined_total,
            "submit_to_hash_ms": percentiles(to_hash),
            "submit_to_mined_ms": percentiles(to_mined),
        }

    async def web3_burst(self) -> dict[str, Any]:
        outcomes: Counter[str] = Counter()
        per_sender = WEB3_BURST // SENDERS
        first = next(self.values) * 10_000

        async def sender(index: int) -> None:
            account = self.web3_account
            for i in range(per_sender):
                nonce = await self.w3.eth.get_transaction_count(account.address, "pending")
                signed = account.sign_transaction(
                    {
                        "type": 2,
                        "chainId": CHAIN_ID,
                        "nonce": nonce,
                        "to": AsyncWeb3.to_checksum_address(RECIPIENT),
                        "value": first + index * per_sender + i,
                        "gas": GAS,
                        "maxFeePerGas": MAX_FEE,
                        "maxPriorityFeePerGas": TIP,
                    }
                )
                try:
                    await self.w3.eth.send_raw_transaction(signed.raw_transaction)
                except Web3RPCError as exc:
                    error = (exc.rpc_response or {}).get("error")
                    outcomes[error["message"] if isinstance(error, dict) else str(exc)] += 1
                else:
                    outcomes["sent"] += 1

        started = time.perf_counter()
        await asyncio.gather(*(sender(index) for index in range(SENDERS)))
        seconds = time.perf_counter() - started
        await self.web3_settled()
        sent = outcomes.pop("sent", 0)
        return {
            "tx_per_s": sent / seconds,
            "attempts_per_s": WEB3_BURST / seconds,
            "sent": sent,
            "refused": WEB3_BURST - sent,
            "refusals": dict(outcomes.most_common()),
        }

    # -- latency --------------------------------------------------------------

    async def arbiter_latency(self) -> list[float]:
        manager = self.managers["arbiter"]
        samples = []
        for _ in range(WARM_UP + LATENCY_TXS):
            request = TxRequest(to=RECIPIENT, gas=GAS, value=next(self.values))
            started = time.perf_counter()
            tx_hash = await manager.ask(Submit(request), timeout=30)
            assert isinstance(tx_hash, str), tx_hash
            future = self.system.loop.create_future()
            self.waiting[tx_hash] = future
            if tx_hash in self.mined_at:
                self.mined(tx_hash, self.mined_at[tx_hash])
            mined = await asyncio.wait_for(future, timeout=30)
            samples.append((mined - started) * 1000)
        return samples[WARM_UP:]

    async def web3_latency(self) -> list[float]:
        account = self.web3_account
        samples = []
        for _ in range(WARM_UP + LATENCY_TXS):
            started = time.perf_counter()
            nonce = await self.w3.eth.get_transaction_count(account.address, "pending")
            block = await self.w3.eth.get_block("latest")
            signed = account.sign_transaction(
                {
                    "type": 2,
                    "chainId": CHAIN_ID,
                    "nonce": nonce,
                    "to": AsyncWeb3.to_checksum_address(RECIPIENT),
                    "value": next(self.values),
                    "gas": GAS,
                    "maxFeePerGas": 2 * block["baseFeePerGas"] + TIP,
                    "maxPriorityFeePerGas": TIP,
                }
            )
            tx_hash = await self.w3.eth.send_raw_transaction(signed.raw_transaction)
            await self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.001)
            samples.append((time.perf_counter() - started) * 1000)
        return samples[WARM_UP:]


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max": round(ordered[-1], 2),
    }


async def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="arbiter-bench-nonce-") as state:
        async with (
            Anvil(port=free_port()) as node,
            ActorSystem("bench-nonce") as system,
            aiohttp.ClientSession() as session,
        ):
            bench = Bench(node, system, session)
            await bench.start_arbiter(Path(state) / "arbiter.db")
            # As `arbiter run` does once its tree has started: full collections
            # then skip the long-lived heap (web3's ABIs, the modules).
            gc.freeze()
            await bench.rpc("evm_setAutomine", False)  # noqa: FBT003 - a JSON-RPC parameter
            await bench.rpc("evm_setIntervalMining", 1)
            contenders = {
                "arbiter": partial(bench.arbiter_burst, "arbiter"),
                "arbiter_best_effort": partial(bench.arbiter_burst, "arbiter_best_effort"),
                "web3": bench.web3_burst,
            }
            burst: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
            for trial in range(TRIALS):
                for name in rotated(list(contenders), trial):
                    figures = await contenders[name]()
                    burst[name].append(figures)
                    say(
                        f"  burst trial {trial} {name:19} {figures['tx_per_s']:,.0f} tx/s sent, "
                        f"{figures['refused']} refused"
                    )
            await bench.rpc("evm_setIntervalMining", 0)
            await bench.rpc("evm_setAutomine", True)  # noqa: FBT003
            latency = {
                "arbiter": percentiles(await bench.arbiter_latency()),
                "web3": percentiles(await bench.web3_latency()),
            }
            await bench.w3.provider.disconnect()
        return {"burst": summarise(burst), "latency": latency}


def summarise(trials: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    web3 = trials["web3"]
    return {
        **{name: summarise_arbiter(trials[name]) for name in ("arbiter", "arbiter_best_effort")},
        "web3": {
            "tx_per_s": rates([t["tx_per_s"] for t in web3]),
            "attempts_per_s": rates([t["attempts_per_s"] for t in web3]),
            "sent": sum(t["sent"] for t in web3),
            "refused": sum(t["refused"] for t in web3),
            "refusals": sum((Counter(t["refusals"]) for t in web3), Counter()),
            "burst": WEB3_BURST,
        },
    }


def summarise_arbiter(trials: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "tx_per_s": rates([t["tx_per_s"] for t in trials]),
        "sent": sum(t["sent"] for t in trials),
        "refused": sum(t["refused"] for t in trials),
        "mined": sum(t["mined"] for t in trials),
        "contiguous_nonces": all(t["contiguous_nonces"] for t in trials),
        "submit_to_hash_ms": median_of(t["submit_to_hash_ms"] for t in trials),
        "submit_to_mined_ms": median_of(t["submit_to_mined_ms"] for t in trials),
        "burst": BURST,
    }


def median_of(figures: Any) -> dict[str, float]:
    listed = list(figures)
    return {key: round(statistics.median(f[key] for f in listed), 2) for key in listed[0]}


def targets(cases: dict[str, Any]) -> dict[str, Any]:
    ours = cases["burst"]["arbiter"]["tx_per_s"]["median"]
    clean = cases["burst"]["arbiter"]["refused"] == 0
    return {
        "signed_and_sent_tx_per_s": target(ours, TARGET_TX_PER_S, ours >= TARGET_TX_PER_S),
        "no_refusal_and_contiguous_nonces": target(
            cases["burst"]["arbiter"]["refused"],
            0,
            clean and cases["burst"]["arbiter"]["contiguous_nonces"],
        ),
    }


def run(json_output: bool) -> dict[str, Any]:
    """Run every case, print what it finds, and return (and with ``json_output`` print) it all."""
    started = time.perf_counter()
    # As `arbiter run` logs (JSON lines to stderr), warnings and above: the
    # manager logs nothing per transaction at that level.
    configure_logging("warning", None, "json")
    say(f"arbiter nonce benchmark: Python {platform.python_version()}, uvloop, anvil")
    say(
        f"burst: {SENDERS} senders, {BURST:,} submits (arbiter) / {WEB3_BURST:,} sends (web3.py) "
        f"per trial, a block a second, {TRIALS} interleaved trials; latency: automine, "
        f"{LATENCY_TXS} one at a time"
    )
    cases = run_on_loop(measure())
    result: dict[str, Any] = {
        "benchmark": "nonce",
        "python": platform.python_version(),
        "machine": machine()
        | {p: importlib.metadata.version(p) for p in ("web3", "eth-account", "coincurve")},
        "contenders": CONTENDERS,
        "cases": cases,
        "targets": targets(cases),
        "seconds": round(time.perf_counter() - started, 1),
    }
    say_summary(result)
    if json_output:
        print(json.dumps(result), flush=True)
    return result


def say_summary(result: dict[str, Any]) -> None:
    burst, latency = result["cases"]["burst"], result["cases"]["latency"]
    theirs = burst["web3"]
    say("summary (medians)")
    for name in ("arbiter", "arbiter_best_effort"):
        ours = burst[name]
        say(
            f"  burst {name} {ours['tx_per_s']['median']:,} tx/s signed and sent, "
            f"{ours['refused']} refused of {ours['sent'] + ours['refused']:,}, nonces "
            f"contiguous: {ours['contiguous_nonces']}, submit->hash p50 "
            f"{ours['submit_to_hash_ms']['p50']} ms, submit->mined p50 "
            f"{ours['submit_to_mined_ms']['p50']} ms"
        )
    say(
        f"  burst web3    {theirs['tx_per_s']['median']:,} tx/s accepted "
        f"({theirs['attempts_per_s']['median']:,} attempts/s), {theirs['refused']:,} refused "
        f"of {theirs['sent'] + theirs['refused']:,}: {dict(theirs['refusals'])}"
    )
    say(
        f"  latency (automine) submit->mined p50/p99: arbiter {latency['arbiter']['p50']}/"
        f"{latency['arbiter']['p99']} ms, web3 {latency['web3']['p50']}/{latency['web3']['p99']} ms"
    )
    for name, verdict in result["targets"].items():
        state = "met" if verdict["met"] else "MISSED"
        say(f"  target {name}: {state} ({verdict['value']:,} vs {verdict['threshold']:,})")
    say(f"done in {result['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.nonce [--json]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="benchmarks.nonce", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    run(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
