"""Typed records at every topic boundary: one schema per topic, versioned.

Records are frozen dataclasses with explicit `to_dict`/`from_dict`, so the pure
core (policy, geo, detector, simulators) uses them without a broker and the
JSON on the wire is exactly what the README documents. Input topics carry raw
bytes: parsing happens in the intake functions so that a malformed payload is
dead-lettered with its original text instead of being dropped by a
deserializer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import typing
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from core.errors import RecordError
from core.validate import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    OUTCOME_CODE,
    field_hints,
    mistyped_field,
    on_earth,
    plausible_year,
)

SCHEMA_VERSION = 1

CHANNELS: tuple[str, ...] = (
    "hotline",
    "wechat",
    "courier",
    "sanitation",
    "driver",
    "security",
    "volunteer",
    "police",
    "citizen",
    "city_management",
    "grid_worker",
    "community",
    "hotline_12345",
    "transfer_110",
    "transfer_120",
)
THERMAL_CHANNEL = "thermal"
# What a report on `reports` may name: the desk refuses any other (and the ledger does not count it).
REPORT_SOURCES: tuple[str, ...] = ("tip", "detection")
REPORT_CHANNELS: tuple[str, ...] = (*CHANNELS, THERMAL_CHANNEL)
# Who gets a notice when `notify` names them (police 110, health 120, 城管), and the mental-health referral
# platform, which gets a referral after the night (policy `[referrals]`).
PARTNERS: tuple[str, ...] = ("health", "police", "city_management", "mental_health")

FLAGS: tuple[str, ...] = (
    "unresponsive",
    "injured",
    "ill",
    "mental",
    "minor",
    "elderly",
    "disabled",
    "immobile",
    "no_id",
    "refuses",
    "domestic_violence",
    "migrant_worker",
    "robbed",
    "intoxicated",
)

CATEGORIES: tuple[str, ...] = (
    "medical",
    "escort_station",
    "rescue_first",
    "supplies_followup",
    "basic_support",
    "guidance",
    "welfare_check",
)
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
# Why the desk escalated (DispatchEvent.escalation_cause): an acknowledgement missed, a support unit's missed, queued too long.
ESCALATION_CAUSES: tuple[str, ...] = ("ack_missed", "support_ack_missed", "queued")
EVENT_KINDS: tuple[str, ...] = ("dispatch", "update", "queued", "escalation", "followup", "resolved", "support", "merged", "unit_timer",
                                "referral")
TEAM_STATUSES: tuple[str, ...] = ("available", "en_route", "on_scene", "break", "off_duty")
ACK_STATUSES: tuple[str, ...] = ("accepted", "on_scene", "resolved", "declined")
# What operators (all) and teams on scene (`assess` only) may ask the desk on `operator-commands`.
COMMAND_KINDS: tuple[str, ...] = ("assign", "support", "merge", "split", "priority", "assess")
CAPABILITIES: tuple[str, ...] = ("medical", "police", "social_work", "vehicle")
COLD_WAVE_LEVELS: tuple[str, ...] = ("none", "blue", "yellow", "orange", "red")
POSTURES: tuple[str, ...] = ("standing", "sitting", "lying", "unknown")
SEXES: tuple[str, ...] = ("male", "female")
AGE_GROUPS: tuple[str, ...] = ("minor", "adult", "elderly")
# Whether a minor was said to be alone or with a parent or other grown-up (None: not said). "alone" wins over
# "accompanied" on an incident: the mandatory report (强制报告) is waived only for a minor said to be with an adult.
COMPANY: tuple[str, ...] = ("alone", "accompanied")


# One tzinfo object per UTC offset for every time read from text. `fromisoformat` makes a new one per call, and
# two aware datetimes on different tzinfo objects compare and subtract only after asking both for their offsets
# (some 40 times slower): the desk compares event times at every step. Same instant, same text.
_ZONES: dict[tzinfo | None, tzinfo | None] = {}


def _zone_of(found: tzinfo | None) -> tzinfo | None:
    """The zone a time read with offset `found` is kept in: itself, or UTC for an offset in seconds ("+05:30:17",
    "+08:00:00.5"), which Python reads but RFC 3339, the pages' `new Date` and most consumers cannot: written back as
    given, every output naming that time carried it."""
    offset = found.utcoffset(None) if found is not None else None
    if offset is not None and offset % timedelta(minutes=1):
        return UTC
    return found


def from_iso(text: str) -> datetime:
    """`datetime.fromisoformat`, on the shared tzinfo object of its offset (UTC for an offset with seconds)."""
    dt = datetime.fromisoformat(text)
    try:
        zone = _ZONES[dt.tzinfo]  # timezone objects are equal by offset
    except KeyError:
        zone = _ZONES.setdefault(dt.tzinfo, _zone_of(dt.tzinfo))
    if zone is dt.tzinfo:
        return dt
    if zone == dt.tzinfo:
        return dt.replace(tzinfo=zone)
    try:
        return dt.astimezone(zone)
    except OverflowError:  # year 1 or 9999 moved out of range by its seconds offset: a ValueError, as fromisoformat's own
        raise ValueError(f"time {text!r:.40} is out of range in UTC") from None


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with offset, seconds precision unless sub-second is present."""
    if dt is None:
        return None
    return dt.isoformat()


