"""The readings audit 9 added: the person themself calling (a tip naming nobody but the caller), an English work
order's one-letter sex and age (M ~60), its abbreviations (ETOH, LOC, supine), a newborn, and words that must not read."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the caller is the person when the tip names nobody else
        ("我脚冻伤了走不了路，在太阳岛门口，求救", {"injured", "immobile"}),
        ("I'm 16 and I ran away from home, I'm at the train station", {"minor"}),
        # a bystander's own state is still theirs when someone else is named
        ("我脚冻伤了走不了路，看见路边有个大爷坐着", {"elderly"}),
        ("I'm 16, I saw a man lying in the snow", set()),
        # work-order abbreviations; "no LOC" negated
        ("M ~60, ETOH, found supine on sidewalk", {"elderly", "intoxicated"}),
        ("Pt male approx 45, +LOC, GCS 8", {"unresponsive"}),
        ("F ~75, c/o abd pain, no LOC", {"elderly", "ill"}),
        ("Caller reports female, disoriented, can't give name", {"no_id"}),
        # a newborn; robbed said after a beating; refusing whatever is said
        ("woman holding a newborn in the atm booth", {"minor"}),
        ("说被人打了抢了钱", {"robbed"}),  # beaten by a stranger is no domestic violence
        ("老太太说什么也不去站里", {"elderly", "refuses"}),
        # feeling very cold is no sign; a 120 note's hypothermia is
        ("他说冻得不行了", set()),
        ("患者男，低体温", {"ill"}),
        ("不知道是死是活", {"unresponsive"}),
    ],
)
def test_audit9_readings(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text, 2026)) == expected


@pytest.mark.parametrize(
    ("text", "sex", "adult"),
    [
        ("M ~60, ETOH", "male", False),
        ("Subj: M, 30s, homeless", "male", True),
        ("F 45, seated at the bus shelter", "female", True),
        ("患者男，约40岁", "male", True),
        ("来电人称其母亲走失", "female", False),
        # a metre, a time or "I'm" is no sex
        ("about 200 m, 30 people at the station", None, False),
        ("I'm ok, just cold", None, False),
    ],
)
def test_work_order_sex_and_age(text: str, sex: str | None, adult: bool) -> None:
    described = LEXICON.description_in(text)
    assert (described[0], described[2]) == (sex, adult)


def test_newborn_held_is_accompanied() -> None:
    assert LEXICON.company_in("woman holding a newborn, both cold") == "accompanied"
    assert LEXICON.company_in("公交站亭里坐着个小孩，等了一个多小时没人来接") == "alone"


def test_third_must_be_plain_words() -> None:
    with pytest.raises(ConfigError, match="third"):
        parse_lexicon({"flags": {}, "reporter": {"self": ["我"], "other": ["他"], "third": ["他~们"]}}, "lex.toml")
