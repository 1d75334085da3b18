"""Deadlines: acknowledgements that are overdue, follow-ups that are due, escalation targets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rules.desk.model import Incident
from rules.policy import Policy


def by_deadline(incidents: Iterable[Incident], now: datetime) -> list[Incident]:
    """Incidents in the order their deadlines fall (no deadline counts as now)."""
    return sorted(incidents, key=lambda i: (i.ack_deadline or now, i.incident_id))


def ack_overdue(incident: Incident, now: datetime) -> bool:
    """An assigned task nobody acknowledged by its deadline."""
    return incident.status == "assigned" and not incident.acked and incident.ack_deadline is not None and incident.ack_deadline <= now


def followup_due(incident: Incident, now: datetime) -> bool:
    return incident.status == "followup_due" and incident.followup_at is not None and incident.followup_at <= now


def wants_followup(category: str, outcome: str | None, policy: Policy) -> bool:
    """Whether a resolution schedules a follow-up visit."""
    return category == "supplies_followup" or (outcome or "") in policy.followup_outcomes


def escalation_target(level: int, policy: Policy) -> str | None:
    """Who hears of an escalation at this level (the last role stays for higher levels)."""
    if level <= 0:
        return None
    roles = policy.escalate_to
    return roles[min(level, len(roles)) - 1]
