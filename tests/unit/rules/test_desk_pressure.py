"""Dispatch under pressure: lead and support units, ETA, queue escalation, diversion, unit timers,
no demotion, merges, destinations and follow-ups (DOMAIN "Dispatch under pressure")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from core.records import DispatchEvent, Report, TaskAck
from geo.distance import offset_latlon
from rules.context import Context
from rules.desk import Desk, Outputs
from tests.unit.rules.deskkit import CENTRE, EVENING, NIGHT, team


def test_mental_case_takes_a_medical_lead_and_a_police_support_unit(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "medic", 500, ("medical", "vehicle"))
    team(desk, "police", 800, ("police", "social_work"))
    out = desk.handle_report(report(flags=("mental",)))
    lead, support = out.events
    assert lead.kind == "dispatch" and lead.team_id == "medic" and lead.unit_role == "lead"
    assert support.kind == "support" and support.unit_team_id == "police" and support.team_id == "medic"
    assert "support:police" in support.rules and support.ack_deadline is not None
    assert [a["role"] for a in support.assignments] == ["lead", "support"]
    assert {t.team_id for t in out.tasks} == {"medic", "police"}
    # The support unit's own ack and release.
    acked = desk.handle_ack(TaskAck(event_id=support.event_id, team_id="police", status="accepted", at=EVENING + timedelta(minutes=1)))
    assert acked.events[0].kind == "update"
    done = desk.handle_ack(TaskAck(event_id=lead.event_id, team_id="medic", status="resolved", outcome="taken_to_hospital",
                                   at=EVENING + timedelta(minutes=30)))
    assert [t.kind for t in done.tasks] == ["cancel"] and done.tasks[0].team_id == "police"
    assert desk.teams["police"].free


def test_no_free_support_unit_gives_a_partner_notice_and_never_holds_the_lead(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "medic", 500, ("medical", "vehicle"))
    out = desk.handle_report(report(flags=("mental",)))
    assert out.events[0].team_id == "medic"
    assert out.events[1].kind == "update" and "partner_notice:police" in out.events[1].rules and "police" in out.events[1].notify


def test_a_later_report_of_a_mental_disorder_brings_the_police_support_unit(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "medic", 500, ("medical", "vehicle"))
    team(desk, "police", 800, ("police", "social_work"))
    first = desk.handle_report(report(flags=("injured",))).events
    assert [e.kind for e in first] == ["dispatch"] and first[0].team_id == "medic"
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=20, channel="courier", flags=("injured", "mental")))
    assert [e.kind for e in out.events] == ["update", "support"] and out.events[1].unit_team_id == "police"
    assert [(t.kind, t.team_id) for t in out.tasks] == [("assign", "police")]


def test_a_lead_that_no_longer_fits_is_replaced_by_an_able_free_team(desk: Desk, report: Callable[..., Report]) -> None:
    """A walking social worker sent to someone a later report says is injured: the medical team takes over."""
    team(desk, "walker", 300)
    team(desk, "medic", 3000, ("medical", "vehicle"))
    first = desk.handle_report(report()).events[0]
    assert first.kind == "dispatch" and first.team_id == "walker"
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=20, channel="courier", flags=("injured",)))
    assert [e.kind for e in out.events] == ["update", "dispatch"] and out.events[1].team_id == "medic"
    assert "lacks medical" in out.events[1].reason
    assert [(t.kind, t.team_id) for t in out.tasks] == [("cancel", "walker"), ("assign", "medic")]
    assert desk.teams["walker"].free and desk.incidents[first.incident_id].team_id == "medic"


def test_a_lead_that_no_longer_fits_stays_on_scene_or_when_no_able_team_is_free(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "walker", 300)
    first = desk.handle_report(report()).events[0]
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=20, channel="courier", flags=("injured",)))
    assert [e.kind for e in out.events] == ["update"] and not out.tasks  # nobody able is free: the walker keeps going
    assert desk.incidents[first.incident_id].team_id == "walker"
    desk.handle_ack(TaskAck(event_id=first.event_id, team_id="walker", status="on_scene", at=EVENING + timedelta(minutes=5)))
    team(desk, "medic", 3000, ("medical", "vehicle"), at=EVENING + timedelta(minutes=6))
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=7), east_m=10, channel="driver", flags=("injured",)))
    assert "dispatch" not in [e.kind for e in out.events]  # the team on scene is not pulled away
    assert desk.incidents[first.incident_id].team_id == "walker"


def test_a_support_unit_going_off_duty_is_replaced(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "medic", 500, ("medical", "vehicle"))
    team(desk, "police", 800, ("police",))
    team(desk, "police-2", 1800, ("police",))
    lead, support = desk.handle_report(report(flags=("mental",))).events
    assert support.unit_team_id == "police"
    out = team(desk, "police", 800, ("police",), at=EVENING + timedelta(minutes=2), status="off_duty")
    assert [e.kind for e in out.events] == ["update", "support"] and out.events[1].unit_team_id == "police-2"
    assert [(t.kind, t.team_id) for t in out.tasks] == [("cancel", "police"), ("assign", "police-2")]
    assert desk.incidents[lead.incident_id].team_id == "medic"
    # With nobody left to send, the need is a partner notice.
    out = team(desk, "police-2", 1800, ("police",), at=EVENING + timedelta(minutes=3), status="off_duty")
    assert [e.kind for e in out.events] == ["update", "update"] and "partner_notice:police" in out.events[1].rules
    assert desk.incidents[lead.incident_id].active_supports() == []


def test_team_is_chosen_by_eta_not_distance(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "walker", 800)  # 800 m x 1.4 on foot at 4 km/h: ~17 min
    team(desk, "driver", 2000, ("social_work", "vehicle"))  # 2.8 km at 25 km/h: ~6.7 min
    team(desk, "far", 5000, ("social_work", "vehicle"))
    event = desk.handle_report(report()).events[0]
    assert event.team_id == "driver" and event.eta_min == pytest.approx(6.72, abs=0.05)
    assert [c["team_id"] for c in event.candidates] == ["far", "walker"]
    assert "eta" in event.rules


def test_immobile_person_needs_a_vehicle(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "walker", 100)
    team(desk, "van", 3000, ("social_work", "vehicle"))
    assert desk.handle_report(report(flags=("immobile",))).events[0].team_id == "van"


def test_queued_p1_escalates_at_its_deadline_then_to_the_leader(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "busy", 500, ("medical", "vehicle"), status="on_scene")
    queued = desk.handle_report(report(flags=("unresponsive",))).events[0]
    assert queued.kind == "queued" and queued.priority == "P1" and queued.queued_since == EVENING
    assert desk.handle_tick(EVENING + timedelta(minutes=4)).events == []
    first = desk.handle_tick(EVENING + timedelta(minutes=5)).events
    assert [(e.kind, e.escalate_to, e.escalation_cause) for e in first] == [("escalation", "duty_supervisor", "queued")]
    second = desk.handle_tick(EVENING + timedelta(minutes=10)).events
    assert [(e.kind, e.escalate_to) for e in second] == [("escalation", "leader_on_duty")]
    # At the top of the chain the leader is reminded at every further deadline.
    assert desk.handle_tick(EVENING + timedelta(minutes=14)).events == []
    third = desk.handle_tick(EVENING + timedelta(minutes=15)).events
    assert [(e.kind, e.escalate_to, e.escalation_level) for e in third] == [("escalation", "leader_on_duty", 2)]
    # The moment the team frees up, the queued P1 is offered to it.
    freed = team(desk, "busy", 500, ("medical", "vehicle"), at=EVENING + timedelta(minutes=31))
    assert freed.events[0].kind == "dispatch" and freed.events[0].team_id == "busy"


def test_a_queued_p1_reported_between_ticks_escalates_on_the_last_tick_before_its_deadline(
        desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "busy", 500, ("medical", "vehicle"), status="on_scene")
    reported = EVENING + timedelta(seconds=37)  # deadline 5 min on: 18:05:37, between the minute ticks
    desk.handle_report(report(at=reported, flags=("unresponsive",)))
    assert desk.handle_tick(EVENING + timedelta(minutes=4)).events == []  # the next tick (18:05) is still before it
    first = desk.handle_tick(EVENING + timedelta(minutes=5)).events  # 18:06 would be past it
    assert [(e.kind, e.escalation_cause) for e in first] == [("escalation", "queued")]
    assert first[0].at - reported <= timedelta(minutes=5)


def test_a_queued_task_escalates_exactly_at_its_deadline_when_the_clock_step_is_zero(
        ctx: Context, report: Callable[..., Report]) -> None:
    exact = Desk(replace(ctx, policy=replace(ctx.policy, clock_step_s=0.0)), "harbin")
    team(exact, "busy", 500, ("medical", "vehicle"), status="on_scene")
    exact.handle_report(report(at=EVENING + timedelta(seconds=37), flags=("unresponsive",)))
    assert exact.handle_tick(EVENING + timedelta(minutes=5)).events == []
    assert exact.handle_tick(EVENING + timedelta(minutes=5, seconds=37)).events[0].kind == "escalation"


def test_a_queued_task_whose_priority_rises_escalates_by_its_new_deadline(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "busy", 500, status="on_scene")
    queued = desk.handle_report(report()).events[0]  # guidance in the evening: P3, 30 min to escalate
    assert queued.kind == "queued" and queued.priority == "P3"
    raised = desk.handle_report(report(at=EVENING + timedelta(minutes=10), east_m=20, flags=("refuses", "elderly", "intoxicated"))).events
    # A P1 waits 5 min, not a P3's 30: queued 10 min ago, it goes up the chain at once, in the report's own step
    # (it waited for the next tick before: `_escalate_overdue`), and the tick escalates it no further.
    assert [(e.kind, e.priority, e.escalation_cause) for e in raised] == [("update", "P1", None), ("escalation", "P1", "queued")]
    assert raised[-1].incident_id == queued.incident_id
    assert desk.handle_tick(EVENING + timedelta(minutes=10)).events == []
    assert desk.handle_tick(EVENING + timedelta(minutes=14)).events == []  # the next wait: 5 min from the escalation
    assert [e.kind for e in desk.handle_tick(EVENING + timedelta(minutes=15)).events] == ["escalation"]


def test_a_stricter_cold_wave_level_brings_a_queued_deadline_forward(desk: Desk, report: Callable[..., Report]) -> None:
    from core.records import WeatherWarning

    team(desk, "busy", 500, ("medical", "vehicle"), status="on_scene")
    desk.handle_tick(NIGHT)  # the clock runs on to the night (an input may run at most an hour ahead of it)
    queued = desk.handle_report(report(at=NIGHT, flags=("unresponsive",))).events[0]
    assert queued.kind == "queued" and queued.priority == "P1"  # 5 min to escalate at no cold wave
    desk.handle_weather("*", WeatherWarning(issued_at=NIGHT + timedelta(minutes=1), level="red"))
    # Red halves it: 2.5 min from the queue, so the tick at +2 (the last before +2.5) escalates.
    assert [e.kind for e in desk.handle_tick(NIGHT + timedelta(minutes=2)).events if e.kind == "escalation"] == ["escalation"]


def test_a_warning_that_makes_a_queued_task_overdue_escalates_it_at_once(ctx: Context, report: Callable[..., Report]) -> None:
    """No silent queue: orange makes a P3 queued 10 min a P2 whose 7.5 min (from its wait) have passed; the warning's
    own step escalates it (desk_audit5's cw5-red-in-daoli-only), not the next tick, and that tick does not again.
    Yellow's P2 waits 15 min from the queue: not due at +10, nothing escalates."""
    from core.records import WeatherWarning

    steps = {}
    for level in ("orange", "yellow"):
        desk = Desk(ctx, "harbin")
        desk.handle_tick(EVENING)
        assert desk.handle_report(report(at=EVENING)).events[0].kind == "queued"
        desk.handle_tick(EVENING + timedelta(minutes=10))
        out = desk.handle_weather("*", WeatherWarning(issued_at=EVENING + timedelta(minutes=10), level=level))
        steps[level] = ([(e.kind, e.priority, e.escalate_to) for e in out.events],
                        [e.kind for e in desk.handle_tick(EVENING + timedelta(minutes=11)).events])
    assert steps["orange"] == ([("update", "P2", None), ("escalation", "P2", "duty_supervisor")], [])
    assert steps["yellow"] == ([("update", "P2", None)], [])


def test_queue_empties_in_priority_order(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "t", 0, ("medical", "social_work", "vehicle"), status="on_scene")
    p3 = desk.handle_report(report(at=EVENING, east_m=0)).events[0]
    p2 = desk.handle_report(report(at=EVENING + timedelta(minutes=1), east_m=1000, flags=("minor",))).events[0]
    p1 = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=2000, flags=("ill",))).events[0]
    assert {p3.kind, p2.kind, p1.kind} == {"queued"}
    order = []
    out = team(desk, "t", 0, ("medical", "social_work", "vehicle"), at=EVENING + timedelta(minutes=3))
    for n in range(3):  # the team freed by each outcome takes the next at once (desk_audit3)
        given = next(e for e in out.events if e.kind == "dispatch")
        order.append(given.incident_id)
        out = desk.handle_ack(TaskAck(event_id=given.event_id, team_id="t", status="resolved", outcome="taken_to_station",
                                      at=EVENING + timedelta(minutes=4 + n)))
    assert order == [p1.incident_id, p2.incident_id, p3.incident_id]


