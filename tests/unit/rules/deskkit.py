"""Times, places, a team helper and the audits' case runner for the desk's rule tests.

`Run` feeds an audit case's steps (`desk_audit*.toml`) through the real
intake and the real Desk. Each step becomes one input record, built once
(`Run.record`) and delivered (`Run.deliver`), so a night can be fed again,
with every record delivered twice (at-least-once), or with the desk's state
written and loaded between steps (a restart), as the desk agent would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.records import DispatchEvent, TaskAck, TeamStatus, WeatherWarning
from geo.distance import offset_latlon
from rules.context import Context
from rules.desk import Desk, Outputs
from rules.intake import detection_report, parse_detection, parse_tip, parse_weather, tip_report

TZ = ZoneInfo("Asia/Shanghai")
EVENING = datetime(2026, 12, 20, 19, 0, tzinfo=TZ)  # not night
NIGHT = datetime(2026, 12, 20, 23, 0, tzinfo=TZ)
CENTRE = (45.7600, 126.6300)


def team(desk: Desk, team_id: str, east_m: float, caps: tuple[str, ...] = ("social_work",), at: datetime = EVENING,
         status: str = "available", north_m: float = 0.0) -> Outputs:
    """A team's status `east_m` metres east (and `north_m` north) of the centre."""
    return desk.handle_team_status(team_status(team_id, east_m, caps, at=at, status=status, north_m=north_m))


def team_status(team_id: str, east_m: float, caps: tuple[str, ...] = ("social_work",), at: datetime = EVENING,
                status: str = "available", north_m: float = 0.0, origin: tuple[float, float] = CENTRE) -> TeamStatus:
    lat, lon = offset_latlon(*origin, east_m, north_m)
    return TeamStatus(team_id=team_id, at=at, status=status, lat=lat, lon=lon, capabilities=caps)


PLACES = {
    "station": (45.7600, 126.6300),  # nangang, key area: the railway station square
    "ng_plain": (45.7600, 126.64289),  # nangang, no key area
    "daoli": (45.7600, 126.60422),  # daoli, no key area
    "daowai": (45.76899, 126.64289),  # daowai, no key area
    "sun_island": (45.7960, 126.6010),  # songbei, by the Sun Island warm-up site (open 17:00-09:00)
    "flood_tower": (45.7792, 126.6178),  # the Flood Control Monument (an address of extent 40 m)
    "qq_plain": (47.3300, 123.9900),  # Qiqihar, tiefeng: the origin of Qiqihar's teams in desk_audit4.toml
    "qq_longsha": (47.3600, 123.9300),  # Qiqihar, longsha, 4.5 km west and 3.3 km north of qq_plain
}


def _minutes(later: datetime | None, at: datetime) -> float | None:
    return None if later is None else (later - at).total_seconds() / 60.0


@dataclass
class Record:
    """One step's input, built once so that it can be delivered again as the same record."""

    at: datetime
    apply: Callable[[Desk], Outputs]
    report_id: str | None = None  # a report's id, for the incident it went into
    name: str | None = None  # a report's `as`


