"""Which incident a report is about, and what the report adds to it.

Correlation is spatial and temporal: the grid finds the incidents that can lie
within the correlation radius without looking at every open incident, and a
thermal track stays with the incident it first fed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta

from core.records import Report
from geo.distance import haversine_m, surely_farther
from rules.desk.model import Incident
from rules.policy import Policy


class IncidentGrid:
    """Incident positions on a grid of radius-sized cells, and thermal tracks (derived state, rebuilt on load)."""

    def __init__(self, radius_m: float) -> None:
        self.size = max(radius_m, 1.0) / 111_000
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

    def forget(self, incident: Incident) -> None:
        """Drop a forgotten incident from the cells and from the tracks it held."""
        incident_id = incident.incident_id
        cell = self.cell_of.pop(incident_id, None)
        if cell is not None:
            held = self.cells.get(cell)
            if held is not None:
                held.discard(incident_id)
                if not held:
                    del self.cells[cell]
        for track in incident.track_ids:
            if self.tracks.get(track) == incident_id:
                del self.tracks[track]

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


def track_key(report: Report) -> str | None:
    """The report's thermal track as the desk keeps it: scoped by its camera, None without a track.

    Trackers number their tracks per camera (an edge device's track 7 and the
    next camera's track 7 are two people, kilometres apart); keyed by track
    alone, the second camera's person was absorbed into the first's incident
    and nobody was sent. Ids are printable, so the separator cannot occur in them.
    """
    if not report.track_id:
        return None
    return f"{report.camera_id or ''}\x1f{report.track_id}"


def shot_key(report: Report) -> str | None:
    """The frame a detection came from: its camera and the instant it was taken; None for a tip."""
    if report.source != "detection" or not report.camera_id:
        return None
    return f"{report.camera_id}\x1f{report.at.isoformat()}"


def same_shot(incident: Incident, report: Report) -> bool:
    """The report is a second blob of a frame the incident already has a detection from: another person.

    A detector reports each person of a frame once; two detections of one
    frame are two people, however close (seed 41: an old man sitting 2 m from
    a standing one at an underpass camera was folded into the standing man's
    incident, whose team guided him away, and waited 40 min for the next frame).
    """
    key = shot_key(report)
    return key is not None and key in incident.shots


def report_uncertainty(report: Report) -> float:
    """How far the person may be from the report's point: phone accuracy, address extent or camera error."""
    return float(report.accuracy_m or 0.0) + float(report.error_m or 0.0)


def age_group(flags: Iterable[str], stated: str | None) -> str | None:
    """The age group a report gives: the form's, else from the minor/elderly flags."""
    if stated:
        return stated
    found = set(flags)
    if "minor" in found:
        return "minor"
    if "elderly" in found:
        return "elderly"
    return None


def lying(posture: str | None) -> bool | None:
    """Posture as descriptions compare it: lying or upright (sitting and standing blur at a distance)."""
    return None if posture in (None, "unknown") else posture == "lying"


# Flags that say how old, not what is wrong: `age_group` compares them.
AGE_ONLY_FLAGS = frozenset({"elderly"})


def situation(flags: Iterable[str]) -> frozenset[str] | None:
    """What a report says about the person's state (its flags), None when it says nothing."""
    return frozenset(flags) or None


def situations_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Nothing in common, or both name a trouble and none is the same (being old is not a trouble in common:
    a blind old man and an old man with a fever are two people)."""
    troubles = a - AGE_ONLY_FLAGS, b - AGE_ONLY_FLAGS
    return not a & b or (bool(troubles[0]) and bool(troubles[1]) and not troubles[0] & troubles[1])


def _disagree(name: str, x: object, y: object) -> bool:
    """Both known and incompatible: different values, or for `situation` two flag sets with nothing in common.

    Callers describing one person name the same trouble (an unconscious man
    is not also "an old man who cannot give his name" 70 m up the street).
    """
    if x is None or y is None:
        return False
    if name == "situation":
        assert isinstance(x, frozenset) and isinstance(y, frozenset)
        return situations_conflict(x, y)
    return x != y


def description_conflict(incident: Incident, report: Report, fields: Iterable[str]) -> str | None:
    """The first description field on which report and incident disagree (both known), else None."""
    theirs: dict[str, object] = {"sex": report.sex, "age_group": age_group(report.flags, report.age_group),
                                 "persons": report.persons, "posture": lying(report.posture), "situation": situation(report.flags)}
    ours: dict[str, object] = {"sex": incident.sex, "age_group": incident.age_group, "persons": incident.persons,
                               "posture": lying(incident.posture), "situation": situation(incident.flags)}
    for name in fields:
        if _disagree(name, theirs[name], ours[name]):
            return name
    return None


def incidents_conflict(a: Incident, b: Incident, fields: Iterable[str]) -> bool:
    """Two incidents whose descriptions disagree, or seen in one frame as two blobs, are two persons."""
    def value(incident: Incident, name: str) -> object:
        if name == "situation":
            return situation(incident.flags)
        return lying(incident.posture) if name == "posture" else getattr(incident, name)

    return bool(set(a.shots) & set(b.shots)) or any(_disagree(name, value(a, name), value(b, name)) for name in fields)


def can_match(incident: Incident, report: Report | None = None) -> bool:
    """Only an incident still open (or being opened) takes reports: a closed one's person was seen to.

    A report made before the incident was resolved and delivered after (a
    late feed, a redelivery after a crash) is about the person as they were
    then: it joins the resolved incident. Taken afresh, it sent a team to a
    person already at the station.
    """
    if incident.is_open or incident.status == "new":
        return True
    return (report is not None and incident.status == "resolved" and incident.resolved_at is not None
            and report.at <= incident.resolved_at)


def track_holder(report: Report, grid: IncidentGrid, incidents: dict[str, Incident]) -> Incident | None:
    """The open incident the report's thermal track first fed, if any.

    A track outlives its incident: a fixed camera's tracker links whoever
    lies at the same spot frame after frame, so after a team resolved the
    incident (the person taken away, or not found) the track's next
    detections are somebody still lying there, or the person back. They are
    matched afresh like any report; held by the closed incident, they were
    silently absorbed and nobody was sent.
    """
    key = track_key(report)
    if key is None or key not in grid.tracks:
        return None
    held = incidents.get(grid.tracks[key])
    return held if held is not None and can_match(held, report) else None


def matches(report: Report, grid: IncidentGrid, incidents: dict[str, Incident], policy: Policy) -> list[Incident]:
    """Every open incident this report can be about, nearest first.

    Within the correlation radius plus the combined position uncertainty
    (capped by the policy) and the time window, and with no conflicting
    description. A thermal track stays with the incident it first fed while
    that incident is open.
    """
    window = timedelta(minutes=policy.correlation_window_min)
    held = track_holder(report, grid, incidents)
    if held is not None:
        return [held]
    found: list[tuple[float, str]] = []
    spread = report_uncertainty(report)
    fields = policy.dispatching.describe
    for incident_id in grid.nearby(report.lat, report.lon):
        incident = incidents[incident_id]
        if not can_match(incident, report):
            continue
        reach = policy.correlation_radius_m + min(policy.dispatching.max_uncertainty_m, spread + incident.uncertainty_m)
        if surely_farther(report.lat, incident.lat, reach):  # most of the grid's neighbours, cheaper than the times
            continue
        if abs(report.at - incident.last_at) > window and abs(report.at - incident.first_at) > window:
            continue
        distance = haversine_m(report.lat, report.lon, incident.lat, incident.lon)
        if distance <= reach and not same_shot(incident, report) and description_conflict(incident, report, fields) is None:
            found.append((distance, incident.incident_id))
    return [incidents[i] for _, i in sorted(found)]


def match(report: Report, grid: IncidentGrid, incidents: dict[str, Incident], policy: Policy) -> Incident | None:
    """The open incident this report is about, if any (the nearest)."""
    found = matches(report, grid, incidents, policy)
    return found[0] if found else None


ACTIVE = ("queued", "assigned", "accepted", "on_scene")  # incidents that may merge, least to most advanced


def mergeable(found: list[Incident], policy: Policy, report: Report | None = None) -> list[Incident]:
    """Of the incidents one report matched, those that are one person with the nearest; the survivor first.

    Only a precise report links incidents (its own uncertainty at most the
    policy's `link_max_uncertainty_m`): a street address can be about either.
    """
    vague = report is not None and report_uncertainty(report) > policy.dispatching.link_max_uncertainty_m
    if len(found) < 2 or found[0].status not in ACTIVE or vague:
        return found[:1]
    fields = policy.dispatching.describe
    group = [found[0]]
    for other in found[1:]:
        if other.status in ACTIVE and not any(incidents_conflict(other, g, fields) for g in group):
            group.append(other)
    # The survivor is the one furthest along (a team on scene stays), then the oldest.
    group.sort(key=lambda i: (-ACTIVE.index(i.status), i.first_at, i.incident_id))
    return group


# The most report ids (and thermal tracks) one incident lists. Every dispatch event names its incident's reports
# (`sources`) and the desk's state holds them: a flood of tips at one spot (5 000 with ids of 200 characters) made each
# event over 1 MB, which no producer sends (the desk agent died on it at every restart), after making the desk's work
# per report grow with the reports before it. A report past the limit is still folded in (flags, head count, text,
# position) and still deduplicated (`Desk.seen`), but not listed; its channel is listed when it is a new one.
MAX_LISTED_REPORTS = 200


def _channels_within(channels: list[str]) -> list[str]:
    """A channel list as an incident at MAX_LISTED_REPORTS keeps it: one per listed report, then each other one once."""
    if len(channels) <= MAX_LISTED_REPORTS:
        return channels
    head = channels[:MAX_LISTED_REPORTS]
    return head + [c for c in dict.fromkeys(channels[MAX_LISTED_REPORTS:]) if c not in head]


def joined_company(ours: str | None, theirs: str | None) -> str | None:
    """A minor's company over two reports: alone if either says so (a parent who left, or a caller unsure), else
    accompanied if either says so. When in doubt the mandatory report stands: a missed child costs more."""
    said = {ours, theirs}
    return "alone" if "alone" in said else "accompanied" if "accompanied" in said else None


def absorb(survivor: Incident, other: Incident) -> None:
    """The survivor keeps both histories and sources (up to MAX_LISTED_REPORTS listed); the other closes as merged."""
    listed = set(survivor.reports)
    survivor.reports += [r for r in other.reports if r not in listed][: max(0, MAX_LISTED_REPORTS - len(survivor.reports))]
    kept = set(survivor.reports) - set(survivor.contact_reports)
    survivor.contact_reports += [r for r in other.contact_reports if r in kept]
    survivor.channels = _channels_within(survivor.channels + other.channels)
    survivor.flags = sorted(set(survivor.flags) | set(other.flags))
    survivor.first_at = min(survivor.first_at, other.first_at)
    survivor.last_at = max(survivor.last_at, other.last_at)
    shots = set(survivor.shots)
    survivor.shots += [k for k in other.shots if k not in shots][: max(0, MAX_LISTED_REPORTS - len(survivor.shots))]
    tracks = set(survivor.track_ids)
    survivor.track_ids += [t for t in other.track_ids if t not in tracks][: max(0, MAX_LISTED_REPORTS - len(survivor.track_ids))]
    survivor.has_tip = survivor.has_tip or other.has_tip
    survivor.text = survivor.text or other.text
    survivor.still_s = max(survivor.still_s, other.still_s)
    survivor.reached = survivor.reached or other.reached
    survivor.company = joined_company(survivor.company, other.company)
    for name in ("persons", "sex", "age_group", "posture"):
        if getattr(survivor, name) is None:
            setattr(survivor, name, getattr(other, name))
    other.status = "merged"
    other.merged_into = survivor.incident_id


def relocate(incident: Incident, report: Report) -> None:
    """The person is looked for where `report` saw them.

    Used for the most precise call, and for a report that linked incidents
    (the freshest precise sighting): left at the survivor's first position, a
    merged incident drifted out of reach of reports near the other one's, and
    the next report about the person opened a second incident.
    """
    incident.lat, incident.lon = report.lat, report.lon
    incident.zone_id, incident.key_area = report.zone_id, report.key_area
    incident.uncertainty_m = report_uncertainty(report)


def add_report(incident: Incident, report: Report) -> None:
    """Fold one report into its incident: sources, flags, times, position, description."""
    latest = report.at >= incident.last_at
    if len(incident.reports) < MAX_LISTED_REPORTS:
        incident.reports.append(report.report_id)
        incident.channels.append(report.channel)
        if report.reporter_contact:
            incident.contact_reports.append(report.report_id)
    elif report.channel not in incident.channels:  # an independent source still counts
        incident.channels.append(report.channel)
    incident.flags = sorted(set(incident.flags) | set(report.flags))
    incident.company = joined_company(incident.company, report.company)
    incident.first_at = min(incident.first_at, report.at)
    incident.last_at = max(incident.last_at, report.at)
    if (key := track_key(report)) is not None and key not in incident.track_ids and len(incident.track_ids) < MAX_LISTED_REPORTS:
        incident.track_ids.append(key)
    if (shot := shot_key(report)) is not None and shot not in incident.shots:
        incident.shots = [*incident.shots, shot][-MAX_LISTED_REPORTS:]  # the latest frames: the ones a next blob can share
    spread = report_uncertainty(report)
    if len(incident.reports) == 1 or spread < incident.uncertainty_m or (latest and spread == incident.uncertainty_m):
        # The most precise report places the incident (a police officer's fix, not a
        # hotline caller's 240 m one; a fixed camera's 1 m spot, not a street's 300 m),
        # so it stops matching reports of people further off. A call that moved a camera's
        # precise spot to a street's middle (seed 149) pulled in a caller's phone fix
        # about another person 340 m from the camera, and that person was never sent a team.
        # Of calls as precise, the latest places it: a person walking along a street is
        # where they were seen last (reports match pairwise, 150 m and 20 min from the one
        # before), not where the first caller saw them half an hour ago. A camera's track is a
        # report like any other: a camera-only person walking off was looked for where the
        # first frame saw them, 200 m back (desk_audit4's camera-person-walks-one-incident).
        relocate(incident, report)
    if report.source == "tip":
        incident.has_tip = True
        incident.text = report.text or incident.text
        incident.persons = report.persons or incident.persons
    if report.posture == "lying":
        incident.still_s = max(incident.still_s, report.still_s)
    incident.sex = incident.sex or report.sex
    incident.age_group = incident.age_group or age_group(report.flags, report.age_group)
    if report.posture and report.posture != "unknown":
        incident.posture = report.posture
