"""The latitude pre-check never contradicts `haversine_m`."""

from __future__ import annotations

import random

from geo.distance import haversine_m, surely_farther


def test_surely_farther_only_when_haversine_says_so() -> None:
    rng = random.Random(7)
    for _ in range(20_000):
        lat1, lon1 = rng.uniform(45.0, 48.0), rng.uniform(123.0, 127.5)
        lat2, lon2 = lat1 + rng.uniform(-0.02, 0.02), lon1 + rng.uniform(-0.02, 0.02)
        distance = haversine_m(lat1, lon1, lat2, lon2)
        assert not surely_farther(lat1, lat2, distance)  # a point is never "surely farther" than it is
        reach = rng.uniform(0.0, 3000.0)
        if surely_farther(lat1, lat2, reach):
            assert distance > reach


def test_surely_farther_on_one_meridian() -> None:
    # Along a meridian the bound is the distance itself: within the slack, never beyond it.
    assert not surely_farther(45.0, 45.01, haversine_m(45.0, 126.0, 45.01, 126.0))
    assert surely_farther(45.0, 45.01, haversine_m(45.0, 126.0, 45.01, 126.0) - 0.01)
