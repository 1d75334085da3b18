"""Referrals after the night: a person met with a suspected mental disorder is referred to the referral platform.

DOMAIN: "a person with a suspected mental disorder is referred on after the
night (the mental-health referral platform)". The policy's `[referrals.<flag>]`
names the flag, the partner (the city's `partners.toml`), the outcomes that
mean the person was met, and when the referral goes (the night's end, local
event time). The desk asks `due` on every clock tick and emits one `referral`
event per incident and rule (the incident remembers it in `referred`, so a
replayed tick or record never refers twice); the partners agent turns that
event into one CAP notice whose id comes from the incident
(`rules.partners.NoticeWriter.referral`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rules.policy import Policy, ReferralRule

RULE_PREFIX = "referral:"  # an event's rule naming the partner a referral goes to: referral:<partner>


def due_at(at: datetime, send_at: time, tz: ZoneInfo) -> datetime:
    """The first `send_at` of local time at or after `at`: the end of the night the person was met in."""
    local = at.astimezone(tz)
    due = datetime.combine(local.date(), send_at, tzinfo=tz)
    if due < local:
        due += timedelta(days=1)
    return due


def due(flags: list[str] | tuple[str, ...], outcome: str | None, resolved_at: datetime | None, referred: list[str],
        now: datetime, policy: Policy, tz: ZoneInfo) -> list[ReferralRule]:
    """The referrals due by `now` for an incident resolved at `resolved_at` with `outcome`, not yet `referred`."""
    if resolved_at is None or outcome is None:
        return []
    return [rule for rule in policy.referrals
            if rule.flag in flags and outcome in rule.outcomes and rule.flag not in referred
            and due_at(resolved_at, rule.send_at, tz) <= now]


def referral_partners(rules: tuple[str, ...]) -> list[str]:
    """The partners an event's rules name a referral for (`referral:<partner>`)."""
    return [r[len(RULE_PREFIX):] for r in rules if r.startswith(RULE_PREFIX)]
