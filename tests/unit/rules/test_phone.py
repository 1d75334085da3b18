"""Phone rules: which fixes reach team-status, when an action happened, ids applied once, the [phone] table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.errors import PolicyError
from core.settings import DATA_DIR
from rules.phone import ClientIds, Fix, PhonePolicy, action_time, check_fix
from rules.policy import parse_policy

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 20, 23, 40, tzinfo=CST)
POLICY = PhonePolicy(max_fix_age_s=300, max_clock_skew_s=180, max_accuracy_m=150, max_speed_kmh=150, max_offline_h=12)
HERE = Fix(45.7735, 126.6165, NOW - timedelta(seconds=60), 10.0)


def code(fix: Fix, last: Fix | None = None) -> str | None:
    refusal = check_fix(fix, last, NOW, POLICY)
    return refusal.code if refusal else None


def test_a_fresh_precise_fix_passes() -> None:
    assert code(Fix(45.774, 126.617, NOW, 12.0), HERE) is None
    assert code(Fix(45.774, 126.617, NOW)) is None  # first fix of the team, no accuracy given


@pytest.mark.parametrize(
    ("fix", "expected"),
    [
        (Fix(45.77, 126.61, NOW - timedelta(seconds=301), 10.0), "stale_fix"),
        (Fix(45.77, 126.61, NOW + timedelta(seconds=181), 10.0), "future_fix"),
        (Fix(45.77, 126.61, NOW, 151.0), "poor_accuracy"),
        (Fix(95.0, 126.61, NOW, 10.0), "invalid_position"),
        (Fix(45.77, 200.0, NOW, 10.0), "invalid_position"),
    ],
)
def test_refused_fixes_say_why(fix: Fix, expected: str) -> None:
    assert code(fix) == expected


def test_limits_are_inclusive() -> None:
    assert code(Fix(45.77, 126.61, NOW - timedelta(seconds=300), 150.0)) is None
    assert code(Fix(45.77, 126.61, NOW + timedelta(seconds=180), 10.0)) is None


def test_jumps_faster_than_the_limit_are_refused() -> None:
    # 10 km north in 60 s is 600 km/h
    far = Fix(45.7735 + 10_000 / 111_195, 126.6165, NOW, 10.0)
    refusal = check_fix(far, HERE, NOW, POLICY)
    assert refusal is not None and refusal.code == "impossible_jump" and "km/h" in refusal.message
    # 2 km in 60 s is 120 km/h: a car on an empty road, allowed
    assert code(Fix(45.7735 + 2_000 / 111_195, 126.6165, NOW, 10.0), HERE) is None
    # the same spot again at the same second: nothing moved
    assert code(Fix(HERE.lat, HERE.lon, HERE.at, 10.0), HERE) is None


def test_accuracy_radii_absorb_gps_jitter() -> None:
    # 250 m apart within 1 s, but each fix is only good to 140 m: could be the same spot
    jitter = Fix(45.7735 + 250 / 111_195, 126.6165, HERE.at + timedelta(seconds=1), 140.0)
    assert code(jitter, Fix(HERE.lat, HERE.lon, HERE.at, 140.0)) is None
    assert code(jitter, Fix(HERE.lat, HERE.lon, HERE.at, 10.0)) == "impossible_jump"


def test_an_older_fix_than_the_latest_is_out_of_order() -> None:
    assert code(Fix(45.7735, 126.6165, HERE.at - timedelta(seconds=5), 10.0), HERE) == "out_of_order"


def test_action_time_believes_the_phone_within_limits() -> None:
    pressed = NOW - timedelta(minutes=25)  # made in an underpass, sent when signal came back
    assert action_time(pressed, NOW, POLICY) == pressed
    assert action_time(None, NOW, POLICY) == NOW
    assert action_time(NOW + timedelta(seconds=30), NOW, POLICY) == NOW  # never moves the desk's clock forward
    assert action_time(NOW - timedelta(hours=13), NOW, POLICY) == NOW  # a phone clock days off


def test_client_ids_are_applied_once_and_forgotten_after_keep() -> None:
    ids: ClientIds[str] = ClientIds(timedelta(hours=24))
    assert ids.add("a1b2c3d4-1", NOW - timedelta(hours=25), "old")
    assert ids.add("a1b2c3d4-2", NOW, "new")
    assert not ids.add("a1b2c3d4-2", NOW, "again") and ids.get("a1b2c3d4-2") == "new"
    assert ids.prune(NOW) == ["a1b2c3d4-1"]
    assert "a1b2c3d4-1" not in ids and "a1b2c3d4-2" in ids and len(ids) == 1


def _policy_text() -> str:
    return (DATA_DIR / "policy.toml").read_text(encoding="utf-8")


def test_shipped_policy_has_the_phone_table_and_chinese_actions() -> None:
    policy = parse_policy(_policy_text(), "policy.toml")
    assert policy.phone.position_every_s == 30 and policy.phone.max_speed_kmh == 150
    assert policy.phone.destination_kinds["medical"] == ("hospital",)
    assert all(c.action_zh for c in policy.categories) and policy.thermal.action_zh
    assert policy.category("medical") is not None and "医疗" in policy.category("medical").action_zh  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("position_every_s = 30", "position_every_s = 1", r"phone\.position_every_s.*at least 5"),
        ("max_speed_kmh = 150", "max_speed_kmh = 150\nmax_sped = 3", r"phone\.max_sped.*unknown key"),
        ("max_accuracy_m = 150", 'max_accuracy_m = "far"', r"phone\.max_accuracy_m.*expected float"),
        ('medical = ["hospital"]', 'medical = ["pharmacy"]', r"destination_kinds\.medical"),
        ('escort_station = ["rescue_station"]', 'escorting = ["rescue_station"]', r"unknown category 'escorting'"),
    ],
)
def test_phone_table_mistakes_name_file_and_line(old: str, new: str, message: str) -> None:
    text = _policy_text()
    assert old in text
    with pytest.raises(PolicyError, match=message) as info:
        parse_policy(text.replace(old, new, 1), "policy.toml")
    assert info.value.line is not None and info.value.path == "policy.toml"


def test_phone_table_is_required() -> None:
    text = _policy_text()
    start = text.index("[phone]")
    end = text.index("# ---------------------------------------------------------------- intake")
    with pytest.raises(PolicyError, match="phone"):
        parse_policy(text[:start] + text[end:], "policy.toml")
