"""Console and team API against the real broker: what reaches `task-acks`, and what must not."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from console.auth import add_token
from console.server import ConsoleRunner
from core import topics
from core.records import ClockTick, Conditions, DispatchEvent, HelpPointRef, TeamStatus, Wire
from core.settings import Settings
from pipeline.broker import free_port
from pipeline.kafka_compat import FETCH_MAX_WAIT_MS

pytestmark = pytest.mark.integration

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 12, 20, 23, 0, tzinfo=CST)


def dispatch_event(incident: str, revision: int = 1, *, team: str | None = "T-daoli-1", kind: str = "dispatch", **over: Any) -> DispatchEvent:
    values: dict[str, Any] = {
        "event_id": f"{incident}-r{revision}", "kind": kind, "incident_id": incident, "revision": revision, "priority": "P1",
        "category": "medical", "rules": ("category:medical", "night"), "zone_id": "dl-central-street", "key_area": None,
        "lat": 45.7735, "lon": 126.6165, "sources": ("h-001",), "team_id": team,
        "ack_deadline": T0 + timedelta(minutes=5) if team else None,
        "nearest_help_point": HelpPointRef(id="hp-1", name="中央大街求助点", distance_m=80.0, kind="help_point"),
        "notify": ("health",), "at": T0, "status": "assigned" if team else "queued", "first_report_at": T0,
        "text": "老人躺在地上，叫不醒，报警人张三丰 电话13800138000", "persons": 1, "flags": ("unresponsive", "elderly"),
        "channels": ("hotline",), "district": "daoli",
    }
    values.update(over)
    return DispatchEvent(**values)


@dataclass
class Console:
    """A running console on the session broker, with tokens and a raw producer."""

    settings: Settings
    bootstrap: str
    url: str
    tokens: dict[str, str]
    producer: AIOKafkaProducer
    runner: ConsoleRunner

    async def send(self, topic: str, record: Wire | bytes) -> None:
        value = record if isinstance(record, bytes) else record.to_json()
        await self.producer.send_and_wait(self.settings.topic(topic), value=value)

    async def wait_for(self, check: Callable[[], bool], timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            assert time.monotonic() < deadline, "console did not catch up in time"
            await asyncio.sleep(0.02)

    async def acks(self, expect: int, settle_s: float = 0.5) -> list[dict[str, Any]]:
        """Everything on task-acks, read from the beginning: `expect` records, then nothing more for `settle_s`."""
        return await read_topic(self.bootstrap, self.settings, topics.TASK_ACKS, expect, settle_s)


async def read_topic(bootstrap: str, settings: Settings, topic: str, expect: int, settle_s: float = 0.5) -> list[dict[str, Any]]:
    """Everything on one topic from the beginning: `expect` records, then nothing more for `settle_s`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(settings.topic(topic), 0)])
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        quiet_until: float | None = None
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                out.extend(json.loads(r.value) for r in records)
            if len(out) >= expect:
                quiet_until = quiet_until or time.monotonic() + settle_s
                if time.monotonic() >= quiet_until:
                    break
        return out
    finally:
        await consumer.stop()


