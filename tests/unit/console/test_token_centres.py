"""Operator and supervisor tokens scoped to dispatch centres: the tokens file, and what the console lets them read and do."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from console.auth import TokenStore, add_token
from console.calls import CallDesk
from console.centres import CentreKeys
from console.commands import CommandDesk
from console.kafka_io import ListPublisher
from console.ledger_api import LedgerService, ledger_screens
from console.outbox import ListOutbox
from console.server import ConsoleService, build_app
from console.state import ConsoleState
from core.errors import ConfigError
from core.records import DeadLetter
from core.settings import DATA_DIR, Settings
from ledger.store import PersonInput
from rules.context import Province, load_province
from tests.unit.console.test_state import T0, event

CENTRES = ("harbin", "qiqihar")


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", {name: DATA_DIR / "cities" / name for name in CENTRES})


def test_a_token_without_centres_covers_every_centre_and_one_with_centres_only_those(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    every = add_token(path, "operator", token_id="all")
    harbin = add_token(path, "supervisor", token_id="hrb", centres=["harbin"], known=CENTRES)
    store = TokenStore(path, centres=CENTRES)
    everyone, scoped = store.authenticate(every), store.authenticate(harbin)
    assert everyone is not None and everyone.centres is None and everyone.covers("qiqihar")
    assert scoped is not None and scoped.centres == frozenset({"harbin"})
    assert scoped.covers("harbin") and not scoped.covers("qiqihar")
    assert json.loads(path.read_text())["tokens"][1]["centres"] == ["harbin"]
    assert "centres" not in json.loads(path.read_text())["tokens"][0]  # a file from before reads the same


@pytest.mark.parametrize(("role", "centres", "why"), [
    ("operator", ["harbin", "mudanjiang"], "unknown centre 'mudanjiang'"),
    ("operator", [], "non-empty list"),
    ("supervisor", "harbin", "non-empty list"),
    ("team", ["harbin"], "bound to its team"),
])
def test_a_token_s_centres_are_checked_when_added_and_when_loaded(tmp_path: Path, role: str, centres: Any, why: str) -> None:
    path = tmp_path / "tokens.json"
    with pytest.raises(ConfigError, match=why):
        add_token(path, role, team_id="T-daoli-1" if role == "team" else None, centres=centres, known=CENTRES)
    # the same entry written by hand: refused at load with its index and line
    add_token(path, "operator", token_id="op")
    data = json.loads(path.read_text())
    data["tokens"].append({**data["tokens"][0], "id": "bad", "role": role, "team_id": "T-daoli-1", "centres": centres})
    path.write_text('{\n  "tokens": [\n' + ",\n".join(json.dumps(t) for t in data["tokens"]) + "\n  ]\n}\n")
    with pytest.raises(ConfigError, match=why) as raised:
        TokenStore(path, centres=CENTRES)
    assert raised.value.line == 4 and "tokens[1]" in str(raised.value)


def test_a_scoped_token_sees_and_commands_only_its_centres_incidents_and_teams(tmp_path: Path, province: Province) -> None:
    path = tmp_path / "tokens.json"
    harbin = add_token(path, "operator", token_id="hrb", centres=["harbin"], known=CENTRES)
    every = add_token(path, "operator", token_id="all")
    qiqihar = add_token(path, "operator", token_id="qqhr", centres=["qiqihar"], known=CENTRES)
    teams = [team for ctx in province.centres.values() for team in ctx.city.teams]
    state = ConsoleState(teams)
    state.apply_dispatch(event("inc-h"))
    state.apply_dispatch(replace(event("inc-q"), lat=47.3485, lon=123.9455))
    publisher = ListPublisher()
    service = ConsoleService(state, publisher, TokenStore(path, centres=CENTRES), DATA_DIR / "cities" / "harbin",
                             centres=CentreKeys(province), centre_dirs={name: DATA_DIR / "cities" / name for name in CENTRES})

    async def main() -> None:
        async with TestClient(TestServer(build_app(service))) as client:
            as_harbin = {"Authorization": f"Bearer {harbin}"}
            snap = await (await client.get("/api/state", headers=as_harbin)).json()
            assert [i["incident_id"] for i in snap["incidents"]] == ["inc-h"]
            assert {t["team_id"] for t in snap["teams"]} == {t.team_id for t in province.centres["harbin"].city.teams}
            everything = await (await client.get("/api/state", headers={"Authorization": f"Bearer {every}"})).json()
            assert {i["incident_id"] for i in everything["incidents"]} == {"inc-h", "inc-q"}
            as_qiqihar = {"Authorization": f"Bearer {qiqihar}"}
            assert (await (await client.get("/api/city", headers=as_qiqihar)).json())["centre"] == "qiqihar"  # its own map first
            assert [i["incident_id"] for i in (await (await client.get("/api/state", headers=as_qiqihar)).json())["incidents"]] == ["inc-q"]
            refused = await client.post("/api/incidents/inc-q/resolve", headers=as_harbin)
            assert refused.status == 403
            answer = await refused.json()
            assert answer["error"] == "other_centre" and "qiqihar" in answer["message"]
            assert (await client.post("/api/incidents/inc-h/resolve", headers=as_harbin)).status == 202

    asyncio.run(main())
    assert [a.incident_id for a in publisher.acks] == ["inc-h"]
    # the live stream: another centre's incident and team changes are left out, the clock is not
    scoped = service.tokens.authenticate(harbin)
    assert scoped is not None
    changes = [*state.apply_dispatch(replace(event("inc-q", 2), lat=47.3485, lon=123.9455, team_id="T-longsha-2")),
               *state.apply_dispatch(replace(event("inc-h", 2), team_id="T-daoli-1"))]
    shown = service.visible(scoped, changes)
    assert {d["incident_id"] for n, d in shown if n == "incident"} == {"inc-h"}
    assert {d["team_id"] for n, d in shown if n == "team"} == {"T-daoli-1"}
    assert {d["incident_id"] for n, d in changes if n == "incident"} == {"inc-h", "inc-q"}


def test_a_team_token_cannot_act_on_another_centre_s_incident(tmp_path: Path, province: Province) -> None:
    path = tmp_path / "tokens.json"
    daoli = add_token(path, "team", team_id="T-daoli-1")
    state = ConsoleState([team for ctx in province.centres.values() for team in ctx.city.teams])
    state.apply_dispatch(replace(event("inc-q"), lat=47.3485, lon=123.9455, team_id="T-longsha-2"))
    publisher = ListPublisher()
    service = ConsoleService(state, publisher, TokenStore(path, centres=CENTRES), DATA_DIR / "cities" / "harbin",
                             centres=CentreKeys(province))

    async def main() -> None:
        async with TestClient(TestServer(build_app(service))) as client:
            auth = {"Authorization": f"Bearer {daoli}"}
            refused = await client.post("/api/team/acks", headers=auth, json={"event_id": "inc-q-r1", "status": "accepted"})
            assert refused.status == 403 and (await refused.json())["error"] == "not_your_task"
            assert (await (await client.get("/api/team/tasks", headers=auth)).json())["tasks"] == []
            assert (await client.post("/api/incidents/inc-q/resolve", headers=auth)).status == 403  # not an operator's route

    asyncio.run(main())
    assert publisher.acks == []


def _scoped_tokens(path: Path) -> tuple[str, str]:
    """A Harbin-only and a Qiqihar-only operator token in `path`."""
    return (add_token(path, "operator", token_id="hrb", centres=["harbin"], known=CENTRES),
            add_token(path, "operator", token_id="qqhr", centres=["qiqihar"], known=CENTRES))


def _call_desk(tmp_path: Path, province: Province) -> tuple[str, str, ConsoleService, CallDesk, ListOutbox, web.Application]:
    """A Harbin-only and a Qiqihar-only operator token, and a two-city console with its call desk (calls, queue)."""
    harbin, qiqihar = _scoped_tokens(tmp_path / "tokens.json")
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(tmp_path / "tokens.json", centres=CENTRES),
                             DATA_DIR / "cities" / "harbin", centres=CentreKeys(province))
    outbox = ListOutbox()
    desk = CallDesk(ctx=province.first, outbox=outbox, province=province)
    app = build_app(service)
    desk.add_routes(app)
    return harbin, qiqihar, service, desk, outbox, app


def _harbin_and_qiqihar_incidents(tmp_path: Path, province: Province) -> tuple[str, ConsoleService]:
    """A Harbin-only operator token and a console showing one incident in each city (`inc-h`, `inc-q`)."""
    harbin, _ = _scoped_tokens(tmp_path / "tokens.json")
    state = ConsoleState([team for ctx in province.centres.values() for team in ctx.city.teams])
    state.apply_dispatch(event("inc-h"))
    state.apply_dispatch(replace(event("inc-q"), lat=47.3485, lon=123.9455))
    return harbin, ConsoleService(state, ListPublisher(), TokenStore(tmp_path / "tokens.json", centres=CENTRES),
                                  DATA_DIR / "cities" / "harbin", centres=CentreKeys(province))


def _ledger_console(tmp_path: Path) -> tuple[LedgerService, web.Application]:
    """A two-city console (tokens in `tmp_path/tokens.json`) with the ledger's screens on a SQLite file."""
    settings = replace(Settings(), cities="harbin,qiqihar", database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(tmp_path / "tokens.json", centres=CENTRES),
                             DATA_DIR / "cities" / "harbin", centre_dirs=settings.centre_dirs)
    ledger = ledger_screens(settings)
    app = build_app(service)
    ledger.add_routes(app)
    return ledger, app


