"""Deadlines: acknowledgements overdue, queued tasks waiting too long, unit timers, follow-ups, escalation targets."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from core.records import PRIORITIES, from_iso
from rules.desk.model import Incident
from rules.policy import Policy


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


def escalating_queue_deadline(incident: Incident, policy: Policy) -> datetime | None:
    """The deadline of a queued task that can still go up the escalation chain (or remind its top)."""
    if not (policy.dispatching.queue_escalates and incident.status == "queued" and incident.queue_deadline is not None):
        return None
    if incident.escalation_level < len(policy.escalate_to) or policy.dispatching.queue_reminds_top:
        return incident.queue_deadline
    return None


def queue_overdue(incident: Incident, now: datetime, policy: Policy) -> bool:
    """A queued task whose deadline falls by the next tick that can still go up the escalation chain (or remind its top).

    Escalated on the last tick at or before its deadline, so nobody queued
    waits past it unseen (an assigned team keeps its whole time to acknowledge).
    """
    deadline = escalating_queue_deadline(incident, policy)
    return deadline is not None and due_by_next_tick(deadline, now, policy)


def next_unit_timer(incident: Incident, policy: Policy) -> tuple[str, datetime] | None:
    """The unit timer the lead task may still fire, and when: `en_route` (accepted, not on scene) at ETA + margin
    from the acceptance (a team on its way since then; from the assignment for state written before acceptances
    were kept), or `on_scene` at the limit without an outcome; once per task."""
    t = policy.dispatching.timers
    en_route_since = incident.accepted_at or incident.assigned_at
    if incident.status == "accepted" and en_route_since is not None and incident.eta_min is not None:
        timer, due = "en_route", en_route_since + timedelta(minutes=incident.eta_min + t.en_route_margin_min)
    elif incident.status == "on_scene" and incident.on_scene_at is not None:
        timer, due = "on_scene", incident.on_scene_at + timedelta(minutes=t.on_scene_max_min)
    else:
        return None
    return None if f"{incident.task_event_id}:{timer}" in incident.warned else (timer, due)


def unit_timer(incident: Incident, now: datetime, policy: Policy) -> str | None:
    """The unit timer past due (an unacknowledged task has its ack deadline instead)."""
    found = next_unit_timer(incident, policy)
    return found[0] if found is not None and found[1] <= now else None


def support_unit_timers(incident: Incident, policy: Policy) -> list[tuple[dict[str, Any], str, datetime]]:
    """The unit timers support units may still fire, as the lead's (`next_unit_timer`): `en_route` at their own ETA +
    margin from their acceptance (from their assignment for state written before support acceptances were kept),
    `on_scene` at the limit while the incident has no outcome; once per unit task."""
    t = policy.dispatching.timers
    found: list[tuple[dict[str, Any], str, datetime]] = []
    for unit in incident.supports:
        since = unit.get("accepted_at") or unit.get("assigned_at")
        if unit["status"] == "accepted" and since is not None and unit.get("eta_min") is not None:
            timer, due = "en_route", from_iso(str(since)) + timedelta(minutes=float(unit["eta_min"]) + t.en_route_margin_min)
        elif unit["status"] == "on_scene" and unit.get("on_scene_at") is not None:
            timer, due = "on_scene", from_iso(str(unit["on_scene_at"])) + timedelta(minutes=t.on_scene_max_min)
        else:
            continue
        if f"{unit['event_id']}:{timer}" not in incident.warned:
            found.append((unit, timer, due))
    return found


def support_timers_due(incident: Incident, now: datetime, policy: Policy) -> list[tuple[dict[str, Any], str]]:
    """Support units whose unit timer is past due, with the timer."""
    return [(unit, timer) for unit, timer, due in support_unit_timers(incident, policy) if due <= now]


def support_deadlines(incident: Incident) -> list[tuple[dict[str, object], datetime]]:
    """Support units assigned and not yet acknowledged, with their deadlines."""
    return [(s, from_iso(str(s["ack_deadline"]))) for s in incident.supports
            if s["status"] == "assigned" and s["ack_deadline"] is not None]


def support_overdue(incident: Incident, now: datetime) -> list[dict[str, object]]:
    """Support units assigned and not acknowledged by their deadline."""
    return [unit for unit, due in support_deadlines(incident) if due <= now]


def followup_due(incident: Incident, now: datetime) -> bool:
    return incident.status == "followup_due" and incident.followup_at is not None and incident.followup_at <= now


def next_due(incident: Incident, policy: Policy) -> datetime | None:
    """The earliest event time at which a tick may find one of the incident's timers due (None: none can come due).

    Never later than the first tick that fires one (a queued task counts a
    clock step early, as `due_by_next_tick` escalates it), so a tick can pass
    over every incident whose time has not come.
    """
    times = [due for _, due in support_deadlines(incident)]
    if incident.status == "assigned" and not incident.acked and incident.ack_deadline is not None:
        times.append(incident.ack_deadline)
    if (queued := escalating_queue_deadline(incident, policy)) is not None:
        times.append(queued - policy.clock_step)
    if incident.status == "followup_due" and incident.followup_at is not None:
        times.append(incident.followup_at)
    if (unit := next_unit_timer(incident, policy)) is not None:
        times.append(unit[1])
    times += [due for _, _, due in support_unit_timers(incident, policy)]
    return min(times, default=None)


class Wakes:
    """When each incident's timers may next come due: a tick looks at the incidents whose time has come instead of
    at every timer of every incident.

    Derived state (rebuilt from the incidents on load): the desk marks every
    incident it changes, and a tick first refreshes the marked ones.
    """

    def __init__(self) -> None:
        self.due: dict[str, datetime] = {}  # incident_id -> next_due, for incidents that have one
        self.order: dict[str, datetime | None] = {}  # incident_id -> the deadline that places it in a tick's order
        self.changed: set[str] = set()

    def mark(self, incident_id: str) -> None:
        self.changed.add(incident_id)

    def refresh(self, incidents: dict[str, Incident], policy: Policy) -> None:
        for incident_id in self.changed:
            self.order.pop(incident_id, None)
            self.due.pop(incident_id, None)
            incident = incidents.get(incident_id)  # None once forgotten
            if incident is None:
                continue
            self.order[incident_id] = incident.ack_deadline or incident.queue_deadline
            if (due := next_due(incident, policy)) is not None:
                self.due[incident_id] = due
        self.changed.clear()

    def rank(self, incident_id: str, now: datetime) -> tuple[datetime, str]:
        """An incident's place in a tick's order: its deadline as the tick found it (none counts as now), then id."""
        return (self.order[incident_id] or now, incident_id)

    def walk(self, incidents: dict[str, Incident], now: datetime, policy: Policy) -> Iterator[Incident]:
        """The incidents a tick at `now` must check, in the order their deadlines fall.

        The same incidents, in the same order, that do anything when a tick
        walks all of them: an incident the step before changed (a task whose
        team was diverted goes back to the queue) is checked when its place
        is still ahead.
        """
        self.refresh(incidents, policy)
        ahead = [self.rank(i, now) for i, due in self.due.items() if due <= now]
        heapq.heapify(ahead)
        taken = {incident_id for _, incident_id in ahead}
        changed: set[str] = set()
        try:
            while ahead:
                place = heapq.heappop(ahead)
                yield incidents[place[1]]
                for other in self.changed - taken:
                    if self.rank(other, now) > place:
                        heapq.heappush(ahead, self.rank(other, now))
                        taken.add(other)
                changed |= self.changed
                self.changed.clear()
        finally:  # a tick cut short by an error still leaves every change to refresh
            self.changed |= changed


def wants_followup(outcome: str | None, policy: Policy) -> bool:
    """A follow-up visit only after outcomes that leave the person outside."""
    return (outcome or "") in policy.followup_outcomes


def escalation_target(level: int, policy: Policy) -> str | None:
    """Who hears of an escalation at this level (the last role stays for higher levels)."""
    if level <= 0:
        return None
    roles = policy.escalate_to
    return roles[min(level, len(roles)) - 1]
