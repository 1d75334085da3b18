"""Call-taking and the "needs attention" queue: the console's endpoints that write tips.

A call taken at the console and a dead letter corrected by an operator both
become an ordinary tip on `tips` (one path for every tip), validated here
with the same intake functions first, so the operator hears why a form is
refused before anything is written. The preview runs the policy's triage on
the form as the desk would (category, priority, rules, partners to notify).
Decisions on dead letters go to `console-actions`, from which a restarted
console rebuilds its queue. Registered on the app by `register`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from console.attention import AttentionItem, AttentionQueue, Change
from console.auth import CONSOLE_ROLES, Principal
from console.outbox import KafkaOutbox, Outbox, OutboxScreens
from console.server import SERVICE, api_error, json_response, read_body
from console.state import Forgetting
from core import topics
from core.errors import RecordError
from core.records import CHANNELS, FLAGS, ConsoleAction, check_not_ahead, parse_time
from core.settings import Settings
from core.validate import plausible_year
from geo.centres import named_length
from geo.gazetteer import normalize
from rules.context import Context, Province, province_from_settings
from rules.intake import parse_contact, parse_tip, tip_report
from rules.triage import assess
from rules.weather import RegionConditions, is_night

# What a call form may carry; anything else is refused (no smuggled fields).
FORM_FIELDS: tuple[str, ...] = ("channel", "text", "address", "lat", "lon", "flags", "persons", "reporter_contact", "reported_at")
MAX_REASON = 200
MAX_SUGGESTIONS = 8


NOTICE_FIELDS: tuple[str, ...] = ("notice_id", "partner", "incident_id", "event_id", "msg_type", "status", "address", "at")


@dataclass
class Notices:
    """The partner notices sent about each incident, as summaries, forgotten `retention` of event time after the
    incident's last notice or dispatch event (`console.state.Forgetting`, as the view forgets closed incidents): kept
    for the process's life, a winter's notices grew without bound. The CAP documents stay on `partner-notices`."""

    forgetting: Forgetting = field(default_factory=Forgetting)
    by_incident: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # incident -> notice id -> summary
    heard: dict[str, datetime] = field(default_factory=dict)  # incident -> event time of its last notice or event
    now: datetime | None = None
    max_ahead: timedelta = timedelta(minutes=60)  # the desk's `max_ahead_min`, as `ConsoleState.max_ahead`

    def apply_record(self, topic: str, data: Any) -> list[Change]:
        """A notice's summary, kept and sent to live pages; a dispatch event keeps its incident's notices."""
        if not isinstance(data, dict) or not isinstance(incident_id := data.get("incident_id"), str):
            return []
        at = _event_time(data.get("at"))
        if at is not None and self.now is not None and at - self.now > self.max_ahead:
            at = None  # one record dated 2099 moved now there for good and forgot every notice: dated by the latest seen
        if at is not None and (self.now is None or at > self.now):
            self.now = at
            if (horizon := self.forgetting.due(at)) is not None:
                self.forget(horizon)
        if topic == topics.PARTNER_NOTICES:
            summary = {k: data.get(k) for k in NOTICE_FIELDS}
            self.by_incident.setdefault(incident_id, {})[str(data.get("notice_id"))] = summary
        elif incident_id not in self.by_incident:
            return []
        if (stamp := at or self.now) is not None:  # a notice of no readable time is dated by the latest one seen
            self.heard[incident_id] = max(stamp, self.heard.get(incident_id, stamp))
        return [("notice", summary)] if topic == topics.PARTNER_NOTICES else []

    def forget(self, horizon: datetime) -> None:
        """Drop the notices of incidents last heard of before `horizon` (or never dated)."""
        for incident_id in [i for i in self.by_incident if self.heard.get(i, horizon) <= horizon]:
            del self.by_incident[incident_id]
            self.heard.pop(incident_id, None)

    def of(self, incident_id: str) -> list[dict[str, Any]]:
        """One incident's notices, oldest first."""
        return sorted(self.by_incident.get(incident_id, {}).values(), key=lambda n: (str(n["at"]), str(n["notice_id"])))


def _event_time(value: Any) -> datetime | None:
    """A record's time with its offset and a plausible year, else None (a notice is summarised however it is dated)."""
    try:
        at = parse_time(value, "at")
    except RecordError:
        return None
    return at if plausible_year(at) else None