# ISO 8601's end of a day, `24:00`, `24:00:00`, `24:00:00.000` (or `2400`, `240000`): the start of the next day.
_END_OF_DAY = re.compile(r"(?P<date>[^Tt ]+)[Tt ]24(?::00(?::00(?:[.,]0+)?)?|00(?:00(?:[.,]0+)?)?)?(?P<offset>[+-].*)?")


def parse_time(value: Any, field_name: str) -> datetime:
    """Parse an ISO 8601 timestamp that must carry a UTC offset.

    `T24:00:00` (ISO 8601's end of a day) is 00:00 of the next day; any other time past 23:59:59 is refused.
    """
    if not isinstance(value, str):
        raise RecordError(f"{field_name}: expected an ISO 8601 string, got {type(value).__name__}")
    text = value.strip()
    if not text.isascii():  # typed on a phone or a Chinese keyboard: full-width digits, colon, plus
        text = unicodedata.normalize("NFKC", text)
    if text.endswith(("Z", "z")):  # RFC 3339 allows either case
        text = text[:-1] + "+00:00"
    end_of_day = _END_OF_DAY.fullmatch(text)
    try:
        if end_of_day is None:
            dt = from_iso(text)
        else:
            dt = from_iso(f"{end_of_day['date']}T00:00{end_of_day['offset'] or ''}") + timedelta(days=1)
    except (ValueError, OverflowError) as exc:
        raise RecordError(f"{field_name}: not an ISO 8601 time: {value!r}") from exc
    if dt.tzinfo is None:
        raise RecordError(f"{field_name}: time {value!r} has no UTC offset")
    return dt


W = TypeVar("W", bound="Wire")


def check_times(record: W) -> W:
    """`record` if every time it holds has a UTC offset and a plausible year, else a RecordError naming the field.

    `from_dict` takes times as they come, and any producer can write a topic: a reader that keeps a time without its
    offset meets TypeError at every later comparison with it (each later record, each page), and year 1 or 9999
    overflows once converted to another offset. Readers that keep what they decode check it here first.
    """
    values = vars(record)
    for name in _time_fields(type(record)):
        value = values[name]
        if not isinstance(value, datetime):
            continue
        if value.utcoffset() is None:
            raise RecordError(f"{name}: time has no UTC offset")
        if not plausible_year(value):
            raise RecordError(f"{name}: implausible time {value.isoformat()} (expected a year {EARLIEST_YEAR}..{LATEST_YEAR})")
    return record


def check_types(record: object, label: str = "") -> None:
    """A RecordError (`wrong_type`) naming the first field of `record` whose value is not the type its class declares
    (`core.validate.mistyped_field`); `label` goes before the field's name in the reason."""
    if (wrong := mistyped_field(record, field_hints(type(record)))) is not None:
        name, hint, value = wrong
        raise RecordError(f"{label}{name}: expected {hint}, got {type(value).__name__} {value!r:.40}", kind="wrong_type")


def check_fields(record: W) -> W:
    """`record` if every field holds the type its class declares (`core.validate.mistyped_field`), nested help points
    too, and a position is on the earth; else a RecordError naming the field.

    `from_dict` takes values as they come, and any producer can write a topic: one dispatch event with a latitude
    NaN or "abc", an incident id null or a priority 5, kept by the console, made every operator's `/api/state` (and
    the snapshot each live page opens with) a 500 or JSON no browser reads, and its team's task list a 500, at
    every restart (the console reads its topics from the beginning). Readers that keep what they decode check it
    here first, with `check_times`.
    """
    check_types(record)
    values = vars(record)
    for name, value in values.items():
        if isinstance(value, Wire):
            check_types(value, f"{name}.")
    lat, lon = values.get("lat"), values.get("lon")
    if lat is not None and lon is not None and not on_earth(lat, lon):
        raise RecordError(f"lat/lon ({lat}, {lon}) are not coordinates", kind="wrong_type")
    return record


