"""The dispatch desk: incidents, teams and deadlines of one partition.

A pure, deterministic state machine. It is fed reports, weather, team
status, acknowledgements and clock ticks in order, and answers with output
events. It never reads the wall clock: `now` is the latest event time seen.
Its whole state serialises to plain dicts, so the agent keeps it in a Faust
table and a restarted worker resumes exactly where the last one stopped.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.errors import RecordError
from core.records import (
    DispatchEvent,
    HelpPointRef,
    Report,
    TaskAck,
    TeamStatus,
    TeamTask,
    WeatherObservation,
    WeatherWarning,
)
from geo.distance import haversine_m
from rules.context import Context
from rules.triage import Assessment, ack_deadline, assess, followup_delay, rank_key
from rules.weather import CITY, RegionConditions, RegionWeather, conditions, is_night

OPEN_STATES = ("queued", "assigned", "accepted", "on_scene", "followup_due")
HELP_POINT_CACHE = 4096  # positions whose nearest help point is remembered


def _stable_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]
    return f"{prefix}-{digest}"


def fingerprint(report: Report) -> str:
    return hashlib.sha1(report.to_json()).hexdigest()[:16]


@dataclass
class Incident:
    """One person at risk, merged from every report about them."""

    incident_id: str
    district: str
    zone_id: str | None
    key_area: str | None
    lat: float
    lon: float
    first_at: datetime
    last_at: datetime
    reports: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    has_tip: bool = False
    still_s: float = 0.0
    track_ids: list[str] = field(default_factory=list)
    text: str = ""
    persons: int | None = None
    revision: int = 0
    status: str = "new"
    category: str = ""
    priority: str = ""
    rules: list[str] = field(default_factory=list)
    notify: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    action: str = ""
    team_id: str | None = None
    task_event_id: str | None = None
    ack_deadline: datetime | None = None
    acked: bool = False
    escalation_level: int = 0
    tried_teams: list[str] = field(default_factory=list)
    followup_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, list):
                value = list(value)  # never share a list with the stored copy
            out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Incident:
        values: dict[str, Any] = {k: list(v) if isinstance(v, list) else v for k, v in data.items()}
        for key in ("first_at", "last_at", "ack_deadline", "followup_at", "resolved_at"):
            if values.get(key) is not None:
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def independent_sources(self) -> int:
        return len(set(self.channels))


@dataclass
class Team:
    team_id: str
    lat: float
    lon: float
    status: str
    capabilities: list[str]
    at: datetime
    incident_id: str | None = None  # the task the desk gave it and has not closed

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "at": self.at.isoformat(), "capabilities": list(self.capabilities)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Team:
        return cls(**{**data, "at": datetime.fromisoformat(data["at"]), "capabilities": list(data["capabilities"])})

    @property
    def free(self) -> bool:
        return self.status == "available" and self.incident_id is None


@dataclass
class Outputs:
    """What one input produced, in the order it must be sent."""

    events: list[DispatchEvent] = field(default_factory=list)
    tasks: list[TeamTask] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: Outputs) -> None:
        self.events.extend(other.events)
        self.tasks.extend(other.tasks)
        self.conditions.extend(other.conditions)


class Desk:
    """Incidents, teams, weather and deadlines of one partition."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.now: datetime | None = None
        self.incidents: dict[str, Incident] = {}
        self.seen: dict[str, list[str]] = {}  # report_id -> [fingerprint, incident_id]
        self.event_index: dict[str, str] = {}  # task event_id -> incident_id
        self.teams: dict[str, Team] = {}
        self.weather: dict[str, RegionWeather] = {}
        self.published: dict[str, dict[str, Any]] = {}  # region -> last conditions sent
        self.dirty: set[tuple[str, str]] = set()  # (table, key) changed since last flush
        self._grid: dict[tuple[int, int], set[str]] = {}
        self._cell_of: dict[str, tuple[int, int]] = {}
        self._tracks: dict[str, str] = {}
        self._help_points: dict[tuple[float, float], HelpPointRef | None] = {}

    # ----------------------------------------------------------------- state

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat() if self.now else None,
            "incidents": {k: v.to_dict() for k, v in self.incidents.items()},
            "seen": self.seen,
            "event_index": self.event_index,
            "teams": {k: v.to_dict() for k, v in self.teams.items()},
            "weather": {k: v.to_dict() for k, v in self.weather.items()},
            "published": self.published,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.now = datetime.fromisoformat(data["now"]) if data.get("now") else None
        self.incidents = {k: Incident.from_dict(v) for k, v in data.get("incidents", {}).items()}
        self.seen = dict(data.get("seen", {}))
        self.event_index = dict(data.get("event_index", {}))
        self.teams = {k: Team.from_dict(v) for k, v in data.get("teams", {}).items()}
        self.weather = {k: RegionWeather.from_dict(v) for k, v in data.get("weather", {}).items()}
        self.published = dict(data.get("published", {}))
        self._grid, self._cell_of, self._tracks = {}, {}, {}
        for incident in self.incidents.values():
            self._index(incident)

    def entry(self, table: str, key: str) -> Any:
        """The current value of one state entry (None once it is gone)."""
        if table == "meta":
            return self.now.isoformat() if self.now else None
        source: dict[str, Any] = getattr(self, table)
        value: Any = source.get(key)
        return value.to_dict() if hasattr(value, "to_dict") else value

    def load_entries(self, items: Iterable[tuple[str, Any]]) -> None:
        """Rebuild from `table|key -> value` entries (a Faust table's content)."""
        data: dict[str, Any] = {name: {} for name in ("incidents", "seen", "event_index", "teams", "weather", "published")}
        for flat, value in items:
            table, _, key = flat.partition("|")
            if value is None:
                continue
            if table == "meta":
                data["now"] = value
            elif table in data:
                data[table][key] = value
        self.load(data)

    def take_dirty(self) -> list[tuple[str, Any]]:
        """Changed entries since the last call, as `table|key -> value`."""
        changed = sorted(self.dirty)
        self.dirty.clear()
        return [(f"{table}|{key}", self.entry(table, key)) for table, key in changed]

    def _touch(self, table: str, key: str) -> None:
        self.dirty.add((table, key))

    def _advance(self, at: datetime) -> None:
        if self.now is None or at > self.now:
            self.now = at
            self._touch("meta", "now")

    # ----------------------------------------------------------------- inputs

    def handle_report(self, report: Report) -> Outputs:
        seen = self.seen.get(report.report_id)
        fp = fingerprint(report)
        if seen is not None:
            if seen[0] == fp:
                return Outputs()  # a redelivery or a resend: processed once
            raise RecordError(f"duplicate report id {report.report_id!r} with different content", kind="duplicate")
        self._advance(report.at)
        incident = self._match(report)
        out = Outputs()
        if incident is None:
            incident = Incident(
                incident_id=_stable_id("inc", report.report_id),
                district=report.district,
                zone_id=report.zone_id,
                key_area=report.key_area,
                lat=report.lat,
                lon=report.lon,
                first_at=report.at,
                last_at=report.at,
            )
            self.incidents[incident.incident_id] = incident
        self.seen[report.report_id] = [fp, incident.incident_id]
        self._touch("seen", report.report_id)
        self._merge(incident, report)
        self._index(incident)
        decision_at = max(report.at, self.now or report.at)
        if incident.status == "new":
            self._reassess(incident, decision_at)
            out.extend(self._assign(incident, decision_at, kind="dispatch", reason="new incident"))
        elif incident.status == "resolved":
            # A new report about a person already helped reopens the case.
            incident.status = "queued"
            incident.team_id = None
            incident.tried_teams = []
            incident.escalation_level = 0
            self._reassess(incident, decision_at)
            out.extend(self._assign(incident, decision_at, kind="dispatch", reason="reported again after resolution"))
        else:
            changed = self._reassess(incident, decision_at)
            out.extend(self._emit(incident, "update", decision_at, reason=f"new report {report.report_id}" + (f"; {changed}" if changed else "")))
        self._touch("incidents", incident.incident_id)
        return out

    def handle_weather(self, region: str, record: WeatherObservation | WeatherWarning) -> Outputs:
        history = self.weather.setdefault(region, RegionWeather())
        if isinstance(record, WeatherWarning):
            history.add_warning(record.issued_at, record.level)
            at = record.issued_at
        else:
            history.add_observation(record.observed_at, record.temp_c, record.wind_ms, self.ctx.policy.cold_wave_history_h)
            at = record.observed_at
        self._touch("weather", region)
        self._advance(at)
        return self._conditions_changed(self.now or at)

    def handle_team_status(self, status: TeamStatus) -> Outputs:
        team = self.teams.get(status.team_id)
        if team is not None and status.at < team.at:
            return Outputs()  # an older position: keep the newer one
        self._advance(status.at)
        if team is None:
            team = Team(status.team_id, status.lat, status.lon, status.status, list(status.capabilities), status.at)
            self.teams[status.team_id] = team
        else:
            team.lat, team.lon, team.status, team.at = status.lat, status.lon, status.status, status.at
            if status.capabilities:
                team.capabilities = list(status.capabilities)
        if status.status == "off_duty" and team.incident_id is not None:
            incident = self.incidents.get(team.incident_id)
            team.incident_id = None
            self._touch("teams", team.team_id)
            if incident is not None and incident.is_open and incident.team_id == team.team_id:
                return self._reassign(incident, status.at, reason=f"team {team.team_id} went off duty", escalate=False)
        self._touch("teams", team.team_id)
        return self._drain_queue(status.at) if team.free else Outputs()

    def handle_ack(self, ack: TaskAck) -> Outputs:
        incident_id = self.event_index.get(ack.event_id) or (ack.incident_id if ack.incident_id in self.incidents else None)
        if incident_id is None:
            raise RecordError(f"no task with event_id {ack.event_id!r}", kind="unknown_task")
        incident = self.incidents[incident_id]
        self._advance(ack.at)
        at = max(ack.at, self.now or ack.at)
        operator = ack.status in ("reassign",) or ack.team_id == "console"
        if incident.status in ("resolved", "followup_due") and ack.team_id in incident.tried_teams and not operator:
            return Outputs()  # a late or repeated ack for a task already closed: nothing changes
        if not operator and ack.team_id != incident.team_id:
            holder = f"team {incident.team_id!r}" if incident.team_id else f"no team (incident is {incident.status})"
            raise RecordError(f"team {ack.team_id!r} acknowledged a task that belongs to {holder}", kind="wrong_team")
        if not operator and ack.event_id != incident.task_event_id and ack.event_id in self.event_index:
            if ack.status in ("accepted", "on_scene") and incident.status in ("accepted", "on_scene"):
                return Outputs()  # an older task's ack for the same team: already known
        if incident.status == "resolved" and ack.status != "resolved":
            return Outputs()
        self._touch("incidents", incident_id)
        who = ack.by or ack.team_id
        if ack.status == "accepted":
            if incident.acked and incident.status in ("accepted", "on_scene"):
                return Outputs()
            incident.acked = True
            incident.status = "accepted"
            return self._emit(incident, "update", at, reason=f"accepted by {who}")
        if ack.status == "on_scene":
            if incident.status == "on_scene":
                return Outputs()
            incident.acked = True
            incident.status = "on_scene"
            return self._emit(incident, "update", at, reason=f"{who} on scene")
        if ack.status == "declined":
            return self._reassign(incident, at, reason=f"declined by {who}", escalate=False)
        if ack.status == "reassign":
            return self._reassign(incident, at, reason=f"reassigned by operator {who}", escalate=False)
        # resolved
        if incident.status == "resolved":
            return Outputs()
        return self._resolve(incident, at, ack.outcome, who)

    def handle_tick(self, at: datetime) -> Outputs:
        """Advance event time; check deadlines, follow-ups, queue and weather."""
        self._advance(at)
        now = self.now or at
        out = Outputs()
        for incident in sorted(self.incidents.values(), key=lambda i: (i.ack_deadline or now, i.incident_id)):
            if incident.status == "assigned" and not incident.acked and incident.ack_deadline and incident.ack_deadline <= now:
                self._touch("incidents", incident.incident_id)
                out.extend(self._reassign(incident, now, reason=f"ack deadline missed by {incident.team_id}", escalate=True))
            elif incident.status == "followup_due" and incident.followup_at and incident.followup_at <= now:
                self._touch("incidents", incident.incident_id)
                incident.followup_at = None
                incident.status = "queued"
                incident.tried_teams = []
                incident.escalation_level = 0
                out.extend(self._assign(incident, now, kind="followup", reason="scheduled follow-up visit"))
        out.extend(self._conditions_changed(now))
        out.extend(self._drain_queue(now))
        return out

    # ----------------------------------------------------------------- rules

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        size = self.ctx.policy.correlation_radius_m / 111_000
        return (math.floor(lat / size), math.floor(lon / size))

    def _index(self, incident: Incident) -> None:
        """Keep the grid of incident positions (derived state, rebuilt on load)."""
        cell = self._cell(incident.lat, incident.lon)
        old = self._cell_of.get(incident.incident_id)
        if old != cell:
            if old is not None:
                self._grid.get(old, set()).discard(incident.incident_id)
            self._grid.setdefault(cell, set()).add(incident.incident_id)
            self._cell_of[incident.incident_id] = cell
        for track in incident.track_ids:
            self._tracks[track] = incident.incident_id

    def _nearby(self, lat: float, lon: float) -> list[Incident]:
        """Incidents in the grid cells that can hold one within the radius."""
        ci, cj = self._cell(lat, lon)
        # A cell is radius/111 km high; at this latitude it is narrower than the
        # radius east-west, so look as many cells sideways as that takes.
        span = math.ceil(1 / max(0.1, math.cos(math.radians(lat))))
        found: list[Incident] = []
        for i in range(ci - 1, ci + 2):
            for j in range(cj - span, cj + span + 1):
                found += [self.incidents[k] for k in self._grid.get((i, j), ())]
        return found

    def _match(self, report: Report) -> Incident | None:
        """The open (or recently resolved) incident this report is about, if any."""
        policy = self.ctx.policy
        window = timedelta(minutes=policy.correlation_window_min)
        best: tuple[float, str] | None = None
        if report.track_id and report.track_id in self._tracks:
            return self.incidents[self._tracks[report.track_id]]
        for incident in self._nearby(report.lat, report.lon):
            if not (incident.is_open or incident.status == "new"):
                continue
            if abs(report.at - incident.last_at) > window and abs(report.at - incident.first_at) > window:
                continue
            distance = haversine_m(report.lat, report.lon, incident.lat, incident.lon)
            if distance <= policy.correlation_radius_m and (best is None or (distance, incident.incident_id) < best):
                best = (distance, incident.incident_id)
        return self.incidents[best[1]] if best else None

    def _merge(self, incident: Incident, report: Report) -> None:
        incident.reports.append(report.report_id)
        incident.channels.append(report.channel)
        incident.flags = sorted(set(incident.flags) | set(report.flags))
        incident.first_at = min(incident.first_at, report.at)
        incident.last_at = max(incident.last_at, report.at)
        if report.track_id and report.track_id not in incident.track_ids:
            incident.track_ids.append(report.track_id)
        if report.source == "tip":
            if not incident.has_tip:
                # A caller's position beats a camera's estimate of where a person lies.
                incident.lat, incident.lon = report.lat, report.lon
                incident.zone_id, incident.key_area = report.zone_id, report.key_area
            incident.has_tip = True
            incident.text = report.text or incident.text
            incident.persons = report.persons or incident.persons
        if report.posture == "lying":
            incident.still_s = max(incident.still_s, report.still_s)

    def region_conditions(self, region: str, at: datetime) -> RegionConditions:
        return conditions(self.weather.get(region), self.weather.get(CITY), at, self.ctx.policy)

    def _reassess(self, incident: Incident, at: datetime) -> str:
        """Recompute category and priority; say what changed ("" if nothing)."""
        policy = self.ctx.policy
        weather = self.region_conditions(incident.district, at)
        result: Assessment = assess(
            incident.flags,
            policy=policy,
            night=is_night(at, policy, self.ctx.city.timezone),
            weather=weather,
            has_tip=incident.has_tip,
            lying_still_min=incident.still_s / 60.0,
            key_area=incident.key_area,
            sources=incident.independent_sources,
        )
        changes = []
        if incident.priority and result.priority != incident.priority:
            changes.append(f"priority {incident.priority}->{result.priority}")
        if incident.category and result.category != incident.category:
            changes.append(f"category {incident.category}->{result.category}")
        incident.category, incident.priority = result.category, result.priority
        incident.rules, incident.notify, incident.needs = list(result.rules), list(result.notify), list(result.needs)
        incident.action = result.action
        return ", ".join(changes)

    def _nearest_team(self, incident: Incident) -> tuple[Team, float] | None:
        needs = set(incident.needs)
        candidates = [
            (haversine_m(incident.lat, incident.lon, t.lat, t.lon), t.team_id, t)
            for t in self.teams.values()
            if t.free and needs <= set(t.capabilities) and t.team_id not in incident.tried_teams
        ]
        if not candidates:
            return None
        distance, _, team = min(candidates, key=lambda c: (c[0], c[1]))
        return team, distance

    def _assign(self, incident: Incident, at: datetime, *, kind: str, reason: str) -> Outputs:
        """Give the incident to the nearest able free team, or queue it."""
        choice = self._nearest_team(incident)
        self._touch("incidents", incident.incident_id)
        if choice is None:
            incident.status = "queued"
            incident.team_id = None
            incident.ack_deadline = None
            needs = ", ".join(incident.needs) or "any"
            return self._emit(incident, "queued" if kind == "dispatch" else kind, at, reason=f"{reason}; no free team with {needs}")
        team, distance = choice
        team.incident_id = incident.incident_id
        self._touch("teams", team.team_id)
        incident.team_id = team.team_id
        incident.tried_teams.append(team.team_id)
        incident.status = "assigned"
        incident.acked = False
        level = self.region_conditions(incident.district, at).cold_wave_level
        incident.ack_deadline = ack_deadline(at, incident.priority, level, self.ctx.policy)
        return self._emit(incident, kind, at, reason=f"{reason}; team {team.team_id} at {distance:.0f} m", task=True)

    def _release_team(self, incident: Incident) -> None:
        if incident.team_id and incident.team_id in self.teams:
            team = self.teams[incident.team_id]
            if team.incident_id == incident.incident_id:
                team.incident_id = None
                self._touch("teams", team.team_id)

    def _reassign(self, incident: Incident, at: datetime, *, reason: str, escalate: bool) -> Outputs:
        previous = incident.team_id
        self._release_team(incident)
        if escalate and previous in self.teams:
            # A team that let a deadline pass is unreachable until it reports again.
            self.teams[previous].status = "unresponsive"
            self._touch("teams", previous)
        out = Outputs()
        if previous:
            out.tasks.append(self._task(incident, previous, "cancel", at, event_id=f"{incident.task_event_id}-cancel"))
        incident.team_id = None
        kind = "dispatch"
        if escalate:
            incident.escalation_level += 1
            kind = "escalation"
        out.extend(self._assign(incident, at, kind=kind, reason=reason))
        return out

    def _resolve(self, incident: Incident, at: datetime, outcome: str | None, who: str) -> Outputs:
        self._release_team(incident)
        incident.status = "resolved"
        incident.resolved_at = at
        incident.outcome = outcome
        incident.acked = True
        out = self._emit(incident, "resolved", at, reason=f"resolved by {who}" + (f": {outcome}" if outcome else ""))
        if incident.category == "supplies_followup" or (outcome or "") in self.ctx.policy.followup_outcomes:
            level = self.region_conditions(incident.district, at).cold_wave_level
            incident.followup_at = at + followup_delay(level, self.ctx.policy)
            incident.status = "followup_due"
            incident.team_id = None
        return out

    def _drain_queue(self, at: datetime) -> Outputs:
        out = Outputs()
        queued = [i for i in self.incidents.values() if i.status == "queued"]
        queued.sort(key=lambda i: (*rank_key(i.priority, i.key_area, i.first_at), i.incident_id))
        for incident in queued:
            if not any(t.free for t in self.teams.values()):
                break
            if self._nearest_team(incident) is None:
                continue
            out.extend(self._assign(incident, at, kind="dispatch", reason="team became free"))
        return out

    def _conditions_changed(self, at: datetime) -> Outputs:
        """Publish regions whose weather judgement changed; re-rank open incidents."""
        out = Outputs()
        regions = sorted({d.id for d in self.ctx.city.districts})
        changed_regions = []
        for region in regions:
            cond = self.region_conditions(region, at)
            night = is_night(at, self.ctx.policy, self.ctx.city.timezone)
            view = {
                "region": region,
                "cold_wave_level": cond.cold_wave_level,
                "night": night,
                "severe_cold": cond.severe_cold,
                "warning_level": cond.warning_level,
            }
            if self.published.get(region) != view:
                self.published[region] = view
                self._touch("published", region)
                changed_regions.append(region)
                out.conditions.append(
                    {
                        **view,
                        "at": at,
                        "temp_c": cond.temp_c,
                        "wind_ms": cond.wind_ms,
                        "wind_chill_c": cond.wind_chill_c,
                    }
                )
        if changed_regions:
            for incident in sorted(self.incidents.values(), key=lambda i: i.incident_id):
                if incident.is_open and incident.district in changed_regions:
                    before = incident.priority
                    self._reassess(incident, at)
                    if incident.priority != before:
                        self._touch("incidents", incident.incident_id)
                        out.extend(self._emit(incident, "update", at, reason=f"conditions changed: priority {before}->{incident.priority}"))
        return out

    # ----------------------------------------------------------------- output

    def _task(self, incident: Incident, team_id: str, kind: str, at: datetime, event_id: str) -> TeamTask:
        return TeamTask(
            event_id=event_id,
            team_id=team_id,
            kind=kind,
            incident_id=incident.incident_id,
            priority=incident.priority,
            category=incident.category,
            lat=incident.lat,
            lon=incident.lon,
            ack_deadline=incident.ack_deadline,
            nearest_help_point=self._help_point(incident),
            notify=tuple(incident.notify),
            flags=tuple(incident.flags),
            summary=incident.action,
            at=at,
        )

    def _help_point(self, incident: Incident) -> HelpPointRef | None:
        """The nearest help point, remembered per position (city layers never change)."""
        where = (incident.lat, incident.lon)
        if where in self._help_points:
            return self._help_points[where]
        found = self.ctx.index.nearest_help_point(incident.lat, incident.lon, self.ctx.policy.help_point_kinds)
        ref = None
        if found is not None:
            point, distance = found
            ref = HelpPointRef(id=point.id, name=point.name, distance_m=round(distance, 1), kind=point.kind)
        if len(self._help_points) >= HELP_POINT_CACHE:
            self._help_points.clear()
        self._help_points[where] = ref
        return ref

    def _emit(self, incident: Incident, kind: str, at: datetime, *, reason: str, task: bool = False) -> Outputs:
        incident.revision += 1
        event_id = f"{incident.incident_id}-r{incident.revision}"
        if task:
            incident.task_event_id = event_id
            self.event_index[event_id] = incident.incident_id
            self._touch("event_index", event_id)
        per_source = self.ctx.policy.per_source_confidence
        escalate_to = None
        if kind == "escalation" and incident.escalation_level > 0:
            roles = self.ctx.policy.escalate_to
            escalate_to = roles[min(incident.escalation_level, len(roles)) - 1]
        event = DispatchEvent(
            event_id=event_id,
            kind=kind,
            incident_id=incident.incident_id,
            revision=incident.revision,
            priority=incident.priority,
            category=incident.category,
            rules=tuple(incident.rules),
            zone_id=incident.zone_id,
            key_area=incident.key_area,
            lat=round(incident.lat, 6),
            lon=round(incident.lon, 6),
            sources=tuple(incident.reports),
            team_id=incident.team_id,
            ack_deadline=incident.ack_deadline if incident.status == "assigned" else None,
            nearest_help_point=self._help_point(incident),
            notify=tuple(incident.notify),
            at=at,
            district=incident.district,
            flags=tuple(incident.flags),
            channels=tuple(sorted(set(incident.channels))),
            confidence=round(1 - (1 - per_source) ** incident.independent_sources, 3),
            escalation_level=incident.escalation_level,
            escalate_to=escalate_to,
            reason=reason,
            first_report_at=incident.first_at,
            status=incident.status,
            action=incident.action,
            text=incident.text,
            persons=incident.persons,
        )
        out = Outputs(events=[event])
        if task and incident.team_id:
            out.tasks.append(self._task(incident, incident.team_id, "assign", at, event_id))
        return out

