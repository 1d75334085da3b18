"""Where a point is: service area, district, patrol zone, nearest help point.

Built once per city (`CityIndex(city)`) and queried for every report, so the
geometries are projected to metres on a local plane centred on the service
area (error well under 0.5 % at city scale) and held in prepared shapely arrays (a point tested by its coordinates) and STRtrees.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point

from geo.city import City, HelpPoint
from geo.distance import LocalProjection, haversine_m

# A point in a gap between district polygons (digitising slivers along a
# border) still belongs to the nearest district up to this far away.
DISTRICT_SNAP_M = 200.0
HELP_SETS = 16  # sets of help point kinds kept (their points and coordinates)


@dataclass(frozen=True)
class Location:
    """Where a point falls; any part may be None (outside every polygon)."""

    district: str | None
    zone_id: str | None
    key_area: str | None


class CityIndex:
    """Spatial queries over one city, all distances in metres."""

    def __init__(self, city: City) -> None:
        self.city = city
        lat0, lon0 = city.bbox.center
        self.projection = LocalProjection(lat0, lon0)
        kx, _ = self.projection.to_xy(lat0, lon0 + 1.0)
        _, ky = self.projection.to_xy(lat0 + 1.0, lon0)
        self._scale = np.array([kx, ky])
        self._origin = np.array([lon0, lat0])
        project = self._project

        self._districts = city.districts
        self._district_geoms = [shapely.transform(d.polygon, project) for d in self._districts]
        self._district_tree = shapely.STRtree(self._district_geoms)

        self._zones = city.zones
        self._zone_geoms = [shapely.transform(z.polygon, project) for z in self._zones]
        self._zone_areas = [g.area for g in self._zone_geoms]
        # The same polygons as prepared arrays: a report's point is tested against them by its coordinates in one call
        # (`intersects_xy`), without the point object and the tree query's own overhead (most of `locate`'s time).
        self._district_array = _prepared(self._district_geoms)
        self._zone_array = _prepared(self._zone_geoms)

        # Help points by kind then id; one tree per set of kinds asked for (built on first use), so
        # a query never scans other kinds and asks one tree, not one per kind.
        self._help_points = sorted(city.help_points, key=lambda p: (p.kind, p.id))
        self._help_sets: dict[frozenset[str] | None, tuple[list[HelpPoint], np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------------ queries

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Metres east and north of the service area's centre."""
        return self.projection.to_xy(lat, lon)

    def in_service_area(self, lat: float, lon: float) -> bool:
        return self.city.bbox.contains(lat, lon)

    def locate(self, lat: float, lon: float) -> Location:
        """District and zone of a point; the smallest containing zone wins."""
        x, y = self.to_xy(lat, lon)
        zone_hits = shapely.intersects_xy(self._zone_array, x, y).nonzero()[0].tolist()
        zone_id = key_area = None
        if zone_hits:
            best = min(zone_hits, key=lambda i: (self._zone_areas[i], self._zones[i].id))
            zone_id, key_area = self._zones[best].id, self._zones[best].key_area
        return Location(district=self._district_at(x, y), zone_id=zone_id, key_area=key_area)

    def nearest_help_point(
        self, lat: float, lon: float, kinds: Collection[str] | None = None
    ) -> tuple[HelpPoint, float] | None:
        """The nearest help point of the given kinds (all if None) and its distance in metres; ties go to the first id.

        Planar distances on the city's projection, as GEOS measures two points (the square root of dx² + dy²; numpy's
        element-wise steps round alike), over every point of the kinds at once: a city's help points are a few dozen,
        and a tree query cost more in its own overhead than this whole scan.
        """
        points, xs, ys = self._help_set(kinds)
        if not points:
            return None
        x, y = self.to_xy(lat, lon)
        dx, dy = xs - x, ys - y
        dist = np.sqrt(dx * dx + dy * dy)
        point = min((points[i] for i in np.flatnonzero(dist == dist.min()).tolist()), key=lambda p: p.id)
        return point, haversine_m(lat, lon, point.lat, point.lon)

    def districts_near(self, lat: float, lon: float, radius_m: float) -> list[str]:
        """Districts within `radius_m` of a point, nearest first (ties by id)."""
        pt = self._point(lat, lon)
        hits = self._district_tree.query(pt, predicate="dwithin", distance=radius_m)
        ranked = sorted((self._district_geoms[int(i)].distance(pt), self._districts[int(i)].id) for i in hits)
        return [ident for _, ident in ranked]

    def distance_m(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        """Planar distance on the city's projection (matches the indexes' metric)."""
        x1, y1 = self.to_xy(lat1, lon1)
        x2, y2 = self.to_xy(lat2, lon2)
        return float(np.hypot(x2 - x1, y2 - y1))

    # ------------------------------------------------------------------ helpers

    def _help_set(self, kinds: Collection[str] | None) -> tuple[list[HelpPoint], np.ndarray, np.ndarray]:
        """The help points of these kinds (all if None) and their projected x and y."""
        key = None if kinds is None else frozenset(kinds)
        found = self._help_sets.get(key)
        if found is None:
            points = [p for p in self._help_points if key is None or p.kind in key]
            xy = np.array([self.to_xy(p.lat, p.lon) for p in points], dtype=float).reshape(-1, 2)
            if len(self._help_sets) >= HELP_SETS:  # callers ask for the policy's few sets of kinds
                self._help_sets.clear()
            found = self._help_sets[key] = (points, xy[:, 0].copy(), xy[:, 1].copy())
        return found

    def _project(self, coords: np.ndarray) -> np.ndarray:
        """(lon, lat) rows to (x, y) metres, for `shapely.transform`."""
        projected: np.ndarray = (coords - self._origin) * self._scale
        return projected

    def _point(self, lat: float, lon: float) -> Point:
        point: Point = shapely.points(self.to_xy(lat, lon))  # the same point as `Point(x, y)`, without its checks
        return point

    def _district_at(self, x: float, y: float) -> str | None:
        hits: Sequence[int] = shapely.intersects_xy(self._district_array, x, y).nonzero()[0].tolist()
        if hits:
            return min(self._districts[i].id for i in hits)
        index, dist = self._district_tree.query_nearest(
            shapely.points([(x, y)]), max_distance=DISTRICT_SNAP_M, return_distance=True, all_matches=True
        )
        if len(dist) == 0:
            return None
        return min((float(d), self._districts[int(i)].id) for i, d in zip(index[1], dist, strict=True))[1]


def _prepared(geoms: list[shapely.Geometry]) -> np.ndarray:
    """The geometries as one array, prepared for repeated point tests."""
    array = np.array(geoms, dtype=object)
    shapely.prepare(array)
    return array