@dataclass
class CallDesk(OutboxScreens):
    """Policy context, the attention queue and where records go: a console extension (`server.Extension`)."""

    ctx: Context
    outbox: Outbox
    province: Province | None = None  # several cities: a call is read by the city that holds it
    queue: AttentionQueue = field(default_factory=AttentionQueue)
    read_topics: tuple[str, ...] = (topics.DEAD_LETTERS, topics.CONSOLE_ACTIONS, topics.PARTNER_NOTICES)
    write_topics: tuple[str, ...] = (topics.TIPS, topics.CONSOLE_ACTIONS)

    notices: Notices = field(default_factory=Notices)  # `dispatch` comes with the view's topics (`ConsoleRunner._ingest`)

    def __post_init__(self) -> None:
        self.notices.max_ahead = timedelta(minutes=self.ctx.policy.max_ahead_min)

    def ingest(self, topic: str, data: Any) -> list[Change]:
        if topic in (topics.PARTNER_NOTICES, topics.DISPATCH):
            return self.notices.apply_record(topic, data)
        return self.queue.apply_record(topic, data)

    def add_routes(self, app: web.Application) -> None:
        register(app, self)

    def context_for(self, tip: dict[str, Any]) -> tuple[str, Context]:
        """The centre and context of the city a call belongs to (`Province.context_for`, as the intake routes it)."""
        return ("", self.ctx) if self.province is None else self.province.context_for(tip)

    def centre_of(self, item: AttentionItem) -> str | None:
        """The centre of a failed tip, as the intake places it (`Province.route`); None with one city or when none holds it."""
        province = self.province
        if province is None:
            return None
        return self.queue.centre_of(item, lambda tip: province.route(tip, by_team=False))



def call_desk(settings: Settings, bootstrap: str) -> CallDesk:
    """The call-taking and attention screens on a real broker."""
    province = province_from_settings(settings)
    return CallDesk(ctx=province.first, outbox=KafkaOutbox(bootstrap, settings), province=province)


CALLS: web.AppKey[CallDesk] = web.AppKey("calls", CallDesk)


def register(app: web.Application, desk: CallDesk) -> None:
    """Add the call-taking and attention routes to the console app."""
    app[CALLS] = desk
    app.router.add_get("/api/calls/options", api_options)
    app.router.add_get("/api/gazetteer", api_gazetteer)
    app.router.add_post("/api/calls/preview", api_preview)
    app.router.add_post("/api/calls", api_call)
    app.router.add_get("/api/attention", api_attention)
    app.router.add_get("/api/incidents/{incident_id}/notices", api_notices)
    app.router.add_post("/api/attention/{letter_id}/resubmit", api_resubmit)
    app.router.add_post("/api/attention/{letter_id}/dismiss", api_dismiss)


def _operator(request: web.Request) -> Principal:
    return request.app[SERVICE].authorize(request, CONSOLE_ROLES)


# ------------------------------------------------------------------ reading


async def api_options(request: web.Request) -> web.StreamResponse:
    """Channels with their Chinese names (from the lexicon), flags, the head-count limit."""
    _operator(request)
    ctx = request.app[CALLS].ctx
    labels: dict[str, str] = {}
    for spelling, channel in ctx.lexicon.channels.items():
        if channel not in labels and any("\u4e00" <= ch <= "\u9fff" for ch in spelling):
            labels[channel] = spelling
    channels = [{"id": c, "zh": labels.get(c, c)} for c in CHANNELS]
    return json_response({"channels": channels, "flags": list(FLAGS), "max_persons": ctx.policy.max_persons})


async def api_gazetteer(request: web.Request) -> web.StreamResponse:
    """Places whose name or alias contains the typed text, in every city of the deployment the token covers; each
    gazetteer's own answer first, the one the text names most fully ahead (the city a call for it goes to,
    `geo.centres.centre_of_address`). A token scoped to some centres is offered their places only: another centre's
    place is a call it may not take (403 `other_centre`)."""
    principal = _operator(request)
    desk = request.app[CALLS]
    contexts = [desk.ctx] if desk.province is None else [ctx for c, ctx in desk.province.centres.items() if principal.covers(c)]
    query = request.query.get("q", "").strip()[:80]
    if not query:
        return json_response({"places": []})
    key = normalize(query)
    found = sorted((best for ctx in contexts if (best := ctx.gazetteer.resolve(query)) is not None), key=lambda p: -named_length(p, query))
    for place in (p for ctx in contexts for p in ctx.city.places):
        if len(found) >= MAX_SUGGESTIONS:
            break
        if place not in found and any(key in normalize(n) for n in (place.name, *place.aliases)):
            found.append(place)
    found = found[:MAX_SUGGESTIONS]
    return json_response({"places": [{"name": p.name, "kind": p.kind, "lat": p.lat, "lon": p.lon, "aliases": list(p.aliases[:3])} for p in found]})


