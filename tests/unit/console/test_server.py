"""The console's error contract, limits and health, on the real aiohttp app with a fake publisher (no broker)."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from console.auth import FailureLimiter, TokenStore, TooManyWrites, WriteLimiter, add_token
from console.kafka_io import ListPublisher
from console.server import (
    MAX_BODY_BYTES,
    MAX_ERROR_MESSAGE,
    MAX_STREAMS_PER_TOKEN,
    SERVICE,
    ConsoleService,
    app_runner,
    build_app,
    client_address,
)
from console.state import ConsoleState
from core.records import TaskAck
from core.settings import DATA_DIR

CITY = DATA_DIR / "cities" / "harbin"


class DownPublisher(ListPublisher):
    """A broker that does not answer."""

    async def publish(self, ack: TaskAck) -> None:
        raise TimeoutError("no acknowledgement within 5s")

    def broker_health(self) -> dict[str, Any]:
        return {"reachable": False, "bootstrap": "nowhere:9092", "error": "KafkaConnectionError"}


Body = Callable[[TestClient[Any, Any], str], Awaitable[None]]


def _run(
    tmp_path: Path, body: Body, *, publisher: ListPublisher | None = None, city: Path = CITY,
    app: Callable[[ConsoleService], web.Application] = build_app, **limits: Any,
) -> None:
    path = tmp_path / "tokens.json"
    token = add_token(path, "operator", token_id="op")
    service = ConsoleService(ConsoleState(), publisher or ListPublisher(), TokenStore(path, limiter=FailureLimiter(**limits)), city)

    async def main() -> None:
        async with TestClient(TestServer(app(service))) as client:
            await body(client, token)

    asyncio.run(main())


async def _error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    data: dict[str, Any] = await resp.json()
    assert data["error"] == code and data["message"]
    assert "Traceback" not in data["message"]
    return data


def test_every_failure_answers_json(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], token: str) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        deep = "[" * 8000 + "]" * 8000
        await _error(await client.post("/api/incidents/x/resolve", headers=auth, data=deep), 400, "malformed_json")
        deep_obj = '{"a":' * 2500 + "1" + "}" * 2500  # under the size limit, over the parser's depth
        await _error(await client.post("/api/incidents/x/reassign", headers=auth, data=deep_obj), 400, "malformed_json")
        # a message quoting the request is cut: a 5 kB incident id came back whole
        long_field = await _error(await client.post("/api/incidents/" + "x" * 5000 + "/resolve", headers=auth), 404, "incident_not_found")
        assert len(long_field["message"]) == MAX_ERROR_MESSAGE and long_field["message"].endswith("…")
        await _error(await client.get("/no/such/page"), 404, "not_found")
        await _error(await client.get("/api/nothing-here", headers=auth), 404, "not_found")
        resp = await client.delete("/api/state", headers=auth)
        await _error(resp, 405, "method_not_allowed")
        assert "GET" in resp.headers["Allow"]

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(2 * MAX_BODY_BYTES // 1024):
                yield b" " * 1024

        resp = await client.post("/api/incidents/x/resolve", headers=auth, data=chunks())
        await _error(resp, 413, "body_too_large")
        resp = await client.get("/healthz")
        assert resp.headers["Server"] == "patrol"  # no version banner

    _run(tmp_path, body)


def test_aiohttp_s_own_refusals_have_a_meaningful_code(tmp_path: Path) -> None:
    # `GET /static/` (a directory) answered 403 `{"error": "error"}`: the codes table knew no 403, nor 406, 411, 416, 431...
    # and a missing static file an empty application/octet-stream 404 that no middleware saw.
    refusals = [cls for cls in (*web.HTTPClientError.__subclasses__(), *web.HTTPServerError.__subclasses__()) if cls.status_code >= 400]
    assert len(refusals) > 30

    async def body(client: TestClient[Any, Any], token: str) -> None:
        await _error(await client.get("/static/"), 404, "not_found")
        await _error(await client.get("/static/no-such.js"), 404, "not_found")
        for way_out in ("..%2Fserver.py", "x%2F..%2F..%2Fserver.py", "style.css%2F..%2F..%2Fserver.py"):  # never out of static/
            await _error(await client.get(f"/static/{way_out}"), 404, "not_found")
        assert (await client.get("/static/style.css")).status == 200
        seen = set()
        for cls in refusals:
            resp = await client.get(f"/raise/{cls.__name__}")
            assert resp.status == cls.status_code and resp.content_type == "application/json", cls
            code = (await resp.json())["error"]
            assert re.fullmatch(r"[a-z][a-z0-9_]+", code) and code not in ("error", "client_error", "server_error"), (cls, code)
            seen.add(code)
        assert len(seen) == len({cls.status_code for cls in refusals})  # one code per status
        await _error(await client.get("/raise/HTTPForbidden"), 403, "forbidden")
        await _error(await client.get("/raise/HTTPRequestHeaderFieldsTooLarge"), 431, "headers_too_large")
        await _error(await client.get("/raise/HTTPRequestRangeNotSatisfiable"), 416, "range_not_satisfiable")

    async def raise_(request: web.Request) -> web.StreamResponse:
        cls = next(c for c in refusals if c.__name__ == request.match_info["name"])
        if cls is web.HTTPMethodNotAllowed:
            raise cls("GET", ["POST"])
        if cls is web.HTTPUnavailableForLegalReasons:
            raise cls("https://example.org/")
        if cls is web.HTTPRequestEntityTooLarge:
            raise cls(max_size=1, actual_size=2)
        raise cls()

    def app_with(service: ConsoleService) -> web.Application:
        app = build_app(service)
        app.router.add_get("/raise/{name}", raise_)
        return app

    _run(tmp_path, body, app=app_with)


def test_an_unexpected_error_is_a_json_500_without_traceback(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], token: str) -> None:
        resp = await client.get("/api/city", headers={"Authorization": f"Bearer {token}"})
        data = await _error(resp, 500, "internal_error")
        assert "city.json" not in data["message"]

    _run(tmp_path, body, city=tmp_path / "no-city")


def test_guessing_is_limited_with_429(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], token: str) -> None:
        for i in range(3):
            await _error(await client.get("/api/state", headers={"Authorization": f"Bearer op.guess{i}"}), 401, "unauthorized")
        resp = await client.get("/api/state", headers={"Authorization": "Bearer op.guess9"})
        await _error(resp, 429, "too_many_attempts")
        assert int(resp.headers["Retry-After"]) >= 1

    _run(tmp_path, body, max_failures=3)


def test_a_tokens_writes_beyond_its_budget_are_429_and_reads_go_on(tmp_path: Path) -> None:
    # A valid token had no write limit: a phone in a retry loop, or a stolen token, sent acks and statuses as fast as the
    # console took them, each a broker record. Past its burst a token waits (Retry-After); reads and other tokens do not.
    path = tmp_path / "tokens.json"
    token = add_token(path, "operator", token_id="op")
    other = add_token(path, "operator", token_id="op2")
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(path, writes=WriteLimiter(rate=0.01, burst=3)), CITY)

    async def main() -> None:
        async with TestClient(TestServer(build_app(service))) as client:
            def post(who: str) -> Any:
                return client.post("/api/incidents/nowhere/resolve", headers={"Authorization": f"Bearer {who}"})

            for _ in range(3):  # within the burst: the handler answers (no such incident)
                assert (await post(token)).status == 404
            resp = await post(token)
            await _error(resp, 429, "too_many_writes")
            assert int(resp.headers["Retry-After"]) >= 99  # one write back at 0.01 a second
            assert (await client.get("/api/state", headers={"Authorization": f"Bearer {token}"})).status == 200
            assert (await post(other)).status == 404

    asyncio.run(main())


def test_write_budget_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = WriteLimiter(rate=2.0, burst=2, clock=lambda: now[0])
    limiter.take("a")
    limiter.take("a")
    with pytest.raises(TooManyWrites) as caught:
        limiter.take("a")
    assert caught.value.retry_after_s == pytest.approx(0.5)
    now[0] = 0.5
    limiter.take("a")  # one write back after 1/rate
    with pytest.raises(TooManyWrites):
        limiter.take("a")
    now[0] = 100.0
    for _ in range(2):  # refilled to the burst, never beyond it
        limiter.take("a")
    with pytest.raises(TooManyWrites):
        limiter.take("a")


def test_behind_a_trusted_proxy_each_client_has_its_own_failed_attempt_limit(tmp_path: Path) -> None:
    # Behind a reverse proxy every client had the proxy's address: one guesser's failures locked every phone and
    # console out of signing in. The proxy (here the test client's 127.0.0.1) is trusted: X-Forwarded-For names them.
    path = tmp_path / "tokens.json"
    token = add_token(path, "operator", token_id="op")
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(path, limiter=FailureLimiter(max_failures=3)), CITY,
                             trusted_proxies=[ipaddress.ip_network("127.0.0.1")])

    async def main() -> None:
        async with TestClient(TestServer(build_app(service))) as client:
            def get(bearer: str, forwarded: str) -> Any:
                return client.get("/api/state", headers={"Authorization": f"Bearer {bearer}", "X-Forwarded-For": forwarded})

            for i in range(3):
                await _error(await get(f"op{i}.guess", "203.0.113.9"), 401, "unauthorized")
            await _error(await get("op9.guess", "203.0.113.9"), 429, "too_many_attempts")
            # what the guesser writes in the header itself is not believed: the proxy appends the real address
            await _error(await get("op8.guess", "198.51.100.7, 203.0.113.9"), 429, "too_many_attempts")
            assert (await get(token, "198.51.100.7")).status == 200  # another client behind the same proxy

    asyncio.run(main())


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("10.0.0.5", "198.51.100.7", [], "10.0.0.5"),  # no proxy trusted: the header is anyone's
        ("8.8.8.8", "198.51.100.7", ["10.0.0.0/24"], "8.8.8.8"),  # from an untrusted peer
        ("10.0.0.5", "6.6.6.6, 198.51.100.7", ["10.0.0.5"], "198.51.100.7"),  # the client's own claim is left of it
        ("10.0.0.5", "198.51.100.7, 10.0.0.9", ["10.0.0.0/24"], "198.51.100.7"),  # two trusted proxies
        ("10.0.0.5", "not-an-address", ["10.0.0.5"], "10.0.0.5"),
        ("10.0.0.5", "10.0.0.9", ["10.0.0.0/24"], "10.0.0.5"),  # only proxies: the peer
        ("::1", "2001:db8::1", ["::1"], "2001:db8::1"),
    ],
)
def test_client_address_reads_forwarded_hops_from_the_right(peer: str, forwarded: str, trusted: list[str], client: str) -> None:
    request = make_mocked_request("GET", "/api/state", headers={"X-Forwarded-For": forwarded}).clone(remote=peer)
    assert client_address(request, [ipaddress.ip_network(t) for t in trusted]) == client


def test_healthz_and_actions_when_the_broker_is_down(tmp_path: Path) -> None:
    publisher = DownPublisher()

    async def body(client: TestClient[Any, Any], token: str) -> None:
        resp = await client.get("/healthz")
        assert resp.status == 503
        data = await resp.json()
        assert data["ok"] is False and data["broker"]["reachable"] is False
        # Without a console token: the status, not the deployment's layout (broker address, tokens file, its errors).
        assert data["broker"] == {"reachable": False} and "tokens" not in data and "nowhere" not in await resp.text()
        detailed = await (await client.get("/healthz", headers={"Authorization": f"Bearer {token}"})).json()
        assert detailed["broker"]["bootstrap"] == "nowhere:9092" and detailed["tokens"] == {"count": 1, "error": None}
        service = client.server.app[SERVICE]
        service.state.apply_record("dispatch", {
            "event_id": "i-r1", "kind": "dispatch", "incident_id": "i", "revision": 1, "priority": "P2", "category": "guidance",
            "rules": [], "zone_id": None, "key_area": None, "lat": 45.77, "lon": 126.62, "sources": [], "team_id": "T-daoli-1",
            "ack_deadline": None, "nearest_help_point": None, "notify": [], "at": "2026-12-20T22:30:00+08:00", "status": "assigned",
        })
        resp = await client.post("/api/incidents/i/resolve", headers={"Authorization": f"Bearer {token}"})
        await _error(resp, 503, "broker_unavailable")

    _run(tmp_path, body, publisher=publisher)


def test_a_half_sent_request_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(path), CITY)

    async def main() -> None:
        runner = app_runner(service, header_timeout_s=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /heal")  # half a request line, then nothing
            await writer.drain()
            started = time.monotonic()
            data = await asyncio.wait_for(reader.read(), timeout=60)  # EOF once the server drops us
            assert data == b"" and time.monotonic() - started < 60
            writer.close()
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_one_token_holds_a_bounded_number_of_live_streams(tmp_path: Path) -> None:
    # Every open stream renders every change: one token opening streams without end made each clock tick cost that many
    # renders on the event loop. A new stream over the limit closes the same token's oldest; other tokens keep theirs.
    path = tmp_path / "tokens.json"
    tokens = {name: add_token(path, "operator", token_id=name) for name in ("op", "op2")}
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(path), CITY)

    async def main() -> None:
        async with TestClient(TestServer(build_app(service))) as client:
            other = await client.get("/api/stream", headers={"Authorization": f"Bearer {tokens['op2']}"})
            await other.content.readuntil(b"\n\n")
            streams = []
            for _ in range(MAX_STREAMS_PER_TOKEN + 3):
                resp = await client.get("/api/stream", headers={"Authorization": f"Bearer {tokens['op']}"})
                assert resp.status == 200
                await resp.content.readuntil(b"\n\n")  # the snapshot
                streams.append(resp)
            for oldest in streams[:3]:  # closed by the server: the body ends
                assert await asyncio.wait_for(oldest.content.read(), 2.0) == b""
            assert len(service.hub) == MAX_STREAMS_PER_TOKEN + 1
            service.ingest("clock", {"at": "2026-12-20T23:00:00+08:00"})
            for live in (*streams[3:], other):  # the rest still get changes
                assert b"event: now" in await asyncio.wait_for(live.content.readuntil(b"\n\n"), 2.0)
            for resp in (*streams, other):
                resp.close()

    asyncio.run(main())


def test_a_revoked_token_s_open_stream_ends(tmp_path: Path) -> None:
    # "Revoked ones stop without a restart": a new request with a lost phone's token was refused, but the stream it had
    # open went on sending the team's tasks (and the console's every change) for as long as the phone kept it open.
    path = tmp_path / "tokens.json"
    keep = add_token(path, "operator", token_id="keep")
    kept_file = path.read_bytes()
    lost = add_token(path, "team", team_id="T-daoli-1", token_id="lost")
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(path), CITY)

    async def main() -> None:
        async with TestClient(TestServer(build_app(service))) as client:
            team = await client.get("/api/team/stream", headers={"Authorization": f"Bearer {lost}"})
            console = await client.get("/api/stream", headers={"Authorization": f"Bearer {keep}"})
            assert team.status == 200 and console.status == 200
            await team.content.readuntil(b"\n\n")  # the task list
            await console.content.readuntil(b"\n\n")  # the snapshot
            path.write_bytes(kept_file)  # the supervisor deletes the lost phone's entry
            service.ingest("clock", {"at": "2026-12-20T23:00:00+08:00"})
            assert await asyncio.wait_for(team.content.read(), 2.0) == b""  # closed, nothing more sent
            assert b"event: now" in await asyncio.wait_for(console.content.readuntil(b"\n\n"), 2.0)  # a kept token's goes on
            assert (await client.get("/api/team/tasks", headers={"Authorization": f"Bearer {lost}"})).status == 401
            console.close()

    asyncio.run(main())


def test_a_token_that_is_not_utf8_is_a_401_not_a_500(tmp_path: Path) -> None:
    # aiohttp reads header bytes that are not UTF-8 as lone surrogates; hashing the token for the cache then raised
    # UnicodeEncodeError: a logged 500 with a traceback for anyone, on any route (even /healthz), outside the guessing limit.
    path = tmp_path / "tokens.json"
    add_token(path, "operator", token_id="op")
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(path), CITY)
    assert service.tokens.authenticate("op.\udcff\udcfe") is None

    async def main() -> list[bytes]:
        async with TestServer(build_app(service)) as server:
            answers = []
            for path_, token in ((b"/api/state", b"op.\xff\xfe"), (b"/healthz", b"\x80abc.x")):
                reader, writer = await asyncio.open_connection(server.host, server.port)
                writer.write(b"GET " + path_ + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + token + b"\r\n\r\n")
                await writer.drain()
                answers.append(await asyncio.wait_for(reader.read(), 5))
                writer.close()
            return answers

    state, health = asyncio.run(main())
    assert state.startswith(b"HTTP/1.1 401 ") and b'"error": "unauthorized"' in state
    assert health.startswith(b"HTTP/1.1 200 ")  # anyone's health check, whatever the header says


async def _raw(host: str, port: int, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """One request on its own connection: the status line, the headers (lower-case names) and the body."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)  # every request here closes its connection
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return status.encode(), headers, body


