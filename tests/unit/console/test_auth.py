"""Tokens hashed at rest, roles and the API's refusals, with a fake publisher (no broker)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from console import auth as auth_module
from console.auth import FailureLimiter, TokenStore, TooManyAttempts, add_token, hash_token, split_token, verify_token
from console.kafka_io import ListPublisher
from console.server import ConsoleService, build_app, refuse_demo_tokens
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


# ------------------------------------------------------------------ guessing, timing, reloads


def _store_with(tmp_path: Path, **limits: Any) -> tuple[TokenStore, str, Path]:
    path = tmp_path / "tokens.json"
    token = add_token(path, "operator", token_id="op")
    return TokenStore(path, limiter=FailureLimiter(**limits)), token, path


def test_limiter_counts_failures_in_a_sliding_window() -> None:
    now = [0.0]
    limiter = FailureLimiter(max_failures=3, window_s=60.0, clock=lambda: now[0])
    for _ in range(3):
        limiter.check("client:a")
        limiter.fail("client:a")
    with pytest.raises(TooManyAttempts) as caught:
        limiter.check("client:b", "client:a")
    assert caught.value.retry_after_s == pytest.approx(60.0)
    limiter.check("client:b")  # others are not affected
    now[0] = 60.5
    limiter.check("client:a")  # the window has passed


@pytest.fixture
def kdf_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The candidates the store ran the KDF for, in order (the real check still runs)."""
    runs: list[str] = []
    real = auth_module.verify_token

    def counting(candidate: str, encoded: str) -> bool:
        runs.append(candidate)
        return real(candidate, encoded)

    monkeypatch.setattr(auth_module, "verify_token", counting)
    return runs


def test_unknown_id_wrong_secret_and_malformed_cost_one_kdf_each(tmp_path: Path, kdf_runs: list[str]) -> None:
    store, token, _ = _store_with(tmp_path)
    calls = kdf_runs
    for guess in ("op.wrong-secret", "nobody.wrong-secret", "no-dot-at-all", token):
        calls.clear()
        store.authenticate(guess)
        assert calls == [guess], guess  # the same work whether the id exists or not


def test_async_check_runs_off_the_loop_with_bounded_concurrency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _, _ = _store_with(tmp_path, max_failures=1000)
    threads: set[str] = set()
    running = [0, 0]  # now, max
    lock = threading.Lock()

    def slow(candidate: str, encoded: str) -> bool:
        with lock:
            running[0] += 1
            running[1] = max(running)
        threads.add(threading.current_thread().name)
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return False

    monkeypatch.setattr(auth_module, "verify_token", slow)

    async def main() -> None:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        beat = asyncio.create_task(ticker())
        results = await asyncio.gather(*(store.authenticate_async(f"op.guess{i}", f"10.0.0.{i}") for i in range(12)))
        beat.cancel()
        assert results == [None] * 12
        assert ticks > 12  # the loop kept running while the checks ran

    asyncio.run(main())
    assert threading.main_thread().name not in threads and threads
    assert running[1] <= 2


def test_failed_attempts_are_limited_per_client_and_per_token_id(tmp_path: Path) -> None:
    store, token, _ = _store_with(tmp_path, max_failures=3, window_s=600)

    async def main() -> None:
        for i in range(3):
            assert await store.authenticate_async(f"x{i}.bad", "10.0.0.1") is None
        with pytest.raises(TooManyAttempts, match="client"):
            await store.authenticate_async(token, "10.0.0.1")  # even the right token, from this client
        for i in range(3):  # another client guesses at the same id from many addresses
            assert await store.authenticate_async(f"ghost.bad{i}", f"10.0.1.{i}") is None
        with pytest.raises(TooManyAttempts, match="token id"):
            await store.authenticate_async("ghost.bad9", "10.0.2.1")
        assert await store.authenticate_async(token, "10.0.3.1") is not None  # the real id is not locked
        store.limiter.fail("token id:op", "token id:op", "token id:op")
        assert await store.authenticate_async(token, "10.0.4.1") is not None  # cached: never locked out

    asyncio.run(main())


def test_parallel_guesses_are_limited_like_sequential_ones(tmp_path: Path, kdf_runs: list[str]) -> None:
    # All of a burst passed `check` before the first had failed: 60 guesses at once cost 60 scrypt runs (16 MiB,
    # tens of ms each, two at a time) and none was refused, however low the limit.
    store, _, _ = _store_with(tmp_path, max_failures=3, window_s=600)
    runs = kdf_runs

    async def guess(i: int) -> str:
        try:
            return "ok" if await store.authenticate_async(f"op.guess{i}", "10.0.0.1") else "refused"
        except TooManyAttempts:
            return "limited"

    async def main() -> list[str]:
        return await asyncio.gather(*(guess(i) for i in range(60)))

    answers = asyncio.run(main())
    assert answers.count("refused") == 3 and answers.count("limited") == 57
    assert len(runs) == 3
    runs.clear()
    with pytest.raises(TooManyAttempts):  # the three failures stay in the window
        asyncio.run(store.authenticate_async("op.guess99", "10.0.0.1"))
    assert not store.limiter._pending  # every check in flight was released


