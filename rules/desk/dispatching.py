"""Choosing teams: who can take an incident, by arrival time; diversion; the order of the queue."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from geo.distance import haversine_m
from rules.desk.model import Incident, Team
from rules.policy import EtaRule, Policy
from rules.triage import rank_key


def eta_min(team: Team, lat: float, lon: float, rule: EtaRule, snow: bool = False) -> float:
    """Minutes from the team's live position: straight line x road factor at its mode speed."""
    road_m = haversine_m(team.lat, team.lon, lat, lon) * rule.road_factor
    speed = rule.vehicle_kmh if "vehicle" in team.capabilities else rule.foot_kmh
    if snow:
        speed *= rule.snow_factor
    return road_m / 1000.0 / speed * 60.0


@dataclass(frozen=True)
class Choice:
    """The chosen team, its ETA, and the next candidates with theirs (for the operator)."""

    team: Team
    eta_min: float
    candidates: tuple[tuple[str, float], ...]


def choose(lat: float, lon: float, needs: Collection[str], teams: Iterable[Team], exclude: Collection[str], policy: Policy,
           snow: bool = False) -> Choice | None:
    """The free team with every need and the lowest ETA (ties by id), not among `exclude`."""
    rule = policy.dispatching.eta
    wanted = set(needs)
    ranked = sorted(
        (round(eta_min(t, lat, lon, rule, snow), 2), t.team_id, t)
        for t in teams
        if t.free and wanted <= set(t.capabilities) and t.team_id not in exclude
    )
    if not ranked:
        return None
    eta, _, team = ranked[0]
    shown = tuple((tid, e) for e, tid, _ in ranked[1 : 1 + policy.dispatching.candidates_shown])
    return Choice(team, eta, shown)


def diversion(incident: Incident, teams: Iterable[Team], incidents: Mapping[str, Incident], policy: Policy,
              snow: bool = False) -> tuple[Team, float, Incident] | None:
    """An able team on its way to a less urgent task that this incident may take, with its ETA and the task it leaves.

    Never a team already on scene; only as far as the policy's extra-ETA limit.
    """
    rule = policy.dispatching.diversion
    if not rule.enabled or incident.priority not in rule.for_priorities:
        return None
    best: tuple[float, str, Team, Incident] | None = None
    for team in teams:
        other = incidents.get(team.incident_id or "")
        if other is None or other.incident_id == incident.incident_id or other.team_id != team.team_id:
            continue
        if other.priority not in rule.from_priorities or other.status not in ("assigned", "accepted"):
            continue
        if team.status in ("on_scene", "break", "off_duty", "unresponsive") or not set(incident.needs) <= set(team.capabilities):
            continue
        here = eta_min(team, incident.lat, incident.lon, policy.dispatching.eta, snow)
        there = eta_min(team, other.lat, other.lon, policy.dispatching.eta, snow)
        if here - there > rule.max_extra_eta_min:
            continue
        if best is None or (here, team.team_id) < best[:2]:
            best = (here, team.team_id, team, other)
    return (best[2], round(best[0], 2), best[3]) if best else None


def queue_order(incidents: Iterable[Incident], policy: Policy) -> list[Incident]:
    """Queued incidents, most urgent first."""
    queued = [i for i in incidents if i.status == "queued"]
    queued.sort(key=lambda i: (*rank_key(i.priority, i.category, i.rules, i.key_area, i.first_at, policy), i.incident_id))
    return queued
