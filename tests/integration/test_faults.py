"""Faults in turns during a stream: the worker killed twice, the console stopped and replaced, acks in between.

Every tip must end in exactly one incident, every acknowledgement the console
accepted (202) must be on `task-acks` exactly once, and the desk must turn
each into exactly one `accepted` update (events deduplicated by id must be
identical). The embedded broker keeps everything in memory, so its own
restart is covered by test_console_broker_restart.py, not here.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from console.auth import add_token
from console.server import ConsoleRunner
from core import topics as names
from core.settings import Settings
from pipeline.broker import free_port
from pipeline.kafka_compat import FETCH_MAX_WAIT_MS
from tests.integration.tipstream import PEOPLE, T0, Ledger, teams, tip
from tools.harness import Feeder, WorkerProcess, create_topics, isolated_settings

pytestmark = [pytest.mark.integration, pytest.mark.crash]

TEAMS = PEOPLE  # one team per person: every first decision is a dispatch


async def _read_all(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while await consumer.position(tp) < end and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                out.extend(json.loads(r.value) for r in records)
        return out
    finally:
        await consumer.stop()


class Phones:
    """The teams' phones: each acknowledges its open task through whichever console is up."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens
        self.accepted: list[dict[str, Any]] = []
        self.done: set[str] = set()

    async def ack_some(self, url: str, limit: int) -> int:
        sent = 0
        async with aiohttp.ClientSession(url) as http:
            for _, token in sorted(self.tokens.items()):
                if sent >= limit:
                    break
                headers = {"Authorization": f"Bearer {token}"}
                async with http.get("/api/team/tasks", headers=headers) as resp:
                    tasks = (await resp.json())["tasks"]
                for task in tasks:
                    if task["incident_id"] in self.done or sent >= limit:
                        continue
                    async with http.post("/api/team/acks", headers=headers, json={"event_id": task["event_id"], "status": "accepted"}) as resp:
                        body = await resp.json()
                        assert resp.status == 202, body
                    self.accepted.append(body["published"])
                    self.done.add(task["incident_id"])
                    sent += 1
        return sent


async def _console(settings: Settings, broker: str) -> tuple[ConsoleRunner, str]:
    port = free_port()
    runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=port)
    await runner.start()
    return runner, f"http://127.0.0.1:{port}"


async def _until(check: Any, what: str, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def scenario(settings: Settings, broker: str, log_dir: Path, phones: Phones) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    workers = [WorkerProcess(settings, broker, log_dir / f"worker-{n}.log") for n in range(1, 4)]
    workers[0].start()
    console, url = await _console(settings, broker)
    try:
        async with Feeder(settings, broker, workers[:1]) as feeder:

            def restart(dead: int) -> None:
                workers[dead].kill()
                workers[dead + 1].start()
                feeder.workers = [workers[dead + 1]]

            await feeder.wait_ready(T0)
            for item in teams(TEAMS, specialists=False):
                await feeder.send(item)
            for i in range(PEOPLE):
                await feeder.send(tip("a", i, plain=True))
            await feeder.barrier()
            await _until(lambda: sum(len(console.service.state.team_tasks(t)) for t in phones.tokens) == PEOPLE, "every task on a phone")

            # Half the teams acknowledge; the worker is killed in the middle of it.
            await phones.ack_some(url, PEOPLE // 4)
            restart(0)
            await phones.ack_some(url, PEOPLE // 4)
            # The console goes away and a new one rebuilds its view from the topics.
            await console.stop()
            console, url = await _console(settings, broker)
            await _until(lambda: len(console.service.state.incidents) == PEOPLE, "the new console to rebuild its view")
            # The rest acknowledge through the new console while the second reports stream in
            # and the restarted worker is killed as well.
            await phones.ack_some(url, PEOPLE // 4)
            for i in range(PEOPLE):
                await feeder.send(tip("b", i, plain=True))
                if i == PEOPLE // 2:
                    restart(1)
            await phones.ack_some(url, PEOPLE)
            await feeder.barrier()
            assert len(phones.done) == PEOPLE

            events: list[dict[str, Any]] = []

            def all_accepted() -> bool:
                return len({e["incident_id"] for e in events if e.get("status") == "accepted"}) >= PEOPLE

            deadline = time.monotonic() + 180
            while not all_accepted() and time.monotonic() < deadline:
                events += [obj for topic, obj in await feeder.drain() if topic == names.DISPATCH]
                await asyncio.sleep(0.2)
            acks = await _read_all(broker, settings.topic(names.TASK_ACKS))
            return events, acks
    finally:
        await console.stop()
        for worker in workers:
            worker.stop()


def test_worker_and_console_faults_lose_and_double_nothing(broker: str, tmp_path: Path) -> None:
    base = replace(Settings.from_env({}), broker=broker, log_level="INFO")
    settings = isolated_settings(base, f"fault{uuid.uuid4().hex[:6]}", tmp_path / "state")
    tokens_file = tmp_path / "tokens.json"
    phones = Phones({f"T{n}": add_token(tokens_file, "team", team_id=f"T{n}", token_id=f"t{n}") for n in range(TEAMS)})
    settings = replace(settings, tokens_file=tokens_file)
    create_topics(broker, settings)

    events, acks = asyncio.run(scenario(settings, broker, tmp_path, phones))

    Ledger.of(events).assert_complete("ab", plain=True)  # every tip in exactly one incident; redelivered events identical
    # Every 202 is on task-acks exactly once.
    assert Counter(json.dumps(a, sort_keys=True) for a in acks) == Counter(json.dumps(a, sort_keys=True) for a in phones.accepted)
    # ...and became exactly one `accepted` decision per incident.
    by_id = {e["event_id"]: e for e in events}
    accepted = Counter(e["incident_id"] for e in by_id.values() if e.get("status") == "accepted" and e["kind"] == "update"
                       and "accepted by" in str(e.get("reason", "")))
    assert set(accepted) == phones.done and set(accepted.values()) == {1}, accepted
