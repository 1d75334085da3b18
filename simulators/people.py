"""The persons out in the cold tonight: who, where, when, and how they move.

Each person is ground truth: the kind of need (profile -> category), the
modifier flags (elderly, intoxicated), where they are over time, whether
they lie still. Persons are placed where people gather: gazetteer places
(stations, markets, bridges) and key-area zones; `thermal_only` persons sit
where a camera will see them, since nobody reports them.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from geo.distance import offset_latlon
from simulators.citymap import CityMap, PlaceView, ZoneView
from simulators.scenario import PROFILES, PopulationSpec

WALK_KMH = 3.0


@dataclass
class Person:
    person_id: str
    profile: str
    category: str
    flags: tuple[str, ...]  # every true flag, category flags and modifiers alike
    appears_at: datetime
    lying: bool
    district: str
    zone_id: str | None
    key_area: str | None
    place: PlaceView | None
    # (at, lat, lon): position from `at` on; between two waypoints the person walks.
    track: list[tuple[datetime, float, float]] = field(default_factory=list)
    camera_site: str | None = None  # the camera (site id) that can see this person
    gone_at: datetime | None = None  # taken away by a team
    outcome: str | None = None

    def position(self, at: datetime) -> tuple[float, float]:
        """Where the person is at `at` (the first point before appearing)."""
        if at <= self.track[0][0]:
            return (self.track[0][1], self.track[0][2])
        for (t0, la0, lo0), (t1, la1, lo1) in zip(self.track, self.track[1:], strict=False):
            if t0 <= at < t1:
                if la0 == la1 and lo0 == lo1:
                    return (la0, lo0)
                f = (at - t0) / (t1 - t0)
                return (la0 + (la1 - la0) * f, lo0 + (lo1 - lo0) * f)
        return (self.track[-1][1], self.track[-1][2])

    @property
    def sex(self) -> str:
        """A fixed sex per person, from its id (draws nothing from the night's random stream); agrees with the tips' wording."""
        return "female" if zlib.crc32(self.person_id.encode("utf-8")) % 3 == 1 else "male"

    def present(self, at: datetime) -> bool:
        return self.appears_at <= at and (self.gone_at is None or at < self.gone_at)


def _spot(cm: CityMap, rng: np.random.Generator, at_place: bool, zones: list[ZoneView]) -> tuple[float, float, PlaceView | None]:
    if at_place and cm.places:
        place = cm.places[int(rng.integers(len(cm.places)))]
        east, north = rng.normal(0.0, 25.0, size=2)
        lat, lon = offset_latlon(place.lat, place.lon, float(east), float(north))
        return (lat, lon, place)
    zone = zones[int(rng.integers(len(zones)))]
    lat, lon = cm.random_point(zone, rng, max_from_center_m=100.0)
    return (lat, lon, None)


def generate_population(spec: PopulationSpec, cm: CityMap, start: datetime, end: datetime, seed: int,
                        rng: np.random.Generator, camera_sites: list[tuple[str, float, float, float]]) -> list[Person]:
    """Draw every person of the scenario, deterministically from `rng`.

    `camera_sites` are (site_id, lat, lon, radius_m) ground areas a camera
    sees; thermal-only persons are put inside one of them.
    """
    zones = cm.key_zones() or cm.zones
    persons: list[Person] = []
    span_h = min(spec.appear_until_h, (end - start).total_seconds() / 3600.0 - 1.0)
    n = 0
    for profile, count in spec.counts.items():
        category_flags, category = PROFILES[profile]
        for _ in range(count):
            n += 1
            flags = list(category_flags)
            if rng.uniform() < spec.elderly_share and profile != "minor":
                flags.append("elderly")
            if rng.uniform() < spec.intoxicated_share and profile != "minor":
                flags.append("intoxicated")
            lying = bool(rng.uniform() < spec.lying_share) or profile == "unresponsive"
            # One draw either way, so a scenario without a rush draws exactly as before.
            rush = spec.rush_share > 0 and zlib.crc32(f"rush-{seed}-{n}".encode()) / 2**32 < spec.rush_share
            appears = start + timedelta(minutes=float(rng.uniform(0.0, min(span_h, spec.rush_h) * 60.0 if rush else span_h * 60.0)))
            site: str | None = None
            place: PlaceView | None = None
            if profile == "thermal_only" and camera_sites:
                site, slat, slon, radius = camera_sites[int(rng.integers(len(camera_sites)))]
                r = radius * 0.6 * math.sqrt(float(rng.uniform()))
                a = float(rng.uniform(0, 2 * math.pi))
                lat, lon = offset_latlon(slat, slon, r * math.sin(a), r * math.cos(a))
            else:
                lat, lon, place = _spot(cm, rng, bool(rng.uniform() < spec.at_place_share), zones)
            district, zone_id, key_area = cm.locate(lat, lon)
            track = [(appears, round(lat, 6), round(lon, 6))]
            moves = profile != "thermal_only" and not lying and rng.uniform() < spec.moving_share
            if moves:
                leave = appears + timedelta(minutes=float(rng.uniform(30.0, 150.0)))
                dist = float(rng.uniform(*spec.move_m))
                bearing = float(rng.uniform(0, 2 * math.pi))
                lat2, lon2 = offset_latlon(lat, lon, dist * math.sin(bearing), dist * math.cos(bearing))
                arrive = leave + timedelta(hours=dist / 1000.0 / WALK_KMH)
                track += [(leave, round(lat, 6), round(lon, 6)), (arrive, round(lat2, 6), round(lon2, 6))]
            persons.append(Person(
                person_id=f"person-{seed}-{n:03d}", profile=profile, category=category,
                flags=tuple(flags), appears_at=appears, lying=lying, district=district, zone_id=zone_id,
                key_area=key_area, place=place, track=track, camera_site=site,
            ))
    persons.sort(key=lambda p: (p.appears_at, p.person_id))
    return persons
