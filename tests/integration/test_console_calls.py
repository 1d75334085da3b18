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
from core.settings import Settings
from pipeline.broker import free_port
from tools.harness import WorkerProcess, create_topics, isolated_settings

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
GOOD = {"channel": "hotline", "reported_at": NOW.isoformat(), "text": "有人在路边坐着，很冷"}
# What producers really send wrong, and how an operator fixes each one.
MALFORMED: list[tuple[bytes, dict[str, Any] | None]] = [
    (json.dumps({**GOOD, "tip_id": "bad-addr", "address": "火星大街99号"}, ensure_ascii=False).encode(), {"address": "中央大街"}),
    (json.dumps({**GOOD, "tip_id": "bad-area", "lat": 39.9, "lon": 116.4}).encode(), {"lat": 45.7735, "lon": 126.6165}),
    (json.dumps({**GOOD, "tip_id": "bad-chan", "channel": "pigeon", "address": "中央大街"}, ensure_ascii=False).encode(),
     {"channel": "grid_worker", "address": "中央大街"}),
    (json.dumps({**GOOD, "tip_id": "bad-pos"}).encode(), {"address": "哈尔滨站"}),
    (json.dumps({**GOOD, "tip_id": "bad-time", "reported_at": "yesterday", "address": "中央大街"}, ensure_ascii=False).encode(),
     {"address": "中央大街"}),
    (b"this is not json {", None),
]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def wait_for(check: Callable[[], bool], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def test_every_unreadable_tip_is_resubmitted_or_dismissed_and_calls_become_incidents(broker: str, tmp_path: Path) -> None:
    base = replace(Settings.from_env({}), broker=broker)
    settings = isolated_settings(base, f"calls{uuid.uuid4().hex[:6]}", tmp_path / "state")
    tokens_file = tmp_path / "tokens.json"
    op = add_token(tokens_file, "operator", name="李调度")
    team_token = add_token(tokens_file, "team", team_id="T-daoli-1")
    port = free_port()
    settings = replace(settings, tokens_file=tokens_file, console_port=port)
    create_topics(broker, settings)
    worker = WorkerProcess(settings, broker, tmp_path / "worker.log")
    worker.start()

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
            for raw, _ in MALFORMED:
                await producer.send_and_wait(settings.topic(topics.TIPS), raw)
            queue = calls.queue  # type: ignore[attr-defined]
            await wait_for(lambda: queue.counts()["open"] == len(MALFORMED))
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                snapshot = await (await http.get("/api/attention", headers=auth(op))).json()
                errors = {json.loads(i["payload"]).get("tip_id") if i["original"] else "raw": i["error"] for i in snapshot["items"]}
                assert errors == {"bad-addr": "unknown_address", "bad-area": "out_of_area", "bad-chan": "unknown_channel",
                                  "bad-pos": "missing_field", "bad-time": "invalid", "raw": "malformed"}
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

                by_tip = {(json.loads(i["payload"]).get("tip_id") if i["original"] else "raw"): i for i in snapshot["items"]}
                fixes = dict(zip(("bad-addr", "bad-area", "bad-chan", "bad-pos", "bad-time", "raw"), (f for _, f in MALFORMED), strict=True))
                for tip_id, fix in fixes.items():
                    item = by_tip[tip_id]
                    if fix is None:
                        r = await http.post(f"/api/attention/{item['id']}/dismiss", json={"reason": "不是报告，测试消息 test message"}, headers=auth(op))
                        assert r.status == 202 and (await r.json())["action"]["by"] == "李调度"
                        continue
                    body = {"text": item["original"].get("text", ""), "channel": item["original"].get("channel", "hotline"), **fix}
                    r = await http.post(f"/api/attention/{item['id']}/resubmit", json=body, headers=auth(op))
                    assert r.status == 202, await r.text()
                    assert (await r.json())["tip_id"] == f"{item['id']}-fix"
                assert queue.counts()["open"] == 0
                again = await http.post(f"/api/attention/{first}/dismiss", json={"reason": "twice"}, headers=auth(op))
                assert again.status == 409

                # Each resubmitted tip comes back from the desk as an incident naming it.
                fixed = {f"{by_tip[t]['id']}-fix" for t, f in fixes.items() if f is not None}
                await wait_for(lambda: fixed <= {s for v in state.incidents.values() for s in v.latest.sources})

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
                assert incident.category == "medical" and incident.team_id is not None
                await wait_for(lambda: {"health", "police"} <= {n["partner"] for n in calls.notices.get(incident.incident_id, {}).values()})  # type: ignore[attr-defined]
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
