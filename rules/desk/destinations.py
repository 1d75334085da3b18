"""Where a team takes the person: a place that fits the need and is open at that hour."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from core.records import HelpPointRef
from geo.city import HelpPoint
from geo.distance import haversine_m
from rules.policy import Policy


def destination(category: str, flags: Iterable[str], lat: float, lon: float, at: datetime, points: Iterable[HelpPoint],
                policy: Policy, tz: ZoneInfo) -> tuple[HelpPointRef, str] | None:
    """The nearest fitting place open now and the rule that chose it; None if the category names none."""
    rule = policy.dispatching.destinations.get(category)
    if rule is None:
        return None
    local = at.astimezone(tz).time()
    fitting = [p for p in points if p.kind in rule.kinds and p.open_at(local) and (p.emergency or not rule.emergency)]
    name = f"destination:{category}"
    if rule.serves and rule.serves_flag in set(flags):
        serving = [p for p in fitting if rule.serves in p.serves]
        if serving:
            fitting, name = serving, f"destination:{rule.serves}"
    if not fitting:
        return None
    best = min(fitting, key=lambda p: (haversine_m(lat, lon, p.lat, p.lon), p.id))
    ref = HelpPointRef(id=best.id, name=best.name, distance_m=round(haversine_m(lat, lon, best.lat, best.lon), 1), kind=best.kind)
    return ref, name
