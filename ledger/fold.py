"""From an incident's dispatch events to its one ledger row (pure).

The row is recomputed from every stored event of the incident, in revision
order, so it does not depend on the order or the number of times the events
arrived: a replay or a redelivery after a crash leaves the same row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import RecordError
from core.records import COLD_WAVE_LEVELS, DispatchEvent, check_times, check_types, maybe_time


def utc_text(value: datetime) -> str:
    """Times are stored as UTC ISO 8601 text, so they sort and compare as strings on both databases."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def parse_dispatch(data: Any, max_ahead_min: float = 60.0) -> DispatchEvent:
    """A dispatch event from its JSON, admitted to the ledger, or a RecordError naming what is wrong."""
    # A time without its offset, stored, stopped every fold of its incident (TypeError); year 1 at +08:00 stopped
    # the feeder itself (OverflowError storing it as UTC), and year 9999 the sweep lists of its night.
    event = check_times(_decoded(data))
    # The desk takes a report at most max_ahead_min past its clock, which stamps the event: a first report later than
    # that is no desk's, and as the person's contact it was "the latest" and set the hours they tend to be seen.
    if event.first_report_at is not None and event.first_report_at - event.at > timedelta(minutes=max_ahead_min):
        ahead = (event.first_report_at - event.at).total_seconds() / 60.0
        raise RecordError(f"first_report_at: {event.first_report_at.isoformat()} is {ahead:.0f} min after the event's at "
                          f"({event.at.isoformat()}); at most {max_ahead_min:g} min is taken (times.max_ahead_min)", kind="future_time")
    return event


def stored_dispatch(data: Any) -> DispatchEvent:
    """An event already in the ledger, read back to fold its incident.

    Only what the fold compares is checked (the offsets of `at` and `first_report_at`): an event an older
    version stored, with a deadline without its offset, still folds as it did; one the fold cannot use is a
    RecordError, and its incident keeps its last row (`Store.settle`).
    """
    event = _decoded(data)
    for name in ("at", "first_report_at"):
        value = getattr(event, name)
        if value is not None and value.utcoffset() is None:
            raise RecordError(f"{name}: time has no UTC offset", kind="invalid")
    return event


def _decoded(data: Any) -> DispatchEvent:
    if not isinstance(data, dict):
        raise RecordError("dispatch event: expected a JSON object", kind="malformed")
    for name in ("event_id", "incident_id", "kind", "revision", "at", "lat", "lon"):
        if data.get(name) in (None, ""):
            raise RecordError(f"{name}: missing", kind="missing_field")
    try:
        event = DispatchEvent.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"dispatch event: {exc}", kind="invalid") from exc
    _check_types(event)
    return event


def _check_types(event: DispatchEvent) -> None:
    """Every field of the type its record declares: a revision "x" or a list for an id, once stored, broke the
    sorting and folding of every later event of its incident, and the feeder with it."""
    check_types(event)
    for name in ("event_id", "incident_id", "kind"):
        if not 0 < len(getattr(event, name)) <= 200:
            raise RecordError(f"{name}: expected 1..200 characters", kind="wrong_type")
    if event.revision < 1:
        raise RecordError(f"revision: expected 1 or more, got {event.revision}", kind="wrong_type")


def cold_wave_of(rules: Sequence[str]) -> str:
    levels = [r.split(":", 1)[1] for r in rules if r.startswith("cold_wave:")]
    known = [lvl for lvl in levels if lvl in COLD_WAVE_LEVELS]
    return max(known, key=COLD_WAVE_LEVELS.index) if known else "none"


def fold_incident(events: Sequence[DispatchEvent], nobody: Collection[str] = ()) -> dict[str, Any]:
    """The incident row from all of its events (any order, duplicates allowed).

    `nobody`: outcome codes that say the team met no one (the policy's `not_found` column). The outcome is the
    last resolution's, except that a later one that met no one, or named no outcome (a follow-up visit to a
    person who had moved on), does not undo one that did: the refusal and the supplies of that night stay.
    """
    if not events:
        raise ValueError("an incident needs at least one event")
    ordered = sorted({e.event_id: e for e in events}.values(), key=lambda e: (e.revision, e.event_id))
    first, last = ordered[0], ordered[-1]
    first_report = min((maybe_time(e.first_report_at) or e.at for e in ordered), default=first.at)
    assigned = [e.at for e in ordered if e.team_id and e.status == "assigned"]
    on_scene = [e.at for e in ordered if e.status == "on_scene"]
    resolved = [e for e in ordered if e.kind == "resolved"]
    levels = [cold_wave_of(e.rules) for e in ordered]
    return {
        "incident_id": first.incident_id,
        "first_report_at": utc_text(first_report),
        "district": first.district,
        "zone_id": first.zone_id,
        "key_area": first.key_area,
        "lat": first.lat,
        "lon": first.lon,
        "category": last.category,
        "priority": last.priority,
        "flags": ",".join(sorted(set(last.flags))),
        "channels": ",".join(sorted({c for e in ordered for c in e.channels})),
        "persons": last.persons,
        "text": last.text,
        "cold_wave": max(levels, key=COLD_WAVE_LEVELS.index),
        "dispatched_at": utc_text(min(assigned)) if assigned else None,
        "on_scene_at": utc_text(min(on_scene)) if on_scene else None,
        "resolved_at": utc_text(resolved[0].at) if resolved else None,
        "team_id": next((e.team_id for e in reversed(ordered) if e.team_id), None),
        "outcome": _outcome([e.outcome_code() for e in resolved], nobody),
        "escalations": sum(1 for e in ordered if e.kind == "escalation"),
        "followups": sum(1 for e in ordered if e.kind == "followup"),
        "status": last.status,
        "last_revision": last.revision,
        "last_at": utc_text(last.at),
        "centre": next((e.centre for e in reversed(ordered) if e.centre), ""),  # its desk's; "" if no event names one
    }


def _outcome(codes: Sequence[str | None], nobody: Collection[str]) -> str | None:
    """The last resolution's code, or the last before it that met the person when it met no one (see `fold_incident`)."""
    if not codes:
        return None
    return next((c for c in reversed(codes) if c is not None and c not in nobody), codes[-1])