def decoded(cls: type[W], data: Any) -> W:
    """A record of `cls` from its JSON as a reader that keeps it takes it: its fields' types (`check_fields`), then its
    times (`check_times`), checked."""
    return check_times(check_fields(cls.from_dict(data)))


def check_not_ahead(at: datetime, clock: datetime, max_ahead_min: float, name: str, clock_name: str) -> None:
    """Refuse (a RecordError of kind `future_time`) a time `at` more than `max_ahead_min` past `clock`, a reader's
    event clock; `name` is the record's field and `clock_name` whose clock it is ("the desk's clock tick"), both in the reason.

    Only ticks move event time far: one record dated next year (a wrong date, a camera whose clock jumped forward)
    would otherwise move its reader's state there, and every correctly dated record after it would look old.
    """
    if at - clock > timedelta(minutes=max_ahead_min):
        ahead = (at - clock).total_seconds() / 60.0
        raise RecordError(f"{name}: {at.isoformat()} is {ahead:.0f} min ahead of {clock_name} ({clock.isoformat()}); "
                          f"at most {max_ahead_min:g} min is taken (a wrong date or time zone?)", kind="future_time")


def maybe_time(value: Any) -> datetime | None:
    """A lenient reader for times in already-written outputs: None if absent or bad."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return from_iso(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, Wire):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


# JSON scalars pass through `_encode` unchanged; checking the exact type first
# skips the isinstance chain for most fields (encoding is on every hot path).
_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def _json_default(value: Any) -> Any:
    """What the JSON encoder cannot write itself, written as `_encode` would (tuples and lists it writes alike)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Wire):
        return value.field_values()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# `to_json` hands the encoder the record's own field values: its C loop writes
# scalars, tuples and dicts and asks `_json_default` only for the rest, the
# same bytes as encoding `to_dict()` without building that copy first.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_json_default)

# How `from_dict` turns a JSON value back into a field, decided once per class
# from its type hints (resolving hints per record was the desk's top cost).
_AS_IS, _DATETIME, _HELP_POINT, _TUPLE = range(4)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_DECODERS: dict[type, tuple[tuple[str, int], ...]] = {}
_TIME_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _decoders(cls: type) -> tuple[tuple[str, int], ...]:
    plan = _DECODERS.get(cls)
    if plan is None:
        plan = _DECODERS[cls] = _decode_plan(cls)
    return plan


def _time_fields(cls: type) -> tuple[str, ...]:
    """The fields of `cls` that hold a time (or None): the only ones `from_dict` makes a datetime of."""
    fields = _TIME_FIELDS.get(cls)
    if fields is None:
        fields = _TIME_FIELDS[cls] = tuple(name for name, how in _decoders(cls) if how == _DATETIME)
    return fields


def _decode_plan(cls: type) -> tuple[tuple[str, int], ...]:
    hints = typing.get_type_hints(cls)
    plan = []
    for f in dataclasses.fields(cls):
        hint = str(hints[f.name])
        if "datetime" in hint:
            plan.append((f.name, _DATETIME))
        elif "HelpPointRef" in hint:
            plan.append((f.name, _HELP_POINT))
        elif "tuple" in hint:
            plan.append((f.name, _TUPLE))
        else:
            plan.append((f.name, _AS_IS))
    return tuple(plan)




