"""Operators in control: what the desk does with an operator's or a team's command.

The console only asks; the desk stays the one writer of incident state, so a
command is judged against the state it meets in stream order. `check_*`
functions say why a command cannot apply (an unknown incident or team, a
closed incident, a team lacking a capability...) by raising `Refused`;
`run` applies it through the desk's own steps and always answers with a
`CommandResult`: applied with the events it produced, or rejected and why.
Nothing here raises into the agent for a command that was well formed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.errors import RecordError
from core.records import PRIORITIES, CommandResult, OperatorCommand
from rules.desk.desk import Desk
from rules.desk.dispatching import Choice, eta_min
from rules.desk.model import Incident, Outputs, Team, incident_id_of


class Refused(RecordError):
    """A well-formed command the desk cannot apply; `kind` is the code the console shows."""


def _who(command: OperatorCommand) -> str:
    return f"team {command.by_team} ({command.by})" if command.by_team else f"operator {command.by}"


def _because(command: OperatorCommand) -> str:
    return f": {command.reason}" if command.reason else ""


# ------------------------------------------------------------------ checks


def open_incident(desk: Desk, incident_id: str) -> Incident:
    """The incident, if it exists and is still open."""
    incident = desk.incidents.get(incident_id)
    if incident is None:
        raise Refused(f"no incident {incident_id!r}", kind="unknown_incident")
    if not incident.is_open:
        where = f" into {incident.merged_into}" if incident.merged_into else ""
        raise Refused(f"incident {incident_id} is {incident.status}{where}", kind="closed")
    return incident


def able_team(desk: Desk, team_id: str, incident: Incident, needs: list[str]) -> Team:
    """A known team that is on duty and not on a break, not busy elsewhere, and has every capability in `needs`."""
    team = desk.teams.get(team_id)
    if team is None:
        raise Refused(f"no team {team_id!r}", kind="unknown_team")
    if team.status in ("off_duty", "unresponsive", "break"):
        raise Refused(f"team {team_id} is {team.status}", kind="team_unavailable")
    if team.incident_id is not None and team.incident_id != incident.incident_id:
        raise Refused(f"team {team_id} is busy with {team.incident_id}", kind="team_busy")
    lacking = [n for n in needs if n not in team.capabilities]
    if lacking:
        raise Refused(f"team {team_id} lacks {', '.join(lacking)}", kind="lacks_capability")
    return team


def on_incident(incident: Incident, team_id: str) -> bool:
    """Whether the team holds the lead or an active support assignment on the incident."""
    return incident.team_id == team_id or any(u["team_id"] == team_id for u in incident.active_supports())


def choice_for(desk: Desk, team: Team, incident: Incident, at: datetime) -> Choice:
    """The operator's pick as a Choice: its ETA now, the other shortlisted teams kept for the console."""
    snow = desk.region_conditions(incident.district, at).snow
    eta = round(eta_min(team, incident.lat, incident.lon, desk.ctx.policy.dispatching.eta, snow), 2)
    others = tuple((str(t), float(e)) for t, e in incident.candidates if t != team.team_id)
    return Choice(team, eta, others)


# ------------------------------------------------------------------ actions


def assign(desk: Desk, incident: Incident, command: OperatorCommand, at: datetime) -> Outputs:
    """The operator gives the lead to a team of their choice; the previous lead is told to stand down."""
    assert command.team_id is not None
    if incident.team_id == command.team_id:
        raise Refused(f"team {command.team_id} already leads {incident.incident_id}", kind="unchanged")
    if any(u["team_id"] == command.team_id for u in incident.active_supports()):
        raise Refused(f"team {command.team_id} is a support unit on {incident.incident_id}", kind="team_busy")
    team = able_team(desk, command.team_id, incident, incident.needs)
    why = f"assigned by {_who(command)}{_because(command)}"
    out = Outputs()
    previous = incident.team_id
    if previous:
        desk._release_team(incident)
        out.tasks.append(desk.task(incident, previous, "cancel", at, f"{incident.task_event_id}-cancel", reason=why))
    out.extend(desk._give(incident, choice_for(desk, team, incident, at), at, kind="dispatch", reason=why, decisions=("operator:assign",)))
    return out


