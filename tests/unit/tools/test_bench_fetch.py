"""The fetch pricing bench measures something that grows with the partitions fetched."""

from __future__ import annotations

from tools.bench_fetch import fetch_cost_us


def test_more_partitions_cost_more_to_encode_and_decode() -> None:
    small = sum(fetch_cost_us(1, number=200, repeat=3))
    large = sum(fetch_cost_us(40, number=200, repeat=3))
    assert 0 < small < large
