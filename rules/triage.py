"""Category, priority, notifications and deadline of an incident, by the policy.

Pure: the same flags, time and weather always give the same assessment, and
every rule that applied is named so an operator can see why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.records import FLAGS, PRIORITIES
from rules.policy import Policy
from rules.weather import RegionConditions


@dataclass(frozen=True)
class Assessment:
    category: str
    base_priority: str
    priority: str
    rules: tuple[str, ...]
    notify: tuple[str, ...]
    needs: tuple[str, ...]
    action: str
    support: tuple[str, ...] = ()


WAIVED = "waived:"  # rule prefix: a flag whose partner notices the person's company waived


def waived_flags(rules: Iterable[str]) -> frozenset[str]:
    """The flags an event's rules say were waived: a partner's ask is not chosen by them."""
    return frozenset(r[len(WAIVED):] for r in rules if r.startswith(WAIVED))


def raise_priority(priority: str, levels: int) -> str:
    """Raise by `levels` (P3 -> P2 for 1), never above P1."""
    return PRIORITIES[max(0, PRIORITIES.index(priority) - levels)]


def at_least(priority: str, floor: str) -> str:
    return PRIORITIES[min(PRIORITIES.index(priority), PRIORITIES.index(floor))]


def canonical_flags(flags: Iterable[str]) -> tuple[str, ...]:
    wanted = set(flags)
    return tuple(f for f in FLAGS if f in wanted)


def assess(
    flags: Iterable[str],
    *,
    policy: Policy,
    night: bool,
    weather: RegionConditions,
    has_tip: bool = True,
    lying_still_min: float = 0.0,
    key_area: str | None = None,
    sources: int = 1,
    company: str | None = None,
) -> Assessment:
    """Decide what the person needs and how urgent it is.

    A thermal-only incident is a welfare check; with any tip the first
    category whose flags match decides. Modifiers then raise one level each
    (capped at P1), the cold-wave floor lifts P3/P4, and a person lying still
    long enough is at least the thermal rule's lying-still priority. A flag rule waived by the person's
    company (a minor with a parent: `waived_when`) adds no notice and is named `waived:<flag>`.
    """
    flag_set = canonical_flags(flags)
    rules: list[str] = []
    needs: set[str] = set()
    support: set[str] = set()
    notify: set[str] = set()
    if has_tip:
        rule = next(c for c in policy.categories if not c.flags or set(c.flags) & set(flag_set))
        category, base, action = rule.name, rule.priority, rule.action
        needs.update(rule.needs)
        notify.update(rule.notify)
    else:
        category, base, action = policy.thermal.category, policy.thermal.priority, policy.thermal.action
    rules.append(f"category:{category}")
    priority = base

    if lying_still_min >= policy.thermal.lying_still_min:
        lifted = at_least(priority, policy.thermal.lying_still_priority)
        rules.append("lying_still")
        priority = lifted

    for flag in flag_set:
        extra = policy.flag_rules.get(flag)
        if extra is not None:
            needs.update(extra.needs)
            support.update(extra.support)
            if company is not None and company in extra.waived_when:
                rules.append(f"{WAIVED}{flag}")
            else:
                notify.update(extra.notify)

    raise_by = 0
    if night and policy.night_raise:
        rules.append("night")
        raise_by += policy.night_raise
    level = policy.level(weather.cold_wave_level)
    if level is not None:
        rules.append(f"cold_wave:{level.name}")
        raise_by += level.raise_by
    if weather.severe_cold and policy.severe_cold_raise:
        rules.append("severe_cold")
        raise_by += policy.severe_cold_raise
    for modifier in policy.flag_modifiers:
        if modifier.flag in flag_set and category not in modifier.covered_by:
            rules.append(modifier.name)
            raise_by += modifier.raise_by
    priority = raise_priority(priority, raise_by)
    if level is not None and level.floor is not None and at_least(priority, level.floor) != priority:
        rules.append(f"cold_wave_floor:{level.floor}")
        priority = at_least(priority, level.floor)
    if key_area:
        rules.append(f"key_area:{key_area}")
    if sources > 1:
        rules.append(f"corroborated:{sources}")
    return Assessment(
        category=category,
        base_priority=base,
        priority=priority,
        rules=tuple(rules),
        notify=tuple(sorted(notify)),
        needs=tuple(sorted(needs)),
        action=action,
        support=tuple(sorted(support - needs)),
    )


def ack_deadline(at: datetime, priority: str, cold_wave_level: str, policy: Policy) -> datetime:
    """When the assigned team must have acknowledged; halved at orange or red."""
    minutes = policy.ack_min[priority]
    level = policy.level(cold_wave_level)
    if level is not None:
        minutes *= level.deadline_factor
    return at + timedelta(minutes=minutes)


def followup_delay(cold_wave_level: str, policy: Policy) -> timedelta:
    level = policy.level(cold_wave_level)
    hours = level.followup_after_h if level is not None and level.followup_after_h is not None else policy.followup_after_h
    return timedelta(hours=hours)


# Rules an incident carries that do not make it more urgent: what it is, where, how sure, and where the person is
# taken (`destination:` comes and goes with each assignment, so counted it ranked a fresh incident over an older one).
NOT_RAISING = ("category:", "key_area:", "corroborated:", "no_demotion", "destination:", WAIVED)


def raising_rules(rules: Iterable[str], policy: Policy) -> int:
    """How many of an incident's rules made it more urgent (night, cold wave, flags...).

    A modifier the policy gives no raise is named on the event but raises nothing: a blue cold wave counted
    ranked a newer incident in a blue district over an older one elsewhere of the same priority.
    """
    idle = policy.idle_rules
    return sum(1 for r in rules if not r.startswith(NOT_RAISING) and r not in idle)


def rank_key(priority: str, category: str, rules: Iterable[str], key_area: str | None, first_report_at: datetime,
             policy: Policy) -> tuple[int, int, int, int, datetime]:
    """Order of a queue: priority, category severity, more raising rules, key areas, oldest first."""
    order = policy.dispatching.category_order
    severity = order.index(category) if category in order else len(order)
    return (PRIORITIES.index(priority), severity, -raising_rules(rules, policy), 0 if key_area else 1, first_report_at)
