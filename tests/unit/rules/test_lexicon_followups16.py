"""The readings session 24's follow-ups added and the words beside them that must not read: a person's temperature as a
number (`[body_temperature]`), short cues read tone-free (`[homophones] toneless`), a stranger's relayed call
(`[reporter] called`), the caller with a relative, and tonight's earlier moment that goes on (`[past] still`)."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")
DATA: dict[str, Any] = tomllib.loads((DATA_DIR / "lexicon.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("体温34度", {"ill"}),
        ("体温只有34.9度", {"ill"}),
        ("体温35度", set()),  # at the bound: no hypothermia (below 35 °C)
        ("体温37.2度", set()),
        ("体温37.3度", {"ill"}),  # China's 发热 from 37.3 °C
        ("孩子体温38度5", {"ill", "minor"}),
        ("体温三十六度五", set()),
        ("体温三十四点五度", {"ill"}),
        # the weather's temperature, or a number too far from a body's
        ("体温计放车里了，零下30度", set()),
        ("body temp unknown, it's -25 out", set()),
        ("体温计显示10度", set()),
        # a number after a word that is not the person's temperature
        ("气温34度", set()),
        ("his temperature is 34, he's barely talking", {"ill"}),
    ],
)
def test_a_number_temperature_of_the_person(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("他发少了", {"ill"}),
        ("他头发少了", set()),  # 头发 is a word: hair
        ("出发少了一个人", set()),
        ("他晕到了", {"unresponsive"}),
        ("东西运到了", set()),  # two characters changed
        ("他受上了", set()),  # 受伤 is not read tone-free
        ("河面冻上了", set()),
        ("手冰了", set()),
    ],
)
def test_short_cues_read_tone_free_only_where_the_lexicon_allows(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


def test_a_toneless_word_must_be_a_sound_read_cue() -> None:
    data = {**DATA, "homophones": {**DATA["homophones"], "toneless": ["门口"]}}
    with pytest.raises(ConfigError, match="toneless"):
        parse_lexicon(data)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"fever_from": 34.0}, "above hypothermia_below"),
        ({"hypothermia_below": 60}, "25..45"),
        ({"plausible": [36, 45]}, "plausible"),
        ({"flag": "cold"}, "unknown flag"),
        ({"threshold": 1}, "unknown key"),
    ],
)
def test_body_temperature_table_is_checked(change: dict[str, Any], match: str) -> None:
    data = {**DATA, "body_temperature": {**DATA["body_temperature"], **change}}
    with pytest.raises(ConfigError, match=match):
        parse_lexicon(data)


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        ("一位大哥打电话给我说，他在桥洞看到一个女的躺着不动", "female"),
        ("Some guy phoned me, said a woman is sitting on the ice", "female"),
        ("A lady rang me to say there's a kid alone at the bus station", None),
        # no call received: the woman who rang is the person (she called for herself)
        ("一个女的打电话说她冻得不行", "female"),
    ],
)
def test_a_stranger_who_called_the_reporter_is_no_person(text: str, sex: str | None) -> None:
    assert LEXICON.description_in(text)[0] == sex


@pytest.mark.parametrize(
    ("text", "persons", "sex"),
    [
        ("我和我妈迷路了，我妈冻得直哆嗦", 2, None),
        ("me and my dad are stuck outside the station, he's drunk", 2, None),
        ("我跟我妈在这，我俩都冻得直哆嗦", 2, None),
        # amended in session 25: the relative said again as the one in trouble, nothing shared, is the person alone
        ("我跟我妈在火车站外面，我妈摔倒了起不来", None, "female"),
        ("me and my dad are outside the station, he's drunk", None, "male"),
        # the caller's relative alone is the person, and their sex (audit 12)
        ("我爸喝多了，躺在火车站外面", None, "male"),
        # the pair passing by: the old man is the person, one (一个大爷)
        ("我和我弟路过，看见一个大爷躺着", 1, "male"),
    ],
)
def test_the_caller_with_a_relative_is_two_persons_of_no_stated_sex(text: str, persons: int | None, sex: str | None) -> None:
    assert LEXICON.persons_in(text) == persons
    assert LEXICON.description_in(text)[0] == sex


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("他刚才说不去救助站，现在还在那坐着", {"refuses"}),
        ("He refused help earlier, now he's still refusing", {"refuses"}),
        ("He refused help earlier, now he's not answering", {"unresponsive"}),
        ("之前他说不用管他，现在叫不醒了", {"unresponsive"}),
    ],
)
def test_an_earlier_refusal_yields_unless_it_goes_on(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags
