"""The readings audit 20 added and the words beside them that must not read: state cues heard by sound for more flags
(胡言乱雨, 家爆, 巨绝去, 被枪了), tone-free short cues unless the span is a word, person words written in place (流狼汉),
net shorthand (木有, 小盆友), pinyin with tone marks, drawn-out English letters, a dropped letter's typo, "drink" by
autocorrect, and a warning of frostbite."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # state cues of more flags heard under same-sounding characters
        ("一直胡言乱雨，跟空气吵架", {"mental"}),
        ("说被老公家爆了", {"domestic_violence"}),
        ("他还是巨绝去救助站", {"refuses"}),
        ("他说他被枪了，钱包没了", {"robbed"}),
        # a span that is itself a word is that word: 手上 is a hand
        ("大爷手上拎着一袋馒头", {"elderly"}),
        ("他出国留学了", set()),
        # net shorthand and pinyin typed with its tone marks
        ("他身上木有身份证", {"no_id"}),
        ("路边有个小盆友一个人在哭", {"minor"}),
        ("lǎo dà yé hūn mí le", {"elderly", "unresponsive"}),
        ("ta de shou dòng shāng le", {"injured"}),
        # a letter held down, a letter left out, and autocorrect's drink
        ("he's unconsciousssss pls come", {"unresponsive"}),
        ("she's sooo drunkkk", {"intoxicated"}),
        ("i think her wrist is brokn", {"injured"}),
        ("guy at the bus stop is completely drink", {"intoxicated"}),
        ("a man selling hot drinks on the corner", set()),
        ("he wants a drink", set()),
        # a warning of what the cold would do is no wound; the cold's harm said as done still is
        ("酱紫下去会冻坏的", set()),
        ("他的手冻坏了", {"injured"}),
        # 老任 may be a man named Ren: no age
        ("老任喝醉了", {"intoxicated"}),
    ],
)
def test_audit20_cues(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


def test_person_words_heard_by_sound_are_read_everywhere() -> None:
    assert LEXICON.description_in("有个流狼汉趟在路边")[:2] == ("male", "lying")
    assert LEXICON.description_in("laoren tang zai di shang bu dong le")[1] == "lying"
    assert LEXICON.description_in("累了坐一会儿")[1] == "sitting"
    assert set(LEXICON.flags_in("一个残积人坐着轮椅")) == {"disabled", "immobile"}
    assert set(LEXICON.flags_in("laoren tang zai di shang bu dong le")) == {"elderly", "unresponsive", "immobile"}
