"""Console view model and team masking: records folded one by one, no broker."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from console.masking import TEAM_FIELDS, mask_text, team_view
from console.state import ConsoleState
from core import topics
from core.records import ClockTick, Conditions, DispatchEvent, HelpPointRef, Report, TaskAck, TaskHint, TeamStatus
from core.settings import DATA_DIR
from geo.city import TeamBase, load_city
from rules.desk import Desk
from tests.unit.rules.deskkit import NIGHT, team

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 12, 20, 22, 30, tzinfo=CST)


def event(incident: str = "inc-a", revision: int = 1, kind: str = "dispatch", **over: Any) -> DispatchEvent:
    values: dict[str, Any] = {
        "event_id": f"{incident}-r{revision}",
        "kind": kind,
        "incident_id": incident,
        "revision": revision,
        "priority": "P2",
        "category": "guidance",
        "rules": ("category:guidance", "night"),
        "zone_id": None,
        "key_area": None,
        "lat": 45.77,
        "lon": 126.62,
        "sources": ("h-1",),
        "team_id": "T-daoli-1",
        "ack_deadline": T0 + timedelta(minutes=15),
        "nearest_help_point": HelpPointRef(id="hp-1", name="站", distance_m=120.0, kind="help_point"),
        "notify": (),
        "at": T0 + timedelta(minutes=revision),
        "status": "assigned",
        "first_report_at": T0,
        "text": "老人叫不醒，报警人王建国 13912345678",
        "persons": 1,
        "flags": ("elderly",),
        "channels": ("hotline",),
    }
    values.update(over)
    return DispatchEvent(**values)


def city_teams() -> tuple[TeamBase, ...]:
    return load_city(DATA_DIR / "cities" / "harbin").teams


def test_latest_revision_wins_and_duplicates_are_dropped() -> None:
    state = ConsoleState()
    assert any(name == "incident" for name, _ in state.apply_dispatch(event(revision=1)))
    state.apply_dispatch(event(revision=3, kind="update", status="accepted"))
    # a duplicate and a late older revision change nothing
    assert not [c for c in state.apply_dispatch(event(revision=3, kind="update", status="accepted")) if c[0] == "incident"]
    assert not [c for c in state.apply_dispatch(event(revision=2, kind="update", status="on_scene")) if c[0] == "incident"]
    view = state.incidents["inc-a"]
    assert view.latest.revision == 3 and view.latest.status == "accepted"
    assert view.task_event_id == "inc-a-r1"  # an update keeps the task the team acknowledges
    assert [h["revision"] for h in view.history] == [1, 2, 3]


def test_sorted_by_priority_then_key_area_then_age() -> None:
    state = ConsoleState()
    state.apply_dispatch(event("old-p3", priority="P3", first_report_at=T0 - timedelta(hours=2)))
    state.apply_dispatch(event("new-p2", priority="P2", first_report_at=T0))
    state.apply_dispatch(event("old-p2", priority="P2", first_report_at=T0 - timedelta(minutes=30)))
    state.apply_dispatch(event("key-p2", priority="P2", key_area="bridge", first_report_at=T0 + timedelta(minutes=5)))
    state.apply_dispatch(event("p1", priority="P1"))
    assert [v.latest.incident_id for v in state.open_incidents()] == ["p1", "key-p2", "old-p2", "new-p2", "old-p3"]


def test_queued_resolved_and_escalations() -> None:
    state = ConsoleState()
    state.apply_dispatch(event("q", kind="queued", team_id=None, status="queued", ack_deadline=None))
    assert [v.latest.incident_id for v in state.queued()] == ["q"]
    state.apply_dispatch(event("q", revision=2, kind="dispatch", team_id="T-daoli-2"))
    assert state.queued() == []
    state.apply_dispatch(event("e", revision=1))
    state.apply_dispatch(event("e", revision=2, kind="escalation", escalation_level=1, escalate_to="supervisor", team_id="T-daoli-2"))
    view = state.incidents["e"].to_dict()
    assert view["escalation_level"] == 1 and len(view["escalations"]) == 1
    assert view["task_event_id"] == "e-r2"
    state.apply_dispatch(event("e", revision=3, kind="resolved", status="resolved", team_id="T-daoli-2"))
    assert "e" not in [v.latest.incident_id for v in state.open_incidents()]
    assert [v.latest.incident_id for v in state.closed_incidents()] == ["e"]
    snap = state.snapshot()
    assert [i["incident_id"] for i in snap["closed"]] == ["e"]


def test_now_follows_event_time_only_forward() -> None:
    state = ConsoleState()
    before = datetime.now(CST)
    assert state.now_or_wall() >= before  # nothing seen: wall clock
    state.apply_clock(ClockTick(at=T0))
    state.apply_dispatch(event(revision=5))
    assert state.now == T0 + timedelta(minutes=5)
    assert state.apply_clock(ClockTick(at=T0)) == []
    assert state.now_or_wall() == T0 + timedelta(minutes=5)


def test_teams_seeded_from_city_and_updated_by_status() -> None:
    state = ConsoleState(city_teams())
    assert "T-daoli-1" in state.teams and state.teams["T-daoli-1"].status == "unknown"
    state.apply_team_status(TeamStatus(team_id="T-daoli-1", at=T0, status="en_route", lat=45.771, lon=126.615))
    state.apply_team_status(TeamStatus(team_id="T-daoli-1", at=T0 - timedelta(minutes=1), status="available", lat=1.0, lon=1.0))
    team = state.team_dict("T-daoli-1")
    assert team["status"] == "en_route" and team["lat"] == 45.771 and team["name"]
    state.apply_dispatch(event())
    assert state.team_dict("T-daoli-1")["incident_id"] == "inc-a"


def test_conditions_latest_per_region() -> None:
    state = ConsoleState()
    state.apply_conditions(Conditions(region="daoli", at=T0, cold_wave_level="orange", night=True))
    state.apply_conditions(Conditions(region="daoli", at=T0 - timedelta(hours=1), cold_wave_level="none", night=False))
    assert state.conditions[("", "daoli")].cold_wave_level == "orange"


def test_each_citys_city_wide_weather_is_its_own() -> None:
    state = ConsoleState()
    state.apply_conditions(Conditions(region="*", at=T0, cold_wave_level="red", night=True, centre="harbin"))
    state.apply_conditions(Conditions(region="*", at=T0, cold_wave_level="none", night=True, centre="qiqihar"))
    state.apply_conditions(Conditions(region="longsha", at=T0, cold_wave_level="yellow", night=True, centre="qiqihar"))
    assert len(state.snapshot()["conditions"]) == 3
    assert [(c.centre, c.cold_wave_level) for c in (state.conditions_in("harbin", "daoli"), state.conditions_in("qiqihar", "jianhua"),
                                                    state.conditions_in("qiqihar", "longsha"))] == [("harbin", "red"), ("qiqihar", "none"), ("qiqihar", "yellow")]
    assert state.conditions_in("", "daoli") is not None  # no province (one city): any city-wide weather


def test_apply_record_decodes_and_skips_malformed() -> None:
    state = ConsoleState()
    ev = event()
    assert state.apply_record(topics.DISPATCH, json.loads(ev.to_json()))
    assert state.incidents["inc-a"].latest == ev
    assert state.apply_record(topics.DISPATCH, {"event_id": "x"}) == []
    assert state.apply_record(topics.CONDITIONS, [1, 2]) == []
    assert state.apply_record(topics.CLOCK, {"at": "not a time"}) == []
    assert state.skipped == 3


def test_team_tasks_only_open_tasks_of_that_team() -> None:
    state = ConsoleState()
    state.apply_dispatch(event("mine"))
    state.apply_dispatch(event("other", team_id="T-daoli-2"))
    state.apply_dispatch(event("done"))
    state.apply_dispatch(event("done", revision=2, kind="resolved", status="resolved"))
    assert [v.latest.incident_id for v in state.team_tasks("T-daoli-1")] == ["mine"]


def test_a_support_unit_holds_its_own_task_until_the_incident_ends() -> None:
    state = ConsoleState()
    lead = {"team_id": "T-daoli-1", "role": "lead", "event_id": "inc-m-r1", "status": "accepted"}
    support = {"team_id": "T-police-1", "role": "support", "event_id": "inc-m-r2", "status": "assigned"}
    state.apply_dispatch(event("inc-m", revision=2, kind="support", assignments=(lead, support)))
    view = state.incidents["inc-m"]
    assert view.task_of("T-police-1") == "inc-m-r2" and view.task_of("T-daoli-2") is None
    assert [v.latest.incident_id for v in state.team_tasks("T-police-1")] == ["inc-m"]
    released = {**support, "status": "released"}
    state.apply_dispatch(event("inc-m", revision=3, kind="resolved", status="resolved", assignments=({**lead, "status": "resolved"}, released)))
    view = state.incidents["inc-m"]
    assert view.task_of("T-police-1") is None and view.ended_for("T-police-1") and not view.ended_for("T-daoli-2")


def test_mask_text_hides_personal_details() -> None:
    masked = mask_text("报警人王建国，电话139-1234-5678，身份证230102198001011234，车牌黑A12345，张大爷在桥下")
    for secret in ("王建国", "139-1234-5678", "230102198001011234", "黑A12345", "张大爷"):
        assert secret not in masked
    assert "桥下" in masked
    english = mask_text("Old man named John Smith, call +86 139 1234 5678 or a.b@example.cn, since 2026-12-20")
    for secret in ("John", "Smith", "1234", "a.b@example.cn"):
        assert secret not in english
    assert "2026-12-20" in english and "Old man" in english


def test_team_view_is_an_allow_list() -> None:
    view = team_view(event().to_dict(), "inc-a-r1")
    assert set(view) == {*TEAM_FIELDS, "event_id", "text"}
    assert "sources" not in view and "channels" not in view and "reason" not in view
    assert view["event_id"] == "inc-a-r1"
    assert "13912345678" not in view["text"] and "王建国" not in view["text"]
    assert view["persons"] == 1 and view["flags"] == ["elderly"] and view["nearest_help_point"]["id"] == "hp-1"


def test_merged_incident_closes_and_support_team_counts_as_busy() -> None:
    state = ConsoleState(city_teams())
    unit = {"team_id": "T-daowai-3", "role": "support", "event_id": "inc-a-r2", "status": "assigned", "ack_deadline": None, "eta_min": 4.0}
    lead = {"team_id": "T-daoli-1", "role": "lead", "event_id": "inc-a-r1", "status": "assigned", "ack_deadline": None, "eta_min": 3.0}
    state.apply_dispatch(event(revision=1, assignments=(lead,)))
    state.apply_dispatch(event(revision=2, kind="support", unit_role="support", unit_team_id="T-daowai-3", assignments=(lead, unit)))
    view = state.incidents["inc-a"]
    assert view.task_event_id == "inc-a-r1" and view.latest.team_id == "T-daoli-1"  # the lead's task stays the task
    assert state.team_incident("T-daowai-3") == "inc-a"
    state.apply_dispatch(event(incident="inc-b", revision=1))
    state.apply_dispatch(event(incident="inc-b", revision=2, kind="merged", status="merged", team_id=None, merged_into="inc-a"))
    assert state.incidents["inc-b"].closed and "inc-b" not in [v.latest.incident_id for v in state.open_incidents()]


def test_the_ledgers_task_hint_is_kept_per_team_and_incident_latest_first() -> None:
    state = ConsoleState(city_teams())
    state.apply_dispatch(event("mine"))

    def hint(at_min: int, person: str, team: str = "T-daoli-1", linked: bool = False) -> dict[str, Any]:
        return TaskHint(
            hint_id=f"mine-r1-file-{person}-{team}" if linked else f"mine-r1-known-{team}", team_id=team, incident_id="mine", task_event_id="mine-r1",
            at=T0 + timedelta(minutes=at_min), person_id=person, linked=linked, score=None if linked else 0.8, sex="male", age_group="elderly", appearance="军大衣", usual="usually within 20 m of here",
            what_helps=("health: diabetic",),
        ).to_dict()  # fmt: skip

    assert state.known_for("T-daoli-1", "mine") is None
    changes = state.apply_record(topics.TASK_HINTS, hint(2, "P-2"))
    assert [name for name, _ in changes] == ["team"]  # the team's phone re-renders its tasks
    assert state.apply_record(topics.TASK_HINTS, hint(2, "P-2")) == []  # a replayed hint changes nothing
    assert state.apply_record(topics.TASK_HINTS, hint(1, "P-old")) == []  # nor does an older one
    known = state.known_for("T-daoli-1", "mine")
    assert known is not None and known["person_id"] == "P-2" and known["what_helps"] == ["health: diabetic"]
    assert "team_id" not in known and "hint_id" not in known
    assert state.known_for("T-daoli-2", "mine") is None  # another team's hint would be its own
    # The file the team then confirmed, at the same event time, wins over the suggestion.
    assert state.apply_record(topics.TASK_HINTS, hint(2, "P-2", linked=True)) != []
    confirmed = state.known_for("T-daoli-1", "mine")
    assert confirmed is not None and confirmed["linked"] is True
    assert state.apply_record(topics.TASK_HINTS, hint(2, "P-2")) == []  # the suggestion re-sent by a replaying feeder does not undo it
    assert state.apply_record(topics.TASK_HINTS, {"hint_id": "x"}) == [] and state.skipped == 1


def test_a_time_without_offset_or_in_year_9999_is_skipped_before_the_view_keeps_it() -> None:
    """Read first, a clock tick without offset became the console's now: every later record then raised TypeError
    and was skipped (an empty console, phones answering 500). A first report without offset made /metrics fail,
    and year 9999 at -05:00 every page of open incidents (OverflowError sorting them in UTC)."""
    state = ConsoleState(city_teams())
    assert state.apply_record(topics.CLOCK, {"at": "2026-12-20T22:30:00"}) == [] and state.now is None
    naive = {**json.loads(event("naive").to_json()), "first_report_at": "2026-12-20"}
    far = {**json.loads(event("far").to_json()), "at": "9999-12-31T23:59:59-05:00"}
    status = {"team_id": "T-daoli-1", "at": "2026-12-20T22:31:00", "status": "on_scene", "lat": 45.77, "lon": 126.62}
    for topic, record in ((topics.DISPATCH, naive), (topics.DISPATCH, far), (topics.TEAM_STATUS, status)):
        assert state.apply_record(topic, record) == []
    assert state.skipped == 4 and not state.incidents and state.teams["T-daoli-1"].at is None
    assert state.apply_record(topics.DISPATCH, json.loads(event("aware").to_json()))
    assert state.now == T0 + timedelta(minutes=1) and [v.latest.incident_id for v in state.open_incidents()] == ["aware"]
    assert state.snapshot()["incidents"][0]["incident_id"] == "aware"


def test_a_record_whose_fields_are_not_their_declared_types_is_skipped_before_the_view_keeps_it() -> None:
    """One dispatch event with a latitude NaN or "abc", a null incident id or a priority 5, kept, made /api/state a 500
    or JSON no browser reads (NaN), the team's task list a 500 and /metrics a 500, for every page at every restart."""
    state = ConsoleState(city_teams())
    good = json.loads(event("good").to_json())
    bad = [{**good, "event_id": f"bad-{i}-r1", "incident_id": f"bad-{i}", **over} for i, over in enumerate((
        {"lat": float("nan")}, {"lon": float("inf")}, {"lat": "abc"}, {"lat": 1e308}, {"lat": None}, {"incident_id": None},
        {"incident_id": 5}, {"priority": 5}, {"priority": ["P1"]}, {"revision": "1"}, {"sources": "abc"}, {"persons": float("nan")},
        {"eta_min": float("nan")}, {"assignments": [5]}, {"assignments": "x"}, {"nearest_help_point": {"id": 1, "name": "x", "distance_m": 1.0}},
        {"team_id": ["T-daoli-1"]},
    ))]
    for record in bad:
        assert state.apply_record(topics.DISPATCH, record) == [], record
    status = {"team_id": "T-daoli-1", "at": "2026-12-20T22:31:00+08:00", "status": "on_scene", "lat": float("nan"), "lon": 126.62}
    assert state.apply_record(topics.TEAM_STATUS, status) == []
    assert state.skipped == len(bad) + 1 and not state.incidents and state.teams["T-daoli-1"].at is None
    assert state.apply_record(topics.DISPATCH, good)
    assert [v.latest.incident_id for v in state.open_incidents()] == ["good"]
    json.dumps(state.snapshot(), allow_nan=False)


