"""GCJ-02 / BD-09 against published reference points of the standard transform."""

from __future__ import annotations

import math

import pytest

from geo.chinacoords import gcj02_to_bd09, out_of_china, wgs84_to_bd09, wgs84_to_gcj02
from geo.distance import haversine_m

# (WGS-84 lat, lon) -> (GCJ-02 lat, lon): the test vectors of googollee/eviltransform.
EVILTRANSFORM = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]
# wandergis/coordtransform's README example: (116.404, 39.915) as lon, lat.
COORDTRANSFORM_WGS_TO_GCJ = ((39.915, 116.404), (39.91640428150164, 116.41024449916938))
COORDTRANSFORM_GCJ_TO_BD = ((39.915, 116.404), (39.92133699351021, 116.41036949371029))
COORDTRANSFORM_WGS_TO_BD = ((39.915, 116.404), (39.922699552216216, 116.41662724378733))


@pytest.mark.parametrize(("wgs", "gcj"), [*EVILTRANSFORM, COORDTRANSFORM_WGS_TO_GCJ])
def test_wgs84_to_gcj02_matches_reference(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    got = wgs84_to_gcj02(*wgs)
    assert got == pytest.approx(gcj, abs=1e-9)
    # the known offset is hundreds of metres: what a WGS-84 pin would be off by in Amap
    assert 100 < haversine_m(*wgs, *gcj) < 1000


def test_gcj02_to_bd09_and_wgs84_to_bd09_match_reference() -> None:
    assert gcj02_to_bd09(*COORDTRANSFORM_GCJ_TO_BD[0]) == pytest.approx(COORDTRANSFORM_GCJ_TO_BD[1], abs=1e-9)
    assert wgs84_to_bd09(*COORDTRANSFORM_WGS_TO_BD[0]) == pytest.approx(COORDTRANSFORM_WGS_TO_BD[1], abs=1e-9)


def test_harbin_offset_is_a_few_hundred_metres_east_and_south_of_nothing() -> None:
    lat, lon = 45.7735, 126.6165  # Zhongyang Street
    glat, glon = wgs84_to_gcj02(lat, lon)
    blat, blon = wgs84_to_bd09(lat, lon)
    assert 200 < haversine_m(lat, lon, glat, glon) < 900
    assert 500 < haversine_m(lat, lon, blat, blon) < 2000
    assert glon > lon and blat > glat  # GCJ shifts east here; BD-09 adds ~0.006 deg north


@pytest.mark.parametrize("point", [(51.5074, -0.1278), (48.8566, 2.3522), (40.7128, -74.006), (-33.86, 151.21), (60.0, 100.0)])
def test_no_offset_outside_china(point: tuple[float, float]) -> None:
    assert out_of_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert wgs84_to_bd09(*point) == point


def test_offsets_are_finite_over_the_whole_box() -> None:
    for lat in range(1, 56, 5):
        for lon in range(73, 137, 7):
            glat, glon = wgs84_to_gcj02(float(lat), float(lon))
            assert math.isfinite(glat) and math.isfinite(glon)
            assert haversine_m(lat, lon, glat, glon) < 1500
