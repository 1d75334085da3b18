"""Call-taking and needs-attention endpoints with an in-memory outbox: what is written, and what never is."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from console.auth import TokenStore, add_token
from console.calls import CallDesk
from console.kafka_io import ListPublisher
from console.outbox import ListOutbox
from console.server import ConsoleService, build_app
from console.state import ConsoleState
from core import topics
from core.records import ClockTick, Conditions, DeadLetter
from core.settings import DATA_DIR
from rules.context import Context, Province, load_province

CITY = DATA_DIR / "cities" / "harbin"
T0 = datetime(2026, 12, 20, 23, 30, tzinfo=timezone(timedelta(hours=8)))
LETTER = DeadLetter(topic="tips", reason="address: unknown address '火星'", error="unknown_address", event_id="dl-00ab",
                    payload=json.dumps({"tip_id": "x1", "channel": "微信", "reported_at": T0.isoformat(), "address": "火星", "text": "有人躺着"}))
Run = Callable[[TestClient[Any, Any], ListOutbox, CallDesk, dict[str, str]], Awaitable[None]]


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("tok") / "tokens.json"
    return path, {"op": add_token(path, "operator", name="张调度"), "sup": add_token(path, "supervisor", name="sup"),
                  "team": add_token(path, "team", team_id="T-daoli-1")}


def run(ctx: Context, tokens: tuple[Path, dict[str, str]], body: Run, province: Province | None = None) -> None:
    state = ConsoleState()
    state.apply_clock(ClockTick(at=T0))
    state.apply_conditions(Conditions(region="daoli", at=T0, cold_wave_level="orange", night=True, severe_cold=True))
    service = ConsoleService(state, ListPublisher(), TokenStore(tokens[0]), CITY)
    outbox = ListOutbox()
    desk = CallDesk(ctx=ctx, outbox=outbox, province=province)
    desk.ingest(topics.DEAD_LETTERS, LETTER.to_dict())
    app = build_app(service)
    desk.add_routes(app)

    async def main() -> None:
        async with TestClient(TestServer(app)) as client:
            await body(client, outbox, desk, tokens[1])

    asyncio.run(main())


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


CALL = {"channel": "网格员", "address": "中央大街", "text": "一个小孩独自在外面哭", "persons": 1, "reporter_contact": "13812345678"}


def test_refused_requests_write_nothing(ctx: Context, tokens: tuple[Path, dict[str, str]]) -> None:
    async def body(client: TestClient[Any, Any], outbox: ListOutbox, desk: CallDesk, tok: dict[str, str]) -> None:
        cases: list[tuple[str, dict[str, str], Any, int, str]] = [
            ("/api/calls", {}, CALL, 401, "unauthorized"),
            ("/api/calls", auth(tok["team"]), CALL, 403, "forbidden"),
            ("/api/calls", auth(tok["op"]), {**CALL, "tip_id": "mine"}, 400, "unknown_field"),
            ("/api/calls", auth(tok["op"]), {**CALL, "address": "火星"}, 400, "unknown_address"),
            ("/api/calls", auth(tok["op"]), {**CALL, "channel": "pigeon"}, 400, "unknown_channel"),
            ("/api/calls", auth(tok["op"]), {**CALL, "reporter_contact": "call me"}, 400, "invalid_contact"),
            ("/api/calls", auth(tok["op"]), {"channel": "hotline"}, 400, "missing_field"),
            ("/api/calls", auth(tok["op"]), {**CALL, "reported_at": "yesterday"}, 400, "invalid"),
            ("/api/calls", auth(tok["op"]), [1, 2], 400, "malformed_json"),
            ("/api/attention/dl-00ab/dismiss", auth(tok["team"]), {"reason": "x"}, 403, "forbidden"),
            ("/api/attention/dl-00ab/dismiss", auth(tok["op"]), {"reason": " "}, 400, "invalid_reason"),
            ("/api/attention/dl-00ab/dismiss", auth(tok["op"]), {"reason": "x" * 201}, 400, "invalid_reason"),
            ("/api/attention/dl-ffff/dismiss", auth(tok["op"]), {"reason": "x"}, 404, "not_found"),
            ("/api/attention/dl-00ab/resubmit", auth(tok["op"]), {"channel": "hotline", "address": "火星"}, 400, "unknown_address"),
        ]
        for path, headers, payload, status, code in cases:
            r = await client.post(path, json=payload, headers=headers)
            assert (r.status, (await r.json())["error"]) == (status, code), path
        big = await client.post("/api/calls", data=b"{" + b" " * 20000 + b"}", headers={**auth(tok["op"]), "Content-Type": "application/json"})
        assert big.status == 413
        assert (await client.get("/api/attention")).status == 401
        assert (await client.get("/api/gazetteer?q=中央", headers=auth(tok["team"]))).status == 403
        assert outbox.records == [] and desk.queue.counts()["open"] == 1

    run(ctx, tokens, body)


def test_preview_then_call_writes_one_ordinary_tip(ctx: Context, tokens: tuple[Path, dict[str, str]]) -> None:
    async def body(client: TestClient[Any, Any], outbox: ListOutbox, desk: CallDesk, tok: dict[str, str]) -> None:
        preview = (await (await client.post("/api/calls/preview", json=CALL, headers=auth(tok["op"]))).json())["preview"]
        assert preview["category"] == "escort_station" and preview["channel"] == "grid_worker" and preview["district"] == "daoli"
        assert "night" in preview["rules"] and "cold_wave:orange" in preview["rules"] and "severe_cold" in preview["rules"]
        assert preview["priority"] == "P1" and preview["notify"] == ["police"] and preview["reporter_contact"] == "tel:+86138****5678"
        assert outbox.records == [], "a preview writes nothing"
        r = await client.post("/api/calls", json=CALL, headers=auth(tok["sup"]))
        assert r.status == 202
        [(topic, key, value)] = outbox.records
        tip = json.loads(value)
        assert topic == topics.TIPS and key == tip["tip_id"] == (await r.json())["tip_id"] and tip["tip_id"].startswith("call-")
        assert tip["reported_at"] == T0.isoformat() and tip["taken_by"] == "sup" and tip["reporter_contact"] == "13812345678"
        places = (await (await client.get("/api/gazetteer?q=station", headers=auth(tok["op"]))).json())["places"]
        assert places and all({"name", "lat", "lon"} <= set(p) for p in places)
        options = await (await client.get("/api/calls/options", headers=auth(tok["op"]))).json()
        names = {c["id"]: c["zh"] for c in options["channels"]}
        assert names["city_management"] == "城管" and names["grid_worker"] == "网格员" and names["transfer_110"] == "110转警"

    run(ctx, tokens, body)


def test_resubmit_names_the_dead_letter_and_a_decision_is_final(ctx: Context, tokens: tuple[Path, dict[str, str]]) -> None:
    async def body(client: TestClient[Any, Any], outbox: ListOutbox, desk: CallDesk, tok: dict[str, str]) -> None:
        item = (await (await client.get("/api/attention", headers=auth(tok["op"]))).json())["items"][0]
        assert item["id"] == "dl-00ab" and item["original"]["address"] == "火星" and item["error"] == "unknown_address"
        fix = {"channel": "wechat", "lat": 45.7735, "lon": 126.6165, "text": item["original"]["text"], "reported_at": T0.isoformat()}
        r = await client.post("/api/attention/dl-00ab/resubmit", json=fix, headers=auth(tok["op"]))
        assert r.status == 202
        (t1, _, tip_raw), (t2, key, action_raw) = outbox.records
        tip, action = json.loads(tip_raw), json.loads(action_raw)
        assert (t1, t2) == (topics.TIPS, topics.CONSOLE_ACTIONS) and key == "dl-00ab"
        assert tip["tip_id"] == "dl-00ab-fix" and tip["corrects"] == "dl-00ab" and tip["taken_by"] == "张调度"
        assert action["action"] == "resubmitted" and action["by"] == "张调度" and action["tip_id"] == "dl-00ab-fix"
        assert desk.queue.counts() == {"open": 0, "resolved": 1, "other_dead_letters": 0}
        again = await client.post("/api/attention/dl-00ab/dismiss", json={"reason": "dup"}, headers=auth(tok["op"]))
        assert again.status == 409 and len(outbox.records) == 2

    run(ctx, tokens, body)


def test_notices_are_listed_per_incident(ctx: Context, tokens: tuple[Path, dict[str, str]]) -> None:
    async def body(client: TestClient[Any, Any], outbox: ListOutbox, desk: CallDesk, tok: dict[str, str]) -> None:
        change = desk.ingest(topics.PARTNER_NOTICES, {"notice_id": "patrol-inc-1-r1-police", "partner": "police", "incident_id": "inc-1",
                                                       "event_id": "inc-1-r1", "msg_type": "Alert", "status": "Actual", "address": "110",
                                                       "cap": "<alert/>", "at": T0.isoformat()})
        assert change[0][0] == "notice"
        notices = (await (await client.get("/api/incidents/inc-1/notices", headers=auth(tok["op"]))).json())["notices"]
        assert [n["partner"] for n in notices] == ["police"] and "cap" not in notices[0]

    run(ctx, tokens, body)


def test_a_lone_surrogate_in_a_body_is_a_400_not_a_500(ctx: Context, tokens: tuple[Path, dict[str, str]]) -> None:
    """{"\\ud800": 1} decoded into a key no answer could encode: the unknown-field error itself crashed into a 500."""
    async def body(client: TestClient[Any, Any], outbox: ListOutbox, desk: CallDesk, tok: dict[str, str]) -> None:
        for raw in (b'{"\\ud800": 1}', b'{"channel": "hotline", "address": "\\u4e2d\\u592e\\u5927\\u8857", "text": "\\udfff"}'):
            for path in ("/api/calls", "/api/calls/preview"):
                resp = await client.post(path, data=raw, headers={**auth(tok["op"]), "Content-Type": "application/json"})
                assert resp.status == 400, await resp.text()
                assert (await resp.json())["error"] == "malformed_json"
        assert outbox.records == []

    run(ctx, tokens, body)


def test_with_two_cities_the_gazetteer_lists_first_the_place_the_typed_text_names_most_fully(tokens: tuple[Path, dict[str, str]]) -> None:
    # Harbin's gazetteer resolves "齐齐哈尔市第一医院" too (its own 市第一医院 is in it): its hospital came first,
    # and the operator who took the top suggestion sent a Qiqihar caller's person to Harbin.
    province = load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", {c: DATA_DIR / "cities" / c for c in ("harbin", "qiqihar")})

    async def body(client: TestClient[Any, Any], outbox: ListOutbox, desk: CallDesk, tok: dict[str, str]) -> None:
        for typed, first in (("齐齐哈尔市第一医院", "齐齐哈尔市第一医院"), ("哈尔滨市第一医院", "哈尔滨市第一医院"), ("嫩江公路大桥", "嫩江公路大桥")):
            places = (await (await client.get(f"/api/gazetteer?q={typed}", headers=auth(tok["op"]))).json())["places"]
            assert places[0]["name"] == first, places

    run(province.first, tokens, body, province)


def test_a_call_dated_beyond_what_the_desk_takes_is_refused_before_it_is_written(ctx: Context, tokens: tuple[Path, dict[str, str]]) -> None:
    """A call typed with tomorrow's date or last week's (a slip on the form) was answered 202 with a preview, then
    dead-lettered by the desk `future_time`/`stale_time`: the operator saw a call taken that no team was sent to."""
    async def body(client: TestClient[Any, Any], outbox: ListOutbox, desk: CallDesk, tok: dict[str, str]) -> None:
        for at, code in ((T0 + timedelta(hours=2), "future_time"), (T0 - timedelta(hours=30), "stale_time")):
            for path in ("/api/calls/preview", "/api/calls", "/api/attention/dl-00ab/resubmit"):
                r = await client.post(path, json={**CALL, "reported_at": at.isoformat()}, headers=auth(tok["op"]))
                assert (r.status, (await r.json())["error"]) == (400, code), path
        assert outbox.records == [] and desk.queue.counts()["open"] == 1
        ok = await client.post("/api/calls", json={**CALL, "reported_at": (T0 - timedelta(minutes=20)).isoformat()}, headers=auth(tok["op"]))
        assert ok.status == 202 and len(outbox.records) == 1

    run(ctx, tokens, body)
