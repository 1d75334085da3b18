"""What the ledger tells a team about the person on its task (pure): `task_hint`.

A task-handing dispatch event (the lead's `dispatch`, `escalation` or
`followup`, a `support` unit's assignment) gets one hint per team: the file
the incident is already linked to, else the one file the ledger suggests
(`match.likely`, which stays silent when two files fit about as well). What
the hint carries is what a team may see (`Profile.team_summary`): no name,
phone or ID number, no history beyond counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.records import DispatchEvent, TaskHint
from geo.distance import haversine_m
from ledger.match import Case, likely, suggest
from ledger.policy import LedgerPolicy
from ledger.profile import Profile
from ledger.sweep import hour_span

LEAD_TASK_KINDS: frozenset[str] = frozenset({"dispatch", "escalation", "followup"})


def task_teams(ev: DispatchEvent) -> tuple[str, ...]:
    """The team an event hands a task to (lead or support unit), or none."""
    if ev.kind in LEAD_TASK_KINDS and ev.team_id:
        return (ev.team_id,)
    if ev.kind == "support" and ev.unit_role == "support" and ev.unit_team_id:
        return (ev.unit_team_id,)
    return ()


def usual_place(profile: Profile, lat: float, lon: float, tz: ZoneInfo) -> str:
    """Where and when the person is usually met, as a team reads it on the way."""
    if not profile.sightings:
        return ""
    nearest = min(haversine_m(lat, lon, s.lat, s.lon) for s in profile.sightings)
    hours = hour_span(s.at.astimezone(tz).hour for s in profile.sightings)
    return f"usually within {nearest:.0f} m of here, {hours} (met {len(profile.sightings)} time(s)) / 常在此处{nearest:.0f}米内出现，{hours}"


def task_hint(
    ev: DispatchEvent,
    team_id: str,
    linked: Sequence[Profile],
    profiles: Sequence[Profile],
    policy: LedgerPolicy,
    tz: ZoneInfo,
    *,
    task_event_id: str | None = None,
    at: datetime | None = None,
) -> TaskHint | None:
    """The hint for `team_id`'s task in `ev`: the linked file, else the likely one; None when the ledger knows nobody.

    `task_event_id` and `at` name the task and the time when the hint is not
    sent for the task's own event (a link made later); a hint for a linked
    file has its own id, so it never counts as a resend of the likely one.
    """
    score: float | None = None
    # Known at the hint's time (up to max_ahead past it, as the desk takes a report): a sighting dated later is no
    # habit yet, and one dated next year made the team's "usually 10:00-11:00".
    known = (at or ev.at) + timedelta(minutes=policy.max_ahead_min)
    linked, profiles = [p.as_of(known) for p in linked], [p.as_of(known) for p in profiles]
    if linked:
        profile = linked[0]
    else:
        case = Case(ev.lat, ev.lon, ev.first_report_at or ev.at, tuple(ev.flags), ev.text)
        best = likely(suggest(case, profiles, policy, tz), policy)
        if best is None:
            return None
        profile = next(p for p in profiles if p.person_id == best.person_id)
        score = best.score
    summary = profile.team_summary()
    task = task_event_id or ev.event_id
    return TaskHint(
        hint_id=f"{task}-file-{profile.person_id}-{team_id}" if linked else f"{task}-known-{team_id}",
        team_id=team_id,
        incident_id=ev.incident_id,
        task_event_id=task,
        at=at or ev.at,
        person_id=profile.person_id,
        linked=bool(linked),
        score=score,
        sex=summary["sex"],
        age_group=summary["age_group"],
        appearance=summary["appearance"],
        usual=usual_place(profile, ev.lat, ev.lon, tz),
        what_helps=tuple(summary["what_helps"]),
    )