def test_among_equal_priorities_the_key_area_and_the_oldest_report_go_first_whatever_was_reassessed(
        desk: Desk, report: Callable[..., Report]) -> None:
    """Where the person will be taken is no rule that raises: a queued incident a second report reassessed (its
    destination rule dropped until it is assigned) still ranks by key area and age, not behind a newer one."""
    older = desk.handle_report(report(at=EVENING)).events[0]  # in a key area
    newer = desk.handle_report(report(at=EVENING + timedelta(minutes=1), east_m=2000)).events[0]
    assert older.key_area and not newer.key_area and older.priority == newer.priority == "P3"
    again = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=30, channel="courier")).events[0]
    assert again.incident_id == older.incident_id and again.priority == "P3"
    out = team(desk, "t", 1000, at=EVENING + timedelta(minutes=3))
    assert [e.incident_id for e in out.events if e.kind == "dispatch"] == [older.incident_id]


def test_p1_diverts_a_team_en_route_to_a_p3(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "medic", 500, ("medical", "vehicle"))
    p3 = desk.handle_report(report(east_m=1500)).events[0]
    desk.handle_ack(TaskAck(event_id=p3.event_id, team_id="medic", status="accepted", at=EVENING + timedelta(minutes=1)))
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=2), flags=("injured",)))
    back, p1 = out.events
    assert back.incident_id == p3.incident_id and back.kind == "queued" and f"diverted_to:{p1.incident_id}" in back.rules
    assert back.queued_since == p3.first_report_at  # it keeps its timers
    assert p1.kind == "dispatch" and p1.team_id == "medic" and "diversion" in p1.rules
    assert [(t.kind, t.incident_id) for t in out.tasks] == [("cancel", p3.incident_id), ("assign", p1.incident_id)]


