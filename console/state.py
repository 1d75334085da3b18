"""The console's view model: topic records folded into what operators see.

Pure and synchronous (no broker, no web), so it is unit-tested record by
record and a restarted console rebuilds the same view by replaying the
topics from the beginning. Each `apply_*` returns the changes to push to
live pages (an SSE event name and its JSON data), or nothing when the record
changed nothing (duplicate event id, older revision, repeated status).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core import topics
from core.errors import RecordError
from core.records import (
    CAPABILITIES,
    CITY_WIDE,
    PRIORITIES,
    ClockTick,
    Conditions,
    DispatchEvent,
    TaskHint,
    TeamStatus,
    decoded,
)
from core.textfold import lookalike_key
from geo.city import TeamBase
from rules.intake import roster_capabilities

log = logging.getLogger(__name__)

# Kinds that hand a task to a team: their event_id is what the team acknowledges.
TASK_KINDS: frozenset[str] = frozenset({"dispatch", "escalation", "followup"})
CLOSED_STATUSES: frozenset[str] = frozenset({"resolved", "followup_due", "merged"})
ACTIVE_UNIT: frozenset[str] = frozenset({"assigned", "accepted", "on_scene"})
HISTORY_LIMIT = 30
CLOSED_LIMIT = 50
# How long, in event time, a closed incident (its event ids, its hints) stays in memory after its last event. The page
# shows the latest CLOSED_LIMIT closed ones; kept for the process's life, a console up for a winter grew without bound.
RETENTION = timedelta(hours=6)
FORGET_EVERY = timedelta(minutes=10)  # how often (event time) the view looks for closed incidents past RETENTION

Change = tuple[str, dict[str, Any]]


def _everything(_: Any) -> bool:
    return True


@dataclass(frozen=True)
class Scope:
    """What one reader of the view may see (a token scoped to some dispatch centres): by incident, team id, weather's centre."""

    incident: Callable[[IncidentView], bool] = _everything
    team: Callable[[str], bool] = _everything
    conditions: Callable[[str], bool] = _everything


@dataclass
class IncidentView:
    """The latest revision of one incident plus what the console derives from its history."""

    latest: DispatchEvent
    task_event_id: str | None = None
    task_team_id: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    # Every event id of the incident seen, with its revision: which task a team's action was made for (`names_task`).
    revisions: dict[str, int] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.latest.kind == "resolved" or self.latest.status in CLOSED_STATUSES

    @property
    def queued(self) -> bool:
        return not self.closed and (self.latest.status == "queued" or (self.latest.kind == "queued" and not self.latest.team_id))

    def task_of(self, team_id: str) -> str | None:
        """The event id of this team's open task here: the lead's task, or its support unit's; None if it holds none."""
        if self.closed:
            return None
        if self.latest.team_id == team_id and self.task_event_id:
            return self.task_event_id
        for unit in self.latest.assignments:
            if unit.get("team_id") == team_id and unit.get("role") == "support" and unit.get("status") in ACTIVE_UNIT:
                return str(unit.get("event_id")) if unit.get("event_id") else None
        return None

    def names_task(self, event_id: str, task_event_id: str) -> bool:
        """Whether an action naming `event_id` was made for the team's task `task_event_id` (from `task_of`).

        It was when it names that task, an event written after the task was
        given (the phone saw it while holding the task) or the incident. An
        event from before (the team's earlier task it declined or finished,
        an event the console never saw) names an older task: a late or
        replayed action for it must not act on the task the team holds now.
        """
        if event_id in (task_event_id, self.latest.incident_id):
            return True
        named, given = self.revisions.get(event_id), self.revisions.get(task_event_id)
        return named is not None and given is not None and named >= given

    def ended_for(self, team_id: str) -> bool:
        """The incident is closed and the team had a unit in it: its late action changes nothing."""
        return self.closed and (self.latest.team_id == team_id or any(u.get("team_id") == team_id for u in self.latest.assignments))

    def to_dict(self) -> dict[str, Any]:
        out = self.latest.to_dict()
        out["task_event_id"] = self.task_event_id
        out["closed"] = self.closed
        out["queued"] = self.queued
        out["history"] = list(self.history)
        out["escalations"] = [h for h in self.history if h["kind"] == "escalation"]
        return out


