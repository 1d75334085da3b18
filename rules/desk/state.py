"""The desk's whole state as plain tables, with the entries each input changed.

The agent stores the state in a changelogged Faust table as `table|key`
entries; only the entries touched since the last flush are written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from core.records import from_iso
from rules.desk.model import Incident, Team
from rules.weather import RegionWeather

TABLES = ("incidents", "seen", "event_index", "teams", "weather", "published")


class DeskState:
    """Incidents, teams and weather of one partition, and what changed since the last flush."""

    def __init__(self) -> None:
        self.now: datetime | None = None
        self.tick: datetime | None = None  # the latest clock tick: inputs are admitted against it once there is one
        # The latest tick that came too far ahead of the desk's clock to be taken on its word (`Desk.clock_tick`),
        # held until a record dated near it confirms it.
        self.ahead: datetime | None = None
        self.incidents: dict[str, Incident] = {}
        self.seen: dict[str, list[str]] = {}  # report_id -> [fingerprint, incident_id]
        self.event_index: dict[str, str] = {}  # task event_id -> incident_id
        self.teams: dict[str, Team] = {}
        self.weather: dict[str, RegionWeather] = {}
        self.published: dict[str, dict[str, Any]] = {}  # region -> last conditions sent
        self.dirty: set[tuple[str, str]] = set()  # (table, key) changed since last flush
        self.touches = 0  # touches of anything but the clock: whether a handler that raised had changed anything

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat() if self.now else None,
            "tick": self.tick.isoformat() if self.tick else None,
            "ahead": self.ahead.isoformat() if self.ahead else None,
            "incidents": {k: v.to_dict() for k, v in self.incidents.items()},
            "seen": self.seen,
            "event_index": self.event_index,
            "teams": {k: v.to_dict() for k, v in self.teams.items()},
            "weather": {k: v.to_dict() for k, v in self.weather.items()},
            "published": self.published,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.now = from_iso(data["now"]) if data.get("now") else None
        self.tick = from_iso(data["tick"]) if data.get("tick") else None
        self.ahead = from_iso(data["ahead"]) if data.get("ahead") else None
        self.incidents = {k: Incident.from_dict(v) for k, v in data.get("incidents", {}).items()}
        # copies, never the table's own lists and dicts: a change made in place (a report split off an
        # incident) by an input that then failed would otherwise change the table too, past any roll-back
        self.seen = {k: list(v) for k, v in data.get("seen", {}).items()}
        self.event_index = dict(data.get("event_index", {}))
        self.teams = {k: Team.from_dict(v) for k, v in data.get("teams", {}).items()}
        self.weather = {k: RegionWeather.from_dict(v) for k, v in data.get("weather", {}).items()}
        self.published = {k: dict(v) for k, v in data.get("published", {}).items()}
        self.loaded()

    def loaded(self) -> None:
        """Rebuild derived state after a load (subclasses index what they need)."""

    def entry(self, table: str, key: str) -> Any:
        """The current value of one state entry (None once it is gone)."""
        if table == "meta":
            clock = self.tick if key == "tick" else self.ahead if key == "ahead" else self.now
            return clock.isoformat() if clock else None
        source: dict[str, Any] = getattr(self, table)
        value: Any = source.get(key)
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value

    def load_entries(self, items: Iterable[tuple[str, Any]]) -> None:
        """Rebuild from `table|key -> value` entries (a Faust table's content)."""
        data: dict[str, Any] = {name: {} for name in TABLES}
        for flat, value in items:
            table, _, key = flat.partition("|")
            if value is None:
                continue
            if table == "meta":
                data[key if key in ("tick", "ahead") else "now"] = value
            elif table in data:
                data[table][key] = value
        self.load(data)

    def take_dirty(self) -> list[tuple[str, Any]]:
        """Changed entries since the last call, as `table|key -> value`."""
        changed = sorted(self.dirty)
        self.dirty.clear()
        return [(f"{table}|{key}", self.entry(table, key)) for table, key in changed]

    def touch(self, table: str, key: str) -> None:
        self.dirty.add((table, key))
        if table != "meta":  # the clock moved by a record later refused is kept, as it always was
            self.touches += 1

    def advance(self, at: datetime) -> None:
        """Event time moves forward only."""
        if self.now is None or at > self.now:
            self.now = at
            self.touch("meta", "now")