def test_no_diversion_of_a_team_already_on_scene(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "medic", 500, ("medical", "vehicle"))
    p3 = desk.handle_report(report(east_m=1500)).events[0]
    desk.handle_ack(TaskAck(event_id=p3.event_id, team_id="medic", status="on_scene", at=EVENING + timedelta(minutes=1)))
    team(desk, "medic", 1500, ("medical", "vehicle"), at=EVENING + timedelta(minutes=1), status="on_scene")
    (p1,) = desk.handle_report(report(at=EVENING + timedelta(minutes=2), flags=("injured",))).events
    assert p1.kind == "queued" and "diversion" not in p1.rules
    assert desk.incidents[p3.incident_id].team_id == "medic"


def test_no_diversion_when_it_costs_too_much(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "medic", 0, ("medical", "vehicle"))
    desk.handle_report(report(east_m=100))
    (p1,) = desk.handle_report(report(at=EVENING + timedelta(minutes=1), east_m=20_000, flags=("injured",))).events
    assert p1.kind == "queued"


def test_unattended_person_is_never_demoted(desk: Desk, report: Callable[..., Report], ctx: Context) -> None:
    first = desk.handle_report(report(at=NIGHT)).events[0]
    assert first.priority == "P2" and "night" in first.rules
    incident = desk.incidents[first.incident_id]
    from rules.desk.assessment import reassess
    from rules.weather import RegionConditions

    reassess(incident, ctx.policy, night=False, weather=RegionConditions())
    assert incident.priority == "P2" and "no_demotion" in incident.rules
    incident.reached = True
    reassess(incident, ctx.policy, night=False, weather=RegionConditions())
    assert incident.priority == "P3"


