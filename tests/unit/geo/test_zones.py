"""Spatial queries: service area, district, zone, nearest help point, distances."""

from __future__ import annotations

import itertools
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import Point, box

from core.settings import PROJECT_ROOT
from geo.city import BBox, City, District, HelpPoint, Zone, load_city
from geo.distance import haversine_m, offset_latlon
from geo.zones import CityIndex, Location

HARBIN = PROJECT_ROOT / "data" / "cities" / "harbin"


@pytest.fixture(scope="module")
def index() -> CityIndex:
    return CityIndex(load_city(HARBIN))


def test_service_area(index: CityIndex) -> None:
    assert index.in_service_area(45.76, 126.63)
    assert index.in_service_area(45.70, 126.55) and index.in_service_area(45.82, 126.72)
    assert not index.in_service_area(45.69, 126.63)
    assert not index.in_service_area(45.76, 126.73)
    assert not index.in_service_area(126.63, 45.76)


def test_locate_landmarks(index: CityIndex) -> None:
    # the station underpass lies inside the station square: the smaller wins
    assert index.locate(45.7598, 126.6335) == Location("nangang", "ng-station-underpass", "underpass")
    assert index.locate(45.7615, 126.6300) == Location("nangang", "ng-station-square", "station")
    assert index.locate(45.7812, 126.6100) == Location("daoli", "dl-stalin-park", "park")
    assert index.locate(45.7860, 126.6770) == Location("daowai", "dw-highway-bridge", "bridge")
    assert index.locate(45.7730, 126.6170) == Location("daoli", "dl-downtown", None)
    assert index.locate(45.7200, 126.7000) == Location("xiangfang", "xf-south", None)


def test_point_in_no_zone_still_has_a_district(index: CityIndex) -> None:
    assert index.locate(45.8100, 126.7000) == Location("songbei", None, None)


def test_smallest_containing_zone_wins_everywhere(index: CityIndex) -> None:
    areas = {z.id: z.polygon.area for z in index.city.zones}
    polygons = {z.id: z.polygon for z in index.city.zones}
    for zone in index.city.zones:
        p = zone.polygon.representative_point()
        found = index.locate(p.y, p.x)
        assert found.zone_id is not None
        assert polygons[found.zone_id].covers(p)
        assert areas[found.zone_id] <= areas[zone.id]
        containing = [zid for zid, poly in polygons.items() if poly.covers(p)]
        assert found.zone_id == min(containing, key=lambda zid: (areas[zid], zid))


def test_district_by_containment_on_a_grid(index: CityIndex) -> None:
    polys = {d.id: d.polygon for d in index.city.districts}
    for lat, lon in itertools.product([45.705, 45.73, 45.755, 45.775, 45.80], [126.56, 126.61, 126.64, 126.69, 126.715]):
        inside = sorted(d for d, poly in polys.items() if poly.covers(Point(lon, lat)))
        assert index.locate(lat, lon).district == inside[0]


def _gap_city() -> City:
    """Two districts 100 m apart (a digitising gap), nothing else."""
    west = box(126.60, 45.70, 126.65, 45.80)
    gap = 100 / haversine_m(45.75, 126.65, 45.75, 126.66) * 0.01
    east = box(126.65 + gap, 45.70, 126.72, 45.80)
    return City(
        name="gap",
        timezone=ZoneInfo("Asia/Shanghai"),
        bbox=BBox(45.60, 45.90, 126.50, 126.80),
        districts=(District("west", "西", "West", west), District("east", "东", "East", east)),
        zones=(Zone("z", "区", "Zone", "west", None, box(126.61, 45.71, 126.62, 45.72)),),
        help_points=(),
        teams=(),
        places=(),
    )


def test_border_gap_falls_back_to_nearest_district_within_200_m() -> None:
    index = CityIndex(_gap_city())
    lat, lon = offset_latlon(45.75, 126.65, 30, 0)  # 30 m east of west, 70 m from east
    assert index.locate(lat, lon).district == "west"
    lat, lon = offset_latlon(45.75, 126.65, 80, 0)
    assert index.locate(lat, lon).district == "east"
    lat, lon = offset_latlon(45.75, 126.60, -150, 0)  # 150 m outside the west edge
    assert index.locate(lat, lon).district == "west"
    lat, lon = offset_latlon(45.75, 126.60, -250, 0)  # too far: no district
    assert index.locate(lat, lon) == Location(None, None, None)
    assert index.nearest_help_point(45.75, 126.62) is None


def test_nearest_help_point_matches_brute_force(index: CityIndex) -> None:
    points = index.city.help_points
    for lat, lon in itertools.product([45.71, 45.74, 45.765, 45.78, 45.81], [126.56, 126.60, 126.63, 126.66, 126.71]):
        for kinds in (None, ["hospital"], ["rescue_station", "warm_up_site"]):
            found = index.nearest_help_point(lat, lon, kinds)
            assert found is not None
            point, distance = found
            allowed = [p for p in points if kinds is None or p.kind in kinds]
            best = min(haversine_m(lat, lon, p.lat, p.lon) for p in allowed)
            assert point.kind in (kinds or [point.kind])
            assert distance == pytest.approx(haversine_m(lat, lon, point.lat, point.lon))
            assert distance <= best * 1.005  # planar search, error < 0.5 %


def test_nearest_help_point_close_by(index: CityIndex) -> None:
    found = index.nearest_help_point(45.7610, 126.6310)
    assert found is not None and found[0].id == "hp-warm-station"
    assert 150 < found[1] < 250
    hospital = index.nearest_help_point(45.7530, 126.6490, ["hospital"])
    assert hospital is not None and hospital[0].id == "hp-hmu1" and hospital[1] < 1.0
    assert index.nearest_help_point(45.76, 126.63, []) is None
    assert index.nearest_help_point(45.76, 126.63, ["no_such_kind"]) is None


def test_nearest_help_point_ties_break_by_id() -> None:
    city = _gap_city()
    twins = (
        HelpPoint("b", "乙", "B", "help_point", "west", 45.75, 126.62, True),
        HelpPoint("a", "甲", "A", "help_point", "west", 45.75, 126.62, True),
    )
    index = CityIndex(City(**{**city.__dict__, "help_points": twins}))
    found = index.nearest_help_point(45.76, 126.62)
    assert found is not None and found[0].id == "a"


def test_projected_distances_within_half_a_percent(index: CityIndex) -> None:
    corners = list(itertools.product([45.70, 45.76, 45.82], [126.55, 126.635, 126.72]))
    for (lat1, lon1), (lat2, lon2) in itertools.combinations(corners, 2):
        truth = haversine_m(lat1, lon1, lat2, lon2)
        assert index.distance_m(lat1, lon1, lat2, lon2) == pytest.approx(truth, rel=0.005)


def test_districts_near(index: CityIndex) -> None:
    # the point where Daoli, Nangang and Daowai meet
    assert sorted(index.districts_near(45.765, 126.632, 50)) == ["daoli", "daowai", "nangang"]
    assert index.districts_near(45.72, 126.69, 100) == ["xiangfang"]
    lat, lon = offset_latlon(45.75, 126.665, 60, 0)  # 60 m into Xiangfang
    assert index.districts_near(lat, lon, 100) == ["xiangfang", "nangang"]
    assert index.districts_near(lat, lon, 40) == ["xiangfang"]
