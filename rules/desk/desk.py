"""The dispatch desk: the coordinator that feeds each input through the rules.

A pure, deterministic state machine. It is fed reports, weather, team
status, acknowledgements and clock ticks in order, and answers with output
events. It never reads the wall clock: `now` is the latest event time seen.
The rules themselves live beside it: `matching` (which incident a report is
about), `assessment` (category and priority), `dispatching` (which team),
`timers` (deadlines, escalation, follow-ups), `conditions` (weather per
region) and `events` (what is sent).
"""

from __future__ import annotations

from datetime import datetime

from core.errors import RecordError
from core.records import Report, TaskAck, TeamStatus, WeatherObservation, WeatherWarning
from rules.context import Context
from rules.desk import timers
from rules.desk.assessment import reassess
from rules.desk.conditions import changed_views, region_conditions
from rules.desk.dispatching import nearest_team, queue_order
from rules.desk.events import HelpPoints, dispatch_event, team_task
from rules.desk.matching import IncidentGrid, add_report, match
from rules.desk.model import Incident, Outputs, Team, fingerprint, stable_id
from rules.desk.state import DeskState
from rules.triage import ack_deadline, followup_delay
from rules.weather import RegionConditions, RegionWeather, is_night


class Desk(DeskState):
    """Incidents, teams, weather and deadlines of one partition."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.grid = IncidentGrid(ctx.policy.correlation_radius_m)
        self.help_points = HelpPoints(ctx.index, ctx.policy.help_point_kinds)

    def loaded(self) -> None:
        self.grid = IncidentGrid(self.ctx.policy.correlation_radius_m)
        for incident in self.incidents.values():
            self.grid.index(incident)

    # ----------------------------------------------------------------- inputs

    def handle_report(self, report: Report) -> Outputs:
        seen = self.seen.get(report.report_id)
        fp = fingerprint(report)
        if seen is not None:
            if seen[0] == fp:
                return Outputs()  # a redelivery or a resend: processed once
            raise RecordError(f"duplicate report id {report.report_id!r} with different content", kind="duplicate")
        self.advance(report.at)
        incident = match(report, self.grid, self.incidents, self.ctx.policy)
        out = Outputs()
        if incident is None:
            incident = self._new_incident(report)
        self.seen[report.report_id] = [fp, incident.incident_id]
        self.touch("seen", report.report_id)
        add_report(incident, report)
        self.grid.index(incident)
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
        self.touch("incidents", incident.incident_id)
        return out

    def handle_weather(self, region: str, record: WeatherObservation | WeatherWarning) -> Outputs:
        history = self.weather.setdefault(region, RegionWeather())
        if isinstance(record, WeatherWarning):
            history.add_warning(record.issued_at, record.level)
            at = record.issued_at
        else:
            history.add_observation(record.observed_at, record.temp_c, record.wind_ms, self.ctx.policy.cold_wave_history_h)
            at = record.observed_at
        self.touch("weather", region)
        self.advance(at)
        return self._conditions_changed(self.now or at)

    def handle_team_status(self, status: TeamStatus) -> Outputs:
        team = self.teams.get(status.team_id)
        if team is not None and status.at < team.at:
            return Outputs()  # an older position: keep the newer one
        self.advance(status.at)
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
            self.touch("teams", team.team_id)
            if incident is not None and incident.is_open and incident.team_id == team.team_id:
                return self._reassign(incident, status.at, reason=f"team {team.team_id} went off duty", escalate=False)
        self.touch("teams", team.team_id)
        return self._drain_queue(status.at) if team.free else Outputs()

    def handle_ack(self, ack: TaskAck) -> Outputs:
        incident_id = self.event_index.get(ack.event_id) or (ack.incident_id if ack.incident_id in self.incidents else None)
        if incident_id is None:
            raise RecordError(f"no task with event_id {ack.event_id!r}", kind="unknown_task")
        incident = self.incidents[incident_id]
        self.advance(ack.at)
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
        self.touch("incidents", incident_id)
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
        self.advance(at)
        now = self.now or at
        out = Outputs()
        for incident in timers.by_deadline(self.incidents.values(), now):
            if timers.ack_overdue(incident, now):
                self.touch("incidents", incident.incident_id)
                out.extend(self._reassign(incident, now, reason=f"ack deadline missed by {incident.team_id}", escalate=True))
            elif timers.followup_due(incident, now):
                self.touch("incidents", incident.incident_id)
                incident.followup_at = None
                incident.status = "queued"
                incident.tried_teams = []
                incident.escalation_level = 0
                out.extend(self._assign(incident, now, kind="followup", reason="scheduled follow-up visit"))
        out.extend(self._conditions_changed(now))
        out.extend(self._drain_queue(now))
        return out

    # ----------------------------------------------------------------- steps

    def _new_incident(self, report: Report) -> Incident:
        """Open an incident for a report that matched none.

        This is where a person ledger can later suggest a known person for
        the new incident (by place and hour), before it is assessed.
        """
        incident = Incident(
            incident_id=stable_id("inc", report.report_id),
            district=report.district,
            zone_id=report.zone_id,
            key_area=report.key_area,
            lat=report.lat,
            lon=report.lon,
            first_at=report.at,
            last_at=report.at,
        )
        self.incidents[incident.incident_id] = incident
        return incident

    def region_conditions(self, region: str, at: datetime) -> RegionConditions:
        return region_conditions(self.weather, region, at, self.ctx)

    def _reassess(self, incident: Incident, at: datetime) -> str:
        night = is_night(at, self.ctx.policy, self.ctx.city.timezone)
        return reassess(incident, self.ctx.policy, night, self.region_conditions(incident.district, at))

    def _assign(self, incident: Incident, at: datetime, *, kind: str, reason: str) -> Outputs:
        """Give the incident to the nearest able free team, or queue it."""
        choice = nearest_team(incident, self.teams.values())
        self.touch("incidents", incident.incident_id)
        if choice is None:
            incident.status = "queued"
            incident.team_id = None
            incident.ack_deadline = None
            needs = ", ".join(incident.needs) or "any"
            return self._emit(incident, "queued" if kind == "dispatch" else kind, at, reason=f"{reason}; no free team with {needs}")
        team, distance = choice
        team.incident_id = incident.incident_id
        self.touch("teams", team.team_id)
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
                self.touch("teams", team.team_id)

    def _reassign(self, incident: Incident, at: datetime, *, reason: str, escalate: bool) -> Outputs:
        previous = incident.team_id
        self._release_team(incident)
        if escalate and previous in self.teams:
            # A team that let a deadline pass is unreachable until it reports again.
            self.teams[previous].status = "unresponsive"
            self.touch("teams", previous)
        out = Outputs()
        if previous:
            out.tasks.append(team_task(incident, previous, "cancel", at, f"{incident.task_event_id}-cancel",
                                       self.help_points.near(incident.lat, incident.lon)))
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
        if timers.wants_followup(incident.category, outcome, self.ctx.policy):
            level = self.region_conditions(incident.district, at).cold_wave_level
            incident.followup_at = at + followup_delay(level, self.ctx.policy)
            incident.status = "followup_due"
            incident.team_id = None
        return out

    def _drain_queue(self, at: datetime) -> Outputs:
        out = Outputs()
        for incident in queue_order(self.incidents.values()):
            if not any(t.free for t in self.teams.values()):
                break
            if nearest_team(incident, self.teams.values()) is None:
                continue
            out.extend(self._assign(incident, at, kind="dispatch", reason="team became free"))
        return out

    def _conditions_changed(self, at: datetime) -> Outputs:
        """Publish regions whose weather judgement changed; re-rank open incidents."""
        out = Outputs()
        views = changed_views(self.weather, self.published, at, self.ctx)
        for view in views:
            self.touch("published", view["region"])
        out.conditions.extend(views)
        changed_regions = [v["region"] for v in views]
        if changed_regions:
            for incident in sorted(self.incidents.values(), key=lambda i: i.incident_id):
                if incident.is_open and incident.district in changed_regions:
                    before = incident.priority
                    self._reassess(incident, at)
                    if incident.priority != before:
                        self.touch("incidents", incident.incident_id)
                        out.extend(self._emit(incident, "update", at, reason=f"conditions changed: priority {before}->{incident.priority}"))
        return out

    # ----------------------------------------------------------------- output

    def _emit(self, incident: Incident, kind: str, at: datetime, *, reason: str, task: bool = False) -> Outputs:
        incident.revision += 1
        event_id = f"{incident.incident_id}-r{incident.revision}"
        if task:
            incident.task_event_id = event_id
            self.event_index[event_id] = incident.incident_id
            self.touch("event_index", event_id)
        escalate_to = timers.escalation_target(incident.escalation_level, self.ctx.policy) if kind == "escalation" else None
        help_point = self.help_points.near(incident.lat, incident.lon)
        event = dispatch_event(incident, event_id, kind, at, reason=reason, policy=self.ctx.policy, help_point=help_point,
                               escalate_to=escalate_to)
        out = Outputs(events=[event])
        if task and incident.team_id:
            out.tasks.append(team_task(incident, incident.team_id, "assign", at, event_id, help_point))
        return out
