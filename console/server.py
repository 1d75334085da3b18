"""The dispatch console and the patrol-team task API (aiohttp).

One process serves operators (live page over Server-Sent Events, actions)
and teams (task list, acknowledgements). It never decides anything itself:
every action becomes a TaskAck on `task-acks`, the desk turns it into
events, and the console shows those events when they come back on
`dispatch`. So the console can restart at any time and rebuild its view
from the topics.

Errors are JSON `{"error": CODE, "message": TEXT}` with a 4xx status, and a
refused request writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from console import metrics
from console.auth import CONSOLE_ROLES, Principal, TokenStore, TooManyAttempts, TooManyWrites, WriteLimiter
from console.centres import CentreKeys
from console.kafka_io import READ_TOPICS, AckPublisher, KafkaAckPublisher, consume_view_topics
from console.masking import team_view
from console.phone import PHONE_TOPICS, PhoneInputError, TeamPhones, client_id_of
from console.state import Change, ConsoleState, IncidentView, Scope
from core.errors import ConfigError, PatrolError
from core.records import ACK_STATUSES, OPERATOR_TEAM_ID, TaskAck, TeamStatus
from core.settings import Settings
from core.validate import OUTCOME_CODE, DuplicateKey, unique_keys
from geo.city import city_map
from pipeline.eventloop import use_event_loop
from pipeline.topics_admin import ensure_topics
from rules.context import province_from_settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 16 * 1024
# A client must send its request line and headers within HEADER_TIMEOUT_S (aiohttp's keep-alive
# timer, which also runs before the first request) and its body within BODY_TIMEOUT_S.
HEADER_TIMEOUT_S = 15.0
BODY_TIMEOUT_S = 15.0
PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("principal", object)  # type: ignore[arg-type]
SSE_QUEUE_SIZE = 2000
SSE_PING_S = 15.0
SSE_WRITE_TIMEOUT_S = 30.0  # a live stream whose client reads nothing for this long is closed
# Live streams one token may hold open; a new one closes its oldest (a phone back in coverage reconnects before the
# server has noticed its old connection is dead). Every open stream renders every change, so unbounded, one token
# (a lost phone's) could open thousands and stall the console for everyone.
MAX_STREAMS_PER_TOKEN = 6
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(web.HTTPException):
    """A JSON error `{"error": CODE, "message": TEXT}` with any status, to raise from a handler."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        body = json.dumps({"error": code, "message": message}, ensure_ascii=False)
        super().__init__(text=body, content_type="application/json", headers=headers)


MAX_ERROR_MESSAGE = 300  # characters of an error's message: it may quote the request


def api_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.HTTPException:
    """A JSON error response to raise; a 401 names the scheme it wants. The message is cut at MAX_ERROR_MESSAGE
    characters: one quoting a value of the request (an id, a field list, a parser's complaint) echoed a 16 kB body."""
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="patrol"'}
    if len(message) > MAX_ERROR_MESSAGE:
        message = message[: MAX_ERROR_MESSAGE - 1] + "…"
    return ApiError(status, code, message, headers)


