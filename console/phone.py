"""The team's phone: actions applied once, positions checked, tasks with navigation.

A phone on a winter night queues its actions while it has no signal and
resends them when it has; each carries a client-generated id, and this
module remembers the ids already written (rebuilt from `task-acks`,
`team-status` and `operator-commands` when the console starts) so a resend after a lost answer is
applied once. Positions are checked (stale, vague, impossible jumps) before
anything reaches `team-status`. Tasks go to the phone with the action text in
both languages, the destination for the category, and links for Amap, Baidu
and Tencent Maps in the coordinates each app expects (converted here, once).

No web framework in here: `console/server.py` calls it from thin handlers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from core import topics
from core.errors import PatrolError, RecordError
from core.records import (
    FLAGS,
    TEAM_STATUSES,
    OperatorCommand,
    TaskAck,
    TeamStatus,
    decoded,
    parse_time,
)
from core.validate import finite
from geo.centres import centre_for
from geo.chinacoords import wgs84_to_bd09, wgs84_to_gcj02
from geo.city import City, HelpPoint, load_city
from geo.zones import CityIndex
from rules.intake import team_position_problem
from rules.phone import CLIENT_ID_RE, ClientIds, Fix, PhonePolicy, action_time, check_fix
from rules.policy import Policy, load_policy

log = logging.getLogger(__name__)

# What the phone's console connection reads besides the view topics: the ids already written.
PHONE_TOPICS: tuple[str, ...] = (topics.TASK_ACKS, topics.TEAM_STATUS, topics.OPERATOR_COMMANDS)
KINDS = ("ack", "status", "command")


class PhoneInputError(PatrolError):
    """A phone's request that is refused: HTTP status, stable code, sentence; nothing is written."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _round(value: float) -> float:
    return round(value, 6)  # about 0.1 m: more is noise, less moves the pin


def nav_links(lat: float, lon: float, name: str) -> dict[str, Any]:
    """A WGS-84 point in each map app's coordinates, with the link that opens the app there.

    Amap and Tencent Maps take GCJ-02, Baidu Maps BD-09; `geo:` (any other
    app) takes WGS-84. Outside China the three are the same point.
    """
    glat, glon = (_round(v) for v in wgs84_to_gcj02(lat, lon))
    blat, blon = (_round(v) for v in wgs84_to_bd09(lat, lon))
    wlat, wlon = _round(lat), _round(lon)
    label = quote(name or "target", safe="")
    return {
        "name": name,
        "wgs84": [wlat, wlon],
        "gcj02": [glat, glon],
        "bd09": [blat, blon],
        "amap": f"https://uri.amap.com/navigation?to={glon},{glat},{label}&mode=car&coordinate=gaode&callnative=1&src=patrol",
        "baidu": f"baidumap://map/direction?destination=latlng:{blat},{blon}|name:{label}&coord_type=bd09ll&mode=driving&src=patrol.team",
        "tencent": f"qqmap://map/routeplan?type=drive&to={label}&tocoord={glat},{glon}&referer=patrol",
        "geo": f"geo:{wlat},{wlon}?q={wlat},{wlon}({label})",
    }


def client_id_of(body: Mapping[str, Any]) -> str | None:
    """The action's client-generated id, if the phone sent one."""
    value = body.get("client_id")
    if value is None:
        return None
    if not isinstance(value, str) or not CLIENT_ID_RE.match(value):
        raise PhoneInputError(400, "invalid_client_id", "client_id must be 8-100 letters, digits, '-', '_', '.', ':'")
    return value


def client_time_of(body: Mapping[str, Any], name: str = "at") -> datetime | None:
    """An ISO 8601 time with offset from the phone, if present."""
    if body.get(name) is None:
        return None
    try:
        return parse_time(body[name], name)
    except RecordError as exc:
        raise PhoneInputError(400, f"invalid_{name}", exc.reason) from exc


def _number(body: Mapping[str, Any], name: str) -> float | None:
    """A finite number; an integer too large for a float (400 digits) is refused like NaN, not a 500 (OverflowError)."""
    value = body.get(name)
    if value is None:
        return None
    try:
        return finite(value)
    except (TypeError, ValueError):
        raise PhoneInputError(400, f"invalid_{name}", f"{name} must be a number") from None


