"""The ledger's console screens with several cities: each centre's sweep list in its own city's time."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import shutil
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from console.auth import TokenStore, add_token
from console.kafka_io import ListPublisher
from console.ledger_api import LedgerService, ledger_screens
from console.server import SERVICE, ConsoleService, build_app
from console.state import ConsoleState
from core.records import ClockTick, DispatchEvent
from core.settings import DATA_DIR, Settings
from ledger.db import RowRefused
from ledger.store import PersonInput, Store


def test_a_centres_sweep_list_is_for_tonight_in_its_own_citys_time_zone(tmp_path: Path) -> None:
    # A second city two hours behind Harbin: at 01:00 in Harbin it is still 23:00 of the day before there,
    # and its supervisor's list (no date given) was drawn for Harbin's date, a night that had not begun.
    west = tmp_path / "kashgar"
    shutil.copytree(DATA_DIR / "cities" / "qiqihar", west)
    meta = json.loads((west / "city.json").read_text(encoding="utf-8"))
    (west / "city.json").write_text(json.dumps({**meta, "timezone": "Asia/Urumqi"}), encoding="utf-8")
    settings = replace(Settings(), cities=f"harbin,{west}", database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    token = add_token(tmp_path / "tokens.json", "supervisor", name="sup")
    state = ConsoleState()
    state.apply_clock(ClockTick(at=datetime(2026, 12, 21, 1, 0, tzinfo=timezone(timedelta(hours=8)))))
    service = ConsoleService(state, ListPublisher(), TokenStore(tmp_path / "tokens.json"), DATA_DIR / "cities" / "harbin",
                             centre_dirs=settings.centre_dirs)
    ledger = ledger_screens(settings)
    app = build_app(service)
    ledger.add_routes(app)

    async def main() -> dict[str, str]:
        try:
            async with TestClient(TestServer(app)) as client:
                return {centre: (await (await client.get(f"/api/ledger/sweep?centre={centre}&level=none",
                                                         headers={"Authorization": f"Bearer {token}"})).json())["date"]
                        for centre in ("harbin", "kashgar")}
        finally:
            await ledger.stop()

    assert asyncio.run(main()) == {"harbin": "2026-12-21", "kashgar": "2026-12-20"}


def test_a_date_no_report_day_can_hold_is_a_400(tmp_path: Path) -> None:
    # 0001-01-01 and 9999-12-31 parse as dates, but the day's bounds overflowed while drawing the list or the report: a 500.
    settings = replace(Settings(), cities="harbin", database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    token = add_token(tmp_path / "tokens.json", "supervisor", name="sup")
    state = ConsoleState()
    service = ConsoleService(state, ListPublisher(), TokenStore(tmp_path / "tokens.json"), DATA_DIR / "cities" / "harbin",
                             centre_dirs=settings.centre_dirs)
    ledger = ledger_screens(settings)
    app = build_app(service)
    ledger.add_routes(app)
    auth = {"Authorization": f"Bearer {token}"}

    async def main() -> list[tuple[int, str]]:
        try:
            async with TestClient(TestServer(app)) as client:
                answers = []
                for url in ("/api/ledger/sweep?date=0001-01-01", "/api/ledger/sweep?date=9999-12-31", "/api/ledger/report?date=0001-01-01",
                            "/api/ledger/report?date=9999-12-31"):
                    resp = await client.get(url, headers=auth)
                    answers.append((resp.status, (await resp.json())["error"]))
                return answers
        finally:
            await ledger.stop()

    assert asyncio.run(main()) == [(400, "invalid_date")] * 4


def test_an_identity_that_is_not_an_object_is_a_400(tmp_path: Path) -> None:
    # `dict("ab")` raised ValueError (a 500); `dict(["ab"])` quietly made {"a": "b"} of a list.
    settings = replace(Settings(), cities="harbin", database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    token = add_token(tmp_path / "tokens.json", "operator", name="op")
    state = ConsoleState()
    state.apply_dispatch(DispatchEvent(
        event_id="inc-1-r1", kind="dispatch", incident_id="inc-1", revision=1, priority="P2", category="guidance", rules=(),
        zone_id=None, key_area=None, lat=45.7735, lon=126.6165, sources=("h-1",), team_id="T-daoli-1", ack_deadline=None,
        nearest_help_point=None, notify=(), at=datetime(2026, 12, 20, 23, 0, tzinfo=timezone(timedelta(hours=8))), status="assigned"))
    service = ConsoleService(state, ListPublisher(), TokenStore(tmp_path / "tokens.json"), DATA_DIR / "cities" / "harbin",
                             centre_dirs=settings.centre_dirs)
    ledger = ledger_screens(settings)
    app = build_app(service)
    ledger.add_routes(app)

    async def main() -> list[tuple[int, str]]:
        try:
            async with TestClient(TestServer(app)) as client:
                answers = []
                for identity in ("ab", ["ab"], 5):
                    resp = await client.post("/api/ledger/incidents/inc-1/link", json={"new": {"identity": identity}},
                                             headers={"Authorization": f"Bearer {token}"})
                    answers.append((resp.status, (await resp.json())["error"]))
                resp = await client.post("/api/ledger/incidents/inc-1/link", json={"new": {"identity": {"name": "王某"}}},
                                         headers={"Authorization": f"Bearer {token}"})
                answers.append((resp.status, "linked" if (await resp.json())["linked"] else "not linked"))
                return answers
        finally:
            await ledger.stop()

    assert asyncio.run(main()) == [(400, "invalid_new")] * 3 + [(201, "linked")]


def test_the_printable_report_s_policy_allows_its_own_style_and_nothing_else(tmp_path: Path) -> None:
    # The console's policy (style-src 'self') blocked the report's inline <style>: it printed unstyled.
    token = add_token(tmp_path / "tokens.json", "supervisor", name="sup")
    app, ledger = _ledger_app(tmp_path, {})

    async def main() -> tuple[int, str, str]:
        try:
            async with TestClient(TestServer(app)) as client:
                resp = await client.get("/api/ledger/report?date=2026-12-20&format=html&lang=en", headers={"Authorization": f"Bearer {token}"})
                return resp.status, resp.headers["Content-Security-Policy"], await resp.text()
        finally:
            await ledger.stop()

    status, policy, page = asyncio.run(main())
    assert status == 200
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode("utf-8")).digest()).decode("ascii")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["style-src"] == f"'sha256-{digest}'" and directives["default-src"] == "'none'"
    assert "script-src" not in directives and "unsafe" not in policy



def _ledger_app(tmp_path: Path, holders: dict[str, str], database: Path | None = None) -> tuple[web.Application, LedgerService]:
    """A console with the ledger's screens over tmp_path's tokens.json (add the tokens first), its state holding a
    P2 guidance task for each incident of `holders` (incident id: team id), and a SQLite ledger (`database`)."""
    settings = replace(Settings(), cities="harbin", database_url=f"sqlite:///{database or tmp_path / 'ledger.sqlite3'}")
    state = ConsoleState()
    for incident, holder in holders.items():
        state.apply_dispatch(DispatchEvent(
            event_id=f"{incident}-r1", kind="dispatch", incident_id=incident, revision=1, priority="P2", category="guidance", rules=(),
            zone_id=None, key_area=None, lat=45.7735, lon=126.6165, sources=("h-1",), team_id=holder, ack_deadline=None,
            nearest_help_point=None, notify=(), at=datetime(2026, 12, 20, 23, 0, tzinfo=timezone(timedelta(hours=8))), status="assigned"))
    service = ConsoleService(state, ListPublisher(), TokenStore(tmp_path / "tokens.json"), DATA_DIR / "cities" / "harbin",
                             centre_dirs=settings.centre_dirs)
    ledger = ledger_screens(settings)
    app = build_app(service)
    ledger.add_routes(app)
    return app, ledger


async def _post(client: TestClient[Any, Any], token: str, url: str, body: object) -> tuple[int, str]:
    """POST as `token`: (status, the error code or the file id answered)."""
    resp = await client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    data = await resp.json()
    return resp.status, str(data.get("error") or data.get("person_id"))


def test_a_request_id_opens_a_file_once_for_its_own_caller_only(tmp_path: Path) -> None:
    # The file's id was made of the request id alone: a team that sent another caller's request id (guessed, or a client
    # counting "req-1" from one) had its incident linked to that stranger's file, and overwrote the file's identity.
    path = tmp_path / "tokens.json"
    op, sup = add_token(path, "operator", name="op"), add_token(path, "supervisor", name="sup")
    team = add_token(path, "team", team_id="T-daoli-2")
    app, ledger = _ledger_app(tmp_path, {"inc-1": "T-daoli-1", "inc-2": "T-daoli-2"})

    async def main() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, object]]:
        try:
            async with TestClient(TestServer(app)) as client:
                async def link(token: str, incident: str, name: str) -> dict[str, str]:
                    body = {"new": {"sex": "male", "age_group": "elderly", "identity": {"name": name}}, "request_id": "req-1"}
                    resp = await client.post(f"/api/ledger/incidents/{incident}/link", json=body, headers={"Authorization": f"Bearer {token}"})
                    return {"status": str(resp.status), **(await resp.json())}

                first = await link(op, "inc-1", "王大爷")
                again = await link(op, "inc-1", "王大爷")  # the operator's own resend: the same file
                other = await link(team, "inc-2", "李四")
                file = await (await client.get(f"/api/ledger/persons/{first['person_id']}", headers={"Authorization": f"Bearer {sup}"})).json()
                return first, again, other, file
        finally:
            await ledger.stop()

    first, again, other, file = asyncio.run(main())
    assert first["status"] == "201" and again["status"] == "200" and again["person_id"] == first["person_id"]
    assert other["status"] == "201" and other["person_id"] != first["person_id"]
    assert file["identity"]["name"] == "王**"  # not overwritten by the team's 李四


def test_a_team_writes_notes_only_in_a_file_linked_to_its_own_open_task(tmp_path: Path) -> None:
    # Any team token added a note (a refusal, a referral) to any file it named, and a 404 against a 201 told it which
    # files exist: a team writes to the file of the person on its own task, linked to that task's incident.
    path = tmp_path / "tokens.json"
    op, t1, t2 = add_token(path, "operator", name="op"), add_token(path, "team", team_id="T-daoli-1"), add_token(path, "team", team_id="T-daoli-2")
    app, ledger = _ledger_app(tmp_path, {"inc-1": "T-daoli-1", "inc-2": "T-daoli-2"})
    note = {"kind": "refusal", "text": "refused help"}

    async def main() -> list[tuple[int, str]]:
        try:
            async with TestClient(TestServer(app)) as client:
                async def post(token: str, url: str, body: object) -> tuple[int, str]:
                    resp = await client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
                    data = await resp.json()
                    return resp.status, str(data.get("error") or data.get("person_id") or ("written" if "note_id" in data else data))

                _, person = await post(op, "/api/ledger/incidents/inc-1/link", {"new": {"sex": "male", "age_group": "elderly"}})
                return [
                    await post(t2, f"/api/ledger/persons/{person}/notes", note),  # another team's person
                    await post(t2, "/api/ledger/persons/P-000000000000/notes", note),  # no such file: the same answer
                    await post(t2, f"/api/ledger/persons/{person}/notes", "not even a body"),  # refused before the body is read
                    await post(op, "/api/ledger/persons/P-000000000000/notes", note),
                    await post(t1, f"/api/ledger/persons/{person}/notes", note),
                    await post(op, f"/api/ledger/persons/{person}/notes", {**note, "kind": "followup"}),
                ]
        finally:
            await ledger.stop()

    assert asyncio.run(main()) == [(403, "not_your_task")] * 3 + [(400, "person_not_found"), (201, "written"), (201, "written")]


def test_a_team_links_its_task_only_to_the_file_it_was_shown(tmp_path: Path) -> None:
    # A team linked its own task's incident to any file id it had seen (another task, a colleague's phone): the link
    # then opened that stranger's summary (/api/ledger/team/helps) and notes to it. Now it confirms only the linked or
    # suggested file, with one answer whether another id exists or not.
    path = tmp_path / "tokens.json"
    op, t2 = add_token(path, "operator", name="op"), add_token(path, "team", team_id="T-daoli-2")
    app, ledger = _ledger_app(tmp_path, {"inc-1": "T-daoli-1", "inc-2": "T-daoli-2"})
    at = datetime(2026, 12, 20, 23, 0, tzinfo=timezone(timedelta(hours=8)))

    async def main() -> tuple[list[tuple[int, str]], list[str]]:
        try:
            async with TestClient(TestServer(app)) as client:
                def post(token: str, url: str, body: object) -> Awaitable[tuple[int, str]]:
                    return _post(client, token, url, body)

                seen_there = app[SERVICE].state.incidents["inc-1"].latest  # the ledger's record of inc-1 (read off the stream)
                await ledger.call(lambda s: s.apply_dispatch(seen_there.to_dict()))
                _, seen = await post(op, "/api/ledger/incidents/inc-1/link", {"new": {"sex": "male", "age_group": "elderly"}})
                stranger = await ledger.call(lambda s: s.open_person(PersonInput(sex="female", age_group="adult"), by="op", at=at))
                helps = await (await client.get("/api/ledger/team/helps?incident_id=inc-2", headers={"Authorization": f"Bearer {t2}"})).json()
                answers = [
                    await post(t2, "/api/ledger/incidents/inc-2/link", {"person_id": stranger}),  # a file nobody proposed
                    await post(t2, "/api/ledger/incidents/inc-2/link", {"person_id": "P-000000000000"}),  # none: the same answer
                    await post(t2, "/api/ledger/incidents/inc-2/link", {"person_id": seen}),  # the file its phone shows
                    await post(t2, "/api/ledger/incidents/inc-2/link", {"person_id": seen}),  # a resend
                ]
                return answers, [p["person_id"] for p in helps["persons"]]
        finally:
            await ledger.stop()

    answers, shown = asyncio.run(main())
    assert answers[:2] == [(403, "not_your_file")] * 2
    assert answers[2][0] == 201 and answers[3][0] == 200 and [answers[2][1]] == shown


def test_a_value_the_database_cannot_hold_is_the_callers_400_never_ledger_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # PostgreSQL holds no NUL in text: a note, a file's description or a team's sweep note with one was refused by the database
    # (RowRefused), answered 503 ledger_unavailable, and a phone's outbox retried it without end; SQLite stored it.
    path = tmp_path / "tokens.json"
    op, team = add_token(path, "operator", name="op"), add_token(path, "team", team_id="T-daoli-1")
    app, ledger = _ledger_app(tmp_path, {"inc-1": "T-daoli-1"})

    async def main() -> list[tuple[int, str]]:
        try:
            async with TestClient(TestServer(app)) as client:
                def post(token: str, url: str, body: object) -> Awaitable[tuple[int, str]]:
                    return _post(client, token, url, body)

                answers = [
                    await post(op, "/api/ledger/incidents/inc-1/link", {"new": {"appearance": "红\x00棉袄"}}),
                    await post(op, "/api/ledger/incidents/inc-1/link", {"new": {"identity": {"name": "王\x00"}}}),
                    await post(team, "/api/ledger/team/sweeps/report", {"task_id": "sw-1", "status": "found", "note": "\x00"}),
                    await post(team, "/api/ledger/team/sweeps/sw-1/done", {"note": "met\x00him"}),
                ]
                _, person = await post(op, "/api/ledger/incidents/inc-1/link", {"new": {"appearance": "红棉袄"}})
                answers.append(await post(op, f"/api/ledger/persons/{person}/notes", {"kind": "note", "text": "a\x00b"}))

                def refused(*_args: object, **_kwargs: object) -> None:  # what PostgreSQL answers a value it cannot hold
                    raise RowRefused("PostgreSQL text fields cannot contain NUL (0x00) bytes in: INSERT INTO person_notes ...")

                monkeypatch.setattr(Store, "add_note", refused)
                answers.append(await post(op, f"/api/ledger/persons/{person}/notes", {"kind": "note", "text": "ok"}))
                return answers
        finally:
            await ledger.stop()

    assert asyncio.run(main()) == [(400, "invalid")] * 2 + [(400, "invalid_note")] * 2 + [(400, "invalid")] * 2


def test_why_the_ledger_is_unavailable_is_logged_not_told_to_the_caller(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The 503 carried the database error as it was: a SQLite file's path, PostgreSQL's host and user, to any token, a team's too.
    hidden = tmp_path / "state-dir"
    hidden.mkdir()  # a folder: no database opens there
    team = add_token(tmp_path / "tokens.json", "team", team_id="T-daoli-1")
    app, ledger = _ledger_app(tmp_path, {}, database=hidden)

    async def main() -> tuple[int, dict[str, str]]:
        try:
            async with TestClient(TestServer(app)) as client:
                resp = await client.get("/api/ledger/team/sweeps", headers={"Authorization": f"Bearer {team}"})
                return resp.status, await resp.json()
        finally:
            await ledger.stop()

    with caplog.at_level("ERROR", logger="patrol.console.ledger"):
        status, body = asyncio.run(main())
    assert status == 503 and body["error"] == "ledger_unavailable"
    assert "state-dir" not in body["message"] and "SQLite" not in body["message"]
    assert any("state-dir" in r.getMessage() for r in caplog.records)  # the operator's log says why


def test_the_read_audit_is_answered_a_page_at_a_time(tmp_path: Path) -> None:
    token = add_token(tmp_path / "tokens.json", "supervisor", name="sup")
    app, ledger = _ledger_app(tmp_path, {})
    auth = {"Authorization": f"Bearer {token}"}
    t0 = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)

    async def main() -> None:
        try:
            async with TestClient(TestServer(app)) as client:
                await ledger.call(lambda s: [s.log_read(who="op", role="operator", person_id="P-a", what=f"r{n}", at=t0 + timedelta(minutes=n))
                                             for n in range(600)])
                page = await (await client.get("/api/ledger/audit", headers=auth)).json()
                assert len(page["reads"]) == 500 and page["more"] and page["reads"][-1]["what"] == "r599"
                page = await (await client.get("/api/ledger/audit?person_id=P-a&limit=3", headers=auth)).json()
                assert [r["what"] for r in page["reads"]] == ["r597", "r598", "r599"]
                for bad in ("0", "5001", "x", "²", "-1"):
                    resp = await client.get(f"/api/ledger/audit?limit={bad}", headers=auth)
                    assert (resp.status, (await resp.json())["error"]) == (400, "invalid_limit"), bad
        finally:
            await ledger.stop()

    asyncio.run(main())
