"""Two centres on four partitions: everything the console writes to a desk input is keyed by its centre.

Harbin and Qiqihar on one pipeline (PATROL_PARTITIONS=4: Harbin's desk
partition is 0, Qiqihar's 2). Calls in both cities become incidents of their
own centre; a Qiqihar team accepts and reassesses its task from the phone, an
operator raises its priority and resolves both incidents. Every ack, command
and phone status lands on its centre's home partition, keyed by the centre, so
on several workers the worker holding the centre reads it; an ack a producer
keyed by the wrong centre is sent home and applied, never dead-lettered.

Neighbouring cities share a border: a Harbin incident whose most precise
report lies across it (a caller the call-taker filed under Harbin) keeps its
centre, and the operator's ack goes to Harbin's desk, not to the neighbour
that the position names.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from console.auth import add_token
from core import topics
from core.records import TaskAck
from core.settings import DATA_DIR, Settings
from geo.centres import centre_for
from pipeline.kafka_compat import FETCH_MAX_WAIT_MS
from pipeline.partitioning import home_partition
from tests.integration.test_console_calls import NOW, auth, wait_for, with_worker
from tests.integration.test_console_commands import console_with_commands

pytestmark = pytest.mark.integration

PARTITIONS = 4
TEAMS = (("T-longsha-1", 47.344, 123.95, ("social_work",)), ("T-longsha-2", 47.3485, 123.9455, ("medical", "vehicle")),
         ("T-daoli-1", 45.7730, 126.6160, ("social_work",)), ("T-daoli-2", 45.7700, 126.6200, ("medical", "vehicle")))


async def read_all(broker: str, settings: Settings, topic: str, settle_s: float = 1.0) -> list[tuple[int, str, dict[str, Any]]]:
    """(partition, key, record) of everything on every partition of one topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(settings.topic(topic), p) for p in range(PARTITIONS)])
        out: list[tuple[int, str, dict[str, Any]]] = []
        quiet_until = time.monotonic() + settle_s
        while time.monotonic() < quiet_until:
            for tp, records in (await consumer.getmany(timeout_ms=100)).items():
                out += [(tp.partition, (r.key or b"").decode(), json.loads(r.value)) for r in records]
                quiet_until = time.monotonic() + settle_s
        return out
    finally:
        await consumer.stop()


