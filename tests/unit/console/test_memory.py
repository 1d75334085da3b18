"""The console's memory over a long run: closed incidents and counted escalation ids are forgotten after a window of
event time, open incidents never, and no escalation is counted twice or lost."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from console.calls import CallDesk
from console.metrics import ViewMeter
from console.outbox import ListOutbox
from console.state import RETENTION, ConsoleState, Forgetting
from core import topics
from core.settings import DATA_DIR
from rules.context import load_context
from tests.unit.console.test_state import T0, event

NIGHTS = 20
PER_HOUR = 12  # incidents an hour, every one escalated once and resolved within the hour


def _escalations() -> float:
    return REGISTRY.get_sample_value("patrol_escalations_total", {"level": "2", "cause": "ack_deadline_missed"}) or 0.0


def test_a_long_run_keeps_memory_bounded_without_losing_a_count_or_an_open_incident() -> None:
    state, meter = ConsoleState(), ViewMeter()
    before = _escalations()
    reason = "ack deadline missed by T-daoli-1; team T-2 at 300 m"
    state.apply_dispatch(event("still-open", first_report_at=T0))  # never closed: stays all along
    peak_incidents = peak_events = peak_ids = 0
    hours = NIGHTS * 24
    for n in range(hours * PER_HOUR):
        at = T0 + timedelta(minutes=5 * n)
        inc = f"inc-{n}"
        records = [event(inc, 1, at=at, first_report_at=at),
                   event(inc, 2, kind="escalation", escalation_level=2, reason=reason, at=at + timedelta(minutes=1)),
                   event(inc, 3, kind="resolved", status="resolved", at=at + timedelta(minutes=2))]
        for ev in records:
            state.apply_dispatch(ev)
            meter.record(topics.DISPATCH, ev.to_dict())
        meter.record(topics.DISPATCH, records[1].to_dict())  # redelivered at once: not counted again
        peak_incidents = max(peak_incidents, len(state.incidents))
        peak_events = max(peak_events, len(state.event_index))
        peak_ids = max(peak_ids, len(meter))
    total = hours * PER_HOUR
    print(f"{total} incidents over {NIGHTS} days: at most {peak_incidents} incidents, {peak_events} event ids, {peak_ids} escalation ids held")
    assert _escalations() == before + total  # every escalation once
    window = (RETENTION + timedelta(minutes=20)) // timedelta(minutes=5)  # incidents closed within the window, and a sweep's lag
    assert peak_incidents <= window + 1 < total // 50
    assert peak_events <= 3 * (window + 1)
    assert peak_ids <= window
    assert "still-open" in state.incidents and not state.incidents["still-open"].closed
    assert [v.latest.incident_id for v in state.open_incidents()] == ["still-open"]
    assert len(state.closed_incidents()) == 50  # the page's closed list is as full as before
    assert state.incident_for_event(f"inc-{total - 1}-r2") is not None  # recent events still find their incident


def test_forgetting_looks_once_per_interval_of_event_time_and_names_the_horizon() -> None:
    """The one timer of the view and the metrics: due at the first record, then not before `every` has passed."""
    forgetting = Forgetting(retention=timedelta(hours=6), every=timedelta(minutes=10))
    assert forgetting.due(T0) == T0 - timedelta(hours=6)
    assert forgetting.due(T0 + timedelta(minutes=9)) is None
    assert forgetting.due(T0 - timedelta(hours=1)) is None  # an older record moves nothing
    assert forgetting.due(T0 + timedelta(minutes=10)) == T0 + timedelta(minutes=10) - timedelta(hours=6)
    assert forgetting.due(T0 + timedelta(minutes=15)) is None


def test_partner_notice_summaries_are_forgotten_by_event_time_unless_their_incident_is_still_heard_of() -> None:
    # The call desk kept every notice's summary (partner, address) for the process's life: a winter's notices grew
    # without bound. An incident's notices go `retention` of event time after its last notice or dispatch event.
    desk = CallDesk(ctx=load_context(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", DATA_DIR / "cities" / "harbin"), outbox=ListOutbox())
    desk.ingest(topics.PARTNER_NOTICES, {"notice_id": "n-open", "partner": "police", "incident_id": "still-open", "at": T0.isoformat()})
    peak = 0
    hours = NIGHTS * 24
    for n in range(hours * PER_HOUR):
        at = T0 + timedelta(minutes=5 * n)
        for partner in ("police", "health"):
            changes = desk.ingest(topics.PARTNER_NOTICES, {"notice_id": f"n-{n}-{partner}", "partner": partner, "incident_id": f"inc-{n}",
                                                           "address": "某路", "at": at.isoformat()})
            assert [name for name, _ in changes] == ["notice"]  # still sent to the live pages
        if n % PER_HOUR == 0:  # the open incident is still heard of (the desk's follow-ups): its notice stays
            desk.ingest(topics.DISPATCH, event("still-open", n + 2, at=at).to_dict())
        peak = max(peak, len(desk.notices.by_incident))
    window = (RETENTION + timedelta(minutes=20)) // timedelta(minutes=5)
    print(f"{hours * PER_HOUR} incidents' notices over {NIGHTS} days: at most {peak} incidents' notices held")
    assert peak <= window + 2 < hours * PER_HOUR // 50
    assert [n["notice_id"] for n in desk.notices.of("still-open")] == ["n-open"]
    last = f"inc-{hours * PER_HOUR - 1}"
    assert sorted(n["notice_id"] for n in desk.notices.of(last)) == [f"n-{hours * PER_HOUR - 1}-health", f"n-{hours * PER_HOUR - 1}-police"]
    assert desk.notices.of("inc-0") == []


def test_a_notice_dated_far_ahead_forgets_no_notice_and_moves_no_clock() -> None:
    # Notices kept their own event-time now with no guard: one notice dated 2099 moved it there and the next sweep forgot
    # every incident's notices. A record further than the desk's max_ahead_min past now is dated by the latest seen.
    desk = CallDesk(ctx=load_context(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", DATA_DIR / "cities" / "harbin"), outbox=ListOutbox())
    assert desk.notices.max_ahead == timedelta(minutes=desk.ctx.policy.max_ahead_min)
    desk.ingest(topics.PARTNER_NOTICES, {"notice_id": "n-1", "partner": "police", "incident_id": "inc-1", "at": T0.isoformat()})
    far = T0 + timedelta(days=365 * 70)
    changes = desk.ingest(topics.PARTNER_NOTICES, {"notice_id": "n-2", "partner": "health", "incident_id": "inc-2", "at": far.isoformat()})
    assert [name for name, _ in changes] == ["notice"]  # still shown
    assert desk.notices.now == T0
    soon = T0 + timedelta(minutes=desk.ctx.policy.max_ahead_min - 1)
    desk.ingest(topics.PARTNER_NOTICES, {"notice_id": "n-3", "partner": "police", "incident_id": "inc-3", "at": soon.isoformat()})
    assert desk.notices.now == soon  # a record within max_ahead still moves it
    assert [n["notice_id"] for n in desk.notices.of("inc-1")] == ["n-1"]
    assert [n["notice_id"] for n in desk.notices.of("inc-2")] == ["n-2"]