def test_no_version_banner_on_any_answer_the_app_gives(tmp_path: Path) -> None:
    # The banner is set in on_response_prepare, which every answer of the app passes: routed or not, a file's own
    # refusal (its status decided while it is sent), a refused Expect (answered before the middlewares), a stream.
    path = tmp_path / "tokens.json"
    token = add_token(path, "operator", token_id="op").encode()
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(path), CITY)
    close = b"Host: x\r\nConnection: close\r\n"

    async def main() -> None:
        async with TestServer(build_app(service)) as server:
            for request, status in (
                (b"GET /healthz HTTP/1.1\r\n" + close + b"\r\n", 200),
                (b"HEAD /static/style.css HTTP/1.1\r\n" + close + b"\r\n", 200),
                (b"GET /nowhere HTTP/1.1\r\n" + close + b"\r\n", 404),
                (b"DELETE /api/state HTTP/1.1\r\n" + close + b"\r\n", 405),
                (b"GET /static/style.css HTTP/1.1\r\n" + close + b"Range: bytes=99999999-\r\n\r\n", 416),
                (b"GET /static/style.css HTTP/1.1\r\n" + close + b'If-Match: "other"\r\n\r\n', 412),
                (b"POST /api/state HTTP/1.1\r\n" + close + b"Expect: nonsense\r\nContent-Length: 2\r\n\r\n{}", 417),
                (b"GET /api/state HTTP/1.1\r\n" + close + b"Authorization: Bearer " + token + b"\r\n\r\n", 200),
            ):
                line, headers, _ = await _raw(server.host, server.port, request)
                assert line.startswith(b"HTTP/1.1 %d " % status), (request, line)
                assert headers["server"] == "patrol", (request, headers)
                assert "aiohttp" not in str(headers) and "python" not in str(headers).lower()
            reader, writer = await asyncio.open_connection(server.host, server.port)  # a live stream: headers sent at once
            writer.write(b"GET /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + b"\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.close()
            assert head.startswith(b"HTTP/1.1 200 ") and b"\r\nServer: patrol\r\n" in head

    asyncio.run(main())


def test_requests_aiohttp_s_parser_refuses_are_a_plain_400_that_closes(tmp_path: Path) -> None:
    # The documented limit (console/README.md): aiohttp answers these before the app runs, so no middleware or signal
    # sees them. They are a 400 in plain text with aiohttp's `Server: Python/3.x aiohttp/3.x`; nothing of the app runs,
    # nothing is written, the connection closes. If this test fails on an aiohttp upgrade, the limit may have gone.
    path = tmp_path / "tokens.json"
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(path), CITY)
    publisher = service.publisher
    assert isinstance(publisher, ListPublisher)
    post = b"POST /api/team/acks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4\r\n"

    async def main() -> None:
        async with TestServer(build_app(service)) as server:
            for request in (
                b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n",  # a control byte in the URL
                b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # request line over 8190 bytes
                b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 9000 + b"\r\n\r\n",  # a header over 8190 bytes
                post + b"Content-Encoding: br\r\n\r\nabcd",  # Brotli not installed
                post + b"Content-Encoding: zstd\r\n\r\nabcd",
                post + b"Content-Encoding: deflate\r\n\r\nabcd",  # not deflate data
                b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",  # over 128 headers
                b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",  # TLS on the HTTP port
            ):
                line, headers, body = await _raw(server.host, server.port, request)
                assert line.startswith(b"HTTP/1.0 400 "), (request[:40], line)
                assert headers["content-type"].startswith("text/plain") and headers["server"].startswith("Python/")
                assert b"Traceback" not in body
        assert publisher.acks == [] and publisher.statuses == []

    asyncio.run(main())


