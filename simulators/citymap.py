"""What the simulators need of a city, read through one small adapter.

The city loader (`geo.city.load_city`) owns the data model; the simulators
only need zones (with key areas), gazetteer places, teams, districts and a
time zone. Reading them here, by attribute, keeps the world generator
independent of how polygons are stored (shapely or coordinate lists).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from geo.distance import haversine_m


@dataclass(frozen=True)
class ZoneView:
    zone_id: str
    district: str
    key_area: str | None
    ring: tuple[tuple[float, float], ...]  # (lon, lat) exterior ring
    center: tuple[float, float]  # (lat, lon) a point inside the zone


@dataclass(frozen=True)
class PlaceView:
    name: str
    aliases: tuple[str, ...]
    lat: float
    lon: float


@dataclass(frozen=True)
class TeamView:
    team_id: str
    district: str
    capabilities: tuple[str, ...]
    lat: float
    lon: float
    name: str | None = None


def _ring(polygon: Any) -> tuple[tuple[float, float], ...]:
    """Exterior ring as (lon, lat) pairs, from shapely, GeoJSON-like dicts or coordinate lists."""
    if hasattr(polygon, "exterior"):
        return tuple((float(x), float(y)) for x, y in polygon.exterior.coords)
    if hasattr(polygon, "geoms"):
        biggest = max(polygon.geoms, key=lambda g: g.area)
        return tuple((float(x), float(y)) for x, y in biggest.exterior.coords)
    if isinstance(polygon, dict):
        coords = polygon.get("coordinates")
        if polygon.get("type") == "MultiPolygon" and isinstance(coords, list):
            coords = coords[0]
        polygon = coords
    ring: Any = polygon
    while isinstance(ring, list | tuple) and ring and isinstance(ring[0], list | tuple) and isinstance(ring[0][0], list | tuple):
        ring = ring[0]
    return tuple((float(p[0]), float(p[1])) for p in ring)


def _inside(lon: float, lat: float, ring: tuple[tuple[float, float], ...]) -> bool:
    """Even-odd rule, enough for the simple polygons of zones."""
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        if (y1 > lat) != (y2 > lat):
            x = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x:
                inside = not inside
    return inside


def _center(polygon: Any, ring: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    if hasattr(polygon, "representative_point"):
        p = polygon.representative_point()
        return (float(p.y), float(p.x))
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    lat, lon = sum(lats) / len(lats), sum(lons) / len(lons)
    return (lat, lon)


class CityMap:
    """Zones, places, teams and districts of a city, in stable (sorted) order."""

    def __init__(self, city: Any) -> None:
        self.city = city
        tz = getattr(city, "timezone", None)
        self.timezone: ZoneInfo = tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz or "Asia/Shanghai"))
        zones: list[ZoneView] = []
        for z in getattr(city, "zones", []) or []:
            polygon = getattr(z, "polygon", None)
            ring = _ring(polygon)
            zones.append(ZoneView(zone_id=str(z.id), district=str(z.district), key_area=getattr(z, "key_area", None) or None,
                                  ring=ring, center=_center(polygon, ring)))
        self.zones = sorted(zones, key=lambda z: z.zone_id)
        places = []
        for p in getattr(city, "places", []) or []:
            places.append(PlaceView(name=str(p.name), aliases=tuple(str(a) for a in (getattr(p, "aliases", ()) or ())),
                                    lat=float(p.lat), lon=float(p.lon)))
        self.places = sorted(places, key=lambda p: p.name)
        teams = []
        for t in getattr(city, "teams", []) or []:
            teams.append(TeamView(team_id=str(t.team_id), district=str(getattr(t, "district", "") or ""),
                                  capabilities=tuple(getattr(t, "capabilities", ()) or ()), lat=float(t.lat), lon=float(t.lon),
                                  name=getattr(t, "name", None)))
        self.teams = sorted(teams, key=lambda t: t.team_id)
        names = {z.district for z in self.zones} | {t.district for t in self.teams if t.district}
        raw_districts = getattr(city, "districts", None)
        if raw_districts:
            items = raw_districts.values() if isinstance(raw_districts, dict) else raw_districts
            for d in items:
                name = d if isinstance(d, str) else getattr(d, "id", None) or getattr(d, "name", None)
                if name:
                    names.add(str(name))
        self.districts = sorted(names)
        self._index: Any = None
        try:
            from geo.zones import CityIndex

            self._index = CityIndex(city)
        except Exception:  # the index is optional: fall back to the nearest zone
            self._index = None

    def key_zones(self, kinds: tuple[str, ...] = ()) -> list[ZoneView]:
        """Zones that are key areas (of the given kinds, in the order of `kinds`)."""
        if not kinds:
            return [z for z in self.zones if z.key_area]
        return [z for kind in kinds for z in self.zones if z.key_area == kind]

    def zone(self, zone_id: str) -> ZoneView | None:
        return next((z for z in self.zones if z.zone_id == zone_id), None)

    def random_point(self, zone: ZoneView, rng: np.random.Generator, max_from_center_m: float = 120.0) -> tuple[float, float]:
        """A point inside `zone`, near its centre (rejection sampling)."""
        lat0, lon0 = zone.center
        for _ in range(50):
            r = max_from_center_m * math.sqrt(float(rng.uniform()))
            a = float(rng.uniform(0, 2 * math.pi))
            lat = lat0 + r * math.cos(a) / 111_195.0
            lon = lon0 + r * math.sin(a) / (111_195.0 * math.cos(math.radians(lat0)))
            if not zone.ring or _inside(lon, lat, zone.ring):
                return (lat, lon)
        return (lat0, lon0)

    def locate(self, lat: float, lon: float) -> tuple[str, str | None, str | None]:
        """(district, zone_id, key_area) of a point."""
        if self._index is not None:
            try:
                loc = self._index.locate(lat, lon)
                if loc is not None:
                    district = getattr(loc, "district", None)
                    if district:
                        return (str(district), getattr(loc, "zone_id", None), getattr(loc, "key_area", None))
            except Exception:
                pass
        for z in self.zones:
            if z.ring and _inside(lon, lat, z.ring):
                return (z.district, z.zone_id, z.key_area)
        if self.zones:
            nearest = min(self.zones, key=lambda z: haversine_m(lat, lon, z.center[0], z.center[1]))
            return (nearest.district, None, None)
        return (self.districts[0] if self.districts else "", None, None)

    def nearest_place(self, lat: float, lon: float) -> tuple[PlaceView | None, float]:
        if not self.places:
            return (None, math.inf)
        best = min(self.places, key=lambda p: haversine_m(lat, lon, p.lat, p.lon))
        return (best, haversine_m(lat, lon, best.lat, best.lon))

    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon) of everything known."""
        lats = [p[1] for z in self.zones for p in z.ring] + [p.lat for p in self.places] + [t.lat for t in self.teams]
        lons = [p[0] for z in self.zones for p in z.ring] + [p.lon for p in self.places] + [t.lon for t in self.teams]
        return (min(lats), min(lons), max(lats), max(lons))
