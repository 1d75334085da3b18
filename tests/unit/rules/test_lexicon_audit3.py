"""The readings audit 3 added: signs another flag explains, the reporter's own state, first impressions, pinyin,
English "or" lists under one negation, adult ages, birth decades and years, and head counts without a number."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon
from rules.pinyin_text import PinyinReader

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # slurred speech is hypothermia (ill) unless drink explains it
        ("说话舌头都大了，也没闻着酒味", {"ill"}),
        ("喝多了，说话都不利索了", {"intoxicated"}),
        ("slurring his words, reeks of vodka", {"intoxicated"}),
        ("slurring his words, no smell of alcohol at all", {"ill"}),
        # the reporter's own state is not the person's; what the reporter does to the person is the person's
        ("我刚下班喝了点酒，路上看见一个小女孩自己在哭", {"minor"}),
        ("我腿脚不好追不上他，那个男的往江边去了", set()),
        ("我叫不醒他", {"unresponsive"}),
        ("I can't wake him up", {"unresponsive"}),
        ("I can't feel his pulse", {"unresponsive"}),
        ("我看见一个老人喝醉了", {"elderly", "intoxicated"}),
        ("我家孩子离家出走了", {"minor"}),
        # what the person only seemed until the reporter looked closer
        ("以为他喝醉了，走近一看头上都是血", {"injured"}),
        ("我以为他睡着了，结果叫不醒", {"unresponsive"}),
        # pinyin typed whole or in part; English is not read as pinyin
        ("you ge lao tou tang zai di shang, jiao bu xing", {"elderly", "unresponsive"}),
        ("有个xiaohai在车站门口哭", {"minor"}),
        ("ta shuo ta mei you shen fen zheng", {"no_id"}),
        ("he is a man in a hut", set()),
        # one English negation over an "or" list
        ("not drunk or hurt, just cold", set()),
        ("he is drunk or high", {"intoxicated"}),
        # birth decades and years against the tip's year
        ("1949年出生的", {"elderly"}),
        ("10后的小孩", {"minor"}),
        ("他说他是00后", set()),  # born 2000-09: 17 to 26, either side of 18
        ("man in his late sixties", {"elderly"}),
    ],
)
def test_audit3_readings(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text, 2026)) == expected


def test_a_birth_year_needs_the_tips_year() -> None:
    assert LEXICON.flags_in("1949年出生的") == ()


@pytest.mark.parametrize(
    ("text", "adult"),
    [("一个五十出头的大哥", True), ("80后的一个男的", True), ("man, 40s, diabetic", True), ("一个七十多的老头", False),
     ("我三十多岁，看见一个小孩", False)],  # the reporter's own age describes nobody
)
def test_adult_from_a_stated_age(text: str, adult: bool) -> None:
    assert LEXICON.description_in(text, 2026)[2] is adult


def test_the_reporters_own_sex_describes_nobody() -> None:
    assert LEXICON.description_in("我是女的，路过看见一个老头躺着")[0] == "male"


@pytest.mark.parametrize(
    ("text", "persons"),
    [("抱着孩子的妇女在站前广场", 2), ("woman with her baby at the station", 2), ("一个大爷带着两个孩子", 3),
     ("ppl at the underpass: 1 guy drunk af, 1 lady w/ a bleeding hand", 2), ("2 ppl sleeping rough", 2),
     ("两个人带着三条狗", 2), ("一个大姐坐着", 1)],
)
def test_head_counts(text: str, persons: int) -> None:
    assert LEXICON.persons_in(text) == persons


def test_pinyin_leaves_a_reading_two_words_share() -> None:
    reader = PinyinReader.of(["事故", "世故", "叫不醒"])  # shi gu: two words
    assert reader.read("shi gu") == "shi gu"
    assert reader.read("jiaobuxing") == "叫不醒"


def test_signs_table_is_checked() -> None:
    with pytest.raises(ConfigError, match="unless"):
        parse_lexicon({"flags": {}, "signs": {"ill": {"unless": ["ill"], "cues": ["slurring"]}}}, "lex.toml")
    with pytest.raises(ConfigError, match="unknown flag"):
        parse_lexicon({"flags": {}, "signs": {"sleepy": {"unless": ["ill"], "cues": ["困"]}}}, "lex.toml")
    with pytest.raises(ConfigError, match="plain words"):
        parse_lexicon({"flags": {}, "reporter": {"self": ["我~"], "other": ["他"]}}, "lex.toml")
