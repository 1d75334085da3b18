"""The second demo city (Qiqihar): loads, is consistent, and keeps clear of Harbin."""

from __future__ import annotations

import pytest
from shapely.geometry import box
from shapely.ops import unary_union

from core.errors import RecordError
from core.settings import DATA_DIR
from geo.city import City, load_city
from geo.gazetteer import Gazetteer
from geo.zones import CityIndex
from rules.context import load_context
from rules.intake import parse_tip, tip_report

QIQIHAR = DATA_DIR / "cities" / "qiqihar"


@pytest.fixture(scope="module")
def city() -> City:
    return load_city(QIQIHAR)


def test_loads_as_an_illustrative_city(city: City) -> None:
    assert city.illustrative and city.name.startswith("Qiqihar")
    assert {d.id for d in city.districts} == {"longsha", "jianhua", "tiefeng"}
    assert {z.key_area for z in city.zones if z.key_area} == {"underpass", "bridge", "station", "park", "market", "heating_vent", "construction"}
    assert {h.kind for h in city.help_points} == {"help_point", "warm_up_site", "rescue_station", "hospital"}
    assert {t.district for t in city.teams} == {d.id for d in city.districts}  # every district has a team
    assert any({"medical", "vehicle"} <= set(t.capabilities) for t in city.teams)


def test_districts_tile_the_service_area_and_hold_their_zones(city: City) -> None:
    b = city.bbox
    area = box(b.lon_min, b.lat_min, b.lon_max, b.lat_max)
    union = unary_union([d.polygon for d in city.districts])
    assert union.symmetric_difference(area).area < 1e-9
    index = CityIndex(city)
    for zone in city.zones:
        point = zone.polygon.representative_point()
        assert index.locate(point.y, point.x).district == zone.district, zone.id


def test_every_help_point_team_and_place_is_where_it_says(city: City) -> None:
    index = CityIndex(city)
    for item in (*city.help_points, *city.teams):
        assert index.locate(item.lat, item.lon).district == item.district
    for place in city.places:
        assert city.bbox.contains(place.lat, place.lon)


def test_gazetteer_resolves_its_own_places(city: City) -> None:
    gazetteer = Gazetteer(city.places)
    for address, expected in [
        ("齐齐哈尔站北出口附近", "齐齐哈尔站"),
        ("near Qiqihar South Station", "齐齐哈尔南站"),
        ("劳动湖公园东门", "劳动湖"),
        ("Bukui St", "卜奎大街"),
        ("哈尔滨站", None),  # Harbin's station is not in this city
    ]:
        place = gazetteer.resolve(address)
        assert (place.name if place else None) == expected, address


def test_demo_cities_do_not_overlap() -> None:
    """Routing a record to a city by position needs disjoint service areas."""
    harbin = load_city(DATA_DIR / "cities" / "harbin").bbox
    qiqihar = load_city(QIQIHAR).bbox
    assert harbin.lat_min > qiqihar.lat_max or qiqihar.lon_max < harbin.lon_min


def test_a_worker_of_one_city_refuses_the_other_citys_tips() -> None:
    """Until records are routed by centre, each worker keeps to its own service area."""
    ctx = load_context(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", QIQIHAR)
    base = {"tip_id": "q1", "channel": "hotline", "reported_at": "2026-12-20T22:00:00+08:00", "text": "老人躺在地上"}
    report = tip_report(parse_tip({**base, "address": "齐齐哈尔站"}, ctx), ctx)
    assert report.district == "tiefeng" and report.zone_id == "ts-station-square"
    with pytest.raises(RecordError) as refused:
        parse_tip({**base, "lat": 45.761, "lon": 126.631}, ctx)  # Harbin Railway Station
    assert refused.value.kind == "out_of_area"
