"""Choosing teams: who can take an incident, and the order queued incidents are offered."""

from __future__ import annotations

from collections.abc import Iterable

from geo.distance import haversine_m
from rules.desk.model import Incident, Team
from rules.triage import rank_key


def nearest_team(incident: Incident, teams: Iterable[Team]) -> tuple[Team, float] | None:
    """The nearest free team with every capability the incident needs that has not had it yet."""
    needs = set(incident.needs)
    candidates = [
        (haversine_m(incident.lat, incident.lon, t.lat, t.lon), t.team_id, t)
        for t in teams
        if t.free and needs <= set(t.capabilities) and t.team_id not in incident.tried_teams
    ]
    if not candidates:
        return None
    distance, _, team = min(candidates, key=lambda c: (c[0], c[1]))
    return team, distance


def queue_order(incidents: Iterable[Incident]) -> list[Incident]:
    """Queued incidents, most urgent first."""
    queued = [i for i in incidents if i.status == "queued"]
    queued.sort(key=lambda i: (*rank_key(i.priority, i.key_area, i.first_at), i.incident_id))
    return queued
