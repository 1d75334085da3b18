"""Call-taking and the "needs attention" queue on the real broker with a real worker.

Every malformed tip of a small replay comes back to an operator: corrected and
resubmitted (it becomes a dispatched incident) or dismissed with a reason;
the queue survives a console restart; a call taken at the console becomes an
incident with its partner notices.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from console.auth import add_token
from console.calls import call_desk
from console.server import ConsoleRunner
from core import topics
from core.records import TeamStatus
from core.settings import DATA_DIR, Settings
from pipeline.broker import free_port
from tools.harness import WorkerProcess, create_topics, isolated_settings

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
GOOD = {"channel": "hotline", "reported_at": NOW.isoformat(), "text": "有人在路边坐着，很冷"}
# The sample night's unreadable tips (x-1xx) plus what else producers really send wrong.
SAMPLE_BAD = [line.encode() for line in (DATA_DIR / "samples" / "night" / "tips.jsonl").read_text(encoding="utf-8").splitlines()
              if line.startswith('{"tip_id": "x-')]
MALFORMED: list[bytes] = [
    *SAMPLE_BAD,
    json.dumps({**GOOD, "tip_id": "bad-chan", "channel": "城管队", "address": "中央大街"}, ensure_ascii=False).encode(),
    json.dumps({**GOOD, "tip_id": "bad-pos"}).encode(),
    json.dumps({**GOOD, "tip_id": "bad-time", "reported_at": "yesterday", "address": "中央大街"}, ensure_ascii=False).encode(),
    b"this is not json {",
]


def correction(item: dict[str, Any], n: int) -> dict[str, Any]:
    """What an operator does with the form: keep what was said, place the caller on the map, choose a known channel."""
    original = item["original"]
    channel = original.get("channel") if item["error"] != "unknown_channel" and isinstance(original.get("channel"), str) else "grid_worker"
    return {"channel": channel, "text": str(original.get("text", ""))[:200], "lat": round(45.7600 + 0.003 * n, 6), "lon": 126.6300}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def wait_for(check: Callable[[], bool], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def with_worker(broker: str, tmp_path: Path, operator: str, **over: Any) -> tuple[Settings, WorkerProcess, str, str]:
    """Own topics, a started worker, an operator's and a team's token: (settings, worker, operator, team); `over`: more settings."""
    settings = isolated_settings(replace(Settings.from_env({}), broker=broker, **over), f"calls{uuid.uuid4().hex[:6]}", tmp_path / "state")
    tokens_file = tmp_path / "tokens.json"
    op = add_token(tokens_file, "operator", name=operator)
    team_token = add_token(tokens_file, "team", team_id="T-daoli-1")
    settings = replace(settings, tokens_file=tokens_file, console_port=free_port())
    create_topics(broker, settings)
    worker = WorkerProcess(settings, broker, tmp_path / "worker.log")
    worker.start()
    return settings, worker, op, team_token


def test_every_unreadable_tip_is_resubmitted_or_dismissed_and_calls_become_incidents(broker: str, tmp_path: Path) -> None:
    settings, worker, op, team_token = with_worker(broker, tmp_path, "李调度")
    port = settings.console_port

    async def main() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=broker)
        await producer.start()
        runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=port, extensions=[call_desk(settings, broker)])
        await runner.start()
        calls = runner.extensions[0]
        state = runner.service.state
        try:
            for team in (("T-daoli-1", 45.7730, 126.6160, ["social_work"]), ("T-daoli-2", 45.7700, 126.6200, ["medical", "vehicle"])):
                status = TeamStatus(team_id=team[0], at=NOW, status="available", lat=team[1], lon=team[2], capabilities=tuple(team[3]))
                await producer.send_and_wait(settings.topic(topics.TEAM_STATUS), status.to_json(), key=team[0].encode())
            for raw in MALFORMED:
                await producer.send_and_wait(settings.topic(topics.TIPS), raw)
            queue = calls.queue  # type: ignore[attr-defined]
            await wait_for(lambda: queue.counts()["open"] == len(MALFORMED))
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                snapshot = await (await http.get("/api/attention", headers=auth(op))).json()
                kinds = [i["error"] for i in snapshot["items"]]
                assert sorted(kinds) == sorted(["malformed", "unknown_channel", "out_of_area", "wrong_type", "unknown_address", "too_large",
                                                "missing_field", "unknown_channel", "missing_field", "invalid", "malformed"])
                assert all(i["reason"] and i["payload"] for i in snapshot["items"])
                first = snapshot["items"][0]["id"]
                # Security: no token, a team's token, an oversized body: refused and nothing written.
                assert (await http.post(f"/api/attention/{first}/dismiss", json={"reason": "x"})).status == 401
                assert (await http.post(f"/api/attention/{first}/dismiss", json={"reason": "x"}, headers=auth(team_token))).status == 403
                assert (await http.post("/api/calls", json={"channel": "hotline", "address": "中央大街"}, headers=auth(team_token))).status == 403
                big = await http.post(f"/api/attention/{first}/resubmit", data=b"{" + b" " * 20000 + b"}", headers={**auth(op), "Content-Type": "application/json"})
                assert big.status == 413
                refused = await http.post(f"/api/attention/{first}/resubmit", json={"channel": "hotline", "address": "火星大街"}, headers=auth(op))
                assert refused.status == 400 and (await refused.json())["error"] == "unknown_address"
                assert (await http.post(f"/api/attention/{first}/dismiss", json={"reason": ""}, headers=auth(op))).status == 400
                assert queue.counts()["open"] == len(MALFORMED), "a refused request writes nothing"

                resubmitted: set[str] = set()
                for n, item in enumerate(snapshot["items"]):
                    if item["original"] is None:  # nothing a person can read back into a tip
                        r = await http.post(f"/api/attention/{item['id']}/dismiss", json={"reason": "无法读取，已电话核实 unreadable, checked by phone"},
                                            headers=auth(op))
                        assert r.status == 202 and (await r.json())["action"]["by"] == "李调度"
                        continue
                    r = await http.post(f"/api/attention/{item['id']}/resubmit", json=correction(item, n), headers=auth(op))
                    assert r.status == 202, await r.text()
                    resubmitted.add((await r.json())["tip_id"])
                assert len(resubmitted) == len(MALFORMED) - 2
                assert queue.counts()["open"] == 0
                again = await http.post(f"/api/attention/{first}/dismiss", json={"reason": "twice"}, headers=auth(op))
                assert again.status == 409

                # Each resubmitted tip comes back from the desk as an incident naming it, and nothing new needs attention.
                await wait_for(lambda: resubmitted <= {s for v in state.incidents.values() for s in v.latest.sources})
                assert queue.counts()["open"] == 0

                # A call taken at the console: preview, then an ordinary tip that becomes an incident with partner notices.
                call = {"channel": "城管", "address": "中央大街", "text": "老人躺在地上叫不醒", "flags": ["minor"], "persons": 1,
                        "reporter_contact": "13912345678"}
                bad = await http.post("/api/calls/preview", json={**call, "reporter_contact": "12"}, headers=auth(op))
                assert bad.status == 400 and (await bad.json())["error"] == "invalid_contact"
                preview = (await (await http.post("/api/calls/preview", json=call, headers=auth(op))).json())["preview"]
                assert preview["category"] == "medical" and preview["priority"] == "P1" and set(preview["notify"]) == {"health", "police"}
                assert preview["channel"] == "city_management" and preview["reporter_contact"] == "tel:+86139****5678"
                sent = await http.post("/api/calls", json=call, headers=auth(op))
                assert sent.status == 202
                tip_id = (await sent.json())["tip_id"]
                await wait_for(lambda: any(tip_id in v.latest.sources for v in state.incidents.values()))
                incident = next(v.latest for v in state.incidents.values() if tip_id in v.latest.sources)
                assert incident.category == "medical" and incident.priority == "P1"
                await wait_for(lambda: {"health", "police"} <= {n["partner"] for n in calls.notices.of(incident.incident_id)})  # type: ignore[attr-defined]
                notices = (await (await http.get(f"/api/incidents/{incident.incident_id}/notices", headers=auth(op))).json())["notices"]
                assert {n["msg_type"] for n in notices} == {"Alert"}
                suggestions = (await (await http.get("/api/gazetteer?q=中央", headers=auth(op))).json())["places"]
                assert suggestions and suggestions[0]["name"].startswith("中央大街")
        finally:
            await runner.stop()
        # A restarted console rebuilds the queue from dead-letters and console-actions: still nothing open.
        again_runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=free_port(), extensions=[call_desk(settings, broker)])
        await again_runner.start()
        try:
            rebuilt = again_runner.extensions[0].queue  # type: ignore[attr-defined]
            await wait_for(lambda: rebuilt.counts()["resolved"] == len(MALFORMED))
            assert rebuilt.counts()["open"] == 0
            actions = {i.action.action for i in rebuilt.items.values() if i.action}
            assert actions == {"resubmitted", "dismissed"}
        finally:
            await again_runner.stop()
            await producer.stop()

    try:
        asyncio.run(main())
    finally:
        worker.stop()
