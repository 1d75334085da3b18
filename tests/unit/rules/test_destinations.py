"""Where a person is taken: the nearest fitting place found with the latitude pre-check, and every shipped city
giving every need a place at every hour."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.settings import DATA_DIR
from geo.city import load_city
from geo.distance import haversine_m
from rules.desk.destinations import _nearest, destination
from rules.policy import load_policy

POLICY = load_policy(DATA_DIR / "policy.toml")
CITIES = sorted(p for p in (DATA_DIR / "cities").iterdir() if (p / "city.json").is_file())
MINORS_CENTRE = "未成年人救助保护中心"  # the minors' rescue and protection centre, by its name


def test_nearest_is_the_minimum_of_every_distance() -> None:
    points = list(load_city(DATA_DIR / "cities" / "harbin").help_points)
    rng = random.Random(3)
    for _ in range(2000):
        lat, lon = rng.uniform(45.6, 45.9), rng.uniform(126.4, 126.9)
        subset = rng.sample(points, rng.randint(1, len(points)))
        best = min(subset, key=lambda p: (haversine_m(lat, lon, p.lat, p.lon), p.id))
        assert _nearest(lat, lon, subset) == (best, haversine_m(lat, lon, best.lat, best.lon))


@pytest.mark.parametrize("folder", CITIES, ids=lambda p: p.name)
def test_every_city_has_a_place_for_every_need_at_every_hour(folder: Path) -> None:
    """Qiqihar's hospitals lacked `emergency`: a medical task there had no destination, while Harbin's went to its
    nearest emergency department. Every destination rule of the policy finds an open place in every city, from its
    corners and centre, every half hour of a night and a day."""
    city = load_city(folder)
    box = city.bbox
    spots = [box.center, *((lat, lon) for lat in (box.lat_min, box.lat_max) for lon in (box.lon_min, box.lon_max))]
    start = datetime(2026, 12, 20, 12, 0, tzinfo=city.timezone)
    assert len(CITIES) >= 2 and POLICY.dispatching.destinations
    for step in range(48):
        at = start + timedelta(minutes=30 * step)
        for category, rule in POLICY.dispatching.destinations.items():
            for lat, lon in spots:
                found = destination(category, (), lat, lon, at, city.help_points, POLICY, city.timezone)
                assert found is not None, (city.name, category, at.time())
                if rule.emergency:
                    assert next(p for p in city.help_points if p.id == found[0].id).emergency


@pytest.mark.parametrize("folder", CITIES, ids=lambda p: p.name)
def test_a_citys_minors_centre_serves_minors_and_every_minor_goes_there(folder: Path) -> None:
    """Qiqihar's minors' centre lacked `serves: ["minors"]`: a child went to the nearest rescue station (the general
    one, or the centre only when it happened to be nearer), as if the city had no centre. The places named as a
    minors' centre are those serving minors, and a minor from anywhere in the city is taken to one of them."""
    city = load_city(folder)
    named = {p.id for p in city.help_points if MINORS_CENTRE in p.name}
    serving = {p.id for p in city.help_points if "minors" in p.serves}
    assert named == serving, (city.name, named, serving)
    box = city.bbox
    at = datetime(2026, 12, 20, 23, 0, tzinfo=city.timezone)
    for category, rule in POLICY.dispatching.destinations.items():
        if rule.serves != "minors" or not serving:
            continue
        for lat, lon in (box.center, (box.lat_min, box.lon_min), (box.lat_max, box.lon_max)):
            found = destination(category, (rule.serves_flag or "",), lat, lon, at, city.help_points, POLICY, city.timezone)
            assert found is not None and found[0].id in serving and found[1] == "destination:minors", (city.name, category, found)


@pytest.mark.parametrize("folder", CITIES, ids=lambda p: p.name)
def test_an_adult_is_never_taken_to_the_minors_centre_even_standing_at_its_door(folder: Path) -> None:
    """A place serving a group takes that group only: a disabled adult found at the minors' centre's door was taken
    there, as the nearest rescue station. From the centre's own position, every category that may end at a rescue
    station sends an adult to another place, and a minor (basic_support names no group) may still go there."""
    city = load_city(folder)
    centres = [p for p in city.help_points if "minors" in p.serves]
    assert centres, city.name
    at = datetime(2026, 12, 20, 23, 0, tzinfo=city.timezone)
    for centre in centres:
        for category, rule in POLICY.dispatching.destinations.items():
            if centre.kind not in rule.kinds:
                continue
            adult = destination(category, ("disabled",), centre.lat, centre.lon, at, city.help_points, POLICY, city.timezone)
            assert adult is not None and adult[0].id not in {c.id for c in centres}, (city.name, category, adult)
            minor = destination(category, ("minor",), centre.lat, centre.lon, at, city.help_points, POLICY, city.timezone)
            assert minor is not None and minor[0].id == centre.id, (city.name, category, minor)
