"""Tonight's proactive sweep list (主动排查) from the last nights' incidents and the files (pure).

Incidents of the last `nights` report days are grouped into places (greedy,
within `radius_m` of a place's first incident, in time order); a place is
ranked by how many of those nights people were found there, how many known
people use it, how vulnerable they were (policy flag weights) and tonight's
cold-wave level. Each entry gives the hours people were found there (local
time), the files likely there, and what helps them.

History alone misses a regular's place on the nights before anyone was found
there, so the city's own gathering places (key areas: stations, underpasses,
bridges, parks, markets, heating vents, construction sites; `gathering_places`)
join the list where no past incident lies: weighted by kind (policy), by how
often last nights' people were found at places of that kind, and by tonight's
level; with the default weights they rank below every place where a known
person was found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from geo.city import KEY_AREAS, City
from geo.distance import haversine_m
from geo.zones import CityIndex
from ledger.policy import LedgerPolicy


@dataclass(frozen=True)
class Seen:
    """One incident of a past night: where, when, who (linked files) and how vulnerable."""

    incident_id: str
    lat: float
    lon: float
    at: datetime
    night: date
    district: str
    flags: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    centre: str = ""  # the dispatch centre whose desk held it; "" when written before events named it


@dataclass(frozen=True)
class Gathering:
    """A place the city knows people gather (a key area), whether or not anyone was found there yet."""

    name: str
    kind: str
    lat: float
    lon: float
    district: str


def gathering_places(city: City, radius_m: float) -> list[Gathering]:
    """The city's gathering places: gazetteer places in (or of the kind of) a key area, then key-area zones without one."""
    index = CityIndex(city)
    out: list[Gathering] = []

    def add(name: str, kind: str, lat: float, lon: float) -> None:
        if all(haversine_m(lat, lon, g.lat, g.lon) > radius_m for g in out):
            out.append(Gathering(name, kind, round(lat, 6), round(lon, 6), index.locate(lat, lon).district or ""))

    for place in sorted(city.places, key=lambda p: p.name):
        kind = index.locate(place.lat, place.lon).key_area or (place.kind if place.kind in KEY_AREAS else None)
        if kind is not None:
            add(place.name, kind, place.lat, place.lon)
    for zone in sorted(city.zones, key=lambda z: z.id):
        if zone.key_area is not None:
            point = zone.polygon.representative_point()
            add(zone.name, zone.key_area, point.y, point.x)
    return out


@dataclass(frozen=True)
class SweepStop:
    rank: int
    lat: float
    lon: float
    district: str
    hours: str
    nights_seen: int
    incidents: int
    persons: tuple[str, ...]
    risk: float
    reasons: tuple[str, ...]
    place: str = ""  # a gathering place's kind and name ("station: 哈尔滨站"); empty for a place known from incidents

    def to_dict(self) -> dict[str, Any]:
        return {
            "place": self.place,
            "rank": self.rank, "lat": self.lat, "lon": self.lon, "district": self.district, "hours": self.hours,
            "nights_seen": self.nights_seen, "incidents": self.incidents, "persons": list(self.persons),
            "risk": self.risk, "reasons": list(self.reasons),
        }  # fmt: skip


def hour_span(hours: Iterable[int]) -> str:
    """The shortest run of clock hours (across midnight) holding every hour: "22:00-02:00"."""
    present = sorted(set(hours))
    if not present:
        return ""
    if len(present) == 1:
        return f"{present[0]:02d}:00-{(present[0] + 1) % 24:02d}:00"
    gaps = [((present[(i + 1) % len(present)] - h) % 24, i) for i, h in enumerate(present)]
    _, widest = max(gaps)
    first, last = present[(widest + 1) % len(present)], present[widest]
    return f"{first:02d}:00-{(last + 1) % 24:02d}:00"