class Run:
    """One case on a fresh desk: the incident of its first report, and the time of each step.

    `store` holds the desk's state as its changelogged table would (`take_dirty`
    after every delivery, a None value deleting the key); `restart` builds a new
    desk from it.
    """

    def __init__(self, ctx: Context, centre: str = "harbin") -> None:
        self.ctx = ctx
        self.centre = centre
        self.desk = Desk(ctx, centre)
        self.incident_id: str | None = None
        self.names: dict[str, str] = {}  # a report's `as` -> the incident it went into
        self.n = 0
        self.records: list[Record] = []  # every step's record, by step index
        self.store: dict[str, Any] = {}
        self.tasks: dict[str, tuple[str, str]] = {}  # an ack's `keep` -> the task (event id, team) it answered

    def step(self, step: dict[str, Any]) -> tuple[datetime, Outputs]:
        record = self.record(step)
        return record.at, self.deliver(record)

    def deliver(self, record: Record) -> Outputs:
        out = record.apply(self.desk)
        if record.report_id is not None:
            self._report(record.report_id, record.name)
        return out

    def save(self) -> None:
        """What the agent writes after a batch: the entries the desk changed, through JSON as the table keeps them."""
        for key, value in json.loads(json.dumps(dict(self.desk.take_dirty()), default=str)).items():
            if value is None:
                self.store.pop(key, None)
            else:
                self.store[key] = value

    def state(self) -> str:
        """The desk's whole state, as text to compare."""
        return json.dumps(self.desk.to_dict(), sort_keys=True, default=str)

    def check(self, at: datetime, out: Outputs, expect: dict[str, Any]) -> None:
        check(self, at, out, expect)

    def restart(self) -> None:
        """A worker restarted: a new desk from the state written so far."""
        self.save()
        self.desk = Desk(self.ctx, self.centre)
        self.desk.load_entries(list(self.store.items()))
        self.desk.take_dirty()

    def record(self, step: dict[str, Any]) -> Record:
        self.n += 1
        record = self._build(step)
        self.records.append(record)
        return record

    def _build(self, step: dict[str, Any]) -> Record:
        ctx = self.ctx
        if "repeat" in step:  # the record of an earlier step (0-based), delivered again
            return self.records[step["repeat"]]
        if "restart" in step:
            def restart(desk: Desk) -> Outputs:
                self.restart()
                return Outputs()
            return Record(self.desk.tick or EVENING, restart)
        if "team" in step:
            t = step["team"]
            at = datetime.fromisoformat(t["at"])
            status = team_status(t["id"], t["east_m"], tuple(t.get("caps", ["social_work"])), at=at,
                                 status=t.get("status", "available"), north_m=t.get("north_m", 0.0),
                                 origin=PLACES[t.get("place", "station")])
            return Record(at, lambda desk: desk.handle_team_status(status))
        if "weather" in step:
            region, weather = parse_weather(step["weather"], ctx)
            at = weather.issued_at if isinstance(weather, WeatherWarning) else weather.observed_at

            def apply_weather(desk: Desk) -> Outputs:
                out = Outputs()
                if desk.tick is None or at > desk.tick:  # the clock runs on: observations of the days before come on their day
                    out.extend(desk.handle_tick(at))
                out.extend(desk.handle_weather(region, weather))
                return out
            return Record(at, apply_weather)
        if "tip" in step:
            tip = dict(step["tip"])
            name = tip.pop("as", None)
            where = {} if "address" in tip and "place" not in tip else self._where(tip)
            tip = {"tip_id": f"tip-{self.n}", "channel": "hotline", "text": "", **where, **tip}
            report = tip_report(parse_tip(tip, ctx), ctx)
            return Record(report.at, lambda desk: desk.handle_report(report), report.report_id, name)
        if "detection" in step:
            det = dict(step["detection"])
            name = det.pop("as", None)
            det = {"detection_id": f"det-{self.n}", "camera_id": "cam-1", "bbox": [10, 10, 8, 20], **self._where(det), **det}
            found = detection_report(parse_detection(det, ctx), ctx)
            return Record(found.at, lambda desk: desk.handle_report(found), found.report_id, name)
        if "tick" in step:
            at = datetime.fromisoformat(step["tick"])
            return Record(at, lambda desk: desk.handle_tick(at))
        return self._ack(step["ack"])

    def _ack(self, ack: dict[str, Any]) -> Record:
        """A team's answer to the task it holds now (resolved once: a redelivery names the same task)."""
        incident = self.desk.incidents[self.incident(ack.get("of"))]
        at = datetime.fromisoformat(ack["at"])
        event_id, team_id = str(incident.task_event_id), str(incident.team_id)
        if "unit" in ack:  # a support unit's answer to its own task
            unit = next(s for s in incident.supports if s["team_id"] == ack["unit"] and s["status"] != "released")
            event_id, team_id = unit["event_id"], unit["team_id"]
        if "task" in ack:  # the task a team held earlier, kept by name (`keep`) when it was answered
            event_id, team_id = self.tasks[ack["task"]]
        if "keep" in ack:
            self.tasks[ack["keep"]] = (event_id, team_id)
        answer = TaskAck(event_id=event_id, team_id=team_id, status=ack["status"], at=at, outcome=ack.get("outcome"))
        return Record(at, lambda desk: desk.handle_ack(answer))

    @staticmethod
    def _where(record: dict[str, Any]) -> dict[str, float]:
        """lat/lon of the record's place, moved `east_m`/`north_m` metres (popped from the record)."""
        lat, lon = PLACES[record.pop("place", "ng_plain")]
        east, north = record.pop("east_m", 0.0), record.pop("north_m", 0.0)
        if east or north:
            lat, lon = offset_latlon(lat, lon, east, north)
        return {"lat": lat, "lon": lon}

    def _report(self, report_id: str, name: str | None) -> None:
        joined = self.desk.seen[report_id][1]
        if self.incident_id is None:
            self.incident_id = joined
        if name is not None:
            self.names[name] = joined

    def incident(self, name: str | None) -> str:
        """The incident a report named `name` went into; the case's (its first report's) without a name."""
        found = self.names[name] if name is not None else self.incident_id
        assert found is not None
        return found

    def events(self, out: Outputs, name: str | None = None) -> list[DispatchEvent]:
        incident_id = self.incident(name)
        return [e for e in out.events if e.incident_id == incident_id]

    def name_of(self, incident_id: str) -> str:
        return next((n for n, i in self.names.items() if i == incident_id), incident_id)


EVENT_KEYS = {"kind", "category", "priority", "rules", "no_rules", "notify", "needs", "escalate_to", "team", "ack_min",
              "eta", "candidates", "unit_team", "units", "destination", "queue_age_min", "sources", "merged_into", "reason_has"}
INCIDENT_KEYS = {"queue_min", "followup_h", "status", "incident_priority", "partner_notices"}