def test_unit_timer_on_scene_without_outcome(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "t", 300)
    first = desk.handle_report(report()).events[0]
    desk.handle_ack(TaskAck(event_id=first.event_id, team_id="t", status="on_scene", at=EVENING + timedelta(minutes=5)))
    assert desk.handle_tick(EVENING + timedelta(minutes=64)).events == []
    out = desk.handle_tick(EVENING + timedelta(minutes=65))
    assert [e.kind for e in out.events] == ["unit_timer"] and "unit_timer:on_scene" in out.events[0].rules
    assert [(t.kind, t.team_id) for t in out.tasks] == [("report", "t")]


def test_unit_timer_en_route_counts_from_the_acceptance(desk: Desk, report: Callable[..., Report]) -> None:
    """A team that accepts late (within its deadline) is on its way from then: ETA + margin after the acceptance,
    not after the assignment, before the desk asks it to report."""
    team(desk, "t", 300)
    first = desk.handle_report(report()).events[0]
    eta, margin = first.eta_min, desk.ctx.policy.dispatching.timers.en_route_margin_min
    accepted = EVENING + timedelta(minutes=25)  # P3: 30 min to acknowledge
    desk.handle_ack(TaskAck(event_id=first.event_id, team_id="t", status="accepted", at=accepted))
    due = accepted + timedelta(minutes=eta + margin)
    assert desk.handle_tick(due - timedelta(minutes=1)).events == []
    out = desk.handle_tick(due + timedelta(minutes=1))
    assert [e.kind for e in out.events] == ["unit_timer"] and "unit_timer:en_route" in out.events[0].rules
    restored = Desk(desk.ctx, desk.centre)
    restored.load_entries(desk.take_dirty())
    assert restored.incidents[first.incident_id].accepted_at == accepted, "kept in the desk's state"


