"""The console's metrics: queue gauges from the folded view, escalations once per event id."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from console.metrics import ViewMeter, console_open_items
from console.state import ConsoleState
from core import topics
from tests.unit.console.test_state import T0, event


def test_open_items_follow_the_view() -> None:
    state = ConsoleState()
    state.apply_dispatch(event("inc-a", priority="P1"))
    state.apply_dispatch(event("inc-b", kind="queued", team_id=None, status="queued", first_report_at=T0 - timedelta(minutes=10)))
    state.apply_dispatch(event("inc-c"))
    state.apply_dispatch(event("inc-c", 2, kind="resolved", status="resolved"))
    items, now = console_open_items(state)
    by_priority = sorted((i.priority, i.queued, i.since) for i in items)
    assert by_priority == [("P1", False, T0), ("P2", True, T0 - timedelta(minutes=10))]
    assert now == state.now


def _missed_ack_escalations() -> float:
    return REGISTRY.get_sample_value("patrol_escalations_total", {"level": "2", "cause": "ack_deadline_missed"}) or 0.0


def test_escalations_counted_once_per_event_id() -> None:
    meter = ViewMeter()
    before = _missed_ack_escalations()
    escalation = event("inc-e", 3, kind="escalation", escalation_level=2, reason="ack deadline missed by T-daoli-1; team T-2 at 300 m").to_dict()
    for _ in range(3):  # redelivered
        meter.record(topics.DISPATCH, escalation)
    meter.record(topics.DISPATCH, event("inc-e", 4).to_dict())
    meter.record(topics.CLOCK, {"at": T0.isoformat()})
    assert _missed_ack_escalations() == before + 1


def test_lag_per_partition() -> None:
    meter = ViewMeter()
    meter.batch(topics.DISPATCH, 0, 10, next_offset=10, highwater=25)
    meter.batch(topics.DISPATCH, 0, 15, next_offset=25, highwater=25)
    meter.batch(topics.CLOCK, 0, 1, next_offset=1, highwater=None)
    assert list(meter.lags()) == [(topics.DISPATCH, 0, 0)]


def test_an_escalation_the_view_refuses_for_its_time_is_not_counted() -> None:
    """The view skips an event whose time has no offset or an implausible year; the metrics counted it anyway."""
    meter = ViewMeter()
    before = _missed_ack_escalations()
    escalation = event("inc-n", 3, kind="escalation", escalation_level=2, reason="ack deadline missed by T-daoli-1").to_dict()
    meter.record(topics.DISPATCH, {**escalation, "at": "2026-12-20T23:00:00"})
    meter.record(topics.DISPATCH, {**escalation, "event_id": "inc-n-r9", "at": "9999-12-20T23:00:00+08:00"})
    assert _missed_ack_escalations() == before
