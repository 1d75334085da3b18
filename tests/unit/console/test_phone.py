"""The team phone's API with a fake publisher: actions applied once, fixes checked, tasks with navigation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer

from console.auth import TokenStore, add_token
from console.kafka_io import ListPublisher
from console.masking import team_view
from console.phone import PhoneInputError, TeamPhones, nav_links
from console.server import ConsoleService, build_app
from console.state import ConsoleState
from core.records import DispatchEvent, HelpPointRef, OperatorCommand, Report, TaskAck, TeamStatus
from core.settings import DATA_DIR
from geo.chinacoords import wgs84_to_bd09, wgs84_to_gcj02
from geo.city import load_city
from rules.desk import Desk, Outputs, commands
from rules.policy import load_policy
from tests.unit.rules.deskkit import EVENING, team

CITY = DATA_DIR / "cities" / "harbin"
CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 20, 23, 40, tzinfo=CST)
PHONES = TeamPhones.from_files(DATA_DIR / "policy.toml", CITY)


def test_nav_links_carry_each_apps_coordinates() -> None:
    lat, lon = 45.7735, 126.6165
    links = nav_links(lat, lon, "中央大街 求助点")
    glat, glon = (round(v, 6) for v in wgs84_to_gcj02(lat, lon))
    blat, blon = (round(v, 6) for v in wgs84_to_bd09(lat, lon))
    assert links["wgs84"] == [lat, lon] and links["gcj02"] == [glat, glon] and links["bd09"] == [blat, blon]
    name = quote("中央大街 求助点", safe="")
    assert links["amap"].startswith(f"https://uri.amap.com/navigation?to={glon},{glat},{name}&") and "coordinate=gaode" in links["amap"]
    assert f"destination=latlng:{blat},{blon}|name:{name}" in links["baidu"] and "coord_type=bd09ll" in links["baidu"]
    assert f"tocoord={glat},{glon}" in links["tencent"] and links["tencent"].startswith("qqmap://map/routeplan?")
    assert links["geo"] == f"geo:{lat},{lon}?q={lat},{lon}({name})"


def test_nav_links_outside_china_need_no_offset() -> None:
    links = nav_links(52.52, 13.405, "Berlin")
    assert links["gcj02"] == links["bd09"] == links["wgs84"] == [52.52, 13.405]


def test_task_view_has_both_languages_and_the_categorys_destination() -> None:
    view = PHONES.task_view({"incident_id": "inc-1", "category": "medical", "lat": 45.7735, "lon": 126.6165,
                             "action": "escort to a medical institution; notify health", "nearest_help_point": None})
    assert view["action_text"] == {"en": "escort to a medical institution; notify health", "zh": "护送至医疗机构；通知卫健部门"}
    assert view["destination"]["kind"] == "hospital" and view["destination"]["nav"]["gcj02"] != [view["destination"]["lat"], view["destination"]["lon"]]
    guidance = PHONES.task_view({"incident_id": "inc-2", "category": "guidance", "lat": 45.7735, "lon": 126.6165, "action": "",
                                 "nearest_help_point": {"id": "hp-rescue-city", "name": "x", "distance_m": 1.0}})
    assert guidance["destination"]["id"] == "hp-rescue-city"  # no kinds for guidance: the task's nearest help point
    assert guidance["action_text"]["zh"] == "劝导前往最近的求助点或救助站"


def test_the_phone_shows_the_place_the_desk_chose_not_the_nearest_of_the_categorys_kinds() -> None:
    """At the minors' centre's door an adult's escort task went, on the phone, to the nearest rescue station (the
    centre), where the desk had named the general rescue station: the phone's kinds know no group or hours."""
    at_centre = {"incident_id": "inc-3", "category": "escort_station", "lat": 45.742, "lon": 126.645, "action": "",
                 "nearest_help_point": None}
    chosen = {"id": "hp-rescue-city", "name": "哈尔滨市救助管理站", "distance_m": 3800.0, "kind": "rescue_station"}
    view = PHONES.task_view({**at_centre, "destination": chosen})
    assert view["destination"]["id"] == "hp-rescue-city" and view["destination"]["distance_m"] > 3000
    # an event that names no destination (written before the desk named them) keeps the kinds' nearest
    assert PHONES.task_view(dict(at_centre))["destination"]["id"] == "hp-minors-center"