def test_two_people_100m_apart_with_different_descriptions_stay_two(desk: Desk, report: Callable[..., Report]) -> None:
    a = desk.handle_report(report(sex="male", flags=("elderly",))).events[0]
    b = desk.handle_report(report(at=EVENING + timedelta(minutes=3), east_m=100, sex="female")).events[0]
    assert a.incident_id != b.incident_id
    c = desk.handle_report(report(at=EVENING + timedelta(minutes=4), east_m=50, persons=3)).events
    assert all(e.kind != "merged" for e in c)


def test_an_unconscious_person_and_an_old_man_70m_up_the_street_stay_two(desk: Desk, report: Callable[..., Report]) -> None:
    """The cold-wave drill's false match: a street address (its extent) put a no_id old man's tip within reach of an
    unconscious man's incident, and the descriptions said nothing against it (both male, posture unknown)."""
    lying_man = desk.handle_report(report(sex="male", flags=("unresponsive",), posture="lying", accuracy_m=300)).events[0]
    old_man = desk.handle_report(report(at=EVENING + timedelta(minutes=8), east_m=74, sex="male", flags=("no_id", "elderly"),
                                        accuracy_m=300)).events[0]
    assert old_man.incident_id != lying_man.incident_id and old_man.kind in ("dispatch", "queued")
    # Being old is no trouble in common: a blind old man and an old man with a fever are two people.
    blind = desk.handle_report(report(at=EVENING + timedelta(minutes=8), east_m=-2000, flags=("disabled", "elderly"))).events[0]
    fever = desk.handle_report(report(at=EVENING + timedelta(minutes=9), east_m=-1900, flags=("ill", "elderly"))).events[0]
    assert fever.incident_id != blind.incident_id
    # "An old man with nowhere to go" next to an unconscious man is somebody else too.
    nowhere = desk.handle_report(report(at=EVENING + timedelta(minutes=10), east_m=60, flags=("elderly",))).events[0]
    assert nowhere.incident_id != lying_man.incident_id
    # Callers who name the same trouble (or none) are still one person.
    again = desk.handle_report(report(at=EVENING + timedelta(minutes=9), east_m=20, flags=("unresponsive", "injured"))).events[0]
    plain = desk.handle_report(report(at=EVENING + timedelta(minutes=10), east_m=-30, sex="male")).events[0]
    assert again.incident_id == lying_man.incident_id and plain.incident_id == lying_man.incident_id


def test_situation_is_policy_data(ctx: Context, report: Callable[..., Report]) -> None:
    fields = tuple(f for f in ctx.policy.dispatching.describe if f != "situation")
    lenient = Desk(replace(ctx, policy=replace(ctx.policy, dispatching=replace(ctx.policy.dispatching, describe=fields))), "harbin")
    a = lenient.handle_report(report(flags=("refuses",))).events[0]
    b = lenient.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=80, flags=("migrant_worker",))).events[0]
    assert a.incident_id == b.incident_id  # without it, two women at one market door are one incident


