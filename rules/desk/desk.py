"""The dispatch desk: the coordinator that feeds each input through the rules.

A pure, deterministic state machine. It is fed reports, weather, team
status, acknowledgements and clock ticks in order, and answers with output
events. It never reads the wall clock: `now` is the latest event time seen.
The rules themselves live beside it: `matching` (which incident a report is
about), `assessment` (category and priority), `dispatching` (which team),
`timers` (deadlines, escalation, unit timers, follow-ups), `destinations`
(where the person is taken), `conditions` (weather per region) and `events`
(what is sent). Operators' and teams' orders (`commands`) work through its steps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from core.errors import RecordError
from core.records import (
    ACK_STATUSES,
    AGE_GROUPS,
    COMPANY,
    FLAGS,
    OPERATOR_TEAM_ID,
    POSTURES,
    REPORT_CHANNELS,
    REPORT_SOURCES,
    SEXES,
    Report,
    TaskAck,
    TeamStatus,
    TeamTask,
    WeatherObservation,
    WeatherWarning,
    check_not_ahead,
    check_types,
)
from core.validate import EARLIEST_YEAR, LATEST_YEAR, on_earth, plausible_year
from rules import referrals
from rules.context import Context
from rules.desk import retention, timers
from rules.desk.assessment import reassess
from rules.desk.conditions import changed_views, region_conditions
from rules.desk.destinations import destination
from rules.desk.dispatching import Choice, choose, diversion, queue_order
from rules.desk.events import HelpPoints, dispatch_event, team_task
from rules.desk.matching import MAX_LISTED_REPORTS, IncidentGrid, absorb, add_report, matches, mergeable, relocate
from rules.desk.model import Incident, Outputs, Team, fingerprint, incident_id_of
from rules.desk.state import DeskState
from rules.triage import ack_deadline, followup_delay
from rules.weather import RegionConditions, RegionWeather, is_night, station_key

_REPORT_CHOICES: dict[str, tuple[str, ...]] = {
    "source": REPORT_SOURCES, "channel": REPORT_CHANNELS, "posture": POSTURES, "sex": SEXES, "age_group": AGE_GROUPS,
    "company": COMPANY,
}
MAX_REPORT_ID = 200
_REPORT_IDS = ("district", "zone_id", "key_area", "camera_id", "track_id", "reporter_contact", "centre")
_OPERATOR_ACTIONS = ("reassign", "resolved")  # what the console's acks (team_id OPERATOR_TEAM_ID) do to an incident


def check_report(report: Report, max_persons: int, max_text_bytes: int) -> None:
    """Refuse a report whose fields are not what the intake writes, before it touches any state.

    `reports` is decoded as trusted (no per-field parsing: it is the desk's hottest input), but any producer can write
    it. A channel 5 stayed in its incident's channels, and every later report of the incident then failed to sort
    them; a report id 123 or a time without offset broke the writing of the desk's state (the agent died, and met the
    record again at its restart); flags "abc" became the flags a, b and c.
    """
    check_types(report, "report ")
    if not isinstance(report.at, datetime) or report.at.utcoffset() is None:
        raise RecordError(f"report at: expected a time with offset, got {report.at!r:.40}", kind="wrong_type")
    if not plausible_year(report.at):  # as intake's times: year 9999 overflowed the deadlines of a fresh desk
        raise RecordError(f"report at: implausible time {report.at.isoformat()} (expected a year {EARLIEST_YEAR}..{LATEST_YEAR})",
                          kind="wrong_type")
    for name, allowed in _REPORT_CHOICES.items():
        if (value := getattr(report, name)) is not None and value not in allowed:
            raise RecordError(f"report {name}: unknown {value!r:.40} (known: {', '.join(allowed)})", kind="wrong_type")
    if not 0 < len(report.report_id) <= MAX_REPORT_ID or not report.report_id.isprintable():
        raise RecordError(f"report report_id: 1..{MAX_REPORT_ID} printable characters", kind="wrong_type")
    for name in _REPORT_IDS:  # ids the incident keeps (a camera's track in its state): bounded as intake bounds them
        if (value := getattr(report, name)) is not None and (len(value) > MAX_REPORT_ID or not value.isprintable()):
            raise RecordError(f"report {name}: at most {MAX_REPORT_ID} printable characters", kind="wrong_type")
    if "\x00" in report.text:  # intake drops them; the ledger cannot store a text that holds one
        raise RecordError("report text: holds a NUL character", kind="wrong_type")
    for name in ("text", "address"):
        # Intake's bound (the policy's max_text_bytes). A report of 1 MB of text, which the broker takes, made a dispatch
        # event larger than any producer sends: the desk agent died on it at every restart.
        if (value := getattr(report, name)) is None:
            continue
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError as exc:  # a lone surrogate (a `\ud800` escape): no output can carry it
            raise RecordError(f"report {name}: invalid Unicode (lone surrogate at character {exc.start})", kind="malformed") from exc
        if size > max_text_bytes:
            raise RecordError(f"report {name}: over {max_text_bytes} bytes ({size})", kind="too_large")
    if unknown := [f for f in report.flags if f not in FLAGS]:
        raise RecordError(f"report flags: unknown {', '.join(unknown)[:80]}", kind="wrong_type")
    if not on_earth(report.lat, report.lon):
        raise RecordError(f"report lat/lon ({report.lat}, {report.lon}) are not coordinates", kind="wrong_type")
    if report.persons is not None and not 1 <= report.persons <= max_persons:
        raise RecordError(f"report persons: expected 1..{max_persons}, got {report.persons}", kind="wrong_type")
    for name in ("still_s", "error_m", "accuracy_m"):
        if (value := getattr(report, name)) is not None and value < 0:
            raise RecordError(f"report {name}: expected >= 0, got {value}", kind="wrong_type")


# A tick less than this after the last tick walked, with no record changing the desk in between, is passed over.
MIN_TICK_GAP = timedelta(seconds=1)


class Desk(DeskState):
    """Incidents, teams, weather and deadlines of one dispatch centre; every event and task it sends names `centre`."""

    def __init__(self, ctx: Context, centre: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.centre = centre
        self.grid = self._new_grid()
        self.wakes = timers.Wakes()
        self.help_points = HelpPoints(ctx.index, ctx.policy.help_point_kinds)
        # Each region's conditions at one time, kept until the time or the weather changes: a tick's queue asks for
        # the same few regions once per queued incident.
        self._conditions_at: datetime | None = None
        self._conditions: dict[str, RegionConditions] = {}
        self._settled: tuple[datetime, datetime | None, int] | None = None  # the last tick walked: (tick, now, touches) after it

    def _new_grid(self) -> IncidentGrid:
        policy = self.ctx.policy
        return IncidentGrid(policy.correlation_radius_m + policy.dispatching.max_uncertainty_m)

    def loaded(self) -> None:
        self._conditions.clear()
        self._settled = None
        self.grid = self._new_grid()
        self.wakes = timers.Wakes()
        for incident in self.incidents.values():
            self.grid.index(incident)
            self.wakes.mark(incident.incident_id)

    def touch(self, table: str, key: str) -> None:
        super().touch(table, key)
        if table == "incidents":
            self.wakes.mark(key)

    # ----------------------------------------------------------------- inputs

    def admit(self, at: datetime, name: str, *, report: bool = False) -> None:
        """Refuse an input stamped more than the policy's `max_ahead_min` ahead of the desk's clock,
        and a report (or a new team's first status) more than `max_behind_h` behind it.

        Event time only moves forward: one record from next year would make every
        open deadline pass at once and put every new one out of the clock's reach.
        A report from years ago would open an incident that ranks first among
        equal priorities (the oldest first report) and that no report of tonight joins.
        Once the desk has a clock tick, "ahead" is counted from the latest tick, not
        from the latest record: records that each stay within the bound of the one
        before could otherwise walk the clock forward without a tick.
        """
        if self.now is None:
            return
        policy = self.ctx.policy
        clock = self.tick or self.now
        check_not_ahead(at, clock, policy.max_ahead_min, name, "the desk's clock tick" if self.tick else "the desk's clock")
        if report and self.now - at > timedelta(hours=policy.max_behind_h):
            behind = (self.now - at).total_seconds() / 3600.0
            raise RecordError(f"{name}: {at.isoformat()} is {behind:.0f} h behind the desk's clock ({self.now.isoformat()}); "
                              f"at most {policy.max_behind_h:g} h old is taken (a wrong date?)", kind="stale_time")

    def clock_tick(self, at: datetime) -> Outputs:
        """A tick read from the clock topic: `handle_tick`, unless it is too far ahead of the desk's clock to be taken on
        its word.

        Any producer can write the clock topic. One tick dated 2099 (a forged record, a host whose clock jumped, a
        drill's simulated clock sent to the live topic) made every deadline pass at once (every task escalated and
        reassigned, every team unresponsive, closed incidents forgotten) and left the desk in 2099: every report of
        tonight was then refused as stale, for good. A tick more than the policy's `max_ahead_min` past the desk's clock
        is held instead (the latest such one), and taken when a record dated within `max_ahead_min` of it arrives (after
        the live clock was stopped a while, the first team's position or report dated near it brings the desk there);
        a tick within reach of the clock lets go of the held one.
        """
        clock = self.tick or self.now
        if clock is not None and at - clock > timedelta(minutes=self.ctx.policy.max_ahead_min):
            self.ahead = at
            self.touch("meta", "ahead")
            return Outputs()
        if self.ahead is not None:
            self.ahead = None
            self.touch("meta", "ahead")
        settled = self._settled
        if settled is not None and settled[1:] == (self.now, self.touches) and at < settled[0] + MIN_TICK_GAP:
            # Nothing changed since the last tick walked, and this one is no later than a second after it: a tick
            # repeated, going back or a microsecond on (a flood on the clock topic held the desk 2.5-5 ms a tick with
            # 400 open incidents). A deadline in that second fires at the next tick walked.
            return Outputs()
        out = self.handle_tick(at)
        self._settled = (self.tick or at, self.now, self.touches)
        return out

    def _confirm_ahead(self, at: object) -> Outputs:
        """The held tick's outputs, when a record dated `at` confirms it (see `clock_tick`); else nothing."""
        ahead, clock = self.ahead, self.tick or self.now
        if ahead is None or clock is None or not isinstance(at, datetime) or at.utcoffset() is None:
            return Outputs()
        reach = timedelta(minutes=self.ctx.policy.max_ahead_min)
        if at - clock <= reach or abs(at - ahead) > reach:
            return Outputs()  # admitted as it is, or far from the held tick too
        self.ahead = None
        self.touch("meta", "ahead")
        self.touches += 1  # a change: should the record then be refused, the agent rolls back to the tick held
        return self.handle_tick(ahead)

    def clocked(self, at: object, handle: Callable[[], Outputs]) -> Outputs:
        """Handle a record dated `at`, after the held tick it confirms, if any (their outputs in that order)."""
        out = self._confirm_ahead(at)
        out.extend(handle())
        return out

    def handle_report(self, report: Report) -> Outputs:
        return self.clocked(report.at, lambda: self.then_offer_freed(lambda: self._handle_report(report)))

    def handle_ack(self, ack: TaskAck) -> Outputs:
        return self.clocked(ack.at, lambda: self.then_offer_freed(lambda: self._handle_ack(ack)))

    def then_offer_freed(self, handle: Callable[[], Outputs]) -> Outputs:
        """Handle one input; a team it freed (an outcome, a merge, a handover, a decline's reassignment, an operator's
        merge or reassignment) takes the most urgent queued task at once, as a team coming on duty does, not at the
        next clock tick (a P1 waited for it)."""
        before = {t.team_id for t in self.teams.values() if t.free}
        out = handle()
        if self.now is not None and any(t.free and t.team_id not in before for t in self.teams.values()):
            out.extend(self._drain_queue(self.now))
        return out

    def _handle_report(self, report: Report) -> Outputs:
        check_report(report, self.ctx.policy.max_persons, self.ctx.policy.max_text_bytes)
        seen = self.seen.get(report.report_id)
        fp = fingerprint(report)
        if seen is not None:
            if seen[0] == fp:
                return Outputs()  # a redelivery or a resend: processed once
            raise RecordError(f"duplicate report id {report.report_id!r} with different content", kind="duplicate")
        self.admit(report.at, "reported_at" if report.source == "tip" else "captured_at", report=True)
        self.advance(report.at)
        decision_at = max(report.at, self.now or report.at)
        group = mergeable(matches(report, self.grid, self.incidents, self.ctx.policy), self.ctx.policy, report)
        out = Outputs()
        incident = group[0] if group else self._new_incident(report)
        for other in group[1:]:
            out.extend(self._merge(incident, other, decision_at, report.report_id))
        if len(group) > 1:
            relocate(incident, report)
        self.seen[report.report_id] = [fp, incident.incident_id]
        self.touch("seen", report.report_id)
        flags = set(incident.flags)
        add_report(incident, report)
        self.grid.index(incident)
        if incident.status == "resolved":  # made before the outcome, delivered after: kept with the person, nobody sent
            out.extend(self._emit(incident, "update", decision_at, reason=f"new report {report.report_id}, made before the outcome"))
        elif incident.status == "new":
            self._reassess(incident, decision_at)
            out.extend(self._assign(incident, decision_at, kind="dispatch", reason="new incident"))
        else:
            before = incident.priority, incident.category
            waiting = {incident.incident_id: incident.queue_deadline} if incident.status == "queued" else {}
            changed = self._reassess(incident, decision_at)
            if incident.category == before[1] and set(incident.flags) != flags:
                self._set_destination(incident, decision_at)  # the same need, maybe another place: a child's centre for a minor
            merged = f"; merged {', '.join(o.incident_id for o in group[1:])}" if len(group) > 1 else ""
            out.extend(self._emit(incident, "update", decision_at, reason=f"new report {report.report_id}" + (f"; {changed}" if changed else "") + merged,
                                  decisions=("merge",) if merged else ()))
            if incident.status == "followup_due" and (timers.raised(before[0], incident.priority) or incident.category != before[1]):
                # The person a team left outside is worse: the follow-up visit is now, not hours on.
                out.extend(self._reopen(incident, decision_at, kind="dispatch", reason=f"new report {report.report_id} while a follow-up was due: {changed}"))
            elif incident.team_id and (unfit := self._unfit_lead(incident, decision_at)) is not None:
                # the report changed what the lead must bring (now injured: medical): an able free team takes over
                out.extend(self._reassign(incident, decision_at, reason=f"new report {report.report_id}: {unfit}", escalate=False))
            elif incident.team_id:  # a need the report added (a suspected mental disorder: police) gets its second unit
                out.extend(self._staff_supports(incident, decision_at))
            else:
                out.extend(self._escalate_brought_forward(waiting, decision_at))
        self.touch("incidents", incident.incident_id)
        return out

    def handle_weather(self, region: str, record: WeatherObservation | WeatherWarning) -> Outputs:
        at = record.issued_at if isinstance(record, WeatherWarning) else record.observed_at
        return self.clocked(at, lambda: self._handle_weather(region, record))

    def _handle_weather(self, region: str, record: WeatherObservation | WeatherWarning) -> Outputs:
        self.admit(record.issued_at if isinstance(record, WeatherWarning) else record.observed_at,
                   "issued_at" if isinstance(record, WeatherWarning) else "observed_at")
        self._conditions.clear()  # the region's (and, for a city-wide record, every region's) conditions change
        history = self.weather.setdefault(region, RegionWeather())
        if isinstance(record, WeatherWarning):
            history.add_warning(record.issued_at, record.level)
            at = record.issued_at
        else:
            history.add_observation(record.observed_at, record.temp_c, record.wind_ms, self.ctx.policy.cold_wave_history_h, record.snow,
                                    station_key(record))
            at = record.observed_at
        self.touch("weather", region)
        self.advance(at)
        before = {i.incident_id: i.queue_deadline for i in self.incidents.values() if i.status == "queued"}
        out = self._conditions_changed(self.now or at)
        out.extend(self._escalate_brought_forward(before, self.now or at))
        return out

    def handle_team_status(self, status: TeamStatus) -> Outputs:
        return self.clocked(status.at, lambda: self._handle_team_status(status))

    def _handle_team_status(self, status: TeamStatus) -> Outputs:
        team = self.teams.get(status.team_id)
        # A team's first status is held to a report's age: one from last week (a phone's stale outbox,
        # a wrong date) put a team on duty that may be at home, and tonight's tasks went to it.
        self.admit(status.at, "at", report=team is None)
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
        self.touch("teams", team.team_id)
        if status.status == "off_duty" and team.incident_id is not None:
            incident = self.incidents.get(team.incident_id)
            team.incident_id = None
            if incident is not None and incident.is_open and incident.team_id == team.team_id:
                return self._reassign(incident, status.at, reason=f"team {team.team_id} went off duty", escalate=False)
            if incident is not None and (units := [u for u in incident.active_supports() if u["team_id"] == team.team_id]):
                return self._support_gone(incident, units, status.at, reason=f"support unit {team.team_id} went off duty")
        return self._drain_queue(status.at) if team.free else Outputs()

    def _handle_ack(self, ack: TaskAck) -> Outputs:
        outcomes = self.ctx.policy.outcomes
        if ack.outcome is not None and ack.outcome not in outcomes:
            # A made-up code (`refused_supplies`) closed the incident and, being no follow-up outcome, the person left
            # outside was never visited again: the ack is refused whole, before it touches anything.
            raise RecordError(f"outcome {ack.outcome!r:.70} is not one of the policy's codes (dispatch.outcomes: {', '.join(outcomes)})",
                              kind="unknown_outcome")
        self.admit(ack.at, "at")
        if ack.status not in ACK_STATUSES and ack.team_id != OPERATOR_TEAM_ID:
            # `reassign` is the console's: from a team it moved another team's task (to itself, when it was next)
            raise RecordError(f"team {ack.team_id!r} sent {ack.status!r}, which is the operators' (team_id {OPERATOR_TEAM_ID!r}); "
                              "a team declines its own task instead", kind="forbidden")
        incident_id = self.event_index.get(ack.event_id) or (ack.incident_id if ack.incident_id in self.incidents else None)
        if incident_id is None:
            raise RecordError(f"no task with event_id {ack.event_id!r}", kind="unknown_task")
        incident = self.incidents[incident_id]
        self.advance(ack.at)
        at = max(ack.at, self.now or ack.at)
        if incident.status == "merged":
            return Outputs()  # the task went with the merge: the team was released and told
        operator = ack.team_id == OPERATOR_TEAM_ID
        unit = incident.support(ack.event_id)
        # The console's reassign and resolve are about the incident (its lead task), whichever of its tasks they name:
        # it names the latest event, a support unit's task right after dispatch, and they then did nothing at all, or
        # released that unit alone.
        if unit is not None and not (operator and ack.status in _OPERATOR_ACTIONS):
            return self._support_ack(incident, unit, ack, at)
        if incident.status in ("resolved", "followup_due") and ack.team_id in incident.tried_teams and not operator:
            return Outputs()  # a late or repeated ack for a task already closed: nothing changes
        if not operator and ack.team_id != incident.team_id:
            if ack.team_id in incident.tried_teams:  # open (closed ones returned above)
                return self._former_holder_ack(incident, ack, at)
            raise RecordError(f"team {ack.team_id!r} acknowledged a task that belongs to {_held_by(incident)}", kind="wrong_team")
        if not operator and ack.event_id != incident.task_event_id and ack.event_id in self.event_index:
            # The team holds a newer task of this incident (given again after it declined, let pass or finished the one
            # the ack names). Written straight to task-acks (a replay, a simulator, a client besides the console's phone
            # API, which refuses these 409 task_superseded), such an ack acted on the newer task.
            if ack.status == "declined":
                # its decline of the older task, late or resent, says nothing about the task it holds now
                return Outputs()
            if incident.assigned_at is not None and ack.at < incident.assigned_at:
                # Made before the newer task was given: it was about the older one (often a redelivery of an ack applied
                # then, a follow-up visit's previous one), and where the team was then is not where it is now.
                return Outputs()
            if ack.status == "accepted":
                if incident.status in ("accepted", "on_scene"):
                    return Outputs()  # already known
                # The team may never have seen the newer task (its place, need, destination): accepting the older one
                # is no acknowledgement of it, and its deadline runs on.
                raise RecordError(f"team {ack.team_id!r} accepted {ack.event_id!r}, an earlier task; its task here is now "
                                  f"{incident.task_event_id!r}, not yet acknowledged", kind="task_superseded")
            # on_scene or resolved made since the newer task was given: the team is with the person, whichever of its
            # tasks it names (as a former holder's are taken): taken for the task it holds now.
        if incident.status == "resolved" and ack.status != "resolved":
            return Outputs()
        if operator and ack.status in ("accepted", "on_scene", "declined") and incident.team_id is None:
            # An operator speaks for the team holding the task: with none (queued, a follow-up due) the incident was left
            # accepted or on scene by nobody, out of the queue and never escalated.
            raise RecordError(f"an operator's {ack.status!r} speaks for the team holding the task, and {_held_by(incident)} holds it",
                              kind="wrong_team")
        self.touch("incidents", incident_id)
        who = ack.by or ack.team_id
        if ack.status == "accepted":
            if incident.acked and incident.status in ("accepted", "on_scene"):
                return Outputs()
            incident.acked = True
            incident.status = "accepted"
            incident.accepted_at = at
            return self._emit(incident, "update", at, reason=f"accepted by {who}")
        if ack.status == "on_scene":
            if incident.status == "on_scene":
                return Outputs()
            incident.acked = True
            incident.status = "on_scene"
            changed = self._reach(incident, at)
            return self._emit(incident, "update", at, reason=f"{who} on scene" + (f"; {changed}" if changed else ""))
        if ack.status == "declined":
            return self._reassign(incident, at, reason=f"declined by {who}", escalate=False)
        if ack.status == "reassign":
            return self._reassign(incident, at, reason=f"reassigned by operator {who}", escalate=False)
        # resolved
        if incident.status == "resolved":
            return Outputs()
        return self._resolve(incident, at, ack.outcome, who)

    def handle_tick(self, at: datetime) -> Outputs:
        """Advance event time; check deadlines, queue waits, unit timers, follow-ups and weather."""
        self.note_tick(at)
        self.advance(at)
        now = self.now or at
        # Deadlines are judged on the clock topic's time, not on the latest record's: a record stamped
        # ahead of the tick (a phone an hour fast, a feed in the wrong time zone; up to max_ahead_min is
        # admitted) moves the clock for its own decision, and escalated every other task and marked its
        # team unresponsive up to an hour early. What a deadline sets off is still stamped at the desk's
        # clock, which only moves forward: an incident's events never go back in time.
        due = self.tick or at
        policy = self.ctx.policy
        out = self._conditions_changed(now)  # first: a stricter level brings this tick's deadlines forward
        for incident in self.wakes.walk(self.incidents, due, policy):
            if timers.ack_overdue(incident, due):
                self.touch("incidents", incident.incident_id)
                incident.escalation_cause = "ack_missed"
                out.extend(self._reassign(incident, now, reason=f"ack deadline missed by {incident.team_id}", escalate=True))
            elif timers.queue_overdue(incident, due, policy):
                out.extend(self._escalate_queued(incident, now))
            elif timers.followup_due(incident, due):
                out.extend(self._reopen(incident, now, kind="followup", reason="scheduled follow-up visit"))
            elif (timer := timers.unit_timer(incident, due, policy)) is not None:
                out.extend(self._unit_timer(incident, timer, now))
            for unit in timers.support_overdue(incident, due):
                out.extend(self._support_missed(incident, unit, now))
            for unit, timer in timers.support_timers_due(incident, due, policy):
                out.extend(self._unit_timer(incident, timer, now, unit=unit))
        out.extend(self._drain_queue(now))
        out.extend(self._referrals(due, now))
        self.forget_closed(now)
        return out

    def _referrals(self, due: datetime, now: datetime) -> Outputs:
        """Referrals after the night (`rules.referrals`): one `referral` event per incident and rule once its time
        came, in incident id order; the incident remembers it, so a replayed tick refers no one twice."""
        out = Outputs()
        if not self.ctx.policy.referrals:
            return out
        tz = self.ctx.city.timezone
        for incident_id in sorted(i for i, inc in self.incidents.items() if inc.resolved_at is not None and inc.status != "merged"):
            incident = self.incidents[incident_id]
            for rule in referrals.due(incident.flags, incident.outcome, incident.resolved_at, incident.referred, due,
                                      self.ctx.policy, tz):
                incident.referred.append(rule.flag)
                out.extend(self._emit(incident, "referral", now, reason=f"referral after the night: {rule.flag} to {rule.partner}",
                                      decisions=(f"{referrals.RULE_PREFIX}{rule.partner}",)))
        return out

    def note_tick(self, at: datetime) -> None:
        """Note the latest tick. The first tick a desk sees sets its clock back when records alone had set it further
        ahead than the policy's `max_ahead_min`: on a fresh desk nothing bounds the first record, and one stamped
        2099 would otherwise hold the clock there and refuse every report of tonight as stale."""
        if self.tick is None and self.now is not None and self.now - at > timedelta(minutes=self.ctx.policy.max_ahead_min):
            self.now = at
            self.touch("meta", "now")
        if self.tick is None or at > self.tick:
            self.tick = at
            self.touch("meta", "tick")

    def forget_closed(self, now: datetime) -> list[str]:
        """Forget the incidents closed longer than the policy's retention, with their task and report ids
        (`rules.desk.retention`); their table entries are deleted. The ids forgotten, in order."""
        gone = retention.expired(self.incidents.values(), self.teams.values(), now, self.ctx.policy)
        if not gone:
            return []
        for incident in gone:
            del self.incidents[incident.incident_id]
            self.touch("incidents", incident.incident_id)
            self.grid.forget(incident)
            kept = self._survivor_reports(incident)
            for report_id in incident.reports:  # absorbed ones too (a copy of any of them is now refused as stale)
                if report_id not in kept and self.seen.pop(report_id, None) is not None:
                    self.touch("seen", report_id)
            if len(incident.reports) >= MAX_LISTED_REPORTS:  # it may have taken reports it does not list: theirs too
                for report_id in [r for r, (_, of) in self.seen.items() if of == incident.incident_id and r not in kept]:
                    del self.seen[report_id]
                    self.touch("seen", report_id)
            for revision in range(1, incident.revision + 1):  # event ids are <incident>-r<revision>
                event_id = f"{incident.incident_id}-r{revision}"
                if self.event_index.pop(event_id, None) is not None:
                    self.touch("event_index", event_id)
        return [incident.incident_id for incident in gone]

    def _survivor_reports(self, incident: Incident) -> set[str]:
        """The reports of the incident a merged one lives on in (following later merges), while the desk holds it."""
        seen_ids: set[str] = set()
        survivor = incident
        while survivor.merged_into is not None and survivor.merged_into not in seen_ids:
            seen_ids.add(survivor.merged_into)
            found = self.incidents.get(survivor.merged_into)
            if found is None:
                return set()
            survivor = found
        return set(survivor.reports) if survivor is not incident else set()

    # ----------------------------------------------------------------- steps

    def _new_incident(self, report: Report) -> Incident:
        """Open an incident for a report that matched none.

        This is where a person ledger can later suggest a known person for
        the new incident (by place and hour), before it is assessed.
        """
        incident = Incident(
            incident_id=incident_id_of(self.centre, report.report_id),
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
        if at != self._conditions_at:
            self._conditions.clear()
            self._conditions_at = at
        found = self._conditions.get(region)
        if found is None:
            found = self._conditions[region] = region_conditions(self.weather, region, at, self.ctx)
        return found

    def _reassess(self, incident: Incident, at: datetime) -> str:
        self.wakes.mark(incident.incident_id)  # its deadlines may come forward (not every caller writes the incident)
        night = is_night(at, self.ctx.policy, self.ctx.city.timezone)
        conditions = self.region_conditions(incident.district, at)
        category = incident.category
        chosen = [r for r in incident.rules if r.startswith("destination:")]
        changed = reassess(incident, self.ctx.policy, night, conditions)
        if category and incident.category != category:
            self._set_destination(incident, at)  # where the person is taken fits the new need (a hospital, not a help point)
        else:
            # The same need, the same place: the rule that chose it stays named on the events (a reassessment rebuilt
            # the rules without it, so every event after a change of weather or night lost `destination:<kind>`).
            incident.rules += chosen
        # A raised priority or a stricter cold-wave level brings deadlines forward: a queued task's from the start of
        # its wait, an unacknowledged one's from now, a follow-up visit's from the last visit; a milder one never
        # pushes them back.
        if incident.status == "queued" and incident.waiting_since is not None:
            due = ack_deadline(incident.waiting_since, incident.priority, conditions.cold_wave_level, self.ctx.policy)
            incident.queue_deadline = timers.earlier(incident.queue_deadline, due)
        elif incident.status == "assigned" and not incident.acked and incident.priority:
            incident.ack_deadline = timers.earlier(incident.ack_deadline, self._deadline(incident, at))
        elif incident.status == "followup_due" and incident.resolved_at is not None:
            # A person left outside when orange or red sets in is visited 3 h after the last visit, not 12.
            due = incident.resolved_at + followup_delay(conditions.cold_wave_level, self.ctx.policy)
            incident.followup_at = timers.earlier(incident.followup_at, due)
        return changed

    def _deadline(self, incident: Incident, at: datetime) -> datetime:
        level = self.region_conditions(incident.district, at).cold_wave_level
        return ack_deadline(at, incident.priority, level, self.ctx.policy)

    def _assign(self, incident: Incident, at: datetime, *, kind: str, reason: str) -> Outputs:
        """Give the incident to the able free team with the lowest ETA, else divert one, else queue it."""
        snow = self.region_conditions(incident.district, at).snow
        choice = choose(incident.lat, incident.lon, incident.needs, self.teams.values(), incident.excluded_teams(), self.ctx.policy, snow)
        self.touch("incidents", incident.incident_id)
        out = Outputs()
        decisions: tuple[str, ...] = ("eta", "snow") if snow else ("eta",)
        if choice is None:
            taken = diversion(incident, self.teams.values(), self.incidents, self.ctx.policy, snow)
            if taken is not None:
                team, eta, victim = taken
                out.extend(self._divert(victim, incident, team, at))
                choice = Choice(team, eta, ())
                decisions = ("diversion", f"diverted_from:{victim.incident_id}")
                reason = f"{reason}; diverted team {team.team_id} from {victim.priority} {victim.incident_id}"
        if choice is None:
            if incident.status != "queued" or incident.queued_at is None:
                incident.queued_at = incident.waiting_since = at
                incident.queue_deadline = self._deadline(incident, at)
            incident.status = "queued"
            incident.team_id = None
            incident.ack_deadline = None
            incident.eta_min, incident.candidates = None, []
            self._set_destination(incident, at)
            needs = ", ".join(incident.needs) or "any"
            out.extend(self._emit(incident, "queued" if kind == "dispatch" else kind, at, reason=f"{reason}; no free team with {needs}",
                                  decisions=("queue_deadline",)))
            return out
        out.extend(self._give(incident, choice, at, kind=kind, reason=reason, decisions=decisions))
        return out

    def _give(self, incident: Incident, choice: Choice, at: datetime, *, kind: str, reason: str, decisions: tuple[str, ...]) -> Outputs:
        """Make `choice` the incident's lead unit: its task, deadline and ETA; then staff the support needs."""
        out = Outputs()
        team = choice.team
        team.incident_id = incident.incident_id
        self.touch("teams", team.team_id)
        incident.team_id = team.team_id
        incident.tried_teams.append(team.team_id)
        if team.team_id in incident.diverted_teams:  # given it again: a decline or a missed deadline now counts
            incident.diverted_teams.remove(team.team_id)
        incident.status = "assigned"
        incident.acked = False
        incident.eta_min = choice.eta_min
        incident.candidates = [[tid, eta] for tid, eta in choice.candidates]
        incident.assigned_at, incident.accepted_at = at, None
        incident.queued_at = incident.queue_deadline = None
        incident.ack_deadline = self._deadline(incident, at)
        self._set_destination(incident, at)
        out.extend(self._emit(incident, kind, at, reason=f"{reason}; team {team.team_id} ETA {choice.eta_min:.1f} min", task=True,
                              decisions=decisions))
        out.extend(self._staff_supports(incident, at))
        return out

    def _set_destination(self, incident: Incident, at: datetime) -> None:
        found = destination(incident.category, incident.flags, incident.lat, incident.lon, at, self.ctx.city.help_points,
                            self.ctx.policy, self.ctx.city.timezone)
        incident.destination = found[0].to_dict() if found else None
        incident.rules = [r for r in incident.rules if not r.startswith("destination:")] + ([found[1]] if found else [])

    def _divert(self, victim: Incident, by: Incident, team: Team, at: datetime) -> Outputs:
        """Take the team off a less urgent task: that task goes back to the queue and keeps its timers."""
        out = Outputs()
        out.tasks.append(self.task(victim, team.team_id, "cancel", at, f"{victim.task_event_id}-cancel", reason=f"diverted to {by.priority} {by.incident_id}"))
        team.incident_id = None
        if team.team_id not in victim.diverted_teams:  # it failed nothing: free again, it may take this task back
            victim.diverted_teams.append(team.team_id)
        victim.team_id = None
        victim.ack_deadline = None
        victim.status = "queued"
        victim.queued_at = victim.waiting_since = victim.first_at
        victim.queue_deadline = self._deadline(victim, victim.first_at)
        victim.eta_min, victim.candidates = None, []
        self.touch("incidents", victim.incident_id)
        out.extend(self._emit(victim, "queued", at, reason=f"team {team.team_id} diverted to {by.priority} {by.incident_id}",
                              decisions=(f"diverted_to:{by.incident_id}",)))
        return out

    def _staff_supports(self, incident: Incident, at: datetime) -> Outputs:
        """A second unit for each extra need the lead team lacks, else a partner notice."""
        out = Outputs()
        lead = self.teams.get(incident.team_id or "")
        covered = set(lead.capabilities) if lead else set()
        for held in incident.active_supports():
            covered |= set(held["needs"])
        missing = [n for n in incident.support_needs if n not in covered]
        if not missing:
            return out
        busy = [incident.team_id or "", *(u["team_id"] for u in incident.supports)]
        choice = choose(incident.lat, incident.lon, missing, self.teams.values(), busy, self.ctx.policy,
                        self.region_conditions(incident.district, at).snow)
        if choice is None:
            fresh = [n for n in missing if n not in incident.partner_notices]
            if fresh:
                incident.partner_notices += fresh
                incident.notify = sorted(set(incident.notify) | {n for n in fresh if n in ("police", "health")})
                out.extend(self._emit(incident, "update", at, reason=f"no free unit with {', '.join(fresh)}: partner notice instead",
                                      decisions=tuple(f"partner_notice:{n}" for n in fresh)))
            return out
        out.extend(self._add_support(incident, choice, missing, at, reason="", decisions=tuple(f"support:{n}" for n in missing)))
        return out

    def _add_support(self, incident: Incident, choice: Choice, needs: list[str], at: datetime, *, reason: str,
                     decisions: tuple[str, ...]) -> Outputs:
        """A support assignment for `choice` with its own task and acknowledgement deadline."""
        team = choice.team
        team.incident_id = incident.incident_id
        self.touch("teams", team.team_id)
        unit: dict[str, Any] = {"team_id": team.team_id, "event_id": "", "needs": needs, "status": "assigned",
                                "ack_deadline": self._deadline(incident, at).isoformat(), "assigned_at": at.isoformat(),
                                "eta_min": choice.eta_min}
        incident.supports.append(unit)
        why = f"support unit {team.team_id} for {', '.join(needs) or 'support'}, ETA {choice.eta_min:.1f} min" + (f"; {reason}" if reason else "")
        return self._emit(incident, "support", at, reason=why, decisions=decisions, unit=unit)

    def _release_supports(self, incident: Incident, at: datetime, why: str) -> list[Any]:
        tasks = []
        for unit in incident.active_supports():
            unit["status"] = "released"
            team = self.teams.get(unit["team_id"])
            if team is not None and team.incident_id == incident.incident_id:
                team.incident_id = None
                self.touch("teams", team.team_id)
            tasks.append(self.task(incident, unit["team_id"], "cancel", at, f"{unit['event_id']}-cancel", unit=unit, reason=why))
        return tasks

    def _former_holder_ack(self, incident: Incident, ack: TaskAck, at: datetime) -> Outputs:
        """An ack from a team that held this task before it went elsewhere (its deadline passed, it
        declined, an operator moved it). A team that reached or helped the person did: that is
        taken, and the team that holds the task now stands down (unless it is on scene too). A late
        acceptance takes the task back only while nobody holds it (queued) and the team holds
        nothing else; otherwise the task stays where it is and the ack is refused as the wrong
        team's, for the dispatcher."""
        who = ack.by or ack.team_id
        team = self.teams.get(ack.team_id)
        holder = incident.team_id
        free_for_it = team is not None and team.incident_id in (None, incident.incident_id)
        if ack.status == "resolved":
            out = self._stand_down(incident, at, reason=f"resolved by {who}, who held it before")
            incident.team_id = ack.team_id  # the resolving team, as the event names it
            out.extend(self._resolve(incident, at, ack.outcome, who))
            return out
        reached_first = ack.status == "on_scene" and incident.status != "on_scene"  # else its holder is there already
        if team is not None and free_for_it and (reached_first or (ack.status == "accepted" and holder is None)):
            out = self._stand_down(incident, at, reason=f"{who} {'is on scene' if ack.status == 'on_scene' else 'accepted it'}")
            team.incident_id = incident.incident_id
            if team.status == "unresponsive":  # set by the desk when it missed its deadline; it has answered now
                team.status = "available"  # as after any status report: its task, not its status, keeps it busy
            self.touch("teams", team.team_id)
            incident.team_id = team.team_id
            incident.acked = True
            incident.ack_deadline = None
            incident.queued_at = incident.queue_deadline = None
            incident.status = ack.status
            incident.assigned_at = incident.accepted_at = at  # a new task: the team's acks made before it are its old task's
            changed = self._reach(incident, at) if ack.status == "on_scene" else ""
            out.extend(self._emit(incident, "update", at, reason=f"{ack.status} by {who} after its task went "
                                  f"{'to ' + holder if holder else 'to the queue'}" + (f"; {changed}" if changed else ""), task=True))
            return out
        raise RecordError(f"team {ack.team_id!r} acknowledged ({ack.status}) a task that went from it to {_held_by(incident)}", kind="wrong_team")

    def _reach(self, incident: Incident, at: datetime) -> str:
        """A team is with the person: the hold on their priority ends, so it is reassessed now (milder weather since the
        report lowers it), not at the next change of weather or night, which may never come that night. Where the
        person is taken is chosen again too: it must be open now, when they leave with the team (a kiosk chosen at
        20:50 has closed by the time the team is there at 21:05)."""
        incident.on_scene_at = at
        incident.reached = True
        changed = self._reassess(incident, at)
        self._set_destination(incident, at)
        return changed

    def _stand_down(self, incident: Incident, at: datetime, *, reason: str) -> Outputs:
        """The team holding the incident's task now is released and told (the task goes to another team or the queue)."""
        out = Outputs()
        if incident.team_id:
            out.tasks.append(self.task(incident, incident.team_id, "cancel", at, f"{incident.task_event_id}-cancel", reason=reason))
            self._release_team(incident)
            incident.team_id = None
        return out

    def _support_ack(self, incident: Incident, unit: dict[str, Any], ack: TaskAck, at: datetime) -> Outputs:
        if unit["status"] == "released" or ack.status not in ("accepted", "on_scene", "resolved", "declined"):
            return Outputs()
        if ack.team_id not in (unit["team_id"], OPERATOR_TEAM_ID):
            raise RecordError(f"team {ack.team_id!r} acknowledged a support task of team {unit['team_id']!r}", kind="wrong_team")
        self.touch("incidents", incident.incident_id)
        if ack.status in ("accepted", "on_scene"):
            if unit["status"] == ack.status or (unit["status"] == "on_scene" and ack.status == "accepted"):
                return Outputs()
            unit["status"] = ack.status
            unit[f"{ack.status}_at"] = at.isoformat()  # accepted_at, on_scene_at: its unit timers count from them
            return self._emit(incident, "update", at, reason=f"support {unit['team_id']} {ack.status.replace('_', ' ')}")
        unit["status"] = "released"
        team = self.teams.get(unit["team_id"])
        if team is not None and team.incident_id == incident.incident_id:
            team.incident_id = None
            self.touch("teams", team.team_id)
        if ack.status == "declined":
            return self._staff_supports(incident, at)
        return Outputs()

    def _unfit_lead(self, incident: Incident, at: datetime) -> str | None:
        """Why the lead team no longer fits the incident's needs, when an able free team could take over, else None.

        A lead not yet on scene that lacks a need a later report added (a walking social worker sent to a person now
        reported injured) is replaced; one on scene stays, and so does any lead when no able team is free: a unit on
        its way is better than none.
        """
        lead = self.teams.get(incident.team_id or "")
        if lead is None or incident.status not in ("assigned", "accepted"):
            return None
        lacking = [n for n in incident.needs if n not in lead.capabilities]
        if not lacking:
            return None
        snow = self.region_conditions(incident.district, at).snow
        if choose(incident.lat, incident.lon, incident.needs, self.teams.values(), incident.excluded_teams(), self.ctx.policy, snow) is None:
            return None
        return f"team {lead.team_id} lacks {', '.join(lacking)}"

    def _support_gone(self, incident: Incident, units: list[dict[str, Any]], at: datetime, *, reason: str) -> Outputs:
        """Support units that left the incident (off duty): the console is told, and the need they met gets another
        unit when one is free, else a partner notice."""
        tasks = []
        for unit in units:
            unit["status"] = "released"
            tasks.append(self.task(incident, unit["team_id"], "cancel", at, f"{unit['event_id']}-cancel", unit=unit, reason=reason))
        out = self._emit(incident, "update", at, reason=reason)
        out.tasks[:0] = tasks
        if incident.is_open and incident.team_id:
            out.extend(self._staff_supports(incident, at))
        return out

    def _support_missed(self, incident: Incident, unit: dict[str, Any], now: datetime) -> Outputs:
        """A support unit that did not acknowledge: released, escalated, replaced or a partner notice."""
        self.touch("incidents", incident.incident_id)
        out = Outputs()
        out.tasks += self._release_supports_one(incident, unit, now)
        incident.escalation_cause = "support_ack_missed"
        level = incident.escalation_level + 1
        out.extend(self._emit(incident, "escalation", now, reason=f"support unit {unit['team_id']} missed its ack deadline",
                              decisions=("support_deadline",), escalate_to=timers.escalation_target(level, self.ctx.policy)))
        out.extend(self._staff_supports(incident, now))
        return out

    def _release_supports_one(self, incident: Incident, unit: dict[str, Any], at: datetime) -> list[Any]:
        unit["status"] = "released"
        if unit["team_id"] in self.teams:
            team = self.teams[unit["team_id"]]
            team.status = "unresponsive"
            if team.incident_id == incident.incident_id:
                team.incident_id = None
            self.touch("teams", team.team_id)
        return [self.task(incident, unit["team_id"], "cancel", at, f"{unit['event_id']}-cancel", unit=unit, reason="ack deadline missed")]

    def _escalate_brought_forward(self, before: dict[str, datetime | None], now: datetime) -> Outputs:
        """No silent queue between ticks: a queued task whose deadline this record brought forward into the past (a
        stricter cold-wave level, a report that raises the priority: the new wait counts from the start of the old)
        escalates in the record's own step, as the tick before would have had it known, not on the next tick (a clock
        step after the deadline, or in a replay with sparse ticks much later). `before`: the queued incidents'
        deadlines before the record. Judged at the latest tick, as ticks judge: a record stamped ahead of the clock
        escalates nobody early."""
        due = self.tick or now
        policy = self.ctx.policy
        moved = [self.incidents[i] for i in before if i in self.incidents]
        overdue = [i for i in moved if i.queue_deadline != before[i.incident_id] and timers.queue_overdue(i, due, policy)]
        out = Outputs()
        for incident in sorted(overdue, key=lambda i: (i.queue_deadline or due, i.incident_id)):
            out.extend(self._escalate_queued(incident, now))
        return out

    def _escalate_queued(self, incident: Incident, now: datetime) -> Outputs:
        """No silent queue: a task nobody could take goes up the chain at its deadline."""
        self.touch("incidents", incident.incident_id)
        incident.escalation_level = min(incident.escalation_level + 1, len(self.ctx.policy.escalate_to))
        incident.escalation_cause = "queued"
        incident.waiting_since = now
        incident.queue_deadline = self._deadline(incident, now)
        waited = (now - (incident.queued_at or now)).total_seconds() / 60.0
        needs = ", ".join(incident.needs) or "any"
        return self._emit(incident, "escalation", now, reason=f"queued {waited:.0f} min: no free team with {needs}",
                          decisions=("queue_deadline",))

    def _unit_timer(self, incident: Incident, timer: str, now: datetime, *, unit: dict[str, Any] | None = None) -> Outputs:
        """Warn the console and ask the team to report: the lead, or the support `unit` (each unit has its own timers)."""
        self.touch("incidents", incident.incident_id)
        team_id, eta = (unit["team_id"], unit["eta_min"]) if unit else (incident.team_id, incident.eta_min)
        incident.warned.append(f"{unit['event_id'] if unit else incident.task_event_id}:{timer}")
        limits = self.ctx.policy.dispatching.timers
        who = f"support unit {team_id}" if unit else f"team {team_id}"
        if timer == "en_route":
            reason = f"{who} en route past ETA {eta or 0:.0f} + {limits.en_route_margin_min:.0f} min"
        else:
            reason = f"{who} on scene {limits.on_scene_max_min:.0f} min without an outcome"
        decisions = (f"unit_timer:{timer}", f"unit_timer_team:{team_id}") if unit else (f"unit_timer:{timer}",)
        out = self._emit(incident, "unit_timer", now, reason=reason, decisions=decisions)
        if team_id:
            out.tasks.append(self.task(incident, team_id, "report", now, f"{out.events[0].event_id}-report", unit=unit, reason=reason))
        return out

    def _merge(self, survivor: Incident, other: Incident, at: datetime, report_id: str, *, why: str | None = None) -> Outputs:
        """Two open incidents a later report links: one person. The other closes and its units are released and told."""
        out = Outputs()
        if other.team_id:
            out.tasks.append(self.task(other, other.team_id, "cancel", at, f"{other.task_event_id}-cancel", reason=f"merged into {survivor.incident_id}"))
        self._release_team(other)
        out.tasks += self._release_supports(other, at, f"merged into {survivor.incident_id}")
        absorb(survivor, other)
        other.team_id = None
        other.ack_deadline = None
        other.closed_at = at
        self.touch("incidents", other.incident_id)
        self.touch("incidents", survivor.incident_id)
        out.extend(self._emit(other, "merged", at, reason=why or f"same person as {survivor.incident_id} (linked by report {report_id})",
                              decisions=("merge",)))
        return out

    def _release_team(self, incident: Incident) -> None:
        if incident.team_id and incident.team_id in self.teams:
            team = self.teams[incident.team_id]
            if team.incident_id == incident.incident_id:
                team.incident_id = None
                self.touch("teams", team.team_id)

    def _reassign(self, incident: Incident, at: datetime, *, reason: str, escalate: bool) -> Outputs:
        previous = incident.team_id
        out = self._stand_down(incident, at, reason=reason)
        if escalate and previous in self.teams:
            # A team that let a deadline pass is unreachable until it reports again.
            self.teams[previous].status = "unresponsive"
            self.touch("teams", previous)
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
        out = Outputs(tasks=self._release_supports(incident, at, "incident resolved"))
        followup = timers.wants_followup(outcome, self.ctx.policy)
        out.extend(self._emit(incident, "resolved", at, reason=f"resolved by {who}" + (f": {outcome}" if outcome else ""),
                              decisions=("followup",) if followup else ()))
        if followup:
            level = self.region_conditions(incident.district, at).cold_wave_level
            incident.followup_at = at + followup_delay(level, self.ctx.policy)
            incident.status = "followup_due"
            incident.team_id = None
        else:
            incident.closed_at = at
        return out

    def _reopen(self, incident: Incident, at: datetime, *, kind: str, reason: str) -> Outputs:
        """A person left outside is visited again: a fresh task (any team, its own deadlines), or the queue."""
        self.touch("incidents", incident.incident_id)
        incident.followup_at = None
        incident.status = "queued"
        incident.tried_teams = []
        incident.diverted_teams = []
        incident.escalation_level = 0
        incident.queued_at = incident.queue_deadline = None
        return self._assign(incident, at, kind=kind, reason=reason)

    def _drain_queue(self, at: datetime) -> Outputs:
        """Offer queued tasks to free teams most urgent first; an urgent one may divert a team."""
        out = Outputs()
        divertible = self.ctx.policy.dispatching.diversion.for_priorities
        # An assignment takes a free team or diverts a busy one, never frees one: with no team free now, only
        # the incidents that may divert a team can be served, so only those are ranked (in the same order, the
        # queue's order being total), not the whole queue on every tick.
        waiting = self.incidents.values() if any(t.free for t in self.teams.values()) else [
            i for i in self.incidents.values() if i.priority in divertible]
        for incident in queue_order(waiting, self.ctx.policy):
            free = any(t.free for t in self.teams.values())
            if not free and incident.priority not in divertible:
                continue
            snow = self.region_conditions(incident.district, at).snow
            choice = choose(incident.lat, incident.lon, incident.needs, self.teams.values(), incident.excluded_teams(), self.ctx.policy, snow)
            if choice is None and (incident.priority not in divertible
                                   or diversion(incident, self.teams.values(), self.incidents, self.ctx.policy, snow) is None):
                continue
            out.extend(self._assign(incident, at, kind="dispatch", reason="team became free" if choice else "queued"))
        return out

    def _conditions_changed(self, at: datetime) -> Outputs:
        """Publish regions whose weather judgement changed; re-rank open incidents."""
        out = Outputs()
        views = changed_views(self.weather, self.published, at, self.ctx)
        for view in views:
            self.touch("published", view["region"])
        out.conditions.extend({**view, "centre": self.centre} for view in views)
        changed_regions = [v["region"] for v in views]
        if changed_regions:
            for incident in sorted(self.incidents.values(), key=lambda i: i.incident_id):
                if incident.is_open and incident.district in changed_regions:
                    before, stored = incident.priority, incident.to_dict()
                    self._reassess(incident, at)
                    if incident.to_dict() != stored:
                        # Any change is written, not only a new priority: a rule (`no_demotion`, a level that raises
                        # nothing) or a deadline brought forward that only memory held was lost at a restart, and the
                        # restarted desk decided otherwise than the live one.
                        self.touch("incidents", incident.incident_id)
                    if incident.priority != before:
                        out.extend(self._emit(incident, "update", at, reason=f"conditions changed: priority {before}->{incident.priority}"))
        return out

    # ----------------------------------------------------------------- output

    def _emit(self, incident: Incident, kind: str, at: datetime, *, reason: str, task: bool = False, decisions: tuple[str, ...] = (),
              unit: dict[str, Any] | None = None, escalate_to: str | None = None) -> Outputs:
        incident.revision += 1
        # Every event is a new revision to store (and its timers may have changed): an
        # incident left unwritten would restart at its old revision and reissue event ids.
        self.touch("incidents", incident.incident_id)
        event_id = f"{incident.incident_id}-r{incident.revision}"
        if task:
            incident.task_event_id = event_id
        if unit is not None:
            unit["event_id"] = event_id
        if task or unit is not None:
            self.event_index[event_id] = incident.incident_id
            self.touch("event_index", event_id)
        if kind == "escalation" and escalate_to is None:
            escalate_to = timers.escalation_target(incident.escalation_level, self.ctx.policy)
        event = dispatch_event(incident, event_id, kind, at, centre=self.centre, reason=reason, policy=self.ctx.policy,
                               help_point=self.help_points.near(incident.lat, incident.lon), escalate_to=escalate_to, decisions=decisions, unit=unit)
        out = Outputs(events=[event])
        if task and incident.team_id:
            out.tasks.append(self.task(incident, incident.team_id, "assign", at, event_id))
        if unit is not None:
            out.tasks.append(self.task(incident, unit["team_id"], "assign", at, event_id, unit=unit))
        return out

    def task(self, incident: Incident, team_id: str, kind: str, at: datetime, event_id: str, *,
             unit: dict[str, Any] | None = None, reason: str | None = None) -> TeamTask:
        """A task of this centre's desk for a team's phone, with the help point nearest the incident."""
        return team_task(incident, team_id, kind, at, event_id, self.help_points.near(incident.lat, incident.lon),
                         centre=self.centre, unit=unit, reason=reason)


def _held_by(incident: Incident) -> str:
    """Who holds the incident's task, as a refused ack's reason names it."""
    return f"team {incident.team_id!r}" if incident.team_id else f"no team (incident is {incident.status})"
