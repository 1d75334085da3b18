"""Operators in control and teams' corrections: the console's endpoints that send commands to the desk.

The console only asks: a command goes to `operator-commands` and the desk,
the one writer of incident state, answers on `command-results` (applied with
its events, or rejected and why); this module keeps those answers for the
screens. Every command is checked with the desk's own parser first, so a
malformed one is refused here (400) and nothing is written. A client id makes
a resend harmless: it is the command's id, remembered by the phone ledger
(`console.phone`) and applied once by the desk. Registered by `register`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from console.attention import Change
from console.auth import CONSOLE_ROLES, Principal
from console.outbox import KafkaOutbox, Outbox, OutboxScreens
from console.phone import client_id_of
from console.server import SERVICE, ConsoleService, api_error, json_response, phone_errors, read_body
from console.state import IncidentView
from core import topics
from core.errors import RecordError
from core.settings import Settings
from rules.context import Context, context_from_settings
from rules.intake import parse_command

# What an operator's command body may carry (the incident is in the path; who and when come from the token and the clock).
OPERATOR_FIELDS: tuple[str, ...] = ("kind", "team_id", "other_incident_id", "report_id", "priority", "reason", "add_flags", "remove_flags",
                                    "persons", "client_id")
TEAM_FIELDS: tuple[str, ...] = ("event_id", "add_flags", "remove_flags", "persons", "client_id", "at")
ANSWERS_KEPT = 500


@dataclass
class CommandDesk(OutboxScreens):
    """The desk's answers as the console has read them, and where commands go: a console extension (`server.Extension`)."""

    ctx: Context
    outbox: Outbox
    read_topics: tuple[str, ...] = (topics.COMMAND_RESULTS,)
    write_topics: tuple[str, ...] = (topics.OPERATOR_COMMANDS,)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # command_id -> the desk's answer, oldest first

    def ingest(self, topic: str, data: Any) -> list[Change]:
        if topic != topics.COMMAND_RESULTS or not isinstance(data, dict) or not isinstance(data.get("command_id"), str):
            return []
        self.answers.pop(data["command_id"], None)
        self.answers[data["command_id"]] = data
        while len(self.answers) > ANSWERS_KEPT:
            self.answers.pop(next(iter(self.answers)))
        return [("command", data)]

    def add_routes(self, app: web.Application) -> None:
        register(app, self)



def command_desk(settings: Settings, bootstrap: str) -> CommandDesk:
    """Operators' and teams' commands on a real broker."""
    return CommandDesk(ctx=context_from_settings(settings), outbox=KafkaOutbox(bootstrap, settings))


COMMANDS: web.AppKey[CommandDesk] = web.AppKey("commands", CommandDesk)


def register(app: web.Application, desk: CommandDesk) -> None:
    """Add the command routes to the console app."""
    app[COMMANDS] = desk
    app.router.add_post("/api/incidents/{incident_id}/commands", api_command)
    app.router.add_get("/api/commands", api_answers)
    app.router.add_get("/api/commands/{command_id}", api_answer)
    app.router.add_post("/api/team/assessment", api_team_assessment)


