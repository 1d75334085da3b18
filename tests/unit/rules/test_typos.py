"""Misspelt English cue words read as the cue, and only those."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon
from rules.typos import TypoReader

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("guy is bleding from the head", "injured"),  # a letter dropped
        ("man collasped near the bus stop", "unresponsive"),  # two letters swapped
        ("elderley woman on a bench", "elderly"),  # a letter added
        ("homeless man in a wheelchar", "immobile"),
        ("she is shivring and cant stand", "ill"),
        ("a runawya by the station", "minor"),  # a swap in a `*` cue's stem ("runaway*")
        ("uncosnciuos man in the snow", "unresponsive"),  # two edits in a long word
    ],
)
def test_a_misspelt_cue_sets_its_flag(text: str, flag: str) -> None:
    assert flag in LEXICON.flags_in(text)
    assert LEXICON.typos is not None and flag not in parse_lexicon(_without_typos()).flags_in(text)  # the reading did it


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("he is insured and fine", "injured"),  # an English word one letter from a cue is that word
        ("she painted the wall", "unresponsive"),  # not "fainted"
        ("he is consious and talking", "unresponsive"),  # two edits from "unconscious" in a word under 9 letters: too far
        ("caller Wang Feier at the gate", "ill"),  # pinyin names and places are never typos: "feier" is one letter from "fever"
        ("Liping from the shop saw him", "immobile"),  # "limping"
        ("a man by the Baijia market", "intoxicated"),  # "baijiu"
        ("near the Mentai restaurant", "mental"),
        ("he was stoled outside", "robbed"),  # as near "stolen" (robbed) as "stoned" (intoxicated): no reading
    ],
)
def test_words_are_not_bent_into_cues(text: str, flag: str) -> None:
    assert flag not in LEXICON.flags_in(text)


def test_a_negation_still_cancels_a_misspelt_cue() -> None:
    assert "injured" not in LEXICON.flags_in("she is not injred")
    assert "injured" in LEXICON.flags_in("she is badly injred")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # a contraction typed without its apostrophe is the contraction, never its piece "doesn"/"didn"
        ("he didnt respond when I shook him", {"unresponsive"}),
        ("couldnt wake him", {"unresponsive"}),
        ("she doesnt want help", {"refuses"}),
        ("he wouldnt go with them", {"refuses"}),
        ("doesnt look hurt", set()),
        ("he didnt get hurt", set()),
    ],
)
def test_contractions_without_apostrophe_keep_cues_and_negations(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


def test_descriptions_and_head_counts_read_typos_too() -> None:
    assert LEXICON.persons_in("two peple under the bridge") == 2
    assert LEXICON.description_in("a man sittting on the steps")[1] == "sitting"


def test_pinyin_words_are_recognised() -> None:
    from rules.typos import is_pinyin

    assert all(is_pinyin(w) for w in ("feier", "liping", "baijia", "mentai", "shating", "liying", "zhongyangdajie", "nvren"))
    assert not any(is_pinyin(w) for w in ("bleding", "collasped", "wheelchar", "elderley", "uncosnciuos", "shivring"))


def test_an_ing_word_is_no_pinyin_of_interjections() -> None:
    from rules.typos import is_pinyin

    # "ng" (嗯) is in no name or place: "shakeing" was sha-ke-i-ng and so never read as shaking (audit 5)
    assert not any(is_pinyin(w) for w in ("shakeing", "bleeing", "hng", "ng"))
    assert is_pinyin("wangying") and is_pinyin("zheng")
    assert "ill" in LEXICON.flags_in("the boy is shakeing on the ground")


def test_a_word_of_thousands_of_letters_is_no_pinyin_and_is_read_in_linear_time() -> None:
    """A tip of 10 000 "a"s (each "a" a syllable) held the intake agent's loop for seconds: the pinyin segmentation copied
    its best split, thousands of syllables long, at every letter. A word past MAX_PINYIN_LETTERS is no pinyin."""
    from rules.pinyin_text import MAX_PINYIN_LETTERS, _segment
    from rules.typos import is_pinyin

    assert _segment("a" * 10_000) is None and not is_pinyin("a" * 10_000)
    assert not is_pinyin("a" * (MAX_PINYIN_LETTERS + 1)) and is_pinyin("a" * MAX_PINYIN_LETTERS)
    sentence = "youyigelaotoutangzaizhongyangdajiemenkoujiaobuxing"  # a whole tip typed without a space: still read
    assert len(sentence) <= MAX_PINYIN_LETTERS and _segment(sentence) is not None
    assert "unresponsive" in LEXICON.flags_in(sentence)
    assert LEXICON.flags_in("a" * 10_000) == LEXICON.flags_in("a")


def test_a_word_as_near_two_cue_words_is_left_alone() -> None:
    reader = TypoReader.of([("injured", "qwertyk"), ("ill", "qwertyl")])
    assert reader.reading("qwertym") == "qwertym"
    same = TypoReader.of([("ill", "qwertyk"), ("ill", "qwertyl")])  # two spellings of one flag's cue: either reads it
    assert same.reading("qwertym") in ("qwertyk", "qwertyl")
    assert TypoReader.of([("ill", "qwertyk")]).reading("qwertym") == "qwertyk"
    three = TypoReader.of([("ill", "qwertyk"), ("ill", "qwertyl"), ("injured", "qwertyn")])  # a third as near: no reading
    assert three.reading("qwertym") == "qwertym"
    assert TypoReader.of([("ill", "qwertyk")]).reading("awertyk") == "awertyk"  # another first letter: not read


def test_the_limits_are_data() -> None:
    off = parse_lexicon({**_without_typos(), "typos": {"min_letters": 0}})
    assert "injured" not in off.flags_in("guy is bleding")
    strict = parse_lexicon({**_without_typos(), "typos": {"min_letters": 5, "two_edits_from": 40}})
    assert "unresponsive" not in strict.flags_in("uncosnciuos man")  # two edits now need 40 letters
    for bad in ({"min_letters": 2}, {"min_letters": "5"}, {"two_edits_from": -1}, {"typo": 1}):
        with pytest.raises(ConfigError, match=r"typo|min_letters|two_edits_from"):
            parse_lexicon({"flags": {}, "typos": bad}, "lex.toml")


def _without_typos() -> dict[str, object]:
    from core.tomlconfig import parse_toml

    data = parse_toml((DATA_DIR / "lexicon.toml").read_text(encoding="utf-8"), "lexicon.toml")
    return {**data, "typos": {"min_letters": 0}}


def test_the_english_dictionary_is_loaded_with_the_reader_not_at_the_first_misspelt_tip() -> None:
    """Loading it takes a few tenths of a second: at startup, not on the event loop in the middle of a night."""
    from rules import typos

    typos._english.cache_clear()
    TypoReader.of([("drunk", "drunk")])
    assert typos._english.cache_info().currsize == 1


@pytest.mark.parametrize(("word", "cue", "flag"), [("def", "deaf", "disabled"), ("bly", "boy", "minor"), ("kd", "kid", "minor"),
                                                   ("cne", "cane", "immobile"), ("il", "ill", "ill")])
def test_a_word_of_three_letters_or_fewer_is_never_read_as_a_cue(word: str, cue: str, flag: str) -> None:
    """Short typos are left as written, by choice (`[typos] min_letters` = 4, refused below): one edit from a 2-3
    letter word reaches a cue word from about one non-word in ten. Read with min_letters 2, 197 of the 16 415 two- and
    three-letter non-words set a flag in "a man by the ___ gate" ("def" deaf, "bly" boy, "lc" loc;
    tools/short_typos.py); the few true typos it would catch ("il", "cld") are not worth a disabled or minor flag."""
    assert LEXICON.typos is not None
    eager = TypoReader.of([(g, w) for w, groups in LEXICON.typos.vocabulary.items() for g in groups], min_letters=2)
    assert eager.reading(word) == cue  # one edit away: what a reader of short words would make of it
    assert flag not in LEXICON.flags_in(f"a man by the {word} gate")
    assert flag in LEXICON.flags_in(f"a man by the {cue} gate")