def test_the_most_precise_call_places_the_incident(desk: Desk, report: Callable[..., Report]) -> None:
    """A hotline fix (240 m) then a police fix (20 m) 400 m east: a report 420 m west of the police fix, within the
    first fix's reach, is somebody else."""
    vague = desk.handle_report(report(accuracy_m=240)).events[0]
    precise = desk.handle_report(report(at=EVENING + timedelta(minutes=4), east_m=100, accuracy_m=20)).events[-1]
    assert precise.incident_id == vague.incident_id
    assert desk.incidents[vague.incident_id].uncertainty_m == 20
    assert precise.lon > vague.lon  # moved to the precise fix
    other = desk.handle_report(report(at=EVENING + timedelta(minutes=6), east_m=-320, accuracy_m=100)).events[0]
    assert other.incident_id != vague.incident_id


def test_a_camera_only_person_is_looked_for_where_the_camera_saw_them_last(desk: Desk, report: Callable[..., Report]) -> None:
    """One track walking 100 m east every 5 min: the incident follows it, so the team's ETA is from the last frame;
    a vaguer frame (a drone's 30 m) does not pull it off a fixed camera's 5 m spot."""
    def frame(minutes: int, east_m: float, error_m: float = 5.0) -> Report:
        return report(at=EVENING + timedelta(minutes=minutes), east_m=east_m, source="detection", channel="thermal",
                      error_m=error_m, posture="standing", camera_id="cam-1", track_id="trk-1")
    first = desk.handle_report(frame(0, 0)).events[0]
    desk.handle_report(frame(5, 100))
    last = desk.handle_report(frame(10, 200)).events[-1]
    assert last.incident_id == first.incident_id and len(desk.incidents) == 1
    assert (last.lat, last.lon) == pytest.approx(offset_latlon(*CENTRE, 200, 0))
    desk.handle_report(frame(12, 230, error_m=30.0))
    assert (desk.incidents[first.incident_id].lat, desk.incidents[first.incident_id].lon) == pytest.approx(offset_latlon(*CENTRE, 200, 0))
    out = team(desk, "t1", 500, at=EVENING + timedelta(minutes=13))
    assert out.events[-1].team_id == "t1" and out.events[-1].eta_min == pytest.approx(300 * 0.021, abs=0.01)


def test_position_uncertainty_widens_the_match(desk: Desk, report: Callable[..., Report]) -> None:
    a = desk.handle_report(report()).events[0]
    far = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=300)).events[0]
    assert far.incident_id != a.incident_id
    near = desk.handle_report(report(at=EVENING + timedelta(minutes=3), east_m=-250, accuracy_m=120)).events[0]
    assert near.incident_id == a.incident_id


def test_a_linking_report_merges_two_open_incidents(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "t1", 0)
    team(desk, "t2", 400)
    a = desk.handle_report(report(east_m=0)).events[0]
    b = desk.handle_report(report(at=EVENING + timedelta(minutes=1), east_m=260)).events[0]
    assert a.incident_id != b.incident_id and b.team_id == "t2"
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=130, accuracy_m=10))
    merged = next(e for e in out.events if e.kind == "merged")
    assert merged.incident_id == b.incident_id and merged.merged_into == a.incident_id
    survivor = out.events[-1]
    assert survivor.incident_id == a.incident_id and set(b.sources) <= set(survivor.sources) and len(survivor.sources) == 3
    assert ("cancel", "t2") in [(t.kind, t.team_id) for t in out.tasks] and desk.teams["t2"].incident_id is None
    # A late ack for the merged task changes nothing.
    assert desk.handle_ack(TaskAck(event_id=b.event_id, team_id="t2", status="accepted", at=EVENING + timedelta(minutes=3))).events == []


def test_destination_fits_the_need(desk: Desk, report: Callable[..., Report]) -> None:
    medical = desk.handle_report(report(flags=("injured",))).events[0]
    assert medical.destination is not None and medical.destination.kind == "hospital" and "destination:medical" in medical.rules
    minor = desk.handle_report(report(east_m=3000, flags=("minor",))).events[0]
    assert minor.destination is not None and minor.destination.id == "hp-minors-center" and "destination:minors" in minor.rules
    desk.handle_tick(NIGHT)
    guidance = desk.handle_report(report(at=NIGHT, east_m=-3000)).events[0]
    assert guidance.destination is not None and guidance.destination.kind in ("help_point", "warm_up_site")