def support(desk: Desk, incident: Incident, command: OperatorCommand, at: datetime) -> Outputs:
    """An extra unit the operator adds; it covers whichever support needs it can."""
    assert command.team_id is not None
    if on_incident(incident, command.team_id):
        raise Refused(f"team {command.team_id} is already on {incident.incident_id}", kind="unchanged")
    team = able_team(desk, command.team_id, incident, [])
    if not team.free:
        raise Refused(f"team {team.team_id} is {team.status}", kind="team_unavailable")
    needs = [n for n in incident.support_needs if n in team.capabilities]
    return desk._add_support(incident, choice_for(desk, team, incident, at), needs, at, reason=f"added by {_who(command)}{_because(command)}",
                             decisions=("operator:support",))


def merge(desk: Desk, incident: Incident, command: OperatorCommand, at: datetime) -> Outputs:
    """The operator says two incidents are one person: the other closes into this one."""
    assert command.other_incident_id is not None
    if command.other_incident_id == incident.incident_id:
        raise Refused("an incident cannot be merged into itself", kind="same_incident")
    other = open_incident(desk, command.other_incident_id)
    why = f"merged into {incident.incident_id} by {_who(command)}{_because(command)}"
    out = desk._merge(incident, other, at, "", why=why)
    desk.grid.index(incident)
    changed = desk._reassess(incident, at)
    out.extend(desk._emit(incident, "update", at, reason=f"{other.incident_id} merged in by {_who(command)}" + (f"; {changed}" if changed else ""),
                          decisions=("merge", "operator:merge")))
    if incident.team_id:
        out.extend(desk._staff_supports(incident, at))
    return out


def split(desk: Desk, incident: Incident, command: OperatorCommand, at: datetime) -> Outputs:
    """A report wrongly merged leaves its incident and opens its own, dispatched as any new incident.

    The desk keeps report ids, not their contents: the new incident starts at
    the old one's place and time with the flags the operator gives (else the
    old flags), and the report's channel when it can be told.
    """
    assert command.report_id is not None
    if command.report_id not in incident.reports:
        raise Refused(f"report {command.report_id!r} is not part of {incident.incident_id}", kind="unknown_report")
    if len(incident.reports) < 2:
        raise Refused(f"report {command.report_id} is the only report of {incident.incident_id}", kind="only_report")
    index = incident.reports.index(command.report_id)
    aligned = len(incident.channels) == len(incident.reports)
    channel = incident.channels.pop(index) if aligned else (incident.channels[-1] if incident.channels else "")
    incident.reports.remove(command.report_id)
    fresh = Incident(
        incident_id=incident_id_of(desk.centre, command.report_id, command.command_id),
        district=incident.district, zone_id=incident.zone_id, key_area=incident.key_area,
        lat=incident.lat, lon=incident.lon, first_at=incident.first_at, last_at=at,
        reports=[command.report_id], channels=[channel] if channel else [],
        flags=sorted(command.add_flags) if command.add_flags else list(incident.flags),
        has_tip=incident.has_tip, persons=command.persons, company=incident.company,
    )
    desk.incidents[fresh.incident_id] = fresh
    desk.grid.index(fresh)
    desk.seen.setdefault(command.report_id, ["", fresh.incident_id])[1] = fresh.incident_id
    desk.touch("seen", command.report_id)
    desk.touch("incidents", incident.incident_id)
    changed = desk._reassess(incident, at)
    out = desk._emit(incident, "update", at, reason=f"report {command.report_id} split out into {fresh.incident_id} by {_who(command)}"
                     + _because(command) + (f"; {changed}" if changed else ""), decisions=("operator:split",))
    desk._reassess(fresh, at)
    out.extend(desk._assign(fresh, at, kind="dispatch", reason=f"split from {incident.incident_id} by {_who(command)}"))
    return out


def priority(desk: Desk, incident: Incident, command: OperatorCommand, at: datetime) -> Outputs:
    """The operator's priority, with a reason; it holds until the operator changes it again."""
    assert command.priority is not None and command.reason is not None
    if command.priority not in PRIORITIES:
        raise Refused(f"unknown priority {command.priority!r}", kind="unknown_priority")
    if incident.priority == command.priority and incident.override is not None:
        raise Refused(f"{incident.incident_id} is already {command.priority} by operator {incident.override['by']}", kind="unchanged")
    before = incident.priority
    incident.override = {"priority": command.priority, "by": command.by, "reason": command.reason}
    desk.touch("incidents", incident.incident_id)
    desk._reassess(incident, at)
    verb = "raised" if PRIORITIES.index(command.priority) < PRIORITIES.index(before or command.priority) else "lowered" if before != command.priority else "set"
    out = desk._emit(incident, "update", at, reason=f"priority {verb} {before}->{command.priority} by {_who(command)}: {command.reason}",
                     decisions=("operator:priority",))
    out.extend(desk._drain_queue(at))  # a raised queued incident may now take a free team first
    return out