def bearer_token(request: web.Request) -> str | None:
    """The request's `Authorization: Bearer TOKEN`, stripped; None without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# Codes for errors aiohttp raises itself (routing, body size, headers), so that every answer is JSON with a code a
# client can act on; a status not listed gets its HTTP phrase in lower_snake (`http_code`), never a bare "error".
_HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    411: "length_required",
    412: "precondition_failed",
    413: "body_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def http_code(status: int) -> str:
    """The error code for an HTTP status: the table's, else the status's phrase ("Misdirected Request": misdirected_request)."""
    if status in _HTTP_CODES:
        return _HTTP_CODES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "client_error" if status < 500 else "server_error"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


# The view's own changes (`console.state`); any other name is an extension's (a notice, a command's answer, the queue).
VIEW_CHANGES: frozenset[str] = frozenset({"incident", "team", "conditions", "now"})

StreamQueue = asyncio.Queue[list[Change] | None]


class Hub:
    """Fans state changes out to live pages; a page that falls behind is dropped and reconnects.

    At most `per_owner` streams per owner (a token id): a new one closes the owner's oldest.
    """

    def __init__(self, per_owner: int = MAX_STREAMS_PER_TOKEN) -> None:
        self.per_owner = per_owner
        self._queues: dict[StreamQueue, str] = {}  # queue -> owner, oldest first

    def subscribe(self, owner: str = "") -> StreamQueue:
        queue: StreamQueue = asyncio.Queue(maxsize=SSE_QUEUE_SIZE)
        self._queues[queue] = owner
        mine = [q for q, who in self._queues.items() if who == owner]
        for oldest in mine[: max(0, len(mine) - self.per_owner)]:
            self._close(oldest)
        return queue

    def unsubscribe(self, queue: StreamQueue) -> None:
        self._queues.pop(queue, None)

    def _close(self, queue: StreamQueue) -> None:
        self._queues.pop(queue, None)
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
        queue.put_nowait(None)  # tells the stream to close

    def broadcast(self, changes: list[Change]) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(changes)
            except asyncio.QueueFull:
                self._close(queue)

    def close_all(self) -> None:
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self._queues.clear()

    def __len__(self) -> int:
        return len(self._queues)


class ConsoleService:
    """State, live fan-out, token check and the publisher, shared by every handler."""

    def __init__(
        self, state: ConsoleState, publisher: AckPublisher, tokens: TokenStore, city_dir: Path, phones: TeamPhones | None = None,
        centres: CentreKeys | None = None, centre_dirs: Mapping[str, Path] | None = None,
        trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
    ) -> None:
        self.state = state
        self.trusted_proxies = tuple(trusted_proxies)
        self.centres = centres or CentreKeys()
        self.publisher = publisher
        self.tokens = tokens
        self.city_dir = Path(city_dir)
        # Every city's folder by centre (PATROL_CITIES), the console's own city first.
        self.centre_dirs: dict[str, Path] = dict(centre_dirs or {self.city_dir.name: self.city_dir})
        self.hub = Hub()
        self._city_cache: dict[str, dict[str, Any]] = {}
        self._phones = phones

    @property
    def phones(self) -> TeamPhones:
        """The team phones' side (console/phone.py); loaded on first use when not given."""
        if self._phones is None:
            self._phones = TeamPhones.from_files(Settings().policy_file, self.city_dir)
        return self._phones

    def ingest(self, topic: str, data: Any) -> None:
        """One record from the broker: fold it and push what changed to live pages."""
        changes = self.state.apply_record(topic, data)
        if changes:
            self.hub.broadcast(changes)

    def city(self, centre: str | None = None) -> dict[str, Any]:
        """A city's own GeoJSON layers (`geo.city.city_map`), read once: the map needs nothing from the internet.

        `centre` names one of the deployment's cities (None: the first); `centres` lists them all for the page's choice.
        """
        centre = centre or next(iter(self.centre_dirs))
        if centre not in self._city_cache:
            self._city_cache[centre] = {**city_map(self.centre_dirs[centre]), "centre": centre, "centres": list(self.centre_dirs)}
        return self._city_cache[centre]

    def authorize(self, request: web.Request, roles: tuple[str, ...]) -> Principal:
        """401 without a valid bearer token, 403 when its role may not call this."""
        if bearer_token(request) is None:
            raise api_error(401, "unauthorized", "missing bearer token (Authorization: Bearer TOKEN)")
        principal: Principal | None = request.get(PRINCIPAL)  # checked by the bearer_auth middleware, off the event loop
        if principal is None:
            raise api_error(401, "unauthorized", "invalid token")
        if principal.role not in roles:
            raise api_error(403, "forbidden", f"role {principal.role} may not call this")
        return principal

    # A token scoped to some centres (`centres` in the tokens file) reads and commands only what belongs to them.

    def guard(self, principal: Principal, view: IncidentView) -> None:
        """403 `other_centre` when the incident belongs to a centre the token does not cover."""
        centre = self.centres.of_incident(view.latest)
        if not principal.covers(centre):
            raise api_error(403, "other_centre", f"incident {view.latest.incident_id} belongs to centre {centre!r:.40}; "
                                                 f"this token covers {', '.join(sorted(principal.centres or ()))}")

    def guard_centre(self, principal: Principal, centre: str) -> None:
        """403 `other_centre` when a centre named in a request is not the token's."""
        if not principal.covers(centre):
            raise api_error(403, "other_centre", f"this token does not cover centre {centre!r:.40}")

    def scope(self, principal: Principal) -> Scope:
        """What of the view this token may see: everything, or its centres' incidents, teams and weather."""
        if principal.centres is None:
            return Scope()
        return Scope(incident=lambda v: principal.covers(self.centres.of_incident(v.latest)),
                     team=lambda t: principal.covers(self.centres.of_team(t)),
                     conditions=lambda c: not c or principal.covers(c))

    def visible(self, principal: Principal, changes: list[Change]) -> list[Change]:
        """The live changes this token may see (an incident, team or weather of another centre is left out)."""
        if principal.centres is None:
            return changes
        scope = self.scope(principal)
        kept = []
        for name, data in changes:
            if name == "incident":
                view = self.state.incidents.get(str(data.get("incident_id")))
                if view is None or not scope.incident(view):
                    continue
            elif name == "team" and not scope.team(str(data.get("team_id"))):
                continue
            elif name == "conditions" and not scope.conditions(str(data.get("centre") or "")):
                continue
            elif "incident_id" in data and name not in ("incident", "team"):
                # an extension's change about one incident (a partner notice, the desk's answer to a command)
                view = self.state.incidents.get(str(data["incident_id"]))
                if view is None or not scope.incident(view):
                    continue
            elif name not in VIEW_CHANGES:
                # an extension's change of no incident (the needs-attention queue's: a failed tip, whose centre is placed
                # only when asked, and counts of every centre's tips): its name only; the page reloads the queue, answered
                # and counted for this token
                data = {}
            kept.append((name, data))
        return kept