class Wire:
    """Mixin: JSON encoding shared by every record."""

    def to_dict(self) -> dict[str, Any]:
        plain = _PLAIN
        out: dict[str, Any] = {}
        for name in _field_names(type(self)):
            value = getattr(self, name)
            out[name] = value if type(value) in plain else _encode(value)
        return out

    def field_values(self) -> dict[str, Any]:
        """The field values as they are (no copy, no conversion): what `to_json` encodes, read only.

        A record's attribute dict holds exactly its fields (frozen dataclasses,
        no other attributes), so it is returned itself rather than rebuilt.
        """
        values: dict[str, Any] = self.__dict__
        return values

    def to_json(self) -> bytes:
        return _ENCODER.encode(self.field_values()).encode("utf-8")

    @classmethod
    def from_dict(cls: type[W], data: dict[str, Any]) -> W:
        """Rebuild a record written by `to_dict` (trusted, internal topics only)."""
        values: dict[str, Any] = {}
        for name, how in _decoders(cls):
            if name not in data:
                continue
            value = data[name]
            if value is None or how == _AS_IS:
                pass
            elif how == _DATETIME:
                value = from_iso(value)
            elif how == _HELP_POINT:
                value = HelpPointRef(**value)
            elif how == _TUPLE and isinstance(value, list):
                value = tuple(value)
            values[name] = value
        return cls(**values)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Tip(Wire):
    """A validated tip (topic `tips`), address already resolved to a position."""

    tip_id: str
    channel: str
    reported_at: datetime
    lat: float
    lon: float
    text: str = ""
    address: str | None = None
    persons: int | None = None
    flags: tuple[str, ...] = ()
    accuracy_m: float | None = None  # the phone fix's accuracy, or the extent of the address's place
    sex: str | None = None
    age_group: str | None = None
    posture: str | None = None  # from the text: lying, sitting, standing
    company: str | None = None  # a minor's company from the text (COMPANY): alone, accompanied, None when not said
    reporter_contact: str | None = None  # normalized (tel:+86..., wechat:...); leaves intake only on `reporter-contacts`
    corrects: str | None = None  # the dead letter an operator corrected into this tip


@dataclass(frozen=True)
class WeatherObservation(Wire):
    """A weather observation (topic `weather`); region, station position or neither (city)."""

    observed_at: datetime
    temp_c: float
    wind_ms: float
    region: str | None = None
    lat: float | None = None
    lon: float | None = None
    station_id: str | None = None
    snow: bool = False  # snowfall or ice on the roads


@dataclass(frozen=True)
class WeatherWarning(Wire):
    """An official cold-wave warning (topic `weather`, has `level` and `issued_at`)."""

    level: str
    issued_at: datetime
    region: str | None = None


@dataclass(frozen=True)
class TeamStatus(Wire):
    """A patrol team's live state (topic `team-status`)."""

    team_id: str
    at: datetime
    status: str
    lat: float
    lon: float
    capabilities: tuple[str, ...] = ()
    name: str | None = None
    district: str | None = None
    # From a phone: the fix's accuracy radius, and the id the phone gave a status change.
    accuracy_m: float | None = None
    client_id: str | None = None


# The `team_id` operators' acks carry on `task-acks` (the console's): no team may take it.
OPERATOR_TEAM_ID = "console"


@dataclass(frozen=True)
class TaskAck(Wire):
    """A team's or operator's answer to a task (topic `task-acks`).

    Operators use the same topic: `status` `reassign` or `resolved` with
    `team_id` "console". `client_id` is the id a phone gave the action, so a
    resend after a lost answer is applied once.
    """

    event_id: str
    team_id: str
    status: str
    at: datetime
    outcome: str | None = None
    incident_id: str | None = None
    by: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class OperatorCommand(Wire):
    """An operator's or a team's order to the desk (topic `operator-commands`).

    `kind` is one of COMMAND_KINDS. The desk stays the one writer of incident
    state: the console only asks, and the desk answers with a CommandResult.
    `command_id` is deterministic per action (a phone's client id, or the id
    the console gave it), so a redelivered command is applied once. `by` is
    the token's name; `by_team` the team that sent it from its phone.
    """

    command_id: str
    kind: str
    incident_id: str
    at: datetime
    by: str
    by_team: str | None = None
    team_id: str | None = None  # assign / support: the team chosen
    other_incident_id: str | None = None  # merge: the incident folded into this one
    report_id: str | None = None  # split: the report taken out
    priority: str | None = None  # priority: the operator's priority
    reason: str | None = None
    add_flags: tuple[str, ...] = ()
    remove_flags: tuple[str, ...] = ()
    persons: int | None = None
    event_id: str | None = None  # assess from a team's phone: the task it was made for (None: checked by time only)


@dataclass(frozen=True)
class CommandResult(Wire):
    """The desk's answer to one command (topic `command-results`): applied (with its events) or rejected and why."""

    command_id: str
    kind: str
    incident_id: str
    status: str  # applied / rejected
    reason: str
    by: str
    at: datetime
    by_team: str | None = None
    error: str | None = None  # rejected: a short code (unknown_incident, closed, unknown_team, lacks_capability, ...)
    event_ids: tuple[str, ...] = ()
    centre: str = ""  # the dispatch centre whose desk answered; "" in results written before centres were named


@dataclass(frozen=True)
class ClockTick(Wire):
    """Event-time clock (topic `clock`): live ticker or simulated clock."""

    at: datetime
    source: str = "ticker"


