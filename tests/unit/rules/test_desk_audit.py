"""An audit of the desk's decisions against DOMAIN.md's rules: `desk_audit.toml`.

Each case names the rule it checks and the decision DOMAIN.md asks for,
written before the case was first run. Its records go through the real
intake (`parse_tip`, `parse_detection`, `parse_weather`) and the real Desk,
one step at a time, so category, priority, the rules named on the event,
partner notices, deadlines, escalations and follow-ups are the product's.
`desk_audit2.toml` audits dispatch under pressure the same way: lead and
support units, ETAs and candidates, the queue, diversion, unit timers, the
order of the queue, matching and merging, and destinations.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.records import DispatchEvent, TaskAck, WeatherWarning
from geo.distance import offset_latlon
from rules.context import Context
from rules.desk import Desk, Outputs
from rules.intake import detection_report, parse_detection, parse_tip, parse_weather, tip_report
from tests.unit.rules.deskkit import team

FILES = ("desk_audit.toml", "desk_audit2.toml")
CASES: dict[str, list[dict[str, Any]]] = {
    name: tomllib.loads((Path(__file__).parent / name).read_text(encoding="utf-8"))["case"] for name in FILES
}
PLACES = {
    "station": (45.7600, 126.6300),  # nangang, key area: the railway station square
    "ng_plain": (45.7600, 126.64289),  # nangang, no key area
    "daoli": (45.7600, 126.60422),  # daoli, no key area
    "daowai": (45.76899, 126.64289),  # daowai, no key area
    "sun_island": (45.7960, 126.6010),  # songbei, by the Sun Island warm-up site (open 17:00-09:00)
    "flood_tower": (45.7792, 126.6178),  # the Flood Control Monument (an address of extent 40 m)
}


def _minutes(later: datetime | None, at: datetime) -> float | None:
    return None if later is None else (later - at).total_seconds() / 60.0


class Run:
    """One case on a fresh desk: the incident of its first report, and the time of each step."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.desk = Desk(ctx, "harbin")
        self.incident_id: str | None = None
        self.names: dict[str, str] = {}  # a report's `as` -> the incident it went into
        self.n = 0

    def step(self, step: dict[str, Any]) -> tuple[datetime, Outputs]:
        self.n += 1
        ctx, desk = self.ctx, self.desk
        if "team" in step:
            t = step["team"]
            at = datetime.fromisoformat(t["at"])
            return at, team(desk, t["id"], t["east_m"], tuple(t.get("caps", ["social_work"])), at=at, status=t.get("status", "available"),
                            north_m=t.get("north_m", 0.0))
        if "weather" in step:
            region, record = parse_weather(step["weather"], ctx)
            at = record.issued_at if isinstance(record, WeatherWarning) else record.observed_at
            out = Outputs()
            if desk.tick is None or at > desk.tick:  # the clock runs on: observations of the days before come on their day
                out.extend(desk.handle_tick(at))
            out.extend(desk.handle_weather(region, record))
            return at, out
        if "tip" in step:
            tip = dict(step["tip"])
            name = tip.pop("as", None)
            where = {} if "address" in tip and "place" not in tip else self._where(tip)
            tip = {"tip_id": f"tip-{self.n}", "channel": "hotline", "text": "", **where, **tip}
            report = tip_report(parse_tip(tip, ctx), ctx)
            return self._report(report.at, desk.handle_report(report), report.report_id, name)
        if "detection" in step:
            det = dict(step["detection"])
            name = det.pop("as", None)
            det = {"detection_id": f"det-{self.n}", "camera_id": "cam-1", "bbox": [10, 10, 8, 20], **self._where(det), **det}
            report = detection_report(parse_detection(det, ctx), ctx)
            return self._report(report.at, desk.handle_report(report), report.report_id, name)
        if "tick" in step:
            at = datetime.fromisoformat(step["tick"])
            return at, desk.handle_tick(at)
        ack = step["ack"]
        incident = desk.incidents[self.incident(ack.get("of"))]
        at = datetime.fromisoformat(ack["at"])
        event_id, team_id = str(incident.task_event_id), str(incident.team_id)
        if "unit" in ack:  # a support unit's answer to its own task
            unit = next(s for s in incident.supports if s["team_id"] == ack["unit"] and s["status"] != "released")
            event_id, team_id = unit["event_id"], unit["team_id"]
        return at, desk.handle_ack(TaskAck(event_id=event_id, team_id=team_id, status=ack["status"], at=at, outcome=ack.get("outcome")))

    @staticmethod
    def _where(record: dict[str, Any]) -> dict[str, float]:
        """lat/lon of the record's place, moved `east_m`/`north_m` metres (popped from the record)."""
        lat, lon = PLACES[record.pop("place", "ng_plain")]
        east, north = record.pop("east_m", 0.0), record.pop("north_m", 0.0)
        if east or north:
            lat, lon = offset_latlon(lat, lon, east, north)
        return {"lat": lat, "lon": lon}

    def _report(self, at: datetime, out: Outputs, report_id: str, name: str | None) -> tuple[datetime, Outputs]:
        joined = self.desk.seen[report_id][1]
        if self.incident_id is None:
            self.incident_id = joined
        if name is not None:
            self.names[name] = joined
        return at, out

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


def check(run: Run, at: datetime, out: Outputs, expect: dict[str, Any]) -> None:
    events = run.events(out, expect.get("of"))
    if "kinds" in expect:
        assert [e.kind for e in events] == expect["kinds"]
    wanted = {"kind", "category", "priority", "rules", "no_rules", "notify", "needs", "escalate_to", "team", "ack_min",
              "eta", "candidates", "unit_team", "units", "destination", "queue_age_min", "sources", "merged_into", "reason_has"}
    if wanted & set(expect):
        if "pick" in expect:  # the last event of that kind instead of the last one
            events = [e for e in events if e.kind == expect["pick"]]
        assert events, "no event of the incident"
        last = events[-1]
        check_event(run, at, last, expect)
    incident = run.desk.incidents[run.incident(expect.get("of"))]
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


@pytest.mark.parametrize("name", FILES)
def test_audit_covers_the_rules(name: str) -> None:
    assert len(CASES[name]) >= 50
    ids = [c["id"] for cases in CASES.values() for c in cases]
    assert len(set(ids)) == len(ids), "each case id once, over both files"


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for name in FILES for c in CASES[name]])
def test_desk_decides_as_the_domain_says(case: dict[str, Any], ctx: Context) -> None:
    run = Run(ctx)
    for step in case["step"]:
        at, out = run.step(step)
        if "expect" in step:
            check(run, at, out, step["expect"])
