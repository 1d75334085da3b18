"""Where a team takes the person: a place that fits the need and is open at that hour."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from core.records import HelpPointRef
from geo.city import HelpPoint
from geo.distance import haversine_m, surely_farther
from rules.policy import Policy


def destination(category: str, flags: Iterable[str], lat: float, lon: float, at: datetime, points: Iterable[HelpPoint],
                policy: Policy, tz: ZoneInfo) -> tuple[HelpPointRef, str] | None:
    """The nearest fitting place open now and the rule that chose it; None if the category names none."""
    rule = policy.dispatching.destinations.get(category)
    if rule is None:
        return None
    local = at.astimezone(tz).time()
    groups = person_groups(flags, policy)
    # a place that serves a group (the minors' centre) takes that group only: an adult goes to the rescue station
    fitting = [p for p in points if p.kind in rule.kinds and p.open_at(local) and (p.emergency or not rule.emergency)
               and (not p.serves or groups.intersection(p.serves))]
    name = f"destination:{category}"
    if rule.serves and rule.serves in groups:
        serving = [p for p in fitting if rule.serves in p.serves]
        if serving:
            fitting, name = serving, f"destination:{rule.serves}"
    if not fitting:
        return None
    best, distance = _nearest(lat, lon, fitting)
    ref = HelpPointRef(id=best.id, name=best.name, distance_m=round(distance, 1), kind=best.kind)
    return ref, name


def person_groups(flags: Iterable[str], policy: Policy) -> set[str]:
    """The groups places serve that the person belongs to: each destination rule's `serves`, when the person has its flag."""
    have = set(flags)
    return {r.serves for r in policy.dispatching.destinations.values() if r.serves and r.serves_flag in have}


def _nearest(lat: float, lon: float, points: list[HelpPoint]) -> tuple[HelpPoint, float]:
    """The point nearest by `haversine_m` (ties by id) and its distance; `points` is not empty.

    A point whose latitude alone puts it farther than the best so far cannot
    win, so most points skip the trigonometry.
    """
    best: tuple[float, str, HelpPoint] | None = None
    for point in points:
        if best is not None and surely_farther(lat, point.lat, best[0]):
            continue
        distance = haversine_m(lat, lon, point.lat, point.lon)
        if best is None or (distance, point.id) < best[:2]:
            best = (distance, point.id, point)
    assert best is not None
    return best[2], best[0]