@dataclass(frozen=True)
class Detection(Wire):
    """A person found in a thermal frame (topic `detections`, detector or edge device)."""

    detection_id: str
    camera_id: str
    captured_at: datetime
    bbox: tuple[int, int, int, int]
    posture: str
    t_max_c: float | None  # None: an 8-bit frame gives no temperatures
    t_mean_c: float | None
    score: float
    lat: float | None = None
    lon: float | None = None
    error_m: float | None = None
    track_id: str | None = None
    still_s: float = 0.0
    frame: str | None = None


# --------------------------------------------------------------------------- internal


@dataclass(frozen=True)
class Report(Wire):
    """One schema for tips and detections once they are on the map (topic `reports`)."""

    report_id: str
    source: str  # "tip" or "detection"
    channel: str
    at: datetime
    lat: float
    lon: float
    district: str
    zone_id: str | None = None
    key_area: str | None = None
    flags: tuple[str, ...] = ()
    text: str = ""
    address: str | None = None
    persons: int | None = None
    camera_id: str | None = None
    track_id: str | None = None
    posture: str | None = None
    still_s: float = 0.0
    score: float | None = None
    error_m: float | None = None
    accuracy_m: float | None = None
    sex: str | None = None
    age_group: str | None = None
    company: str | None = None  # a minor's company (COMPANY), None when not said
    reporter_contact: str | None = None  # masked (tel:+86138****5678): operators may see that one exists
    centre: str = ""  # the dispatch centre (city folder) that holds the position; the topic's key
    # accuracy_m (error_m for a detection) is the policy's assumed uncertainty for the channel: the source stated none
    uncertainty_assumed: bool = False


@dataclass(frozen=True)
class ReporterContact(Wire):
    """A tip's reporter contact, for replies only (topic `reporter-contacts`, keyed by tip id)."""

    tip_id: str
    contact: str
    masked: str
    via: str  # sms or wechat
    at: datetime
    centre: str = ""  # the dispatch centre that holds the tip (tip ids are each city's own); "" before centres were named


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class HelpPointRef(Wire):
    id: str
    name: str
    distance_m: float
    kind: str | None = None


@dataclass(frozen=True)
class DispatchEvent(Wire):
    """Every output kind of the pipeline (topic `dispatch`), one schema.

    `event_id` is deterministic (incident id, kind, revision), so a replay or a
    crash-and-retry yields the same ids and consumers can drop duplicates.
    """

    event_id: str
    kind: str
    incident_id: str
    revision: int
    priority: str
    category: str
    rules: tuple[str, ...]
    zone_id: str | None
    key_area: str | None
    lat: float
    lon: float
    sources: tuple[str, ...]
    team_id: str | None
    ack_deadline: datetime | None
    nearest_help_point: HelpPointRef | None
    notify: tuple[str, ...]
    at: datetime
    district: str = ""
    flags: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    confidence: float = 0.0
    escalation_level: int = 0
    escalate_to: str | None = None
    reason: str | None = None
    first_report_at: datetime | None = None
    status: str = "open"
    action: str = ""
    text: str = ""
    persons: int | None = None
    eta_min: float | None = None
    candidates: tuple[dict[str, Any], ...] = ()
    unit_role: str | None = None
    unit_team_id: str | None = None
    assignments: tuple[dict[str, Any], ...] = ()
    destination: HelpPointRef | None = None
    merged_into: str | None = None
    escalation_cause: str | None = None
    queued_since: datetime | None = None
    schema: int = SCHEMA_VERSION
    centre: str = ""  # the dispatch centre whose desk decided it; "" in events written before centres were named
    outcome: str | None = None  # a `resolved` event's outcome code (taken_to_station, refused, ...); None when none was given
    # the sources whose report, as the desk took it, left a reporter contact: the reply agent answers only those (a
    # contact that came with a tip refused as a duplicate of one taken without a contact hears nothing)
    contact_sources: tuple[str, ...] = ()
    resolved_at: datetime | None = None  # a `referral` event's: when the person was met and the incident resolved

    def outcome_code(self) -> str | None:
        """The outcome code of a `resolved` event: its field, else (events written before it) the reason's tail, "resolved by team-3: refused"."""
        if self.outcome:
            return self.outcome
        match = _REASON_OUTCOME.search(self.reason or "")
        return match.group(1) if match else None


_REASON_OUTCOME = re.compile(rf":\s*({OUTCOME_CODE.pattern})$")


