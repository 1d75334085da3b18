"""An incident's category and priority under the current night and weather."""

from __future__ import annotations

from rules.desk.model import Incident
from rules.policy import Policy
from rules.triage import Assessment, assess
from rules.weather import RegionConditions


def reassess(incident: Incident, policy: Policy, night: bool, weather: RegionConditions) -> str:
    """Recompute category and priority in place; say what changed ("" if nothing)."""
    result: Assessment = assess(
        incident.flags,
        policy=policy,
        night=night,
        weather=weather,
        has_tip=incident.has_tip,
        lying_still_min=incident.still_s / 60.0,
        key_area=incident.key_area,
        sources=incident.independent_sources,
    )
    changes = []
    if incident.priority and result.priority != incident.priority:
        changes.append(f"priority {incident.priority}->{result.priority}")
    if incident.category and result.category != incident.category:
        changes.append(f"category {incident.category}->{result.category}")
    incident.category, incident.priority = result.category, result.priority
    incident.rules, incident.notify, incident.needs = list(result.rules), list(result.notify), list(result.needs)
    incident.action = result.action
    return ", ".join(changes)