def test_a_team_that_took_its_task_back_holds_the_task_the_desk_gave_it(desk: Desk, report: Callable[..., Report]) -> None:
    """A team let its deadline pass and then reached the person: the desk gives it the task again in an update (a new
    task id, the lead's on the event's assignments). The console kept the escalation's id, the other team's task, as the
    team's: its phone named that one, and the desk ignored the team's decline as an older task's."""
    state = ConsoleState()
    team(desk, "near", 300)
    team(desk, "next", 900)
    desk.handle_tick(NIGHT)
    first = desk.handle_report(report(at=NIGHT)).events[0]
    (escalation,) = desk.handle_tick(NIGHT + timedelta(minutes=15)).events
    back = desk.handle_ack(TaskAck(event_id=first.event_id, team_id="near", status="on_scene", at=NIGHT + timedelta(minutes=17))).events
    for ev in (first, escalation, *back):
        state.apply_dispatch(ev)
    view, incident = state.incidents[first.incident_id], desk.incidents[first.incident_id]
    assert escalation.team_id == "next" and back[-1].kind == "update"
    assert view.task_of("near") == incident.task_event_id == back[-1].event_id and view.task_of("next") is None
    declined = desk.handle_ack(TaskAck(event_id=view.task_of("near") or "", team_id="near", status="declined", at=NIGHT + timedelta(minutes=20)))
    assert declined.events and incident.team_id != "near", "the phone's decline, naming the task it shows, is taken"