def test_revoked_token_dies_even_when_the_file_keeps_its_old_mtime(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    keep = add_token(path, "operator", token_id="keep")
    old_text = path.read_text(encoding="utf-8")
    revoked = add_token(path, "team", team_id="T-daoli-1", token_id="gone")
    store = TokenStore(path)
    assert store.authenticate(revoked) is not None  # now cached
    before = path.stat()
    path.write_text(old_text, encoding="utf-8")  # the operator restores the file without the token...
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ...with the old modification time
    assert store.authenticate(revoked) is None
    assert store.authenticate(keep) is not None


def test_same_size_rewrite_with_old_mtime_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    token = add_token(path, "operator", token_id="op")
    store = TokenStore(path)
    assert store.authenticate(token) is not None
    before = path.stat()
    data = json.loads(path.read_text(encoding="utf-8"))
    data["tokens"][0]["hash"] = hash_token("op.other-secret")
    text = json.dumps(data)
    path.write_text(text + " " * (before.st_size - len(text.encode())), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert store.authenticate(token) is None


def test_broken_file_keeps_the_last_good_tokens(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "tokens.json"
    token = add_token(path, "operator", token_id="op")
    store = TokenStore(path)
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace('"tokens": [', '"tokens": [,'), encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        assert store.authenticate(token) is not None  # last good tokens still in force
        assert store.authenticate(token) is not None
    assert store.load_error is not None and f"{path}:4: not valid JSON" in store.load_error
    assert sum("keeping the last good tokens" in r.getMessage() for r in caplog.records) == 1  # logged once
    path.write_text(good, encoding="utf-8")
    assert store.authenticate(token) is not None and store.load_error is None


def test_demo_tokens_are_refused_off_loopback() -> None:
    store = TokenStore(DATA_DIR / "tokens.json")
    assert "demo-operator" in store.demo_token_ids() and len(store.demo_token_ids()) == len(store)
    for host in ("127.0.0.1", "::1", "localhost"):
        refuse_demo_tokens(store, host, allowed=False)
    refuse_demo_tokens(store, "0.0.0.0", allowed=True)
    with pytest.raises(ConfigError, match="demo tokens"):
        refuse_demo_tokens(store, "0.0.0.0", allowed=False)


def test_own_tokens_may_listen_anywhere(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    add_token(path, "operator", token_id="demo-operator")  # a demo-looking id with a real secret
    refuse_demo_tokens(TokenStore(path), "0.0.0.0", allowed=False)


def _tokens_file(path: Path, hashes: list[str], *, bom: bool = False) -> None:
    entries = [{"id": f"op-{i}", "role": "operator", "team_id": None, "name": "Op", "hash": h} for i, h in enumerate(hashes)]
    text = '{\n  "version": 1,\n  "kdf": "scrypt",\n  "tokens": [\n' + ",\n".join("    " + json.dumps(e) for e in entries) + "\n  ]\n}\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


@pytest.mark.parametrize("damage", [
    lambda h: h[:-1],                       # the last hex digit lost: an odd-length hash
    lambda h: h.rsplit("$", 1)[0],          # the hash field cut off
    lambda h: h.replace("$1024$", "$1000$", 1),  # n not a power of two
    lambda h: h.replace("$1024$", "$1048576$", 1),  # more memory than any check may take (1 GiB)
    lambda h: h.replace("$8$1$", "$8$x$", 1),
    lambda h: h[:-4] + "zzzz",              # not hexadecimal
])
def test_a_hash_no_check_can_use_is_refused_with_its_line(tmp_path: Path, damage: Callable[[str], str]) -> None:
    # Such a hash loaded silently: the console started and its holder's every sign-in was refused as a wrong token.
    path = tmp_path / "tokens.json"
    good = hash_token("op-0.secret-zero", n=2**10)
    _tokens_file(path, [good, damage(hash_token("op-1.secret-one", n=2**10))])
    with pytest.raises(ConfigError, match=r"tokens\[1\]: hash") as info:
        TokenStore(path)
    assert info.value.path == str(path) and info.value.line == 6


def test_token_errors_name_the_entry_line(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    _tokens_file(path, [hash_token("op-0.s", n=2**10), "md5$whatever"])
    with pytest.raises(ConfigError) as info:
        TokenStore(path)
    assert info.value.line == 6 and f"{path}:6: tokens[1]: hash" in str(info.value)


def test_a_token_entry_naming_a_key_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    """`{"role": "team", "team_id": "T-daoli-1", ..., "role": "supervisor"}`, an entry edited by hand: Python kept the last
    role and loaded a supervisor's token (every person file readable) that the file's reader took for a team's."""
    path = tmp_path / "tokens.json"
    entry = {"id": "t1", "role": "team", "team_id": "T-daoli-1", "hash": hash_token("t1.s", n=2**10)}
    text = json.dumps({"tokens": [entry]}, indent=2).replace('"role": "team",', '"role": "team",\n      "role": "supervisor",')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        TokenStore(path)
    assert "names 'role' twice" in str(info.value) and info.value.line == 6
    assert '"role": "supervisor"' in text.splitlines()[5]


def test_a_tokens_file_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    # Notepad's UTF-8 writes a BOM: the console refused to start ("Unexpected UTF-8 BOM"), as no other file does.
    path = tmp_path / "tokens.json"
    _tokens_file(path, [hash_token("op-0.secret-zero", n=2**10)], bom=True)
    store = TokenStore(path)
    assert store.authenticate("op-0.secret-zero") is not None
    assert add_token(path, "operator", token_id="op-9")
    assert TokenStore(path).authenticate("op-0.secret-zero") is not None


@pytest.mark.parametrize(("entry", "said"), [
    # Loaded silently, each made every write of its holder a record the desk dead-letters after the console answered 202:
    # the name is the ack's and command's `by`, the team id the ack's `team_id` (and `console` is the operators' own).
    ({"role": "operator", "name": "Wang\nLi"}, "name must be printable text of 1..80 characters"),
    ({"role": "operator", "name": "W" * 81}, "name must be printable text of 1..80 characters"),
    ({"role": "operator", "name": 5}, "name must be printable text of 1..80 characters"),
    ({"role": "team", "team_id": "console"}, "team_id 'console' is the operators'"),
    ({"role": "team", "team_id": "T-\x07"}, "team_id must be"),
    ({"role": "team", "team_id": " "}, "team_id must be"),
])
def test_a_token_entry_whose_name_or_team_no_record_can_carry_is_refused_naming_its_line(tmp_path: Path, entry: dict[str, Any], said: str) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"tokens": [{"id": "x1", "hash": hash_token("x1.s", n=2**10), **entry}]}, indent=2), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tokens\[0\]: ") as info:
        TokenStore(path)
    assert said in str(info.value) and info.value.line == 3  # the entry's own line
    with pytest.raises(ConfigError, match=r"name must be|team_id"):
        add_token(tmp_path / "new.json", entry["role"], team_id=entry.get("team_id"), name=entry.get("name"))  # type: ignore[arg-type]
    assert not (tmp_path / "new.json").exists()


def test_a_token_id_with_a_trailing_line_break_is_refused(tmp_path: Path) -> None:
    # `$` matched before a final newline: an id "op\n" loaded (and `patrol token add` wrote one) that no header can carry.
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"tokens": [{"id": "op\n", "role": "operator", "hash": hash_token("op.s", n=2**10)}]}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tokens\[0\]: id must match"):
        TokenStore(path)
    with pytest.raises(ConfigError, match="token id must match"):
        add_token(tmp_path / "new.json", "operator", token_id="op\n")


def test_an_ipv6_guesser_is_one_client_across_its_network(tmp_path: Path) -> None:
    """One IPv6 subscriber holds a /64 (2^64 addresses): counted per address, a guesser that changed address and token
    id at each try was never limited, and each try cost a scrypt run on the console's few KDF slots."""
    store, token, _ = _store_with(tmp_path, max_failures=3, window_s=600)

    async def main() -> None:
        for i in range(3):
            assert await store.authenticate_async(f"g{i}.bad", f"2001:db8:1:2::{i + 1:x}") is None
        with pytest.raises(TooManyAttempts, match="client"):
            await store.authenticate_async("g9.bad", "2001:db8:1:2:ffff:ffff:ffff:ffff")
        assert await store.authenticate_async(token, "2001:db8:1:3::1") is not None  # the next /64 is someone else
        for i in range(3):  # IPv4 is still per address, and an IPv4-mapped address is that IPv4 address
            assert await store.authenticate_async(f"h{i}.bad", "::ffff:10.0.9.1") is None
        with pytest.raises(TooManyAttempts, match="client"):
            await store.authenticate_async("h9.bad", "10.0.9.1")
        assert await store.authenticate_async(token, "10.0.9.2") is not None

    asyncio.run(main())
