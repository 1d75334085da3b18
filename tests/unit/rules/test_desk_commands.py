"""Operators in control: the desk applies or refuses operators' and teams' commands (rules.desk.commands), no broker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from core.errors import RecordError
from core.records import CommandResult, OperatorCommand, Report, TaskAck
from rules.context import Context
from rules.desk import Desk, Incident, Outputs, commands
from rules.intake import parse_command
from tests.unit.rules.deskkit import EVENING, team

LATER = EVENING + timedelta(minutes=2)


def command(kind: str, incident_id: str, n: int = 1, **kw: Any) -> OperatorCommand:
    return OperatorCommand(command_id=f"cmd-{n}", kind=kind, incident_id=incident_id, at=LATER, by="alice", **kw)


def answer(out: Outputs) -> CommandResult:
    assert len(out.results) == 1
    return out.results[0]


def test_operator_overrides_the_lead_from_the_shortlist(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "near", 300)
    team(desk, "far", 2000)
    first = desk.handle_report(report()).events[0]
    assert first.team_id == "near" and [c["team_id"] for c in first.candidates] == ["far"]
    out = commands.handle(desk, command("assign", first.incident_id, team_id="far", reason="near team has no interpreter"))
    result = answer(out)
    assert result.status == "applied" and result.by == "alice" and result.centre == "harbin"
    event = out.events[0]
    assert event.kind == "dispatch" and event.team_id == "far" and "operator:assign" in event.rules
    assert "operator alice" in (event.reason or "") and "interpreter" in (event.reason or "")
    assert [(t.team_id, t.kind) for t in out.tasks] == [("near", "cancel"), ("far", "assign")]
    assert desk.teams["near"].free and desk.teams["far"].incident_id == first.incident_id
    assert result.event_ids == (event.event_id,)
    # The new lead's ack is accepted under the event the override created.
    acked = desk.handle_ack(TaskAck(event_id=event.event_id, team_id="far", status="accepted", at=LATER))
    assert acked.events[0].status == "accepted"


@pytest.mark.parametrize(("team_id", "caps", "status", "code"), [
    ("ghost", None, "available", "unknown_team"),
    ("walker", ("social_work",), "available", "lacks_capability"),
    ("gone", ("medical", "vehicle"), "off_duty", "team_unavailable"),
    ("resting", ("medical", "vehicle"), "break", "team_unavailable"),
])
def test_assign_refusals_write_nothing_but_an_answer(desk: Desk, report: Callable[..., Report], team_id: str,
                                                     caps: tuple[str, ...] | None, status: str, code: str) -> None:
    team(desk, "medic", 300, ("medical", "vehicle"))
    if caps is not None:
        team(desk, team_id, 500, caps, status=status)
    first = desk.handle_report(report(flags=("unresponsive",))).events[0]  # needs medical
    desk.take_dirty()
    out = commands.handle(desk, command("assign", first.incident_id, team_id=team_id))
    assert out.events == [] and out.tasks == []
    result = answer(out)
    assert (result.status, result.error, result.centre) == ("rejected", code, "harbin")
    assert desk.incidents[first.incident_id].team_id == "medic"


def test_unknown_and_closed_incidents_are_refused(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "t", 300)
    first = desk.handle_report(report()).events[0]
    assert answer(commands.handle(desk, command("priority", "inc-nope", priority="P1", reason="x"))).error == "unknown_incident"
    desk.handle_ack(TaskAck(event_id=first.event_id, team_id="t", status="resolved", outcome="false_alarm", at=LATER))
    result = answer(commands.handle(desk, command("priority", first.incident_id, priority="P1", reason="x")))
    assert result.status == "rejected" and result.error == "closed"


def test_operator_adds_a_support_unit(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "lead", 300)
    team(desk, "helper", 900, ("police",))
    first = desk.handle_report(report()).events[0]
    out = commands.handle(desk, command("support", first.incident_id, team_id="helper", reason="crowd gathering"))
    assert answer(out).status == "applied"
    event = out.events[0]
    assert event.kind == "support" and event.unit_team_id == "helper" and "operator:support" in event.rules
    assert [(t.team_id, t.kind, t.unit_role) for t in out.tasks] == [("helper", "assign", "support")]
    again = commands.handle(desk, command("support", first.incident_id, 2, team_id="helper"))
    assert answer(again).error == "unchanged"


def test_operator_merges_two_incidents_and_the_other_team_is_released(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "a", 100)
    team(desk, "b", 4000)
    one = desk.handle_report(report()).events[0]
    two = desk.handle_report(report(east_m=3000, flags=("elderly",))).events[0]
    assert one.incident_id != two.incident_id and two.team_id == "b"
    out = commands.handle(desk, command("merge", one.incident_id, other_incident_id=two.incident_id, reason="same man, caller confused"))
    assert answer(out).status == "applied"
    merged = next(e for e in out.events if e.incident_id == two.incident_id)
    survivor = next(e for e in out.events if e.incident_id == one.incident_id)
    assert merged.kind == "merged" and merged.merged_into == one.incident_id and "operator alice" in (merged.reason or "")
    assert set(survivor.sources) == {"tip-1", "tip-2"} and "elderly" in survivor.flags and "operator:merge" in survivor.rules
    assert ("b", "cancel") in [(t.team_id, t.kind) for t in out.tasks] and desk.teams["b"].free
    assert answer(commands.handle(desk, command("merge", one.incident_id, 2, other_incident_id=two.incident_id))).error == "closed"
    assert answer(commands.handle(desk, command("merge", one.incident_id, 3, other_incident_id=one.incident_id))).error == "same_incident"


def test_a_team_an_operator_frees_takes_the_queued_task_at_once(desk: Desk, report: Callable[..., Report]) -> None:
    # Both teams busy, a third person waits in the queue; the operator's merge frees team b, which takes that person's
    # task with the command, not at the next clock tick.
    team(desk, "a", 100)
    team(desk, "b", 4000)
    one = desk.handle_report(report()).events[0]
    two = desk.handle_report(report(east_m=3000)).events[0]
    waiting = desk.handle_report(report(east_m=-3000, flags=("elderly",))).events[0]
    assert waiting.team_id is None and desk.incidents[waiting.incident_id].status == "queued"
    out = commands.handle(desk, command("merge", one.incident_id, other_incident_id=two.incident_id))
    assert answer(out).status == "applied"
    assert [(t.team_id, t.kind, t.incident_id) for t in out.tasks if t.kind == "assign"] == [("b", "assign", waiting.incident_id)]
    assert desk.teams["b"].incident_id == waiting.incident_id and desk.incidents[waiting.incident_id].status == "assigned"


def test_operator_splits_a_wrongly_merged_report_into_its_own_dispatched_incident(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "a", 100)
    team(desk, "b", 900)
    one = desk.handle_report(report()).events[0]
    desk.handle_report(report(at=EVENING + timedelta(minutes=1), east_m=50))
    assert desk.incidents[one.incident_id].reports == ["tip-1", "tip-2"]
    out = commands.handle(desk, command("split", one.incident_id, report_id="tip-2", add_flags=("minor",), reason="second caller saw a boy"))
    assert answer(out).status == "applied"
    update, opened = out.events[0], out.events[1]
    assert update.incident_id == one.incident_id and update.sources == ("tip-1",) and "operator:split" in update.rules
    assert opened.kind == "dispatch" and opened.sources == ("tip-2",) and opened.team_id == "b" and "minor" in opened.flags
    assert desk.seen["tip-2"][1] == opened.incident_id
    # The split is deterministic: the same command on the same state opens the same incident.
    assert opened.incident_id.startswith("inc-")
    only = commands.handle(desk, command("split", one.incident_id, 2, report_id="tip-1"))
    assert answer(only).error == "only_report"
    assert answer(commands.handle(desk, command("split", one.incident_id, 3, report_id="tip-9"))).error == "unknown_report"


def test_operator_priority_holds_over_reassessment_and_is_the_operators_rule(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "t", 300)
    first = desk.handle_report(report()).events[0]
    assert first.priority != "P1"
    out = commands.handle(desk, command("priority", first.incident_id, priority="P1", reason="caller says he is not moving"))
    event = out.events[0]
    assert event.priority == "P1" and "operator:alice" in event.rules and "raised" in (event.reason or "")
    # A new report reassesses; the operator's priority stands.
    later = desk.handle_report(report(at=LATER + timedelta(minutes=1), east_m=20)).events[0]
    assert later.incident_id == first.incident_id and later.priority == "P1" and "operator:alice" in later.rules
    # The operator's priority survives a restart (the changelogged state round trip).
    stored = Incident.from_dict(desk.incidents[first.incident_id].to_dict())
    assert stored.override == {"priority": "P1", "by": "alice", "reason": "caller says he is not moving"}
    lowered = commands.handle(desk, command("priority", first.incident_id, 2, priority="P4", reason="false alarm, he is a guard"))
    assert lowered.events[0].priority == "P4" and "lowered" in (lowered.events[0].reason or "")


def test_team_on_scene_adds_flags_and_the_desk_reassesses_without_demoting_the_unattended(desk: Desk, report: Callable[..., Report]) -> None:
    team(desk, "t", 300, ("social_work", "medical"))
    first = desk.handle_report(report(flags=("injured",))).events[0]
    before = first.priority
    out = commands.handle(desk, command("assess", first.incident_id, by_team="t", add_flags=("minor", "no_id"), persons=2))
    event = out.events[0]
    assert answer(out).status == "applied" and "team_assessment" in event.rules
    assert {"minor", "no_id", "injured"} <= set(event.flags) and event.persons == 2
    assert "+minor" in (event.reason or "") and "team t" in (event.reason or "")
    # Not yet on scene: removing the injury never lowers the priority.
    removed = commands.handle(desk, command("assess", first.incident_id, 2, by_team="t", remove_flags=("injured", "minor")))
    assert removed.events[0].priority == before == "P1" and "no_demotion" in removed.events[0].rules
    assert removed.events[0].category != first.category  # the category follows what the team found
    # Another team may not correct this incident; nothing new is refused as unchanged.
    assert answer(commands.handle(desk, command("assess", first.incident_id, 3, by_team="x", add_flags=("ill",)))).error == "not_your_incident"
    assert answer(commands.handle(desk, command("assess", first.incident_id, 4, by_team="t", add_flags=("no_id",)))).error == "unchanged"


def test_parse_command_refuses_malformed_orders(ctx: Context) -> None:
    base = {"command_id": "c-1", "incident_id": "inc-1", "at": LATER.isoformat(), "by": "alice"}
    ok = parse_command({**base, "kind": "priority", "priority": "p2", "reason": "seen"}, ctx)
    assert ok.priority == "P2"
    cases: list[tuple[dict[str, Any], str]] = [({"kind": "teleport"}, "unknown_command"), ({"kind": "assign"}, "missing_field"),
                      ({"kind": "priority", "priority": "P1"}, "missing_field"), ({"kind": "assess", "add_flags": ["dragon"]}, "unknown_flag"),
                      ({"kind": "assess"}, "missing_field"), ({"kind": "merge", "other_incident_id": "x", "by_team": "t"}, "forbidden")]
    for bad, kind in cases:
        with pytest.raises(RecordError) as err:
            parse_command({**base, **bad}, ctx)
        assert err.value.kind == kind


@pytest.mark.parametrize("kind", ["assign", "support"])
def test_a_command_is_stored_so_a_restart_does_not_reissue_its_event_ids(desk: Desk, report: Callable[..., Report], kind: str) -> None:
    team(desk, "near", 300)
    team(desk, "far", 2000, ("police",))
    first = desk.handle_report(report()).events[0]
    stored = dict(desk.take_dirty())
    applied = commands.handle(desk, command(kind, first.incident_id, team_id="far"))
    assert answer(applied).status == "applied"
    stored.update(desk.take_dirty())
    restarted = Desk(desk.ctx, desk.centre)
    restarted.load_entries(stored.items())
    assert restarted.to_dict() == desk.to_dict()
    # The next decision on the incident gets the next id, on the restarted desk as on the live one.
    ack = TaskAck(event_id=applied.events[0].event_id, team_id="far", status="accepted", at=LATER)
    assert [e.to_dict() for e in restarted.handle_ack(ack).events] == [e.to_dict() for e in desk.handle_ack(ack).events]


def test_a_teams_assessment_made_before_it_was_given_the_task_again_changes_nothing(desk: Desk, report: Callable[..., Report]) -> None:
    """As an ack made before a newer task was given: the team's offline assessment of its earlier task (the person it
    found then) arrived after the incident was moved away and back, and rewrote what the newer task is about."""
    team(desk, "a", 300)
    team(desk, "b", 900)
    first = desk.handle_report(report()).events[0]
    assert first.team_id == "a"
    made = LATER  # on the phone, queued offline while "a" held the first task
    moved = commands.handle(desk, OperatorCommand(command_id="m1", kind="assign", incident_id=first.incident_id, at=LATER + timedelta(minutes=1),
                                                  by="alice", team_id="b"))
    assert moved.events[0].team_id == "b"
    back = commands.handle(desk, OperatorCommand(command_id="m2", kind="assign", incident_id=first.incident_id, at=LATER + timedelta(minutes=3),
                                                 by="alice", team_id="a"))
    assert back.events[0].team_id == "a"
    stale = OperatorCommand(command_id="late", kind="assess", incident_id=first.incident_id, at=made, by="a-phone", by_team="a",
                            add_flags=("unresponsive",), persons=3)
    desk.take_dirty()
    out = commands.handle(desk, stale)
    result = answer(out)
    assert (result.status, result.error) == ("rejected", "task_superseded") and "before" in result.reason
    assert out.events == [] and "unresponsive" not in desk.incidents[first.incident_id].flags
    assert desk.incidents[first.incident_id].persons != 3
    # The same assessment made since the task came back is the team's word on it.
    fresh = OperatorCommand(command_id="now", kind="assess", incident_id=first.incident_id, at=LATER + timedelta(minutes=4), by="a-phone",
                            by_team="a", add_flags=("unresponsive",))
    assert answer(commands.handle(desk, fresh)).status == "applied"
    assert "unresponsive" in desk.incidents[first.incident_id].flags


def test_a_teams_assessment_naming_a_task_it_no_longer_holds_changes_nothing(desk: Desk, report: Callable[..., Report], ctx: Context) -> None:
    """The phone sends the task's event id with the assessment: one made for the team's earlier task of the incident is
    refused whatever its time (a phone's clock may be behind or ahead); one naming the task held now, or naming none
    (older records: the time check), is applied."""
    team(desk, "a", 300)
    team(desk, "b", 900)
    first = desk.handle_report(report()).events[0]
    commands.handle(desk, OperatorCommand(command_id="m1", kind="assign", incident_id=first.incident_id, at=LATER, by="alice", team_id="b"))
    back = commands.handle(desk, OperatorCommand(command_id="m2", kind="assign", incident_id=first.incident_id,
                                                 at=LATER + timedelta(minutes=1), by="alice", team_id="a"))
    now = back.events[0]
    assert now.team_id == "a" and now.event_id != first.event_id
    body = {"command_id": "old", "kind": "assess", "incident_id": first.incident_id, "at": (LATER + timedelta(minutes=5)).isoformat(),
            "by": "a-phone", "by_team": "a", "add_flags": ["unresponsive"], "event_id": first.event_id}
    result = answer(commands.handle(desk, parse_command(body, ctx)))
    assert (result.status, result.error) == ("rejected", "task_superseded") and first.event_id in result.reason
    assert "unresponsive" not in desk.incidents[first.incident_id].flags
    assert answer(commands.handle(desk, parse_command({**body, "command_id": "cur", "event_id": now.event_id}, ctx))).status == "applied"
    no_id = {k: v for k, v in body.items() if k != "event_id"}
    assert answer(commands.handle(desk, parse_command({**no_id, "command_id": "none", "add_flags": ["injured"]}, ctx))).status == "applied"
