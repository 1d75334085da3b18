"""Tonight's proactive sweep list (主动排查) from the last nights' incidents and the files (pure).

Incidents of the last `nights` report days are grouped into places (greedy,
within `radius_m` of a place's first incident, in time order); a place is
ranked by how many of those nights people were found there, how many known
people use it, how vulnerable they were (policy flag weights) and tonight's
cold-wave level. Each entry gives the hours people were found there (local
time), the files likely there, and what helps them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from geo.distance import haversine_m
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

    def to_dict(self) -> dict[str, Any]:
        return {
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


def sweep_list(seen: Sequence[Seen], tonight_level: str, policy: LedgerPolicy, tz: ZoneInfo) -> list[SweepStop]:
    """Places to sweep tonight, highest risk first (at most the policy's `top`)."""
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
    stops.sort(key=lambda s: (-s.risk, -s.nights_seen, s.lat, s.lon))
    return [SweepStop(**{**s.__dict__, "rank": n + 1}) for n, s in enumerate(stops[: policy.sweep_top])]


def coverage(stops: Sequence[SweepStop], found: Iterable[tuple[float, float]], radius_m: float) -> float | None:
    """Share of the places where people were found (next night) that the sweep list covered."""
    points = list(found)
    if not points:
        return None
    hit = sum(1 for lat, lon in points if any(haversine_m(lat, lon, s.lat, s.lon) <= radius_m for s in stops))
    return hit / len(points)
