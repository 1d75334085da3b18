"""Deadlines: acknowledgements overdue, queued tasks waiting too long, unit timers, follow-ups, escalation targets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from core.records import PRIORITIES
from rules.desk.model import Incident
from rules.policy import Policy


def by_deadline(incidents: Iterable[Incident], now: datetime) -> list[Incident]:
    """Incidents in the order their deadlines fall (no deadline counts as now)."""
    return sorted(incidents, key=lambda i: (i.ack_deadline or i.queue_deadline or now, i.incident_id))


def raised(before: str, after: str) -> bool:
    """Whether a priority went up (P3 -> P1)."""
    return after in PRIORITIES and before in PRIORITIES and PRIORITIES.index(after) < PRIORITIES.index(before)


def earlier(deadline: datetime | None, other: datetime) -> datetime:
    """The sooner of a deadline (if any) and another: a raised priority only ever brings a deadline forward."""
    return other if deadline is None or other < deadline else deadline


def ack_overdue(incident: Incident, now: datetime) -> bool:
    """An assigned task nobody acknowledged by its deadline."""
    return incident.status == "assigned" and not incident.acked and incident.ack_deadline is not None and incident.ack_deadline <= now


def due_by_next_tick(deadline: datetime, now: datetime, policy: Policy) -> bool:
    """Whether a deadline must be met on this tick: it has come, or the next tick (one clock step on) would pass it.

    The desk sees time only on clock ticks; waiting for the first tick after
    a deadline would let a task wait up to a whole step past it.
    """
    return deadline <= now or deadline < now + policy.clock_step


def queue_overdue(incident: Incident, now: datetime, policy: Policy) -> bool:
    """A queued task whose deadline falls by the next tick that can still go up the escalation chain (or remind its top).

    Escalated on the last tick at or before its deadline, so nobody queued
    waits past it unseen (an assigned team keeps its whole time to acknowledge).
    """
    if not (policy.dispatching.queue_escalates and incident.status == "queued" and incident.queue_deadline is not None
            and due_by_next_tick(incident.queue_deadline, now, policy)):
        return False
    return incident.escalation_level < len(policy.escalate_to) or policy.dispatching.queue_reminds_top


def unit_timer(incident: Incident, now: datetime, policy: Policy) -> str | None:
    """`en_route` (accepted, not on scene) past ETA + margin from the assignment, or `on_scene` past the limit
    without an outcome; once per task (an unacknowledged task has its ack deadline instead)."""""
    t = policy.dispatching.timers
    if incident.status == "accepted" and incident.assigned_at is not None and incident.eta_min is not None:
        due = incident.assigned_at + timedelta(minutes=incident.eta_min + t.en_route_margin_min)
        if due <= now and f"{incident.task_event_id}:en_route" not in incident.warned:
            return "en_route"
    if incident.status == "on_scene" and incident.on_scene_at is not None:
        due = incident.on_scene_at + timedelta(minutes=t.on_scene_max_min)
        if due <= now and f"{incident.task_event_id}:on_scene" not in incident.warned:
            return "on_scene"
    return None


def support_overdue(incident: Incident, now: datetime) -> list[dict[str, object]]:
    """Support units assigned and not acknowledged by their deadline."""
    return [s for s in incident.supports if s["status"] == "assigned" and s["ack_deadline"] is not None
            and datetime.fromisoformat(str(s["ack_deadline"])) <= now]


def followup_due(incident: Incident, now: datetime) -> bool:
    return incident.status == "followup_due" and incident.followup_at is not None and incident.followup_at <= now


def wants_followup(outcome: str | None, policy: Policy) -> bool:
    """A follow-up visit only after outcomes that leave the person outside."""
    return (outcome or "") in policy.followup_outcomes


def escalation_target(level: int, policy: Policy) -> str | None:
    """Who hears of an escalation at this level (the last role stays for higher levels)."""
    if level <= 0:
        return None
    roles = policy.escalate_to
    return roles[min(level, len(roles)) - 1]