def sweep_list(
    seen: Sequence[Seen], tonight_level: str, policy: LedgerPolicy, tz: ZoneInfo, gathering: Sequence[Gathering] = ()
) -> list[SweepStop]:
    """Places to sweep tonight, highest risk first (at most the policy's `top`); `gathering` fills in unseen key areas."""
    places: list[list[Seen]] = []
    for item in sorted(seen, key=lambda s: (s.at, s.incident_id)):
        home = next((p for p in places if haversine_m(p[0].lat, p[0].lon, item.lat, item.lon) <= policy.sweep_radius_m), None)
        if home is None:
            places.append([item])
        else:
            home.append(item)
    level = policy.level_factor(tonight_level)
    stops = []
    for group in places:
        nights = len({s.night for s in group})
        persons = tuple(sorted({p for s in group for p in s.persons}))
        flags = Counter(f for s in group for f in s.flags)
        vulnerability = policy.flag_factor(tuple(flags))
        risk = round((nights / policy.sweep_nights + 0.25 * len(persons) + 0.05 * len(group)) * vulnerability * level, 3)
        reasons = [f"people found here on {nights} of the last {policy.sweep_nights} nights", f"tonight's cold wave: {tonight_level}"]
        if persons:
            reasons.append(f"{len(persons)} known person(s)")
        if flags:
            reasons.append("flags: " + ", ".join(f"{f}×{n}" for f, n in sorted(flags.items())))
        stops.append(
            SweepStop(
                rank=0,
                lat=round(sum(s.lat for s in group) / len(group), 6),
                lon=round(sum(s.lon for s in group) / len(group), 6),
                district=Counter(s.district for s in group).most_common(1)[0][0],
                hours=hour_span(s.at.astimezone(tz).hour for s in group),
                nights_seen=nights,
                incidents=len(group),
                persons=persons,
                risk=risk,
                reasons=tuple(reasons),
            )
        )
    stops += _unseen_gathering(places, gathering, tonight_level, policy, tz)
    stops.sort(key=lambda s: (-s.risk, -s.nights_seen, s.lat, s.lon))
    return [SweepStop(**{**s.__dict__, "rank": n + 1}) for n, s in enumerate(stops[: policy.sweep_top])]


def _unseen_gathering(
    places: list[list[Seen]], gathering: Sequence[Gathering], tonight_level: str, policy: LedgerPolicy, tz: ZoneInfo
) -> list[SweepStop]:
    """Stops for the gathering places no past incident lies near, ranked by kind, last nights' kinds and the level.

    A kind where people were found on the last nights weighs more (found at
    two stations: every station counts); the hours are those people were
    found anywhere on the last nights.
    """
    seen = [s for group in places for s in group]
    used = {g for g in gathering if any(haversine_m(g.lat, g.lon, s.lat, s.lon) <= policy.sweep_radius_m for s in seen)}
    found_kinds = Counter(g.kind for g in used)
    hours = hour_span(s.at.astimezone(tz).hour for s in seen)
    level = policy.level_factor(tonight_level)
    out = []
    for g in (g for g in gathering if g not in used and policy.gathering_factor(g.kind) > 0):
        kind_weight = policy.gathering_factor(g.kind)
        risk = round(kind_weight * (1 + 0.5 * min(found_kinds[g.kind], 2)) * level, 3)
        reasons = [f"a gathering place ({g.kind}: {g.name}), nobody found here on the last {policy.sweep_nights} nights", f"tonight's cold wave: {tonight_level}"]
        if found_kinds[g.kind]:
            reasons.append(f"people found at {found_kinds[g.kind]} other {g.kind} place(s)")
        out.append(SweepStop(0, g.lat, g.lon, g.district, hours, 0, 0, (), risk, tuple(reasons), place=f"{g.kind}: {g.name}"))
    return out


def owner(named: str | None, lat: float, lon: float, locate: Callable[[float, float], str | None]) -> str | None:
    """The centre an incident of the ledger is one of: the centre its desk named; one written before events named it, where it was."""
    return named or locate(lat, lon)


def of_centre(centre: str, locate: Callable[[float, float], str | None]) -> Callable[[Seen], bool]:
    """Whether a past incident is one centre's (`owner`)."""
    return lambda seen: owner(seen.centre, seen.lat, seen.lon, locate) == centre


def coverage(stops: Sequence[SweepStop], found: Iterable[tuple[float, float]], radius_m: float) -> float | None:
    """Share of the places where people were found (next night) that the sweep list covered."""
    points = list(found)
    if not points:
        return None
    hit = sum(1 for lat, lon in points if any(haversine_m(lat, lon, s.lat, s.lon) <= radius_m for s in stops))
    return hit / len(points)
