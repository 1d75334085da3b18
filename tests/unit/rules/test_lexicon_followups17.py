"""The readings session 25's follow-ups added and the words beside them that must not read: a later state after an
earlier refusal wherever its now word stands (`[past] earlier`), hedged answers in a Q&A transcript (`[dialogue]
hedged`) and the caller out with a relative (`[reporter] together`)."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("刚才还不让管，叫不醒了现在", {"unresponsive"}),
        ("he refused help earlier and now he is unresponsive", {"unresponsive"}),
        # the now word inside its clause, the refusal said after it: both read as before
        ("刚才不让管，现在还是不肯走", {"refuses"}),
        # no now word: the refusal is tonight's and stands
        ("刚才还不让管，叫不醒了", {"refuses", "unresponsive"}),
        # drunk earlier is drunk still, the now word after the later state or not
        ("他刚才喝多了，叫不醒了现在", {"intoxicated", "unresponsive"}),
    ],
)
def test_a_later_state_supersedes_an_earlier_refusal(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("接线员：他喝酒了吗？ 来电人：好像是", {"intoxicated"}),
        ("接线员：他有没有受伤？ 来电人：好像没有", set()),
        ("Operator: is he drunk? Caller: probably.", {"intoxicated"}),
        ("Operator: is he drunk? Caller: probably not", set()),
        # not knowing is no answer, hedged or not
        ("接线员：他有没有受伤？ 来电人：不知道", set()),
        ("Operator: is he drunk? Caller: not sure", set()),
        # a hedge before a statement of its own: the statement is read, the question dropped
        ("接线员：他有没有受伤？ 来电人：好像喝多了", {"intoxicated"}),
    ],
)
def test_a_hedged_answer_is_its_yes_or_no(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize("hedged", [[], [""], "好像", [3]])
def test_a_malformed_hedge_list_is_refused(hedged: object) -> None:
    table = {"asker": ["q"], "answerer": ["a"], "yes": ["yes"], "no": ["no"], "hedged": hedged}
    with pytest.raises(ConfigError, match="hedged"):
        parse_lexicon({"flags": {"injured": ["hurt"]}, "dialogue": table})


@pytest.mark.parametrize(
    ("text", "persons", "sex"),
    [
        ("我跟我妈出来的，我妈摔倒了", None, "female"),
        ("me and my dad were walking, he slipped", None, "male"),
        # said together: the pair, of no stated sex
        ("我和我妈被困在桥洞这边了，她冻得直哆嗦", 2, None),
        ("me and my mum are lost, she's shaking", 2, None),
        ("me and my mum, we're both freezing, she can't walk", 2, None),
        # the relative never said again: the pair
        ("我和我妈出来遛弯，摔倒了", 2, None),
    ],
)
def test_the_relative_alone_in_trouble_is_the_person(text: str, persons: int | None, sex: str | None) -> None:
    assert LEXICON.persons_in(text) == persons
    assert LEXICON.description_in(text)[0] == sex
