"""The readings audit 8 added: Korean and more Russian, a tip relayed through a second reporter, an adult age said
without 岁, "idk if" as not knowing whether, a parent and "her little boy" counted, and words that must not read."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Korean, with its particles after the word
        ("할아버지가 길에 쓰러져 있어요. 대답이 없어요", {"elderly", "unresponsive"}),
        ("술 취한 남자가 벤치에 누워 있어요", {"intoxicated"}),
        ("다리를 다쳐서 못 걸어요", {"injured", "immobile"}),
        ("한국 관광객인데 지갑을 도둑맞았어요, 여권도 없어요", {"robbed", "no_id"}),
        ("아이스크림 가게 앞에 남자가 서 있어요", set()),  # 아이 inside another word is no child
        # Russian inflected forms
        ("женщина с ребёнком сидят на лавке", {"minor"}),
        ("У мужика обморожение пальцев", {"injured"}),
        ("Два мужика пьют водку", {"intoxicated"}),
        # not knowing which, said short: both possible
        ("idk if hes drunk or sick", {"intoxicated", "ill"}),
        ("if he's drunk he'll freeze", set()),  # a hypothetical still reads nothing
        # a relayer's state is not the person's; with no one brought in after them, the relative is the person
        ("我朋友喝多了，他说看见一个老太太在车站坐着", {"elderly"}),
        ("我爸喝多了，躺在楼下起不来", {"intoxicated", "immobile"}),
        # a grown son who throws his mother out, words between; a boyfriend said short
        ("大娘说她儿子喝多了把她撵出来了", {"elderly", "domestic_violence"}),
        ("自诉被男友打伤", {"domestic_violence", "injured"}),
        ("保安把他撵出来了", set()),
        # not wanting to go home is no refusal of the station; a drunk one said short, an anaesthetic is none
        ("boy maybe 13, said he doesn't want to go home", {"minor"}),
        ("两个人，一个醉的，一个清醒的", {"intoxicated"}),
        ("刚做完手术，麻醉的劲儿还没过", set()),
    ],
)
def test_audit8_readings(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text, 2026)) == expected


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        # the relayer's 她 and "her" describe nobody: the person is brought in after them
        ("我妈打电话让我报的，她说她们小区门口有个大爷冻得直哆嗦", "male"),
        ("my neighbour's son told her he saw a man lying by the bins", "male"),
        # told of no one new, the relative's word is read as before
        ("我妈说她一个人在车站", "female"),
        ("2 old men at gate 4 of the park", "male"),
        ("you ge xiao hai yi ge ren zai wang ba men kou", None),  # pinyin's men (门) is no "men"
        ("아줌마 坐地上哭", "female"),
    ],
)
def test_audit8_sexes(text: str, sex: str | None) -> None:
    assert LEXICON.description_in(text)[0] == sex


@pytest.mark.parametrize(
    ("text", "adult"),
    [("那个人说他今年二十三，老板不给钱", True), ("他才十五", False), ("他八十多了", False), ("十一点多了", False)],
)
def test_an_adult_age_said_of_the_person(text: str, adult: bool) -> None:
    assert LEXICON.description_in(text)[2] is adult


@pytest.mark.parametrize(
    ("text", "persons"),
    [("a mother and her little boy at the station", 2), ("Два мужика у вокзала", 2), ("трое детей на остановке", 3),
     ("женщина с ребёнком", 2), ("a mother at the station", None)],
)
def test_audit8_head_counts(text: str, persons: int | None) -> None:
    assert LEXICON.persons_in(text) == persons


@pytest.mark.parametrize(
    ("text", "company", "posture"),
    [("мальчик лет 8 один на вокзале", "alone", None), ("아이 혼자 울고 있어요", "alone", None),
     ("在门口站了两个小时了", None, "standing"), ("车到站了", None, None)],
)
def test_audit8_company_and_posture(text: str, company: str | None, posture: str | None) -> None:
    assert LEXICON.company_in(text) == company
    assert LEXICON.description_in(text)[1] == posture


@pytest.mark.parametrize("reporter", [{"self": ["我"], "other": ["他"], "relayed": ["我妈"]},
                                      {"self": ["我"], "other": ["他"], "told": ["说"]},
                                      {"self": ["我"], "other": ["他"], "relayed": ["我妈"], "told": []}])
def test_relayed_and_told_come_together(reporter: dict[str, list[str]]) -> None:
    with pytest.raises(ConfigError):
        parse_lexicon({"flags": {}, "reporter": reporter}, "lex.toml")
