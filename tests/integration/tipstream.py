"""A stream of tips about people on a grid, and the ledger of what came out.

Shared by the tests that disturb running workers (crash, scale-out): each
person gets several reports, and the ledger checks that every tip reached
exactly one incident, every person exactly one first decision, and later
reports joined the first one's incident (the desk's state survived).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import topics as names
from core.feed import FeedItem
from core.records import TeamStatus
from geo.distance import offset_latlon
from tools.harness import Feeder

T0 = datetime(2026, 12, 20, 19, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ORIGIN = (45.7250, 126.5800)
PEOPLE = 40
GAP_S = 20  # between two tips of one phase
# Each phase reports every person again, 30 m from the first report.
OFFSETS_M = {"a": (0.0, 0.0), "b": (30.0, 0.0), "c": (0.0, 30.0), "d": (-30.0, 0.0)}


def position(i: int) -> tuple[float, float]:
    """Points 400 m apart on a grid: no two people correlate."""
    return offset_latlon(*ORIGIN, 400.0 * (i % 20), 400.0 * (i // 20))


def tip(phase: str, i: int) -> FeedItem:
    """Phase `phase`'s report about person `i` (phases follow each other, 13 min apart)."""
    n = "abcd".index(phase) * PEOPLE + i
    at = T0 + timedelta(seconds=GAP_S * n)
    lat, lon = offset_latlon(*position(i), *OFFSETS_M[phase])
    body = {"tip_id": f"{phase}{i}", "channel": "hotline", "reported_at": at.isoformat(), "lat": lat, "lon": lon, "text": "cold"}
    return FeedItem(at=at, seq=n, topic=names.TIPS, value=json.dumps(body).encode(), key=f"{phase}{i}")


def teams(count: int = 2) -> list[FeedItem]:
    """Available teams at the origin, so every decision is a dispatch."""
    items = []
    for n in range(count):
        status = TeamStatus(team_id=f"T{n}", at=T0, status="available", lat=ORIGIN[0], lon=ORIGIN[1], capabilities=("social_work",))
        items.append(FeedItem(at=T0, seq=n, topic=names.TEAM_STATUS, value=status.to_json(), key=f"T{n}"))
    return items


async def first_reports(feeder: Feeder) -> None:
    """Workers ready, teams available, phase a (one tip per person) fully processed."""
    await feeder.wait_ready(T0)
    for item in teams():
        await feeder.send(item)
    for i in range(PEOPLE):
        await feeder.send(tip("a", i))
    await feeder.barrier()


@dataclass
class Ledger:
    """Dispatch events deduplicated by event id, indexed by tip."""

    owner: dict[str, set[str]] = field(default_factory=dict)
    first_decisions: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, events: list[dict[str, Any]]) -> Ledger:
        by_id: dict[str, dict[str, Any]] = {}
        for event in events:
            if event["event_id"] in by_id:
                first = by_id[event["event_id"]]
                diff = {k: (first.get(k), event.get(k)) for k in sorted(set(first) | set(event)) if first.get(k) != event.get(k)}
                assert not diff, f"a redelivered event must be identical: {event['event_id']} differs in {diff}"
            by_id[event["event_id"]] = event
        ledger = cls()
        for event in by_id.values():
            for source in event["sources"]:
                ledger.owner.setdefault(source, set()).add(event["incident_id"])
            if event["revision"] == 1:
                ledger.first_decisions[event["incident_id"]] = ledger.first_decisions.get(event["incident_id"], 0) + 1
        return ledger

    def assert_complete(self, phases: str) -> None:
        expected = {f"{phase}{i}" for phase in phases for i in range(PEOPLE)}
        assert set(self.owner) == expected, f"missing: {sorted(expected - set(self.owner))}"
        assert all(len(incidents) == 1 for incidents in self.owner.values()), "a tip in two incidents"
        assert all(count == 1 for count in self.first_decisions.values()), "a person got two first decisions"
        assert len(self.first_decisions) == PEOPLE, "one dispatch decision per person"
        for i in range(PEOPLE):
            for later in phases[1:]:
                assert self.owner[f"{later}{i}"] == self.owner[f"a{i}"], f"{later}{i} did not join a{i}'s incident: desk state was lost"
