"""The desk state machine: correlation, dispatch, deadlines, escalation, follow-ups."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from core.errors import RecordError
from core.records import OperatorCommand, Report, TaskAck, WeatherObservation, WeatherWarning
from geo.distance import offset_latlon
from rules.context import Context
from rules.desk import Desk, commands
from rules.desk.model import Incident
from tests.unit.rules.deskkit import CENTRE, EVENING, NIGHT, TZ, team


def test_new_tip_goes_to_nearest_able_team(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "far", 3000)
    team(desk, "near", 500)
    out = desk.handle_report(report())
    (event,) = out.events
    assert event.kind == "dispatch" and event.team_id == "near"
    assert event.priority == "P3" and event.category == "guidance"
    assert event.ack_deadline == EVENING + timedelta(minutes=30)
    assert event.nearest_help_point is not None and event.nearest_help_point.distance_m > 0
    assert event.event_id == f"{event.incident_id}-r1" and event.sources == ("tip-1",)
    (task,) = out.tasks
    assert task.team_id == "near" and task.kind == "assign" and task.event_id == event.event_id


def test_every_event_task_and_condition_names_the_desks_centre(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 500)
    team(desk, "far", 3000)
    first = desk.handle_report(report())
    declined = desk.handle_ack(TaskAck(event_id=first.events[0].event_id, team_id="near", status="declined", at=EVENING + timedelta(minutes=1)))
    events, tasks = [*first.events, *declined.events], [*first.tasks, *declined.tasks]
    assert {t.kind for t in tasks} == {"assign", "cancel"} and len(events) == 2
    assert {e.centre for e in events} == {t.centre for t in tasks} == {"harbin"}, "consumers route by it, not by the position"
    ticked = desk.handle_tick(EVENING + timedelta(minutes=2))
    assert ticked.conditions and {c["centre"] for c in ticked.conditions} == {"harbin"}


def test_capabilities_decide_who_can_go(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "social", 100)
    team(desk, "medic", 2000, ("medical", "vehicle"))
    team(desk, "medic-police", 4000, ("medical", "police"))
    medical = desk.handle_report(report(flags=("unresponsive",))).events[0]
    assert medical.team_id == "medic" and medical.priority == "P1" and "health" in medical.notify
    mental = desk.handle_report(report(lat=45.79, lon=126.60, flags=("mental",))).events[0]
    assert mental.team_id == "medic-police" and set(mental.notify) == {"health", "police"}


def test_no_free_team_queues_then_dispatches_when_one_frees(desk: Desk, report: Callable[..., Report]) -> None:
    queued = desk.handle_report(report()).events[0]
    assert queued.kind == "queued" and queued.team_id is None and queued.status == "queued"
    out = team(desk, "late", 800, at=EVENING + timedelta(minutes=3))
    (event,) = [e for e in out.events if e.kind == "dispatch"]
    assert event.incident_id == queued.incident_id and event.team_id == "late" and event.revision == 2


def test_queue_serves_higher_priority_first(desk: Desk, report: Callable[..., Report]) -> None:
    low = desk.handle_report(report(at=EVENING)).events[0]
    high = desk.handle_report(report(at=EVENING + timedelta(minutes=1), lat=45.80, lon=126.62, flags=("minor",))).events[0]
    assert low.kind == high.kind == "queued"
    out = team(desk, "only", 0, at=EVENING + timedelta(minutes=2))
    assert [e.incident_id for e in out.events if e.kind == "dispatch"] == [high.incident_id]


def test_corroboration_merges_within_150m_and_20min(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "a", 500)
    first = desk.handle_report(report()).events[0]
    lat, lon = offset_latlon(*CENTRE, 120, 0)
    merged = desk.handle_report(report(at=EVENING + timedelta(minutes=15), lat=lat, lon=lon, channel="courier")).events[0]
    assert merged.kind == "update" and merged.incident_id == first.incident_id
    assert merged.sources == ("tip-1", "tip-2") and merged.confidence > first.confidence
    assert "corroborated:2" in merged.rules and merged.priority == first.priority
    # 300 m: beyond 150 m of both reports (200 m was within 150 m of the second one, the latest sighting, which now
    # places the incident: desk_audit3's person walking along a street)
    far_lat, far_lon = offset_latlon(*CENTRE, 300, 0)
    other = desk.handle_report(report(at=EVENING + timedelta(minutes=16), lat=far_lat, lon=far_lon)).events[0]
    assert other.incident_id != first.incident_id
    late = desk.handle_report(report(at=EVENING + timedelta(minutes=60))).events[0]
    assert late.incident_id not in (first.incident_id, other.incident_id)


def test_tip_and_thermal_detection_are_one_incident(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "a", 500)
    lat, lon = offset_latlon(*CENTRE, 40, 30)
    detection = report(source="detection", channel="thermal", lat=lat, lon=lon, posture="lying", still_s=0.0, camera_id="cam-1")
    first = desk.handle_report(detection).events[0]
    assert first.category == "welfare_check" and first.priority == "P3"
    tip = desk.handle_report(report(at=EVENING + timedelta(minutes=5), flags=("elderly",))).events[0]
    assert tip.incident_id == first.incident_id and tip.category == "guidance" and tip.priority == "P2"
    assert set(tip.channels) == {"hotline", "thermal"}


def test_lying_still_ten_minutes_raises_thermal_incident(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "a", 500)
    base = {"source": "detection", "channel": "thermal", "posture": "lying", "camera_id": "cam-1", "track_id": "trk-1"}
    first = desk.handle_report(report(still_s=0.0, **base)).events[0]
    assert first.priority == "P3"
    later = desk.handle_report(report(at=EVENING + timedelta(minutes=10), still_s=600.0, **base)).events[0]
    assert later.incident_id == first.incident_id and later.priority == "P2" and "lying_still" in later.rules


def test_two_cameras_numbering_their_tracks_alike_are_two_people(desk: Desk, report: Callable[..., Report]) -> None:
    """Edge devices number tracks per camera (7, 8...): camera B's track 7, 4 km off, is not camera A's person."""
    team(desk, "a", 100)
    team(desk, "b", 4000)
    seen = {"source": "detection", "channel": "thermal", "posture": "lying", "track_id": "7"}
    first = desk.handle_report(report(camera_id="cam-A", **seen)).events[0]
    other = desk.handle_report(report(at=EVENING + timedelta(minutes=1), east_m=4000, camera_id="cam-B", **seen)).events[0]
    assert other.kind == "dispatch" and other.incident_id != first.incident_id and other.team_id == "b"
    again = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=600, camera_id="cam-A", **seen)).events[0]
    assert again.kind == "update" and again.incident_id == first.incident_id  # camera A's track still follows its person


def test_two_blobs_of_one_frame_are_two_people(desk: Desk, report: Callable[..., Report]) -> None:
    """Seed 41: a standing man and an old man sitting 2 m from him in one underpass camera's frame. One incident for
    both sent one team, which guided the first away; the second waited for the next frame. Each blob is a person."""
    team(desk, "a", 100)
    team(desk, "b", 300)
    seen = {"source": "detection", "channel": "thermal", "camera_id": "cam-1"}
    standing = desk.handle_report(report(posture="standing", track_id="t1", **seen)).events[0]
    sitting = desk.handle_report(report(east_m=2, posture="sitting", track_id="t2", **seen)).events[0]
    assert sitting.kind == "dispatch" and sitting.incident_id != standing.incident_id
    assert {standing.team_id, sitting.team_id} == {"a", "b"}
    # The next frame (the tracker lost them: new tracks) joins each blob to the nearest incident again.
    later = EVENING + timedelta(minutes=20)
    again = desk.handle_report(report(at=later, east_m=2, posture="sitting", track_id="t3", **seen)).events[0]
    assert again.kind == "update" and again.incident_id == sitting.incident_id
    other = desk.handle_report(report(at=later, posture="standing", track_id="t4", **seen)).events[0]
    assert other.kind == "update" and other.incident_id == standing.incident_id
    # A tip about the spot is still one of them (a caller names no frame).
    tip = desk.handle_report(report(at=later, east_m=1)).events[0]
    assert tip.incident_id in (standing.incident_id, sitting.incident_id) and tip.kind == "update"


def test_missed_deadline_escalates_and_reassigns_then_goes_to_leader(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    team(desk, "next", 900)
    team(desk, "third", 1500)
    desk.handle_tick(NIGHT)  # the clock runs on to the night (an input may run at most an hour ahead of it)
    first = desk.handle_report(report(at=NIGHT)).events[0]  # night: P2, 15 min
    assert first.team_id == "near" and first.priority == "P2" and first.ack_deadline == NIGHT + timedelta(minutes=15)
    assert desk.handle_tick(NIGHT + timedelta(minutes=14)).events == []
    out = desk.handle_tick(NIGHT + timedelta(minutes=15))
    (esc,) = out.events
    assert esc.kind == "escalation" and esc.escalate_to == "duty_supervisor" and esc.escalation_level == 1
    assert esc.team_id == "next" and esc.ack_deadline == NIGHT + timedelta(minutes=30)
    assert {(t.team_id, t.kind) for t in out.tasks} == {("near", "cancel"), ("next", "assign")}
    (esc2,) = desk.handle_tick(NIGHT + timedelta(minutes=30)).events
    assert esc2.escalate_to == "leader_on_duty" and esc2.escalation_level == 2 and esc2.team_id == "third"


def test_ack_in_time_stops_escalation(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    first = desk.handle_report(report()).events[0]
    upd = desk.handle_ack(TaskAck(event_id=first.event_id, team_id="near", status="accepted", at=EVENING + timedelta(minutes=2)))
    assert upd.events[0].kind == "update" and upd.events[0].status == "accepted"
    # No escalation; past ETA + 10 min the unit timer asks the team to report, once.
    (timer,) = desk.handle_tick(EVENING + timedelta(hours=1)).events
    assert timer.kind == "unit_timer" and "unit_timer:en_route" in timer.rules
    assert desk.handle_tick(EVENING + timedelta(hours=2)).events == []


def test_ack_from_wrong_team_or_unknown_task_is_rejected(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    first = desk.handle_report(report()).events[0]
    with pytest.raises(RecordError, match="acknowledged a task that belongs to team"):
        desk.handle_ack(TaskAck(event_id=first.event_id, team_id="intruder", status="accepted", at=EVENING))
    with pytest.raises(RecordError, match="no task"):
        desk.handle_ack(TaskAck(event_id="nope", team_id="near", status="accepted", at=EVENING))


def test_declined_task_goes_to_next_team(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    team(desk, "next", 900)
    first = desk.handle_report(report()).events[0]
    out = desk.handle_ack(TaskAck(event_id=first.event_id, team_id="near", status="declined", at=EVENING + timedelta(minutes=1)))
    assert out.events[0].kind == "dispatch" and out.events[0].team_id == "next" and out.events[0].escalation_level == 0


def test_refusal_schedules_followup_after_12h_or_3h_at_orange(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    first = desk.handle_report(report(flags=("refuses",))).events[0]
    assert first.category == "supplies_followup"
    done = desk.handle_ack(TaskAck(event_id=first.event_id, team_id="near", status="resolved", outcome="refused_supplies_given", at=EVENING + timedelta(minutes=40)))
    assert (done.events[0].kind, done.events[0].outcome) == ("resolved", "refused_supplies_given")
    assert done.events[0].outcome_code() == "refused_supplies_given"
    assert desk.handle_tick(EVENING + timedelta(hours=12, minutes=39)).events == []
    follow = [e for e in desk.handle_tick(EVENING + timedelta(hours=12, minutes=40)).events if e.kind == "followup"]
    assert len(follow) == 1 and follow[0].team_id == "near" and follow[0].incident_id == first.incident_id

    orange = Desk(desk.ctx, desk.centre)
    team(orange, "near", 300)
    orange.handle_weather("*", WeatherWarning(level="orange", issued_at=EVENING - timedelta(hours=1)))
    inc = orange.handle_report(report(flags=("refuses",))).events[0]
    assert inc.priority == "P2" and inc.ack_deadline == EVENING + timedelta(minutes=7.5)  # P3 raised at orange, halved
    orange.handle_ack(TaskAck(event_id=inc.event_id, team_id="near", status="resolved", outcome="refused_supplies_given", at=EVENING + timedelta(minutes=5)))
    follow = [e for e in orange.handle_tick(EVENING + timedelta(hours=3, minutes=5)).events if e.kind == "followup"]
    assert len(follow) == 1


def test_an_orange_warning_after_a_refusal_brings_the_follow_up_to_3h(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    first = desk.handle_report(report(flags=("refuses",))).events[0]
    desk.handle_ack(TaskAck(event_id=first.event_id, team_id="near", status="resolved", outcome="refused", at=EVENING + timedelta(minutes=10)))
    assert desk.incidents[first.incident_id].followup_at == EVENING + timedelta(hours=12, minutes=10)
    desk.handle_weather("*", WeatherWarning(level="orange", issued_at=EVENING + timedelta(hours=1)))
    assert desk.incidents[first.incident_id].followup_at == EVENING + timedelta(hours=3, minutes=10)
    assert "followup" not in [e.kind for e in desk.handle_tick(EVENING + timedelta(hours=3, minutes=9)).events]  # night began: an update
    assert [e.kind for e in desk.handle_tick(EVENING + timedelta(hours=3, minutes=10)).events] == ["followup"]


def test_weather_change_reranks_open_incidents_and_publishes_conditions(desk: Desk, report: Callable[..., Report]) -> None:
    first = desk.handle_report(report()).events[0]  # queued, P3
    out = desk.handle_weather("*", WeatherObservation(observed_at=EVENING + timedelta(minutes=1), temp_c=-9.0, wind_ms=8.0))
    assert any(c["severe_cold"] for c in out.conditions)
    (upd,) = out.events
    assert upd.incident_id == first.incident_id and upd.priority == "P2" and "severe_cold" in upd.rules


def test_night_begins_on_a_tick(desk: Desk, report: Callable[..., Report]) -> None:
    first = desk.handle_report(report(at=EVENING + timedelta(hours=2, minutes=50))).events[0]
    assert first.priority == "P3"
    out = desk.handle_tick(datetime(2026, 12, 20, 22, 0, tzinfo=TZ))
    assert [e.priority for e in out.events if e.incident_id == first.incident_id] == ["P2"]
    assert any(c["night"] for c in out.conditions)


def test_duplicates_processed_once_or_rejected(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    r = report()
    assert len(desk.handle_report(r).events) == 1
    assert desk.handle_report(r).events == []
    with pytest.raises(RecordError, match="duplicate"):
        desk.handle_report(Report(**{**r.__dict__, "text": "changed"}))


def test_events_name_the_sources_taken_with_a_reporter_contact(desk: Desk, report: Callable[..., Report]) -> None:
    # Replies go only to those: a tip refused as a duplicate of one taken without a contact must not inherit its replies.
    team(desk, "near", 300)
    silent = report()
    first = desk.handle_report(silent).events[0]
    assert first.sources == (silent.report_id,) and first.contact_sources == ()
    with pytest.raises(RecordError, match="duplicate"):
        desk.handle_report(Report(**{**silent.__dict__, "reporter_contact": "tel:+86139****0000"}))
    caller = report(at=EVENING + timedelta(minutes=1), reporter_contact="tel:+86138****5678")
    (update,) = desk.handle_report(caller).events
    assert update.sources == (silent.report_id, caller.report_id) and update.contact_sources == (caller.report_id,)
    other = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=5000, reporter_contact="tel:+86137****1111"))
    far = other.events[0]
    assert far.incident_id != update.incident_id and far.contact_sources == far.sources
    merged = commands.handle(desk, OperatorCommand(command_id="c-merge", kind="merge", incident_id=update.incident_id,
                                                   other_incident_id=far.incident_id, at=EVENING + timedelta(minutes=3),
                                                   by="op-1"))
    survivor = [e for e in merged.events if e.incident_id == update.incident_id][-1]
    assert set(survivor.contact_sources) == {caller.report_id, *far.sources} and silent.report_id not in survivor.contact_sources


def test_operator_reassign_and_resolve(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    team(desk, "next", 900)
    first = desk.handle_report(report()).events[0]
    moved = desk.handle_ack(TaskAck(event_id=first.event_id, team_id="console", status="reassign", at=EVENING + timedelta(minutes=1), by="op1"))
    assert moved.events[0].team_id == "next" and "operator op1" in (moved.events[0].reason or "")
    closed = desk.handle_ack(TaskAck(event_id=moved.events[0].event_id, team_id="console", status="resolved", at=EVENING + timedelta(minutes=2), by="op1"))
    assert closed.events[0].kind == "resolved"


def test_state_round_trip_gives_the_same_decisions(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    team(desk, "next", 900)
    desk.handle_tick(NIGHT)
    desk.handle_report(report(at=NIGHT))
    copy = Desk(desk.ctx, desk.centre)
    copy.load_entries(desk.take_dirty())
    assert copy.to_dict() == desk.to_dict()
    at = NIGHT + timedelta(minutes=15)
    assert [e.to_dict() for e in copy.handle_tick(at).events] == [e.to_dict() for e in desk.handle_tick(at).events]


def test_an_incident_as_stored_shares_nothing_with_the_desk_and_reads_back_the_same() -> None:
    incident = Incident("inc-1", "daoli", "z", None, 45.76, 126.63, EVENING, NIGHT, reports=["r1"], channels=["hotline"], flags=["ill"],
                        track_ids=["t"], rules=["ill"], notify=["health"], needs=["medical"], tried_teams=["a"], candidates=[["b", 4.0]],
                        warned=["inc-1-r1:en_route"], support_needs=["police"], partner_notices=["police"],
                        supports=[{"team_id": "c", "event_id": "inc-1-r2", "needs": ["police"], "status": "assigned",
                                   "ack_deadline": NIGHT.isoformat(), "assigned_at": NIGHT.isoformat(), "eta_min": 3.0}],
                        destination={"id": "hp", "name": "站", "distance_m": 10.0, "kind": "shelter"},
                        override={"priority": "P1", "by": "op", "reason": "why"}, ack_deadline=NIGHT, queued_at=EVENING, closed_at=NIGHT)
    stored = incident.to_dict()
    assert stored["ack_deadline"] == NIGHT.isoformat() and stored["closed_at"] == NIGHT.isoformat() and stored["followup_at"] is None
    for name, value in vars(incident).items():
        if isinstance(value, list | dict):
            assert stored[name] == value and stored[name] is not value, name
            assert all(a is not b for a, b in zip(stored[name], value, strict=True) if isinstance(a, list | dict)), name
        else:
            assert not isinstance(stored[name], datetime), name
    assert Incident.from_dict(json.loads(json.dumps(stored))) == incident


def test_an_input_far_ahead_of_the_clock_is_refused_and_moves_no_deadline(desk: Desk, report: Callable[..., Report]) -> None:
    """One tip dated next year moved event time there: every open deadline passed at the next tick, and new ones never came due."""
    from core.records import OperatorCommand, TeamStatus
    from rules.desk import commands

    team(desk, "near", 500)
    desk.handle_tick(EVENING)
    first = desk.handle_report(report())
    future = EVENING.replace(year=2099)
    with pytest.raises(RecordError) as refused:
        desk.handle_report(report(at=future, east_m=5000))
    assert refused.value.kind == "future_time" and "ahead of the desk's clock" in refused.value.reason
    for hostile in (
        lambda: desk.handle_weather("*", WeatherWarning(level="red", issued_at=future)),
        lambda: desk.handle_team_status(TeamStatus(team_id="near", at=future, status="off_duty", lat=CENTRE[0], lon=CENTRE[1])),
        lambda: desk.handle_ack(TaskAck(event_id=first.events[0].event_id, team_id="near", status="declined", at=future)),
        lambda: commands.handle(desk, OperatorCommand(command_id="c1", kind="priority", incident_id=first.events[0].incident_id, at=future,
                                                      by="op", priority="P1", reason="test")),
    ):
        with pytest.raises(RecordError, match="ahead of the desk's clock"):
            hostile()
    assert desk.now == EVENING
    assert not desk.handle_tick(EVENING + timedelta(minutes=1)).events, "the first task's deadline is still 30 min away"
    assert desk.handle_report(report(at=EVENING + timedelta(minutes=30))).events, "a little ahead (within the policy's hour) is taken"


def test_a_report_from_long_ago_is_refused_and_jumps_no_queue(desk: Desk, report: Callable[..., Report]) -> None:
    """A tip dated 2001 opened an incident that took the first free team ahead of tonight's equal-priority tip (oldest first)."""
    team(desk, "busy", 500, status="on_scene")
    desk.handle_tick(EVENING)
    tonight = desk.handle_report(report()).events[0]
    with pytest.raises(RecordError) as refused:
        desk.handle_report(report(at=EVENING.replace(year=2001), east_m=2000))
    assert refused.value.kind == "stale_time" and "behind the desk's clock" in refused.value.reason
    assert desk.handle_report(report(at=EVENING - timedelta(hours=23), east_m=4000)).events, "a day-old report is still taken"
    again = desk.handle_report(report(at=EVENING - timedelta(hours=23), east_m=4000, report_id="tip-3"))
    assert again.events == [], "a redelivery is still dropped, never refused"
    assert tonight.kind == "queued" and len(desk.incidents) == 2, "no incident of 2001 waits in the queue"



