"""An incident's category and priority under the current night and weather."""

from __future__ import annotations

from core.records import PRIORITIES
from rules.desk.model import Incident
from rules.policy import Policy
from rules.triage import Assessment, assess
from rules.weather import RegionConditions


def reassess(incident: Incident, policy: Policy, night: bool, weather: RegionConditions) -> str:
    """Recompute category and priority in place; say what changed ("" if nothing).

    Until a team has been on scene the priority may rise but never fall
    (rule `no_demotion`): dawn or milder weather do not make an unseen person safer.
    An operator's priority (`override`) wins over both, recorded as `operator:<name>`.
    """
    result: Assessment = assess(
        incident.flags,
        policy=policy,
        night=night,
        weather=weather,
        has_tip=incident.has_tip,
        lying_still_min=incident.still_s / 60.0,
        key_area=incident.key_area,
        sources=incident.independent_sources,
        company=incident.company,
    )
    priority = result.priority
    rules = list(result.rules)
    keep = policy.dispatching.never_demote_unattended and not incident.reached and incident.priority in PRIORITIES
    if keep and PRIORITIES.index(priority) > PRIORITIES.index(incident.priority):
        priority = incident.priority
        rules.append("no_demotion")
    if incident.override is not None:
        # An operator's priority stands until the operator changes it; the rule names who set it.
        priority = incident.override["priority"]
        rules.append(f"operator:{incident.override['by']}")
    changes = []
    if incident.priority and priority != incident.priority:
        changes.append(f"priority {incident.priority}->{priority}")
    if incident.category and result.category != incident.category:
        changes.append(f"category {incident.category}->{result.category}")
    incident.category, incident.priority = result.category, priority
    incident.rules, incident.notify, incident.needs = rules, list(result.notify), list(result.needs)
    incident.support_needs = list(result.support)
    incident.action = result.action
    return ", ".join(changes)