def test_a_scoped_token_cannot_read_or_link_another_centre_s_incident_the_console_has_forgotten(tmp_path: Path) -> None:
    # The guard looked the incident up in the console's memory only: a Harbin incident closed more than 6 h ago (or
    # any incident after a console restart) is in the ledger alone, and a Qiqihar operator read its linked files and
    # the suggestions, and linked it to a file. The ledger's row names its centre.
    harbin, qiqihar = _scoped_tokens(tmp_path / "tokens.json")
    ledger, app = _ledger_console(tmp_path)
    old = json.loads(replace(event("harbin:old"), centre="harbin").to_json())

    async def main() -> list[tuple[str, int, str]]:
        try:
            await ledger.call(lambda store: store.apply_dispatch(old))
            async with TestClient(TestServer(app)) as client:
                answers = []
                for who, token in (("qiqihar", qiqihar), ("harbin", harbin)):
                    auth = {"Authorization": f"Bearer {token}"}
                    read = await client.get("/api/ledger/incidents/harbin:old", headers=auth)
                    link = await client.post("/api/ledger/incidents/harbin:old/link", headers=auth,
                                             json={"new": {"sex": "male", "age_group": "elderly"}})
                    answers += [(who, read.status, (await read.json()).get("error", "")),
                                (who, link.status, (await link.json()).get("error", ""))]
                linked = await ledger.call(lambda store: store.persons_of("harbin:old"))
                answers.append(("links", len(linked), ""))
                return answers
        finally:
            await ledger.stop()

    assert asyncio.run(main()) == [("qiqihar", 403, "other_centre"), ("qiqihar", 403, "other_centre"),
                                   ("harbin", 200, ""), ("harbin", 201, ""), ("links", 1, "")]


