"""A team's acks naming an older task of an incident it holds again (written straight to task-acks: replays, simulators,
clients besides the console's phone API, which refuses them 409 task_superseded)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from core.errors import RecordError
from core.records import OPERATOR_TEAM_ID, OperatorCommand, Report, TaskAck
from rules.desk import Desk, commands
from tests.unit.rules.deskkit import EVENING, NIGHT, team


def _ack(event_id: str, status: str, minutes: float, team_id: str = "near", outcome: str | None = None) -> TaskAck:
    return TaskAck(event_id=event_id, team_id=team_id, status=status, at=EVENING + timedelta(minutes=minutes), outcome=outcome)


def _given_again(desk: Desk, report: Callable[..., Report]) -> tuple[str, str, str]:
    """Task A to "near" at 19:00, declined at 19:01, given to it again by an operator as task B at 19:02 (assigned, its
    deadline 19:32): (A, B, the incident)."""
    team(desk, "near", 300)
    task_a = desk.handle_report(report()).events[0]
    assert desk.handle_ack(_ack(task_a.event_id, "declined", 1)).events[0].kind == "queued"
    out = commands.handle(desk, OperatorCommand(command_id="cmd-1", kind="assign", incident_id=task_a.incident_id,
                                                at=EVENING + timedelta(minutes=2), by="op1", team_id="near"))
    task_b = out.events[0]
    assert (task_b.team_id, task_b.ack_deadline) == ("near", EVENING + timedelta(minutes=32)) and task_b.event_id != task_a.event_id
    return task_a.event_id, task_b.event_id, task_a.incident_id


def test_an_accept_made_for_the_older_task_before_the_newer_was_given_changes_nothing(
        desk: Desk, report: Callable[..., Report]) -> None:
    """An accept of A made at 19:00:30 (a phone's outbox, a replay, a redelivery) arriving after B was given accepted B,
    which the team may never have seen, and B's deadline no longer guarded it."""
    task_a, task_b, incident_id = _given_again(desk, report)
    desk.take_dirty()
    late = desk.handle_ack(_ack(task_a, "accepted", 0.5))
    assert late.events == [] and late.tasks == []
    incident = desk.incidents[incident_id]
    assert (incident.status, incident.acked, incident.task_event_id) == ("assigned", False, task_b)
    assert [key for key, _ in desk.take_dirty()] == [], "nothing changed (the ack is behind the desk's clock)"
    assert desk.handle_tick(EVENING + timedelta(minutes=32)).events[0].kind == "escalation", "B's deadline still runs"


def test_an_accept_of_the_older_task_made_after_the_newer_was_given_is_dead_lettered_task_superseded(
        desk: Desk, report: Callable[..., Report]) -> None:
    """Made after B was given, by a client that still shows A: the console answers it 409 task_superseded, the desk
    dead-letters it the same way. B stays unacknowledged until the team accepts B itself."""
    task_a, task_b, incident_id = _given_again(desk, report)
    desk.take_dirty()
    with pytest.raises(RecordError, match=f"its task here is now '{task_b}'") as refused:
        desk.handle_ack(_ack(task_a, "accepted", 3))
    assert refused.value.kind == "task_superseded"
    assert (desk.incidents[incident_id].status, desk.incidents[incident_id].acked) == ("assigned", False)
    assert [key for key, _ in desk.take_dirty()] == ["meta|now"]
    accepted = desk.handle_ack(_ack(task_b, "accepted", 4))
    assert (accepted.events[0].status, desk.incidents[incident_id].acked) == ("accepted", True)
    assert desk.handle_ack(_ack(task_a, "accepted", 5)).events == [], "the incident is accepted: already known"


def test_on_scene_and_resolved_made_after_the_newer_task_was_given_count_for_it(desk: Desk, report: Callable[..., Report]) -> None:
    """The team is with the person, whichever of its tasks it names: that is taken, as a former holder's is."""
    task_a, task_b, incident_id = _given_again(desk, report)
    (event,) = desk.handle_ack(_ack(task_a, "on_scene", 10)).events
    assert (event.kind, event.status, event.team_id) == ("update", "on_scene", "near")
    incident = desk.incidents[incident_id]
    assert (incident.task_event_id, incident.on_scene_at) == (task_b, EVENING + timedelta(minutes=10))
    assert desk.handle_tick(EVENING + timedelta(minutes=40)).events == [], "no escalation: the team is there"
    done = desk.handle_ack(_ack(task_a, "resolved", 41, outcome="taken_to_station"))
    assert (done.events[0].kind, done.events[0].outcome) == ("resolved", "taken_to_station")


def test_on_scene_or_resolved_made_before_the_newer_task_was_given_changes_nothing(desk: Desk, report: Callable[..., Report]) -> None:
    """A refusal left the person outside; the follow-up visit 12 h on went to the same team as task B. A redelivery of the
    first visit's acks (at least once; a replay with duplicates) accepted B, put the team on scene and closed the
    follow-up visit with the first visit's outcome, nobody going back to the person."""
    team(desk, "near", 300)
    task_a = desk.handle_report(report(flags=("refuses",))).events[0]
    first_visit = [_ack(task_a.event_id, "accepted", 1), _ack(task_a.event_id, "on_scene", 10),
                   _ack(task_a.event_id, "resolved", 20, outcome="refused_supplies_given")]
    for ack in first_visit:
        desk.handle_ack(ack)
    (follow,) = [e for e in desk.handle_tick(EVENING + timedelta(hours=12, minutes=20)).events if e.kind == "followup"]
    assert follow.team_id == "near" and follow.event_id != task_a.event_id
    desk.take_dirty()
    for ack in first_visit:
        out = desk.handle_ack(ack)
        assert out.events == [] and out.tasks == [], ack.status
    incident = desk.incidents[task_a.incident_id]
    assert (incident.status, incident.acked, incident.task_event_id) == ("assigned", False, follow.event_id)
    assert [key for key, _ in desk.take_dirty()] == []
    assert desk.handle_ack(_ack(follow.event_id, "accepted", 12 * 60 + 21)).events[0].status == "accepted"


def test_a_team_that_took_its_task_back_late_goes_on_scene_and_resolves_naming_the_task_it_knows(
        desk: Desk, report: Callable[..., Report]) -> None:
    """A team that let A's deadline pass accepted A late and took the task back as B (it never saw B: the desk made it
    from that ack). Its on scene naming A was ignored as already known, and the incident stayed accepted, en route."""
    team(desk, "near", 300)
    team(desk, "next", 900)
    desk.handle_tick(NIGHT)
    task_a = desk.handle_report(report(at=NIGHT)).events[0]
    (esc,) = desk.handle_tick(NIGHT + timedelta(minutes=15)).events
    desk.handle_ack(TaskAck(event_id=esc.event_id, team_id="next", status="declined", at=NIGHT + timedelta(minutes=16)))
    back = desk.handle_ack(TaskAck(event_id=task_a.event_id, team_id="near", status="accepted", at=NIGHT + timedelta(minutes=17)))
    task_b = back.events[0].event_id
    (event,) = desk.handle_ack(TaskAck(event_id=task_a.event_id, team_id="near", status="on_scene", at=NIGHT + timedelta(minutes=25))).events
    incident = desk.incidents[task_a.incident_id]
    assert (event.status, incident.on_scene_at, incident.task_event_id) == ("on_scene", NIGHT + timedelta(minutes=25), task_b)
    assert incident.assigned_at == NIGHT + timedelta(minutes=17), "B was given when the desk took the late accept"
    done = desk.handle_ack(TaskAck(event_id=task_a.event_id, team_id="near", status="resolved", outcome="guided_to_help_point",
                                   at=NIGHT + timedelta(minutes=40)))
    assert done.events[0].kind == "resolved"


def test_the_operators_acks_naming_the_older_task_act_as_before(desk: Desk, report: Callable[..., Report]) -> None:
    """The console's acks (team_id console) speak for the team holding the task or act on the incident, whichever of its
    tasks they name and whenever they were made."""
    task_a, task_b, incident_id = _given_again(desk, report)
    op = _ack(task_a, "accepted", 0.5, team_id=OPERATOR_TEAM_ID)
    assert desk.handle_ack(op).events[0].status == "accepted"
    assert desk.incidents[incident_id].task_event_id == task_b
    done = desk.handle_ack(_ack(task_a, "resolved", 3, team_id=OPERATOR_TEAM_ID, outcome="taken_to_station"))
    assert (done.events[0].kind, desk.incidents[incident_id].status) == ("resolved", "resolved")


def test_an_ack_naming_only_the_incident_acts_on_its_current_task_for_its_holder_only(
        desk: Desk, report: Callable[..., Report]) -> None:
    """A client that kept only the incident id (README, task-acks): an unknown event id with the incident's id is an ack
    of the task the incident has now, under the same checks; neither known is `unknown_task`."""
    team(desk, "near", 300)
    team(desk, "far", 3000)
    task = desk.handle_report(report()).events[0]
    assert task.team_id == "near"

    def named(team_id: str, incident_id: str | None) -> TaskAck:
        return TaskAck(event_id="kept-by-a-client", incident_id=incident_id, team_id=team_id, status="accepted",
                       at=EVENING + timedelta(minutes=1))

    with pytest.raises(RecordError) as other:
        desk.handle_ack(named("far", task.incident_id))
    assert other.value.kind == "wrong_team"
    with pytest.raises(RecordError) as nothing:
        desk.handle_ack(named("near", "inc-nobody"))
    assert nothing.value.kind == "unknown_task"
    accepted = desk.handle_ack(named("near", task.incident_id))
    assert (accepted.events[0].status, desk.incidents[task.incident_id].acked) == ("accepted", True)
