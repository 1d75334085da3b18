"""The console keys every record it writes to a desk input by the dispatch centre it belongs to."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from console.auth import TokenStore, add_token
from console.calls import CallDesk
from console.centres import CentreKeys
from console.kafka_io import ListPublisher
from console.outbox import ListOutbox
from console.phone import TeamPhones
from console.server import ConsoleService, build_app
from console.state import ConsoleState
from core.settings import DATA_DIR
from rules.context import Province, load_province
from tests.unit.console.test_state import event


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml",
                         {name: DATA_DIR / "cities" / name for name in ("harbin", "qiqihar")})


def test_incidents_and_teams_are_keyed_by_their_centre(province: Province) -> None:
    keys = CentreKeys(province)
    assert keys.of_incident(event("inc-h")) == "harbin"  # 45.77, 126.62: Daoli
    assert keys.of_incident(replace(event("inc-q"), lat=47.3485, lon=123.9455)) == "qiqihar"  # Longsha
    assert keys.of_team("T-longsha-2") == "qiqihar"
    assert keys.of_team("T-daoli-1") == "harbin"
    # nothing claims it: the record's own id, and the desk sends it home
    assert keys.of_incident(replace(event("inc-x"), lat=30.0, lon=100.0)) == "inc-x"
    assert keys.of_team("T-nowhere") == "T-nowhere"


def test_an_incident_stays_with_the_centre_its_desk_names_when_its_position_crosses_the_border(province: Province) -> None:
    keys = CentreKeys(province)
    moved = replace(event("inc-h"), lat=47.3485, lon=123.9455, centre="harbin")  # Harbin's incident, now placed in Longsha
    assert keys.of_incident(moved) == "harbin", "its acks and commands go to the desk that knows it"
    assert keys.of_incident(replace(event("inc-q"), centre="qiqihar")) == "qiqihar"
    # written before the desk named its centre, or naming one not deployed: by the position, as before
    assert keys.of_incident(replace(moved, centre="")) == "qiqihar"
    assert keys.of_incident(replace(moved, centre="mudanjiang")) == "qiqihar"


def test_without_a_province_the_keys_are_the_records_ids() -> None:
    keys = CentreKeys()
    assert keys.of_incident(event("inc-h")) == "inc-h"
    assert keys.of_incident(replace(event("inc-h"), centre="harbin")) == "harbin"
    assert keys.of_team("T-daoli-1") == "T-daoli-1"


def test_the_map_of_each_city_operators_choose_teams_see_their_own(province: Province, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    op = add_token(tokens, "operator", token_id="op")
    team = add_token(tokens, "team", team_id="T-longsha-2")
    dirs = {name: DATA_DIR / "cities" / name for name in ("harbin", "qiqihar")}
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(tokens), dirs["harbin"], centres=CentreKeys(province), centre_dirs=dirs)

    async def main() -> None:
        async with TestClient(TestServer(build_app(service))) as client:
            async def city(token: str, query: str = "") -> Any:
                resp = await client.get("/api/city" + query, headers={"Authorization": f"Bearer {token}"})
                return resp.status, await resp.json()

            status, first = await city(op)
            assert status == 200 and (first["centre"], first["centres"]) == ("harbin", ["harbin", "qiqihar"])
            status, chosen = await city(op, "?centre=qiqihar")
            assert status == 200 and chosen["centre"] == "qiqihar"
            assert {f["properties"]["id"] for f in chosen["districts"]["features"]} != {f["properties"]["id"] for f in first["districts"]["features"]}
            status, own = await city(team)
            assert status == 200 and own["centre"] == "qiqihar", "a Qiqihar team's phone draws Qiqihar"
            status, error = await city(op, "?centre=mars")
            assert status == 404 and error["error"] == "unknown_centre"

    asyncio.run(main())


def test_a_phone_of_another_city_keeps_its_teams_details_and_its_citys_help_points(province: Province) -> None:
    phones = TeamPhones(province.first.policy, {centre: ctx.city for centre, ctx in province.centres.items()})
    now = datetime(2026, 12, 20, 22, 30, tzinfo=UTC)
    status = phones.team_status("T-longsha-2", {"lat": 47.3485, "lon": 123.9455, "accuracy_m": 10, "at": now.isoformat()}, None, now)
    assert set(status.capabilities) == {"medical", "vehicle"} and status.district == "longsha"
    qiqihar_points = {p.id for p in province.centres["qiqihar"].city.help_points}
    destination = phones.destination("medical", 47.3485, 123.9455, None)
    assert destination is not None and destination["id"] in qiqihar_points and destination["distance_m"] < 50_000
    # a Harbin task whose position moved into Qiqihar still takes the person to a Harbin help point
    harbin_points = {p.id for p in province.centres["harbin"].city.help_points}
    moved = phones.destination("medical", 47.3485, 123.9455, None, "harbin")
    assert moved is not None and moved["id"] in harbin_points


def test_calls_are_read_and_places_found_in_every_city(province: Province, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    op = add_token(tokens, "operator", token_id="op")
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(tokens), DATA_DIR / "cities" / "harbin")
    desk = CallDesk(ctx=province.first, outbox=ListOutbox(), province=province)
    app = build_app(service)
    desk.add_routes(app)

    async def main() -> None:
        async with TestClient(TestServer(app)) as client:
            headers = {"Authorization": f"Bearer {op}"}
            places = (await (await client.get("/api/gazetteer?q=齐齐哈尔", headers=headers)).json())["places"]
            assert places and places[0]["name"].startswith("齐齐哈尔")
            call = {"channel": "hotline", "text": "有人躺在路边", "lat": 47.3470, "lon": 123.9480}
            resp = await client.post("/api/calls/preview", json=call, headers=headers)
            assert resp.status == 200, await resp.text()  # the first city alone would refuse it as out of area
            assert (await resp.json())["preview"]["district"] == "longsha"

    asyncio.run(main())


def test_the_operators_map_shows_a_team_status_only_as_the_desk_takes_it(province: Province) -> None:
    """Every `team-status` record reached the map, also those the desk refused: a tracker's fix at 0, 0 with off_duty,
    a status no desk knows, a fix in Beijing with capabilities the team lacks. Operators saw the team gone or off duty
    while the desk, keeping its last good status, still gave it tasks. Each is skipped; the next good one is shown."""
    teams = [team for ctx in province.centres.values() for team in ctx.city.teams]
    state = ConsoleState(teams, status_refusal=CentreKeys(province).status_refusal)
    good = {"team_id": "T-daoli-1", "at": "2026-12-20T23:00:00+08:00", "status": "available", "lat": 45.772, "lon": 126.614}
    assert state.apply_record("team-status", good)
    for change in ({"at": "2026-12-20T23:01:00+08:00", "status": "off_duty", "lat": 0.0, "lon": 0.0},
                   {"at": "2026-12-20T23:02:00+08:00", "status": "partying"},
                   {"at": "2026-12-20T23:03:00+08:00", "lat": 39.9, "lon": 116.4, "capabilities": ["medical", "police"]}):
        assert state.apply_record("team-status", {**good, **change}) == []
        team = state.teams["T-daoli-1"]
        assert (team.status, team.lat, team.lon, team.capabilities) == ("available", 45.772, 126.614, ("social_work",))
    assert state.skipped == 3
    qiqihar = province.centres["qiqihar"].city.teams[0]  # another city's team is judged against its own city
    later = {"team_id": qiqihar.team_id, "at": "2026-12-20T23:04:00+08:00", "status": "en_route", "lat": qiqihar.lat, "lon": qiqihar.lon}
    assert state.apply_record("team-status", later) and state.teams[qiqihar.team_id].status == "en_route"