def test_a_scoped_token_takes_calls_for_its_own_centres_only(tmp_path: Path, province: Province) -> None:
    # The call form was not scoped: a Qiqihar operator wrote tips for Harbin's desk (the tip taken under their name, a
    # team of another centre sent), and its preview read Harbin's weather.
    harbin, qiqihar, _, _, outbox, app = _call_desk(tmp_path, province)
    in_harbin = {"channel": "hotline", "text": "有人躺在路边", "lat": 45.7735, "lon": 126.6165}

    async def main() -> list[tuple[str, str, int, str]]:
        async with TestClient(TestServer(app)) as client:
            answers = []
            for who, token in (("qiqihar", qiqihar), ("harbin", harbin)):
                for url in ("/api/calls/preview", "/api/calls"):
                    resp = await client.post(url, json=in_harbin, headers={"Authorization": f"Bearer {token}"})
                    answers.append((who, url, resp.status, (await resp.json()).get("error", "")))
            return answers

    assert asyncio.run(main()) == [("qiqihar", "/api/calls/preview", 403, "other_centre"), ("qiqihar", "/api/calls", 403, "other_centre"),
                                   ("harbin", "/api/calls/preview", 200, ""), ("harbin", "/api/calls", 202, "")]
    assert [topic for topic, _, _ in outbox.records] == ["tips"]


def test_a_scoped_token_s_live_stream_leaves_out_another_centre_s_partner_notices_and_command_answers(tmp_path: Path, province: Province) -> None:
    # `visible` filtered incidents, teams and weather; the extensions' `notice` (partner, address) and `command` (the
    # desk's answer, its reason) events about another centre's incident reached the stream unfiltered.
    harbin, service = _harbin_and_qiqihar_incidents(tmp_path, province)
    scoped = service.tokens.authenticate(harbin)
    assert scoped is not None
    changes = [("notice", {"notice_id": f"n-{i}", "incident_id": i, "partner": "police", "address": "某路"}) for i in ("inc-q", "inc-h", "inc-x")]
    changes += [("command", {"command_id": f"c-{i}", "incident_id": i, "status": "rejected"}) for i in ("inc-q", "inc-h")]
    changes.append(("attention", {"open": 1, "resolved": 0, "other_dead_letters": 0}))
    shown = [(name, data.get("incident_id")) for name, data in service.visible(scoped, changes)]
    assert shown == [("notice", "inc-h"), ("command", "inc-h"), ("attention", None)]
    # The queue's counts are every centre's: the scoped page hears that it changed and reloads its own (`/api/attention`).
    assert service.visible(scoped, changes)[-1] == ("attention", {})
    assert service.visible(replace(scoped, centres=None), changes)[-1] == changes[-1]
    now = [("now", {"now": T0.isoformat()})]
    assert service.visible(scoped, now) == now