def test_acks_commands_and_statuses_reach_the_partition_of_their_centre(broker: str, tmp_path: Path) -> None:
    settings, worker, op, _ = with_worker(broker, tmp_path, "赵调度", cities="harbin,qiqihar", partitions=PARTITIONS)
    team_tokens = {team: add_token(settings.tokens_file, "team", team_id=team) for team, *_ in TEAMS}
    harbin_op = auth(add_token(settings.tokens_file, "operator", name="哈尔滨调度", centres=["harbin"], known=["harbin", "qiqihar"]))
    port = settings.console_port
    home = {centre: home_partition(centre, PARTITIONS) for centre in ("harbin", "qiqihar")}
    assert home["harbin"] != home["qiqihar"]

    async def main() -> None:
        async with console_with_commands(settings, broker, TEAMS) as (producer, runner, desk):
            state = runner.service.state
            assert {"T-longsha-2", "T-daoli-1"} <= set(state.teams), "the console lists every city's teams"
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:

                async def call(lat: float, lon: float) -> str:
                    body = {"channel": "hotline", "text": "有人在路边躺着", "lat": lat, "lon": lon}
                    sent = await http.post("/api/calls", json=body, headers=auth(op))
                    assert sent.status == 202, await sent.text()  # a Qiqihar call is read by Qiqihar's city
                    tip_id = (await sent.json())["tip_id"]
                    await wait_for(lambda: any(tip_id in v.latest.sources and v.latest.team_id for v in state.incidents.values()))
                    return str(next(v.latest.incident_id for v in state.incidents.values() if tip_id in v.latest.sources))

                # A call placed in Qiqihar goes to Qiqihar's desk: an operator of Harbin's centre does not file it.
                refused = await http.post("/api/calls", json={"channel": "hotline", "text": "有人在路边躺着", "lat": 47.3470, "lon": 123.9480},
                                          headers=harbin_op)
                assert refused.status == 403 and (await refused.json())["error"] == "other_centre", await refused.text()
                # A tip the intake cannot read, placed in Qiqihar: in the whole deployment's queue, not in Harbin's.
                fax = {"tip_id": "fax-q", "channel": "fax", "text": "有人", "lat": 47.347, "lon": 123.948, "reported_at": NOW.isoformat()}
                await producer.send_and_wait(settings.topic(topics.TIPS), json.dumps(fax).encode(), key=b"fax-q")

                async def queued(headers: dict[str, str]) -> set[str]:
                    items = (await (await http.get("/api/attention", headers=headers)).json())["items"]
                    return {i["original"]["tip_id"] for i in items if i["original"]}

                deadline = time.monotonic() + 30
                while "fax-q" not in await queued(auth(op)):
                    assert time.monotonic() < deadline, await queued(auth(op))
                    await asyncio.sleep(0.2)
                assert "fax-q" not in await queued(harbin_op)
                q = await call(47.3470, 123.9480)
                h = await call(45.7725, 126.6170)
                # An operator of Harbin's centre sees Harbin's incidents and teams only, and cannot command Qiqihar's.
                seen = await (await http.get("/api/state", headers=harbin_op)).json()
                assert h in {i["incident_id"] for i in seen["incidents"]} and q not in {i["incident_id"] for i in seen["incidents"]}
                assert "T-daoli-1" in {t["team_id"] for t in seen["teams"]} and "T-longsha-2" not in {t["team_id"] for t in seen["teams"]}
                for path, body in ((f"/api/incidents/{q}/resolve", {"outcome": "taken_to_station"}),
                                   (f"/api/incidents/{q}/commands", {"kind": "priority", "priority": "p1", "reason": "老人 elderly"})):
                    refused = await http.post(path, json=body, headers=harbin_op)
                    assert refused.status == 403 and (await refused.json())["error"] == "other_centre", await refused.text()
                lead = state.incidents[q].latest.team_id
                assert lead in ("T-longsha-1", "T-longsha-2"), "Qiqihar's desk sends its own teams"
                task = state.incidents[q].task_of(lead)
                sent = await http.post("/api/team/acks", json={"event_id": task, "status": "accepted"}, headers=auth(team_tokens[lead]))
                assert sent.status == 202, await sent.text()
                await wait_for(lambda: state.incidents[q].latest.status == "accepted")
                at_base = next((lat, lon) for team, lat, lon, _ in TEAMS if team == lead)  # where it last reported: no jump
                sent = await http.post("/api/team/status", json={"lat": at_base[0], "lon": at_base[1], "accuracy_m": 10, "at": NOW.isoformat()},
                                       headers=auth(team_tokens[lead]))
                assert sent.status == 202, await sent.text()
                sent = await http.post("/api/team/assessment", json={"event_id": task, "add_flags": ["elderly"]}, headers=auth(team_tokens[lead]))
                assert sent.status == 202, await sent.text()
                assessed = (await sent.json())["command"]["command_id"]
                await wait_for(lambda: desk.answers.get(assessed, {}).get("status") == "applied")
                sent = await http.post(f"/api/incidents/{q}/commands", json={"kind": "priority", "priority": "p1", "reason": "老人 elderly"},
                                       headers=auth(op))
                assert sent.status == 202, await sent.text()
                raised = (await sent.json())["command"]["command_id"]
                await wait_for(lambda: desk.answers.get(raised, {}).get("status") == "applied")
                assert state.incidents[q].latest.priority == "P1"
                sent = await http.post(f"/api/incidents/{q}/resolve", json={"outcome": "taken_to_station"}, headers=auth(op))
                assert sent.status == 202, await sent.text()
                await wait_for(lambda: state.incidents[q].closed)

            # An ack some other producer keyed by the wrong centre: sent home, applied.
            latest = state.incidents[h].latest
            wrong = TaskAck(event_id=latest.event_id, team_id="console", status="resolved", at=NOW, outcome="false_alarm",
                            incident_id=h, by="script")
            await producer.send_and_wait(settings.topic(topics.TASK_ACKS), wrong.to_json(), key=b"qiqihar")
            await wait_for(lambda: state.incidents[h].closed)

            acks = await read_all(broker, settings, topics.TASK_ACKS)
            commands = await read_all(broker, settings, topics.OPERATOR_COMMANDS)
            statuses = await read_all(broker, settings, topics.TEAM_STATUS)
            console_acks = [(p, k) for p, k, a in acks if a.get("by") != "script"]
            assert len({k for _, k in console_acks}) == 1 and len(console_acks) >= 2
            assert all((p, k) == (home["qiqihar"], "qiqihar") for p, k in console_acks), console_acks
            assert [(p, k) for p, k, _ in commands] == [(home["qiqihar"], "qiqihar")] * 2
            phone = [(p, k) for p, k, s in statuses if s.get("accuracy_m") is not None]
            assert phone == [(home["qiqihar"], "qiqihar")], statuses
            home_again = [(p, k) for p, k, a in acks if a.get("by") == "script"]
            # read partition by partition, so in no particular order
            assert sorted(home_again) == sorted([(home["qiqihar"], "qiqihar"), (home["harbin"], "harbin")]), "the wrong-keyed ack, and re-sent home"
            dead = await read_all(broker, settings, topics.DEAD_LETTERS, settle_s=0.5)
            assert not [d for _, _, d in dead if d.get("error") == "unknown_centre"], dead

    try:
        asyncio.run(main())
    finally:
        worker.stop()