def test_a_mistyped_report_is_refused_before_it_touches_the_desk(desk: Desk, report: Callable[..., Report]) -> None:
    # `reports` is decoded without field checks; a producer writing it could poison the desk. A channel 5 joined its
    # incident and every later report of it failed (the channels no longer sort); an id 123 or a time without offset
    # broke the writing of the state (the agent died and met the record again at its restart); "abc" became 3 flags.
    first = report(flags=("elderly",))
    desk.handle_report(first)
    good = first.to_dict()
    hostile: list[dict[str, object]] = [
        {"channel": 5}, {"report_id": 123}, {"report_id": None}, {"report_id": ""}, {"at": "2026-12-20T19:01:00"},
        {"flags": "abc"}, {"flags": [1]}, {"flags": ["flying"]}, {"lat": "45.76"}, {"lat": float("nan")}, {"lon": 1e9},
        {"persons": "x"}, {"persons": True}, {"persons": 10**6}, {"text": 5}, {"sex": 1}, {"posture": "floating"}, {"company": "alone-ish"}, {"company": 3},
        {"source": "rumour"}, {"still_s": -5.0}, {"accuracy_m": "x"}, {"district": None}, {"track_id": 5},
        {"text": "lying\x00 down"},  # no PostgreSQL text holds a NUL: the ledger's write of the incident failed
    ]
    before = json.dumps({k: v.to_dict() for k, v in desk.incidents.items()}, sort_keys=True)
    desk.take_dirty()
    for n, change in enumerate(hostile):
        with pytest.raises(RecordError) as refused:
            desk.handle_report(Report.from_dict({**good, "report_id": f"tip-x{n}", **change}))
        assert refused.value.kind == "wrong_type", change
    assert json.dumps({k: v.to_dict() for k, v in desk.incidents.items()}, sort_keys=True) == before and not desk.take_dirty()
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=5)))  # a good report of the same person still joins
    assert [e.kind for e in out.events] == ["update"]


