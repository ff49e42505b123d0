"""Fuzzing the control endpoint: whatever a client sends, no 5xx, no crash, no state change."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.dashboard._api import ApiError, decode_control
from messages.control import Control
from tests.actors.dashboard.conftest import TOKEN

if TYPE_CHECKING:
    from tests.actors.dashboard.conftest import Running

pytestmark = pytest.mark.timeout(60)

TYPES = ["Ping", "GetStatus", "Pause", "Resume", "Restart", "Stop", "Shutdown", "SetParam"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
# Objects that look like control messages: a known or unknown type, and fields of any kind.
message_like = st.builds(
    lambda kind, fields: json.dumps({**fields, "type": kind}).encode(),
    st.sampled_from(TYPES) | st.text(max_size=10),
    st.dictionaries(st.sampled_from(["name", "value", "dex", "address", "x"]), json_values),
)
bodies = message_like | st.binary(max_size=64) | json_values.map(lambda v: json.dumps(v).encode())
_strict = msgspec.json.Decoder(Control)


def is_valid(body: bytes) -> bool:
    try:
        _strict.decode(body)
    except msgspec.DecodeError:
        return False
    return True


@given(bodies)
def test_decoding_any_body_yields_a_control_message_or_a_400(body: bytes) -> None:
    if is_valid(body):
        assert isinstance(decode_control(body), Control)
        return
    with pytest.raises(ApiError) as refused:
        decode_control(body)
    assert refused.value.status == 400
    assert refused.value.code in {"malformed_json", "unknown_type", "invalid_message"}


@settings(
    max_examples=150,
    deadline=None,
    # One running system serves every example: that it is unchanged by all of them is the point.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=bodies, ask=st.booleans(), path=st.sampled_from(["/app/worker", "/app/dashboard"]))
async def test_invalid_control_requests_never_5xx_and_never_change_the_system(
    running: Running, body: bytes, ask: bool, path: str
) -> None:
    if is_valid(body):
        return
    before = [
        (s.path, s.handled_total, s.restarts_total, s.paused) for s in running.system.snapshot()
    ]

    status, answer = await running.post(path, body, token=TOKEN, ask=ask)

    assert 400 <= status < 500
    assert set(answer) == {"error"}
    after = [
        (s.path, s.handled_total, s.restarts_total, s.paused) for s in running.system.snapshot()
    ]
    assert after == before
    assert running.system.running
    assert running.world.params == {}
