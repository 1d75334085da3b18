"""The readings session 26's follow-ups to audits 20 and 21 added and the words beside them that must not read: an
English age run on into a clause, diabetes told by `sugar`, a later denial of a state of the moment (`[seeming] denied`
and `parts`) and 受伤/冻伤 read tone-free but for a verb's complement (`[homophones] complements`)."""

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
        ("he's 80 and can't walk", {"elderly", "immobile"}),
        ("she's 15 but says she's fine", {"minor"}),
        ("my dad is 79 and he's shaking", {"elderly", "ill"}),
        # a number with no person before it, or said of a thing
        ("the 80 and the 17 buses stopped running, a man is lying at the stop", set()),
        ("it's 12 and he's still out there", set()),
        ("he's got 70 and a bag, sitting by the vent", set()),
        ("he's 20 minutes away and drunk", {"intoxicated"}),
    ],
)
def test_an_english_age_run_on_into_a_clause(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("her sugar's low, she's diabetic", {"ill"}),
        ("sugar levels all over the place", {"ill"}),
        ("he asked for sugar for his tea", set()),
        ("a bag of sugar and some bread", set()),
    ],
)
def test_diabetes_told_by_sugar(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("他昏迷了，后来醒过来了", set()),
        ("she came to after a minute", set()),  # no cue before: nothing to take back
        ("she passed out, she came round after a minute", set()),
        ("他醒了，又昏迷了", {"unresponsive"}),  # the last word wins
        ("he can walk now, but his legs gave out again, he can't walk", {"immobile"}),
        ("他走不了，后来可以走了", set()),
        ("他受伤了，后来医生说没什么伤", set()),
        ("he's injured, no wait, turns out he's unhurt", set()),
        ("他胳膊流血了，腰没受伤", {"injured"}),  # one part unhurt, a wound elsewhere
        ("头上都是血，不知道有没有受伤", {"injured"}),  # a question denies nothing
        ("他没受伤，可是现在头上流血了", {"injured"}),
    ],
)
def test_a_later_denial_of_a_state_of_the_moment(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("他收伤了", {"injured"}),
        ("大爷的脚东伤了", {"injured", "elderly"}),  # 东 dōng for 冻 dòng
        ("他受上了", set()),
        ("门锁冻上了", set()),
        ("水管冻住了", set()),
    ],
)
def test_injuries_read_tone_free_but_a_verbs_complement(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("section", "change", "match"),
    [
        ("homophones", {"complements": ["上来"]}, "complements"),
        ("homophones", {"complements": "上"}, "complements"),
        ("seeming", {"parts": {"nobody": ["腿"]}}, "parts"),
    ],
)
def test_new_lexicon_keys_are_checked(section: str, change: dict[str, Any], match: str) -> None:
    data = {**DATA, section: {**DATA[section], **change}}
    with pytest.raises(ConfigError, match=match):
        parse_lexicon(data)


@pytest.mark.parametrize(("text", "flags"), [
    # lying still reads both flags, but a later "awake" takes unresponsive back: the lying-still rule, applied after the
    # denials, had added it again (躺着不动，后来醒了 read unresponsive)
    ("他躺着一动不动，后来醒了", {"immobile"}),
    ("躺着一动不动，现在醒过来了", {"immobile"}),
    ("他躺着一动不动", {"immobile", "unresponsive"}),
    ("醒了一会儿又躺着一动不动", {"immobile", "unresponsive"}),  # the denial before the still cue takes nothing back
])
def test_a_later_waking_takes_back_what_lying_still_adds(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) & {"immobile", "unresponsive"} == flags