def test_a_report_whose_text_no_event_could_carry_is_refused_before_it_touches_the_desk(
        desk: Desk, report: Callable[..., Report], ctx: Context) -> None:
    """A report written to `reports` with 1 MB of text (the broker takes it; intake bounds a tip's to max_text_bytes) made
    a dispatch event over the 1 MB a producer sends: the desk agent died on it at every restart. A lone surrogate (a
    `\\ud800` escape) failed as an internal error; a camera id of 900 kB was kept in the incident's state (its track's key)."""
    from core.topics import MAX_MESSAGE_BYTES

    team(desk, "a", 300)
    good = report().to_dict()
    hostile: list[dict[str, object]] = [
        {"text": "x" * (MAX_MESSAGE_BYTES - 500)}, {"text": "躺" * (ctx.policy.max_text_bytes // 3 + 1)},
        {"address": "y" * (ctx.policy.max_text_bytes + 1)}, {"text": "lying \ud800 down"}, {"address": "\udfff"},
        {"camera_id": "c" * 900_000, "track_id": "t1", "source": "detection", "channel": "thermal"}, {"track_id": "t" * 201}, {"zone_id": "z\n"},
    ]
    for n, change in enumerate(hostile):
        with pytest.raises(RecordError) as refused:
            desk.handle_report(Report.from_dict({**good, "report_id": f"tip-x{n}", **change}))
        assert refused.value.kind in ("too_large", "malformed", "wrong_type"), change
    assert not desk.incidents and not desk.seen
    out = desk.handle_report(Report.from_dict({**good, "text": "躺" * (ctx.policy.max_text_bytes // 3)}))
    assert out.events and len(out.events[0].to_json()) < MAX_MESSAGE_BYTES


def test_a_report_dated_outside_the_plausible_years_is_refused_by_a_fresh_desk(desk: Desk, report: Callable[..., Report]) -> None:
    # Intake keeps times in 2000..2099; a producer writing `reports` directly is not bounded by the clock on a fresh desk.
    # Year 9999 or year 1 at +14:00 overflowed the deadline arithmetic after the report had been marked seen and the
    # clock moved there: the agent dead-lettered it as an internal error, yet wrote that state (every report of tonight
    # then refused as 8000 years stale), and the incident stayed `new`, never dispatched.
    good = report().to_dict()
    for at in ("9999-12-31T23:59:00+00:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:00:00+08:00"):
        with pytest.raises(RecordError) as refused:
            desk.handle_report(Report.from_dict({**good, "at": at}))
        assert refused.value.kind == "wrong_type" and "year" in refused.value.reason
    assert desk.now is None and not desk.incidents and not desk.seen and not desk.take_dirty()
    team(desk, "a", 300)
    assert desk.handle_report(report()).events[0].kind == "dispatch"


def _missed(desk: Desk, report: Callable[..., Report]) -> tuple[str, str, str]:
    """A P2 at night whose first team lets the deadline pass: (the first team's task, the next team's, the incident)."""
    team(desk, "near", 300)
    team(desk, "next", 900)
    desk.handle_tick(NIGHT)
    first = desk.handle_report(report(at=NIGHT)).events[0]
    (esc,) = desk.handle_tick(NIGHT + timedelta(minutes=15)).events
    assert first.team_id == "near" and esc.team_id == "next"
    return first.event_id, esc.event_id, first.incident_id


def test_a_team_that_reaches_the_person_after_its_task_was_reassigned_is_taken_and_the_other_stands_down(
        desk: Desk, report: Callable[..., Report]) -> None:
    old_task, next_task, incident_id = _missed(desk, report)
    out = desk.handle_ack(TaskAck(event_id=old_task, team_id="near", status="on_scene", at=NIGHT + timedelta(minutes=17)))
    (event,) = out.events
    assert (event.kind, event.status, event.team_id) == ("update", "on_scene", "near") and "after its task went to next" in event.reason
    assert {(t.team_id, t.kind) for t in out.tasks} == {("next", "cancel"), ("near", "assign")}
    assert desk.teams["next"].free and desk.teams["near"].status == "available" and not desk.teams["near"].free
    assert desk.incidents[incident_id].ack_deadline is None
    assert desk.handle_tick(NIGHT + timedelta(minutes=45)).events == [], "no more escalations: the person is reached"
    with pytest.raises(RecordError, match="went from it to team 'near'"):  # the other team arrives too: no ping-pong
        desk.handle_ack(TaskAck(event_id=next_task, team_id="next", status="on_scene", at=NIGHT + timedelta(minutes=46)))
    assert desk.incidents[incident_id].team_id == "near"
    done = desk.handle_ack(TaskAck(event_id=old_task, team_id="near", status="resolved", outcome="taken_to_station", at=NIGHT + timedelta(minutes=50)))
    assert (done.events[0].kind, done.events[0].team_id) == ("resolved", "near")
    assert desk.teams["near"].free, "once the task is closed the team takes the next one"


def test_a_late_resolution_by_a_former_holder_closes_the_incident(desk: Desk, report: Callable[..., Report]) -> None:
    old_task, _, incident_id = _missed(desk, report)
    out = desk.handle_ack(TaskAck(event_id=old_task, team_id="near", status="resolved", outcome="taken_to_station", at=NIGHT + timedelta(minutes=20)))
    (event,) = out.events
    assert (event.kind, event.team_id, event.outcome) == ("resolved", "near", "taken_to_station")
    assert [(t.team_id, t.kind) for t in out.tasks] == [("next", "cancel")]
    assert desk.teams["next"].free and desk.incidents[incident_id].status == "resolved"


def test_a_late_acceptance_takes_a_queued_task_back_but_not_one_another_team_holds(desk: Desk, report: Callable[..., Report]) -> None:
    old_task, next_task, incident_id = _missed(desk, report)
    with pytest.raises(RecordError, match="went from it to team 'next'") as refused:
        desk.handle_ack(TaskAck(event_id=old_task, team_id="near", status="accepted", at=NIGHT + timedelta(minutes=16)))
    assert refused.value.kind == "wrong_team" and desk.incidents[incident_id].team_id == "next"
    desk.handle_ack(TaskAck(event_id=next_task, team_id="next", status="declined", at=NIGHT + timedelta(minutes=17)))
    assert desk.incidents[incident_id].status == "queued"
    out = desk.handle_ack(TaskAck(event_id=old_task, team_id="near", status="accepted", at=NIGHT + timedelta(minutes=18)))
    (event,) = out.events
    assert (event.status, event.team_id) == ("accepted", "near") and [(t.team_id, t.kind) for t in out.tasks] == [("near", "assign")]
    assert desk.incidents[incident_id].queue_deadline is None and desk.teams["near"].incident_id == incident_id


def test_only_an_operator_may_reassign_a_task(desk: Desk, report: Callable[..., Report]) -> None:
    """`reassign` is the console's: a team sending it took another team's task for itself (it was next nearest)."""
    team(desk, "near", 300)
    team(desk, "thief", 900)
    first = desk.handle_report(report()).events[0]
    for who in ("thief", "near"):  # another team's task, or its own (a team declines instead)
        with pytest.raises(RecordError, match="operators'") as refused:
            desk.handle_ack(TaskAck(event_id=first.event_id, team_id=who, status="reassign", at=EVENING + timedelta(minutes=1)))
        assert refused.value.kind == "forbidden"
    incident = desk.incidents[first.incident_id]
    assert (incident.team_id, incident.status, incident.task_event_id) == ("near", "assigned", first.event_id)
    assert desk.teams["thief"].free and desk.teams["near"].incident_id == first.incident_id
    moved = desk.handle_ack(TaskAck(event_id=first.event_id, team_id="console", status="reassign", at=EVENING + timedelta(minutes=2), by="op1"))
    assert moved.events[0].team_id == "thief", "the console still reassigns"


def test_an_operators_acceptance_needs_a_team_holding_the_task(desk: Desk, report: Callable[..., Report]) -> None:
    """The console accepting (or putting on scene) a queued task left an open incident with no team: out of the queue,
    never escalated, never dispatched when a team freed up."""
    queued = desk.handle_report(report()).events[0]
    for status in ("accepted", "on_scene", "declined"):
        with pytest.raises(RecordError, match="no team") as refused:
            desk.handle_ack(TaskAck(event_id=queued.event_id, incident_id=queued.incident_id, team_id="console", status=status,
                                    at=EVENING + timedelta(minutes=1), by="op1"))
        assert refused.value.kind == "wrong_team"
    incident = desk.incidents[queued.incident_id]
    assert (incident.status, incident.team_id, incident.reached) == ("queued", None, False)
    freed = team(desk, "late", 300, at=EVENING + timedelta(minutes=2))
    assert [(e.kind, e.team_id) for e in freed.events] == [("dispatch", "late")]
    accepted = desk.handle_ack(TaskAck(event_id=freed.events[0].event_id, team_id="console", status="accepted", at=EVENING + timedelta(minutes=3),
                                       by="op1"))
    assert accepted.events[0].status == "accepted" and desk.incidents[queued.incident_id].team_id == "late", "for the team holding it"
    done = desk.handle_ack(TaskAck(event_id=freed.events[0].event_id, team_id="late", status="resolved", outcome="refused",
                                   at=EVENING + timedelta(minutes=20)))
    assert desk.incidents[queued.incident_id].status == "followup_due" and done.events[0].kind == "resolved"
    with pytest.raises(RecordError, match="no team") as refused:  # a follow-up due is held by nobody either
        desk.handle_ack(TaskAck(event_id=queued.event_id, incident_id=queued.incident_id, team_id="console", status="on_scene",
                                at=EVENING + timedelta(minutes=21), by="op1"))
    assert refused.value.kind == "wrong_team" and desk.incidents[queued.incident_id].status == "followup_due"


def test_an_operators_reassign_or_resolve_acts_on_the_incident_whichever_of_its_tasks_it_names(
        desk: Desk, report: Callable[..., Report]) -> None:
    """The console names the latest event's id: a support unit's task right after dispatch. Its reassign then did
    nothing and its resolve released the support unit alone, silently; the incident stayed open with its lead."""
    team(desk, "medic", 300, ("medical", "vehicle"))
    team(desk, "police", 600, ("police",))
    team(desk, "spare", 900, ("medical", "vehicle"))
    lead, unit = desk.handle_report(report(flags=("mental",))).events
    assert (lead.kind, unit.kind, unit.unit_team_id) == ("dispatch", "support", "police")
    moved = desk.handle_ack(TaskAck(event_id=unit.event_id, incident_id=unit.incident_id, team_id="console", status="reassign",
                                    at=EVENING + timedelta(minutes=1), by="op1"))
    assert [(e.kind, e.team_id) for e in moved.events] == [("dispatch", "spare")] and ("medic", "cancel") in [(t.team_id, t.kind) for t in moved.tasks]
    incident = desk.incidents[lead.incident_id]
    assert incident.team_id == "spare" and [u["status"] for u in incident.supports] == ["assigned"], "the support unit stays"
    closed = desk.handle_ack(TaskAck(event_id=unit.event_id, incident_id=unit.incident_id, team_id="console", status="resolved",
                                     outcome="taken_to_hospital", at=EVENING + timedelta(minutes=2), by="op1"))
    assert [(e.kind, e.outcome) for e in closed.events] == [("resolved", "taken_to_hospital")] and incident.status == "resolved"
    assert {(t.team_id, t.kind) for t in closed.tasks} == {("police", "cancel")}
    assert desk.teams["spare"].free and desk.teams["police"].free
    # a support unit's own answers stay its own
    team(desk, "medic2", 300, ("medical", "vehicle"), at=EVENING + timedelta(minutes=3))
    team(desk, "police2", 600, ("police",), at=EVENING + timedelta(minutes=3))
    lead2, unit2 = desk.handle_report(report(at=EVENING + timedelta(minutes=30), lat=45.80, lon=126.62, flags=("mental",))).events
    desk.handle_ack(TaskAck(event_id=unit2.event_id, team_id=unit2.unit_team_id or "", status="resolved", outcome="taken_to_hospital",
                            at=EVENING + timedelta(minutes=31)))
    assert desk.incidents[lead2.incident_id].status == "assigned", "a support unit's resolve releases the unit only"


def test_a_stale_decline_of_an_older_task_leaves_the_teams_new_task_alone(desk: Desk, report: Callable[..., Report]) -> None:
    """A team declined task A, took the incident again as task B and accepted it; its decline of A arriving late (a
    phone's resend, a redelivery) dropped B back to the queue, with nobody on the way to the person."""
    team(desk, "near", 300)
    first = desk.handle_report(report()).events[0]
    decline_a = TaskAck(event_id=first.event_id, team_id="near", status="declined", at=EVENING + timedelta(minutes=1))
    assert desk.handle_ack(decline_a).events[0].kind == "queued"
    out = commands.handle(desk, OperatorCommand(command_id="cmd-1", kind="assign", incident_id=first.incident_id,
                                                at=EVENING + timedelta(minutes=2), by="op1", team_id="near"))
    task_b = out.events[0].event_id
    assert task_b != first.event_id and out.events[0].team_id == "near"
    desk.handle_ack(TaskAck(event_id=task_b, team_id="near", status="accepted", at=EVENING + timedelta(minutes=3)))
    desk.take_dirty()
    late = desk.handle_ack(TaskAck(event_id=first.event_id, team_id="near", status="declined", at=EVENING + timedelta(minutes=4)))
    assert late.events == [] and late.tasks == []
    incident = desk.incidents[first.incident_id]
    assert (incident.status, incident.team_id, incident.task_event_id) == ("accepted", "near", task_b)
    assert desk.teams["near"].incident_id == first.incident_id
    assert [key for key, _ in desk.take_dirty()] == ["meta|now"], "nothing changed but the desk's clock"
    # B itself is still the team's to decline
    assert desk.handle_ack(TaskAck(event_id=task_b, team_id="near", status="declined", at=EVENING + timedelta(minutes=5))).events[0].kind == "queued"


def test_a_stale_decline_after_a_former_holder_took_its_task_back_changes_nothing(desk: Desk, report: Callable[..., Report]) -> None:
    """The same through the desk alone: the team let A's deadline pass, took the task back late (a new task B), and a
    decline naming A then moved B away from the team that is on its way."""
    old_task, next_task, incident_id = _missed(desk, report)
    desk.handle_ack(TaskAck(event_id=next_task, team_id="next", status="declined", at=NIGHT + timedelta(minutes=16)))
    back = desk.handle_ack(TaskAck(event_id=old_task, team_id="near", status="accepted", at=NIGHT + timedelta(minutes=17)))
    task_b = back.events[0].event_id
    assert desk.incidents[incident_id].task_event_id == task_b != old_task
    late = desk.handle_ack(TaskAck(event_id=old_task, team_id="near", status="declined", at=NIGHT + timedelta(minutes=18)))
    assert late.events == [] and late.tasks == []
    assert (desk.incidents[incident_id].status, desk.incidents[incident_id].team_id) == ("accepted", "near")


def test_an_outcome_the_policy_does_not_list_is_refused_and_closes_nothing(desk: Desk, report: Callable[..., Report]) -> None:
    """A made-up code (`refused_supplies`, not `refused_supplies_given`) closed the incident with no follow-up visit:
    the person left outside was never seen again."""
    team(desk, "near", 300)
    first = desk.handle_report(report(flags=("refuses",))).events[0]
    desk.take_dirty()
    for who, by in (("near", None), ("console", "op1")):
        with pytest.raises(RecordError, match="refused_supplies") as refused:
            desk.handle_ack(TaskAck(event_id=first.event_id, team_id=who, status="resolved", outcome="refused_supplies",
                                    at=EVENING + timedelta(minutes=20), by=by))
        assert refused.value.kind == "unknown_outcome" and "dispatch.outcomes" in refused.value.reason
    incident = desk.incidents[first.incident_id]
    assert (incident.status, incident.team_id, incident.outcome) == ("assigned", "near", None) and not desk.take_dirty()
    done = desk.handle_ack(TaskAck(event_id=first.event_id, team_id="near", status="resolved", outcome="refused_supplies_given",
                                   at=EVENING + timedelta(minutes=21)))
    assert done.events[0].outcome == "refused_supplies_given" and incident.status == "followup_due"