def check(run: Run, at: datetime, out: Outputs, expect: dict[str, Any]) -> None:
    """The step's outputs and the desk after it, against `expect` (the incident is looked up only when asked of)."""
    wanted = EVENT_KEYS & set(expect)
    events = run.events(out, expect.get("of")) if wanted or {"kinds", "has_kinds"} & set(expect) else []
    if "kinds" in expect:
        assert [e.kind for e in events] == expect["kinds"]
    for kind in expect.get("has_kinds", []):
        assert kind in [e.kind for e in events], (kind, [e.kind for e in events])
    for kind, n in expect.get("count", {}).items():  # events of that kind in the step, any incident
        assert sum(1 for e in out.events if e.kind == kind) == n, (kind, [e.kind for e in out.events])
    if "any_event" in expect:  # some event of the step, any incident, has these
        want = expect["any_event"]
        assert any(e.kind == want["kind"] and e.priority == want.get("priority", e.priority)
                   and e.team_id == want.get("team", e.team_id) for e in out.events), [(e.kind, e.priority, e.team_id) for e in out.events]
    if wanted:
        if "pick" in expect:  # the last event of that kind instead of the last one
            events = [e for e in events if e.kind == expect["pick"]]
        assert events, "no event of the incident"
        last = events[-1]
        check_event(run, at, last, expect)
    if INCIDENT_KEYS & set(expect):
        check_incident(run.desk.incidents[run.incident(expect.get("of"))], at, expect)
    if "tasks" in expect:  # every task of the step, to any team: [kind, team]
        assert [[t.kind, t.team_id] for t in out.tasks] == expect["tasks"]
    if "dispatched" in expect:  # the incidents given a team by the step, in order
        assert [run.name_of(e.incident_id) for e in out.events if e.kind == "dispatch"] == expect["dispatched"]
    if "open" in expect:  # open incidents on the desk
        assert sum(1 for i in run.desk.incidents.values() if i.is_open) == expect["open"]
    for team_id in expect.get("free", []):
        assert run.desk.teams[team_id].free, (team_id, run.desk.teams[team_id])
    for team_id in expect.get("busy", []):
        assert not run.desk.teams[team_id].free, team_id


def check_incident(incident: Any, at: datetime, expect: dict[str, Any]) -> None:
    """The incident after the step: its queue deadline, follow-up, status, priority and partner notices."""
    if "queue_min" in expect:
        assert _minutes(incident.queue_deadline, at) == pytest.approx(expect["queue_min"])
    if "followup_h" in expect:
        followup = _minutes(incident.followup_at, at)
        assert followup is not None and followup / 60.0 == pytest.approx(expect["followup_h"])
    if "status" in expect:
        assert incident.status == expect["status"]
    if "incident_priority" in expect:
        assert incident.priority == expect["incident_priority"]
    if "partner_notices" in expect:
        assert sorted(incident.partner_notices) == sorted(expect["partner_notices"])


def check_event(run: Run, at: datetime, last: DispatchEvent, expect: dict[str, Any]) -> None:
    for key in ("kind", "category", "priority", "escalate_to"):
        if key in expect:
            assert getattr(last, key) == expect[key], (key, last.rules, last.reason)
    if "team" in expect:
        assert last.team_id == expect["team"], (last.team_id, last.reason)
    if "unit_team" in expect:  # the unit the event speaks of (a support event's support unit)
        assert last.unit_team_id == expect["unit_team"]
    if "notify" in expect:
        assert sorted(last.notify) == sorted(expect["notify"])
    if "needs" in expect:
        assert sorted(run.desk.incidents[last.incident_id].needs) == sorted(expect["needs"])
    for rule in expect.get("rules", []):
        assert rule in last.rules, (rule, last.rules)
    for rule in expect.get("no_rules", []):
        assert rule not in last.rules, (rule, last.rules)
    if "ack_min" in expect:
        assert _minutes(last.ack_deadline, at) == pytest.approx(expect["ack_min"])
    if "eta" in expect:
        assert last.eta_min == pytest.approx(expect["eta"], abs=0.01), last.reason
    if "candidates" in expect:  # [[team, eta], ...]
        assert [c["team_id"] for c in last.candidates] == [c[0] for c in expect["candidates"]]
        assert [c["eta_min"] for c in last.candidates] == pytest.approx([c[1] for c in expect["candidates"]], abs=0.01)
    if "units" in expect:  # the units still on the incident: [[team, role], ...], lead first
        assert [[u["team_id"], u["role"]] for u in last.assignments if u["status"] != "released"] == expect["units"]
    if "destination" in expect:  # a help point id, "" for none
        assert (last.destination.id if last.destination else "") == expect["destination"]
    if "queue_age_min" in expect:
        assert _minutes(at, last.queued_since or at) == pytest.approx(expect["queue_age_min"])
    if "sources" in expect:
        assert len(last.sources) == expect["sources"]
    if "merged_into" in expect:
        assert last.merged_into == run.incident(expect["merged_into"])
    if "reason_has" in expect:
        assert expect["reason_has"] in (last.reason or ""), last.reason
