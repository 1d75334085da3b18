"""What a person file knows, as plain values, and the refusal rule (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ledger.policy import LedgerPolicy


@dataclass(frozen=True)
class Sighting:
    """Where and when the person was met (an incident linked to the file)."""

    lat: float
    lon: float
    at: datetime


@dataclass(frozen=True)
class Contact:
    """One incident linked to the file, with how it ended."""

    incident_id: str
    at: datetime
    lat: float
    lon: float
    outcome: str | None
    cold_wave: str
    flags: tuple[str, ...] = ()
    team_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "at": self.at.isoformat(),
            "lat": self.lat,
            "lon": self.lon,
            "outcome": self.outcome,
            "cold_wave": self.cold_wave,
            "flags": list(self.flags),
            "team_id": self.team_id,
        }


@dataclass(frozen=True)
class Profile:
    """A live file as matching, sweeps and the team's "what helps" see it."""

    person_id: str
    sex: str
    age_group: str
    appearance: str
    languages: str
    health_notes: str
    helps: str
    sightings: tuple[Sighting, ...]
    refusals: int
    flags: tuple[str, ...] = ()
    risk_notes: str = ""
    needs: str = ""

    def as_of(self, latest: datetime) -> Profile:
        """The file as known at `latest`: sightings after it are not "where and when the person tends to be" (one
        contact dated next year set a team's usual hours), and a replay gives the same hint."""
        return replace(self, sightings=tuple(s for s in self.sightings if s.at <= latest))

    def helps_notes(self) -> list[str]:
        """Short notes a team reads before it arrives (no identity, no history beyond counts)."""
        notes = []
        if self.refusals:
            notes.append(f"refused help {self.refusals} time(s) / 已拒绝救助{self.refusals}次")
        labelled = (("health", self.health_notes), ("risk", self.risk_notes), ("needs", self.needs), ("languages", self.languages), ("helps", self.helps))
        for label, text in labelled:
            if text.strip():
                notes.append(f"{label}: {text.strip()}")
        if self.flags:
            notes.append("seen before as / 曾见: " + ", ".join(self.flags))
        return notes

    def team_summary(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "sex": self.sex,
            "age_group": self.age_group,
            "appearance": self.appearance,
            "what_helps": self.helps_notes(),
            "times_met": len(self.sightings),
        }


def social_work_due(contacts: Sequence[Contact], policy: LedgerPolicy) -> tuple[str, str, datetime] | None:
    """(first incident of the run, reason, time) when refusals in a cold wave reach the policy's count.

    Counts refusals under the policy's cold-wave levels within `within_days`
    of each other; the first incident of the qualifying run names the
    escalation, so the same history always yields the same escalation id.
    """
    refusals = sorted(
        (c for c in contacts if c.outcome in policy.refusal_outcomes and c.cold_wave in policy.refusal_levels),
        key=lambda c: (c.at, c.incident_id),
    )
    window = timedelta(days=policy.refusal_within_days)
    for i, first in enumerate(refusals):
        run = [c for c in refusals[i:] if c.at - first.at <= window]
        if len(run) >= policy.refusal_count:
            last = run[policy.refusal_count - 1]
            levels = "/".join(sorted({c.cold_wave for c in run}))
            reason = (
                f"{len(run)} refusals within {policy.refusal_within_days:g} days during {levels} cold wave: social-work plan needed "
                f"/ 寒潮期间{policy.refusal_within_days:g}天内拒绝救助{len(run)}次，需制定社工帮扶方案"
            )
            return first.incident_id, reason, last.at
    return None
