"""The desk's state records: incidents and teams, and what one input produced.

Plain dataclasses that serialise to plain dicts, so the agent keeps them in a
Faust table and a restarted worker resumes exactly where the last one stopped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.records import DispatchEvent, Report, TeamTask

OPEN_STATES = ("queued", "assigned", "accepted", "on_scene", "followup_due")


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic id: the same inputs give the same id in every replay."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]
    return f"{prefix}-{digest}"


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
    track_ids: list[str] = field(default_factory=list)
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
    followup_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, list):
                value = list(value)  # never share a list with the stored copy
            out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Incident:
        values: dict[str, Any] = {k: list(v) if isinstance(v, list) else v for k, v in data.items()}
        for key in ("first_at", "last_at", "ack_deadline", "followup_at", "resolved_at"):
            if values.get(key) is not None:
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def independent_sources(self) -> int:
        return len(set(self.channels))


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
        return cls(**{**data, "at": datetime.fromisoformat(data["at"]), "capabilities": list(data["capabilities"])})

    @property
    def free(self) -> bool:
        return self.status == "available" and self.incident_id is None


@dataclass
class Outputs:
    """What one input produced, in the order it must be sent."""

    events: list[DispatchEvent] = field(default_factory=list)
    tasks: list[TeamTask] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: Outputs) -> None:
        self.events.extend(other.events)
        self.tasks.extend(other.tasks)
        self.conditions.extend(other.conditions)
