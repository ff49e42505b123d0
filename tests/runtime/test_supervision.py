"""Supervision bookkeeping without a loop: restart windows, restart groups, backoff."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime import Backoff, ChildSpec, RestartType, Strategy, SupervisorPolicy
from runtime._supervision import RestartWindow, restart_group

CHILDREN = ["chain", "dex", "analytics", "executor"]


def test_a_window_allows_restarts_up_to_its_intensity() -> None:
    window = RestartWindow(max_restarts=3, within=5.0)
    assert [window.allow(now) for now in (0.0, 1.0, 2.0)] == [True, True, True]
    assert window.count(2.0) == 3


def test_one_restart_more_than_the_intensity_within_the_period_is_refused() -> None:
    window = RestartWindow(max_restarts=3, within=5.0)
    for now in (0.0, 1.0, 2.0):
        window.allow(now)
    assert not window.allow(4.9)


def test_a_refused_restart_is_not_recorded() -> None:
    window = RestartWindow(max_restarts=1, within=5.0)
    window.allow(0.0)
    assert not window.allow(1.0)
    assert window.count(1.0) == 1
    assert window.allow(5.0)


def test_restarts_older_than_the_period_expire() -> None:
    window = RestartWindow(max_restarts=2, within=5.0)
    window.allow(0.0)
    window.allow(1.0)
    assert window.count(5.0) == 1
    assert window.allow(5.0)
    assert not window.allow(5.5)
    assert window.allow(6.0)


def test_a_window_of_zero_restarts_refuses_the_first() -> None:
    assert not RestartWindow(max_restarts=0, within=5.0).allow(0.0)


@given(
    max_restarts=st.integers(min_value=0, max_value=6),
    within=st.floats(min_value=0.5, max_value=10.0),
    gaps=st.lists(st.floats(min_value=0.0, max_value=4.0), max_size=40),
)
def test_a_window_never_holds_more_than_its_intensity_within_any_period(
    max_restarts: int, within: float, gaps: list[float]
) -> None:
    window = RestartWindow(max_restarts, within)
    allowed: list[float] = []
    now = 0.0
    for gap in gaps:
        now += gap
        recent = [t for t in allowed if t > now - within]
        assert window.allow(now) == (len(recent) < max_restarts)
        if len(recent) < max_restarts:
            allowed.append(now)
        assert window.count(now) == len([t for t in allowed if t > now - within])


def test_one_for_one_restarts_only_the_failed_child() -> None:
    assert restart_group(Strategy.ONE_FOR_ONE, CHILDREN, "dex") == ["dex"]


def test_one_for_all_restarts_every_child_in_start_order() -> None:
    assert restart_group(Strategy.ONE_FOR_ALL, CHILDREN, "dex") == CHILDREN


def test_rest_for_one_restarts_the_failed_child_and_those_started_after_it() -> None:
    assert restart_group(Strategy.REST_FOR_ONE, CHILDREN, "dex") == [
        "dex",
        "analytics",
        "executor",
    ]


def test_rest_for_one_on_the_last_child_restarts_it_alone() -> None:
    assert restart_group(Strategy.REST_FOR_ONE, CHILDREN, "executor") == ["executor"]


def test_rest_for_one_on_the_first_child_restarts_them_all() -> None:
    assert restart_group(Strategy.REST_FOR_ONE, CHILDREN, "chain") == CHILDREN


@given(
    strategy=st.sampled_from(Strategy),
    count=st.integers(min_value=1, max_value=8),
    data=st.data(),
)
def test_a_restart_group_is_an_ordered_slice_of_the_children_holding_the_failed_one(
    strategy: Strategy, count: int, data: st.DataObject
) -> None:
    children = [f"child-{i}" for i in range(count)]
    failed = data.draw(st.sampled_from(children))
    group = restart_group(strategy, children, failed)
    assert failed in group
    start = children.index(group[0])
    assert group == children[start : start + len(group)]


def test_the_first_restart_within_the_window_is_immediate() -> None:
    backoff = Backoff(initial=1.0, jitter=0.2)
    assert backoff.delay(1) == 0.0
    assert backoff.delay(0) == 0.0


def test_later_restarts_back_off_exponentially_without_jitter() -> None:
    backoff = Backoff(initial=0.5, maximum=100.0, multiplier=3.0, jitter=0.0)
    assert [backoff.delay(n) for n in (2, 3, 4, 5)] == [0.5, 1.5, 4.5, 13.5]


def test_backoff_stops_growing_at_its_maximum() -> None:
    backoff = Backoff(initial=1.0, maximum=5.0, multiplier=2.0, jitter=0.0)
    assert [backoff.delay(n) for n in (4, 5, 6, 50)] == [4.0, 5.0, 5.0, 5.0]


def test_a_zero_initial_backoff_never_waits() -> None:
    backoff = Backoff(initial=0.0)
    assert {backoff.delay(n) for n in range(1, 100)} == {0.0}


def test_jitter_spreads_the_delay_of_the_same_restart() -> None:
    backoff = Backoff(initial=1.0, jitter=0.2)
    rng = random.Random(7)
    delays = {backoff.delay(2, rng) for _ in range(20)}
    assert len(delays) > 1


@st.composite
def backoffs(draw: st.DrawFn) -> Backoff:
    initial = draw(st.floats(min_value=0.0, max_value=2.0))
    return Backoff(
        initial=initial,
        maximum=initial + draw(st.floats(min_value=0.0, max_value=10.0)),
        multiplier=draw(st.floats(min_value=1.0, max_value=4.0)),
        jitter=draw(st.floats(min_value=0.0, max_value=0.9)),
    )


@given(
    backoff=backoffs(),
    restarts=st.integers(min_value=2, max_value=5000),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_a_backoff_delay_lies_within_the_jitter_of_its_capped_exponential(
    backoff: Backoff, restarts: int, seed: int
) -> None:
    delay = backoff.delay(restarts, random.Random(seed))
    try:
        growth = backoff.multiplier ** (restarts - 2)
    except OverflowError:
        growth = math.inf
    base = min(backoff.maximum, backoff.initial * growth) if backoff.initial else 0.0
    jitter = backoff.jitter
    assert base * (1 - jitter) * (1 - 1e-9) <= delay <= base * (1 + jitter) * (1 + 1e-9)
    assert delay <= backoff.maximum * (1 + jitter)


def test_a_very_late_restart_waits_the_maximum_instead_of_overflowing() -> None:
    backoff = Backoff(initial=0.01, maximum=5.0, multiplier=2.0, jitter=0.0)
    assert backoff.delay(5000) == 5.0


@given(
    restarts=st.integers(min_value=2, max_value=30),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_backoff_delays_never_shrink_beyond_their_jitter(restarts: int, seed: int) -> None:
    backoff = Backoff(initial=0.01, maximum=5.0, multiplier=2.0, jitter=0.2)
    rng = random.Random(seed)
    earlier = backoff.delay(restarts, rng)
    later = backoff.delay(restarts + 1, rng)
    assert later >= earlier * (1 - 0.2) / (1 + 0.2)


@pytest.mark.parametrize(
    "settings",
    [
        {"initial": -0.1},
        {"initial": 2.0, "maximum": 1.0},
        {"multiplier": 0.5},
        {"jitter": 1.0},
        {"jitter": -0.1},
    ],
)
def test_a_backoff_out_of_range_is_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(**settings)


@pytest.mark.parametrize("settings", [{"max_restarts": -1}, {"within": 0.0}])
def test_a_policy_out_of_range_is_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="supervision needs"):
        SupervisorPolicy(**settings)  # type: ignore[arg-type]


def test_the_default_policy_is_one_for_one_three_restarts_in_five_seconds() -> None:
    policy = SupervisorPolicy()
    assert (policy.strategy, policy.max_restarts, policy.within) == (Strategy.ONE_FOR_ONE, 3, 5.0)
    assert policy.backoff == Backoff()


def test_a_child_is_permanent_unless_told_otherwise() -> None:
    spec = ChildSpec(factory=object, name="worker")  # type: ignore[arg-type]
    assert spec.restart is RestartType.PERMANENT


@pytest.mark.parametrize("settings", [{"shutdown_timeout": -1.0}, {"throughput": 0}])
def test_a_child_spec_out_of_range_is_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be >="):
        ChildSpec(factory=object, name="worker", **settings)  # type: ignore[arg-type]
