"""Patrol teams that answer the pipeline's dispatch events like real crews.

A team gets a task, accepts after a delay (or, with the scenario's
probability, misses the ack deadline so the pipeline must escalate and
reassign, and reports back in contact 5-15 minutes later), drives at the scenario speed, reports on scene, resolves with an
outcome that depends on whom it finds there, and is available again where it
stands. Every reaction is a future input (task-acks, team-status), never a
change of the past.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from core import topics as names
from core.records import maybe_time
from geo.distance import haversine_m
from simulators.citymap import TeamView
from simulators.people import Person
from simulators.scenario import TeamSpec

OUTCOMES: dict[str, str] = {
    "medical": "taken_to_hospital",
    "escort_station": "taken_to_station",
    "rescue_first": "taken_to_station",
    "supplies_followup": "refused_supplies_given",
    "basic_support": "taken_to_station",
    "guidance": "guided_to_help_point",
    "welfare_check": "guided_to_help_point",
}
STAYING_OUTCOMES = ("refused_supplies_given", "not_found")


@dataclass
class Job:
    event_id: str
    incident_id: str
    team_id: str
    kind: str
    lat: float
    lon: float
    category: str
    priority: str
    sources: tuple[str, ...]
    received_at: datetime
    ack_deadline: datetime | None
    missed: bool = False
    accept_at: datetime | None = None
    depart_at: datetime | None = None
    arrive_at: datetime | None = None
    resolve_at: datetime | None = None
    outcome: str | None = None
    person_id: str | None = None
    cancelled_at: datetime | None = None
    token: int = 0
    role: str = "lead"

    def to_dict(self) -> dict[str, Any]:
        def t(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {"event_id": self.event_id, "incident_id": self.incident_id, "team_id": self.team_id, "kind": self.kind,
                "lat": self.lat, "lon": self.lon, "category": self.category, "priority": self.priority,
                "received_at": t(self.received_at), "missed": self.missed, "accept_at": t(self.accept_at),
                "depart_at": t(self.depart_at), "arrive_at": t(self.arrive_at), "resolve_at": t(self.resolve_at),
                "outcome": self.outcome, "person_id": self.person_id, "cancelled_at": t(self.cancelled_at)}


@dataclass
class TeamState:
    team: TeamView
    lat: float
    lon: float
    free_at: datetime
    track: list[tuple[datetime, float, float, str]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)

    def position(self, at: datetime) -> tuple[float, float]:
        """Where the team is at `at`, from its published track (linear while driving)."""
        past = [p for p in self.track if p[0] <= at]
        if not past:
            return (self.team.lat, self.team.lon)
        last = past[-1]
        future = [p for p in self.track if p[0] > at]
        if last[3] == "en_route" and future:
            nxt = future[0]
            f = (at - last[0]) / (nxt[0] - last[0])
            return (last[1] + (nxt[1] - last[1]) * f, last[2] + (nxt[2] - last[2]) * f)
        return (last[1], last[2])


# One emitted reaction: (at, topic, payload dict, key, job token)
Reaction = tuple[datetime, str, dict[str, Any], str, int]


def status_record(team: TeamView, at: datetime, status: str, lat: float, lon: float) -> dict[str, Any]:
    return {"team_id": team.team_id, "at": at.isoformat(), "status": status, "lat": round(lat, 6), "lon": round(lon, 6),
            "capabilities": list(team.capabilities), "name": team.name, "district": team.district}


def ack_record(job: Job, status: str, at: datetime, outcome: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"event_id": job.event_id, "team_id": job.team_id, "status": status, "at": at.isoformat(),
                              "incident_id": job.incident_id}
    if outcome is not None:
        record["outcome"] = outcome
    return record


def stable_rng(seed: int, *parts: str) -> np.random.Generator:
    """A generator that depends only on the seed and these names (not on call order)."""
    return np.random.default_rng([seed, *(zlib.crc32(p.encode("utf-8")) for p in parts)])


class Fleet:
    """Every team's state and its reactions to dispatch events."""

    def __init__(self, teams: list[TeamView], spec: TeamSpec, start: datetime, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self.states = {t.team_id: TeamState(team=t, lat=t.lat, lon=t.lon, free_at=start,
                                            track=[(start, t.lat, t.lon, "available")]) for t in teams}
        self.jobs: list[Job] = []
        self._token = 0
        self.unknown_team_events: list[str] = []

    def initial_status(self, start: datetime) -> list[Reaction]:
        return [(start, names.TEAM_STATUS, status_record(s.team, start, "available", s.lat, s.lon), s.team.team_id, 0)
                for s in self.states.values()]

    def holder(self, incident_id: str, role: str = "lead") -> Job | None:
        """The live (accepted, not finished, not cancelled) job of an incident's lead or support unit."""
        for job in reversed(self.jobs):
            if job.incident_id == incident_id and job.role == role and not job.missed and job.cancelled_at is None and job.outcome is None:
                return job
        return None

    def busy_with(self, team_id: str, now: datetime) -> Job | None:
        """The live job a team is still working on at `now`, if any."""
        for job in reversed(self.jobs):
            if job.team_id == team_id and not job.missed and job.cancelled_at is None and job.resolve_at is not None and job.resolve_at > now:
                return job
        return None

    def react(self, event: dict[str, Any], now: datetime, floor: datetime, persons: list[Person],
              report_persons: dict[str, list[str]]) -> tuple[list[Reaction], list[int]]:
        """Reactions to one dispatch event, scheduled strictly after `floor`; and job tokens to cancel."""
        kind = str(event.get("kind", ""))
        incident = str(event.get("incident_id", ""))
        team_id = event.get("team_id")
        at = maybe_time(event.get("at")) or now
        cancel: list[int] = []
        out: list[Reaction] = []
        role = "support" if kind == "support" else "lead"
        if role == "support":
            team_id = event.get("unit_team_id")
        current = self.holder(incident, role)
        if kind in ("resolved", "merged") or (kind == "queued" and not team_id):
            # The task is over, merged away, or its team was diverted: the units stop.
            for job in [current, self.holder(incident, "support")] if role == "lead" else []:
                if job is not None and job.resolve_at is not None and job.resolve_at > now:
                    cancel.append(job.token)
                    out += self._cancel(job, now, floor)
            return out, cancel
        if kind not in ("dispatch", "update", "escalation", "followup", "support") or not team_id:
            return out, cancel
        if team_id not in self.states:
            self.unknown_team_events.append(str(event.get("event_id", "")))
            return out, cancel
        if current is not None and current.team_id == team_id and kind != "followup":
            return out, cancel  # an update of a task the team already works
        if current is not None and current.team_id != team_id:
            cancel.append(current.token)  # reassigned away from a team that had accepted
            out += self._cancel(current, now, floor)
        if any(j.event_id == event.get("event_id") and j.team_id == team_id for j in self.jobs):
            return out, cancel
        if kind == "update":
            return out, cancel  # an update never hands a task over: no new job (a phone shows it, nobody re-acks it)
        other = self.busy_with(str(team_id), now)
        if other is not None and other.incident_id != incident:
            cancel.append(other.token)  # diverted to a more urgent task
            out += self._cancel(other, now, floor)
        self._token += 1
        job = Job(event_id=str(event.get("event_id")), incident_id=incident, team_id=str(team_id), kind=kind,
                  lat=float(event.get("lat", 0.0)), lon=float(event.get("lon", 0.0)), category=str(event.get("category", "")),
                  priority=str(event.get("priority", "")), sources=tuple(event.get("sources") or ()), received_at=at,
                  ack_deadline=maybe_time(event.get("ack_deadline")), token=self._token, role=role)
        self.jobs.append(job)
        rng = stable_rng(self.seed, "job", job.event_id, job.team_id)
        if rng.uniform() < self.spec.ack_miss_probability:
            job.missed = True
            # A crew that missed its phone is back in contact a while later (radio check).
            state = self.states[job.team_id]
            back = max(job.ack_deadline or at, floor) + timedelta(minutes=float(rng.uniform(5.0, 15.0)))
            back = back.replace(microsecond=0)
            state.free_at = max(state.free_at, back)
            out.append((back, "team-status", status_record(state.team, back, "available", state.lat, state.lon), job.team_id, 0))
            return out, cancel
        out += self._run(job, now, floor, rng, persons, report_persons)
        return out, cancel

    def _run(self, job: Job, now: datetime, floor: datetime, rng: np.random.Generator, persons: list[Person],
             report_persons: dict[str, list[str]]) -> list[Reaction]:
        state = self.states[job.team_id]
        base = max(job.received_at, now)
        lo, hi = self.spec.accept_delay_min
        delay = float(rng.uniform(lo, hi))
        if job.ack_deadline is not None:
            room = (job.ack_deadline - base).total_seconds() / 60.0
            delay = min(delay, max(0.1, 0.8 * room))
        accept = max(base + timedelta(minutes=delay), floor + timedelta(seconds=1))
        accept = accept.replace(microsecond=0) + timedelta(seconds=1)
        job.accept_at = accept
        out: list[Reaction] = [(accept, names.TASK_ACKS, ack_record(job, "accepted", accept), job.team_id, job.token)]
        depart = max(accept, state.free_at + timedelta(seconds=1))
        lat0, lon0 = state.lat, state.lon
        dist = haversine_m(lat0, lon0, job.lat, job.lon) * self.spec.detour_factor
        travel = timedelta(hours=dist / 1000.0 / self.spec.speed_kmh) + timedelta(seconds=30)
        arrive = (depart + travel).replace(microsecond=0)
        job.depart_at, job.arrive_at = depart, arrive
        out.append((depart, names.TEAM_STATUS, status_record(state.team, depart, "en_route", lat0, lon0), job.team_id, job.token))
        state.track.append((depart, lat0, lon0, "en_route"))
        step = timedelta(minutes=self.spec.position_every_min)
        t = depart + step
        while t < arrive:
            f = (t - depart) / (arrive - depart)
            la, lo_ = lat0 + (job.lat - lat0) * f, lon0 + (job.lon - lon0) * f
            out.append((t, names.TEAM_STATUS, status_record(state.team, t, "en_route", la, lo_), job.team_id, job.token))
            state.track.append((t, la, lo_, "en_route"))
            t += step
        out.append((arrive, names.TASK_ACKS, ack_record(job, "on_scene", arrive), job.team_id, job.token))
        out.append((arrive, names.TEAM_STATUS, status_record(state.team, arrive, "on_scene", job.lat, job.lon), job.team_id, job.token))
        state.track.append((arrive, job.lat, job.lon, "on_scene"))
        on_lo, on_hi = self.spec.on_scene_min
        resolve = (arrive + timedelta(minutes=float(rng.uniform(on_lo, on_hi)))).replace(microsecond=0)
        person = self._find(job, arrive, persons, report_persons)
        outcome = self._outcome(job, person, rng)
        job.resolve_at, job.outcome = resolve, outcome
        if person is not None:
            job.person_id = person.person_id
            if outcome not in STAYING_OUTCOMES and (person.gone_at is None or person.gone_at > resolve):
                person.gone_at = resolve
                person.outcome = outcome
            elif person.outcome is None:
                person.outcome = outcome
        out.append((resolve, names.TASK_ACKS, ack_record(job, "resolved", resolve, outcome), job.team_id, job.token))
        out.append((resolve, names.TEAM_STATUS, status_record(state.team, resolve, "available", job.lat, job.lon), job.team_id, job.token))
        state.track.append((resolve, job.lat, job.lon, "available"))
        state.lat, state.lon, state.free_at = job.lat, job.lon, resolve
        return out

    def _find(self, job: Job, at: datetime, persons: list[Person], report_persons: dict[str, list[str]]) -> Person | None:
        """Whom the team finds: a person the reports named if near, else the nearest person present."""
        radius = self.spec.not_found_radius_m
        named = {pid for s in job.sources for pid in report_persons.get(s, [])}
        near: list[tuple[float, int, Person]] = []
        for p in persons:
            if not p.present(at):
                continue
            lat, lon = p.position(at)
            d = haversine_m(lat, lon, job.lat, job.lon)
            if d <= radius:
                near.append((d, 0 if p.person_id in named else 1, p))
        if not near:
            return None
        near.sort(key=lambda x: (x[1], x[0], x[2].person_id))
        return near[0][2]

    def _outcome(self, job: Job, person: Person | None, rng: np.random.Generator) -> str:
        if person is None:
            return "not_found"
        if job.kind == "followup" and person.category == "supplies_followup":
            return "taken_to_station" if rng.uniform() < 0.4 else "refused_supplies_given"
        if person.category == "welfare_check" and person.lying:
            return "taken_to_hospital"
        return OUTCOMES.get(person.category, "guided_to_help_point")

    def _cancel(self, job: Job, now: datetime, floor: datetime) -> list[Reaction]:
        """A task taken away (console resolved it, or reassigned): the team stops where it is."""
        job.cancelled_at = now
        state = self.states[job.team_id]
        at = max(now, floor) + timedelta(seconds=1)
        lat, lon = state.position(now)
        state.track = [p for p in state.track if p[0] <= now]
        state.track.append((at, lat, lon, "available"))
        state.lat, state.lon, state.free_at = lat, lon, at
        return [(at, names.TEAM_STATUS, status_record(state.team, at, "available", lat, lon), job.team_id, 0)]


