"""The desk's timer index: when each incident may next come due, and the order a tick checks them in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from core.records import Report
from rules.context import Context
from rules.desk import Desk
from rules.desk.model import Incident
from rules.desk.timers import Wakes, next_due
from tests.unit.rules.deskkit import CENTRE, EVENING, team


def _queued(incident_id: str, deadline_min: float) -> Incident:
    return Incident(incident_id, "daoli", None, None, *CENTRE, EVENING, EVENING, status="queued",
                    queue_deadline=EVENING + timedelta(minutes=deadline_min))


def test_next_due_is_the_earliest_timer_and_counts_a_queued_deadline_a_clock_step_early(ctx: Context) -> None:
    policy = ctx.policy
    queued = _queued("q", 30)
    assert next_due(queued, policy) == EVENING + timedelta(minutes=30) - policy.clock_step
    assigned = Incident("a", "daoli", None, None, *CENTRE, EVENING, EVENING, status="assigned", ack_deadline=EVENING + timedelta(minutes=5),
                        supports=[{"team_id": "t", "event_id": "a-r2", "needs": [], "status": "assigned",
                                   "ack_deadline": (EVENING + timedelta(minutes=3)).isoformat(), "assigned_at": EVENING.isoformat(), "eta_min": 4.0}])
    assert next_due(assigned, policy) == EVENING + timedelta(minutes=3)
    assigned.acked, assigned.supports[0]["status"] = True, "accepted"
    # the lead acknowledged, and not accepted either (no unit timer yet); the accepted support unit has its own
    # en-route timer: ETA 4 + 10 min, from its assignment when its acceptance time is not known
    assert next_due(assigned, policy) == EVENING + timedelta(minutes=14)
    assigned.supports[0]["status"] = "released"
    assert next_due(assigned, policy) is None
    closed = Incident("c", "daoli", None, None, *CENTRE, EVENING, EVENING, status="resolved", ack_deadline=EVENING)
    assert next_due(closed, policy) is None


def test_a_tick_checks_an_incident_changed_before_its_turn_and_not_one_whose_turn_has_passed(ctx: Context) -> None:
    incidents = {i.incident_id: i for i in (_queued("a", 1), _queued("b", 30), _queued("c", 60), _queued("d", 0.5))}
    wakes = Wakes()
    for incident_id in incidents:
        wakes.mark(incident_id)
    now = EVENING + timedelta(minutes=2)
    walk = wakes.walk(incidents, now, ctx.policy)
    assert next(walk).incident_id == "d"  # due, and first by deadline

    def step_makes_due(incident_id: str) -> None:
        incidents[incident_id].queue_deadline = EVENING
        wakes.mark(incident_id)

    step_makes_due("c")  # its turn is ahead: checked in its place, by the deadline the tick found (60 min)
    assert [next(walk).incident_id, next(walk).incident_id] == ["a", "c"]
    step_makes_due("b")  # its turn (30 min) has passed: the next tick checks it
    assert list(walk) == []
    assert wakes.changed == {"b", "c"}  # refreshed at the next tick


def test_a_tick_cut_short_still_refreshes_what_it_changed(ctx: Context) -> None:
    incidents = {i.incident_id: i for i in (_queued("a", 0.5), _queued("b", 1))}
    wakes = Wakes()
    for incident_id in incidents:
        wakes.mark(incident_id)
    walk = wakes.walk(incidents, EVENING + timedelta(minutes=2), ctx.policy)
    next(walk)
    wakes.mark("a")  # the step on "a" changed it...
    next(walk)
    walk.close()  # ...and the step on "b" failed
    assert wakes.changed == {"a"}


def test_timers_are_found_again_after_a_restart(ctx: Context, report: Callable[..., Report]) -> None:
    desk = Desk(ctx, "harbin")
    team(desk, "busy", 500, ("medical", "vehicle"), status="on_scene")
    desk.handle_report(report(flags=("unresponsive",)))
    restarted = Desk(ctx, "harbin")
    restarted.load_entries(desk.take_dirty())
    first = restarted.handle_tick(EVENING + timedelta(minutes=5)).events
    assert [(e.kind, e.escalation_cause) for e in first] == [("escalation", "queued")]