def _rectangle(lat_min: float, lat_max: float, lon_min: float, lon_max: float) -> list[list[list[float]]]:
    return [[[lon_min, lat_min], [lon_max, lat_min], [lon_max, lat_max], [lon_min, lat_max], [lon_min, lat_min]]]


def neighbour_of_harbin(folder: Path) -> Path:
    """A small city, Hulan, north of Harbin whose one district overlaps Harbin's north edge (lat 45.80-45.82)."""
    folder.mkdir(parents=True)
    meta = json.loads((DATA_DIR / "cities" / "harbin" / "city.json").read_text(encoding="utf-8"))
    del meta["partners"]
    meta.update(name="Hulan (test)", name_zh="呼兰（测试）", service_area={"lat_min": 45.80, "lat_max": 45.90, "lon_min": 126.55, "lon_max": 126.72})
    (folder / "city.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    def layer(name: str, features: list[dict[str, Any]]) -> None:
        (folder / meta["layers"][name]).write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")

    def point(lat: float, lon: float, **props: Any) -> dict[str, Any]:
        return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}

    layer("districts", [{"type": "Feature", "properties": {"id": "hulan", "name": "呼兰区", "name_en": "Hulan"},
                         "geometry": {"type": "Polygon", "coordinates": _rectangle(45.80, 45.90, 126.55, 126.72)}}])
    layer("zones", [])
    layer("help_points", [point(45.85, 126.60, id="hp-hulan", name="呼兰救助站", name_en="Hulan station", kind="rescue_station",
                                district="hulan", open_24h=True)])
    layer("teams", [point(45.85, 126.61, team_id="T-hulan-1", name="呼兰一队", name_en="Hulan team 1", district="hulan",
                          capabilities=["social_work", "medical", "vehicle"])])
    layer("gazetteer", [point(45.85, 126.60, name="呼兰站", aliases=["Hulan Station"], kind="station")])
    return folder


def test_an_incident_whose_position_crosses_the_border_keeps_its_centre_for_the_operators_acks(broker: str, tmp_path: Path) -> None:
    hulan = neighbour_of_harbin(tmp_path / "cities" / "hulan")
    settings, worker, op, _ = with_worker(broker, tmp_path, "钱调度", cities=f"{hulan},harbin", partitions=PARTITIONS)
    port = settings.console_port
    near, across = (45.7995, 126.6400), (45.8005, 126.6400)  # 110 m apart, either side of the border

    async def main() -> None:
        async with console_with_commands(settings, broker, TEAMS) as (producer, runner, _):
            province = runner.service.centres.province
            assert province is not None and list(province.centres) == ["hulan", "harbin"]
            indexes = {c: ctx.index for c, ctx in province.centres.items()}
            assert (centre_for(indexes, *near), centre_for(indexes, *across)) == ("harbin", "hulan")
            state = runner.service.state

            async def tip(tip_id: str, where: tuple[float, float], accuracy_m: float, **more: Any) -> None:
                body = {"tip_id": tip_id, "channel": "hotline", "reported_at": NOW.isoformat(), "lat": where[0], "lon": where[1],
                        "accuracy_m": accuracy_m, "text": "老人躺在路边叫不醒", **more}  # unresponsive: health is notified
                await producer.send_and_wait(settings.topic(topics.TIPS), json.dumps(body, ensure_ascii=False).encode(), key=tip_id.encode())

            await tip("border-1", near, 300.0)
            await wait_for(lambda: any("border-1" in v.latest.sources and v.latest.team_id for v in state.incidents.values()))
            incident = next(i for i, v in state.incidents.items() if "border-1" in v.latest.sources)
            # the caller back on the line, filed under Harbin's call: its precise fix is across the border
            await tip("border-2", across, 10.0, centre="harbin")
            await wait_for(lambda: "border-2" in state.incidents[incident].latest.sources)
            latest = state.incidents[incident].latest
            assert (latest.lat, latest.lon) == across and latest.centre == "harbin", "the incident moved; its desk did not"
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                sent = await http.post(f"/api/incidents/{incident}/resolve", json={"outcome": "taken_to_station"}, headers=auth(op))
                assert sent.status == 202, await sent.text()
            await wait_for(lambda: state.incidents[incident].closed)
            acks = await read_all(broker, settings, topics.TASK_ACKS)
            assert [(p, k) for p, k, _ in acks] == [(home_partition("harbin", PARTITIONS), "harbin")], "keyed to its own centre, never re-sent"
            tasks = await read_all(broker, settings, topics.TEAM_TASKS)
            assert tasks and {t["centre"] for _, _, t in tasks} == {"harbin"}
            # Harbin's partners follow the incident to its end (Hulan names none: by position they would hear nothing more)
            notices = [n for _, _, n in await read_all(broker, settings, topics.PARTNER_NOTICES) if n["incident_id"] == incident]
            assert {n["msg_type"] for n in notices} >= {"Alert", "Cancel"}, notices

    try:
        asyncio.run(main())
    finally:
        worker.stop()
