"""The nearest fitting place, found with the latitude pre-check, is the one a full scan finds."""

from __future__ import annotations

import random

from core.settings import DATA_DIR
from geo.city import load_city
from geo.distance import haversine_m
from rules.desk.destinations import _nearest


def test_nearest_is_the_minimum_of_every_distance() -> None:
    points = list(load_city(DATA_DIR / "cities" / "harbin").help_points)
    rng = random.Random(3)
    for _ in range(2000):
        lat, lon = rng.uniform(45.6, 45.9), rng.uniform(126.4, 126.9)
        subset = rng.sample(points, rng.randint(1, len(points)))
        best = min(subset, key=lambda p: (haversine_m(lat, lon, p.lat, p.lon), p.id))
        assert _nearest(lat, lon, subset) == (best, haversine_m(lat, lon, best.lat, best.lon))
