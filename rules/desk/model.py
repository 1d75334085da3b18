"""The desk's state records: incidents and teams, and what one input produced.

Plain dataclasses that serialise to plain dicts, so the agent keeps them in a
Faust table and a restarted worker resumes exactly where the last one stopped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from core.records import CommandResult, DispatchEvent, Report, TeamTask, from_iso

# The incident's times, written as ISO strings.
_TIMES = ("first_at", "last_at", "ack_deadline", "followup_at", "resolved_at", "assigned_at", "accepted_at", "on_scene_at",
          "queued_at", "queue_deadline", "waiting_since", "closed_at")
OPEN_STATES = ("queued", "assigned", "accepted", "on_scene", "followup_due")
ACTIVE_SUPPORT = ("assigned", "accepted", "on_scene")


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic id: the same inputs give the same id in every replay."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]
    return f"{prefix}-{digest}"


def incident_id_of(centre: str, *parts: str) -> str:
    """The id of the incident a centre's desk opens for `parts` (a report's id; a split's report and command ids).

    Ids of reports come from each city's producers (a hotline's `12345-0001`), so two cities' tips can share one: an
    id of the report alone gave both centres' incidents one id and the same event ids, and the console, the ledger and
    the partner notices kept one of the two (the other city's team could not even accept its task).
    """
    return stable_id("inc", centre, *parts)


def fingerprint(report: Report) -> str:
    """The content of a report, to tell a redelivery from a clashing id."""
    return hashlib.sha1(report.to_json()).hexdigest()[:16]


@dataclass
class Incident:
    """One person at risk, merged from every report about them."""

    incident_id: str
    district: str
    zone_id: str | None
    key_area: str | None
    lat: float
    lon: float
    first_at: datetime
    last_at: datetime
    reports: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    has_tip: bool = False
    still_s: float = 0.0
    # listed reports whose reporter left a contact: only these reporters are replied to (a later tip reusing an id the
    # desk took without a contact, refused as a duplicate, had its sender told how that call ended)
    contact_reports: list[str] = field(default_factory=list)
    track_ids: list[str] = field(default_factory=list)  # thermal tracks fed, as `matching.track_key` (camera-scoped)
    shots: list[str] = field(default_factory=list)  # the frames its detections came from, as `matching.shot_key`
    text: str = ""
    persons: int | None = None
    revision: int = 0
    status: str = "new"
    category: str = ""
    priority: str = ""
    rules: list[str] = field(default_factory=list)
    notify: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    action: str = ""
    team_id: str | None = None
    task_event_id: str | None = None
    ack_deadline: datetime | None = None
    acked: bool = False
    escalation_level: int = 0
    tried_teams: list[str] = field(default_factory=list)
    # teams taken off this task by a diversion: they failed nothing, so they may take it again (unlike the others tried)
    diverted_teams: list[str] = field(default_factory=list)
    followup_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None
    # the lead unit's way there and the alternatives shown with it
    eta_min: float | None = None
    candidates: list[list[Any]] = field(default_factory=list)  # [[team_id, eta_min], ...]
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None  # the lead's acceptance of its task: en route from then (state written before: None)
    on_scene_at: datetime | None = None
    reached: bool = False  # a team has been on scene (from then on priority may fall)
    warned: list[str] = field(default_factory=list)  # unit timers already fired, "<event_id>:<timer>"
    # no silent queue: a queued incident escalates at its deadline
    queued_at: datetime | None = None
    queue_deadline: datetime | None = None
    waiting_since: datetime | None = None  # the start of the queued wait the deadline guards (queued or last escalated)
    escalation_cause: str | None = None
    # support units: [{team_id, event_id, needs, status, ack_deadline, assigned_at, eta_min}]
    support_needs: list[str] = field(default_factory=list)
    supports: list[dict[str, Any]] = field(default_factory=list)
    partner_notices: list[str] = field(default_factory=list)
    destination: dict[str, Any] | None = None
    merged_into: str | None = None
    # what reports said about the person (descriptions must not conflict to match)
    sex: str | None = None
    age_group: str | None = None
    posture: str | None = None
    referred: list[str] = field(default_factory=list)  # the flags a referral after the night was sent for (`rules.referrals`)
    company: str | None = None  # a minor's company: "alone" once any report says so, else "accompanied" if one did
    uncertainty_m: float = 0.0
    # an operator's priority, kept over every reassessment: {priority, by, reason}
    override: dict[str, str] | None = None
    closed_at: datetime | None = None  # when it was resolved (no follow-up due) or merged: forgotten after the retention

    def to_dict(self) -> dict[str, Any]:
        # Field by field as their types say (the desk writes every touched incident): times as ISO strings, and
        # never a list (or a support's dict, or a candidate) shared with the stored copy.
        out = dict(self.__dict__)
        for key in _TIMES:
            if (value := out[key]) is not None:
                out[key] = value.isoformat()
        for key in _STRING_LISTS:
            out[key] = list(out[key])
        out["candidates"] = [list(c) for c in self.candidates]
        out["supports"] = [dict(s) for s in self.supports]
        for key in ("destination", "override"):
            if (value := out[key]) is not None:
                out[key] = dict(value)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Incident:
        values: dict[str, Any] = {
            k: [dict(x) if isinstance(x, dict) else x for x in v] if isinstance(v, list) else v for k, v in data.items()
        }
        for key in _TIMES:
            if values.get(key) is not None:
                values[key] = from_iso(values[key])
        return cls(**values)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def independent_sources(self) -> int:
        return len(set(self.channels))

    def excluded_teams(self) -> list[str]:
        """The teams never offered this task again: those that held it and declined, let its deadline pass or were
        moved off it by an operator; not a team a more urgent incident diverted (it may take the task back)."""
        return [t for t in self.tried_teams if t not in self.diverted_teams]

    def support(self, event_id: str) -> dict[str, Any] | None:
        """The support assignment a task event id names, if any."""
        return next((s for s in self.supports if s["event_id"] == event_id), None)

    def active_supports(self) -> list[dict[str, Any]]:
        return [s for s in self.supports if s["status"] in ACTIVE_SUPPORT]

    def active_support_of(self, team_id: str) -> dict[str, Any] | None:
        """The team's active support unit here, if it holds one."""
        return next((u for u in self.active_supports() if u["team_id"] == team_id), None)

    def given_at(self, team_id: str) -> datetime | None:
        """When the team was given the task it holds here now (lead or active support), or None if it holds none.

        Whatever the team said before then was about an earlier task of the incident: the desk's checks of a
        superseded task (acks, on-scene assessments) compare with this."""
        if self.team_id == team_id:
            return self.assigned_at
        unit = self.active_support_of(team_id)
        return from_iso(unit["assigned_at"]) if unit is not None and unit.get("assigned_at") else None

    def task_event_of(self, team_id: str) -> str | None:
        """The event id of the task the team holds here now (lead or active support), or None if it holds none."""
        if self.team_id == team_id:
            return self.task_event_id
        unit = self.active_support_of(team_id)
        return str(unit["event_id"]) if unit is not None and unit.get("event_id") else None

    def assignments(self) -> list[dict[str, Any]]:
        """Every unit on the incident, lead first, as events show them."""
        units: list[dict[str, Any]] = []
        if self.team_id:
            units.append({"team_id": self.team_id, "role": "lead", "event_id": self.task_event_id, "status": self.status,
                          "ack_deadline": self.ack_deadline.isoformat() if self.ack_deadline and not self.acked else None,
                          "eta_min": self.eta_min})
        for s in self.supports:
            units.append({"team_id": s["team_id"], "role": "support", "event_id": s["event_id"], "status": s["status"],
                          "ack_deadline": s["ack_deadline"] if s["status"] == "assigned" else None, "eta_min": s["eta_min"],
                          "needs": list(s["needs"])})
        return units


_STRING_LISTS = tuple(f.name for f in fields(Incident) if f.type == "list[str]")


@dataclass
class Team:
    """A patrol team as the desk knows it: last reported state and its open task."""

    team_id: str
    lat: float
    lon: float
    status: str
    capabilities: list[str]
    at: datetime
    incident_id: str | None = None  # the task the desk gave it and has not closed

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "at": self.at.isoformat(), "capabilities": list(self.capabilities)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Team:
        return cls(**{**data, "at": from_iso(data["at"]), "capabilities": list(data["capabilities"])})

    @property
    def free(self) -> bool:
        return self.status == "available" and self.incident_id is None


@dataclass
class Outputs:
    """What one input produced, in the order it must be sent."""

    events: list[DispatchEvent] = field(default_factory=list)
    tasks: list[TeamTask] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    results: list[CommandResult] = field(default_factory=list)  # the desk's answers to commands

    def extend(self, other: Outputs) -> None:
        self.events.extend(other.events)
        self.tasks.extend(other.tasks)
        self.conditions.extend(other.conditions)
        self.results.extend(other.results)
