"""How long the desk remembers a closed incident: forgotten after the policy's retention, in event time.

A winter's desk would otherwise keep every incident it ever closed, with its
task ids and report ids: state and every tick's work grow without bound. A
closed incident (resolved with no follow-up due, or merged into another) is
forgotten once it has been closed for `closed_retention_h` and its last report
is older than `max_behind_h`: until then a late ack still finds its task and a
redelivered report is still recognised; after that a copy of one of its
reports is refused as stale, never opened as a new incident.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from rules.desk.model import Incident, Team
from rules.policy import Policy

CLOSED_STATES = ("resolved", "merged")


def closed_since(incident: Incident) -> datetime | None:
    """When a closed incident closed (None while it is open); state written before `closed_at` existed uses the
    resolution time, else its last report."""
    if incident.status not in CLOSED_STATES:
        return None
    return incident.closed_at or incident.resolved_at or incident.last_at


def expired(incidents: Iterable[Incident], teams: Iterable[Team], now: datetime, policy: Policy) -> list[Incident]:
    """The closed incidents to forget at `now`, in id order; never one a team's task still names."""
    keep = timedelta(hours=policy.closed_retention_h)
    stale = timedelta(hours=policy.max_behind_h)
    held = {team.incident_id for team in teams if team.incident_id is not None}
    out = []
    for incident in incidents:
        closed = closed_since(incident)
        if closed is None or incident.incident_id in held:
            continue
        if now - closed >= keep and now - incident.last_at > stale:
            out.append(incident)
    return sorted(out, key=lambda i: i.incident_id)
