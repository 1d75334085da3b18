"""An audit of the desk's decisions against DOMAIN.md's rules: `desk_audit.toml`.

Each case names the rule it checks and the decision DOMAIN.md asks for,
written before the case was first run. Its records go through the real
intake (`parse_tip`, `parse_detection`, `parse_weather`) and the real Desk,
one step at a time, so category, priority, the rules named on the event,
partner notices, deadlines, escalations and follow-ups are the product's.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.records import DispatchEvent, TaskAck, WeatherWarning
from rules.context import Context
from rules.desk import Desk, Outputs
from rules.intake import detection_report, parse_detection, parse_tip, parse_weather, tip_report
from tests.unit.rules.deskkit import team

CASES: list[dict[str, Any]] = tomllib.loads((Path(__file__).parent / "desk_audit.toml").read_text(encoding="utf-8"))["case"]
PLACES = {
    "station": (45.7600, 126.6300),  # nangang, key area: the railway station square
    "ng_plain": (45.7600, 126.64289),  # nangang, no key area
    "daoli": (45.7600, 126.60422),  # daoli, no key area
    "daowai": (45.76899, 126.64289),  # daowai, no key area
}


def _minutes(later: datetime | None, at: datetime) -> float | None:
    return None if later is None else (later - at).total_seconds() / 60.0


class Run:
    """One case on a fresh desk: the incident of its first report, and the time of each step."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.desk = Desk(ctx, "harbin")
        self.incident_id: str | None = None
        self.n = 0

    def step(self, step: dict[str, Any]) -> tuple[datetime, Outputs]:
        self.n += 1
        ctx, desk = self.ctx, self.desk
        if "team" in step:
            t = step["team"]
            at = datetime.fromisoformat(t["at"])
            return at, team(desk, t["id"], t["east_m"], tuple(t.get("caps", ["social_work"])), at=at, status=t.get("status", "available"))
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
            lat, lon = PLACES[tip.pop("place", "ng_plain")]
            tip = {"tip_id": f"tip-{self.n}", "channel": "hotline", "text": "", "lat": lat, "lon": lon, **tip}
            report = tip_report(parse_tip(tip, ctx), ctx)
            return self._report(report.at, desk.handle_report(report))
        if "detection" in step:
            det = dict(step["detection"])
            lat, lon = PLACES[det.pop("place", "ng_plain")]
            det = {"detection_id": f"det-{self.n}", "camera_id": "cam-1", "bbox": [10, 10, 8, 20], "lat": lat, "lon": lon, **det}
            report = detection_report(parse_detection(det, ctx), ctx)
            return self._report(report.at, desk.handle_report(report))
        if "tick" in step:
            at = datetime.fromisoformat(step["tick"])
            return at, desk.handle_tick(at)
        ack = step["ack"]
        assert self.incident_id is not None
        incident = desk.incidents[self.incident_id]
        at = datetime.fromisoformat(ack["at"])
        return at, desk.handle_ack(TaskAck(event_id=str(incident.task_event_id), team_id=str(incident.team_id), status=ack["status"],
                                           at=at, outcome=ack.get("outcome")))

    def _report(self, at: datetime, out: Outputs) -> tuple[datetime, Outputs]:
        if self.incident_id is None:
            self.incident_id = out.events[0].incident_id
        return at, out

    def events(self, out: Outputs) -> list[DispatchEvent]:
        return [e for e in out.events if e.incident_id == self.incident_id]


def check(run: Run, at: datetime, out: Outputs, expect: dict[str, Any]) -> None:
    events = run.events(out)
    if "kinds" in expect:
        assert [e.kind for e in events] == expect["kinds"]
    wanted = {"kind", "category", "priority", "rules", "no_rules", "notify", "needs", "escalate_to", "team", "ack_min"}
    if wanted & set(expect):
        assert events, "no event of the incident"
        last = events[-1]
        for key in ("kind", "category", "priority", "escalate_to"):
            if key in expect:
                assert getattr(last, key) == expect[key], (key, last.rules)
        if "team" in expect:
            assert last.team_id == expect["team"]
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
    assert run.incident_id is not None
    incident = run.desk.incidents[run.incident_id]
    if "queue_min" in expect:
        assert _minutes(incident.queue_deadline, at) == pytest.approx(expect["queue_min"])
    if "followup_h" in expect:
        followup = _minutes(incident.followup_at, at)
        assert followup is not None and followup / 60.0 == pytest.approx(expect["followup_h"])
    if "status" in expect:
        assert incident.status == expect["status"]


def test_audit_covers_the_rules() -> None:
    assert len(CASES) >= 60
    assert len({c["id"] for c in CASES}) == len(CASES), "each case id once"


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES])
def test_desk_decides_as_the_domain_says(case: dict[str, Any], ctx: Context) -> None:
    run = Run(ctx)
    for step in case["step"]:
        at, out = run.step(step)
        if "expect" in step:
            check(run, at, out, step["expect"])