def test_a_help_point_id_both_cities_use_leads_to_the_tasks_own_city() -> None:
    phones = TeamPhones(load_policy(DATA_DIR / "policy.toml"), {name: load_city(DATA_DIR / "cities" / name) for name in ("harbin", "qiqihar")})
    nearest = {"id": "hp-warm-station", "name": "x", "distance_m": 1.0}  # each city has its own warm station under this id
    for centre, (lat, lon), name in (("harbin", (45.7735, 126.6165), "哈尔滨站临时避寒点"), ("qiqihar", (47.3410, 123.9690), "齐齐哈尔站临时避寒点")):
        for task_centre in (centre, ""):  # named by the desk, or found by the position
            view = phones.task_view({"incident_id": "inc", "category": "guidance", "lat": lat, "lon": lon, "action": "",
                                     "nearest_help_point": nearest, "centre": task_centre})
            assert view["destination"]["name"] == name and view["destination"]["distance_m"] < 20_000

def _event(incident: str, team: str | None) -> DispatchEvent:
    return DispatchEvent(
        event_id=f"{incident}-r1", kind="dispatch", incident_id=incident, revision=1, priority="P1", category="medical",
        rules=("category:medical",), zone_id=None, key_area=None, lat=45.7735, lon=126.6165, sources=("h-1",), team_id=team,
        ack_deadline=NOW + timedelta(minutes=5), nearest_help_point=HelpPointRef(id="hp-1", name="x", distance_m=80.0),
        notify=("health",), at=NOW, status="assigned", action="escort to a medical institution; notify health",
    )


Run = Callable[[TestClient[Any, Any], ListPublisher, dict[str, str], TeamPhones], Awaitable[None]]