@asynccontextmanager
async def running_console(broker: str, topic_prefix: str, tmp_path: Path) -> AsyncIterator[Console]:
    tokens_file = tmp_path / "tokens.json"
    tokens = {
        "op": add_token(tokens_file, "operator", name="王调度"),
        "sup": add_token(tokens_file, "supervisor", name="sup1"),
        "t1": add_token(tokens_file, "team", team_id="T-daoli-1"),
        "t2": add_token(tokens_file, "team", team_id="T-daoli-2"),
    }
    port = free_port()
    settings = replace(Settings(), broker=broker, topic_prefix=topic_prefix, tokens_file=tokens_file, console_port=port)
    runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=port)
    await runner.start()  # creates the topics
    producer = AIOKafkaProducer(bootstrap_servers=broker)
    await producer.start()
    try:
        yield Console(settings, broker, f"http://127.0.0.1:{port}", tokens, producer, runner)
    finally:
        await producer.stop()
        await runner.stop()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run(broker: str, topic_prefix: str, tmp_path: Path, body: Callable[[Console, aiohttp.ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        async with running_console(broker, topic_prefix, tmp_path) as console, aiohttp.ClientSession(console.url) as http:
            await body(console, http)

    asyncio.run(main())


def test_refused_requests_write_nothing(broker: str, topic_prefix: str, tmp_path: Path) -> None:
    async def body(c: Console, http: aiohttp.ClientSession) -> None:
        await c.send(topics.DISPATCH, dispatch_event("inc-1"))
        await c.wait_for(lambda: "inc-1" in c.runner.service.state.incidents)
        t1, t2, op = c.tokens["t1"], c.tokens["t2"], c.tokens["op"]
        cases: list[tuple[str, str, dict[str, str], str | None, int, str]] = [
            # auth
            ("GET", "/api/state", {}, None, 401, "unauthorized"),
            ("GET", "/api/stream", {}, None, 401, "unauthorized"),
            ("GET", "/api/team/tasks", {}, None, 401, "unauthorized"),
            ("GET", "/api/city", auth("demo-operator.wrong"), None, 401, "unauthorized"),
            ("POST", "/api/team/acks", {"Authorization": "Basic dXNlcjpwYXNz"}, '{"event_id": "inc-1-r1", "status": "accepted"}', 401, "unauthorized"),
            ("POST", "/api/team/acks", auth(t1 + "x"), '{"event_id": "inc-1-r1", "status": "accepted"}', 401, "unauthorized"),
            ("POST", "/api/incidents/inc-1/reassign", {}, "{}", 401, "unauthorized"),
            ("POST", "/api/incidents/inc-1/resolve", auth(t1), "{}", 403, "forbidden"),
            ("GET", "/api/state", auth(t1), None, 403, "forbidden"),
            ("GET", "/api/stream", auth(t1), None, 403, "forbidden"),
            ("POST", "/api/team/acks", auth(op), '{"event_id": "inc-1-r1", "status": "accepted"}', 403, "forbidden"),
            # bodies
            ("POST", "/api/team/acks", auth(t1), "", 400, "malformed_json"),
            ("POST", "/api/team/acks", auth(t1), '{"event_id": "inc-1-r1", "status": ', 400, "malformed_json"),
            ("POST", "/api/team/acks", auth(t1), '"accepted"', 400, "malformed_json"),
            ("POST", "/api/team/acks", auth(t1), '{"status": "accepted"}', 400, "missing_field"),
            ("POST", "/api/team/acks", auth(t1), '{"event_id": "inc-1-r1"}', 400, "missing_field"),
            ("POST", "/api/team/acks", auth(t1), '{"event_id": "inc-1-r1", "status": "finished"}', 400, "unknown_status"),
            ("POST", "/api/team/acks", auth(t1), '{"event_id": "inc-1-r1", "status": "reassign"}', 400, "unknown_status"),
            ("POST", "/api/team/acks", auth(t1), '{"event_id": "inc-1-r1", "status": "resolved"}', 400, "missing_field"),
            ("POST", "/api/team/acks", auth(t1), '{"event_id": "inc-1-r1", "status": "resolved", "outcome": "Gave <b>"}', 400, "invalid_outcome"),
            ("POST", "/api/team/acks", auth(t1), '{"event_id": 7, "status": "accepted"}', 400, "invalid_event_id"),
            ("POST", "/api/team/acks", auth(t1), '{"event_id": "inc-404-r1", "status": "accepted"}', 404, "task_not_found"),
            ("POST", "/api/team/acks", auth(t2), '{"event_id": "inc-1-r1", "status": "accepted"}', 403, "not_your_task"),
            ("POST", "/api/team/acks", auth(t1), "x" * 20000, 413, "body_too_large"),
            ("POST", "/api/incidents/inc-404/reassign", auth(op), "{}", 404, "incident_not_found"),
            ("POST", "/api/incidents/inc-1/resolve", auth(op), "{oops", 400, "malformed_json"),
            ("POST", "/api/incidents/inc-1/resolve", auth(op), '{"outcome": 5}', 400, "invalid_outcome"),
        ]
        for method, path, headers, data, status, code in cases:
            async with http.request(method, path, headers=headers, data=data) as resp:
                text = await resp.text()
                assert resp.status == status, (method, path, data, text)
                assert resp.content_type == "application/json", (path, text)
                assert json.loads(text)["error"] == code, (path, data, text)
            if status == 401:
                assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer")
        # team 2 sees none of team 1's tasks
        async with http.get("/api/team/tasks", headers=auth(t2)) as resp:
            assert (await resp.json())["tasks"] == []
        assert await c.acks(expect=0) == []

    run(broker, topic_prefix, tmp_path, body)


def test_team_flow_and_operator_actions_reach_task_acks(broker: str, topic_prefix: str, tmp_path: Path) -> None:
    async def body(c: Console, http: aiohttp.ClientSession) -> None:
        t1, op, sup = c.tokens["t1"], c.tokens["op"], c.tokens["sup"]
        tick = T0 + timedelta(minutes=3)
        await c.send(topics.DISPATCH, dispatch_event("inc-1"))
        await c.send(topics.DISPATCH, dispatch_event("inc-1"))  # duplicate event id: dropped
        await c.send(topics.DISPATCH, dispatch_event("inc-2", team="T-daoli-1", at=T0 + timedelta(minutes=1)))
        await c.send(topics.DISPATCH, dispatch_event("inc-1", 2, kind="update", status="accepted", at=T0 + timedelta(minutes=2)))
        await c.send(topics.DISPATCH, dispatch_event("inc-q", team=None, kind="queued", priority="P3"))
        await c.send(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-1", at=T0, status="en_route", lat=45.772, lon=126.615))
        await c.send(topics.CONDITIONS, Conditions(region="daoli", at=T0, cold_wave_level="orange", night=True, wind_chill_c=-24.0))
        await c.send(topics.DISPATCH, b"not json at all")  # skipped, the console keeps going
        await c.send(topics.CLOCK, ClockTick(at=tick))
        state = c.runner.service.state
        await c.wait_for(lambda: state.now == tick)

        async with http.get("/api/state", headers=auth(sup)) as resp:
            snap = await resp.json()
        assert [i["incident_id"] for i in snap["incidents"]] == ["inc-1", "inc-2", "inc-q"]
        assert snap["incidents"][0]["revision"] == 2 and snap["incidents"][0]["task_event_id"] == "inc-1-r1"
        assert snap["incidents"][2]["queued"] is True
        assert snap["conditions"][0]["cold_wave_level"] == "orange"
        assert next(t for t in snap["teams"] if t["team_id"] == "T-daoli-1")["status"] == "en_route"
        assert snap["now"] == tick.isoformat()

        async with http.get("/api/team/tasks", headers=auth(t1)) as resp:
            tasks = (await resp.json())["tasks"]
        assert [t["event_id"] for t in tasks] == ["inc-1-r1", "inc-2-r1"]
        assert "13800138000" not in tasks[0]["text"] and "张三丰" not in tasks[0]["text"] and "老人" in tasks[0]["text"]
        assert "sources" not in tasks[0] and tasks[0]["persons"] == 1 and tasks[0]["nearest_help_point"]["id"] == "hp-1"

        posts: list[tuple[str, str, dict[str, Any]]] = [
            (t1, "/api/team/acks", {"event_id": "inc-1-r2", "status": "on_scene"}),  # a later event id maps to the task
            (t1, "/api/team/acks", {"event_id": "inc-1-r1", "status": "resolved", "outcome": "taken_to_hospital"}),
            (t1, "/api/team/acks", {"event_id": "inc-2-r1", "status": "accepted"}),
            (t1, "/api/team/acks", {"event_id": "inc-2-r1", "status": "declined"}),
            (op, "/api/incidents/inc-2/reassign", {}),
            (sup, "/api/incidents/inc-q/resolve", {"outcome": "false_alarm"}),
        ]
        for token, path, data in posts:
            async with http.post(path, headers=auth(token), json=data) as resp:
                assert resp.status == 202, await resp.text()
        written = await c.acks(expect=len(posts))
        assert [(a["event_id"], a["team_id"], a["status"], a.get("outcome")) for a in written] == [
            ("inc-1-r1", "T-daoli-1", "on_scene", None),
            ("inc-1-r1", "T-daoli-1", "resolved", "taken_to_hospital"),
            ("inc-2-r1", "T-daoli-1", "accepted", None),
            ("inc-2-r1", "T-daoli-1", "declined", None),
            ("inc-2-r1", "console", "reassign", None),
            ("inc-q-r1", "console", "resolved", "false_alarm"),
        ]
        assert all(a["at"] == tick.isoformat() for a in written)  # event time, not the wall clock
        assert written[4]["by"] == "王调度" and written[4]["incident_id"] == "inc-2" and written[5]["by"] == "sup1"

        # the pipeline's answer comes back on dispatch; a closed incident refuses further actions
        await c.send(topics.DISPATCH, dispatch_event("inc-q", 2, team=None, kind="resolved", status="resolved"))
        await c.wait_for(lambda: state.incidents["inc-q"].closed)
        async with http.post("/api/incidents/inc-q/reassign", headers=auth(op), json={}) as resp:
            assert resp.status == 409 and (await resp.json())["error"] == "incident_closed"
        assert len(await c.acks(expect=len(posts))) == len(posts)

    run(broker, topic_prefix, tmp_path, body)


def test_stream_is_live_and_restart_rebuilds(broker: str, topic_prefix: str, tmp_path: Path) -> None:
    async def body(c: Console, http: aiohttp.ClientSession) -> None:
        await c.send(topics.DISPATCH, dispatch_event("inc-old"))
        await c.wait_for(lambda: "inc-old" in c.runner.service.state.incidents)
        async with http.get("/api/stream", headers=auth(c.tokens["op"]), timeout=aiohttp.ClientTimeout(total=15)) as resp:
            assert resp.status == 200 and resp.content_type == "text/event-stream"

            async def next_event() -> tuple[str, dict[str, Any]]:
                name, data = "", ""
                while True:
                    line = (await resp.content.readline()).decode("utf-8").rstrip("\n")
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        data = line[6:]
                    elif line == "" and name:
                        return name, json.loads(data)

            name, snap = await next_event()
            assert name == "snapshot" and [i["incident_id"] for i in snap["incidents"]] == ["inc-old"]
            sent = time.monotonic()
            await c.send(topics.DISPATCH, dispatch_event("inc-new", at=T0 + timedelta(minutes=1)))
            while True:
                name, data = await asyncio.wait_for(next_event(), timeout=5)
                if name == "incident":
                    break
            assert data["incident_id"] == "inc-new"
            assert time.monotonic() - sent < 1.0, "incident must appear within a second"

        # a second console on the same topics rebuilds the same view from the beginning
        again = ConsoleRunner(c.settings, c.bootstrap, host="127.0.0.1", port=free_port())
        await again.start()
        try:
            await c.wait_for(lambda: {"inc-old", "inc-new"} <= set(again.service.state.incidents))
        finally:
            await again.stop()

    run(broker, topic_prefix, tmp_path, body)
