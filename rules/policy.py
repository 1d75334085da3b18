"""The dispatch policy as data: loaded from TOML, validated, typed.

A dispatch center edits `data/policy.toml`; a mistake there must stop a worker
at start with the file, the line and the reason, never halfway through a
night. Rules code (`rules/triage.py`, `rules/weather.py`,
`rules/desk.py`) reads only this object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

from core.errors import PolicyError
from core.records import (
    CAPABILITIES,
    CATEGORIES,
    COLD_WAVE_LEVELS,
    COMPANY,
    FLAGS,
    PARTNERS,
    PRIORITIES,
    REPORT_CHANNELS,
)
from core.tomlconfig import TomlReader, parse_toml, read_text
from core.validate import OUTCOME_CODE
from geo.city import HELP_POINT_KINDS, SERVED_GROUPS
from geo.gazetteer import DEFAULT_MIN_SIMILARITY
from rules.phone import PhonePolicy, parse_phone_policy

NOTIFY_TARGETS = PARTNERS
# The longest any duration of the policy may be: a year (as minutes and as hours). Longer is a typo, and 1e300
# minutes overflowed every deadline computed from it (an OverflowError on every record the desk read).
MAX_HOURS = 24.0 * 366
MAX_MINUTES = 60.0 * MAX_HOURS
MAX_RAISE = len(PRIORITIES) - 1  # a raise beyond P4 -> P1 changes nothing more
# Distances of the correlation (radius, border, uncertainties): a radius of a kilometre is already a district; 1e9 m
# made every report of the city one incident.
MAX_CORRELATION_M = 5000.0
# A tip's text and address: each dispatch event carries one of each, and an event over the broker's message limit
# (core.topics.MAX_MESSAGE_BYTES, 1 MB) is one the desk cannot send: its agent died on it at every restart.
MAX_TEXT_BYTES = 65536
# A tip's head count at one spot; 10^12 let one form claim a trillion persons on every event of its incident.
MAX_PERSONS_LIMIT = 1000
# Wind chill is defined at or below WIND_CHILL_MAX_C (above it the air temperature stands); no air is colder than
# MIN_AIR_TEMP_C (a weather record below it is refused). A severe-cold threshold outside these raised every
# incident all winter, or none ever.
WIND_CHILL_MAX_C = 10.0
MIN_AIR_TEMP_C = -80.0
# Travel: no road is more than MAX_ROAD_FACTOR times the straight line, no team faster than MAX_SPEED_KMH. A road
# factor of 1e308 made every ETA infinite (events carrying `Infinity`, which no JSON reader takes). The drill's
# scenarios are held to the same bounds.
MAX_ROAD_FACTOR = 5.0
MAX_SPEED_KMH = 200.0


@dataclass(frozen=True)
class CategoryRule:
    name: str
    flags: tuple[str, ...]
    priority: str
    action: str
    needs: tuple[str, ...]
    notify: tuple[str, ...]
    action_zh: str = ""  # the action in Chinese, for the team's phone


@dataclass(frozen=True)
class ThermalRule:
    category: str
    priority: str
    lying_still_priority: str
    lying_still_min: float
    action: str
    action_zh: str = ""


@dataclass(frozen=True)
class FlagRule:
    """What a flag adds whatever the category: partner notices, lead-unit needs, support-unit needs."""

    notify: tuple[str, ...]
    needs: tuple[str, ...]
    support: tuple[str, ...] = ()
    # the person's company (COMPANY) that waives this flag's notices: a minor with a parent is no mandatory report
    waived_when: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReferralRule:
    """A referral after the night (DOMAIN: a suspected mental disorder goes to the mental-health referral platform):
    an incident with `flag` resolved with one of `outcomes` (the person was met) is sent once to `partner` at the
    next `send_at` local time (the night's end by default)."""

    flag: str
    partner: str
    send_at: time
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class EtaRule:
    """Arrival time: straight line x road factor at the team's mode speed, slower in snow."""

    road_factor: float
    vehicle_kmh: float
    foot_kmh: float
    snow_factor: float


@dataclass(frozen=True)
class DiversionRule:
    """When an urgent incident may take a team en route to a less urgent one."""

    enabled: bool
    for_priorities: tuple[str, ...]
    from_priorities: tuple[str, ...]
    max_extra_eta_min: float


@dataclass(frozen=True)
class UnitTimers:
    en_route_margin_min: float
    on_scene_max_min: float


@dataclass(frozen=True)
class DestinationRule:
    """Where a category's person is taken: nearest place of these kinds (open now, with an ED)."""

    category: str
    kinds: tuple[str, ...]
    emergency: bool = False
    serves: str | None = None  # a place serving this group first (one of geo.city.SERVED_GROUPS), if the city has one
    serves_flag: str | None = None  # the person's flag that sends them there (minor for minors); given with `serves`


@dataclass(frozen=True)
class Dispatching:
    """Choosing, ordering, diverting and timing units (DOMAIN "Dispatch under pressure")."""

    eta: EtaRule
    candidates_shown: int
    category_order: tuple[str, ...]
    queue_escalates: bool
    queue_reminds_top: bool  # at the last role, a still-queued task is escalated again at every deadline
    diversion: DiversionRule
    timers: UnitTimers
    never_demote_unattended: bool
    destinations: Mapping[str, DestinationRule]
    max_uncertainty_m: float
    link_max_uncertainty_m: float
    describe: tuple[str, ...]


@dataclass(frozen=True)
class FlagModifier:
    """A flag that raises the priority, unless the person's category already answers for it (`covered_by`)."""

    name: str
    flag: str
    raise_by: int
    covered_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColdWaveLevel:
    name: str
    drop_c: float
    within_h: float
    min_at_or_below_c: float
    raise_by: int
    floor: str | None
    deadline_factor: float
    followup_after_h: float | None


@dataclass(frozen=True)
class Policy:
    version: int
    categories: tuple[CategoryRule, ...]
    thermal: ThermalRule
    flag_rules: Mapping[str, FlagRule]
    night_start: time
    night_end: time
    night_raise: int
    flag_modifiers: tuple[FlagModifier, ...]
    severe_cold_wind_chill_c: float
    severe_cold_raise: int
    cold_wave_levels: tuple[ColdWaveLevel, ...]  # most severe first
    cold_wave_history_h: float
    warning_valid_h: float
    correlation_radius_m: float
    correlation_window_min: float
    per_source_confidence: float
    border_m: float
    ack_min: Mapping[str, float]
    escalate_to: tuple[str, ...]
    followup_after_h: float
    help_point_kinds: tuple[str, ...]
    outcomes: tuple[str, ...]  # every code a resolving ack may give; the desk refuses any other (unknown_outcome)
    followup_outcomes: tuple[str, ...]  # those of `outcomes` that leave the person outside: a follow-up visit
    max_text_bytes: int
    max_persons: int
    dispatching: Dispatching
    source: str = ""
    clock_step_s: float = 60.0  # the clock's period: a queued task escalates on the last tick at or before its deadline
    max_ahead_min: float = 60.0  # an input stamped further ahead of the desk's clock is refused (it would move the clock)
    max_behind_h: float = 24.0  # a report stamped further behind the desk's clock is refused (stale, or a wrong date)
    address_min_similarity: float = DEFAULT_MIN_SIMILARITY  # a transposed place name's least similarity (geo/gazetteer.py)
    phone: PhonePolicy = field(default_factory=PhonePolicy)
    closed_retention_h: float = 24.0  # a closed incident is forgotten this long after it closed (event time)
    team_area_margin_km: float = 20.0  # a team position further than this outside the service area is refused
    referrals: tuple[ReferralRule, ...] = ()  # `[referrals.<flag>]`: referrals sent after the night
    roster_teams_only: bool = False  # True: a team status of a team the city's teams layer does not list is refused
    # what a team off the open roster may claim (rules.intake.roster_capabilities); the rest of its claim is dropped
    unrostered_capabilities: tuple[str, ...] = CAPABILITIES
    reply_keep_after_end_h: float = 36.0  # a reporter's contact is forgotten this long after the tip's incidents ended
    reply_keep_unanswered_h: float = 168.0  # ... and in any case this long after the tip's contact or last event
    # `[correlation.assumed_uncertainty_m]`: the uncertainty a report that states none is taken to have, per channel
    # (`default` for the others); empty: 0 m, as measured (a policy read before the table existed)
    assumed_uncertainty_m: Mapping[str, float] = field(default_factory=dict)

    def assumed_uncertainty(self, channel: str) -> float:
        """How far a report of `channel` that states no accuracy (no `accuracy_m` or `error_m`) may be from its point."""
        table = self.assumed_uncertainty_m
        return table.get(channel, table.get("default", 0.0))

    @cached_property
    def clock_step(self) -> timedelta:
        """`clock_step_s` as a duration: every tick compares it with every queued deadline."""
        return timedelta(seconds=self.clock_step_s)

    @cached_property
    def idle_rules(self) -> frozenset[str]:
        """Rule names an assessment records that raise nothing: a cold-wave level or a flag modifier with `raise = 0`
        (blue by default; its floor, if any, is a rule of its own)."""
        return frozenset([f"cold_wave:{lvl.name}" for lvl in self.cold_wave_levels if lvl.raise_by == 0]
                         + [m.name for m in self.flag_modifiers if m.raise_by == 0])

    def level(self, name: str) -> ColdWaveLevel | None:
        for lvl in self.cold_wave_levels:
            if lvl.name == name:
                return lvl
        return None

    def category(self, name: str) -> CategoryRule | None:
        for rule in self.categories:
            if rule.name == name:
                return rule
        return None


def load_policy(path: Path | str) -> Policy:
    """Load and validate a policy file; raise PolicyError naming file and line."""
    path = Path(path)
    return parse_policy(read_text(path, "policy file", PolicyError), str(path))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate policy TOML text; every mistake names `source` and its line."""
    data = parse_toml(text, source, PolicyError)
    r = TomlReader(source, text, PolicyError)

    version = r.get(data, ["version"], int)
    if version != 1:
        raise r.fail(["version"], f"unsupported policy version {version} (this build reads 1)")
    # Validated in file order, so the first mistake reported is the first one met.
    categories, thermal, flag_rules = _categories(r, data), _thermal(r, data), _flag_rules(r, data)
    night_start, night_end = r.clock(data, ["modifiers", "night", "start"]), r.clock(data, ["modifiers", "night", "end"])
    if night_start == night_end:
        raise r.fail(["modifiers", "night", "end"], f"the same time as start ({night_start:%H:%M}): no hour would be night "
                     "(set raise = 0 to turn the night modifier off)")
    flag_modifiers, levels = _flag_modifiers(r, data), _cold_wave_levels(r, data)
    ack_min, escalate_to = _deadlines(r, data)
    dispatching = _dispatching(r, data)
    outcomes = _outcomes(r, data)
    per_source = r.number(data, ["correlation", "per_source_confidence"])
    if not 0 < per_source < 1:
        raise r.fail(["correlation", "per_source_confidence"], "must be between 0 and 1")
    phone = parse_phone_policy(r, data, HELP_POINT_KINDS)
    retention = r.number(data, ["state", "closed_retention_h"], minimum=1.0, maximum=MAX_HOURS, default=24.0)
    if retention < phone.max_offline_h:
        raise r.fail(["state", "closed_retention_h"], f"must be at least phone.max_offline_h ({phone.max_offline_h:g} h): "
                     "an action a phone queued offline must still find its closed task")

    referrals = _referrals(r, data, outcomes)
    if referrals and retention < 24.0:
        raise r.fail(["state", "closed_retention_h"], "must be at least 24 h with [referrals]: a resolved incident is kept "
                     "until its referral goes at the end of the night, up to 24 h later")
    keep_after_end, keep_unanswered = _replies(r, data)
    policy = Policy(
        version=version,
        categories=categories,
        thermal=thermal,
        flag_rules=flag_rules,
        night_start=night_start,
        night_end=night_end,
        night_raise=r.whole_number(data, ["modifiers", "night", "raise"], maximum=MAX_RAISE),
        flag_modifiers=flag_modifiers,
        severe_cold_wind_chill_c=r.number(data, ["modifiers", "severe_cold", "wind_chill_at_or_below_c"], minimum=MIN_AIR_TEMP_C,
                                          maximum=WIND_CHILL_MAX_C),
        severe_cold_raise=r.whole_number(data, ["modifiers", "severe_cold", "raise"], maximum=MAX_RAISE),
        cold_wave_levels=levels,
        cold_wave_history_h=r.number(data, ["cold_wave", "history_h"], minimum=24.0, maximum=MAX_HOURS),
        warning_valid_h=r.number(data, ["cold_wave", "warning_valid_h"], minimum=1.0, maximum=MAX_HOURS),
        correlation_radius_m=r.number(data, ["correlation", "radius_m"], minimum=1.0, maximum=MAX_CORRELATION_M),
        correlation_window_min=r.number(data, ["correlation", "window_min"], minimum=1.0, maximum=MAX_MINUTES),
        per_source_confidence=per_source,
        border_m=r.number(data, ["correlation", "border_m"], maximum=MAX_CORRELATION_M),
        ack_min=ack_min,
        escalate_to=escalate_to,
        followup_after_h=r.number(data, ["deadlines", "followup_after_h"], maximum=MAX_HOURS),
        clock_step_s=_clock_step_s(r, data, ack_min, levels),
        max_ahead_min=r.number(data, ["deadlines", "max_ahead_min"], minimum=1.0, maximum=MAX_MINUTES, default=60.0),
        max_behind_h=r.number(data, ["deadlines", "max_behind_h"], minimum=1.0, maximum=MAX_HOURS, default=24.0),
        help_point_kinds=_help_point_kinds(r, data, ["dispatch", "help_point_kinds"], "every task would go without its nearest help point"),
        outcomes=outcomes,
        followup_outcomes=r.names(data, ["dispatch", "followup_outcomes"], outcomes),
        max_text_bytes=r.whole_number(data, ["intake", "max_text_bytes"], minimum=1, maximum=MAX_TEXT_BYTES),
        max_persons=r.whole_number(data, ["intake", "max_persons"], minimum=1, maximum=MAX_PERSONS_LIMIT),
        address_min_similarity=r.number(data, ["intake", "address_min_similarity"], minimum=0.5, maximum=1.0,
                                        default=DEFAULT_MIN_SIMILARITY),
        dispatching=dispatching,
        source=source,
        phone=phone,
        closed_retention_h=retention,
        team_area_margin_km=r.number(data, ["intake", "team_area_margin_km"], default=20.0),
        roster_teams_only=r.get(data, ["intake", "roster_teams_only"], bool, False),
        unrostered_capabilities=r.names(data, ["intake", "unrostered_capabilities"], CAPABILITIES, list(CAPABILITIES)),
        referrals=referrals,
        reply_keep_after_end_h=keep_after_end,
        reply_keep_unanswered_h=keep_unanswered,
        assumed_uncertainty_m=_assumed_uncertainty(r, data),
    )
    for path in r.unread(data):  # checked once everything was read: a typo must not leave a default in force silently
        raise r.fail(path, "unknown key: no policy setting has this name (misspelt?)")
    return policy


Data = dict[str, Any]


def _assumed_uncertainty(r: TomlReader, data: Data) -> dict[str, float]:
    """`[correlation.assumed_uncertainty_m]`: metres a report without a stated accuracy is taken to be off, by channel.

    Read as 0 m, a hotline caller's carrier position (often hundreds of metres off) outranked every camera when
    placing an incident and matched only within the bare radius: the same person opened a second incident. `default`
    is required (every channel gets a value); the other keys must be report channels.
    """
    path = ["correlation", "assumed_uncertainty_m"]
    table = r.get(data, path, dict)
    r.unknown_keys(data, path, ["default", *REPORT_CHANNELS])
    return {name: r.number(data, [*path, name], maximum=MAX_CORRELATION_M)
            for name in ("default", *(c for c in REPORT_CHANNELS if c in table))}


def _replies(r: TomlReader, data: Data) -> tuple[float, float]:
    """`[replies]`: how long the reply agent keeps a reporter's contact (`rules.reporters`).

    `keep_after_end_h` is also the agent's stale horizon: a contact or event older than that behind the latest dispatch
    event is dropped. It must reach past what the desk still takes (`deadlines.max_behind_h` behind its clock, plus a
    report up to `max_ahead_min` ahead of it), else a reply due to a late report would be dropped as stale.
    """
    behind = r.number(data, ["deadlines", "max_behind_h"], minimum=1.0, maximum=MAX_HOURS, default=24.0)
    ahead = r.number(data, ["deadlines", "max_ahead_min"], minimum=1.0, maximum=MAX_MINUTES, default=60.0)
    after_end = r.number(data, ["replies", "keep_after_end_h"], minimum=1.0, maximum=MAX_HOURS, default=36.0)
    if after_end < behind + ahead / 60:
        raise r.fail(["replies", "keep_after_end_h"], f"must be at least deadlines.max_behind_h + max_ahead_min "
                     f"({behind + ahead / 60:g} h): a contact or event older than this is dropped as stale, and the desk "
                     "still takes a report that old")
    unanswered = r.number(data, ["replies", "keep_unanswered_h"], minimum=1.0, maximum=MAX_HOURS, default=168.0)
    if unanswered <= after_end:
        raise r.fail(["replies", "keep_unanswered_h"], f"must be more than replies.keep_after_end_h ({after_end:g} h)")
    return after_end, unanswered


def _categories(r: TomlReader, data: Data) -> tuple[CategoryRule, ...]:
    """Category rows in order; the last one catches everyone (no flags)."""
    categories: list[CategoryRule] = []
    for i, _ in enumerate(r.get(data, ["categories"], list)):
        name = r.choice(data, ["categories", i, "name"], CATEGORIES)
        if any(c.name == name for c in categories):
            raise r.fail(["categories", i, "name"], f"category {name!r} listed twice")
        if categories and not categories[-1].flags:  # the first row that matches decides: no tip reaches this one
            raise r.fail(["categories", i - 1, "flags"], f"category {categories[-1].name!r} has no flags, so it takes every "
                         f"tip and {name!r} after it is never chosen: only the last category may have no flags")
        categories.append(
            CategoryRule(
                name=name,
                flags=r.names(data, ["categories", i, "flags"], FLAGS),
                priority=r.choice(data, ["categories", i, "priority"], PRIORITIES),
                action=r.get(data, ["categories", i, "action"], str, ""),
                needs=r.names(data, ["categories", i, "needs"], CAPABILITIES, []),
                notify=r.names(data, ["categories", i, "notify"], NOTIFY_TARGETS, []),
                action_zh=r.get(data, ["categories", i, "action_zh"], str, ""),
            )
        )
    if not categories or categories[-1].flags:
        raise r.fail(["categories"], "the last category must have no flags (it catches everyone else)")
    return tuple(categories)


def _thermal(r: TomlReader, data: Data) -> ThermalRule:
    """The thermal-only rule; a person lying still is no less urgent than one who moves."""
    rule = ThermalRule(
        category=r.choice(data, ["thermal", "category"], CATEGORIES),
        priority=r.choice(data, ["thermal", "priority"], PRIORITIES),
        lying_still_priority=r.choice(data, ["thermal", "lying_still_priority"], PRIORITIES),
        lying_still_min=r.number(data, ["thermal", "lying_still_min"], maximum=MAX_MINUTES),
        action=r.get(data, ["thermal", "action"], str, ""),
        action_zh=r.get(data, ["thermal", "action_zh"], str, ""),
    )
    if PRIORITIES.index(rule.lying_still_priority) > PRIORITIES.index(rule.priority):
        raise r.fail(["thermal", "lying_still_priority"], f"{rule.lying_still_priority} is less urgent than priority "
                     f"{rule.priority}: a person lying still must not wait longer than one who moves")
    return rule


def _referrals(r: TomlReader, data: Data, outcomes: tuple[str, ...]) -> tuple[ReferralRule, ...]:
    """`[referrals.<flag>]`: partner, send_at ("night_end": the night modifier's end, or a local HH:MM), outcomes."""
    rules: list[ReferralRule] = []
    for flag in r.get(data, ["referrals"], dict, {}):
        path: list[str | int] = ["referrals", flag]
        if flag not in FLAGS:
            raise r.fail(path, f"unknown flag {flag!r}")
        when = r.get(data, [*path, "send_at"], str, "night_end")
        rules.append(ReferralRule(
            flag=flag,
            partner=r.choice(data, [*path, "partner"], PARTNERS),
            send_at=r.clock(data, ["modifiers", "night", "end"]) if when == "night_end" else r.clock(data, [*path, "send_at"]),
            outcomes=r.names(data, [*path, "outcomes"], outcomes),
        ))
    return tuple(rules)


def _flag_rules(r: TomlReader, data: Data) -> dict[str, FlagRule]:
    flag_rules: dict[str, FlagRule] = {}
    for flag in r.get(data, ["flag_rules"], dict, {}):
        if flag not in FLAGS:
            raise r.fail(["flag_rules", flag], f"unknown flag {flag!r}")
        flag_rules[flag] = FlagRule(
            notify=r.names(data, ["flag_rules", flag, "notify"], NOTIFY_TARGETS, []),
            needs=r.names(data, ["flag_rules", flag, "needs"], CAPABILITIES, []),
            support=r.names(data, ["flag_rules", flag, "support"], CAPABILITIES, []),
            waived_when=r.names(data, ["flag_rules", flag, "waived_when"], COMPANY, []),
        )
    return flag_rules


def _flag_modifiers(r: TomlReader, data: Data) -> tuple[FlagModifier, ...]:
    """Every `[modifiers.X]` table but night and severe cold raises for a flag."""
    flag_modifiers: list[FlagModifier] = []
    for name in r.get(data, ["modifiers"], dict):
        if name in ("night", "severe_cold"):
            continue
        flag_modifiers.append(
            FlagModifier(
                name=name,
                flag=r.choice(data, ["modifiers", name, "flag"], FLAGS),
                raise_by=r.whole_number(data, ["modifiers", name, "raise"], maximum=MAX_RAISE),
                covered_by=r.names(data, ["modifiers", name, "covered_by"], CATEGORIES, []),
            )
        )
    return tuple(flag_modifiers)


def _cold_wave_levels(r: TomlReader, data: Data) -> tuple[ColdWaveLevel, ...]:
    """Cold-wave levels, most severe first; each asks and does at least what a milder one does."""
    levels: list[ColdWaveLevel] = []
    for name in r.get(data, ["cold_wave", "levels"], dict):
        if name not in COLD_WAVE_LEVELS or name == "none":
            raise r.fail(["cold_wave", "levels", name], f"unknown cold-wave level {name!r}")
        levels.append(_cold_wave_level(r, data, name))
    levels.sort(key=lambda lvl: COLD_WAVE_LEVELS.index(lvl.name), reverse=True)
    followup_h = r.number(data, ["deadlines", "followup_after_h"], maximum=MAX_HOURS)
    for severe, milder in pairwise(levels):
        _no_looser(r, severe, milder)
        _no_weaker(r, data, severe, milder, followup_h)
    if levels and (levels[-1].followup_after_h or 0.0) > followup_h:
        raise r.fail(["cold_wave", "levels", levels[-1].name, "followup_after_h"],
                     f"{levels[-1].followup_after_h:g} h is later than deadlines.followup_after_h ({followup_h:g} h): a cold "
                     "wave must not put off a follow-up visit")
    return tuple(levels)


def _no_looser(r: TomlReader, severe: ColdWaveLevel, milder: ColdWaveLevel) -> None:
    """A more severe level asks at least what the milder one does (a drop as large, within as short a time, down to a
    minimum as low): levels are checked from red down, so a red looser than orange made every orange night red."""
    checks = (("drop_c", severe.drop_c < milder.drop_c, severe.drop_c, milder.drop_c, "°C"),
              ("within_h", severe.within_h > milder.within_h, severe.within_h, milder.within_h, "h"),
              ("min_at_or_below_c", severe.min_at_or_below_c > milder.min_at_or_below_c, severe.min_at_or_below_c,
               milder.min_at_or_below_c, "°C"))
    for key, looser, value, other, unit in checks:
        if looser:
            raise r.fail(["cold_wave", "levels", severe.name, key],
                         f"{value:g} {unit} is looser than {milder.name}'s {other:g} {unit}: a more severe cold-wave level must "
                         "ask at least as much as a milder one (CMA: a larger drop, within no longer, to a minimum no higher)")


def _no_weaker(r: TomlReader, data: Data, severe: ColdWaveLevel, milder: ColdWaveLevel, followup_h: float) -> None:
    """A more severe level does at least what the milder one does: raises as many levels, lifts to a floor as urgent,
    shortens deadlines and follow-up visits as much. An orange raising less than yellow, or red's deadlines longer than
    orange's, made the worse night the laxer one."""
    rank = PRIORITIES.index
    floors = (rank(severe.floor) if severe.floor else len(PRIORITIES), rank(milder.floor) if milder.floor else len(PRIORITIES))
    follow = (severe.followup_after_h if severe.followup_after_h is not None else followup_h,
              milder.followup_after_h if milder.followup_after_h is not None else followup_h)
    checks = (("raise", severe.raise_by < milder.raise_by, f"raises {severe.raise_by} level(s), fewer than {milder.name}'s "
               f"{milder.raise_by}"),
              ("floor", floors[0] > floors[1], f"floor {severe.floor or 'none'} is lower than {milder.name}'s {milder.floor}"),
              ("deadline_factor", severe.deadline_factor > milder.deadline_factor, f"{severe.deadline_factor:g} gives "
               f"longer acknowledgement deadlines than {milder.name}'s {milder.deadline_factor:g}"),
              ("followup_after_h", follow[0] > follow[1], f"a follow-up after {follow[0]:g} h is later than {milder.name}'s "
               f"{follow[1]:g} h"))
    for key, weaker, what in checks:
        if weaker:
            table = ["cold_wave", "levels", severe.name]
            raise r.fail([*table, key] if key in r.get(data, table, dict) else table,
                         f"{what}: a more severe cold-wave level must do at least what a milder one does")


def _cold_wave_level(r: TomlReader, data: Data, name: str) -> ColdWaveLevel:
    base = ["cold_wave", "levels", name]
    floor = r.get(data, [*base, "floor"], str, None)
    if floor is not None and floor not in PRIORITIES:
        raise r.fail([*base, "floor"], f"unknown priority {floor!r}")
    factor = r.number(data, [*base, "deadline_factor"], default=1.0)
    if not 0 < factor <= 1:
        raise r.fail([*base, "deadline_factor"], "must be in (0, 1]")
    return ColdWaveLevel(
        name=name,
        drop_c=r.number(data, [*base, "drop_c"]),
        within_h=r.number(data, [*base, "within_h"], minimum=1.0, maximum=MAX_HOURS),
        min_at_or_below_c=r.get(data, [*base, "min_at_or_below_c"], float),
        raise_by=r.whole_number(data, [*base, "raise"], maximum=MAX_RAISE),
        floor=floor,
        deadline_factor=factor,
        followup_after_h=r.number(data, [*base, "followup_after_h"], maximum=MAX_HOURS) if "followup_after_h" in r.get(data, base, dict) else None,
    )


def _deadlines(r: TomlReader, data: Data) -> tuple[dict[str, float], tuple[str, ...]]:
    """Acknowledgement minutes per priority and the escalation chain."""
    ack_min: dict[str, float] = {}
    for prio in PRIORITIES:
        ack_min[prio] = r.number(data, ["deadlines", "ack_min", prio], minimum=0.1, maximum=MAX_MINUTES)
    for urgent, less in pairwise(PRIORITIES):  # a P2 acknowledged later than a P3 would be no priority at all
        if ack_min[urgent] > ack_min[less]:
            raise r.fail(["deadlines", "ack_min", urgent], f"{urgent} = {ack_min[urgent]:g} min is longer than {less} = "
                         f"{ack_min[less]:g} min: a more urgent priority must be acknowledged no later")
    for extra in r.get(data, ["deadlines", "ack_min"], dict):
        if extra not in PRIORITIES:
            raise r.fail(["deadlines", "ack_min", extra], f"unknown priority {extra!r}")
    escalate_to = tuple(r.get(data, ["deadlines", "escalate_to"], list))
    if not escalate_to or not all(isinstance(x, str) and x for x in escalate_to):
        raise r.fail(["deadlines", "escalate_to"], "needs at least one non-empty role name")
    return ack_min, escalate_to


DESCRIPTION_FIELDS = ("sex", "age_group", "persons", "posture", "situation")


def _outcomes(r: TomlReader, data: Data) -> tuple[str, ...]:
    """`dispatch.outcomes`: the codes a team or operator may resolve with, each a lower_snake code, once."""
    path = ["dispatch", "outcomes"]
    codes: list[str] = []
    for code in r.get(data, path, list):
        if not isinstance(code, str) or not OUTCOME_CODE.fullmatch(code):
            raise r.fail(path, f"{code!r:.40} is not a lower_snake outcome code (a-z, 0-9 and _, at most 64 characters)")
        if code in codes:
            raise r.fail(path, f"{code!r} listed twice")
        codes.append(code)
    if not codes:
        raise r.fail(path, "needs at least one code (a team could resolve nothing)")
    return tuple(codes)


def _served_group(r: TomlReader, data: Data, path: list[str]) -> str | None:
    """A destination's `serves`: a group the city's places are for (SERVED_GROUPS), given with its `serves_flag`."""
    serves: str | None = r.get(data, [*path, "serves"], str, None)
    if serves is None:
        return None
    if serves not in SERVED_GROUPS:
        raise r.fail([*path, "serves"], f"unknown group {serves!r} (known: {', '.join(SERVED_GROUPS)}): a place's `serves` names the "
                     "group (minors), `serves_flag` the person's flag (minor)")
    if "serves_flag" not in r.get(data, path, dict):
        raise r.fail([*path, "serves"], "needs serves_flag: the person's flag that sends them to a place serving this group")
    return serves


def _dispatching(r: TomlReader, data: Data) -> Dispatching:
    base = ["dispatch"]
    order = r.names(data, [*base, "category_order"], CATEGORIES)
    if sorted(order) != sorted(CATEGORIES):
        missing = ", ".join(c for c in CATEGORIES if c not in order) or "none"
        raise r.fail([*base, "category_order"], f"must list every category once (missing: {missing})")
    eta = EtaRule(
        road_factor=r.number(data, [*base, "eta", "road_factor"], minimum=1.0, maximum=MAX_ROAD_FACTOR),
        vehicle_kmh=r.number(data, [*base, "eta", "vehicle_kmh"], minimum=1.0, maximum=MAX_SPEED_KMH),
        foot_kmh=r.number(data, [*base, "eta", "foot_kmh"], minimum=0.5, maximum=MAX_SPEED_KMH),
        snow_factor=r.number(data, [*base, "eta", "snow_factor"], minimum=0.05, maximum=1.0),
    )
    div = [*base, "diversion"]
    diversion = DiversionRule(
        enabled=r.get(data, [*div, "enabled"], bool),
        for_priorities=r.names(data, [*div, "for_priorities"], PRIORITIES),
        from_priorities=r.names(data, [*div, "from_priorities"], PRIORITIES),
        max_extra_eta_min=r.number(data, [*div, "max_extra_eta_min"], maximum=MAX_MINUTES),
    )
    if set(diversion.for_priorities) & set(diversion.from_priorities):
        raise r.fail([*div, "from_priorities"], "a priority cannot both take and give up a team")
    timers = UnitTimers(
        en_route_margin_min=r.number(data, [*base, "unit_timers", "en_route_margin_min"], maximum=MAX_MINUTES),
        on_scene_max_min=r.number(data, [*base, "unit_timers", "on_scene_max_min"], minimum=1.0, maximum=MAX_MINUTES),
    )
    destinations: dict[str, DestinationRule] = {}
    for category in r.get(data, [*base, "destinations"], dict):
        if category not in CATEGORIES:
            raise r.fail([*base, "destinations", category], f"unknown category {category!r}")
        path = [*base, "destinations", category]
        destinations[category] = DestinationRule(
            category=category,
            kinds=_help_point_kinds(r, data, [*path, "kinds"], "remove the section to name no destination"),
            emergency=r.get(data, [*path, "emergency"], bool, False),
            serves=_served_group(r, data, path),
            serves_flag=r.choice(data, [*path, "serves_flag"], FLAGS, None) if "serves_flag" in r.get(data, path, dict) else None,
        )
    return Dispatching(
        eta=eta,
        candidates_shown=r.whole_number(data, [*base, "candidates_shown"], maximum=10),
        category_order=order,
        queue_escalates=r.get(data, [*base, "queue_escalates"], bool),
        queue_reminds_top=r.get(data, [*base, "queue_reminds_top"], bool),
        diversion=diversion,
        timers=timers,
        never_demote_unattended=r.get(data, [*base, "never_demote_unattended"], bool),
        destinations=destinations,
        max_uncertainty_m=r.number(data, ["correlation", "max_uncertainty_m"], maximum=MAX_CORRELATION_M),
        link_max_uncertainty_m=r.number(data, ["correlation", "link_max_uncertainty_m"], maximum=MAX_CORRELATION_M),
        describe=r.names(data, ["correlation", "describe"], DESCRIPTION_FIELDS),
    )


def _clock_step_s(r: TomlReader, data: Data, ack_min: Mapping[str, float], levels: tuple[ColdWaveLevel, ...]) -> float:
    """The clock's period, at most the shortest acknowledgement deadline.

    A queued task escalates one step before its deadline (`timers.due_by_next_tick`): a step of an hour sent every
    queued task to the duty supervisor at its first tick and to the leader on duty at the second.
    """
    step = r.number(data, ["deadlines", "clock_step_s"], minimum=0.0, maximum=60.0 * MAX_MINUTES, default=60.0)
    urgent = min(PRIORITIES, key=lambda p: ack_min[p])
    factor, level = min(((lv.deadline_factor, lv.name) for lv in levels), default=(1.0, ""))
    shortest_s = ack_min[urgent] * 60.0 * min(factor, 1.0)
    if step > shortest_s:
        at = f" at {level}" if factor < 1.0 else ""
        raise r.fail(["deadlines", "clock_step_s"], f"{step:g} s is longer than the shortest acknowledgement deadline "
                     f"({urgent}{at}: {shortest_s:g} s): every queued task would escalate at its first tick")
    return step


def _help_point_kinds(r: TomlReader, data: Data, keypath: list[str | int], why: str) -> tuple[str, ...]:
    """Kinds of help point a task is sent to: an empty list named no place at all, without a word."""
    kinds = r.names(data, keypath, HELP_POINT_KINDS)
    if not kinds:
        raise r.fail(keypath, f"needs at least one kind (known: {', '.join(HELP_POINT_KINDS)}): {why}")
    return kinds