SERVICE: web.AppKey[ConsoleService] = web.AppKey("service", ConsoleService)


async def read_body(request: web.Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The request's JSON object, or a 4xx naming what is wrong with it."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise api_error(413, "body_too_large", f"body over {MAX_BODY_BYTES} bytes")
    try:
        raw = await asyncio.wait_for(request.read(), BODY_TIMEOUT_S)
    except TimeoutError as exc:
        raise api_error(408, "request_timeout", f"body not received within {BODY_TIMEOUT_S:.0f}s") from exc
    except web.RequestPayloadError as exc:  # a body that is not what its headers say (Content-Encoding: gzip, no gzip)
        raise api_error(400, "bad_body", "the body could not be read as its Content-Encoding / Transfer-Encoding say") from exc
    if len(raw) > MAX_BODY_BYTES:
        raise api_error(413, "body_too_large", f"body over {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        if allow_empty:
            return {}
        raise api_error(400, "malformed_json", "empty body; expected a JSON object")
    try:
        data = json.loads(raw, object_pairs_hook=unique_keys)
    except DuplicateKey as exc:  # a proxy or WAF in front (and many JSON readers) takes the first value, Python the last
        raise api_error(400, "duplicate_key", f"the body names {exc.key!r} more than once") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise api_error(400, "malformed_json", f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise api_error(400, "malformed_json", "body is nested too deeply") from exc
    if not isinstance(data, dict):
        raise api_error(400, "malformed_json", "body must be a JSON object")
    if _SURROGATE_ESCAPE.search(raw):  # a lone \ud800 decodes to a str that no answer, record or log line can encode
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise api_error(400, "malformed_json", "body holds invalid Unicode (a lone surrogate escape such as \\ud800)") from exc
    return data


def _optional_str(body: dict[str, Any], name: str, pattern: re.Pattern[str], hint: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise api_error(400, f"invalid_{name}", f"{name} must be {hint}")
    return value


def _outcome(service: ConsoleService, body: dict[str, Any]) -> str | None:
    """An action's optional outcome: one of the policy's codes (`dispatch.outcomes`), as the desk takes no other."""
    outcomes = service.phones.outcomes
    outcome = _optional_str(body, "outcome", OUTCOME_CODE, "a lower_snake_case code, e.g. " + ", ".join(outcomes[:3]))
    if outcome is not None and outcome not in outcomes:
        raise api_error(400, "unknown_outcome", f"outcome {outcome!r} is not one of the policy's codes: {', '.join(outcomes)}")
    return outcome


# ---------------------------------------------------------------------- pages


async def page_index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def page_team(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "team.html")


async def healthz(request: web.Request) -> web.StreamResponse:
    """200 while the broker answers (503 otherwise); the details only for an operator's or supervisor's token.

    Anyone (a container's health check, a load balancer) gets the status and `broker.reachable`. The broker's
    address and error, the number of tokens and the tokens file's reload error (its path and line) tell an
    outsider how the deployment is built, so they need a console token.
    """
    service = request.app[SERVICE]
    state = service.state
    broker = service.publisher.broker_health()
    principal = request.get(PRINCIPAL)
    trusted = principal is not None and principal.role in CONSOLE_ROLES
    body: dict[str, Any] = {
        "ok": bool(broker["reachable"]),
        "broker": broker if trusted else {"reachable": bool(broker["reachable"])},
        "now": state.now.isoformat() if state.now else None,
        "incidents": len(state.incidents),
        "streams": len(service.hub),
    }
    if trusted:
        body["tokens"] = {"count": len(service.tokens), "error": service.tokens.load_error}
    return json_response(body, status=200 if body["ok"] else 503)


# ---------------------------------------------------------------- shared API


async def api_me(request: web.Request) -> web.StreamResponse:
    service = request.app[SERVICE]
    principal = service.authorize(request, ("operator", "supervisor", "team"))
    return json_response({"role": principal.role, "name": principal.name, "team_id": principal.team_id, "outcomes": list(service.phones.outcomes)})


async def api_city(request: web.Request) -> web.StreamResponse:
    """The map of one city: `?centre=ID` (operators), a team's own city, else the first; 404 for a city not deployed."""
    service = request.app[SERVICE]
    principal = service.authorize(request, ("operator", "supervisor", "team"))
    centre = request.query.get("centre")
    if principal.team_id is not None:
        own = service.centres.of_team(principal.team_id)
        centre = own if own in service.centre_dirs else None
    elif centre is None and principal.centres is not None:  # a token scoped to some centres opens on its own first city
        centre = next((c for c in service.centre_dirs if principal.covers(c)), None)
    if centre is not None and centre not in service.centre_dirs:
        raise api_error(404, "unknown_centre", f"no city {centre!r:.40} in this deployment ({', '.join(service.centre_dirs)})")
    return json_response(service.city(centre))


# --------------------------------------------------------------- console API


async def api_state(request: web.Request) -> web.StreamResponse:
    service = request.app[SERVICE]
    principal = service.authorize(request, CONSOLE_ROLES)
    return json_response(service.state.snapshot(service.scope(principal)))


async def api_stream(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: a `snapshot`, then `incident`/`team`/`conditions`/`now` changes as they happen."""
    service = request.app[SERVICE]
    principal = service.authorize(request, CONSOLE_ROLES)

    def render(changes: list[Change] | None) -> bytes:
        if changes is None:
            return _sse("snapshot", service.state.snapshot(service.scope(principal)))
        return b"".join(_sse(name, data) for name, data in service.visible(principal, changes))

    return await _live(request, service, render, principal.token_id)


async def _live(
    request: web.Request, service: ConsoleService, render: Callable[[list[Change] | None], bytes], owner: str
) -> web.StreamResponse:
    """An event stream from the hub: `render(None)` first, then `render(changes)` per batch, pings between.

    `owner` is the token's id: its streams beyond `MAX_STREAMS_PER_TOKEN` close, oldest first. The stream ends once
    its token is revoked (checked at each batch and ping), else a lost phone kept receiving its team's tasks.
    """
    token = bearer_token(request) or ""
    # no-store: the stream carries incidents' text and places (no-cache let a cache keep them); hardened here, as it is
    # sent before the middleware that hardens every other answer sees it
    headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if request.method == "HEAD":
        # The headers only. aiohttp sends what a stream writes even to a HEAD: the events followed the headers where the
        # client (or a reverse proxy's pooled connection) reads the next answer, and the stream held the connection.
        return web.Response(headers=headers)
    response = web.StreamResponse(headers=headers)
    _harden(request, response)
    await response.prepare(request)
    queue = service.hub.subscribe(owner)

    async def send(data: bytes) -> None:
        # A client that reads nothing (its socket buffers full) held the write, and with it the stream, forever: the
        # hub's "close your oldest" waited in a queue nobody read, so one token held any number of such connections.
        await asyncio.wait_for(response.write(data), SSE_WRITE_TIMEOUT_S)

    try:
        await send(render(None))
        while True:
            try:
                changes = await asyncio.wait_for(queue.get(), timeout=SSE_PING_S)
            except TimeoutError:
                changes = []
            if changes is None or not service.tokens.is_current(token):
                break
            if not changes:
                await send(b": ping\n\n")
                continue
            await send(render(changes))
    except ConnectionResetError:
        pass  # the page went away (or the phone lost signal)
    except TimeoutError:
        log.info("closing a live stream of %s that read nothing for %.0f s", owner, SSE_WRITE_TIMEOUT_S)
        if request.transport is not None:
            request.transport.abort()  # what it did not read is dropped; the page reconnects and gets a fresh snapshot
    finally:
        service.hub.unsubscribe(queue)
    return response


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def _incident_or_404(service: ConsoleService, incident_id: str) -> IncidentView:
    view = service.state.incidents.get(incident_id)
    if view is None:
        raise api_error(404, "incident_not_found", f"no incident {incident_id!r}")
    return view


async def api_reassign(request: web.Request) -> web.StreamResponse:
    """Operator: take the task from its team and give it to the next-nearest able team."""
    return await _operator_action(request, "reassign")


async def api_resolve(request: web.Request) -> web.StreamResponse:
    """Operator: mark the incident resolved (optional outcome code)."""
    return await _operator_action(request, "resolved")


async def _operator_action(request: web.Request, status: str) -> web.StreamResponse:
    service = request.app[SERVICE]
    principal = service.authorize(request, CONSOLE_ROLES)
    body = await read_body(request, allow_empty=True)
    outcome = _outcome(service, body)
    view = _incident_or_404(service, request.match_info["incident_id"])
    service.guard(principal, view)
    if view.closed:
        raise api_error(409, "incident_closed", f"incident {view.latest.incident_id} is already {view.latest.status}")
    ack = TaskAck(
        event_id=view.latest.event_id,
        team_id=OPERATOR_TEAM_ID,
        status=status,
        at=service.state.now_or_wall(),
        outcome=outcome if status == "resolved" else None,
        incident_id=view.latest.incident_id,
        by=principal.name,
    )
    await _publish(service, ack, service.centres.of_incident(view.latest))
    return json_response({"published": ack.to_dict()}, status=202)


async def _publish(service: ConsoleService, record: TaskAck | TeamStatus, key: str) -> None:
    """Write an ack or a status keyed by its dispatch centre (`console.centres`): 503 when the broker does not take it."""
    try:
        if isinstance(record, TeamStatus):
            await service.publisher.publish_status(record, key)
        else:
            await service.publisher.publish(record, key)
    except Exception as exc:  # the broker is down: say so, nothing was written
        log.error("could not publish %s: %s", record.to_dict(), exc)
        raise api_error(503, "broker_unavailable", "could not write the record; try again") from exc


# ------------------------------------------------------------------ team API


async def api_team_tasks(request: web.Request) -> web.StreamResponse:
    """Team: its open tasks, personal details masked."""
    service = request.app[SERVICE]
    principal = service.authorize(request, ("team",))
    assert principal.team_id is not None
    return json_response(team_tasks_payload(service, principal.team_id))


async def api_team_ack(request: web.Request) -> web.StreamResponse:
    """Team: accepted / on_scene / resolved (with outcome) / declined for one of its own tasks."""
    service = request.app[SERVICE]
    principal = service.authorize(request, ("team",))
    assert principal.team_id is not None
    body = await read_body(request)
    with phone_errors():  # a phone's resend of an action already written: answer it, write nothing
        client_id = client_id_of(body)
        original = service.phones.repeat("ack", client_id, principal.team_id)
    if original is not None:
        return json_response({"duplicate": True, "published": original})
    missing = [k for k in ("event_id", "status") if body.get(k) in (None, "")]
    if missing:
        raise api_error(400, "missing_field", f"missing field(s): {', '.join(missing)}")
    event_id, status = body["event_id"], body["status"]
    if not isinstance(event_id, str) or len(event_id) > 200:
        raise api_error(400, "invalid_event_id", "event_id must be a string")
    if status not in ACK_STATUSES:
        raise api_error(400, "unknown_status", f"status must be one of {', '.join(ACK_STATUSES)}")
    outcome = _outcome(service, body)
    if status == "resolved" and outcome is None:
        raise api_error(400, "missing_field", "status resolved needs an outcome")
    view = service.state.incident_for_event(event_id) or service.state.incidents.get(event_id)
    if view is None:
        raise api_error(404, "task_not_found", f"no task with event_id {event_id!r}")
    task_event_id = view.task_of(principal.team_id)
    if task_event_id is None and view.ended_for(principal.team_id):
        # A support unit reporting after the lead closed the incident: nothing to do, and no error on the phone.
        return json_response({"closed": True, "incident_id": view.latest.incident_id, "published": None})
    if task_event_id is None:
        raise api_error(403, "not_your_task", f"task {event_id!r} is not an open task of team {principal.team_id}")
    if not view.names_task(event_id, task_event_id):
        # Made for an earlier task (declined, let pass, finished) and sent late or again: written as one for the task the
        # team holds now, a decline of A dropped B back to the queue and an accept of A accepted B.
        raise api_error(409, "task_superseded", f"{event_id!r} is an earlier task; team {principal.team_id}'s task here is now {task_event_id!r}")
    with phone_errors():
        at = service.phones.ack_time(body, service.state.now_or_wall())
    ack = TaskAck(
        event_id=task_event_id,
        team_id=principal.team_id,
        status=status,
        at=at,
        outcome=outcome,
        incident_id=view.latest.incident_id,
        by=principal.name,
        client_id=client_id,
    )
    with phone_errors():
        await service.phones.publish_once("ack", client_id, ack, lambda: _publish(service, ack, service.centres.of_incident(view.latest)))
    return json_response({"published": ack.to_dict()}, status=202)


# ------------------------------------------------------- team phone (issue 14)
# Positions and status, live tasks, the service worker; the logic is in console/phone.py.


@contextlib.contextmanager
def phone_errors() -> Iterator[None]:
    """A PhoneInputError becomes the API's JSON error (nothing was written)."""
    try:
        yield
    except PhoneInputError as exc:
        raise api_error(exc.status, exc.code, exc.message) from exc


def team_tasks_payload(service: ConsoleService, team_id: str) -> dict[str, Any]:
    """The team's open tasks as its phone shows them, plus where the console last saw the team."""
    phones = service.phones
    tasks = [phones.task_view(team_view(v.latest.to_dict(), v.task_of(team_id))) for v in service.state.team_tasks(team_id)]
    for task in tasks:  # what the person ledger knows that helps (its task hint), when it knows the person
        task["known"] = service.state.known_for(team_id, str(task.get("incident_id")))
    now = service.state.now
    team = service.state.teams.get(team_id)
    return {"team_id": team_id, "now": now.isoformat() if now else None, "tasks": tasks,
            "team": team.to_dict(None) if team else None}


async def api_team_phone(request: web.Request) -> web.StreamResponse:
    """Team: what the page takes from the policy (position interval, statuses)."""
    service = request.app[SERVICE]
    service.authorize(request, ("team",))
    return json_response(service.phones.config())


async def api_team_status(request: web.Request) -> web.StreamResponse:
    """Team: its position (Geolocation fix) and/or status to `team-status`, checked first."""
    service = request.app[SERVICE]
    principal = service.authorize(request, ("team",))
    assert principal.team_id is not None
    body = await read_body(request)
    phones = service.phones
    with phone_errors():
        client_id = client_id_of(body)
        original = phones.repeat("status", client_id, principal.team_id)
        if original is not None:
            return json_response({"duplicate": True, "published": original})
        record = phones.team_status(principal.team_id, body, service.state.teams.get(principal.team_id), service.state.now_or_wall())
        await phones.publish_once("status", client_id, record, lambda: _publish(service, record, service.centres.of_team(record.team_id)))
    phones.note_fix(record)
    return json_response({"published": record.to_dict()}, status=202)


async def api_team_stream(request: web.Request) -> web.StreamResponse:
    """Team, Server-Sent Events: `tasks` (the whole list) whenever it changes, `now` as the clock moves."""
    service = request.app[SERVICE]
    principal = service.authorize(request, ("team",))
    team_id = principal.team_id
    assert team_id is not None
    sent = [""]

    def render(changes: list[Change] | None) -> bytes:
        out = [_sse(name, data) for name, data in changes or () if name == "now"]
        payload = team_tasks_payload(service, team_id)
        tasks = json.dumps(payload["tasks"], ensure_ascii=False, sort_keys=True)
        if tasks != sent[0]:
            sent[0] = tasks
            out.append(_sse("tasks", payload))
        return b"".join(out)

    return await _live(request, service, render, principal.token_id)


async def static_file(request: web.Request) -> web.StreamResponse:
    """A file of static/ (flat: no folders), else a JSON 404.

    aiohttp's own static route answered a directory with a bare 403 and a missing file with an empty 404 that no
    middleware sees (its FileResponse decides the status while it is sent).
    """
    name = request.match_info["name"]  # decoded: %2F is a slash here
    path = STATIC_DIR / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise api_error(404, "not_found", "no such file")
    return web.FileResponse(path)


async def team_service_worker(request: web.Request) -> web.StreamResponse:
    """The team page's service worker, served from the root so it may control /team."""
    response = web.FileResponse(STATIC_DIR / "team-sw.js", headers={"Cache-Control": "no-cache", "Content-Type": "text/javascript"})
    return response


def add_team_phone_routes(app: web.Application) -> None:
    app.router.add_get("/team-sw.js", team_service_worker)
    app.router.add_get("/api/team/phone", api_team_phone)
    app.router.add_post("/api/team/status", api_team_status)
    app.router.add_get("/api/team/stream", api_team_stream)


# ----------------------------------------------------------------- assembly


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pages load only their own scripts and styles: no CDN, no tile server, no inline code."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _harden(request, exc)
        raise
    _harden(request, response)
    return response


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure answers the JSON error contract: aiohttp's own (unknown route, method, body size) and crashes."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        raise api_error(exc.status, http_code(exc.status), exc.reason, headers) from None
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        raise api_error(500, "internal_error", "internal error (logged by the console)") from None


@web.middleware
async def bearer_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Check a bearer token before the handler runs: scrypt off the loop, failed attempts limited."""
    token = bearer_token(request)
    if token is not None:
        try:
            service = request.app[SERVICE]
            request[PRINCIPAL] = await service.tokens.authenticate_async(token, client_address(request, service.trusted_proxies))
        except TooManyAttempts as exc:
            retry = str(max(1, round(exc.retry_after_s)))
            raise api_error(429, "too_many_attempts", str(exc), {"Retry-After": retry}) from None
        principal = request.get(PRINCIPAL)
        if principal is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                request.app[SERVICE].tokens.writes.take(principal.token_id)
            except TooManyWrites as exc:
                retry = str(max(1, math.ceil(exc.retry_after_s)))
                raise api_error(429, "too_many_writes", str(exc), {"Retry-After": retry}) from None
    return await handler(request)


def client_address(request: web.Request, trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    """The caller's address for the failed-attempt limit: the peer, or behind a trusted reverse proxy the last
    X-Forwarded-For hop that is not itself a trusted proxy.

    Behind a proxy every client had the proxy's address: one guesser's failures locked every phone and console out
    of signing in. Hops are read from the right (the ones the trusted proxies appended); what an untrusted peer or a
    client writes in the header is never believed.
    """
    peer = request.remote or "-"
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getall("X-Forwarded-For", ()) for h in v.split(",")]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where an address should be: the proxy's own address, as without the header
    return peer


def _within(address: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


async def _hide_server(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = "patrol"  # no version banner


def _harden(request: web.Request, response: web.StreamResponse) -> None:
    if response.prepared:  # a live stream already sent its headers
        return
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")


def build_app(service: ConsoleService) -> web.Application:
    """The aiohttp application over a service (state + publisher + tokens); no broker needed."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[security_headers, json_errors, bearer_auth])
    app[SERVICE] = service
    app.on_response_prepare.append(_hide_server)
    app.router.add_get("/", page_index)
    app.router.add_get("/team", page_team)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/me", api_me)
    app.router.add_get("/api/city", api_city)
    app.router.add_get("/api/state", api_state)
    app.router.add_get("/api/stream", api_stream)
    app.router.add_post("/api/incidents/{incident_id}/reassign", api_reassign)
    app.router.add_post("/api/incidents/{incident_id}/resolve", api_resolve)
    app.router.add_get("/api/team/tasks", api_team_tasks)
    app.router.add_post("/api/team/acks", api_team_ack)
    add_team_phone_routes(app)
    app.router.add_get("/static/{name}", static_file)
    metrics.register(app, lambda: service.state)

    async def close_streams(app: web.Application) -> None:
        app[SERVICE].hub.close_all()

    app.on_shutdown.append(close_streams)
    return app


def app_runner(
    service: ConsoleService, *, extensions: Sequence[Extension] = (), header_timeout_s: float = HEADER_TIMEOUT_S
) -> web.AppRunner:
    """The app (with its extensions' routes) behind a runner that drops a client not sending its request head in time."""
    app = build_app(service)
    for extension in extensions:
        extension.add_routes(app)
    return web.AppRunner(app, access_log=None, keepalive_timeout=header_timeout_s)


def refuse_demo_tokens(tokens: TokenStore, host: str, allowed: bool) -> None:
    """The published demo tokens open the console to anyone: only on loopback, unless explicitly allowed."""
    if allowed or _is_loopback(host):
        return
    demo = tokens.demo_token_ids()
    if demo:
        raise ConfigError(
            f"the console would listen on {host} with the published demo tokens ({', '.join(demo[:3])}...); "
            "replace them (`patrol token add`, PATROL_TOKENS) or set PATROL_ALLOW_DEMO_TOKENS=1 for a demo",
            path=str(tokens.path),
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Extension(Protocol):
    """More console screens with their own topics and routes (e.g. `console.calls.CallDesk`)."""

    read_topics: tuple[str, ...]
    write_topics: tuple[str, ...]

    def add_routes(self, app: web.Application) -> None: ...

    def ingest(self, topic: str, data: Any) -> list[Change]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class ConsoleRunner:
    """The console wired to a real broker; `start`/`stop` for tests, `run_console` for the CLI."""

    def __init__(
        self, settings: Settings, bootstrap: str, *, host: str | None = None, port: int | None = None, extensions: Sequence[Extension] = ()
    ) -> None:
        self.extensions = tuple(extensions)
        self.settings = settings
        self.bootstrap = bootstrap
        self.host = host if host is not None else settings.console_host
        self.port = port if port is not None else settings.console_port
        self.publisher = KafkaAckPublisher(bootstrap, settings)
        # Every team of every city is listed before it reports; acks and statuses are keyed by their centre.
        province = province_from_settings(settings)
        phones = TeamPhones(province.first.policy, {centre: ctx.city for centre, ctx in province.centres.items()})
        teams = [team for ctx in province.centres.values() for team in ctx.city.teams]
        keys = CentreKeys(province)
        state = ConsoleState(teams, timedelta(minutes=province.first.policy.max_ahead_min), status_refusal=keys.status_refusal,
                             unrostered=province.first.policy.unrostered_capabilities)
        self.service = ConsoleService(state, self.publisher, TokenStore(settings.tokens_file, writes=WriteLimiter(settings.console_write_rate, settings.console_write_burst),
                                                                           centres=list(settings.centre_dirs)), next(iter(settings.centre_dirs.values())), phones,
                                      keys, settings.centre_dirs, settings.console_trusted_networks)
        self._runner: web.AppRunner | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._phone_consumer: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None

    def _ingest(self, topic: str, data: Any) -> None:
        self.service.ingest(topic, data)
        for extension in self.extensions:
            changes = extension.ingest(topic, data)
            if changes:
                self.service.hub.broadcast(changes)

    async def start(self) -> None:
        refuse_demo_tokens(self.service.tokens, self.host, self.settings.allow_demo_tokens)
        await asyncio.get_running_loop().run_in_executor(None, ensure_topics, self.bootstrap, self.settings)
        await self.publisher.start()
        self._watch = asyncio.create_task(self.publisher.watch())
        extra_read = tuple(t for e in self.extensions for t in e.read_topics)
        for extension in self.extensions:
            await extension.start()
        started = asyncio.Event()
        reading = (*READ_TOPICS, *extra_read)
        self._consumer = asyncio.create_task(consume_view_topics(self.bootstrap, self.settings, self._ingest, started=started, names=reading))
        done, _ = await asyncio.wait({self._consumer, asyncio.create_task(started.wait())}, return_when=asyncio.FIRST_COMPLETED)
        if self._consumer in done:
            await self._consumer  # raises why the consumer could not start
        self._phone_consumer = asyncio.create_task(consume_view_topics(
            self.bootstrap, self.settings, self.service.phones.fold, names=PHONE_TOPICS, caught_up=self.service.phones.caught_up, meter=False))
        self._runner = app_runner(self.service, extensions=self.extensions)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        log.info("console on http://%s:%s/ (team page /team)", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        for task in (self._consumer, self._watch, self._phone_consumer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for extension in self.extensions:
            await extension.stop()
        await self.publisher.stop()

    async def wait(self) -> None:
        """Until the consumer fails (then raise) or the task is cancelled."""
        assert self._consumer is not None
        await self._consumer


async def run_console(settings: Settings, bootstrap: str, extensions: Sequence[Extension] = ()) -> None:
    """Serve the console and team API until cancelled."""
    runner = ConsoleRunner(settings, bootstrap, extensions=extensions)
    await runner.start()
    try:
        await runner.wait()
    finally:
        await runner.stop()


def main(settings: Settings, extensions: Callable[[Settings, str], Sequence[Extension]] = lambda _s, _b: ()) -> int:
    """`patrol console`: needs PATROL_BROKER; Ctrl-C stops it. `extensions` builds the extra screens."""
    if not settings.broker:
        raise PatrolError("patrol console needs PATROL_BROKER (start one with `patrol broker`)")
    print(f"console on http://{settings.console_host}:{settings.console_port}/ (team page /team); Ctrl-C stops it", flush=True)
    use_event_loop(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_console(settings, settings.broker, extensions(settings, settings.broker)))
    return 0