def _only(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise api_error(400, "unknown_field", f"unknown field(s): {', '.join(extra)}")


async def _send(request: web.Request, payload: dict[str, Any], owner: str, client_id: str | None, view: IncidentView) -> web.Response:
    """Check the command as the desk will, write it once (a resend of its client id is answered, not written), answer 202.

    Keyed by the incident's dispatch centre (`console.centres`), so it lands on the partition of the desk that holds the incident.
    """
    service = request.app[SERVICE]
    desk = request.app[COMMANDS]
    with phone_errors():
        original = service.phones.repeat("command", client_id, owner)
    if original is not None:
        return json_response({"duplicate": True, "command": original, "answer": desk.answers.get(original["command_id"])})
    payload["command_id"] = client_id or f"cmd-{uuid.uuid4().hex[:16]}"
    try:
        command = parse_command(payload, desk.ctx)
    except RecordError as exc:
        raise api_error(400, exc.kind, exc.reason) from exc

    async def publish() -> None:
        try:
            await desk.outbox.publish(topics.OPERATOR_COMMANDS, service.centres.of_incident(view.latest), command.to_json())
        except Exception as exc:
            raise api_error(503, "broker_unavailable", "could not write the command; try again") from exc

    with phone_errors():
        await service.phones.publish_once("command", client_id, command, publish)
    return json_response({"command": command.to_dict()}, status=202)


def _payload(body: dict[str, Any], principal: Principal, incident_id: str, at: str) -> dict[str, Any]:
    """The command as the desk reads it: the body's own fields plus the incident, the time and the token's name."""
    payload = {k: v for k, v in body.items() if k not in ("client_id", "at", "event_id") and v not in (None, "", [])}
    payload.update(incident_id=incident_id, at=at, by=principal.name)
    return payload


def _client_id(body: dict[str, Any]) -> str | None:
    with phone_errors():
        return client_id_of(body)


async def api_command(request: web.Request) -> web.StreamResponse:
    """Operator or supervisor: assign, support, merge, split, priority or assess; the desk answers on `command-results`."""
    service = request.app[SERVICE]
    principal = service.authorize(request, CONSOLE_ROLES)
    body = await read_body(request)
    _only(body, OPERATOR_FIELDS)
    incident_id = request.match_info["incident_id"]
    view = service.state.incidents.get(incident_id)
    if view is None:
        raise api_error(404, "incident_not_found", f"no incident {incident_id!r}")
    service.guard(principal, view)
    if view.closed:
        raise api_error(409, "incident_closed", f"incident {incident_id} is already {view.latest.status}")
    if isinstance(other_id := body.get("other_incident_id"), str) and (other := service.state.incidents.get(other_id)) is not None:
        service.guard(principal, other)  # a merge names a second incident: it must be the token's too
    payload = _payload(body, principal, incident_id, service.state.now_or_wall().isoformat())
    return await _send(request, payload, principal.name, _client_id(body), view)


async def api_team_assessment(request: web.Request) -> web.StreamResponse:
    """Team on scene: add or remove flags and set the head count of its own task's incident; the desk reassesses."""
    service = request.app[SERVICE]
    principal = service.authorize(request, ("team",))
    assert principal.team_id is not None
    body = await read_body(request)
    _only(body, TEAM_FIELDS)
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 200:
        raise api_error(400, "invalid_event_id", "event_id must be the task's event id")
    view = service.state.incident_for_event(event_id) or service.state.incidents.get(event_id)
    if view is None:
        raise api_error(404, "task_not_found", f"no task with event_id {event_id!r}")
    if view.task_of(principal.team_id) is None:
        raise api_error(403, "not_your_task", f"{event_id!r} is not an open task of team {principal.team_id}")
    with phone_errors():
        at = service.phones.ack_time(body, service.state.now_or_wall())
    payload = _payload(body, principal, view.latest.incident_id, at.isoformat())
    payload.update(kind="assess", by_team=principal.team_id, event_id=event_id)  # the desk checks it names the task held now
    return await _send(request, payload, principal.team_id, _client_id(body), view)


async def api_answers(request: web.Request) -> web.StreamResponse:
    """Operator: the desk's latest answers (newest first), optionally for one incident."""
    service = request.app[SERVICE]
    principal = service.authorize(request, CONSOLE_ROLES)
    incident_id = request.query.get("incident_id")
    found = [a for a in reversed(request.app[COMMANDS].answers.values()) if incident_id in (None, a.get("incident_id"))]
    if principal.centres is not None:  # a token scoped to some centres: only their incidents' answers
        found = [a for a in found if _in_scope(service, principal, a)]
    return json_response({"answers": found[:100]})


def _in_scope(service: ConsoleService, principal: Principal, answer: dict[str, Any]) -> bool:
    """Whether the desk's answer is about an incident the token may see (one the console no longer holds: no)."""
    view = service.state.incidents.get(str(answer.get("incident_id")))
    return view is not None and service.scope(principal).incident(view)


async def api_answer(request: web.Request) -> web.StreamResponse:
    """Operator, or the team that sent it: the desk's answer to one command, or `pending` until it comes."""
    service = request.app[SERVICE]
    principal = service.authorize(request, (*CONSOLE_ROLES, "team"))
    command_id = request.match_info["command_id"]
    found = request.app[COMMANDS].answers.get(command_id)
    if found is not None and principal.role == "team" and found.get("by_team") != principal.team_id:
        found = None  # another team's or an operator's command: a team sees only its own
    if found is not None and principal.centres is not None and not _in_scope(service, principal, found):
        found = None  # a token scoped to some centres: answers about their incidents only, as `/api/commands` lists them
    return json_response(found or {"command_id": command_id, "status": "pending"})
