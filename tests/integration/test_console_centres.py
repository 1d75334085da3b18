"""Two centres on four partitions: everything the console writes to a desk input is keyed by its centre.

Harbin and Qiqihar on one pipeline (PATROL_PARTITIONS=4: Harbin's desk
partition is 0, Qiqihar's 2). Calls in both cities become incidents of their
own centre; a Qiqihar team accepts and reassesses its task from the phone, an
operator raises its priority and resolves both incidents. Every ack, command
and phone status lands on its centre's home partition, keyed by the centre, so
on several workers the worker holding the centre reads it; an ack a producer
keyed by the wrong centre is sent home and applied, never dead-lettered.
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
from core.settings import Settings
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

                q = await call(47.3470, 123.9480)
                h = await call(45.7725, 126.6170)
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
