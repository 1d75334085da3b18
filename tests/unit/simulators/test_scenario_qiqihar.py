"""The Qiqihar drill scenario parses and builds a night in the second demo city."""

from __future__ import annotations

from core.settings import DATA_DIR
from geo.city import load_city
from geo.zones import CityIndex
from simulators.scenario import load_scenario
from simulators.world import DrillWorld


def test_its_drill_scenario_builds_a_night_in_the_city() -> None:
    city = load_city(DATA_DIR / "cities" / "qiqihar")
    scenario = load_scenario("qiqihar")
    assert scenario.name == "qiqihar"
    world = DrillWorld(scenario, city, seed=3)
    items = world.inputs_until(world.end)
    assert len(world.persons) == 10
    index = CityIndex(city)
    for person in world.persons:
        for _, lat, lon in person.track:
            assert index.in_service_area(lat, lon)
        assert person.district in {d.id for d in city.districts}
    assert {item.topic for item in items} >= {"tips", "weather"}