@dataclass
class TeamView:
    """A team: its city metadata (name, base) merged with its latest status."""

    team_id: str
    name: str | None = None
    name_en: str | None = None
    district: str | None = None
    capabilities: tuple[str, ...] = ()
    status: str = "unknown"
    lat: float | None = None
    lon: float | None = None
    at: datetime | None = None

    def to_dict(self, incident_id: str | None) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "name": self.name,
            "name_en": self.name_en,
            "district": self.district,
            "capabilities": list(self.capabilities),
            "status": self.status,
            "lat": self.lat,
            "lon": self.lon,
            "at": self.at.isoformat() if self.at else None,
            "incident_id": incident_id,
        }


def priority_rank(priority: str) -> int:
    return PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES)


def sort_key(view: IncidentView) -> tuple[int, int, datetime, str]:
    """Priority, then key area first, then oldest first report (the domain's ranking)."""
    ev = view.latest
    first = ev.first_report_at or ev.at
    return (priority_rank(ev.priority), 0 if ev.key_area else 1, first.astimezone(UTC), ev.incident_id)



@dataclass
class Forgetting:
    """When to drop what is older than `retention` of event time, looked for at most once per `every`.

    The view and the metrics' escalation ids both grew all winter when kept for the process's life; event time (not
    the wall clock) so that a replay forgets as the night did.
    """

    retention: timedelta = RETENTION
    every: timedelta = FORGET_EVERY
    _next: datetime | None = field(default=None, repr=False)

    def due(self, at: datetime) -> datetime | None:
        """The horizon (`at - retention`) to forget before, when a look is due at event time `at`; else None."""
        if self._next is not None and at < self._next:
            return None
        self._next = at + self.every
        return at - self.retention