def _with_client(tmp_path: Path, body: Run, caught_up: bool = True, state: ConsoleState | None = None) -> None:
    """The console's app on `state` (default: inc-1 dispatched to T-daoli-1) with tokens t1 (T-daoli-1) and t2 (T-daoli-2)."""
    path = tmp_path / "tokens.json"
    tokens = {"t1": add_token(path, "team", team_id="T-daoli-1", name="daoli 1"), "t2": add_token(path, "team", team_id="T-daoli-2")}
    if state is None:
        state = ConsoleState()
        state.apply_dispatch(_event("inc-1", "T-daoli-1"))
    publisher = ListPublisher()
    phones = TeamPhones.from_files(DATA_DIR / "policy.toml", CITY)
    phones.fold("team-status", TeamStatus(team_id="T-daoli-1", at=NOW - timedelta(minutes=1), status="available",
                                          lat=45.772, lon=126.614, accuracy_m=10.0).to_dict())
    if caught_up:
        phones.caught_up.set()
    service = ConsoleService(state, publisher, TokenStore(path), CITY, phones)

    async def main() -> None:
        async with TestClient(TestServer(build_app(service))) as client:
            await body(client, publisher, tokens, phones)

    asyncio.run(main())


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_resent_ack_is_written_once(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        pressed = NOW - timedelta(minutes=3)
        ack = {"event_id": "inc-1-r1", "status": "accepted", "client_id": "c0ffee00-0001", "at": pressed.isoformat()}
        first = await client.post("/api/team/acks", json=ack, headers=_auth(tok["t1"]))
        assert first.status == 202
        written = (await first.json())["published"]
        assert written["client_id"] == "c0ffee00-0001" and written["at"] == pressed.isoformat()
        for _ in range(3):  # the answer was lost: the phone sends again
            again = await client.post("/api/team/acks", json=ack, headers=_auth(tok["t1"]))
            assert again.status == 200 and await again.json() == {"duplicate": True, "published": written}
        stolen = await client.post("/api/team/acks", json=ack, headers=_auth(tok["t2"]))
        assert stolen.status == 409 and (await stolen.json())["error"] == "client_id_conflict"
        bad = await client.post("/api/team/acks", json={**ack, "client_id": "x"}, headers=_auth(tok["t1"]))
        assert bad.status == 400 and (await bad.json())["error"] == "invalid_client_id"
        for trailing in ("c0ffee00-0009\n", "c0ffee00-0009 "):  # `$` let a final newline through, to be written as part of the id
            bad = await client.post("/api/team/acks", json={**ack, "client_id": trailing}, headers=_auth(tok["t1"]))
            assert bad.status == 400 and (await bad.json())["error"] == "invalid_client_id"
        future = await client.post("/api/team/acks", json={**ack, "client_id": "c0ffee00-0002", "at": "2027-01-01T00:00:00+08:00",
                                                           "status": "on_scene"}, headers=_auth(tok["t1"]))
        assert future.status == 202 and (await future.json())["published"]["at"] == NOW.isoformat()
        assert [(a.status, a.client_id) for a in pub.acks] == [("accepted", "c0ffee00-0001"), ("on_scene", "c0ffee00-0002")]

    _with_client(tmp_path, body)


def test_client_ids_wait_until_the_console_knows_what_was_sent(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        ack = {"event_id": "inc-1-r1", "status": "accepted", "client_id": "c0ffee00-0003"}
        resp = await client.post("/api/team/acks", json=ack, headers=_auth(tok["t1"]))
        assert resp.status == 503 and (await resp.json())["error"] == "catching_up"
        assert pub.acks == []
        # an ack written before the restart is known once caught up: the resend is a duplicate
        phones.fold("task-acks", {"event_id": "inc-1-r1", "team_id": "T-daoli-1", "status": "accepted", "at": NOW.isoformat(),
                                  "client_id": "c0ffee00-0003"})
        phones.caught_up.set()
        resp = await client.post("/api/team/acks", json=ack, headers=_auth(tok["t1"]))
        assert resp.status == 200 and (await resp.json())["duplicate"] is True and pub.acks == []

    _with_client(tmp_path, body, caught_up=False)


def test_positions_are_checked_before_team_status(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        t1 = _auth(tok["t1"])
        ok = await client.post("/api/team/status", json={"lat": 45.7731, "lon": 126.6152, "accuracy_m": 8, "at": NOW.isoformat()}, headers=t1)
        assert ok.status == 202, await ok.text()
        status = pub.statuses[-1]
        assert (status.team_id, status.status, status.at, status.accuracy_m) == ("T-daoli-1", "available", NOW, 8.0)
        assert status.capabilities == ("social_work",) and status.district == "daoli"  # from the city's teams layer
        refusals = [
            ({"lat": 45.77, "lon": 126.61, "at": (NOW - timedelta(minutes=6)).isoformat()}, "stale_fix"),
            ({"lat": 45.77, "lon": 126.61, "at": NOW.isoformat(), "accuracy_m": 900}, "poor_accuracy"),
            ({"lat": 45.95, "lon": 126.61, "at": (NOW + timedelta(seconds=30)).isoformat()}, "impossible_jump"),
            ({"lat": 45.77, "lon": 126.61, "at": (NOW - timedelta(seconds=30)).isoformat()}, "out_of_order"),
            ({"lat": 45.77, "lon": 126.61}, "missing_field"),
            ({"lat": "45.77", "lon": 126.61, "at": NOW.isoformat()}, "invalid_lat"),
            ({"status": "napping"}, "unknown_status"),
            ({}, "missing_field"),
            ({"status": "break", "at": "yesterday"}, "invalid_at"),
        ]
        for payload, code in refusals:
            resp = await client.post("/api/team/status", json=payload, headers=t1)
            data = await resp.json()
            assert 400 <= resp.status < 500 and data["error"] == code, (payload, data)
            assert data["message"]
        assert len(pub.statuses) == 1  # nothing refused was written
        # a status change alone keeps the last position; a resend is applied once
        change = {"status": "break", "client_id": "c0ffee00-0010", "at": (NOW - timedelta(minutes=2)).isoformat()}
        first = await client.post("/api/team/status", json=change, headers=t1)
        again = await client.post("/api/team/status", json=change, headers=t1)
        assert first.status == 202 and again.status == 200 and (await again.json())["duplicate"] is True
        brk = pub.statuses[-1]
        assert len(pub.statuses) == 2 and brk.status == "break" and (brk.lat, brk.lon) == (45.7731, 126.6152)
        assert brk.at == NOW  # never older than the team's latest fix
        forbidden = await client.post("/api/team/status", json=change, headers={"Authorization": "Bearer nope.nope"})
        assert forbidden.status == 401

    _with_client(tmp_path, body)


def test_team_tasks_and_phone_config(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        data = await (await client.get("/api/team/tasks", headers=_auth(tok["t1"]))).json()
        (task,) = data["tasks"]
        assert task["action_text"]["zh"] == "护送至医疗机构；通知卫健部门"
        assert task["target"]["gcj02"] == [round(v, 6) for v in wgs84_to_gcj02(45.7735, 126.6165)]
        assert task["destination"]["kind"] == "hospital"
        config = await (await client.get("/api/team/phone", headers=_auth(tok["t1"]))).json()
        assert config["position_every_s"] == 30 and "break" in config["statuses"]
        sw = await client.get("/team-sw.js")
        assert sw.status == 200 and "caches" in await sw.text()
        stream = await client.get("/api/team/stream", headers=_auth(tok["t1"]))
        first = await stream.content.readuntil(b"\n\n")
        assert first.startswith(b"event: tasks\n")
        assert json.loads(first.split(b"data: ", 1)[1])["tasks"][0]["incident_id"] == "inc-1"
        stream.close()

    _with_client(tmp_path, body)


def test_a_phone_body_that_cannot_be_read_as_sent_is_a_400_never_a_500(tmp_path: Path) -> None:
    # A 400-digit integer is valid JSON but no float: math.isfinite raised OverflowError (500). A body sent as gzip that is
    # not gzip raised aiohttp's RequestPayloadError out of read_body (500). An outcome "refused\n" passed the lower_snake
    # check (`$` matches before a final newline). A negative accuracy, once the team's last fix, made every later fix an
    # impossible jump: the phone could never report its position again.
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        t1 = _auth(tok["t1"])
        huge = "1" + "0" * 400
        for raw, code in ((f'{{"lat": {huge}, "lon": 126.61, "at": "{NOW.isoformat()}"}}', "invalid_lat"),
                          (f'{{"lat": 45.7721, "lon": 126.6141, "accuracy_m": {huge}, "at": "{NOW.isoformat()}"}}', "invalid_accuracy_m"),
                          (f'{{"lat": 45.7721, "lon": 126.6141, "accuracy_m": -50, "at": "{NOW.isoformat()}"}}', "invalid_accuracy_m")):
            resp = await client.post("/api/team/status", data=raw, headers={**t1, "Content-Type": "application/json"})
            assert resp.status == 400 and (await resp.json())["error"] == code, raw
        newline = await client.post("/api/team/acks", json={"event_id": "inc-1-r1", "status": "resolved", "outcome": "refused\n"}, headers=t1)
        assert newline.status == 400 and (await newline.json())["error"] == "invalid_outcome"
        gz = await client.post("/api/team/status", data=b"not gzip at all", headers={**t1, "Content-Encoding": "gzip"})
        assert gz.status == 400 and (await gz.json())["error"] == "bad_body"  # (aiohttp then closes that connection)
        assert pub.statuses == [] and pub.acks == []

    _with_client(tmp_path, body)


def test_a_time_without_offset_or_in_year_9999_read_from_the_topics_is_not_kept(tmp_path: Path) -> None:
    """A team's first fix or an applied ack with a time without its offset, kept, made every later position of that
    team and every ack with a client id a 500 (TypeError comparing it with the phone's times); a fix of year 9999,
    kept as the team's latest, refused every later one as out of order."""
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        naive = (NOW - timedelta(seconds=30)).replace(tzinfo=None).isoformat()
        phones.fold("team-status", {"team_id": "T-daoli-2", "at": naive, "status": "available", "lat": 45.772, "lon": 126.614})
        phones.fold("task-acks", {"event_id": "inc-0-r1", "team_id": "T-daoli-2", "status": "accepted", "at": naive, "client_id": "c0ffee00-0300"})
        phones.fold("team-status", {"team_id": "T-daoli-1", "at": "9999-12-31T00:00:00+08:00", "status": "available", "lat": 45.772, "lon": 126.614})
        position = {"lat": 45.7731, "lon": 126.6152, "accuracy_m": 8, "at": NOW.isoformat()}
        for token in ("t2", "t1"):
            fix = await client.post("/api/team/status", json=position, headers=_auth(tok[token]))
            assert fix.status == 202, (token, await fix.text())
        ack = await client.post("/api/team/acks", json={"event_id": "inc-1-r1", "status": "accepted", "client_id": "c0ffee00-0301"},
                                headers=_auth(tok["t1"]))
        assert ack.status == 202, await ack.text()
        assert "c0ffee00-0300" not in phones.applied["ack"]

    _with_client(tmp_path, body)


def test_the_phone_offers_the_policys_outcomes_and_refuses_any_other(tmp_path: Path) -> None:
    """Any lower_snake code was written to `task-acks`: a made-up `refused_supplies` closed the incident with no follow-up."""
    outcomes = load_policy(DATA_DIR / "policy.toml").outcomes

    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        t1 = _auth(tok["t1"])
        me = await (await client.get("/api/me", headers=t1)).json()
        assert tuple(me["outcomes"]) == outcomes and "refused_supplies_given" in outcomes
        made_up = await client.post("/api/team/acks", json={"event_id": "inc-1-r1", "status": "resolved", "outcome": "refused_supplies"}, headers=t1)
        assert made_up.status == 400
        refused = await made_up.json()
        assert refused["error"] == "unknown_outcome" and "refused_supplies_given" in refused["message"]
        assert pub.acks == []
        listed = await client.post("/api/team/acks", json={"event_id": "inc-1-r1", "status": "resolved", "outcome": "refused_supplies_given"},
                                   headers=t1)
        assert listed.status == 202 and [a.outcome for a in pub.acks] == ["refused_supplies_given"]

    _with_client(tmp_path, body)


def test_an_ack_made_for_an_older_task_of_the_team_never_acts_on_its_newer_task(
        tmp_path: Path, desk: Desk, report: Callable[..., Report]) -> None:
    """The console wrote every ack as one for the team's current task of the incident: a decline the phone made for task
    A, arriving after the team was given the incident again as task B and accepted it, declined B (the desk, which ignores
    a late decline of an older task, never saw A's id), and a late accept of A accepted B for the team."""
    team_id = "T-daoli-1"
    state = ConsoleState()

    def apply(out: Outputs) -> Outputs:
        for event in out.events:
            state.apply_dispatch(event)
        return out

    team(desk, team_id, 300)
    task_a = apply(desk.handle_report(report())).events[0]
    incident_id = task_a.incident_id

    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        async def ack(event_id: str, status: str, minutes: int) -> tuple[int, dict[str, Any]]:
            """The phone's ack; what the console wrote goes to the desk, as the pipeline would take it."""
            written = len(pub.acks)
            at = EVENING + timedelta(minutes=minutes)
            resp = await client.post("/api/team/acks", json={"event_id": event_id, "status": status, "at": at.isoformat()},
                                     headers=_auth(tok["t1"]))
            for record in pub.acks[written:]:
                apply(desk.handle_ack(record))
            return resp.status, await resp.json()

        assert (await ack(task_a.event_id, "declined", 1))[0] == 202
        assert state.incidents[incident_id].queued
        task_b = apply(commands.handle(desk, OperatorCommand(command_id="cmd-1", kind="assign", incident_id=incident_id,
                                                                at=EVENING + timedelta(minutes=2), by="op1", team_id=team_id))).events[0]
        assert task_b.event_id != task_a.event_id and task_b.team_id == team_id

        # B is assigned, not yet accepted: an accept made for A (a resend, a replay) does not accept B
        status, answer = await ack(task_a.event_id, "accepted", 3)
        assert (status, answer["error"]) == (409, "task_superseded") and task_b.event_id in answer["message"]
        assert (desk.incidents[incident_id].status, desk.incidents[incident_id].acked) == ("assigned", False)

        assert (await ack(task_b.event_id, "accepted", 4))[0] == 202
        held = len(pub.acks)
        status, answer = await ack(task_a.event_id, "declined", 5)  # the decline made for A, late
        assert (status, answer["error"]) == (409, "task_superseded") and len(pub.acks) == held, "nothing written"
        incident = desk.incidents[incident_id]
        assert (incident.status, incident.team_id, incident.task_event_id) == ("accepted", team_id, task_b.event_id)

        # an event of the incident written after B was given (the accept's update) still names B; B is the team's to decline
        update = state.incidents[incident_id].latest
        assert update.revision > task_b.revision
        status, answer = await ack(update.event_id, "on_scene", 6)
        assert status == 202 and answer["published"]["event_id"] == task_b.event_id
        status, answer = await ack(task_b.event_id, "declined", 7)
        assert status == 202 and desk.incidents[incident_id].status == "queued"
        assert [(a.event_id, a.status) for a in pub.acks] == [(task_a.event_id, "declined"), (task_b.event_id, "accepted"),
                                                              (task_b.event_id, "on_scene"), (task_b.event_id, "declined")]

    _with_client(tmp_path, body, state=state)


def test_a_first_fix_the_desk_would_refuse_as_out_of_area_is_refused_and_does_not_become_the_teams_position(tmp_path: Path) -> None:
    """A team with no fix yet sent 0, 0 (a receiver without a fix) or a point 1 000 km away: the console answered 202 and
    wrote it, the desk dead-lettered it `out_of_area`, and the console kept it as the team's latest fix, so every real fix
    after it was an `impossible_jump` for a day and every status change (sent at that position) was dead-lettered too."""
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        for lat, lon in ((0.0, 0.0), (39.9, 116.4)):
            resp = await client.post("/api/team/status", json={"lat": lat, "lon": lon, "at": NOW.isoformat(), "accuracy_m": 10},
                                     headers=_auth(tok["t2"]))
            assert resp.status == 422 and (await resp.json())["error"] == "out_of_area", await resp.text()
        assert pub.statuses == [] and "T-daoli-2" not in phones.fixes
        ok = await client.post("/api/team/status", json={"lat": 45.76, "lon": 126.63, "at": NOW.isoformat(), "accuracy_m": 10},
                               headers=_auth(tok["t2"]))
        assert ok.status == 202 and [s.lat for s in pub.statuses] == [45.76]
        # a status change alone is sent at the team's last position: never at one the desk refused (the console's view)
        class Seen:
            status, lat, lon = "available", 0.0, 0.0
        with pytest.raises(PhoneInputError) as refused:
            phones.team_status("T-daoli-3", {"status": "break"}, Seen(), NOW)
        assert refused.value.code == "no_position"
        # one written before this check (on the topic at the console's start) is not taken as the team's latest fix
        phones.fold("team-status", TeamStatus(team_id="T-daoli-3", at=NOW, status="available", lat=0.0, lon=0.0).to_dict())
        assert "T-daoli-3" not in phones.fixes

    _with_client(tmp_path, body)


def test_with_a_closed_roster_a_team_the_city_does_not_list_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """`intake.roster_teams_only`: the desk dead-letters every status of a team its city does not list. A token for such a
    team (a volunteer group added to the tokens, not to the city's teams layer) was answered 202 at every position."""
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        phones.roster_teams_only = True
        stranger = add_token(tmp_path / "tokens.json", "team", team_id="V-volunteers-9")
        fix = {"lat": 45.76, "lon": 126.63, "at": NOW.isoformat(), "accuracy_m": 10}
        resp = await client.post("/api/team/status", json=fix, headers=_auth(stranger))
        assert resp.status == 403 and (await resp.json())["error"] == "unknown_team", await resp.text()
        assert pub.statuses == []
        assert (await client.post("/api/team/status", json=fix, headers=_auth(tok["t2"]))).status == 202  # on the roster

    _with_client(tmp_path, body)


def test_a_team_s_fix_dated_far_ahead_does_not_lock_its_phone_out(tmp_path: Path) -> None:
    """One record on `team-status` dated 2099 (a receiver whose clock jumped, or anyone who can write the topic) for a
    real team: the desk dead-letters it `future_time`, but the console kept it as the team's latest fix. Every real
    fix after it was `out_of_order`, and a status change alone was dated 2099 and dead-lettered too: the team could
    neither report where it was nor come back on duty while the record stayed on the topic."""
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str], phones: TeamPhones) -> None:
        far = datetime(2099, 1, 1, tzinfo=CST)
        phones.fold("team-status", TeamStatus(team_id="T-daoli-2", at=far, status="off_duty", lat=45.76, lon=126.63).to_dict())
        change = await client.post("/api/team/status", json={"status": "available"}, headers=_auth(tok["t2"]))
        assert (await change.json())["error"] == "no_position" and pub.statuses == [], "never sent at 2099"
        fix = await client.post("/api/team/status", json={"lat": 45.761, "lon": 126.631, "at": NOW.isoformat(), "accuracy_m": 10},
                                headers=_auth(tok["t2"]))
        assert fix.status == 202, await fix.text()
        phones.fold("team-status", pub.statuses[-1].to_dict())  # as the console reads it back from the topic
        assert phones.fixes["T-daoli-2"].at == NOW
        change = await client.post("/api/team/status", json={"status": "available"}, headers=_auth(tok["t2"]))
        assert change.status == 202 and pub.statuses[-1].at == NOW and pub.statuses[-1].status == "available"
        jump = await client.post("/api/team/status", json={"lat": 45.99, "lon": 126.99, "at": (NOW + timedelta(seconds=5)).isoformat()},
                                 headers=_auth(tok["t2"]))
        assert (await jump.json())["error"] == "impossible_jump", "the real fix is judged by again"

    _with_client(tmp_path, body)


def test_the_destination_chosen_again_on_scene_reaches_the_teams_phone(desk: Desk, report: Callable[..., Report]) -> None:
    """The kiosk (08:00-21:00) chosen at 20:50 has closed when the team is on scene at 21:05: the desk chooses again
    (`Desk._reach`), and the task on the team's phone, built from the incident's latest event, names the new place."""
    team_id = "T-daoli-1"
    state = ConsoleState()
    at = datetime(2026, 12, 20, 20, 50, tzinfo=CST)
    team(desk, team_id, 300, at=at - timedelta(minutes=10))

    def phone_destination() -> str:
        (view,) = state.team_tasks(team_id)
        (task,) = [PHONES.task_view(team_view(view.latest.to_dict(), view.task_of(team_id)))]
        return str(task["destination"]["id"])

    first = desk.handle_report(report(at=at, lat=45.7600, lon=126.64289)).events[0]
    state.apply_dispatch(first)
    assert first.destination is not None and first.destination.id == "hp-lottery-hongjun"
    assert phone_destination() == "hp-lottery-hongjun"
    for minutes, status in ((2, "accepted"), (15, "on_scene")):
        for event in desk.handle_ack(TaskAck(event_id=first.event_id, team_id=team_id, status=status,
                                             at=at + timedelta(minutes=minutes))).events:
            state.apply_dispatch(event)
    assert phone_destination() == "hp-bank-qiulin"
