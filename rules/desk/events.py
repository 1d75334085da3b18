"""What the desk says: dispatch events for consoles and files, tasks for team phones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.records import DispatchEvent, HelpPointRef, TeamTask, from_iso
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


def dispatch_event(incident: Incident, event_id: str, kind: str, at: datetime, *, centre: str, reason: str, policy: Policy,
                   help_point: HelpPointRef | None, escalate_to: str | None, decisions: tuple[str, ...] = (),
                   unit: dict[str, Any] | None = None) -> DispatchEvent:
    """The incident as it stands, as one event of `kind`; `decisions` names the desk's rules that shaped it.

    `centre` is the dispatch centre whose desk holds the incident (consumers
    route by it, never by the position, which may have moved across a
    border). `unit` is the support assignment a `support` event is about (its
    team, deadline and ETA); otherwise the event speaks of the lead unit.
    """
    per_source = policy.per_source_confidence
    destination = HelpPointRef(**incident.destination) if incident.destination else None
    return DispatchEvent(
        event_id=event_id,
        kind=kind,
        incident_id=incident.incident_id,
        revision=incident.revision,
        priority=incident.priority,
        category=incident.category,
        rules=(*incident.rules, *decisions),
        zone_id=incident.zone_id,
        key_area=incident.key_area,
        lat=round(incident.lat, 6),
        lon=round(incident.lon, 6),
        sources=tuple(incident.reports),
        contact_sources=tuple(incident.contact_reports),
        team_id=incident.team_id,
        ack_deadline=(from_iso(unit["ack_deadline"]) if unit["ack_deadline"] else None) if unit
        else incident.ack_deadline if incident.status == "assigned" else None,
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
        outcome=incident.outcome if kind in ("resolved", "referral") else None,
        resolved_at=incident.resolved_at if kind == "referral" else None,
        first_report_at=incident.first_at,
        status=incident.status,
        action=incident.action,
        text=incident.text,
        persons=incident.persons,
        eta_min=unit["eta_min"] if unit else incident.eta_min,
        candidates=tuple({"team_id": t, "eta_min": e} for t, e in incident.candidates) if not unit else (),
        unit_role="support" if unit else ("lead" if incident.team_id else None),
        unit_team_id=unit["team_id"] if unit else incident.team_id,
        assignments=tuple(incident.assignments()),
        destination=destination,
        merged_into=incident.merged_into,
        escalation_cause=incident.escalation_cause if kind == "escalation" else None,
        queued_since=incident.queued_at if incident.status == "queued" else None,
        centre=centre,
    )


def team_task(incident: Incident, team_id: str, kind: str, at: datetime, event_id: str, help_point: HelpPointRef | None,
              *, centre: str, unit: dict[str, Any] | None = None, reason: str | None = None) -> TeamTask:
    """A task (assign, cancel or report) as the team's phone shows it, of the desk of `centre`."""
    return TeamTask(
        event_id=event_id,
        team_id=team_id,
        kind=kind,
        incident_id=incident.incident_id,
        priority=incident.priority,
        category=incident.category,
        lat=incident.lat,
        lon=incident.lon,
        ack_deadline=(from_iso(unit["ack_deadline"]) if unit["ack_deadline"] else None) if unit else incident.ack_deadline,
        nearest_help_point=help_point,
        notify=tuple(incident.notify),
        flags=tuple(incident.flags),
        summary=incident.action if not unit else f"support ({', '.join(unit['needs'])}): {incident.action}",
        at=at,
        destination=HelpPointRef(**incident.destination) if incident.destination else None,
        eta_min=unit["eta_min"] if unit else incident.eta_min,
        unit_role="support" if unit else "lead",
        reason=reason,
        centre=centre,
    )