def assess(desk: Desk, incident: Incident, command: OperatorCommand, at: datetime) -> Outputs:
    """What a team finds on scene (or an operator learns): flags and head count, then the desk reassesses.

    The reassessment keeps the `no_demotion` rule: until a team has been on
    scene, removing a flag never lowers the priority.
    """
    if command.by_team is not None and not on_incident(incident, command.by_team):
        raise Refused(f"team {command.by_team} has no task on {incident.incident_id}", kind="not_your_incident")
    if (command.by_team is not None and command.event_id is not None and command.event_id in desk.event_index
            and command.event_id != (held := incident.task_event_of(command.by_team))):
        # As an ack naming an older task: the phone made it for a task the team no longer holds here (moved away and
        # back, or a support unit's earlier task), whenever it was made; the time check below is for records without it.
        raise Refused(f"team {command.by_team}'s assessment names task {command.event_id!r}; its task here now is {held!r}",
                      kind="task_superseded")
    if command.by_team is not None and (given := incident.given_at(command.by_team)) is not None and command.at < given:
        # As an ack made before the newer task was given: an assessment queued offline while the team held an earlier
        # task of this incident (moved away since, then back) is about the person as they were then; it must not
        # rewrite the task the team holds now.
        raise Refused(f"team {command.by_team}'s assessment was made at {command.at.isoformat()}, before it was given its task "
                      f"here now ({incident.task_event_id if incident.team_id == command.by_team else 'support'}, "
                      f"{given.isoformat()})", kind="task_superseded")
    flags = (set(incident.flags) | set(command.add_flags)) - set(command.remove_flags)
    said = [*(f"+{f}" for f in command.add_flags if f not in incident.flags), *(f"-{f}" for f in command.remove_flags if f in incident.flags)]
    if command.persons is not None and command.persons != incident.persons:
        said.append(f"persons {incident.persons or '?'}->{command.persons}")
        incident.persons = command.persons
    if not said:
        raise Refused("nothing changes: the incident already says this", kind="unchanged")
    incident.flags = sorted(flags)
    desk.touch("incidents", incident.incident_id)
    changed = desk._reassess(incident, at)
    source = "team_assessment" if command.by_team else "operator:assess"
    out = desk._emit(incident, "update", at, reason=f"{' '.join(said)} by {_who(command)}" + (f"; {changed}" if changed else ""),
                     decisions=(source,))
    if incident.team_id:
        out.extend(desk._staff_supports(incident, at))
    return out


ACTIONS: dict[str, Callable[[Desk, Incident, OperatorCommand, datetime], Outputs]] = {
    "assign": assign, "support": support, "merge": merge, "split": split, "priority": priority, "assess": assess,
}


def handle(desk: Desk, command: OperatorCommand) -> Outputs:
    """The desk's input for `operator-commands`: event time moves on (a held tick the command confirms first), then the
    command is run."""
    return desk.clocked(command.at, lambda: _handle(desk, command))


def _handle(desk: Desk, command: OperatorCommand) -> Outputs:
    desk.admit(command.at, "at")
    desk.advance(command.at)
    at = max(command.at, desk.now or command.at)
    return desk.then_offer_freed(lambda: run(desk, command, at))


def run(desk: Desk, command: OperatorCommand, at: datetime) -> Outputs:
    """Apply the command or refuse it; either way the answer is the last record of the outputs."""
    try:
        incident = open_incident(desk, command.incident_id)
        out = ACTIONS[command.kind](desk, incident, command, at)
    except Refused as refused:
        return Outputs(results=[result(desk, command, at, "rejected", refused.reason, error=refused.kind)])
    events = tuple(e.event_id for e in out.events)
    summary = "; ".join(e.reason or e.kind for e in out.events if e.incident_id == command.incident_id) or "applied"
    out.results.append(result(desk, command, at, "applied", summary, events=events))
    return out


def result(desk: Desk, command: OperatorCommand, at: datetime, status: str, reason: str, *, error: str | None = None,
           events: tuple[str, ...] = ()) -> CommandResult:
    """The desk's answer to a command, naming its centre as its events do."""
    return CommandResult(command_id=command.command_id, kind=command.kind, incident_id=command.incident_id, status=status, reason=reason,
                         by=command.by, at=at, by_team=command.by_team, error=error, event_ids=events, centre=desk.centre)
