"""The readings audit 13 added and the words beside them that must not read: cold injury by its signs, poisoning other
than drink, rambling speech beside an illness, a contrast that denies a first impression, a pupil alone at night."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # frostbite said by its look; the ground frozen hard is no hand
        ("手脚冻得梆硬", {"injured"}),
        ("地面冻得梆硬，有个人坐着", set()),
        ("he can't feel his toes", {"injured"}),
        # coughing blood is ill, no wound; a head knocked bleeding (磕出血, which sounds like 咳出血) is no illness
        ("咳嗽咳出血了", {"ill"}),
        ("摔了一跤，额头磕出血了", {"injured"}),
        # half the body soaked is no stroke; half the body that will not work is
        ("半边身子泡在雪水里", set()),
        ("嘴歪了，半边身子不好使", {"ill"}),
        # poisoning other than drink
        ("两口子煤气中毒了", {"ill"}),
        ("kids sniffing glue", {"intoxicated", "minor"}),
        # 说胡话 is delirium beside an illness or the cold, a mental state without one
        ("一个劲说胡话，嘴唇发紫", {"ill"}),
        ("有个女的在桥洞下说胡话", {"mental"}),
        # a contrast that denies the first impression drops it; one that adds a second possibility keeps both
        ("看着像喝醉了，可是一点酒味都没有", set()),
        ("看着像喝多了，但是也可能是犯病了", {"ill", "intoxicated"}),
        # undressing for someone else is no paradoxical undressing
        ("他把衣服脱了给孩子盖上", {"minor"}),
        # not stirring, and a manhole called into with no answer
        ("路边躺着一个人，也不动弹", {"unresponsive", "immobile"}),  # lying still is both (session 26)
        ("往井下喊没人应", {"unresponsive"}),
    ],
)
def test_audit13_readings(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("网吧门口有个初中生一个人蹲着", "alone"),
        ("穿着校服的小姑娘，凌晨一点一个人在江边走", "alone"),
        # a person at the scene is no company said
        ("有一个人在旁边，小孩在哭", None),
    ],
)
def test_a_pupil_alone_at_night(text: str, expected: str | None) -> None:
    assert LEXICON.company_in(text) == expected
