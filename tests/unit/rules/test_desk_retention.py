"""Forgetting closed incidents (`rules.desk.retention`): after the policy's retention in event time, with their ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.errors import RecordError
from core.records import OperatorCommand, Report, TaskAck
from rules.context import Context
from rules.desk import Desk, commands
from rules.desk.retention import closed_since, expired
from tests.unit.rules.deskkit import EVENING, team

DAY = timedelta(hours=24)


def _resolved(desk: Desk, report: Callable[..., Report], outcome: str = "taken_to_station", **kw: Any) -> tuple[Report, str, str]:
    """A report dispatched, accepted and resolved 20 minutes later: (report, incident id, task event id)."""
    tip = report(**kw)
    event = desk.handle_report(tip).events[0]
    assert event.team_id is not None
    at = tip.at + timedelta(minutes=20)
    desk.handle_ack(TaskAck(event_id=event.event_id, team_id=event.team_id, status="accepted", at=at - timedelta(minutes=10)))
    desk.handle_ack(TaskAck(event_id=event.event_id, team_id=event.team_id, status="resolved", outcome=outcome, at=at))
    return tip, event.incident_id, event.event_id


def _table(desk: Desk, table: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the agent's table holds after writing the desk's changes (None deletes the key)."""
    table = {} if table is None else table
    for key, value in desk.take_dirty():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return table


def test_a_resolved_incident_is_forgotten_after_the_retention_with_its_ids(desk: Desk, report: Callable[..., Report], ctx: Context) -> None:
    team(desk, "near", 300)
    tip, incident_id, event_id = _resolved(desk, report)
    table = _table(desk)
    assert f"incidents|{incident_id}" in table and f"seen|{tip.report_id}" in table and f"event_index|{event_id}" in table
    closed = EVENING + timedelta(minutes=20)
    assert desk.incidents[incident_id].closed_at == closed
    desk.handle_tick(closed + DAY - timedelta(minutes=1))
    assert incident_id in desk.incidents, "kept until the retention has passed"
    desk.handle_tick(closed + DAY)
    assert incident_id not in desk.incidents and tip.report_id not in desk.seen and event_id not in desk.event_index
    assert incident_id not in desk.grid.cell_of and not any(incident_id in ids for ids in desk.grid.cells.values())
    table = _table(desk, table)
    assert not any(incident_id in key or tip.report_id in key for key in table), "the table entries are deleted"
    restarted = Desk(ctx, "harbin")
    restarted.load_entries(table.items())
    assert incident_id not in restarted.incidents and "near" in restarted.teams


def test_late_duplicates_are_recognised_within_the_retention_and_refused_as_stale_after(
        desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    tip, _, event_id = _resolved(desk, report)
    closed = EVENING + timedelta(minutes=20)
    desk.handle_tick(closed + timedelta(hours=23))
    assert desk.handle_report(tip).events == [], "a redelivered report is dropped as before"
    late = TaskAck(event_id=event_id, team_id="near", status="resolved", outcome="taken_to_station", at=closed + timedelta(hours=23))
    assert desk.handle_ack(late).events == [], "a late ack for the closed task changes nothing"
    desk.handle_tick(closed + DAY)
    with pytest.raises(RecordError) as stale:
        desk.handle_report(tip)
    assert stale.value.kind == "stale_time", "a copy of a forgotten report never opens a new incident"
    with pytest.raises(RecordError) as unknown:
        desk.handle_ack(replace(late, at=closed + DAY))
    assert unknown.value.kind == "unknown_task"
    assert len(desk.incidents) == 0


def test_an_incident_waiting_for_its_follow_up_is_never_forgotten(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    _, incident_id, _ = _resolved(desk, report, outcome="refused_supplies_given")
    assert desk.incidents[incident_id].status == "followup_due" and desk.incidents[incident_id].closed_at is None
    assert expired(desk.incidents.values(), desk.teams.values(), EVENING + 10 * DAY, desk.ctx.policy) == []


def test_an_open_incident_is_never_forgotten(desk: Desk, report: Callable[..., Report]) -> None:
    queued = desk.handle_report(report()).events[0]
    assert queued.kind == "queued"
    desk.handle_tick(EVENING + 3 * DAY)
    assert queued.incident_id in desk.incidents


def test_the_last_report_must_also_be_older_than_max_behind(desk: Desk, report: Callable[..., Report], ctx: Context) -> None:
    """A long retention is not needed for safety, but a short one must not forget a report a copy of which would be taken."""
    team(desk, "near", 300)
    _, incident_id, _ = _resolved(desk, report)
    incident = desk.incidents[incident_id]
    short = replace(ctx.policy, closed_retention_h=1.0, max_behind_h=30.0)
    at = EVENING + DAY + timedelta(hours=2)
    assert expired([incident], [], at, short) == [], "its report is 26 h old: a copy of it would still be admitted"
    assert expired([incident], [], EVENING + timedelta(hours=31), short) == [incident]


def test_a_merged_incident_is_forgotten_after_the_retention_and_its_survivor_kept(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "a", 100)
    team(desk, "b", 4000)
    one = desk.handle_report(report()).events[0]
    two = desk.handle_report(report(east_m=3000, flags=("elderly",))).events[0]
    at = EVENING + timedelta(minutes=2)
    merge = OperatorCommand(command_id="cmd-1", kind="merge", incident_id=one.incident_id, at=at, by="alice",
                            other_incident_id=two.incident_id, reason="same man")
    assert commands.handle(desk, merge).results[0].status == "applied"
    assert desk.incidents[two.incident_id].closed_at == at and closed_since(desk.incidents[one.incident_id]) is None
    desk.handle_tick(at + DAY)
    assert two.incident_id not in desk.incidents and one.incident_id in desk.incidents
    assert "tip-2" in desk.seen, "the survivor still holds the merged report: a copy is still recognised"


def test_state_written_before_closed_at_existed_closes_at_its_resolution(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    _, incident_id, _ = _resolved(desk, report)
    old = desk.incidents[incident_id].to_dict()
    del old["closed_at"]
    loaded = type(desk.incidents[incident_id]).from_dict(old)
    assert closed_since(loaded) == loaded.resolved_at == EVENING + timedelta(minutes=20)


def test_a_desk_of_many_closed_incidents_stays_small(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    at: datetime = EVENING
    for _ in range(200):  # one every 30 minutes for 100 hours
        _resolved(desk, report, at=at)
        at += timedelta(minutes=30)
        desk.handle_tick(at)
    assert len(desk.incidents) <= 24 * 2 + 2 and len(desk.seen) == len(desk.incidents) == len(desk.event_index)


def test_a_flood_of_reports_at_one_spot_keeps_each_event_within_a_message(desk: Desk, report: Callable[..., Report]) -> None:
    """5 000 tips with 200-character ids at one spot made each dispatch event name every one of them: over 1 MB, which
    no producer sends (the desk agent died on it at every restart), after each report cost more than the one before.
    An incident lists MAX_LISTED_REPORTS; the others are still folded in, deduplicated and forgotten with it."""
    from core.topics import MAX_MESSAGE_BYTES
    from rules.desk.matching import MAX_LISTED_REPORTS

    team(desk, "near", 300)
    flood = [report(at=EVENING + timedelta(seconds=n), report_id=f"{n:04d}" + "x" * 196) for n in range(MAX_LISTED_REPORTS + 40)]
    events = [e for tip in flood for e in desk.handle_report(tip).events]
    incident = desk.incidents[events[0].incident_id]
    assert len(desk.incidents) == 1 and len(incident.reports) == MAX_LISTED_REPORTS
    assert all(len(e.sources) <= MAX_LISTED_REPORTS for e in events)
    assert max(len(e.to_json()) for e in events) < MAX_MESSAGE_BYTES // 4
    assert incident.to_dict()["reports"] == [r.report_id for r in flood[:MAX_LISTED_REPORTS]]
    # a report past the limit still counts: a new channel, a new flag
    last = report(at=EVENING + timedelta(minutes=5), channel="police", flags=("unresponsive",))
    out = desk.handle_report(last)
    assert out.events and "unresponsive" in incident.flags and incident.priority == "P1" and "police" in incident.channels
    assert incident.independent_sources == 2
    assert desk.handle_report(last).events == [], "a redelivered unlisted report is deduplicated"
    assert desk.handle_report(flood[-1]).events == []
    event_id = incident.task_event_id
    assert event_id is not None and incident.team_id is not None
    at = EVENING + timedelta(minutes=30)
    desk.handle_ack(TaskAck(event_id=event_id, team_id=incident.team_id, status="resolved", outcome="taken_to_hospital", at=at))
    desk.handle_tick(at + DAY + timedelta(minutes=1))
    assert incident.incident_id not in desk.incidents
    assert not desk.seen, "the reports it did not list are forgotten with it"
