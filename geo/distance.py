"""Metric distances at city scale without a projection library.

A local tangent plane around a reference point is accurate to well under
0.5 % across a city (tens of km); haversine serves point-to-point distances.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
# The length of a degree of latitude, and how much looser than that `surely_farther` is: rounding
# in `haversine_m` at city scale is some 1e-9 m, so a millimetre of slack keeps the test exact.
_METRES_PER_DEGREE_LAT = math.radians(1.0) * EARTH_RADIUS_M
_SLACK_M = 0.001


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def surely_farther(lat1: float, lat2: float, metres: float) -> bool:
    """Whether `haversine_m` puts points at these latitudes more than `metres` apart, whatever their longitudes.

    The cheap test before the trigonometry: no path between two points is
    shorter than the meridian arc between their latitudes. False says nothing.
    """
    return abs(lat1 - lat2) * _METRES_PER_DEGREE_LAT - _SLACK_M > metres


class LocalProjection:
    """Equirectangular projection around (lat0, lon0): metres east/north."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0 = lat0
        self.lon0 = lon0
        self._kx = math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
        self._ky = math.radians(1.0) * EARTH_RADIUS_M

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        return ((lon - self.lon0) * self._kx, (lat - self.lat0) * self._ky)

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        return (self.lat0 + y / self._ky, self.lon0 + x / self._kx)


def offset_latlon(lat: float, lon: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point `east_m`/`north_m` metres from (lat, lon) on a local plane."""
    return LocalProjection(lat, lon).to_latlon(east_m, north_m)