class ConsoleState:
    """Incidents, teams, conditions and event-time now, folded from the topics."""

    def __init__(self, city_teams: Iterable[TeamBase] = (), max_ahead: timedelta = timedelta(minutes=60),
                 status_refusal: Callable[[Mapping[str, Any]], str | None] | None = None,
                 unrostered: tuple[str, ...] = CAPABILITIES, retention: timedelta = RETENTION) -> None:
        """`max_ahead`: the desk's `max_ahead_min`; a team's record dated further past the console's clock is not kept
        against the team's later ones (`apply_team_status`). `status_refusal`: why the desk refuses a `team-status`
        record (`console.centres.CentreKeys.status_refusal`); such a record is not shown. `retention`: how long a closed
        incident is kept after its last event (`forget_closed`)."""
        self.max_ahead = max_ahead
        self.forgetting = Forgetting(retention)
        self.status_refusal = status_refusal
        self.unrostered = unrostered  # the policy's intake.unrostered_capabilities: what a team off the roster may claim
        self.incidents: dict[str, IncidentView] = {}
        self.event_index: dict[str, str] = {}
        self.teams: dict[str, TeamView] = {}
        self.conditions: dict[tuple[str, str], Conditions] = {}  # by centre and region: each city has its own city-wide weather
        self.now: datetime | None = None
        self.ahead: datetime | None = None  # a clock tick too far past `now` to be taken on its word (`apply_clock`)
        # What the person ledger told each team about the person on its task: (team, incident) -> the latest hint.
        self.hints: dict[tuple[str, str], TaskHint] = {}
        self.skipped = 0
        self.roster: dict[str, str] = {}  # each roster team's id by how its id and names look (`core.textfold.lookalike_key`)
        self.bases: dict[str, TeamBase] = {}  # the roster: what each of its teams can do (`rules.intake.roster_capabilities`)
        for base in city_teams:
            self.bases[base.team_id] = base
            self._seed_team(base)
            for shown in (base.team_id, base.name, base.name_en):
                self.roster.setdefault(lookalike_key(shown), base.team_id)

    # ------------------------------------------------------------------ input

    def _seed_team(self, base: TeamBase) -> None:
        """A team of the city's teams layer, shown at its base until it reports."""
        self.teams[base.team_id] = TeamView(
            team_id=base.team_id,
            name=base.name,
            name_en=base.name_en,
            district=base.district,
            capabilities=base.capabilities,
            lat=base.lat,
            lon=base.lon,
        )

    def apply_record(self, topic: str, data: Any) -> list[Change]:
        """Fold one decoded record from an unprefixed topic name; a malformed one is logged and skipped."""
        if not isinstance(data, dict):
            self.skipped += 1
            log.warning("skipping non-object record on %s", topic)
            return []
        try:
            # Times are checked before anything is kept (`check_times`): one without its offset, first read, became
            # the console's now and every later record was skipped; year 9999 failed every page of open incidents.
            if topic == topics.DISPATCH:
                return self.apply_dispatch(decoded(DispatchEvent, data))
            if topic == topics.TEAM_STATUS:
                status = decoded(TeamStatus, data)
                if self.status_refusal is not None and (why := self.status_refusal(data)) is not None:
                    self.skipped += 1
                    log.warning("skipping team-status of %r the desk refuses: %s", status.team_id, why)
                    return []
                return self.apply_team_status(status)
            if topic == topics.CONDITIONS:
                return self.apply_conditions(decoded(Conditions, data))
            if topic == topics.CLOCK:
                return self.apply_clock(decoded(ClockTick, data))
            if topic == topics.TASK_HINTS:
                return self.apply_hint(decoded(TaskHint, data))
        except (TypeError, ValueError, KeyError, AttributeError, RecordError) as exc:
            self.skipped += 1
            log.warning("skipping malformed record on %s: %s", topic, exc)
        return []

    def apply_dispatch(self, ev: DispatchEvent) -> list[Change]:
        """Keep the latest revision per incident; drop duplicate and older event ids."""
        changes = self._advance(ev.at)
        if ev.event_id in self.event_index:
            return changes
        self.event_index[ev.event_id] = ev.incident_id
        view = self.incidents.get(ev.incident_id)
        entry = {"event_id": ev.event_id, "kind": ev.kind, "revision": ev.revision, "at": ev.at.isoformat(), "team_id": ev.team_id,
                 "priority": ev.priority, "reason": ev.reason, "escalation_level": ev.escalation_level, "escalate_to": ev.escalate_to}
        if view is None:
            view = IncidentView(latest=ev)
            self.incidents[ev.incident_id] = view
        elif ev.revision <= view.latest.revision:
            # An older revision arriving late: history only, the view stays.
            view.revisions[ev.event_id] = ev.revision
            view.history.append(entry)
            view.history.sort(key=lambda h: h["revision"])
            del view.history[:-HISTORY_LIMIT]
            return changes
        else:
            view.latest = ev
        view.revisions[ev.event_id] = ev.revision
        lead = next((a for a in ev.assignments if a.get("role") == "lead" and a.get("event_id")), None)
        if lead is not None and ev.team_id and lead.get("team_id") == ev.team_id:
            # The desk's own word: a team that took its task back got it in an `update`, not a task kind.
            view.task_event_id, view.task_team_id = str(lead["event_id"]), ev.team_id
        elif ev.kind in TASK_KINDS and ev.team_id:  # an event written before it listed its assignments
            view.task_event_id, view.task_team_id = ev.event_id, ev.team_id
        elif not ev.team_id:
            view.task_event_id, view.task_team_id = None, None
        view.history.append(entry)
        del view.history[:-HISTORY_LIMIT]
        changes.append(("incident", view.to_dict()))
        for team_id in {t for t in (ev.team_id, *(h["team_id"] for h in view.history[-3:])) if t}:
            if team_id in self.teams:
                changes.append(("team", self.team_dict(team_id)))
        return changes

    def apply_hint(self, hint: TaskHint) -> list[Change]:
        """Keep the latest hint per team and incident, a linked file over a suggestion of the same time (a replayed or older one changes nothing)."""
        key = (hint.team_id, hint.incident_id)
        held = self.hints.get(key)
        if held is not None and (held.at, held.linked, held.hint_id) >= (hint.at, hint.linked, hint.hint_id):
            return []
        self.hints[key] = hint
        return [("team", self.team_dict(hint.team_id))] if hint.team_id in self.teams else []

    def known_for(self, team_id: str, incident_id: str) -> dict[str, Any] | None:
        """What the team's phone shows of the ledger's hint for its task (None: the ledger knows nobody here)."""
        hint = self.hints.get((team_id, incident_id))
        if hint is None:
            return None
        return {k: v for k, v in hint.to_dict().items() if k not in ("kind", "hint_id", "team_id", "incident_id")}

    def apply_team_status(self, status: TeamStatus) -> list[Change]:
        twin = self.roster.get(lookalike_key(status.team_id)) or (self.roster.get(lookalike_key(status.name)) if status.name else None)
        if twin is not None and twin != status.team_id:
            # Written like a roster team ("Т-daoli-1", Cyrillic Т): the desk refuses it, and on the map it stood beside the
            # real team under the same name.
            self.skipped += 1
            log.warning("skipping team-status of %r, written like the roster's %r", status.team_id, twin)
            return []
        changes = self._confirm_ahead(status.at)
        team = self.teams.get(status.team_id) or TeamView(team_id=status.team_id)
        # A kept record dated beyond max_ahead of the clock (2099: the desk refused it) yields to the team's real ones:
        # kept, every later status was older than it and the team stood frozen on the map all night.
        if team.at is not None and status.at < team.at and not (self.now is not None and team.at - self.now > self.max_ahead):
            return changes
        team.status, team.lat, team.lon, team.at = status.status, status.lat, status.lon, status.at
        # The desk's reading: a roster team has at most its roster's capabilities (a forged claim is not shown either).
        if caps := roster_capabilities(status.capabilities or None, self.bases.get(status.team_id), self.unrostered):
            team.capabilities = caps
        if status.name and not team.name:
            team.name = status.name
        if status.district:
            team.district = status.district
        self.teams[status.team_id] = team
        return [*changes, ("team", self.team_dict(status.team_id))]

    def apply_conditions(self, cond: Conditions) -> list[Change]:
        key = (cond.centre, cond.region)
        current = self.conditions.get(key)
        if current is not None and cond.at < current.at:
            return []
        self.conditions[key] = cond
        return [("conditions", cond.to_dict())]

    def conditions_in(self, centre: str, district: str) -> Conditions | None:
        """The weather a call in `district` of `centre`'s city is judged by: the district's, else its city-wide."""
        for (_, region), cond in self.conditions.items():
            if region == district:  # district ids are unique across a deployment's cities
                return cond
        wide = [c for (of, region), c in self.conditions.items() if region == CITY_WIDE and (of == centre or not of or not centre)]
        return max(wide, key=lambda c: c.at, default=None)

    def apply_clock(self, tick: ClockTick) -> list[Change]:
        """Event time from the clock topic, as the desk takes it (`rules.desk.Desk.clock_tick`): a tick more than
        `max_ahead` past now is held until a team's status or a decision dated near it comes.

        One tick dated 2099 moved the console's now there for good: every call it took was stamped 2099 and refused by
        the desk as future_time, every phone's fix was stale and every ack dated 2099.
        """
        if self.now is not None and tick.at - self.now > self.max_ahead:
            self.ahead = tick.at
            return []
        self.ahead = None
        return self._advance(tick.at)

    def _confirm_ahead(self, at: datetime) -> list[Change]:
        """Now moved to the held tick, when a record dated `at` (near it, and itself too far past now) confirms it."""
        ahead = self.ahead
        if ahead is None or self.now is None or at - self.now <= self.max_ahead or abs(at - ahead) > self.max_ahead:
            return []
        self.ahead = None
        return self._advance(ahead)

    def _advance(self, at: datetime) -> list[Change]:
        """Event-time now only moves forward."""
        if self.now is None or at > self.now:
            self.now = at
            if self.forgetting.due(at) is not None:
                self.forget_closed(at)
            return [("now", {"now": at.isoformat()})]
        return []

    def forget_closed(self, now: datetime) -> int:
        """Forget incidents closed with no event for `retention` before `now` (their event ids and hints too); how many.

        Open incidents are never forgotten, however old. A duplicate of a forgotten incident's event would fold it again
        (closed, it goes at the next sweep); the desk, not the console, is the record of what happened.
        """
        horizon = now - self.forgetting.retention
        old = [i for i, v in self.incidents.items() if v.closed and v.latest.at < horizon]
        for incident_id in old:
            view = self.incidents.pop(incident_id)
            for event_id in (*view.revisions, view.latest.event_id):
                self.event_index.pop(event_id, None)
        if old:
            gone = set(old)
            self.hints = {k: h for k, h in self.hints.items() if k[1] not in gone}
        return len(old)

    # ----------------------------------------------------------------- output

    def now_or_wall(self) -> datetime:
        """The console's notion of now: latest event time seen, else the wall clock."""
        return self.now if self.now is not None else datetime.now(UTC)

    def team_incident(self, team_id: str) -> str | None:
        """The open incident a team currently holds, as lead or as support unit, if any."""
        for view in self.incidents.values():
            if view.closed:
                continue
            if view.latest.team_id == team_id or any(a.get("team_id") == team_id and a.get("status") in ACTIVE_UNIT
                                                      for a in view.latest.assignments):
                return view.latest.incident_id
        return None

    def team_dict(self, team_id: str) -> dict[str, Any]:
        return self.teams[team_id].to_dict(self.team_incident(team_id))

    def open_incidents(self, scope: Scope | None = None) -> list[IncidentView]:
        keep = (scope or Scope()).incident
        return sorted((v for v in self.incidents.values() if not v.closed and keep(v)), key=sort_key)

    def closed_incidents(self, scope: Scope | None = None) -> list[IncidentView]:
        keep = (scope or Scope()).incident
        closed = [v for v in self.incidents.values() if v.closed and keep(v)]
        closed.sort(key=lambda v: (v.latest.at.astimezone(UTC), v.latest.incident_id), reverse=True)
        return closed[:CLOSED_LIMIT]

    def queued(self) -> list[IncidentView]:
        return [v for v in self.open_incidents() if v.queued]

    def snapshot(self, scope: Scope | None = None) -> dict[str, Any]:
        """Everything a page needs on connect (of its token's centres, `scope`)."""
        scope = scope or Scope()
        return {
            "now": self.now.isoformat() if self.now else None,
            "incidents": [v.to_dict() for v in self.open_incidents(scope)],
            "closed": [v.to_dict() for v in self.closed_incidents(scope)],
            "teams": [self.team_dict(t) for t in sorted(self.teams) if scope.team(t)],
            "conditions": [c.to_dict() for (centre, _), c in sorted(self.conditions.items()) if scope.conditions(centre)],
        }

    def incident_for_event(self, event_id: str) -> IncidentView | None:
        incident_id = self.event_index.get(event_id)
        return self.incidents.get(incident_id) if incident_id else None

    def team_tasks(self, team_id: str) -> list[IncidentView]:
        """Open incidents in which a team holds a task (lead or support unit), most urgent first."""
        return [v for v in self.open_incidents() if v.task_of(team_id)]
