"""Tokens hashed at rest, roles and the API's refusals, with a fake publisher (no broker)."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from console.auth import TokenStore, add_token, hash_token, split_token, verify_token
from console.kafka_io import ListPublisher
from console.server import ConsoleService, build_app
from console.state import ConsoleState
from core.errors import ConfigError
from core.records import DispatchEvent
from core.settings import DATA_DIR, PROJECT_ROOT

CITY = DATA_DIR / "cities" / "harbin"
CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 12, 20, 22, 30, tzinfo=CST)
FAST_N = 2**10  # cheap scrypt for tests of the format only


def test_hash_is_salted_and_verifies() -> None:
    a, b = hash_token("secret", n=FAST_N), hash_token("secret", n=FAST_N)
    assert a != b and a.startswith("scrypt$1024$")
    assert verify_token("secret", a) and verify_token("secret", b)
    assert not verify_token("Secret", a)
    assert not verify_token("secret", "scrypt$bad") and not verify_token("secret", "md5$1$2$3$00$00")


def test_split_token() -> None:
    assert split_token("abc.def") == ("abc", "def")
    assert split_token("nodot") is None and split_token(".x") is None and split_token("a b.c") is None


def test_add_token_stores_only_hashes(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    op = add_token(path, "operator", name="Li")
    team = add_token(path, "team", team_id="T-daoli-1")
    text = path.read_text(encoding="utf-8")
    assert op not in text and op.split(".")[1] not in text and team.split(".")[1] not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store = TokenStore(path)
    who = store.authenticate(op)
    assert who is not None and who.role == "operator" and who.name == "Li" and who.team_id is None
    crew = store.authenticate(team)
    assert crew is not None and crew.role == "team" and crew.team_id == "T-daoli-1"
    assert store.authenticate(op + "x") is None and store.authenticate("") is None and store.authenticate("junk") is None


def test_add_token_rejects_bad_roles(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    with pytest.raises(ConfigError):
        add_token(path, "admin")
    with pytest.raises(ConfigError):
        add_token(path, "team")
    with pytest.raises(ConfigError):
        add_token(path, "operator", team_id="T-daoli-1")
    add_token(path, "operator", token_id="dup")
    with pytest.raises(ConfigError):
        add_token(path, "operator", token_id="dup")


def test_store_reloads_when_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = TokenStore(path)
    assert len(store) == 0
    token = add_token(path, "supervisor")
    assert store.authenticate(token) is not None


def test_malformed_tokens_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"tokens": [{"id": "x", "role": "team", "hash": "scrypt$1"}]}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tokens\[0\]: a team token needs team_id"):
        TokenStore(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        TokenStore(path)


def test_shipped_demo_tokens_work() -> None:
    store = TokenStore(DATA_DIR / "tokens.json")
    who = store.authenticate("demo-operator.winter-warmth-operator")
    assert who is not None and who.role == "operator"
    crew = store.authenticate("demo-T-daoli-1.winter-warmth-T-daoli-1")
    assert crew is not None and crew.team_id == "T-daoli-1"


# ------------------------------------------------------------------ API with a fake publisher


def _event(incident: str, team: str | None, revision: int = 1) -> DispatchEvent:
    return DispatchEvent(
        event_id=f"{incident}-r{revision}", kind="dispatch", incident_id=incident, revision=revision, priority="P2",
        category="guidance", rules=("category:guidance",), zone_id=None, key_area=None, lat=45.77, lon=126.62,
        sources=("h-1",), team_id=team, ack_deadline=T0 + timedelta(minutes=15), nearest_help_point=None, notify=(),
        at=T0, status="assigned", text="call 13912345678",
    )


Run = Callable[[TestClient[Any, Any], ListPublisher, dict[str, str]], Awaitable[None]]


def _with_client(tmp_path: Path, body: Run) -> None:
    path = tmp_path / "tokens.json"
    tokens = {
        "op": add_token(path, "operator", name="op1"),
        "t1": add_token(path, "team", team_id="T-daoli-1"),
        "t2": add_token(path, "team", team_id="T-daoli-2"),
    }
    state = ConsoleState()
    state.apply_dispatch(_event("inc-1", "T-daoli-1"))
    publisher = ListPublisher()
    service = ConsoleService(state, publisher, TokenStore(path), CITY)

    async def main() -> None:
        async with TestClient(TestServer(build_app(service))) as client:
            await body(client, publisher, tokens)

    asyncio.run(main())


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_refusals_write_nothing(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str]) -> None:
        cases: list[tuple[str, str, dict[str, str], Any, int, str]] = [
            ("get", "/api/state", {}, None, 401, "unauthorized"),
            ("get", "/api/state", _auth("nope.nope"), None, 401, "unauthorized"),
            ("get", "/api/state", _auth(tok["t1"]), None, 403, "forbidden"),
            ("get", "/api/team/tasks", _auth(tok["op"]), None, 403, "forbidden"),
            ("post", "/api/incidents/inc-1/reassign", _auth(tok["t1"]), "{}", 403, "forbidden"),
            ("post", "/api/incidents/nope/resolve", _auth(tok["op"]), "{}", 404, "incident_not_found"),
            ("post", "/api/incidents/inc-1/resolve", _auth(tok["op"]), "[", 400, "malformed_json"),
            ("post", "/api/team/acks", _auth(tok["t1"]), "{bad", 400, "malformed_json"),
            ("post", "/api/team/acks", _auth(tok["t1"]), "[]", 400, "malformed_json"),
            ("post", "/api/team/acks", _auth(tok["t1"]), '{"status": "accepted"}', 400, "missing_field"),
            ("post", "/api/team/acks", _auth(tok["t1"]), '{"event_id": "inc-1-r1", "status": "teleported"}', 400, "unknown_status"),
            ("post", "/api/team/acks", _auth(tok["t1"]), '{"event_id": "inc-1-r1", "status": "resolved"}', 400, "missing_field"),
            ("post", "/api/team/acks", _auth(tok["t1"]), '{"event_id": "zzz", "status": "accepted"}', 404, "task_not_found"),
            ("post", "/api/team/acks", _auth(tok["t2"]), '{"event_id": "inc-1-r1", "status": "accepted"}', 403, "not_your_task"),
        ]
        for method, url, headers, data, status, code in cases:
            resp = await client.request(method, url, headers=headers, data=data)
            assert resp.status == status, (url, data, await resp.text())
            assert (await resp.json())["error"] == code
        assert pub.acks == []

    _with_client(tmp_path, body)


def test_api_team_and_operator_actions_publish(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], pub: ListPublisher, tok: dict[str, str]) -> None:
        resp = await client.get("/api/team/tasks", headers=_auth(tok["t1"]))
        tasks = (await resp.json())["tasks"]
        assert [t["event_id"] for t in tasks] == ["inc-1-r1"] and "13912345678" not in tasks[0]["text"]
        resp = await client.get("/api/team/tasks", headers=_auth(tok["t2"]))
        assert (await resp.json())["tasks"] == []
        resp = await client.post("/api/team/acks", headers=_auth(tok["t1"]), json={"event_id": "inc-1-r1", "status": "accepted"})
        assert resp.status == 202
        resp = await client.post("/api/incidents/inc-1/reassign", headers=_auth(tok["op"]))
        assert resp.status == 202
        assert [(a.status, a.team_id, a.at) for a in pub.acks] == [("accepted", "T-daoli-1", T0), ("reassign", "console", T0)]
        assert pub.acks[1].by == "op1" and pub.acks[1].incident_id == "inc-1"
        resp = await client.get("/api/city", headers=_auth(tok["t1"]))
        city = await resp.json()
        assert {"districts", "zones", "help_points", "teams", "meta"} <= set(city)
        page = await client.get("/")
        html = await page.text()
        assert "http://" not in html and "https://" not in html

    _with_client(tmp_path, body)


def test_static_files_have_no_external_urls() -> None:
    static = PROJECT_ROOT / "console" / "static"
    for path in static.iterdir():
        text = path.read_text(encoding="utf-8")
        for bad in ("https://", "http://", "//cdn", "{z}/{x}/{y}"):
            assert bad not in text.replace("http://www.w3.org/2000/svg", ""), (path.name, bad)
    assert json.loads((DATA_DIR / "tokens.json").read_text(encoding="utf-8"))["note"].startswith("DEMO ONLY")
