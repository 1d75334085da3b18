"""The readings audit 17 added and the words beside them that must not read: drug slang (溜冰 is skating unless its own
words or kit say meth; "OD'd" only after the person, as "odd" is a word), classical ages (年过半百, 花甲之年), retirees,
sign language (not in 骑手语音), school years that are no count, a driver's passenger who is someone else, and a minor's company said with a comma."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("两个小年轻在闻胶水", {"intoxicated"}),
        ("像是嗑了药，蹲在地上晃", {"intoxicated"}),
        ("胳膊上全是针眼", {"intoxicated"}),
        ("外卖站门口有个男的嗨大了", {"intoxicated"}),
        ("车里有个男的在溜冰，锡纸和吸管都在", {"intoxicated"}),
        ("他说溜冰溜了三天没睡", {"intoxicated"}),
        ("guy is high as a kite", {"intoxicated"}),
        ("pretty sure she's on something", {"intoxicated"}),
        ("guy sniffing from a plastic bag", {"intoxicated"}),
        ("he OD'd in the toilets", {"ill"}),
        ("吸毒过量，叫不醒", {"ill", "intoxicated", "unresponsive"}),
        # skating, a stye, a high place, odd, sitting on something: no drugs
        ("松花江上好多人在溜冰", set()),
        ("冰场关门了，溜冰的人都走了", set()),
        ("他眼睛上长了个针眼", set()),
        ("the bridge is high and icy", set()),
        ("an odd guy by the gate, sixty-odd", set()),
        ("sitting on something by the door", set()),
        ("not drunk, not high", set()),
        # ignored when called; sign language, not a rider's voice message
        ("叫他也不搭理", {"unresponsive"}),
        ("一个用手语比划的男的", {"disabled"}),
        ("骑手语音转文字：路口有个男的", set()),
        # retired, an old-age pensioner; not yet retired is no retiree
        ("一个刚退休的男的", {"elderly"}),
        ("OAP on the pavement", {"elderly"}),
        ("还没退休的大姐", set()),
        # a son who put her out, in English
        ("says her son kicked her out", {"domestic_violence"}),
        ("her husband threw her out", {"domestic_violence"}),
        # a drug user said as one, injecting, tripping; a trip on the ice and a sign-language teacher are nothing
        ("junkie passed out", {"intoxicated", "unresponsive"}),
        ("addict shooting up in the stairwell", {"intoxicated"}),
        ("needle still in his arm", {"intoxicated"}),
        ("he's tripping", {"intoxicated"}),
        ("he tripped on the ice", set()),
        ("手语老师", set()),
    ],
)
def test_audit17_cues(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags", "adult"),
    [
        ("年过半百的女人", set(), True),
        ("年近半百的女人", set(), True),
        ("半百之年的女人", set(), True),
        ("年过花甲的女人", {"elderly"}, False),
        ("古稀之年的女人", {"elderly"}, False),
        ("年逾古稀的女人", {"elderly"}, False),
        # the number before the classical word is the age ("三十而立", "四十不惑", "七十古稀"), never a head count
        ("三十而立的女人", set(), True),
        ("七十古稀的女人", {"elderly"}, False),
    ],
)
def test_classical_ages(text: str, flags: set[str], adult: bool) -> None:
    assert set(LEXICON.flags_in(text)) == flags
    assert LEXICON.description_in(text)[2] is adult


def test_a_drivers_passenger_is_someone_else() -> None:
    # the reporter's own words end at the passenger: the drink is the passenger's
    assert set(LEXICON.flags_in("我拉的乘客喝多了，叫不醒")) == {"intoxicated", "unresponsive"}
    assert set(LEXICON.flags_in("我喝多了，看见一个小伙子躺着")) == set()


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("10后的男孩，一个人蹲在门口", "alone"),
        ("有个小孩摔倒了，家长在旁边", "accompanied"),
        ("有个小孩摔倒了，家长不在身边", "alone"),
    ],
)
def test_a_minors_company(text: str, company: str) -> None:
    assert LEXICON.company_in(text) == company


@pytest.mark.parametrize(
    ("text", "persons"),
    [
        # a school year is no count (初二学生 was two, 两个高三学生 three), while the pupils are still counted
        ("初二学生在网吧", None),
        ("两个高三学生在网吧", 2),
        ("三个初一学生", 3),
        ("两个小年轻在闻胶水", 2),
        # a number before a classical age word is the age: 三十而立的小伙子 was thirty persons
        ("三十而立的小伙子躺在路边", None),
        ("四十不惑的大哥蹲在桥下", None),
        ("来了三十个人", 30),
    ],
)
def test_school_years_and_classical_ages_are_no_count(text: str, persons: int | None) -> None:
    assert LEXICON.persons_in(text) == persons