def letter_at(n: int, **tip: Any) -> dict[str, Any]:
    """A dead letter of `tips` whose original payload is `tip`."""
    return DeadLetter(topic="tips", reason="r", payload=json.dumps({"tip_id": f"t{n}", **tip}), error="invalid", offset=n,
                      event_id=f"dl-{n}").to_dict()


def test_a_scoped_token_s_needs_attention_queue_holds_its_centres_tips_and_those_no_city_holds(tmp_path: Path, province: Province) -> None:
    # The queue answered every centre's failed tips (the callers' text and contacts) to every operator, and a Qiqihar
    # operator could dismiss a Harbin caller's tip. A tip is placed as the intake places it (`Province.route`); one no
    # city holds (no position, an unknown address) stays in every queue, else nobody could correct it.
    harbin, qiqihar, service, desk, outbox, app = _call_desk(tmp_path, province)
    changes = [*desk.ingest("dead-letters", letter_at(1, lat=45.7735, lon=126.6165, reported_at="yesterday")),
               *desk.ingest("dead-letters", letter_at(2, lat=47.3485, lon=123.9455, reported_at="yesterday")),
               *desk.ingest("dead-letters", letter_at(3, address="月球背面"))]
    scoped = service.tokens.authenticate(harbin)
    assert scoped is not None
    assert [data["item"]["id"] for _, data in changes if "item" in data] == ["dl-1", "dl-2", "dl-3"]
    assert [data for _, data in service.visible(scoped, changes) if "item" in data] == []  # counts only: the page reloads its queue

    async def main() -> tuple[dict[str, Any], dict[str, Any], int, int]:
        async with TestClient(TestServer(app)) as client:
            as_harbin, as_qiqihar = ({"Authorization": f"Bearer {t}"} for t in (harbin, qiqihar))
            mine = await (await client.get("/api/attention", headers=as_harbin)).json()
            theirs = await (await client.get("/api/attention", headers=as_qiqihar)).json()
            refused = await client.post("/api/attention/dl-2/dismiss", json={"reason": "test"}, headers=as_harbin)
            taken = await client.post("/api/attention/dl-2/dismiss", json={"reason": "test"}, headers=as_qiqihar)
            return mine, theirs, refused.status, taken.status

    mine, theirs, refused, taken = asyncio.run(main())
    assert [i["id"] for i in mine["items"]] == ["dl-1", "dl-3"] and mine["open"] == 2
    assert [i["id"] for i in theirs["items"]] == ["dl-2", "dl-3"]
    assert (refused, taken) == (403, 202)
    assert [key for topic, key, _ in outbox.records] == ["dl-2"]


def test_a_scoped_token_reads_no_answer_about_another_centre_s_incident_and_merges_none_of_them(tmp_path: Path, province: Province) -> None:
    # `/api/commands` filtered the answers by centre but `/api/commands/{id}` answered any command by its id (a client
    # id is often a counter); a merge named another centre's incident in its body, which the guard did not look at.
    harbin, service = _harbin_and_qiqihar_incidents(tmp_path, province)
    outbox = ListOutbox()
    desk = CommandDesk(ctx=province.first, outbox=outbox)
    for incident in ("inc-q", "inc-h"):
        desk.ingest("command-results", {"command_id": f"c-{incident}", "incident_id": incident, "status": "rejected", "reason": "secret"})
    app = build_app(service)
    desk.add_routes(app)

    async def main() -> tuple[dict[str, Any], dict[str, Any], int, str]:
        async with TestClient(TestServer(app)) as client:
            auth = {"Authorization": f"Bearer {harbin}"}
            theirs = await (await client.get("/api/commands/c-inc-q", headers=auth)).json()
            mine = await (await client.get("/api/commands/c-inc-h", headers=auth)).json()
            merge = await client.post("/api/incidents/inc-h/commands", headers=auth, json={"kind": "merge", "other_incident_id": "inc-q"})
            return theirs, mine, merge.status, (await merge.json()).get("error", "")

    theirs, mine, status, error = asyncio.run(main())
    assert theirs == {"command_id": "c-inc-q", "status": "pending"}
    assert mine["reason"] == "secret"
    assert (status, error) == (403, "other_centre") and outbox.records == []


