"""Korean negation: 안/못 before a verb and -지 않/-지 못 (or a thing said absent) after it cancel a cue; not moving
and cannot move, said with the negation, are cues themselves."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the negation is the cue
        ("할아버지가 안 움직여요", {"elderly", "unresponsive"}),
        ("할아버지가 움직이지 않아요", {"elderly", "unresponsive"}),
        ("할머니가 움직이지 못해요", {"elderly", "immobile"}),
        ("남자가 못 움직여요", {"immobile"}),
        # before the verb
        ("안 다쳤어요", set()),
        ("술 안 취했어요", set()),
        ("안 토했어요", set()),
        # after the stem, past a syllable or two the cue stops short of
        ("술에 취하지 않았어요", set()),
        ("피가 나지 않아요", set()),
        ("떨고 있지 않아요", set()),
        ("다치지는 않았어요", set()),
        # a thing said absent
        ("부상은 없어요", set()),
        ("다친 데는 없어요", set()),
        # unnegated, and cues that hold a negation, read as before
        ("남자가 다쳤어요", {"injured"}),
        ("할아버지가 다쳐서 못 걸어요", {"elderly", "injured", "immobile"}),
        ("숨을 쉬지 않아요", {"unresponsive"}),
        ("대답을 안 해요", {"unresponsive"}),
        ("편안 다쳤어요", {"injured"}),  # 안 inside a word is no negation
        # one cue negated, another not
        ("안 다쳤는데 술에 취했어요", {"intoxicated"}),
    ],
)
def test_korean_negation(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text, 2026)) == expected


@pytest.mark.parametrize(("key", "word"), [("ko", "not"), ("ko_after", "不")])
def test_korean_negations_must_be_korean(key: str, word: str) -> None:
    """A word of another language under a Korean key would negate nothing Korean (or, English, everything)."""
    data = {"flags": {"injured": ["부상"]}, "negations": {"zh": ["没有"], "en": ["not"], key: [word]}}
    with pytest.raises(ConfigError, match=key):
        parse_lexicon(data)