class TeamPhones:
    """Ids already applied, each team's latest fix, and the phone's view of a task."""

    def __init__(self, policy: Policy, cities: Mapping[str, City]) -> None:
        """`cities`: the deployment's cities by centre (PATROL_CITIES), the first the console's own: every team's base and help points."""
        self.policy: PhonePolicy = policy.phone
        keep = timedelta(hours=2 * self.policy.max_offline_h)
        self.applied: dict[str, ClientIds[dict[str, Any]]] = {kind: ClientIds(keep) for kind in KINDS}
        self.fixes: dict[str, Fix] = {}
        self.bases = {t.team_id: t for c in cities.values() for t in c.teams}
        self.cities = dict(cities)
        self.home = {t.team_id: c for c in cities.values() for t in c.teams}  # the city whose roster lists a team
        self.team_area_margin_km = policy.team_area_margin_km
        self.roster_teams_only = policy.roster_teams_only  # the desk refuses a status of a team no city lists
        self.indexes = {centre: CityIndex(c) for centre, c in cities.items()}
        # Help point ids are each city's own: two cities may both have an `hp-rescue-city`.
        self.help_points: dict[tuple[str, str], HelpPoint] = {(centre, p.id): p for centre, c in cities.items() for p in c.help_points}
        self.actions: dict[str, tuple[str, str]] = {c.name: (c.action, c.action_zh) for c in policy.categories}
        self.actions.setdefault(policy.thermal.category, (policy.thermal.action, policy.thermal.action_zh))
        self.outcomes = policy.outcomes  # the codes the team page (and the operators') offers, and the only ones taken
        self.caught_up = asyncio.Event()  # set once the ids written before start are known
        self._inflight: set[str] = set()

    @classmethod
    def from_files(cls, policy_file: Path, city_dir: Path) -> TeamPhones:
        return cls(load_policy(policy_file), {city_dir.name: load_city(city_dir)})

    # ------------------------------------------------------------- topics

    def fold(self, topic: str, data: Any) -> None:
        """One record of `task-acks` or `team-status`: remember its client id and the team's fix."""
        if not isinstance(data, dict):
            return
        try:
            # Times are checked before they are kept (`check_times`): one without its offset, kept as a team's last fix
            # or an applied id's time, made every later position of that team, or every action with a client id, a 500.
            if topic == topics.TASK_ACKS:
                ack = decoded(TaskAck, data)
                if ack.client_id:
                    self.applied["ack"].add(ack.client_id, ack.at, ack.to_dict())
            elif topic == topics.TEAM_STATUS:
                status = decoded(TeamStatus, data)
                if self.area_problem(status.team_id, status.lat, status.lon) is None:  # one the desk refused is no fix to judge by
                    self.note_fix(status)
                if status.client_id:
                    self.applied["status"].add(status.client_id, status.at, status.to_dict())
            elif topic == topics.OPERATOR_COMMANDS:
                command = decoded(OperatorCommand, data)
                self.applied["command"].add(command.command_id, command.at, command.to_dict())
        except (TypeError, ValueError, KeyError, AttributeError, RecordError) as exc:
            log.warning("phone view skips a malformed %s record: %s", topic, exc)

    def note_fix(self, status: TeamStatus) -> None:
        last = self.fixes.get(status.team_id)
        if last is None or status.at >= last.at:
            self.fixes[status.team_id] = Fix(status.lat, status.lon, status.at, status.accuracy_m)

    def last_fix(self, team_id: str, now: datetime) -> Fix | None:
        """The team's latest fix to judge a new one by; one dated more than `phone.max_clock_skew_s` ahead of the
        console's clock is forgotten. The desk refuses such a record (`future_time`); kept, it made every real fix of
        the team `out_of_order` and dated its status changes as far ahead, so the team could not report at all."""
        last = self.fixes.get(team_id)
        if last is not None and (last.at - now).total_seconds() > self.policy.max_clock_skew_s:
            del self.fixes[team_id]
            return None
        return last

    # ------------------------------------------------------------- once

    def repeat(self, kind: str, client_id: str | None, team_id: str) -> dict[str, Any] | None:
        """What was written for this client id before (a resend), or None for a new action.

        `team_id` is who may resend it: the team, or for an operator's command the token's name.
        """
        if client_id is None:
            return None
        if not self.caught_up.is_set():
            raise PhoneInputError(503, "catching_up", "the console is still reading what was sent before; try again")
        original = self.applied[kind].get(client_id)
        # A command's owner is the team that sent it, else the operator's token name; acks and positions belong to a team.
        owner = (original.get("by_team") or original.get("by")) if original is not None and kind == "command" else (original or {}).get("team_id")
        if original is not None and owner != team_id:
            raise PhoneInputError(409, "client_id_conflict", f"client_id {client_id!r} belongs to another team's action")
        return original

    async def publish_once(self, kind: str, client_id: str | None, record: TaskAck | TeamStatus | OperatorCommand, publish: Callable[[], Awaitable[None]]) -> None:
        """Write the record; with a client id, never twice (a concurrent resend is told to retry)."""
        if client_id is None:
            await publish()
            return
        if client_id in self._inflight:
            raise PhoneInputError(503, "in_flight", f"action {client_id!r} is being written; try again")
        self._inflight.add(client_id)
        try:
            await publish()
            ledger = self.applied[kind]
            ledger.add(client_id, record.at, record.to_dict())
            ledger.prune(record.at)
        finally:
            self._inflight.discard(client_id)

    def ack_time(self, body: Mapping[str, Any], now: datetime) -> datetime:
        """When the team pressed the button (the phone's `at`), if believable; else now."""
        return action_time(client_time_of(body), now, self.policy)

    # ------------------------------------------------------------- team-status

    def team_status(self, team_id: str, body: Mapping[str, Any], current: Any, now: datetime) -> TeamStatus:
        """A position fix and/or a status change from the phone, checked; raises PhoneInputError.

        `current` is the console's view of the team (status, lat, lon, at) or
        None. A fix keeps its own time; a status change alone keeps the last
        position and is never older than the team's latest record.
        """
        if self.roster_teams_only and team_id not in self.bases:  # the desk would dead-letter every status it sends
            raise PhoneInputError(403, "unknown_team", f"team {team_id} is on no city's roster (its teams layer), which this "
                                  "deployment requires (intake.roster_teams_only)")
        status = body.get("status")
        if status is not None and status not in TEAM_STATUSES:
            raise PhoneInputError(400, "unknown_status", f"status must be one of {', '.join(TEAM_STATUSES)}")
        lat, lon = _number(body, "lat"), _number(body, "lon")
        accuracy = _number(body, "accuracy_m")
        if accuracy is not None and accuracy < 0:
            # A negative radius, once the team's last fix, made every later fix an impossible jump (it adds to the distance).
            raise PhoneInputError(400, "invalid_accuracy_m", "accuracy_m must be metres >= 0")
        at = client_time_of(body)
        last_status = getattr(current, "status", None)
        status = status or (last_status if last_status in TEAM_STATUSES else "available")
        if lat is not None or lon is not None:
            if lat is None or lon is None or at is None:
                raise PhoneInputError(400, "missing_field", "a position needs lat, lon and at (the fix's own time)")
            fix = Fix(lat, lon, at, accuracy)
            refusal = check_fix(fix, self.last_fix(team_id, now), now, self.policy)
            if refusal is not None:
                raise PhoneInputError(422, refusal.code, refusal.message)
            if (problem := self.area_problem(team_id, lat, lon)) is not None:
                raise PhoneInputError(422, "out_of_area", problem)
        else:
            if body.get("status") is None:
                raise PhoneInputError(400, "missing_field", "send a status, a position (lat, lon, at), or both")
            last = self.last_fix(team_id, now)
            if last is not None:
                lat, lon, accuracy = last.lat, last.lon, last.accuracy_m
            elif getattr(current, "lat", None) is not None and self.area_problem(team_id, current.lat, current.lon) is None:
                lat, lon = current.lat, current.lon  # the console's view, unless the desk refused that position (0, 0)
            else:
                raise PhoneInputError(409, "no_position", "no position known for the team yet: share the position first")
            at = action_time(at, now, self.policy)
            if last is not None and at < last.at:
                at = last.at
        base = self.bases.get(team_id)
        assert lat is not None and lon is not None and at is not None
        return TeamStatus(
            team_id=team_id,
            at=at,
            status=status,
            lat=_round(lat),
            lon=_round(lon),
            capabilities=base.capabilities if base else (),
            name=base.name if base else None,
            district=base.district if base else None,
            accuracy_m=accuracy,
            client_id=client_id_of(body),
        )

    def area_problem(self, team_id: str, lat: float, lon: float) -> str | None:
        """Why the desk would refuse this position of the team (`rules.intake.team_position_problem`: 0, 0, or more than
        `intake.team_area_margin_km` outside its city), else None. A team on no roster is judged by the nearest city, as the
        desk routes it by its position."""
        cities = [self.home[team_id]] if team_id in self.home else list(self.cities.values())
        problems = [team_position_problem(lat, lon, city, self.team_area_margin_km) for city in cities]
        return None if any(p is None for p in problems) else problems[0]

    def config(self) -> dict[str, Any]:
        """What the page needs to know from the policy."""
        return {
            "position_every_s": self.policy.position_every_s,
            "max_accuracy_m": self.policy.max_accuracy_m,
            "max_offline_h": self.policy.max_offline_h,
            "statuses": list(TEAM_STATUSES),
            "flags": list(FLAGS),  # what a team on scene may add or remove (POST /api/team/assessment)
        }

    # ------------------------------------------------------------- tasks

    def action_text(self, category: str, action: str) -> dict[str, str]:
        """The task's action in both languages (Chinese from the policy's `action_zh`)."""
        en, zh = self.actions.get(category, (action, ""))
        return {"en": action or en, "zh": zh or action or en}

    def destination(self, category: str, lat: float, lon: float, nearest: Mapping[str, Any] | None, centre: str = "",
                    chosen: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """Where the team takes the person: the place the desk `chosen` for the task, else the nearest help point of
        the category's kinds in the task's city, else the task's nearest.

        The desk's choice knows what the phone's kinds do not (an emergency
        department, the minors' centre for a minor and never for an adult,
        opening hours); the kinds serve only an event that names none. The
        task's city is its `centre`; an event written before the desk named
        it, by the city that holds the position (`geo.centres.centre_for`, as records are routed).
        """
        point: HelpPoint | None = None
        kinds = self.policy.destination_kinds.get(category)
        if centre not in self.indexes:
            centre = centre_for(self.indexes, lat, lon) or next(iter(self.indexes))
        index = self.indexes[centre]
        if isinstance(chosen, Mapping):
            point = self.help_points.get((centre, str(chosen.get("id"))))
        if point is None and kinds:
            found = index.nearest_help_point(lat, lon, kinds)
            point = found[0] if found else None
        if point is None and nearest:
            point = self.help_points.get((centre, str(nearest.get("id"))))
        if point is None:
            return None
        return {
            "id": point.id,
            "name": point.name,
            "name_en": point.name_en,
            "kind": point.kind,
            "lat": point.lat,
            "lon": point.lon,
            "distance_m": round(index.distance_m(lat, lon, point.lat, point.lon), 1),
            "nav": nav_links(point.lat, point.lon, point.name),
        }

    def task_view(self, view: dict[str, Any]) -> dict[str, Any]:
        """A masked task (console.masking.team_view) plus action texts, destination and map links."""
        category = str(view.get("category") or "")
        lat, lon = float(view["lat"]), float(view["lon"])
        view["action_text"] = self.action_text(category, str(view.get("action") or ""))
        view["target"] = nav_links(lat, lon, str(view.get("incident_id") or "target"))
        view["destination"] = self.destination(category, lat, lon, view.get("nearest_help_point"), str(view.get("centre") or ""),
                                               view.get("destination"))
        return view