def test_a_scoped_supervisor_reads_notes_and_escalates_only_the_files_of_its_centres_incidents(tmp_path: Path) -> None:
    # A person's file (identity, health notes, every contact) was read, annotated and its social-work escalation closed
    # by any supervisor's token, a Qiqihar one's for a person only Harbin's teams ever met; the escalation list named
    # every centre's files, and the read audit (who opened which file) every centre's reads. A file belongs to the
    # centres of the incidents it is linked to.
    path = tmp_path / "tokens.json"
    harbin = add_token(path, "supervisor", token_id="hrb", centres=["harbin"], known=CENTRES)
    qiqihar = add_token(path, "supervisor", token_id="qqhr", centres=["qiqihar"], known=CENTRES)
    ledger, app = _ledger_console(tmp_path)
    seen = json.loads(replace(event("harbin:old"), centre="harbin").to_json())

    def file_in_harbin(store: Any) -> str:
        store.apply_dispatch(seen)
        person = store.open_person(PersonInput(sex="male", age_group="elderly"), by="op", at=T0)
        store.link("harbin:old", person, by="op", at=T0)
        store.db.execute("INSERT INTO ledger_escalations (escalation_id, person_id, at, reason, status) VALUES ('SW-1', ?, ?, 'r', 'open')",
                         (person, T0.isoformat()))
        return str(person)

    async def main() -> list[tuple[str, object]]:
        try:
            person = await ledger.call(file_in_harbin)
            async with TestClient(TestServer(app)) as client:
                answers: list[tuple[str, object]] = []
                for who, token in (("qiqihar", qiqihar), ("harbin", harbin)):
                    auth = {"Authorization": f"Bearer {token}"}
                    answers.append((who, (await client.get(f"/api/ledger/persons/{person}", headers=auth)).status))
                    answers.append((who, (await client.post(f"/api/ledger/persons/{person}/notes", headers=auth,
                                                            json={"kind": "note", "text": "x"})).status))
                    listed = (await (await client.get("/api/ledger/escalations", headers=auth)).json())["escalations"]
                    answers.append((who, [e["escalation_id"] for e in listed]))
                    answers.append((who, (await client.post("/api/ledger/escalations/SW-1/close", headers=auth)).status))
                for who, token in (("qiqihar", qiqihar), ("harbin", harbin)):
                    # Who read the file (Harbin's supervisor, above): the audit of another centre's file is not theirs
                    auth = {"Authorization": f"Bearer {token}"}
                    reads = (await (await client.get("/api/ledger/audit", headers=auth)).json())["reads"]
                    answers.append((who, sorted({r["person_id"] == person for r in reads})))
                    answers.append((who, (await client.get(f"/api/ledger/audit?person_id={person}", headers=auth)).status))
                return answers
        finally:
            await ledger.stop()

    assert asyncio.run(main()) == [("qiqihar", 403), ("qiqihar", 403), ("qiqihar", []), ("qiqihar", 403),
                                   ("harbin", 200), ("harbin", 201), ("harbin", ["SW-1"]), ("harbin", 200),
                                   ("qiqihar", []), ("qiqihar", 403), ("harbin", [True]), ("harbin", 200)]


def test_a_scoped_token_reads_no_partner_notices_of_an_incident_the_console_no_longer_shows(tmp_path: Path, province: Province) -> None:
    # The notices of an incident the console has forgotten (closed 6 h ago) were answered to any token: the guard needs
    # the incident's view, and a notice names no centre.
    harbin, qiqihar = _scoped_tokens(tmp_path / "tokens.json")
    every = add_token(tmp_path / "tokens.json", "operator", token_id="all")
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(tmp_path / "tokens.json", centres=CENTRES),
                             DATA_DIR / "cities" / "harbin", centres=CentreKeys(province))
    desk = CallDesk(ctx=province.first, outbox=ListOutbox(), province=province)
    desk.ingest("partner-notices", {"notice_id": "n-1", "partner": "police", "incident_id": "harbin:gone", "address": "某路", "at": "x"})
    app = build_app(service)
    desk.add_routes(app)

    async def main() -> list[int]:
        async with TestClient(TestServer(app)) as client:
            return [len((await (await client.get("/api/incidents/harbin:gone/notices", headers={"Authorization": f"Bearer {t}"})).json())["notices"])
                    for t in (qiqihar, harbin, every)]

    assert asyncio.run(main()) == [0, 0, 1]


