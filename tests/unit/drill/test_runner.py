"""The drill's P1 wait limit: the deadline at the cold-wave level in force, brought forward by a stricter one."""

from __future__ import annotations

from datetime import datetime

from drill.runner import _p1_limit
from rules.context import Context


def _t(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2025-01-14T{hhmm}:00+08:00")


def test_the_limit_follows_the_level_declared_during_the_wait(ctx: Context) -> None:
    truth = {"cold_wave": {"north": [["2025-01-14T19:45:00+08:00", "blue"], ["2025-01-14T20:00:00+08:00", "red"]]}}
    limit = _p1_limit(ctx, truth)
    p1 = ctx.policy.ack_min["P1"]
    red = p1 * next(lvl.deadline_factor for lvl in ctx.policy.cold_wave_levels if lvl.name == "red")
    assert limit("north", _t("19:50"), _t("19:59")) == p1  # blue all along
    assert limit("north", _t("19:55"), _t("20:00")) == p1  # red declared as the wait ends: the blue deadline held
    assert limit("north", _t("19:58"), _t("20:03")) == red  # red at 20:00, 2 min in: half the deadline from the start
    assert limit("north", _t("19:56"), _t("20:03")) == 4.0  # red at 20:00, past 19:56 + 2.5: due at once
    assert limit("north", _t("20:01"), _t("20:04")) == red
