"""Categories, priorities and modifiers: each rule of the domain brief."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.settings import DATA_DIR
from rules.policy import load_policy
from rules.triage import ack_deadline, assess, followup_delay, raise_priority, rank_key
from rules.weather import RegionConditions

POLICY = load_policy(DATA_DIR / "policy.toml")
CALM = RegionConditions()


def day(flags: list[str], **kw: object) -> object:
    return assess(flags, policy=POLICY, night=False, weather=kw.pop("weather", CALM), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flags", "category", "priority"),
    [
        (["unresponsive"], "medical", "P1"),
        (["mental"], "medical", "P1"),
        (["minor"], "escort_station", "P2"),
        (["immobile"], "escort_station", "P2"),
        (["no_id"], "rescue_first", "P2"),
        (["refuses"], "supplies_followup", "P3"),
        (["robbed"], "basic_support", "P3"),
        ([], "guidance", "P3"),
        (["minor", "ill"], "medical", "P1"),  # first matching row wins
        (["refuses", "no_id"], "rescue_first", "P2"),
    ],
)
def test_first_matching_category_decides(flags: list[str], category: str, priority: str) -> None:
    result = day(flags)
    assert (result.category, result.priority) == (category, priority)  # type: ignore[attr-defined]


def test_notify_and_needs_follow_all_flags() -> None:
    mental = day(["mental"])
    # The lead unit needs medical; police is a support unit's need, never the lead's.
    assert set(mental.notify) == {"health", "police"} and set(mental.needs) == {"medical"}  # type: ignore[attr-defined]
    assert mental.support == ("police",)  # type: ignore[attr-defined]
    assert day(["no_id"]).notify == ("police",)  # type: ignore[attr-defined]
    assert day(["domestic_violence"]).notify == ("police",)  # type: ignore[attr-defined]
    assert day(["migrant_worker"]).notify == ()  # type: ignore[attr-defined]
    # A flag that did not decide the category still notifies.
    assert "police" in day(["minor", "robbed"]).notify  # type: ignore[attr-defined]


def test_thermal_only_is_welfare_check_and_lying_still_is_p2() -> None:
    plain = day([], has_tip=False)
    assert (plain.category, plain.priority) == ("welfare_check", "P3")  # type: ignore[attr-defined]
    still = day([], has_tip=False, lying_still_min=10)
    assert still.priority == "P2" and "lying_still" in still.rules  # type: ignore[attr-defined]
    assert day([], has_tip=False, lying_still_min=9.9).priority == "P3"  # type: ignore[attr-defined]


def test_modifiers_raise_one_level_each_and_cap_at_p1() -> None:
    night = assess([], policy=POLICY, night=True, weather=CALM)
    assert night.priority == "P2" and "night" in night.rules
    elderly = day(["elderly"])
    assert elderly.priority == "P2" and "elderly" in elderly.rules  # type: ignore[attr-defined]
    both = assess(["elderly", "intoxicated"], policy=POLICY, night=True, weather=CALM)
    assert both.priority == "P1" and {"night", "elderly", "intoxicated"} <= set(both.rules)
    capped = assess(["unresponsive"], policy=POLICY, night=True, weather=CALM)
    assert capped.priority == "P1" and "night" in capped.rules


def test_elderly_raises_in_every_category_unless_the_policy_lists_it_covered() -> None:
    for flags in (["elderly", "minor"], ["elderly", "disabled"], ["elderly", "immobile"]):
        raised = day(flags)
        assert (raised.category, raised.priority) == ("escort_station", "P1"), flags  # type: ignore[attr-defined]
        assert "elderly" in raised.rules  # type: ignore[attr-defined]
    from rules.policy import parse_policy

    text = (DATA_DIR / "policy.toml").read_text(encoding="utf-8")
    assert "covered_by = []" in text
    policy = parse_policy(text.replace("covered_by = []", 'covered_by = ["escort_station"]'))
    covered = assess(["elderly", "immobile"], policy=policy, night=False, weather=CALM)
    assert (covered.category, covered.priority) == ("escort_station", "P2") and "elderly" not in covered.rules
    not_covered = assess(["elderly", "no_id"], policy=policy, night=False, weather=CALM)
    assert not_covered.priority == "P1" and "elderly" in not_covered.rules  # rescue_first does not cover age


def test_cold_wave_levels() -> None:
    yellow = day([], weather=RegionConditions(cold_wave_level="yellow"))
    assert yellow.priority == "P2" and "cold_wave:yellow" in yellow.rules  # type: ignore[attr-defined]
    blue = day([], weather=RegionConditions(cold_wave_level="blue"))
    assert blue.priority == "P3"  # type: ignore[attr-defined]
    orange = day([], weather=RegionConditions(cold_wave_level="orange"))
    assert orange.priority == "P2"  # type: ignore[attr-defined]
    severe = day([], weather=RegionConditions(severe_cold=True, wind_chill_c=-12))
    assert severe.priority == "P2" and "severe_cold" in severe.rules  # type: ignore[attr-defined]


def test_orange_floor_lifts_p4() -> None:
    text = (DATA_DIR / "policy.toml").read_text(encoding="utf-8").replace(
        'name = "guidance"\nflags = []          # matches anyone stranded outdoors not matched above\npriority = "P3"',
        'name = "guidance"\nflags = []\npriority = "P4"',
    )
    from rules.policy import parse_policy

    policy = parse_policy(text)
    plain = assess([], policy=policy, night=False, weather=CALM)
    assert plain.priority == "P4"
    orange = assess([], policy=policy, night=False, weather=RegionConditions(cold_wave_level="orange"))
    assert orange.priority == "P2" and "cold_wave_floor:P2" in orange.rules


def test_key_area_and_corroboration_rank_but_do_not_raise() -> None:
    result = day([], key_area="underpass", sources=2)
    assert result.priority == "P3" and "key_area:underpass" in result.rules and "corroborated:2" in result.rules  # type: ignore[attr-defined]
    t = datetime(2026, 12, 1, tzinfo=UTC)
    policy = POLICY

    def key(prio: str, area: str | None, at: datetime, category: str = "guidance", rules: tuple[str, ...] = ()) -> object:
        return rank_key(prio, category, rules, area, at, policy)

    assert key("P2", "bridge", t + timedelta(minutes=5)) < key("P2", None, t)  # type: ignore[operator]
    assert key("P1", None, t + timedelta(hours=1)) < key("P2", "bridge", t)  # type: ignore[operator]
    # Within a priority: category severity, then more raising rules, before key area and age.
    assert key("P2", None, t + timedelta(hours=1), "medical") < key("P2", "bridge", t, "guidance")  # type: ignore[operator]
    assert key("P2", None, t + timedelta(hours=1), rules=("night", "elderly")) < key("P2", "bridge", t, rules=("night",))  # type: ignore[operator]


def test_a_blue_cold_wave_is_named_but_ranks_as_no_raise() -> None:
    # Blue raises nothing: an incident in a blue district is no more urgent than an older one elsewhere (DOMAIN:
    # order within a priority by the number of raising rules, then key area, then age of the first report).
    t = datetime(2026, 12, 1, tzinfo=UTC)
    blue = day([], weather=RegionConditions(cold_wave_level="blue"))
    assert blue.priority == "P3" and "cold_wave:blue" in blue.rules  # type: ignore[attr-defined]
    older = rank_key("P3", "guidance", ("category:guidance",), None, t, POLICY)
    newer_blue = rank_key("P3", "guidance", blue.rules, None, t + timedelta(minutes=5), POLICY)  # type: ignore[attr-defined]
    assert older < newer_blue
    assert rank_key("P2", "guidance", ("category:guidance", "cold_wave:yellow", "night"), None, t + timedelta(minutes=5), POLICY) < rank_key(
        "P2", "guidance", ("category:guidance", "elderly"), None, t, POLICY)  # a raising level still counts


def test_deadlines_and_followups() -> None:
    t = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert ack_deadline(t, "P1", "none", POLICY) == t + timedelta(minutes=5)
    assert ack_deadline(t, "P4", "yellow", POLICY) == t + timedelta(minutes=60)
    assert ack_deadline(t, "P2", "orange", POLICY) == t + timedelta(minutes=7.5)
    assert ack_deadline(t, "P3", "red", POLICY) == t + timedelta(minutes=15)
    assert followup_delay("none", POLICY) == timedelta(hours=12)
    assert followup_delay("orange", POLICY) == timedelta(hours=3)


def test_raise_priority_bounds() -> None:
    assert raise_priority("P4", 1) == "P3" and raise_priority("P2", 5) == "P1" and raise_priority("P3", 0) == "P3"


@pytest.mark.parametrize(
    ("text", "category", "priority", "notify"),
    [
        # A negated cue must not make a tip medical; the other cues still count.
        ("老人没有受伤，但是喝多了", "guidance", "P1", ()),  # elderly + intoxicated raise two levels
        ("not injured, not drunk, just cold", "guidance", "P3", ()),
        ("不像是喝醉了，叫不醒", "medical", "P1", ("health",)),
        ("一个十五六岁的孩子，说被继父打了，不敢回家", "escort_station", "P2", ("police",)),
        ("拒绝透露姓名的男子坐在桥下", "rescue_first", "P2", ("police",)),
        ("流浪汉不愿意去救助站，他说他不冷", "supplies_followup", "P3", ()),
        ("he has minor injuries on his hand", "medical", "P1", ("health",)),
        ("儿童公园门口有个醉汉", "guidance", "P2", ()),  # the park's name is no child
        ("精神状态不错，农民工，没地方住", "basic_support", "P3", ()),
        ("mentally ill man shouting at the bus stop", "medical", "P1", ("health", "police")),
    ],
)
def test_tip_texts_to_categories(text: str, category: str, priority: str, notify: tuple[str, ...]) -> None:
    from rules.lexicon import load_lexicon

    flags = load_lexicon(DATA_DIR / "lexicon.toml").flags_in(text)
    result = day(list(flags))
    assert (result.category, result.priority, result.notify) == (category, priority, notify), flags  # type: ignore[attr-defined]