def test_a_scoped_token_s_place_suggestions_are_of_its_centres_cities_only(tmp_path: Path, province: Province) -> None:
    # `/api/gazetteer` suggested every city's places to a token scoped to one centre: a Harbin operator typing 齐齐哈尔
    # was offered Qiqihar's places, and a call placed there is refused to them (403 other_centre).
    harbin, qiqihar, _, _, _, app = _call_desk(tmp_path, province)
    every = add_token(tmp_path / "tokens.json", "operator", token_id="all")
    centre_of = {place.name: centre for centre, ctx in province.centres.items() for place in ctx.city.places}

    async def main() -> list[set[str]]:
        async with TestClient(TestServer(app)) as client:
            found = []
            for token in (harbin, qiqihar, every):
                places = [(await (await client.get(f"/api/gazetteer?q={q}", headers={"Authorization": f"Bearer {token}"})).json())["places"]
                          for q in ("齐齐哈尔", "哈尔滨", "站")]
                found.append({centre_of[p["name"]] for answer in places for p in answer})
            return found

    assert asyncio.run(main()) == [{"harbin"}, {"qiqihar"}, {"harbin", "qiqihar"}]


def test_a_scoped_supervisor_s_read_audit_pages_hold_limit_rows_of_its_centres_and_a_cursor_walks_them_all(tmp_path: Path) -> None:
    # The scope was applied to the page after it was cut: with the newest reads of another centre's files, a Qiqihar
    # supervisor's page of 5 came empty while `more` said older reads existed, and no page could reach them.
    path = tmp_path / "tokens.json"
    qiqihar = add_token(path, "supervisor", token_id="qqhr", centres=["qiqihar"], known=CENTRES)
    every = add_token(path, "supervisor", token_id="all")
    ledger, app = _ledger_console(tmp_path)
    incidents = (replace(event("harbin:h"), centre="harbin"), replace(event("qiqihar:q"), centre="qiqihar", lat=47.3485, lon=123.9455))

    def reads(store: Any) -> None:
        for n, (ev, file_of) in enumerate((ev, store.open_person(PersonInput(sex="male", age_group="elderly"), by="op", at=T0))
                                          for ev in incidents):
            store.apply_dispatch(json.loads(ev.to_json()))
            store.link(ev.incident_id, file_of, by="op", at=T0)
            for k in range(10):  # Qiqihar's file read first, Harbin's ten reads are the newest
                store.log_read(who="op", role="operator", person_id=file_of, what=f"{ev.centre} {k}", at=T0 + timedelta(minutes=20 * (1 - n) + k))

    async def pages(client: TestClient[Any, Any], token: str) -> list[tuple[list[str], bool]]:
        out: list[tuple[list[str], bool]] = []
        url = "/api/ledger/audit?limit=4"
        while True:
            page = await (await client.get(url, headers={"Authorization": f"Bearer {token}"})).json()
            out.append(([r["what"] for r in page["reads"] if r["what"].split()[0] in CENTRES], page["more"]))
            if not page["more"]:
                return out
            url = f"/api/ledger/audit?limit=4&before={page['next']}"

    async def main() -> tuple[list[tuple[list[str], bool]], list[tuple[list[str], bool]], int]:
        try:
            await ledger.call(reads)
            async with TestClient(TestServer(app)) as client:
                bad = await client.get("/api/ledger/audit?before=nothing-such", headers={"Authorization": f"Bearer {every}"})
                return await pages(client, qiqihar), await pages(client, every), bad.status
        finally:
            await ledger.stop()

    mine, everyone, bad = asyncio.run(main())
    assert mine == [(["qiqihar 6", "qiqihar 7", "qiqihar 8", "qiqihar 9"], True), (["qiqihar 2", "qiqihar 3", "qiqihar 4", "qiqihar 5"], True),
                    (["qiqihar 0", "qiqihar 1"], False)]
    walked = [w for page, _ in reversed(everyone) for w in page]
    assert walked == [f"qiqihar {k}" for k in range(10)] + [f"harbin {k}" for k in range(10)]
    assert all(len(page) == 4 for page, more in everyone if more) and bad == 400
