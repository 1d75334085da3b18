"""A stream of tips about people on a grid, and the ledger of what came out.

Shared by the tests that disturb running workers (crash, scale-out): each
person gets several reports, and the ledger checks that every tip reached
exactly one incident (after merges), every incident exactly one first
decision, and later reports joined the first one's incident (the desk's
state survived). Some persons are mental-health cases (a medical lead unit
and a police support unit), and some are first reported twice far apart
(two incidents) until phase b's report links them and they merge.
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
MENTAL = frozenset(i for i in range(PEOPLE) if i % 10 == 0)  # lead + support unit (person 0 finds both free)
SPLIT = frozenset(i for i in range(PEOPLE) if i % 10 == 3)  # two incidents until phase b merges them
SPLIT_M = (-184.0, 184.0)  # the second first report, 260 m north-west: beyond the 150 m radius, far from the neighbours
LINK_M = (-92.0, 92.0)  # phase b's report about a split person: 130 m from both


def position(i: int) -> tuple[float, float]:
    """Points 400 m apart on a grid: no two people correlate."""
    return offset_latlon(*ORIGIN, 400.0 * (i % 20), 400.0 * (i // 20))


def tip(phase: str, i: int, split: bool = False, plain: bool = False) -> FeedItem:
    """Phase `phase`'s report about person `i` (phases follow each other, 13 min apart).

    `split`: the second, far first report of a split person (phase a only).
    `plain`: no mental-health case and no split person (one social worker per person suffices).
    """
    n = "abcd".index(phase) * PEOPLE + i
    at = T0 + timedelta(seconds=GAP_S * n + (GAP_S // 2 if split else 0))
    east, north = OFFSETS_M[phase]
    if i in SPLIT and (split or phase == "b") and not plain:
        east, north = SPLIT_M if split else LINK_M
    lat, lon = offset_latlon(*position(i), east, north)
    tip_id = f"x{i}" if split else f"{phase}{i}"
    body: dict[str, Any] = {"tip_id": tip_id, "channel": "courier" if split else "hotline", "reported_at": at.isoformat(),
                            "lat": lat, "lon": lon, "text": "cold", "accuracy_m": 5}
    if i in MENTAL and not plain:
        body["flags"] = ["mental"]
    return FeedItem(at=at, seq=n, topic=names.TIPS, value=json.dumps(body).encode(), key=tip_id)


def teams(count: int = 2, specialists: bool = True) -> list[FeedItem]:
    """Available teams at the origin: social workers and (`specialists`) a medical lead and a police support unit
    for the mental cases."""
    kinds = [("social_work",)] * count + ([("medical", "vehicle"), ("police", "social_work")] if specialists else [])
    items = []
    for n, caps in enumerate(kinds):
        status = TeamStatus(team_id=f"T{n}", at=T0, status="available", lat=ORIGIN[0], lon=ORIGIN[1], capabilities=caps)
        items.append(FeedItem(at=T0, seq=n, topic=names.TEAM_STATUS, value=status.to_json(), key=f"T{n}"))
    return items


async def first_reports(feeder: Feeder) -> None:
    """Workers ready, teams available, phase a (one tip per person) fully processed."""
    await feeder.wait_ready(T0)
    for item in teams():
        await feeder.send(item)
    for i in range(PEOPLE):
        await feeder.send(tip("a", i))
        if i in SPLIT:
            await feeder.send(tip("a", i, split=True))
    await feeder.barrier()


@dataclass
class Ledger:
    """Dispatch events deduplicated by event id, indexed by tip."""

    owner: dict[str, set[str]] = field(default_factory=dict)
    first_decisions: dict[str, int] = field(default_factory=dict)

    survivors: set[str] = field(default_factory=set)
    units: dict[str, set[str]] = field(default_factory=dict)  # incident -> teams assigned (lead and support)

    @classmethod
    def of(cls, events: list[dict[str, Any]]) -> Ledger:
        by_id: dict[str, dict[str, Any]] = {}
        for event in events:
            if event["event_id"] in by_id:
                first = by_id[event["event_id"]]
                diff = {k: (first.get(k), event.get(k)) for k in sorted(set(first) | set(event)) if first.get(k) != event.get(k)}
                assert not diff, f"a redelivered event must be identical: {event['event_id']} differs in {diff}"
            by_id[event["event_id"]] = event
        merged = {e["incident_id"]: e["merged_into"] for e in by_id.values() if e["kind"] == "merged"}
        ledger = cls()
        for event in by_id.values():
            survivor = merged.get(event["incident_id"], event["incident_id"])
            ledger.survivors.add(survivor)
            for source in event["sources"]:
                ledger.owner.setdefault(source, set()).add(survivor)
            for unit in event.get("assignments") or ():
                ledger.units.setdefault(survivor, set()).add(unit["role"])
            if event["revision"] == 1:
                ledger.first_decisions[event["incident_id"]] = ledger.first_decisions.get(event["incident_id"], 0) + 1
        return ledger

    def tips_by_incident(self) -> dict[str, list[str]]:
        by_incident: dict[str, list[str]] = {}
        for tip_id, incidents in sorted(self.owner.items()):
            for incident in incidents:
                by_incident.setdefault(incident, []).append(tip_id)
        return by_incident

    def assert_complete(self, phases: str, plain: bool = False, support: bool = True) -> None:
        """Every tip in one incident, one first decision each; `plain`: a stream of `tip(..., plain=True)`;
        `support`: some mental-health case got its lead and its support unit."""
        split = frozenset() if plain else SPLIT
        expected = {f"{phase}{i}" for phase in phases for i in range(PEOPLE)} | {f"x{i}" for i in split}
        assert set(self.owner) == expected, f"missing: {sorted(expected - set(self.owner))}"
        assert all(len(incidents) == 1 for incidents in self.owner.values()), "a tip in two incidents (after merges)"
        assert all(count == 1 for count in self.first_decisions.values()), "an incident got two first decisions"
        seen = {incident for incidents in self.owner.values() for incident in incidents} | set(self.first_decisions)
        undecided = sorted(seen - set(self.first_decisions))
        assert len(self.first_decisions) == PEOPLE + len(split), (
            f"one first decision per incident: {len(self.first_decisions)} incidents decided, "
            f"expected {PEOPLE + len(split)}; no first decision: {undecided}; tips by incident: {self.tips_by_incident()}")
        merged = "b" in phases  # phase b's report links a split person's two incidents
        if merged:
            assert len(self.survivors) == PEOPLE, "one incident per person once the split ones merged"
        else:
            assert len(self.survivors) == PEOPLE + len(split), "a split person has two incidents until phase b"
        for i in range(PEOPLE):
            for later in phases[1:]:
                assert self.owner[f"{later}{i}"] == self.owner[f"a{i}"], f"{later}{i} did not join a{i}'s incident: desk state was lost"
        for i in split:
            if merged:
                assert self.owner[f"x{i}"] == self.owner[f"a{i}"], f"x{i} was not merged into a{i}'s incident"
            else:
                assert self.owner[f"x{i}"] != self.owner[f"a{i}"], f"x{i} joined a{i}'s incident 260 m away before any report linked them"
        if support and not plain:
            assert any(self.units.get(next(iter(self.owner[f"a{i}"]))) == {"lead", "support"} for i in MENTAL), "no lead + support incident"