def test_the_destination_follows_a_change_of_category(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "t", 300)
    guidance = desk.handle_report(report()).events[0]
    assert guidance.destination is not None and guidance.destination.kind in ("help_point", "warm_up_site")
    injured = desk.handle_report(report(at=EVENING + timedelta(minutes=3), east_m=20, channel="courier", flags=("injured",))).events[0]
    assert injured.incident_id == guidance.incident_id and injured.category == "medical"
    assert injured.destination is not None and injured.destination.kind == "hospital" and "destination:medical" in injured.rules


def test_the_destination_follows_a_flag_that_keeps_the_category(desk: Desk, report: Callable[..., Report]) -> None:
    """A wheelchair user to the rescue station; a later report says it is a child: the same category, the
    minors' centre."""
    team(desk, "t", 300)
    adult = desk.handle_report(report(east_m=3000, flags=("disabled",))).events[0]
    assert adult.category == "escort_station" and adult.destination is not None and "destination:escort_station" in adult.rules
    assert adult.destination.id != "hp-minors-center"
    child = desk.handle_report(report(at=EVENING + timedelta(minutes=3), east_m=3020, channel="courier", flags=("disabled", "minor"))).events[0]
    assert child.incident_id == adult.incident_id and child.category == "escort_station"
    assert child.destination is not None and child.destination.id == "hp-minors-center" and "destination:minors" in child.rules
    assert "destination:escort_station" not in child.rules


def test_followup_only_when_the_person_stays_outside(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "t", 300)
    refuses = desk.handle_report(report(flags=("refuses",))).events[0]
    desk.handle_ack(TaskAck(event_id=refuses.event_id, team_id="t", status="resolved", outcome="taken_to_station", at=EVENING + timedelta(minutes=20)))
    assert desk.incidents[refuses.incident_id].status == "resolved"
    team(desk, "t", 300, at=EVENING + timedelta(minutes=21))
    other = desk.handle_report(report(at=EVENING + timedelta(minutes=30), east_m=2000)).events[0]
    done = desk.handle_ack(TaskAck(event_id=other.event_id, team_id="t", status="resolved", outcome="refused_supplies_given",
                                   at=EVENING + timedelta(minutes=50)))
    assert "followup" in done.events[0].rules and desk.incidents[other.incident_id].status == "followup_due"


def test_a_person_left_outside_who_gets_worse_is_visited_now_not_at_the_follow_up(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "t", 300)
    team(desk, "medic", 2000, ("medical", "vehicle"))
    first = desk.handle_report(report(flags=("refuses",))).events[0]
    desk.handle_ack(TaskAck(event_id=first.event_id, team_id="t", status="resolved", outcome="refused", at=EVENING + timedelta(minutes=10)))
    assert desk.incidents[first.incident_id].status == "followup_due"
    # Seen again as before: the visit stays where it was scheduled.
    same = desk.handle_report(report(at=EVENING + timedelta(minutes=14), east_m=20, channel="courier")).events
    assert [e.kind for e in same] == ["update"] and desk.incidents[first.incident_id].status == "followup_due"
    # Now injured: a P1 does not wait twelve hours for the follow-up.
    worse = desk.handle_report(report(at=EVENING + timedelta(minutes=15), east_m=20, channel="driver", flags=("refuses", "injured"))).events
    assert [e.kind for e in worse] == ["update", "dispatch"]
    assert worse[-1].incident_id == first.incident_id and worse[-1].priority == "P1" and worse[-1].team_id == "medic"
    assert worse[-1].ack_deadline == EVENING + timedelta(minutes=20)
    assert desk.incidents[first.incident_id].followup_at is None


def test_snow_halves_team_speed(desk: Desk, report: Callable[..., Report]) -> None:
    from core.records import WeatherObservation

    team(desk, "driver", 2000, ("social_work", "vehicle"))
    dry = desk.handle_report(report()).events[0]
    desk.handle_weather("*", WeatherObservation(observed_at=EVENING + timedelta(minutes=1), temp_c=-12.0, wind_ms=2.0, snow=True))
    team(desk, "driver2", 2000, ("social_work", "vehicle"), at=EVENING + timedelta(minutes=1))
    snowy = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=-3000)).events[0]
    assert "snow" in snowy.rules and "snow" not in dry.rules
    assert snowy.eta_min is not None and dry.eta_min is not None
    assert snowy.eta_min == pytest.approx(2 * 5000 * 1.4 / 25_000 * 60, abs=0.1) and dry.eta_min == pytest.approx(6.72, abs=0.05)


