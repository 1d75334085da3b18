"""Dispatch events and person inputs for ledger tests (shared by unit and integration tests)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from core.records import DispatchEvent
from ledger.db import Database

T0 = datetime.fromisoformat("2026-12-20T19:00:00+08:00")
BASE = (45.7700, 126.6200)


def event(incident: str, revision: int, kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    """A dispatch event as the desk writes it (JSON dict)."""
    fields: dict[str, Any] = {
        "event_id": f"{incident}-r{revision}",
        "kind": kind,
        "incident_id": incident,
        "revision": revision,
        "priority": "P2",
        "category": "escort_station",
        "rules": ("category:escort_station", "night"),
        "zone_id": "Z1",
        "key_area": None,
        "lat": BASE[0],
        "lon": BASE[1],
        "sources": (f"tip-{incident}",),
        "team_id": None,
        "ack_deadline": None,
        "nearest_help_point": None,
        "notify": (),
        "at": at,
        "district": "daoli",
        "channels": ("hotline",),
        "first_report_at": at,
        "status": "open",
    }
    fields.update(extra)
    return DispatchEvent(**fields).to_dict()


def incident_story(
    incident: str,
    start: datetime,
    *,
    outcome: str = "taken_to_station",
    lat: float = BASE[0],
    lon: float = BASE[1],
    level: str = "none",
    flags: tuple[str, ...] = (),
    escalations: int = 0,
    text: str = "",
    channel: str = "hotline",
) -> list[dict[str, Any]]:
    """dispatch (+ escalations) -> accepted -> on scene -> resolved, 5/12/40 minutes after the report."""
    rules = ("category:escort_station", f"cold_wave:{level}") if level != "none" else ("category:escort_station",)
    common = {"lat": lat, "lon": lon, "rules": rules, "flags": flags, "text": text, "first_report_at": start, "channels": (channel,)}
    out = [event(incident, 1, "dispatch", start + timedelta(minutes=5), team_id="T1", status="assigned", **common)]
    for n in range(escalations):
        out.append(event(incident, 2 + n, "escalation", start + timedelta(minutes=6 + n), team_id="T2", status="assigned", escalation_level=n + 1, **common))
    rev = len(out) + 1
    out.append(event(incident, rev, "update", start + timedelta(minutes=8), team_id="T2" if escalations else "T1", status="accepted", **common))
    out.append(event(incident, rev + 1, "update", start + timedelta(minutes=12), team_id="T2" if escalations else "T1", status="on_scene", **common))
    out.append(
        event(incident, rev + 2, "resolved", start + timedelta(minutes=40), team_id=None, status="resolved", reason=f"resolved by T1: {outcome}", **common)
    )
    return out


def store_as_legacy(db: Database, data: dict[str, Any]) -> None:
    """A dispatch event stored as an older feeder stored it, before today's checks (e.g. a time without its offset)."""
    db.execute(
        "INSERT INTO dispatch_events (event_id, incident_id, revision, kind, at, payload) VALUES (?, ?, ?, ?, ?, ?)",
        (data["event_id"], data["incident_id"], data["revision"], data["kind"], str(data["at"]), json.dumps(data, default=str)),
    )