def test_an_operator_resolves_with_a_code_the_policy_lists_or_none(tmp_path: Path) -> None:
    async def body(client: TestClient[Any, Any], token: str) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        client.server.app[SERVICE].state.apply_record("dispatch", {
            "event_id": "i-r1", "kind": "dispatch", "incident_id": "i", "revision": 1, "priority": "P2", "category": "guidance",
            "rules": [], "zone_id": None, "key_area": None, "lat": 45.77, "lon": 126.62, "sources": [], "team_id": "T-daoli-1",
            "ack_deadline": None, "nearest_help_point": None, "notify": [], "at": "2026-12-20T22:30:00+08:00", "status": "assigned",
        })
        await _error(await client.post("/api/incidents/i/resolve", headers=auth, json={"outcome": "refused_supplies"}), 400, "unknown_outcome")
        assert (await client.post("/api/incidents/i/resolve", headers=auth, json={"outcome": "false_alarm"})).status == 202
        assert (await client.post("/api/incidents/i/resolve", headers=auth)).status == 202

    publisher = ListPublisher()
    _run(tmp_path, body, publisher=publisher)
    assert [a.outcome for a in publisher.acks] == ["false_alarm", None]


def test_a_stream_that_is_never_read_is_ended_and_does_not_escape_the_per_token_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A client that opens /api/stream and never reads: once the socket buffers filled, the stream's write waited forever.
    # The hub's "close your oldest" (a None in its queue) was never read by a stream stuck in a write, so a token could
    # hold any number of such connections, each with its unsent snapshot and changes in memory.
    import socket

    import console.server as server_module

    monkeypatch.setattr(server_module, "SSE_WRITE_TIMEOUT_S", 0.5)
    path = tmp_path / "tokens.json"
    token = add_token(path, "operator", token_id="op")
    service = ConsoleService(ConsoleState(), ListPublisher(), TokenStore(path), CITY)

    async def main() -> None:
        runner = app_runner(service)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", port))
            sock.sendall(f"GET /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
            await asyncio.sleep(0.2)
            for _ in range(40):  # ~40 MB of changes the client never reads: the server's writes block
                service.hub.broadcast([("incident", {"text": "x" * 1_000_000})])
                await asyncio.sleep(0.02)
            await asyncio.sleep(1.5)  # past the write timeout
            assert len(service.hub) == 0  # the stuck stream is gone, not only from the hub's count
            sock.setblocking(False)
            reader, writer = await asyncio.open_connection(sock=sock)
            started = time.monotonic()
            while await asyncio.wait_for(reader.read(1 << 20), 10):  # what was buffered, then EOF: the server closed it
                pass
            assert time.monotonic() - started < 10
            writer.close()
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_a_body_naming_a_field_twice_is_refused(tmp_path: Path) -> None:
    """`{"outcome": "false_alarm", "outcome": "taken_to_hospital"}`: Python keeps the last, a proxy or WAF in front
    (and many JSON readers) the first, so what was checked and what is written could differ. 400, nothing written."""
    publisher = ListPublisher()

    async def body(client: TestClient[Any, Any], token: str) -> None:
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for raw in ('{"outcome": "false_alarm", "outcome": "false_alarm"}', '{"a": {"b": 1, "b": 2}}'):
            resp = await client.post("/api/incidents/x/resolve", headers=auth, data=raw)
            data = await _error(resp, 400, "duplicate_key")
            assert "'outcome'" in data["message"] or "'b'" in data["message"]
        assert publisher.acks == []

    _run(tmp_path, body, publisher=publisher)


def test_a_head_of_a_live_stream_answers_its_headers_only_and_the_connection_serves_the_next_request(tmp_path: Path) -> None:
    """aiohttp sends what a stream writes even to a HEAD: the snapshot (every open incident) followed the headers where
    the client, or a reverse proxy reusing the connection, reads the next answer, and the stream held the connection,
    so a request sent after it on the connection was never answered."""
    async def body(client: TestClient[Any, Any], token: str) -> None:
        server = client.server
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(f"HEAD /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
                     "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(), 5)  # the server closes after the second answer
        writer.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head and b"no-store" in head
        assert rest.startswith(b"HTTP/1.1 "), rest[:80]  # the next answer comes right after the headers: no events
        assert b"event:" not in data and data.count(b"HTTP/1.1 ") == 2

    _run(tmp_path, body)


def test_a_live_stream_of_private_data_is_never_stored(tmp_path: Path) -> None:
    """The operator's stream opens with every open incident (text, places) and the team's with its tasks: it said
    `Cache-Control: no-cache` (which lets a cache store it) and, sent before the hardening middleware saw it, carried
    none of the headers every other answer has."""
    async def body(client: TestClient[Any, Any], token: str) -> None:
        resp = await client.get("/api/stream", headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in resp.headers
        resp.close()

    _run(tmp_path, body)
