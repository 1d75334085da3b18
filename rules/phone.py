"""What the rules say about the teams' phones: how often they report, which fixes to trust, repeats.

A phone on a winter night loses signal in underpasses, resends what it
queued when it comes back, and its GPS sometimes jumps across the city. The
numbers (report interval, how old or vague a fix may be, how fast a team can
move) live in the policy's `[phone]` table; the checks are pure functions so
the console refuses a bad fix before anything reaches `team-status`, and the
desk and the console drop an action they have already applied by its
client-generated id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from core.records import CATEGORIES
from core.tomlconfig import TomlReader
from core.validate import on_earth
from geo.distance import haversine_m

# A client id: what a phone generates for each action (a UUID, or any short token). `\Z`, not `$`: `$` also matches
# before a final newline, so "c0ffee00-0001\n" passed `match` and was written, to be stripped by the desk's reader.
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,99}\Z")


@dataclass(frozen=True)
class PhonePolicy:
    """The `[phone]` table of the policy file."""

    position_every_s: float = 30.0  # how often a phone on duty sends its position
    max_fix_age_s: float = 300.0  # a fix older than this (against event-time now) is stale
    max_clock_skew_s: float = 180.0  # a fix or action this far ahead of now is refused (clock ticks lag)
    max_accuracy_m: float = 150.0  # a fix vaguer than this is refused
    max_speed_kmh: float = 150.0  # faster than this between two fixes is a GPS jump
    max_offline_h: float = 12.0  # an action queued longer than this keeps the console's time instead
    # Where a team takes a person, by category (help point kinds, nearest first);
    # a category not listed uses the task's nearest help point.
    destination_kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def parse_phone_policy(r: TomlReader, data: Mapping[str, Any], help_point_kinds: tuple[str, ...]) -> PhonePolicy:
    """The `[phone]` table, every number checked (file:line on a mistake)."""
    r.get(data, ["phone"], dict)
    r.unknown_keys(data, ["phone"], [f for f in PhonePolicy.__dataclass_fields__])
    destinations: dict[str, tuple[str, ...]] = {}
    for category in r.get(data, ["phone", "destination_kinds"], dict, {}):
        if category not in CATEGORIES:
            raise r.fail(["phone", "destination_kinds", category], f"unknown category {category!r}")
        destinations[category] = r.names(data, ["phone", "destination_kinds", category], help_point_kinds)
    return PhonePolicy(
        position_every_s=r.number(data, ["phone", "position_every_s"], minimum=5.0, maximum=3600.0),
        max_fix_age_s=r.number(data, ["phone", "max_fix_age_s"], minimum=10.0, maximum=86400.0),
        max_clock_skew_s=r.number(data, ["phone", "max_clock_skew_s"], minimum=0.0, maximum=3600.0),
        max_accuracy_m=r.number(data, ["phone", "max_accuracy_m"], minimum=5.0, maximum=10000.0),
        max_speed_kmh=r.number(data, ["phone", "max_speed_kmh"], minimum=10.0, maximum=1000.0),
        max_offline_h=r.number(data, ["phone", "max_offline_h"], minimum=0.1, maximum=168.0),
        destination_kinds=destinations,
    )


@dataclass(frozen=True)
class Fix:
    """One position from a phone: WGS-84, the fix's own time, its accuracy radius."""

    lat: float
    lon: float
    at: datetime
    accuracy_m: float | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a fix or an action is not written: a stable code and a sentence."""

    code: str
    message: str


def check_fix(fix: Fix, last: Fix | None, now: datetime, policy: PhonePolicy) -> Refusal | None:
    """None if the fix may go to `team-status`, else why not.

    `now` is event time (the console's latest clock); `last` the team's latest
    accepted fix. A jump counts only the distance beyond both accuracy radii.
    """
    if not on_earth(fix.lat, fix.lon):
        return Refusal("invalid_position", f"({fix.lat}, {fix.lon}) are not WGS-84 coordinates")
    age = (now - fix.at).total_seconds()
    if age > policy.max_fix_age_s:
        return Refusal("stale_fix", f"fix is {age:.0f} s old (limit {policy.max_fix_age_s:.0f} s)")
    if -age > policy.max_clock_skew_s:
        return Refusal("future_fix", f"fix is {-age:.0f} s ahead of the console's clock (limit {policy.max_clock_skew_s:.0f} s)")
    if fix.accuracy_m is not None and fix.accuracy_m > policy.max_accuracy_m:
        return Refusal("poor_accuracy", f"fix accuracy {fix.accuracy_m:.0f} m (limit {policy.max_accuracy_m:.0f} m)")
    if last is None:
        return None
    if fix.at < last.at:
        return Refusal("out_of_order", f"fix at {fix.at.isoformat()} is older than the team's latest at {last.at.isoformat()}")
    moved = haversine_m(last.lat, last.lon, fix.lat, fix.lon) - (fix.accuracy_m or 0.0) - (last.accuracy_m or 0.0)
    if moved <= 0:
        return None
    seconds = (fix.at - last.at).total_seconds()
    speed = float("inf") if seconds <= 0 else moved / seconds * 3.6
    if speed > policy.max_speed_kmh:
        return Refusal("impossible_jump", f"{moved:.0f} m in {seconds:.0f} s is {speed:.0f} km/h (limit {policy.max_speed_kmh:.0f} km/h)")
    return None


def action_time(client_at: datetime | None, now: datetime, policy: PhonePolicy) -> datetime:
    """Event time of a phone's action: when it was pressed, if that is believable, else now.

    A time ahead of now would move the desk's clock forward, so it is capped
    at now; a time older than the offline limit is not believed (a phone whose
    clock is off by days) and the console's now is used.
    """
    if client_at is None or client_at > now or now - client_at > timedelta(hours=policy.max_offline_h):
        return now
    return client_at


V = TypeVar("V")


class ClientIds(Generic[V]):
    """Client ids already applied, each with a value (what was written), forgotten after `keep`.

    Bounded by event time, not by count: a phone resends within its offline
    limit, so ids older than that can never come back.
    """

    def __init__(self, keep: timedelta) -> None:
        self.keep = keep
        self._seen: dict[str, tuple[datetime, V]] = {}

    def get(self, client_id: str) -> V | None:
        entry = self._seen.get(client_id)
        return entry[1] if entry is not None else None

    def __contains__(self, client_id: object) -> bool:
        return client_id in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, client_id: str, at: datetime, value: V) -> bool:
        """Remember an id; False (and nothing changes) if it was already there."""
        if client_id in self._seen:
            return False
        self._seen[client_id] = (at, value)
        return True

    def prune(self, now: datetime) -> list[str]:
        """Forget ids older than `keep` before `now`; the ids forgotten."""
        cutoff = now - self.keep
        old = [cid for cid, (at, _) in self._seen.items() if at < cutoff]
        for cid in old:
            del self._seen[cid]
        return old

    def items(self) -> Iterable[tuple[str, datetime, V]]:
        return ((cid, at, value) for cid, (at, value) in self._seen.items())
