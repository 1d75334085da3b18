"""Where a point is: service area, district, patrol zone, nearest help point.

Built once per city (`CityIndex(city)`) and queried for every report, so the
geometries are projected to metres on a local plane centred on the service
area (error well under 0.5 % at city scale) and held in shapely STRtrees.
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
HELP_TREES = 16  # sets of help point kinds whose tree is kept


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
        self._zone_tree = shapely.STRtree(self._zone_geoms)

        # Help points by kind then id; one tree per set of kinds asked for (built on first use), so
        # a query never scans other kinds and asks one tree, not one per kind.
        self._help_points = sorted(city.help_points, key=lambda p: (p.kind, p.id))
        self._help_trees: dict[frozenset[str] | None, tuple[list[HelpPoint], shapely.STRtree | None]] = {}

    # ------------------------------------------------------------------ queries

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Metres east and north of the service area's centre."""
        return self.projection.to_xy(lat, lon)

    def in_service_area(self, lat: float, lon: float) -> bool:
        return self.city.bbox.contains(lat, lon)

    def locate(self, lat: float, lon: float) -> Location:
        """District and zone of a point; the smallest containing zone wins."""
        pts = self._points(lat, lon)
        zone_hits = self._zone_tree.query(pts, predicate="intersects")[1]
        zone_id = key_area = None
        if len(zone_hits):
            best = min((int(i) for i in zone_hits), key=lambda i: (self._zone_areas[i], self._zones[i].id))
            zone_id, key_area = self._zones[best].id, self._zones[best].key_area
        return Location(district=self._district_at(pts), zone_id=zone_id, key_area=key_area)

    def nearest_help_point(
        self, lat: float, lon: float, kinds: Collection[str] | None = None
    ) -> tuple[HelpPoint, float] | None:
        """The nearest help point of the given kinds (all if None) and its distance in metres."""
        points, tree = self._help_tree(kinds)
        if tree is None:
            return None
        index, dist = tree.query_nearest(self._points(lat, lon), return_distance=True, all_matches=True)
        best: tuple[float, str, HelpPoint] | None = None
        for i, d in zip(index[1], dist, strict=True):
            p = points[int(i)]
            if best is None or (float(d), p.id) < best[:2]:
                best = (float(d), p.id, p)
        assert best is not None
        point = best[2]
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

    def _help_tree(self, kinds: Collection[str] | None) -> tuple[list[HelpPoint], shapely.STRtree | None]:
        """The help points of these kinds (all if None) and their tree; None for no point."""
        key = None if kinds is None else frozenset(kinds)
        found = self._help_trees.get(key)
        if found is None:
            points = [p for p in self._help_points if key is None or p.kind in key]
            tree = shapely.STRtree([self._point(p.lat, p.lon) for p in points]) if points else None
            if len(self._help_trees) >= HELP_TREES:  # callers ask for the policy's few sets of kinds
                self._help_trees.clear()
            found = self._help_trees[key] = (points, tree)
        return found

    def _project(self, coords: np.ndarray) -> np.ndarray:
        """(lon, lat) rows to (x, y) metres, for `shapely.transform`."""
        projected: np.ndarray = (coords - self._origin) * self._scale
        return projected

    def _point(self, lat: float, lon: float) -> Point:
        point: Point = shapely.points(self.to_xy(lat, lon))  # the same point as `Point(x, y)`, without its checks
        return point

    def _points(self, lat: float, lon: float) -> np.ndarray:
        """The point as a one-point array: the STRtree queries of every report take arrays as they are (a single
        geometry costs them a reshape each); their indices come back as [input, tree] rows."""
        points: np.ndarray = shapely.points([self.to_xy(lat, lon)])
        return points

    def _district_at(self, pts: np.ndarray) -> str | None:
        hits: Sequence[int] = [int(i) for i in self._district_tree.query(pts, predicate="intersects")[1]]
        if hits:
            return min(self._districts[i].id for i in hits)
        index, dist = self._district_tree.query_nearest(
            pts, max_distance=DISTRICT_SNAP_M, return_distance=True, all_matches=True
        )
        if len(dist) == 0:
            return None
        return min((float(d), self._districts[int(i)].id) for i, d in zip(index[1], dist, strict=True))[1]
