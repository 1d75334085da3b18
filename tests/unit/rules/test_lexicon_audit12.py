"""Audit 12's general rules, both sides: a cue word speech-to-text split in two, the caller's own relative as the person
(and not as who acts on the caller), the caller and one other counted, pronouns under a negation, 年近/年过 ages, and a run
of tildes as a chat message's separator."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon

LEX = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(("text", "flag"), [
    ("a lady who is in toxicated at the bus shelter", "intoxicated"),
    ("frost bite on both hands", "injured"),  # a `*` cue's stem ("frostbit*")
    ("he is un conscious by the gate", "unresponsive"),
])
def test_a_cue_word_split_in_two_is_read_whole(text: str, flag: str) -> None:
    assert flag in LEX.flags_in(text)


@pytest.mark.parametrize("text", [
    "she is wide a wake and talking",  # "awake" is no cue and under seven letters
    "he walked in to the station",
    "he is in, toxicated is not a word",  # a comma parts the words
])
def test_words_that_only_sound_joined_stay_apart(text: str) -> None:
    assert LEX.flags_in(text) == ()


@pytest.mark.parametrize(("text", "sex"), [
    ("我爸喝多了，躺在小区门口", "male"),
    ("我妈找不到了，穿着红棉袄", "female"),
    ("我老公喝醉了在外面睡着了", "male"),
    # the caller's relative who acts on the caller is not the person, nor one named after someone else
    ("我老公喝了酒就打我，我跑出来了", None),
    ("老太太说我儿子叫啥来着，我记不住家在哪了", "female"),
    ("小孩说我爸妈在外地打工，我自己坐车来的", None),
])
def test_the_callers_own_relative_is_the_person_when_named_first(text: str, sex: str | None) -> None:
    assert LEX.description_in(text)[0] == sex


def test_what_the_callers_relative_does_to_the_caller_is_theirs() -> None:
    assert set(LEX.flags_in("我老公喝了酒就打我，我跑出来了")) == {"domestic_violence"}  # the drink is the husband's
    assert "intoxicated" in LEX.flags_in("我爸喝多了，躺在小区门口，我一个人拉不动他")


@pytest.mark.parametrize(("text", "persons"), [
    ("我和我弟在外面，钥匙丢了进不了家", 2),
    ("我们俩都冻得直发抖，在车站外面", 2),
    ("me and my brother are locked out and freezing", 2),
    # the callers who report someone else are not the persons
    ("我和我弟发现一个大爷躺在雪里", 1),
    ("我们俩路过看见有人躺着", None),
    ("me and my friend saw a lady crying at the bus stop", None),
])
def test_the_caller_and_one_other_are_two_when_nobody_else_is_named(text: str, persons: int | None) -> None:
    assert LEX.persons_in(text) == persons


def test_a_pronoun_after_a_negation_still_names_the_sex() -> None:
    assert LEX.description_in("kid maybe ten, blue lips, nobody with him")[0] == "male"
    assert LEX.description_in("no, she's not drunk")[0] == "female"


@pytest.mark.parametrize(("text", "flags"), [
    ("年近七十的阿姨", {"elderly"}),
    ("年过六十的男子", {"elderly"}),
    ("年近六十的男子", set()),  # not yet sixty
    ("年近18的孩子", {"minor"}),
    ("年过七旬的老人", {"elderly"}),
])
def test_an_age_written_with_nian_jin_or_nian_guo(text: str, flags: set[str]) -> None:
    assert set(LEX.flags_in(text)) & {"elderly", "minor"} == flags


def test_a_run_of_tildes_separates_a_chat_messages_items() -> None:
    assert LEX.description_in("男～～大概12岁～～一个人在KTV门口哭～～")[0] == "male"
    assert LEX.company_in("男～～大概12岁～～一个人在KTV门口哭～～") == "alone"
