"""The readings audit 22 added and the words beside them that must not read: a cue that begins a venue's name (`[names]`),
fed-up "sick of", sobering up (醒酒), a graze (蹭破), a broken leg said topic first, no reaction at all, a body frozen hard
with its subject left out, a group 有老有小, children counted after "with her", and a parent who never came."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # a cue that begins a shop's, a bar's or a hospital's name is no cue
        ("老醉鬼烧烤店后面躺着个人", set()),
        ("outside the Drunken Dragon bar there's an old man", {"elderly"}),
        ("a man waiting outside the Sick Kids hospital", set()),
        # the same words that are the person's still read: with a word between, or a person noun after the cue
        ("醉汉在酒吧门口躺着", {"intoxicated"}),
        ("a drunk guy at the bar", {"intoxicated"}),
        ("drunk man lying in the street", {"intoxicated"}),
        ("sick of waiting for the bus", set()),
        ("he is sick, coughing", {"ill"}),
        ("还在等那个大哥醒酒", {"intoxicated"}),
        ("脸都蹭破了", {"injured"}),
        ("腿，好像断了", {"injured"}),
        ("腿，疼", set()),
        ("一点反应都没有", {"unresponsive"}),
        ("躺着一个人，冻得梆硬", {"ill"}),
        ("地上的雪冻得梆硬", set()),
        ("有老有小", {"elderly"}),
    ],
)
def test_audit22_cues(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


def test_a_name_describes_nobody_and_children_with_her_add_her() -> None:
    assert LEXICON.description_in("老醉鬼烧烤店后面躺着个女的")[:2] == ("female", "lying")
    assert LEXICON.description_in("有个姐们在哭")[0] == "female"
    assert LEXICON.description_in("坐马路边上直晃悠")[1] == "sitting"
    assert LEXICON.persons_in("a woman sitting with her two kids") == 3
    assert LEXICON.persons_in("有个妇女带着两个孩子") == 3
    assert LEXICON.persons_in("two kids sitting alone") == 2
    assert LEXICON.company_in("a woman with her two kids, the younger one is crying") == "accompanied"
    assert LEXICON.company_in("a boy, his dad never came to pick him up") == "alone"
