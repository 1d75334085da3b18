"""The readings audit 19 added and the words beside them that must not read: a run-on age after 了 and a kin's age in
English, a body frozen hard (not clothes), cannot move (不会动), "doesn't want any help", a guard's 躺卧, a counted
年轻男子, and no parent 在旁边."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # an age said without 岁 and run on after 了 with no comma, as a transcript does; from elderly_from only
        ("我妈八十多了在家冻得不行", {"elderly"}),
        ("我爸都七十了走不动道", {"elderly", "immobile"}),
        ("他十二了在这站着", set()),
        ("零下二十多了在外面待着", set()),
        ("十一点多了在路边看见一个人", set()),
        # a kin's age in English
        ("my dad is 78, the car heater died", {"elderly"}),
        ("Stuck on the highway, my grandma is 81.", {"elderly"}),
        ("my son's 12.", {"minor"}),
        ("my dad is 78 km away", set()),
        ("my dad's 2 dogs are in the car", set()),
        # a body frozen hard is the cold's ill; clothes frozen hard are nothing
        ("扒出来一个老大爷，浑身冻得硬邦邦的", {"elderly", "ill"}),
        ("衣服冻得硬邦邦的", set()),
        # cannot move; a bare 不动了 stays unresponsive
        ("雪堆里躺着，不会动", {"immobile"}),
        ("she says she's fine and doesn't want any help", {"refuses"}),
        ("he doesn't want us to help", {"refuses"}),
    ],
)
def test_audit19_cues(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


def test_a_guards_log_young_men_and_no_parent_beside() -> None:
    assert LEXICON.description_in("异常情况：发现一名男子躺卧，酒气较重")[:2] == ("male", "lying")
    assert LEXICON.persons_in("发现两名年轻男子在车棚内喝酒") == 2
    assert LEXICON.persons_in("两名中年女子在岗亭外") == 2
    assert LEXICON.company_in("一个小孩在哭，家长不在旁边") == "alone"
