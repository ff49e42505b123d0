"""A log-linear latency histogram: four buckets per power of two (at most 19 % off)."""

from __future__ import annotations

__all__ = ["Histogram"]

# Bucket index of a value v >= 4 is 4 * (bits(v) - 2) + the two bits after v's top bit;
# values 0..3 are their own buckets. 2**40 ns (18 minutes) needs 160 buckets.
_BUCKETS = 160


def bucket_of(value: int) -> int:
    """The bucket index of a non-negative integer."""
    bits = value.bit_length()
    if bits <= 2:
        return value
    index = ((bits - 2) << 2) | ((value >> (bits - 3)) & 3)
    return min(index, _BUCKETS - 1)


def bucket_upper(index: int) -> int:
    """The largest value that falls in bucket ``index``."""
    if index < 4:
        return index
    bits = (index >> 2) + 2
    top = 4 | (index & 3)
    return ((top + 1) << (bits - 3)) - 1


def bucket_lower(index: int) -> int:
    """The smallest value that falls in bucket ``index``."""
    if index < 4:
        return index
    bits = (index >> 2) + 2
    return (4 | (index & 3)) << (bits - 3)


class Histogram:
    """Counts of integer samples (nanoseconds here) in log-linear buckets.

    The bucket list is allocated on the first sample, so an idle actor pays
    for none. `record` is on the hot path of every handled message
    (guarded by `benchmarks/runtime.py`, case ``counters``).
    """

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: list[int] | None = None

    def record(self, value: int) -> None:
        counts = self.counts
        if counts is None:
            counts = self.counts = [0] * _BUCKETS
        bits = value.bit_length()
        if bits > 2:
            value = ((bits - 2) << 2) | ((value >> (bits - 3)) & 3)
            if value >= _BUCKETS:
                value = _BUCKETS - 1
        counts[value] += 1

    @property
    def count(self) -> int:
        """Samples recorded."""
        return 0 if self.counts is None else sum(self.counts)

    def quantile(self, q: float) -> int | None:
        """An estimate of the ``q`` quantile (0..1): the midpoint of its bucket; None if empty."""
        counts = self.counts
        total = self.count
        if counts is None or total == 0:
            return None
        rank = max(1, round(q * total))
        seen = 0
        for index, n in enumerate(counts):
            seen += n
            if seen >= rank:
                return (bucket_lower(index) + bucket_upper(index)) // 2
        return bucket_upper(_BUCKETS - 1)

    def buckets(self) -> list[tuple[int, int]]:
        """Cumulative ``(upper bound, count)`` pairs for non-empty buckets, for Prometheus."""
        counts = self.counts
        if counts is None:
            return []
        out: list[tuple[int, int]] = []
        seen = 0
        for index, n in enumerate(counts):
            if n:
                seen += n
                out.append((bucket_upper(index), seen))
        return out