def _merge_into_the_team_on_scene(desk: Desk, report: Callable[..., Report]) -> tuple[DispatchEvent, DispatchEvent, Outputs]:
    """Incidents a and b 260 m apart, b's team on scene, then a precise report between them: (a, b, its outputs)."""
    team(desk, "t1", 0)
    team(desk, "t2", 400)
    a = desk.handle_report(report(east_m=0)).events[0]
    b = desk.handle_report(report(at=EVENING + timedelta(minutes=1), east_m=260)).events[0]
    desk.handle_ack(TaskAck(event_id=b.event_id, team_id="t2", status="on_scene", at=EVENING + timedelta(minutes=2)))
    return a, b, desk.handle_report(report(at=EVENING + timedelta(minutes=3), east_m=130, accuracy_m=10))


def test_merge_keeps_the_incident_whose_team_is_on_scene(desk: Desk, report: Callable[..., Report]) -> None:
    a, b, out = _merge_into_the_team_on_scene(desk, report)
    merged = next(e for e in out.events if e.kind == "merged")
    assert merged.incident_id == a.incident_id and merged.merged_into == b.incident_id
    assert desk.incidents[b.incident_id].team_id == "t2" and desk.teams["t1"].incident_id is None


def test_a_vague_report_never_links_two_incidents(desk: Desk, report: Callable[..., Report]) -> None:
    a = desk.handle_report(report(east_m=0)).events[0]
    b = desk.handle_report(report(at=EVENING + timedelta(minutes=1), east_m=260)).events[0]
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=130, accuracy_m=300))
    assert [e.kind for e in out.events] == ["update"] and out.events[0].incident_id in (a.incident_id, b.incident_id)


def test_a_merged_incident_is_looked_for_where_the_linking_report_saw_the_person(desk: Desk, report: Callable[..., Report]) -> None:
    # b's team is on scene, so b survives the merge, 260 m from where a's caller saw the person.
    a, b, out = _merge_into_the_team_on_scene(desk, report)
    linked = out.events
    assert (linked[0].kind, linked[0].incident_id) == ("merged", a.incident_id)
    # A later report 30 m from a's first report is the same person: it joins the survivor, not a new incident.
    later = desk.handle_report(report(at=EVENING + timedelta(minutes=4), east_m=20, accuracy_m=10)).events
    assert [e.incident_id for e in later] == [b.incident_id]


def test_a_closed_incident_does_not_keep_its_thermal_track(desk: Desk, report: Callable[..., Report]) -> None:
    """Drill seed 13: a fixed camera's tracker linked a lying person to the track of a person taken away from the
    same spot 20 min before; the track held them in the resolved incident, and for three hours nobody was sent."""
    team(desk, "a", 500)
    seen = {"source": "detection", "channel": "thermal", "posture": "lying", "camera_id": "cam-1", "track_id": "trk-1"}
    first = desk.handle_report(report(still_s=0.0, **seen)).events[0]
    assert first.team_id == "a"
    desk.handle_ack(TaskAck(event_id=first.event_id, team_id="a", status="on_scene", at=EVENING + timedelta(minutes=5)))
    desk.handle_ack(TaskAck(event_id=first.event_id, team_id="a", status="resolved", at=EVENING + timedelta(minutes=10),
                            outcome="taken_to_hospital"))
    again = desk.handle_report(report(at=EVENING + timedelta(minutes=20), still_s=1200.0, **seen)).events
    assert [e.kind for e in again] == ["dispatch"] and again[0].incident_id != first.incident_id and again[0].team_id == "a"
    # The track now feeds the new incident.
    later = desk.handle_report(report(at=EVENING + timedelta(minutes=40), still_s=2400.0, **seen)).events
    assert [e.incident_id for e in later] == [again[0].incident_id]


def test_an_open_incident_keeps_its_thermal_track_beyond_the_radius(desk: Desk, report: Callable[..., Report]) -> None:
    seen = {"source": "detection", "channel": "thermal", "posture": "standing", "camera_id": "cam-1", "track_id": "trk-1"}
    first = desk.handle_report(report(**seen)).events[0]
    walked = desk.handle_report(report(at=EVENING + timedelta(minutes=20), east_m=600, **seen)).events
    assert [e.incident_id for e in walked] == [first.incident_id]
