"""The readings audit 18 added and the words beside them that must not read: an earlier night of the same person read as
tonight's earlier moment (`[past]`), domestic violence said as the caller does, the heart and breath in English, blood
coughed up, workmates and school pupils described, and a child's company."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # a refusal or an unconsciousness of an earlier night yields to the state now, as tonight's earlier moment does
        ("昨天他还说不去救助站，今天叫不醒了", {"unresponsive"}),
        ("yesterday he refused to go to the shelter, tonight he won't wake up", {"unresponsive"}),
        ("昨晚他晕倒过一次，现在醒了坐着", set()),
        # the earlier state going on (还) and a beating of an earlier night still read
        ("昨天他不愿意去救助站，今天还是不愿意", {"refuses"}),
        ("昨晚被老公打了，现在在车站坐着", {"domestic_violence"}),
        # an earlier night's other person is still no one tonight
        ("昨晚这儿有个醉汉冻死了，今天又看见一个大爷", {"elderly"}),
    ],
)
def test_an_earlier_night_of_the_same_person_yields_to_now(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("她男人喝多了打她，她是跑出来的", {"domestic_violence"}),
        ("她爸喝醉了拿皮带抽她", {"domestic_violence"}),
        ("她老公拿着刀还在附近找她", {"domestic_violence"}),
        ("she ran from her husband, no coat", {"domestic_violence"}),
        ("her husband threw them out tonight", {"domestic_violence"}),
        ("Женщина сбежала от мужа", {"domestic_violence"}),
        # a knife in the kitchen, someone running from the police, a man who drank: none of them
        ("他老公拿菜刀切菜", set()),
        ("a man ran from the police", set()),
        ("她男人喝多了", {"intoxicated"}),
        ("她老公喝多了打她", {"domestic_violence"}),
        ("她老公打了她一顿", {"domestic_violence"}),
        # 打 that phones, works, hails a car, asks or plays is no blow (these read domestic violence before)
        ("我爸拿着手机打他电话，他没接", set()),
        ("她老公打工还没回来", {"migrant_worker"}),
        ("她老公打车走了", set()),
        ("老公打了120", set()),
        ("她丈夫打听了一圈也没找到她", set()),
    ],
)
def test_domestic_violence_as_callers_say_it(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("her heart is racing and she feels faint", {"ill"}),
        ("says it's his heart, grey in the face", {"ill"}),
        ("hands like ice", {"ill"}),
        # blood coughed or thrown up is illness, no wound; blood from the head is a wound
        ("one of them is coughing up blood", {"ill"}),
        ("he is throwing up blood", {"ill"}),
        ("bleeding from the head", {"injured"}),
        # feeling the cold and a heart-warming scene are no sign
        ("my hands are cold", set()),
        ("he has a kind heart", set()),
    ],
)
def test_heart_breath_and_blood_in_english(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


def test_workmates_pupils_and_company() -> None:
    assert LEXICON.persons_in("三个老乡工钱没拿到") == 3
    assert LEXICON.persons_in("俩工友在工棚里") == 2
    assert LEXICON.persons_in("kid throwing up, his mom is with him, they are both soaked") == 2
    assert LEXICON.persons_in("they are cold") is None
    assert LEXICON.description_in("一个女大学生在楼下坐着")[:2] == ("female", "sitting")
    assert LEXICON.description_in("男大学生在楼下站着")[0] == "male"
    assert LEXICON.description_in("昨天晚上这大爷躺在这，今早他已经坐起来了")[1] == "sitting"
    assert LEXICON.company_in("一个初三学生被抢了，现在一个人在车站坐着") == "alone"
    assert LEXICON.company_in("a kid throwing up, his mom is with him") == "accompanied"
