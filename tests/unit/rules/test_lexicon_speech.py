"""Tips as speech and shorthand write them: same-sounding characters, Cantonese words, erhua, 的 for 得, spaces,
emoji, lone 男/女/躺 fields, and an earlier night's person told before tonight's (`data/lexicon.toml`'s
`[homophones]`, `[dialect]` and `[past]` tables)."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon

LEX = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(("text", "expected"), [
    # a cue under a same-sounding character is read
    ("有个人婚迷了", {"unresponsive"}),
    ("他喝最了", {"intoxicated"}),
    ("没有身份正", {"no_id"}),
    ("怎么叫都叫不行", {"unresponsive"}),
    # ...but not inside ordinary words, nor for the nouns of minor, elderly or disabled
    ("旁边有商店，有个人坐着", set()),
    ("我最了解他", set()),
    ("外商投资的商场门口", set()),
    ("他是个大忙人", set()),
    ("狗在笼子里", set()),
    ("一个流浪汉抽出一根烟", set()),
    ("给他买了点吃的喝的，", set()),
    # a character heard by its usual reading, a cue's by its reading in the cue: 平 (píng, rarely bìng) is no 病,
    # 爷 (yé) no 喝 (hē, rarely yè), while 最 (zuì) for 醉 still is
    ("有个大叔在广场上躺平了", set()),
    ("有个老爷爷迷糊了", {"elderly"}),
    # 的 for 得 where the cue goes on after it, never a bare 喝的
    ("冻的直哆嗦", {"ill"}),
    ("不要紧，他喝的是水", set()),
    # erhua, spaces between Chinese words, emoji
    ("没气儿了", {"unresponsive"}),
    ("小孩儿在哭", {"minor"}),
    ("叫 不醒", {"unresponsive"}),
    ("倒地😱不起", {"unresponsive"}),
    # Cantonese
    ("叫極都唔醒", {"unresponsive"}),
    ("佢冇帶身份證", {"no_id"}),
    ("俾人搶咗手袋", {"robbed"}),
])
def test_spoken_and_typed_forms(text: str, expected: set[str]) -> None:
    assert set(LEX.flags_in(text)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("昨天晚上这儿有个醉汉，今天又看见一个大爷在这坐着", {"elderly"}),
    ("yesterday there was a drunk man here, tonight it's a lady on the steps", set()),
    # one person then and now: read whole
    ("昨晚有个人被打了，现在他在车站", {"domestic_violence"}),
    ("昨晚被老公打了跑出来，现在在车站坐着", {"domestic_violence"}),
    ("昨天有个大爷在这儿，今天又来了，躺着不动", {"elderly", "immobile", "unresponsive"}),  # lying still is both (session 26)
    ("他以前有心脏病，现在又犯了", {"ill"}),
])
def test_an_earlier_nights_person_is_not_tonights(text: str, expected: set[str]) -> None:
    assert set(LEX.flags_in(text)) == expected


def test_lone_fields_of_a_note_give_sex_and_posture() -> None:
    assert LEX.description_in("男，约65岁，倒卧于人行道")[:2] == ("male", "lying")
    assert LEX.description_in("东站北口 女 60+ 躺 不动")[:2] == ("female", "lying")
    assert LEX.description_in("一男一女")[0] is None
    assert set(LEX.flags_in("东站北口 男 60+ 躺 不动")) == {"elderly", "immobile"}


def test_shorthand_and_pairs_count_persons() -> None:
    assert LEX.persons_in("醉汉x2") == 2
    assert LEX.persons_in("一男一女，女的躺着") == 2
    assert LEX.persons_in("x2") is None


def test_sound_reading_is_data() -> None:
    flags = {"unresponsive": ["昏迷"]}
    assert parse_lexicon({"flags": flags, "homophones": {"flags": ["unresponsive"]}}).flags_in("婚迷了") == ("unresponsive",)
    assert parse_lexicon({"flags": flags, "homophones": {"flags": ["unresponsive"], "max_changed": 0}}).flags_in("婚迷了") == ()
    assert parse_lexicon({"flags": flags}).flags_in("婚迷了") == ()


@pytest.mark.parametrize("table", [
    {"homophones": {"flags": ["sleepy"]}},
    {"homophones": {"max_changed": 5}},
    {"homophones": {"tones": 1}},
    {"dialect": {"uh": "嗯"}},
    {"dialect": {"冇": ""}},
    {"past": {"then": ["昨天"], "now": ["今天"], "someone": ["有个"]}},
    {"past": {"then": ["昨天~晚上"], "now": ["今天"], "someone": ["有个"], "new": ["一个"]}},
])
def test_speech_tables_are_validated(table: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        parse_lexicon({"flags": {}, **table}, "lex.toml")


def test_sound_index_offers_what_every_pair_of_readings_offers() -> None:
    """`Homophones.spans` looks each pair of characters up in an index of the cues it may begin: at every position of a cue
    written under same-sounding characters, the index offers exactly the cues that every pair of the two characters'
    readings names in `by_first`, so no sound-alike is skipped (and none is found that the readings do not give)."""
    from pypinyin.pinyin_dict import pinyin_dict

    from rules.homophones import _HAN, _readings

    sounds = LEX.homophones
    assert sounds is not None
    cues = sorted({cue.text for found in sounds.by_first.values() for cue in found})
    by_reading: dict[str, list[str]] = {}  # a few characters of each reading the cues' characters have
    wanted = {reading for cue in cues for char in cue for reading in _readings(char)[1]}
    for code in sorted(pinyin_dict):
        if "\u4e00" <= chr(code) <= "\u9fff":
            for reading in _readings(chr(code))[1] & wanted:
                if len(by_reading.setdefault(reading, [])) < 3:
                    by_reading[reading].append(chr(code))
    texts = [cue[:i] + alike + cue[i + 1:] for cue in cues for i, char in enumerate(cue)
             for reading in sorted(_readings(char)[1]) for alike in by_reading.get(reading, [])]
    assert len(texts) > len(cues)
    for text in ["，".join(cues), *texts]:
        for start in range(len(text) - 1):
            char, following = text[start], text[start + 1]
            scanned = {cue for first in _readings(char)[1] for second in _readings(following)[1]
                       for cue in sounds.by_first.get(f"{first} {second}", ())} if _HAN.match(char) and _HAN.match(following) else set()
            indexed = sounds._begun_at(char + following)
            assert set(indexed) == scanned, (text, start)
            assert [cue.rank for cue in indexed] == sorted(cue.rank for cue in indexed), (text, start)  # the lexicon's order
