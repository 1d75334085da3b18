"""The readings audit 21 added and the words beside them that must not read: a later denial of drink takes it back (the
last word wins), 奔七十 and loose English ages, a child calling of itself, a count of hours that names no one, and
illness told by lay people (透析, 刀口疼, 抽了一阵, low blood sugar) beside smoking, blood and clear speech."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # a later denial takes back the drink said before it; a drink said after the denial still holds
        ("先说是个醉汉，后来说不是喝酒，是脑梗", {"ill"}),
        ("像喝多了，走近一闻没有酒味", set()),
        ("not drunk, he's diabetic", {"ill"}),
        ("他说他不喝酒，可是满身酒气", {"intoxicated"}),
        ("he says he doesn't drink but he reeks of booze", {"intoxicated"}),
        ("不是喝醉了，是犯病了", {"ill"}),
        # 喝没喝酒 (whether he drank) holds 没喝酒 and denies nothing
        ("他喝没喝酒我不知道，反正叫不醒", {"unresponsive", "intoxicated"}),
        # nearing an age said 奔: the number after it only when it ends there (not 直奔三号楼)
        ("奔七十的人了在江边转悠", {"elderly"}),
        ("奔六的大哥在路边", set()),
        ("直奔三号楼去了", set()),
        # a child calling of itself and its kin is the minor; a child reporting someone else is not the person
        ("我今年九岁，我找不到我妈妈了", {"minor"}),
        ("我今年十岁，我看见一个老爷爷倒了", {"elderly"}),
        ("this is about me: I'm 17, my dad kicked me out tonight", {"minor", "domestic_violence"}),
        # a count of hours is no one else: the caller's own age still reads
        ("我七十六了，在楼道口坐了俩钟头了", {"elderly"}),
        # illness told by lay people, and what is no illness beside it
        ("他一周要透析三次", {"ill"}),
        ("刀口疼得走不了路", {"ill", "immobile"}),
        ("刚做完手术，麻醉的劲儿还没过", set()),  # audit 8's reading: a bare operation is none
        ("手术室门口坐着个人", set()),
        ("他刚才抽了一阵，现在醒了", {"ill"}),
        ("他抽了一阵烟", set()),
        ("his blood sugar is low", {"ill"}),
        ("blood on his face", {"injured"}),
        ("his blood pressure is high", set()),
        # hard speech is no lack of identity; not knowing one's name still is
        ("说话说不清楚", set()),
        ("问他叫什么说不清", {"no_id"}),
        # white hair, a half-grown lad, no way home (not a visitor's hotel)
        ("头发全白了", {"elderly"}),
        ("半大小子", {"minor"}),
        ("找不到回家的路了", {"no_id"}),
        ("找不到回酒店的路", set()),
    ],
)
def test_audit21_cues(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text, 2026)) == flags


@pytest.mark.parametrize(
    ("text", "adult"),
    [
        ("guy maybe late fifties, lying there", True),
        ("woman looks about 50, crying", True),
        ("looks about 5 minutes from the station", False),
        ("he has slept here since the early 2000s", False),
    ],
)
def test_audit21_loose_ages(text: str, adult: bool) -> None:
    assert LEXICON.description_in(text, 2026)[2] is adult