def test_a_team_status_dated_far_ahead_does_not_freeze_the_team_on_the_operators_map() -> None:
    """A record on `team-status` dated 2099 (the desk refuses it, `future_time`) was the team's view for good: every
    real status after it was older, so operators saw the team off duty at a stale spot while it reported all night."""
    state = ConsoleState()
    state.apply_clock(ClockTick(at=T0))
    state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-1", at=datetime(2099, 1, 1, tzinfo=CST), status="off_duty",
                                                      lat=45.70, lon=126.60).to_dict())
    state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-1", at=T0 + timedelta(minutes=1), status="available",
                                                      lat=45.77, lon=126.62).to_dict())
    team = state.teams["T-daoli-1"]
    assert (team.status, team.lat, team.at) == ("available", 45.77, T0 + timedelta(minutes=1))
    # an older status than the team's believable latest is still ignored
    state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-1", at=T0, status="break", lat=45.7, lon=126.6).to_dict())
    assert state.teams["T-daoli-1"].status == "available"
    # within max_ahead of the console's clock a status stands (clock ticks lag)
    state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-2", at=T0 + timedelta(minutes=30), status="on_scene",
                                                      lat=45.77, lon=126.62).to_dict())
    state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-2", at=T0 + timedelta(minutes=2), status="available",
                                                      lat=45.77, lon=126.62).to_dict())
    assert state.teams["T-daoli-2"].status == "on_scene"


