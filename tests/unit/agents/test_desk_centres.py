"""The desk agent's centres: each centre's state under its own keys, records routed to their centre."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agents.desk import Centres, CentreTable
from console.state import ConsoleState
from core import topics as names
from core.errors import RecordError
from core.records import Report, TaskAck, TeamStatus
from core.settings import DATA_DIR
from rules.context import Province, load_province

AT = "2026-12-20T23:00:00+08:00"


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml",
                         {name: DATA_DIR / "cities" / name for name in ("harbin", "qiqihar")})


def test_each_centre_sees_and_writes_only_its_own_keys() -> None:
    shared: dict[str, Any] = {"harbin/incidents|a": 1, "qiqihar/incidents|a": 2, "harbinx/incidents|b": 3}
    harbin, qiqihar = CentreTable(shared, "harbin"), CentreTable(shared, "qiqihar")
    assert dict(harbin.items()) == {"incidents|a": 1}  # "harbinx/" is another centre
    assert qiqihar.changes({"teams|T": 4, "incidents|a": None}) == (shared, {"qiqihar/teams|T": 4, "qiqihar/incidents|a": None})


def test_records_go_to_the_centre_that_names_holds_or_issued_them(province: Province) -> None:
    centres = Centres(province, {}, {})

    def centre(short: str, obj: dict[str, Any], key: str | None = None) -> str:
        return centres.centre_of(short, json.dumps(obj).encode(), key)

    assert centre(names.REPORTS, {"report_id": "r", "centre": "qiqihar"}) == "qiqihar"
    assert centre(names.WEATHER, {"centre": "qiqihar", "temp_c": -20}) == "qiqihar"
    assert centre(names.WEATHER, {"region": "daoli", "temp_c": -20}) == "harbin"
    assert centre(names.TEAM_STATUS, {"team_id": "T-longsha-2", "lat": 0, "lon": 0}) == "qiqihar"
    # an operator's ack names no city's team: the desk that issued the task claims it
    centres.desk("qiqihar").event_index["inc-q-r1"] = "inc-q"
    assert centre(names.TASK_ACKS, {"event_id": "inc-q-r1", "team_id": "console", "status": "reassign", "at": AT}) == "qiqihar"
    with pytest.raises(RecordError) as err:
        centre(names.WEATHER, {"temp_c": -20})  # two centres and nothing says which
    assert err.value.kind == "unknown_centre"


def test_a_dropped_centre_is_rebuilt_from_the_table_at_the_next_batch(province: Province) -> None:
    table: dict[str, Any] = {}
    centres = Centres(province, table, {})
    desk = centres.desk("harbin")
    desk.event_index["inc-h-r1"] = "inc-h"
    desk.touch("event_index", "inc-h-r1")
    _, written = CentreTable(table, "harbin").changes(dict(desk.take_dirty()))
    table.update(written)
    desk.event_index["unsaved-r1"] = "unsaved"  # in memory only: never written
    centres.drop()
    assert centres.desk("harbin") is desk, "a batch under way keeps its desk"
    centres.begin_batch()
    rebuilt = centres.desk("harbin")
    assert rebuilt is not desk and rebuilt.event_index == {"inc-h-r1": "inc-h"}
    assert centres.desk("qiqihar").event_index == {}


def test_an_ack_no_held_desk_knows_is_asked_of_the_next_centre_then_refused(province: Province) -> None:
    centres = Centres(province, {}, {})
    ack = json.dumps({"event_id": "inc-far-r1", "incident_id": "inc-far", "team_id": "console", "status": "resolved", "at": AT}).encode()
    command = json.dumps({"command_id": "c1", "kind": "assign", "incident_id": "inc-far", "team_id": "T-1", "by": "op", "at": AT}).encode()
    # keyed by its incident (an older console): nobody here holds it, so it is not refused here
    assert centres.centre_of(names.TASK_ACKS, ack, "inc-far") is None
    assert centres.centre_of(names.OPERATOR_COMMANDS, command, "inc-far") is None
    # a worker holding only Harbin's partition (0 of 4) asks Qiqihar's next, naming who has looked
    assert centres.next_hop(set(), {0}, 4) == ("qiqihar", b"harbin")
    # Qiqihar's worker (partition 2) has looked too: every centre asked, refused as before
    with pytest.raises(RecordError) as err:
        centres.next_hop({"harbin"}, {2}, 4)
    assert err.value.kind == "unknown_centre"
    # one worker holding both partitions refuses at once
    with pytest.raises(RecordError):
        centres.next_hop(set(), {0, 2}, 4)
    # a team's ack still goes to its team's centre, and a centre's key is the centre
    team_ack = json.dumps({"event_id": "x-r1", "team_id": "T-longsha-2", "status": "accepted", "at": AT}).encode()
    assert centres.centre_of(names.TASK_ACKS, team_ack, None) == "qiqihar"
    assert centres.centre_of(names.TASK_ACKS, ack, "qiqihar") == "qiqihar"


@pytest.mark.parametrize("short", [names.TASK_ACKS, names.OPERATOR_COMMANDS])
@pytest.mark.parametrize("field", ["event_id", "incident_id"])
@pytest.mark.parametrize("value", [["inc-q"], {"a": 1}])
def test_an_ack_or_command_whose_id_is_a_list_or_object_is_refused_by_that_field(province: Province, short: str, field: str,
                                                                                 value: Any) -> None:
    """An operator's ack or command naming its task or incident by a list or an object was dead-lettered as an internal
    error (TypeError: unhashable type, a traceback in the log) while its centre was looked up, not `wrong_type`."""
    centres = Centres(province, {}, {})
    centres.desk("qiqihar").event_index["inc-q-r1"] = "inc-q"
    body: dict[str, Any] = {"event_id": "inc-q-r1", "team_id": "console", "status": "resolved", "at": AT} if short == names.TASK_ACKS \
        else {"command_id": "c1", "kind": "assign", "incident_id": "inc-q", "team_id": "T-1", "by": "op", "at": AT}
    if field == "event_id" and short == names.OPERATOR_COMMANDS:
        field = "command_id"
    body[field] = value
    with pytest.raises(RecordError) as err:
        centres.centre_of(short, json.dumps(body).encode(), None)
    assert err.value.kind == "wrong_type" and err.value.reason.startswith(f"{field}: expected a non-empty string")


def test_a_forgotten_incident_leaves_the_table_and_a_rebuilt_desk_does_not_load_it(province: Province) -> None:
    at = datetime(2026, 12, 20, 19, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    table: dict[str, Any] = {}
    centres = Centres(province, table, {})

    def save() -> None:  # as agents.common.save_tables: None deletes the key
        desk = centres.desk("harbin")
        for key, value in CentreTable(table, "harbin").changes(dict(desk.take_dirty()))[1].items():
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value

    desk = centres.desk("harbin")
    desk.handle_team_status(TeamStatus(team_id="T-daoli-1", at=at, status="available", lat=45.772, lon=126.614, capabilities=("social_work",)))
    event = desk.handle_report(Report(report_id="tip-1", source="tip", channel="hotline", at=at, lat=45.7705, lon=126.6235,
                                      district="daoli", zone_id=None, key_area=None, flags=())).events[0]
    desk.handle_ack(TaskAck(event_id=event.event_id, team_id="T-daoli-1", status="resolved", outcome="taken_to_station",
                            at=at + timedelta(minutes=30)))
    save()
    assert f"harbin/incidents|{event.incident_id}" in table and "harbin/seen|tip-1" in table
    desk.handle_tick(at + timedelta(minutes=30, hours=24))
    save()
    assert not [key for key in table if event.incident_id in key or "tip-1" in key]
    centres.drop()
    centres.begin_batch()
    rebuilt = centres.desk("harbin")
    assert rebuilt is not desk and rebuilt.incidents == {} and "T-daoli-1" in rebuilt.teams


def _filled(province: Province) -> tuple[Centres, Any]:
    """A batch under way on Harbin's desk: a team came on duty and a report gave it a task."""
    from agents.desk import _record_step

    at = datetime(2026, 12, 20, 19, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    centres = Centres(province, {}, {})
    centres.begin_batch()
    team = TeamStatus(team_id="a", at=at, status="available", lat=45.7600, lon=126.6330, capabilities=("social_work",))
    centres.apply("harbin", _record_step("harbin", names.TEAM_STATUS, team.to_json()))
    ctx = province.centres["harbin"]
    where = ctx.index.locate(45.7600, 126.6300)
    report = Report(report_id="tip-1", source="tip", channel="hotline", at=at, lat=45.7600, lon=126.6300, district=where.district or "",
                    zone_id=where.zone_id, key_area=where.key_area, centre="harbin")
    out = centres.apply("harbin", _record_step("harbin", names.REPORTS, report.to_json()))
    assert out.events and out.events[0].team_id == "a"
    return centres, centres.desk("harbin").to_dict()


def test_a_step_that_raises_half_way_leaves_nothing_of_its_change(province: Province) -> None:
    """A handler that raised after changing the desk left the change in memory, and the batch saved it with the others."""
    centres, before = _filled(province)

    def half_way(cs: Centres) -> Any:
        desk = cs.desk("harbin")
        desk.teams["a"].status, desk.teams["a"].incident_id = "off_duty", None  # the team freed of its task...
        desk.touch("teams", "a")
        raise RuntimeError("...and then a bug")

    with pytest.raises(RuntimeError):
        centres.apply("harbin", half_way)
    after = centres.desk("harbin")
    assert after.to_dict() == before and after.teams["a"].status == "available" and after.teams["a"].incident_id is not None
    assert {key for key, _ in after.take_dirty()} >= {"teams|a"}, "the batch's earlier steps are written as they were"


def test_a_refusal_after_a_change_is_rolled_back_and_one_before_any_change_costs_nothing(province: Province) -> None:
    centres, before = _filled(province)
    desk = centres.desk("harbin")

    def refused_early(cs: Centres) -> Any:
        raise RecordError("no such task", kind="unknown_task")

    with pytest.raises(RecordError):
        centres.apply("harbin", refused_early)
    assert centres.desk("harbin") is desk, "nothing changed: the desk is not rebuilt"

    def refused_late(cs: Centres) -> Any:
        cs.desk("harbin").incidents.clear()
        cs.desk("harbin").touch("teams", "a")
        raise RecordError("refused after a change", kind="invalid")

    with pytest.raises(RecordError):
        centres.apply("harbin", refused_late)
    assert centres.desk("harbin") is not desk and centres.desk("harbin").to_dict() == before


def test_a_refusal_that_only_moved_the_clock_and_a_failure_after_a_revocation_rebuild_nothing(province: Province) -> None:
    """A phone resending a wrong-team ack moved the clock before it was refused: each resend rebuilt the whole desk (185 ms
    at 2 000 incidents). After partitions were revoked the table may no longer hold the centre: no rebuild from it."""
    centres, _ = _filled(province)
    desk = centres.desk("harbin")

    def clock_then_refused(cs: Centres) -> Any:
        cs.desk("harbin").advance(datetime(2026, 12, 20, 19, 5, tzinfo=ZoneInfo("Asia/Shanghai")))
        raise RecordError("team b does not hold this task", kind="wrong_team")

    with pytest.raises(RecordError):
        centres.apply("harbin", clock_then_refused)
    assert centres.desk("harbin") is desk and desk.now == datetime(2026, 12, 20, 19, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    centres.drop()

    def broken(cs: Centres) -> Any:
        cs.desk("harbin").touch("teams", "a")
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        centres.apply("harbin", broken)
    assert centres.desks.get("harbin") is desk, "left for the next batch, which rebuilds every desk from the recovered table"


def test_a_record_refused_after_it_confirmed_a_held_tick_leaves_the_tick_held(province: Province) -> None:
    """A tick far ahead is held until a record dated near it comes; a record that brings the desk there and is then
    refused (an ack for no task) is dead-lettered, and the desk goes back to the tick held: nothing of the tick's
    deadlines is kept without being sent."""
    from agents.desk import _record_step, _tick_step

    centres, filled = _filled(province)
    before = json.loads(json.dumps({k: v for k, v in filled.items() if k != "ahead"}))  # a copy: the dicts are the desk's own
    later = datetime(2026, 12, 20, 22, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert centres.apply("harbin", _tick_step("harbin", later)).events == []
    assert centres.desk("harbin").ahead == later and centres.desk("harbin").now < later
    ack = TaskAck(event_id="no-such-task", team_id="a", status="accepted", at=later)
    with pytest.raises(RecordError) as refused:
        centres.apply("harbin", _record_step("harbin", names.TASK_ACKS, ack.to_json()))
    assert refused.value.kind == "unknown_task"
    desk = centres.desk("harbin")
    assert desk.ahead == later and desk.tick != later
    assert json.loads(json.dumps({k: v for k, v in desk.to_dict().items() if k != "ahead"})) == before
    status = TeamStatus(team_id="a", at=later, status="available", lat=45.7600, lon=126.6330, capabilities=("social_work",))
    out = centres.apply("harbin", _record_step("harbin", names.TEAM_STATUS, status.to_json()))
    assert centres.desk("harbin").tick == later and any(e.escalate_to for e in out.events), "the tick's deadlines, then the status"


@pytest.mark.parametrize("raw", [b"[]", b"5", b"{\"centre\": []}", b"{\"centre\": {\"a\": 1}}", b"[" * 100_000, b"{bad"])
def test_a_report_that_is_no_object_or_names_no_centre_as_text_is_refused_by_name(province: Province, raw: bytes) -> None:
    """`[]` or `{"centre": []}` on `reports` failed in routing (AttributeError, unhashable list): an internal error, a
    traceback in the worker's log for each such record."""
    with pytest.raises(RecordError) as refused:
        Centres(province, {}, {}).centre_of(names.REPORTS, raw, None)
    assert refused.value.kind in ("malformed", "wrong_type")


@pytest.mark.parametrize("change", [{"at": "yesterday"}, {"lat": None, "report_id": None, "extra": 1}, {"at": 5}])
def test_a_report_that_cannot_be_one_is_refused_by_name_not_as_an_internal_error(province: Province, change: dict[str, Any]) -> None:
    from agents.desk import _record_step

    good = Report(report_id="tip-1", source="tip", channel="hotline", at=datetime(2026, 12, 20, 19, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
                  lat=45.76, lon=126.63, district="nangang", centre="harbin").to_dict()
    from agents.desk import report_object

    bad = {k: v for k, v in {**good, **change}.items() if v is not None}
    raw = json.dumps(bad).encode()
    centres = Centres(province, {}, {})
    centres.begin_batch()
    reasons = []
    for step in (_record_step("harbin", names.REPORTS, raw), _record_step("harbin", names.REPORTS, raw, report_object(raw))):
        with pytest.raises(RecordError) as refused:  # read from its bytes, or from the object routing decoded (the agent)
            centres.apply("harbin", step)
        assert refused.value.kind in ("malformed", "wrong_type")
        reasons.append(refused.value.reason)
    assert reasons[0] == reasons[1]


def test_two_cities_tips_sharing_an_id_open_two_incidents_the_console_shows_and_each_team_holds(province: Province) -> None:
    """Each city's hotline numbers its own tips (`12345-0001`): an incident's id made of the report's id alone gave both
    centres' incidents one id and the same event ids; the console kept the first city's and dropped the other's events
    as repeats, so Qiqihar's person was on no operator's screen and its team's phone could not accept its task."""
    centres = Centres(province, {}, {})
    state = ConsoleState([team for ctx in province.centres.values() for team in ctx.city.teams])
    at = datetime(2026, 12, 20, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    held: dict[str, str] = {}
    for centre in ("harbin", "qiqihar"):
        base = province.centres[centre].city.teams[0]
        desk = centres.desk(centre)
        desk.handle_team_status(TeamStatus(team_id=base.team_id, at=at, status="available", lat=base.lat, lon=base.lon,
                                           capabilities=base.capabilities))
        where = province.centres[centre].index.locate(base.lat, base.lon)
        events = desk.handle_report(Report(report_id="12345-0001", source="tip", channel="hotline", at=at, lat=base.lat, lon=base.lon,
                                           district=where.district or "", zone_id=where.zone_id, key_area=where.key_area, flags=(),
                                           centre=centre)).events
        for event in events:
            state.apply_record(names.DISPATCH, event.to_dict())
        held[base.team_id] = events[0].incident_id
    assert len(set(held.values())) == 2
    assert sorted(view.latest.centre for view in state.incidents.values()) == ["harbin", "qiqihar"]
    for team_id, incident_id in held.items():  # each city's team holds its own city's task
        assert [view.latest.incident_id for view in state.team_tasks(team_id)] == [incident_id]


def test_a_roster_team_s_status_or_ack_naming_another_centre_goes_to_the_team_s_own_desk(province: Province) -> None:
    """With the default open roster, a Harbin team's status naming `"centre": "qiqihar"` (a phone set up for the wrong
    city, or a forged record) put a second T-daoli-1, available, on Qiqihar's desk, which gave it tasks; the console's
    map moved the team to Qiqihar while Harbin's desk kept it at home."""
    centres = Centres(province, {}, {})
    status = {"team_id": "T-daoli-1", "centre": "qiqihar", "at": AT, "status": "available", "lat": 47.3410, "lon": 123.9690}
    assert centres.centre_of(names.TEAM_STATUS, json.dumps(status).encode(), "qiqihar") == "harbin"
    ack = {"event_id": "inc-h-r1", "team_id": "T-daoli-1", "centre": "qiqihar", "status": "accepted", "at": AT}
    assert centres.centre_of(names.TASK_ACKS, json.dumps(ack).encode(), "qiqihar") == "harbin"
    assert province.route(status) == "harbin"  # the console's map folds it as the desk does (`CentreKeys.status_refusal`)
    # an id no city lists keeps the centre it names; an operator's ack ("console") too; a centre not deployed is refused
    assert centres.centre_of(names.TEAM_STATUS, json.dumps({**status, "team_id": "T-new-9"}).encode(), None) == "qiqihar"
    assert centres.centre_of(names.TASK_ACKS, json.dumps({**ack, "team_id": "console"}).encode(), None) == "qiqihar"
    with pytest.raises(RecordError):
        centres.centre_of(names.TEAM_STATUS, json.dumps({**status, "centre": "atlantis"}).encode(), None)
