"""Flags from free text, in Chinese and English, with negation."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.lexicon import load_lexicon, parse_lexicon
from pipeline.settings import DATA_DIR

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("老人躺在地上，叫不醒", {"unresponsive", "elderly"}),
        ("桥下有个小孩，离家出走了", {"minor"}),
        ("坐轮椅的大爷在路边发抖", {"immobile", "elderly", "ill"}),
        ("A drunk man refuses to go to the shelter", {"intoxicated", "refuses"}),
        ("Unconscious woman near the bridge", {"unresponsive"}),
        ("He was robbed and has no ID", {"robbed", "no_id"}),
        ("被丈夫打了，被赶出家门", {"domestic_violence"}),
        ("ＵＮＣＯＮＳＣＩＯＵＳ", {"unresponsive"}),  # full-width input
        ("", set()),
    ],
)
def test_cues_set_flags(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == expected


def test_negation_cancels_a_cue() -> None:
    assert "injured" not in LEXICON.flags_in("小孩离家出走，没有受伤")
    assert "injured" not in LEXICON.flags_in("man sitting, not injured")
    assert "injured" in LEXICON.flags_in("man sitting, badly injured")


def test_english_cues_match_whole_words_only() -> None:
    assert "ill" not in LEXICON.flags_in("standing still near the mill")
    assert "minor" not in LEXICON.flags_in("a minority of passers-by")


def test_unknown_flag_in_lexicon_is_rejected() -> None:
    with pytest.raises(ConfigError, match="unknown flag"):
        parse_lexicon({"flags": {"sleepy": ["困"]}}, "lex.toml")
