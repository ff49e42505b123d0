"""The signer: signs in its own thread with the only copy of the key, and never shows it."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import TYPE_CHECKING, Any

import msgspec
import pytest
import structlog
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_keys.backends import get_backend
from eth_utils.crypto import keccak
from hexbytes import HexBytes

import actors.signer._signer
from actors.signer import Signer, SignerSettings
from messages.tx import GetAccount, Signed, SignRequest
from runtime import ActorSystem, ConfigError, NoHandler, SupervisorPolicy
from runtime.logs import REDACTED, configure_logging
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from runtime import ActorRef

# anvil's first default account: its key is public knowledge.
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDRESS = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
BARE_KEY = KEY.removeprefix("0x")

REQUEST = SignRequest(
    chain_id=31337,
    nonce=7,
    to="0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    value=12345,
    data="0xdeadbeef",
    gas=50_000,
    max_fee_per_gas=3_000_000_000,
    max_priority_fee_per_gas=1_000_000_000,
)


@pytest.fixture
async def system() -> AsyncIterator[ActorSystem]:
    async with ActorSystem("test") as running:
        yield running


@pytest.fixture
def key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", KEY)


async def _signer(system: ActorSystem, settings: SignerSettings | None = None) -> ActorRef:
    return await system.spawn_pykka(Signer, settings or SignerSettings(), name="signer")


async def _start_failure(settings: SignerSettings) -> BaseException:
    """Start a signer that cannot start; return what its failure was."""
    async with ActorSystem("test", supervision=SupervisorPolicy(max_restarts=0, within=1)) as sys:
        await sys.spawn_pykka(Signer, settings, name="signer")
        await asyncio.wait_for(sys.wait_stopped(), 20)
        assert sys.failure is not None
        return getattr(sys.failure, "cause", None) or sys.failure


@pytest.mark.usefixtures("key_in_env")
async def test_a_signed_transaction_is_type_2_with_the_requested_fields_and_the_keys_signature(
    system: ActorSystem,
) -> None:
    signer = await _signer(system)
    signed: Signed = await signer.ask(REQUEST, timeout=10)
    raw = HexBytes(signed.raw)
    assert raw[0] == 2
    assert Account.recover_transaction(raw).lower() == ADDRESS
    fields = TypedTransaction.from_bytes(raw).as_dict()
    assert fields["chainId"] == 31337
    assert fields["nonce"] == 7
    assert HexBytes(fields["to"]).to_0x_hex() == REQUEST.to
    assert (fields["value"], fields["gas"]) == (12345, 50_000)
    assert HexBytes(fields["data"]).to_0x_hex() == "0xdeadbeef"
    assert fields["maxFeePerGas"] == 3_000_000_000
    assert fields["maxPriorityFeePerGas"] == 1_000_000_000
    assert signed.hash == "0x" + keccak(raw).hex()


@pytest.mark.usefixtures("key_in_env")
async def test_it_answers_the_address_of_its_key(system: ActorSystem) -> None:
    signer = await _signer(system)
    assert await signer.ask(GetAccount(), timeout=10) == ADDRESS


def test_signing_uses_the_coincurve_backend() -> None:
    assert type(get_backend()).__name__ == "CoinCurveECCBackend"


async def test_a_keystore_is_decrypted_in_the_signers_thread_not_on_the_loop(
    system: ActorSystem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(KEY, "hunter22", iterations=2**10)))
    monkeypatch.setenv("ARBITER_KEYSTORE_PASSWORD", "hunter22")
    threads: list[threading.Thread] = []
    load_key = actors.signer._signer.load_key

    def recording_load_key(*args: Any) -> bytes:
        threads.append(threading.current_thread())
        return load_key(*args)

    monkeypatch.setattr(actors.signer._signer, "load_key", recording_load_key)
    signer = await _signer(system, SignerSettings(keystore=keystore))
    assert await signer.ask(GetAccount(), timeout=10) == ADDRESS
    assert len(threads) == 1
    assert threads[0] is not threading.current_thread()


async def test_a_wrong_keystore_password_fails_the_start_and_reveals_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(KEY, "right-password", iterations=2**10)))
    monkeypatch.setenv("ARBITER_KEYSTORE_PASSWORD", "wrong-password")
    failure = await _start_failure(SignerSettings(keystore=keystore))
    assert isinstance(failure, ConfigError)
    assert "signer.keystore: cannot decrypt" in str(failure)
    assert "password" in str(failure)
    assert "wrong-password" not in str(failure)
    assert BARE_KEY not in str(failure)


async def test_without_a_key_the_signer_does_not_start_and_says_where_a_key_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ARBITER_PRIVATE_KEY", raising=False)
    failure = await _start_failure(SignerSettings())
    assert isinstance(failure, ConfigError)
    assert "ARBITER_PRIVATE_KEY" in str(failure)


async def test_a_malformed_key_is_refused_without_being_quoted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    malformed = BARE_KEY[:-2] + "zz"
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", malformed)
    failure = await _start_failure(SignerSettings())
    assert isinstance(failure, ConfigError)
    assert "not a 32-byte hex private key" in str(failure)
    assert malformed not in str(failure)
    assert failure.__cause__ is None
    assert failure.__context__ is None


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "arbiter.log"
    configure_logging("debug", path, console="json")
    yield path
    for handler in list(logging.getLogger().handlers):
        handler.close()
        logging.getLogger().removeHandler(handler)
    structlog.reset_defaults()


class Unknown(msgspec.Struct, frozen=True):
    pass


def _restarted(system: ActorSystem) -> bool:
    (snapshot,) = [s for s in system.snapshot() if s.path == "/signer"]
    return snapshot.restarts_total == 1 and snapshot.state == "running"


@pytest.mark.usefixtures("key_in_env")
async def test_the_key_appears_in_no_log_reply_message_or_repr(
    system: ActorSystem, log_file: Path
) -> None:
    signer = await _signer(system)
    signed = await signer.ask(REQUEST, timeout=10)
    address = await signer.ask(GetAccount(), timeout=10)
    # An unknown message fails the signer (logged with its traceback); it is restarted.
    with pytest.raises(NoHandler, match="does not handle Unknown"):
        await signer.ask(Unknown(), timeout=10)
    await eventually(lambda: _restarted(system))
    assert await signer.ask(GetAccount(), timeout=10) == ADDRESS
    # The signer registered its key: whoever logs it by mistake logs "[redacted]".
    structlog.get_logger("arbiter.test").error("oops", detail=f"signing with {KEY} failed")
    logging.getLogger("pykka").error("stdlib too: %s", BARE_KEY.upper())

    bare = Signer(SignerSettings())
    bare.on_start()
    shown = [
        msgspec.json.encode(signed).decode(),
        repr(signed),
        repr(REQUEST),
        str(address),
        repr(bare),
        str(bare),
        repr(vars(bare)),
        repr(SignerSettings()),
    ]
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()  # noqa: ASYNC240 - a small file, once
    assert "signer_ready" in text
    assert "does not handle Unknown" in text
    assert text.count(REDACTED) >= 2
    for where in [text, *shown]:
        assert BARE_KEY not in where.lower()