def test_one_clock_tick_dated_far_ahead_does_not_move_the_console_s_now() -> None:
    """A tick dated 2099 moved the console's now there for good: calls were stamped 2099 (the desk refused them as
    future_time), every phone's fix was stale. It is held until a record dated near it comes, as the desk holds it."""
    state = ConsoleState()
    state.apply_clock(ClockTick(at=T0))
    assert state.apply_record(topics.CLOCK, ClockTick(at=datetime(2099, 1, 1, tzinfo=CST)).to_dict()) == []
    assert state.now == T0 and state.now_or_wall() == T0
    state.apply_clock(ClockTick(at=T0 + timedelta(minutes=1)))
    assert state.now == T0 + timedelta(minutes=1) and state.ahead is None
    # the live clock stopped for three hours: its tick is held, and the first team status near it brings now there
    later = T0 + timedelta(hours=3)
    state.apply_clock(ClockTick(at=later))
    assert state.now == T0 + timedelta(minutes=1)
    changes = state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-1", at=later + timedelta(seconds=30),
                                                                status="available", lat=45.77, lon=126.62).to_dict())
    assert ("now", {"now": later.isoformat()}) in changes and state.now == later
    assert state.teams["T-daoli-1"].at == later + timedelta(seconds=30)


def test_a_team_written_like_a_roster_team_does_not_stand_beside_it_on_the_map() -> None:
    """A team-status of "Т-daoli-1" (a Cyrillic Т; the desk refuses it) showed a second T-daoli-1 on the operators' map."""
    state = ConsoleState(city_teams())
    assert "T-daoli-1" in state.teams
    for twin in ("Т-daoli-1", "T-dao1i-1", "t-daoli-1"):
        assert state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id=twin, at=T0, status="available", lat=45.77,
                                                                 lon=126.62).to_dict()) == []
        assert twin not in state.teams
    state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id="V-2", at=T0, status="available", lat=45.77, lon=126.62,
                                                      name="道里区救助巡查一队").to_dict())  # a new id under the roster team's name
    assert "V-2" not in state.teams
    state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-1", at=T0, status="en_route", lat=45.77, lon=126.62,
                                                      name="道里区救助巡查一队").to_dict())
    state.apply_record(topics.TEAM_STATUS, TeamStatus(team_id="V-volunteers", at=T0, status="available", lat=45.77, lon=126.62).to_dict())
    assert state.teams["T-daoli-1"].status == "en_route" and "V-volunteers" in state.teams


def test_a_roster_teams_claim_beyond_its_roster_is_not_shown() -> None:
    """The desk reads a roster team's capabilities from the roster (`rules.intake.roster_capabilities`); the console showed
    the claim, and operators assigned the social worker on foot to the unconscious as a medic with a car."""
    state = ConsoleState(city_teams())
    state.apply_team_status(TeamStatus(team_id="T-daoli-1", at=T0, status="available", lat=45.771, lon=126.615,
                                       capabilities=("medical", "social_work", "vehicle")))
    assert state.teams["T-daoli-1"].capabilities == ("social_work",)
    state.apply_team_status(TeamStatus(team_id="T-daoli-2", at=T0, status="available", lat=45.771, lon=126.615, capabilities=("medical",)))
    assert state.teams["T-daoli-2"].capabilities == ("medical",)  # no car tonight: shown as the desk takes it
    state.apply_team_status(TeamStatus(team_id="V-lent", at=T0, status="available", lat=45.771, lon=126.615, capabilities=("medical",)))
    assert state.teams["V-lent"].capabilities == ("medical",)  # off the open roster: its claim
