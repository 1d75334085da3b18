"""What the desk says: dispatch events for consoles and files, tasks for team phones."""

from __future__ import annotations

from datetime import datetime

from core.records import DispatchEvent, HelpPointRef, TeamTask
from geo.zones import CityIndex
from rules.desk.model import Incident
from rules.policy import Policy

HELP_POINT_CACHE = 4096  # positions whose nearest help point is remembered


class HelpPoints:
    """The nearest help point, remembered per position (city layers never change)."""

    def __init__(self, index: CityIndex, kinds: tuple[str, ...]) -> None:
        self.index, self.kinds = index, kinds
        self.cache: dict[tuple[float, float], HelpPointRef | None] = {}

    def near(self, lat: float, lon: float) -> HelpPointRef | None:
        where = (lat, lon)
        if where in self.cache:
            return self.cache[where]
        found = self.index.nearest_help_point(lat, lon, self.kinds)
        ref = None
        if found is not None:
            point, distance = found
            ref = HelpPointRef(id=point.id, name=point.name, distance_m=round(distance, 1), kind=point.kind)
        if len(self.cache) >= HELP_POINT_CACHE:
            self.cache.clear()
        self.cache[where] = ref
        return ref


def dispatch_event(incident: Incident, event_id: str, kind: str, at: datetime, *, reason: str, policy: Policy,
                   help_point: HelpPointRef | None, escalate_to: str | None) -> DispatchEvent:
    """The incident as it stands, as one event of `kind`."""
    per_source = policy.per_source_confidence
    return DispatchEvent(
        event_id=event_id,
        kind=kind,
        incident_id=incident.incident_id,
        revision=incident.revision,
        priority=incident.priority,
        category=incident.category,
        rules=tuple(incident.rules),
        zone_id=incident.zone_id,
        key_area=incident.key_area,
        lat=round(incident.lat, 6),
        lon=round(incident.lon, 6),
        sources=tuple(incident.reports),
        team_id=incident.team_id,
        ack_deadline=incident.ack_deadline if incident.status == "assigned" else None,
        nearest_help_point=help_point,
        notify=tuple(incident.notify),
        at=at,
        district=incident.district,
        flags=tuple(incident.flags),
        channels=tuple(sorted(set(incident.channels))),
        confidence=round(1 - (1 - per_source) ** incident.independent_sources, 3),
        escalation_level=incident.escalation_level,
        escalate_to=escalate_to,
        reason=reason,
        first_report_at=incident.first_at,
        status=incident.status,
        action=incident.action,
        text=incident.text,
        persons=incident.persons,
    )


def team_task(incident: Incident, team_id: str, kind: str, at: datetime, event_id: str, help_point: HelpPointRef | None) -> TeamTask:
    """A task (assign or cancel) as the team's phone shows it."""
    return TeamTask(
        event_id=event_id,
        team_id=team_id,
        kind=kind,
        incident_id=incident.incident_id,
        priority=incident.priority,
        category=incident.category,
        lat=incident.lat,
        lon=incident.lon,
        ack_deadline=incident.ack_deadline,
        nearest_help_point=help_point,
        notify=tuple(incident.notify),
        flags=tuple(incident.flags),
        summary=incident.action,
        at=at,
    )
