"""The control token: where it comes from, the file it is written to, and never logged."""

from __future__ import annotations

import os
import stat
from functools import partial
from typing import TYPE_CHECKING

import aiohttp
import pytest
import structlog

from actors.dashboard import Dashboard, DashboardSettings, read_token
from actors.dashboard._token import resolve_token, tokens_match, write_token
from messages.health import GetDashboardUrl
from runtime import ActorSystem

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def no_token_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)


def test_a_configured_token_is_used_and_no_file_is_written(tmp_path: Path) -> None:
    assert resolve_token("configured", tmp_path) == ("configured", None)
    assert not (tmp_path / "token").exists()


def test_the_environment_token_is_used_when_none_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARBITER_DASHBOARD_TOKEN", "from-env")

    assert resolve_token("", tmp_path) == ("from-env", None)
    assert resolve_token("configured", tmp_path) == ("configured", None)


def test_without_one_a_token_is_generated_into_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    token, path = resolve_token("", tmp_path / "state")

    assert path == tmp_path / "state" / "token"
    assert path.read_text() == token
    assert len(token) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_token("", tmp_path / "state")[0] != token


def test_an_existing_token_file_readable_by_others_is_made_private(tmp_path: Path) -> None:
    old = tmp_path / "token"
    old.write_text("old")
    old.chmod(0o644)

    write_token(tmp_path, "new")

    assert old.read_text() == "new"
    assert stat.S_IMODE(old.stat().st_mode) == 0o600


def test_a_client_reads_the_environment_first_then_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert read_token(tmp_path) == ""
    (tmp_path / "token").write_text("from-file\n")
    assert read_token(tmp_path) == "from-file"
    monkeypatch.setenv("ARBITER_DASHBOARD_TOKEN", "from-env")
    assert read_token(tmp_path) == "from-env"


def test_tokens_match_only_when_equal() -> None:
    assert tokens_match("abc", "abc")
    assert not tokens_match("abd", "abc")
    assert not tokens_match("", "abc")
    assert not tokens_match("abcd", "abc")


async def test_a_generated_token_works_and_only_its_path_is_logged(tmp_path: Path) -> None:
    settings = DashboardSettings(port=0, state_dir=tmp_path / "state")
    with structlog.testing.capture_logs() as logs:
        async with ActorSystem("token") as system, aiohttp.ClientSession() as session:
            dashboard = await system.spawn(partial(Dashboard, settings), name="dashboard")
            url = str(await dashboard.ask(GetDashboardUrl()))
            token = (tmp_path / "state" / "token").read_text()
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(
                url + "api/actors/dashboard/messages?ask=1",
                data='{"type": "Ping"}',
                headers=headers,
            ) as response:
                assert response.status == 200
            async with session.post(
                url + "api/actors/dashboard/messages", data='{"type": "Ping"}'
            ) as response:
                assert response.status == 401

    written = [entry for entry in logs if entry["event"] == "dashboard_token_written"]
    assert [entry["path"] for entry in written] == [str(tmp_path / "state" / "token")]
    assert any(entry["event"] == "dashboard_listening" for entry in logs)
    assert all(token not in repr(entry) for entry in logs)
    assert token not in repr(settings)
    assert os.environ.get("ARBITER_DASHBOARD_TOKEN") is None