async def api_notices(request: web.Request) -> web.StreamResponse:
    """The partner notices sent about one incident (the CAP documents stay on `partner-notices`)."""
    service = request.app[SERVICE]
    principal = _operator(request)
    if (view := service.state.incidents.get(request.match_info["incident_id"])) is not None:
        service.guard(principal, view)  # a token scoped to some centres: their incidents' notices only
    elif principal.centres is not None:
        return json_response({"notices": []})  # an incident no longer shown: a notice names no centre to judge it by
    return json_response({"notices": request.app[CALLS].notices.of(request.match_info["incident_id"])})


def _sees(desk: CallDesk, principal: Principal) -> Callable[[AttentionItem], bool]:
    """Which failed tips a token may see and decide: its centres', and those no city holds (else nobody corrects them)."""
    if principal.centres is None:
        return lambda _item: True
    return lambda item: (centre := desk.centre_of(item)) is None or principal.covers(centre)


async def api_attention(request: web.Request) -> web.StreamResponse:
    principal = _operator(request)
    desk = request.app[CALLS]
    return json_response(desk.queue.snapshot(_sees(desk, principal)))


# ------------------------------------------------------------------ forms


def _form(body: dict[str, Any], request: web.Request) -> dict[str, Any]:
    """The form as a tip payload: known fields only, time defaulting to the console's now."""
    extra = sorted(set(body) - set(FORM_FIELDS))
    if extra:
        raise api_error(400, "unknown_field", f"unknown field(s): {', '.join(extra)}")
    tip = {k: v for k, v in body.items() if v not in (None, "", [])}
    if "reported_at" not in tip:
        tip["reported_at"] = request.app[SERVICE].state.now_or_wall().isoformat()
    if "reporter_contact" in tip:
        try:
            parse_contact(tip["reporter_contact"], _area_code(tip, request))
        except RecordError as exc:
            raise api_error(400, "invalid_contact", exc.reason) from exc
    return tip


def _area_code(tip: dict[str, Any], request: web.Request) -> str | None:
    """The area code of the city the call belongs to, for a local number given without it (none when unplaced)."""
    try:
        return request.app[CALLS].context_for(tip)[1].city.area_code
    except RecordError:
        return None


def _admit(at: datetime, now: datetime | None, ctx: Context) -> None:
    """Refuse a call dated as the desk would refuse its report (`Desk.admit`): more than the policy's `max_ahead_min`
    ahead of the console's event time (`future_time`) or `max_behind_h` behind it (`stale_time`). Answered 202 with a
    preview, a slip of the form's date was dead-lettered by the desk: a call taken that no team was sent to."""
    if now is None:  # nothing read yet: the desk judges alone
        return
    check_not_ahead(at, now, ctx.policy.max_ahead_min, "reported_at", "the console's clock")
    if now - at > timedelta(hours=ctx.policy.max_behind_h):
        raise RecordError(f"reported_at: {at.isoformat()} is {(now - at).total_seconds() / 3600:.0f} h behind the console's clock "
                          f"({now.isoformat()}); at most {ctx.policy.max_behind_h:g} h old is taken (a wrong date?)", kind="stale_time")


def _preview(tip: dict[str, Any], request: web.Request, principal: Principal) -> dict[str, Any]:
    """The policy's answer for a call, as the desk of the city that holds it will give it; 403 `other_centre` for a
    token scoped to other centres (it would write a tip, under its name, for a desk it does not serve)."""
    try:
        centre, ctx = request.app[CALLS].context_for(tip)
        parsed = parse_tip(tip, ctx)
        _admit(parsed.reported_at, request.app[SERVICE].state.now, ctx)
    except RecordError as exc:
        raise api_error(400, exc.kind, exc.reason) from exc
    if centre:
        request.app[SERVICE].guard_centre(principal, centre)
    report = tip_report(parsed, ctx)
    seen = request.app[SERVICE].state.conditions_in(centre, report.district)
    weather = RegionConditions(
        cold_wave_level=seen.cold_wave_level, temp_c=seen.temp_c, wind_ms=seen.wind_ms, wind_chill_c=seen.wind_chill_c,
        severe_cold=seen.severe_cold, warning_level=seen.warning_level,
    ) if seen is not None else RegionConditions()
    night = is_night(parsed.reported_at, ctx.policy, ctx.city.timezone)
    result = assess(report.flags, policy=ctx.policy, night=night, weather=weather, key_area=report.key_area)
    return {
        "category": result.category,
        "priority": result.priority,
        "rules": list(result.rules),
        "notify": list(result.notify),
        "action": result.action,
        "flags": list(report.flags),
        "persons": report.persons,
        "lat": report.lat,
        "lon": report.lon,
        "district": report.district,
        "zone_id": report.zone_id,
        "key_area": report.key_area,
        "channel": report.channel,
        "accuracy_m": report.accuracy_m,
        "uncertainty_assumed": report.uncertainty_assumed,  # the policy's figure for a position stated without one
        "reporter_contact": report.reporter_contact,
    }