@dataclass(frozen=True)
class TeamTask(Wire):
    """A task as a team sees it on the phone (topic `team-tasks`, keyed by team)."""

    event_id: str
    team_id: str
    kind: str  # assign / cancel
    incident_id: str
    priority: str
    category: str
    lat: float
    lon: float
    ack_deadline: datetime | None
    nearest_help_point: HelpPointRef | None
    notify: tuple[str, ...]
    flags: tuple[str, ...]
    summary: str
    at: datetime
    destination: HelpPointRef | None = None
    eta_min: float | None = None
    unit_role: str = "lead"
    reason: str | None = None
    centre: str = ""  # the dispatch centre whose desk gave the task; "" in tasks written before centres were named


@dataclass(frozen=True)
class TaskHint(Wire):
    """What the person ledger knows that helps a team on its task (topic `task-hints`, keyed by team).

    Written by the ledger feeder once it has read the task's dispatch event:
    the file the incident is linked to, else the one file the ledger suggests
    (`linked` False, with `score`). Only what a team may see: the pseudonymous
    file id, description, usual place and hours, and notes that help
    (refusals, health and risk, languages, needs); never a name, phone or ID
    number. `hint_id` derives from the task's event id and the team, so a
    replay re-sends the same id.
    """

    hint_id: str
    team_id: str
    incident_id: str
    task_event_id: str
    at: datetime
    person_id: str
    linked: bool
    score: float | None
    sex: str
    age_group: str
    appearance: str
    usual: str  # usual place and hours: "usually within 60 m of here, 19:00-22:00 (met 3 times)"
    what_helps: tuple[str, ...]
    kind: str = "task_hint"


@dataclass(frozen=True)
class DeadLetter(Wire):
    """A record that could not be processed, with why and the original payload.

    `payload` is the payload as text; a payload that is not UTF-8 (a GBK tip) is also kept byte for byte in
    `payload_b64`, since its text has replacement characters where the bytes were.
    """

    topic: str
    reason: str
    payload: str
    error: str = "invalid"
    kind: str = "dead_letter"
    key: str | None = None
    offset: int | None = None
    at: datetime | None = None
    event_id: str = ""
    payload_b64: str | None = None


def dead_letter_id(source_topic: str, raw: bytes | None) -> str:
    """A dead letter's id: from its source topic and the raw payload, so a redelivery or a replay of the same
    bytes gives the same id (and `patrol replay` finds the line a dead letter came from)."""
    return "dl-" + hashlib.sha1(source_topic.encode() + b"\x1f" + (raw or b"")).hexdigest()[:16]


CITY_WIDE = "*"  # the region of weather and conditions that name no district: the whole city


@dataclass(frozen=True)
class Conditions(Wire):
    """A region's weather state as the pipeline judges it (topic `conditions`).

    Emitted whenever a region's cold-wave level, wind chill or night status
    changes, so consoles show what the priorities were computed from.
    """

    region: str
    at: datetime
    cold_wave_level: str
    night: bool
    temp_c: float | None = None
    wind_ms: float | None = None
    wind_chill_c: float | None = None
    severe_cold: bool = False
    warning_level: str | None = None
    snow: bool = False
    centre: str = ""  # the dispatch centre whose desk judged it; "" in records written before centres were named


@dataclass(frozen=True)
class PartnerNotice(Wire):
    """A notice to a partner named by `notify` (topic `partner-notices`): an OASIS CAP 1.2 alert in `cap`."""

    notice_id: str
    partner: str
    incident_id: str
    event_id: str
    msg_type: str  # Alert / Update / Cancel
    status: str  # Actual / Exercise
    address: str
    cap: str
    at: datetime
    kind: str = "partner_notice"


@dataclass(frozen=True)
class ReporterFeedback(Wire):
    """A short message back to a reporter who left a contact (topic `reporter-feedback`).

    `to` is the reporter's own contact for the SMS/WeChat gateway; the message
    says nothing about the person found or anyone's identity.
    """

    feedback_id: str
    tip_id: str
    incident_id: str
    event_id: str
    stage: str  # on_the_way / ended
    outcome_class: str
    message_zh: str
    message_en: str
    via: str
    to: str
    at: datetime
    exercise: bool = False
    kind: str = "reporter_feedback"


@dataclass(frozen=True)
class ConsoleAction(Wire):
    """An operator's decision on a dead letter (topic `console-actions`): the console rebuilds its queue from these."""

    action_id: str
    dead_letter_id: str
    action: str  # resubmitted / dismissed
    by: str
    at: datetime
    reason: str = ""
    tip_id: str | None = None
