"""The team phone's API on the real broker: positions reach team-status, a resent action lands once
(across a console restart), and the desk drops a repeated client id where acks enter it."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from console.server import ConsoleRunner
from core import topics
from core.feed import FeedItem
from core.records import ClockTick, TaskAck, TeamStatus
from core.settings import Settings
from tests.integration.test_console_api import T0, Console, auth, dispatch_event, read_topic, running_console
from tests.integration.tipstream import ORIGIN, tip
from tests.integration.tipstream import T0 as TIP_T0
from tools.harness import Feeder, WorkerProcess, create_topics, isolated_settings

pytestmark = pytest.mark.integration


def test_position_reaches_team_status_and_a_resent_ack_lands_once(broker: str, topic_prefix: str, tmp_path: Path) -> None:
    async def main() -> None:
        async with running_console(broker, topic_prefix, tmp_path) as c, aiohttp.ClientSession(c.url) as http:
            await prepare(c)
            t1 = auth(c.tokens["t1"])
            # a fix: checked, then on team-status with the fix's own time, and back in the console's view
            fix_at = T0 + timedelta(minutes=2, seconds=30)
            async with http.post("/api/team/status", json={"lat": 45.7731, "lon": 126.6152, "accuracy_m": 9, "at": fix_at.isoformat()}, headers=t1) as resp:
                assert resp.status == 202, await resp.text()
            async with http.post("/api/team/status", json={"lat": 45.9, "lon": 126.6152, "at": (fix_at + timedelta(seconds=5)).isoformat()}, headers=t1) as resp:
                assert resp.status == 422 and (await resp.json())["error"] == "impossible_jump"
            async with http.post("/api/team/status", json={"lat": 45.7731, "lon": 126.6152, "at": (T0 - timedelta(hours=1)).isoformat()}, headers=t1) as resp:
                assert resp.status == 422 and (await resp.json())["error"] == "stale_fix"
            statuses = await read_topic(broker, c.settings, topics.TEAM_STATUS, expect=1, settle_s=1.0)
            assert [(s["team_id"], s["lat"], s["lon"], s["at"], s["accuracy_m"], s["capabilities"]) for s in statuses] == [
                ("T-daoli-1", 45.7731, 126.6152, fix_at.isoformat(), 9.0, ["social_work"])]
            await c.wait_for(lambda: c.runner.service.state.teams["T-daoli-1"].lat == 45.7731)
            async with http.get("/api/state", headers=auth(c.tokens["sup"])) as resp:
                team = next(t for t in (await resp.json())["teams"] if t["team_id"] == "T-daoli-1")
                assert (team["lat"], team["lon"], team["at"]) == (45.7731, 126.6152, fix_at.isoformat())

            # the same action sent three times (answers lost): one record on task-acks
            ack = {"event_id": "inc-1-r1", "status": "accepted", "client_id": "5e1f0c1e-aaaa-4bbb-8ccc-000000000001",
                   "at": (T0 + timedelta(minutes=2)).isoformat()}
            codes = []
            for _ in range(3):
                async with http.post("/api/team/acks", json=ack, headers=t1) as resp:
                    codes.append(resp.status)
            assert codes == [202, 200, 200]
            acks = await read_topic(broker, c.settings, topics.TASK_ACKS, expect=1, settle_s=1.0)
            assert [(a["client_id"], a["status"], a["at"]) for a in acks] == [(ack["client_id"], "accepted", ack["at"])]

        # a restarted console rebuilds the ids from task-acks: the resend is still a duplicate
        settings = c.settings
        runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=c.runner.port)
        await runner.start()
        try:
            async with aiohttp.ClientSession(c.url) as http:
                deadline = time.monotonic() + 20
                while True:
                    async with http.post("/api/team/acks", json=ack, headers=t1) as resp:
                        if resp.status != 503:  # catching up: the phone retries
                            assert resp.status == 200 and (await resp.json())["duplicate"] is True
                            break
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.2)
            assert len(await read_topic(broker, settings, topics.TASK_ACKS, expect=1, settle_s=1.0)) == 1
        finally:
            await runner.stop()

    asyncio.run(main())


async def prepare(c: Console) -> None:
    """One task for T-daoli-1 and the clock at T0 + 3 min."""
    await c.send(topics.DISPATCH, dispatch_event("inc-1"))
    await c.send(topics.CLOCK, ClockTick(at=T0 + timedelta(minutes=3)))
    await c.wait_for(lambda: c.runner.service.state.now == T0 + timedelta(minutes=3) and c.runner.service.phones.caught_up.is_set())


def test_desk_applies_a_repeated_client_id_once(broker: str, tmp_path: Path) -> None:
    """Two declines with one client id: one reassignment. Without an id the repeat is a wrong-team dead letter."""
    base = replace(Settings.from_env({}), broker=broker)
    settings = isolated_settings(base, f"phone{uuid.uuid4().hex[:6]}", tmp_path / "state")
    create_topics(broker, settings)

    def status(team: str, minutes: int) -> FeedItem:
        record = TeamStatus(team_id=team, at=TIP_T0 + timedelta(minutes=minutes), status="available", lat=ORIGIN[0], lon=ORIGIN[1] + 0.001 * int(team[1:]),
                            capabilities=("social_work",))
        return FeedItem(at=record.at, seq=0, topic=topics.TEAM_STATUS, value=record.to_json(), key=team)

    def decline(event: dict[str, Any], team: str, client_id: str | None) -> FeedItem:
        record = TaskAck(event_id=event["event_id"], team_id=team, status="declined", at=TIP_T0 + timedelta(minutes=2),
                         incident_id=event["incident_id"], client_id=client_id)
        return FeedItem(at=record.at, seq=0, topic=topics.TASK_ACKS, value=record.to_json(), key=event["incident_id"])

    async def main() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        worker = WorkerProcess(settings, broker, tmp_path / "worker.log")
        worker.start()
        try:
            async with Feeder(settings, broker, [worker]) as feeder:
                await feeder.wait_ready(TIP_T0)
                for n in range(4):
                    await feeder.send(status(f"T{n}", 0))
                # two plain persons (tipstream's person 0 is a mental-health case that needs a medical lead)
                await feeder.send(tip("a", 1))
                await feeder.send(tip("a", 5))
                await feeder.barrier()
                first = [obj for topic, obj in await feeder.drain() if topic == topics.DISPATCH]
                with_id, without_id = (next(e for e in first if e["incident_id"] == i) for i in sorted({e["incident_id"] for e in first}))
                for _ in range(2):
                    await feeder.send(decline(with_id, with_id["team_id"], "0a0b0c0d-phone-resend-1"))
                    await feeder.send(decline(without_id, without_id["team_id"], None))
                await feeder.barrier()
                return first, await feeder.drain()
        finally:
            worker.stop()

    first, later = asyncio.run(main())
    assert len(first) == 2 and all(e["kind"] == "dispatch" and e["team_id"] for e in first)
    by_incident: dict[str, list[dict[str, Any]]] = {}
    for topic, obj in later:
        if topic == topics.DISPATCH:
            by_incident.setdefault(obj["incident_id"], []).append(obj)
    dead = [obj for topic, obj in later if topic == topics.DEAD_LETTERS]
    with_id, without_id = sorted({e["incident_id"] for e in first})
    assert len(by_incident[with_id]) == 1 and "declined" in by_incident[with_id][0]["reason"]
    assert len(by_incident[without_id]) == 1
    assert [(d["error"], json.loads(d["payload"])["incident_id"]) for d in dead] == [("wrong_team", without_id)]