async def api_preview(request: web.Request) -> web.StreamResponse:
    """What the policy will give this call, before anything is sent."""
    principal = _operator(request)
    tip = _form(await read_body(request), request)
    tip["tip_id"] = "preview"
    return json_response({"preview": _preview(tip, request, principal)})


async def _publish_tip(request: web.Request, tip: dict[str, Any], principal: Principal) -> dict[str, Any]:
    preview = _preview(tip, request, principal)  # refuses (400) what the intake would dead-letter
    tip["taken_by"] = principal.name
    try:
        await request.app[CALLS].outbox.publish(topics.TIPS, tip["tip_id"], json.dumps(tip, ensure_ascii=False).encode("utf-8"))
    except Exception as exc:
        raise api_error(503, "broker_unavailable", "could not write to tips; try again") from exc
    return preview


async def api_call(request: web.Request) -> web.StreamResponse:
    """A call taken by an operator: an ordinary tip on `tips`."""
    principal = _operator(request)
    tip = _form(await read_body(request), request)
    tip["tip_id"] = f"call-{uuid.uuid4().hex[:12]}"
    preview = await _publish_tip(request, tip, principal)
    return json_response({"tip_id": tip["tip_id"], "preview": preview}, status=202)


def _open_item(request: web.Request, principal: Principal) -> str:
    letter_id = request.match_info["letter_id"]
    item = request.app[CALLS].queue.get(letter_id)
    if item is None:
        raise api_error(404, "not_found", f"no dead letter {letter_id!r} in the queue")
    if principal.centres is not None and (centre := request.app[CALLS].centre_of(item)) is not None:
        request.app[SERVICE].guard_centre(principal, centre)
    if not item.open:
        assert item.action is not None
        raise api_error(409, "already_done", f"{letter_id} was already {item.action.action} by {item.action.by}")
    return letter_id


async def _decide(request: web.Request, action: ConsoleAction) -> None:
    try:
        await request.app[CALLS].outbox.publish(topics.CONSOLE_ACTIONS, action.dead_letter_id, action.to_json())
    except Exception as exc:
        raise api_error(503, "broker_unavailable", "could not write to console-actions; try again") from exc
    request.app[CALLS].queue.apply_action(action)  # at once on this console; the topic tells the others


async def api_resubmit(request: web.Request) -> web.StreamResponse:
    """A corrected dead letter back in as a tip that names it (`corrects`); the item is resolved."""
    principal = _operator(request)
    body = await read_body(request)
    letter_id = _open_item(request, principal)
    tip = _form(body, request)
    tip["tip_id"] = f"{letter_id}-fix"
    tip["corrects"] = letter_id
    preview = await _publish_tip(request, tip, principal)
    action = ConsoleAction(action_id=f"{letter_id}-resubmitted", dead_letter_id=letter_id, action="resubmitted", by=principal.name,
                           at=request.app[SERVICE].state.now_or_wall(), tip_id=tip["tip_id"])
    await _decide(request, action)
    return json_response({"tip_id": tip["tip_id"], "preview": preview, "action": action.to_dict()}, status=202)


async def api_dismiss(request: web.Request) -> web.StreamResponse:
    """A dead letter nobody can act on (a test message, a duplicate), closed with the operator's reason."""
    principal = _operator(request)
    body = await read_body(request)
    letter_id = _open_item(request, principal)
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON or not reason.isprintable():
        raise api_error(400, "invalid_reason", f"reason: a short text (1..{MAX_REASON} characters) is required")
    action = ConsoleAction(action_id=f"{letter_id}-dismissed", dead_letter_id=letter_id, action="dismissed", by=principal.name,
                           at=request.app[SERVICE].state.now_or_wall(), reason=reason.strip())
    await _decide(request, action)
    return json_response({"action": action.to_dict()}, status=202)
