"""Which incident a report is about, and what the report adds to it.

Correlation is spatial and temporal: the grid finds the incidents that can lie
within the correlation radius without looking at every open incident, and a
thermal track stays with the incident it first fed.
"""

from __future__ import annotations

import math
from datetime import timedelta

from core.records import Report
from geo.distance import haversine_m
from rules.desk.model import Incident
from rules.policy import Policy


class IncidentGrid:
    """Incident positions on a grid of radius-sized cells, and thermal tracks (derived state, rebuilt on load)."""

    def __init__(self, radius_m: float) -> None:
        self.size = radius_m / 111_000
        self.cells: dict[tuple[int, int], set[str]] = {}
        self.cell_of: dict[str, tuple[int, int]] = {}
        self.tracks: dict[str, str] = {}

    def cell(self, lat: float, lon: float) -> tuple[int, int]:
        return (math.floor(lat / self.size), math.floor(lon / self.size))

    def index(self, incident: Incident) -> None:
        cell = self.cell(incident.lat, incident.lon)
        old = self.cell_of.get(incident.incident_id)
        if old != cell:
            if old is not None:
                self.cells.get(old, set()).discard(incident.incident_id)
            self.cells.setdefault(cell, set()).add(incident.incident_id)
            self.cell_of[incident.incident_id] = cell
        for track in incident.track_ids:
            self.tracks[track] = incident.incident_id

    def nearby(self, lat: float, lon: float) -> list[str]:
        """Ids of incidents in the grid cells that can hold one within the radius."""
        ci, cj = self.cell(lat, lon)
        # A cell is radius/111 km high; at this latitude it is narrower than the
        # radius east-west, so look as many cells sideways as that takes.
        span = math.ceil(1 / max(0.1, math.cos(math.radians(lat))))
        found: list[str] = []
        for i in range(ci - 1, ci + 2):
            for j in range(cj - span, cj + span + 1):
                found += self.cells.get((i, j), ())
        return found


def match(report: Report, grid: IncidentGrid, incidents: dict[str, Incident], policy: Policy) -> Incident | None:
    """The open (or recently resolved) incident this report is about, if any."""
    window = timedelta(minutes=policy.correlation_window_min)
    best: tuple[float, str] | None = None
    if report.track_id and report.track_id in grid.tracks:
        return incidents[grid.tracks[report.track_id]]
    for incident_id in grid.nearby(report.lat, report.lon):
        incident = incidents[incident_id]
        if not (incident.is_open or incident.status == "new"):
            continue
        if abs(report.at - incident.last_at) > window and abs(report.at - incident.first_at) > window:
            continue
        distance = haversine_m(report.lat, report.lon, incident.lat, incident.lon)
        if distance <= policy.correlation_radius_m and (best is None or (distance, incident.incident_id) < best):
            best = (distance, incident.incident_id)
    return incidents[best[1]] if best else None


def add_report(incident: Incident, report: Report) -> None:
    """Fold one report into its incident: sources, flags, times, position, description."""
    incident.reports.append(report.report_id)
    incident.channels.append(report.channel)
    incident.flags = sorted(set(incident.flags) | set(report.flags))
    incident.first_at = min(incident.first_at, report.at)
    incident.last_at = max(incident.last_at, report.at)
    if report.track_id and report.track_id not in incident.track_ids:
        incident.track_ids.append(report.track_id)
    if report.source == "tip":
        if not incident.has_tip:
            # A caller's position beats a camera's estimate of where a person lies.
            incident.lat, incident.lon = report.lat, report.lon
            incident.zone_id, incident.key_area = report.zone_id, report.key_area
        incident.has_tip = True
        incident.text = report.text or incident.text
        incident.persons = report.persons or incident.persons
    if report.posture == "lying":
        incident.still_s = max(incident.still_s, report.still_s)
