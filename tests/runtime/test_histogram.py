"""The log-linear latency histogram: bucket bounds, quantile error, cumulative buckets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runtime._histogram import Histogram, bucket_lower, bucket_of, bucket_upper

BUCKETS = 160
LARGEST = bucket_upper(BUCKETS - 1)
"""The largest value the histogram holds in a bucket of its own size; 2**41 - 1 ns is 36 min."""

QUANTILE_ERROR = 0.19
"""The documented bound on how far a quantile estimate is from the true sample."""

values = st.integers(min_value=0, max_value=LARGEST)


@given(values)
def test_a_value_lies_within_the_bounds_of_its_bucket(value: int) -> None:
    index = bucket_of(value)
    assert 0 <= index < BUCKETS
    assert bucket_lower(index) <= value <= bucket_upper(index)


@given(values, values)
def test_bucket_of_is_monotone(value: int, other: int) -> None:
    low, high = sorted((value, other))
    assert bucket_of(low) <= bucket_of(high)


def test_the_buckets_cover_every_value_without_gaps_or_overlaps() -> None:
    assert bucket_lower(0) == 0
    for index in range(BUCKETS - 1):
        assert bucket_lower(index) <= bucket_upper(index)
        assert bucket_lower(index + 1) == bucket_upper(index) + 1


def test_small_values_have_buckets_of_their_own() -> None:
    for value in range(8):
        assert bucket_lower(bucket_of(value)) == value == bucket_upper(bucket_of(value))


@given(st.integers(min_value=4, max_value=BUCKETS - 1))
def test_a_bucket_is_at_most_a_quarter_of_its_lower_bound_wide(index: int) -> None:
    assert bucket_upper(index) - bucket_lower(index) + 1 <= bucket_lower(index) / 4


@given(st.integers(min_value=LARGEST + 1, max_value=2**64))
def test_a_value_beyond_the_last_bucket_falls_into_it(value: int) -> None:
    assert bucket_of(value) == BUCKETS - 1


@given(st.lists(values, min_size=1))
def test_record_counts_each_value_in_its_bucket(samples: list[int]) -> None:
    histogram = Histogram()
    for value in samples:
        histogram.record(value)
    assert histogram.counts is not None
    for index, count in enumerate(histogram.counts):
        assert count == sum(1 for value in samples if bucket_of(value) == index)
    assert histogram.count == len(samples)


@given(st.lists(values, min_size=1, max_size=200), st.floats(min_value=0.0, max_value=1.0))
def test_a_quantile_is_within_the_documented_error_of_the_nearest_rank_sample(
    samples: list[int], q: float
) -> None:
    histogram = Histogram()
    for value in samples:
        histogram.record(value)
    rank = max(1, round(q * len(samples)))
    true = sorted(samples)[rank - 1]
    estimate = histogram.quantile(q)
    assert estimate is not None
    assert abs(estimate - true) <= QUANTILE_ERROR * true


def test_an_empty_histogram_has_no_quantiles_and_no_buckets() -> None:
    histogram = Histogram()
    assert histogram.quantile(0.5) is None
    assert histogram.buckets() == []
    assert histogram.counts is None


def test_the_median_and_the_tail_are_told_apart() -> None:
    histogram = Histogram()
    for _ in range(99):
        histogram.record(1_000)
    histogram.record(1_000_000)
    median, tail = histogram.quantile(0.5), histogram.quantile(1.0)
    assert median is not None
    assert tail is not None
    assert abs(median - 1_000) <= QUANTILE_ERROR * 1_000
    assert abs(tail - 1_000_000) <= QUANTILE_ERROR * 1_000_000


def test_buckets_are_cumulative_upper_bounds_of_the_non_empty_ones() -> None:
    histogram = Histogram()
    for value in (1, 1, 100, 5_000):
        histogram.record(value)
    assert histogram.buckets() == [
        (bucket_upper(bucket_of(1)), 2),
        (bucket_upper(bucket_of(100)), 3),
        (bucket_upper(bucket_of(5_000)), 4),
    ]
