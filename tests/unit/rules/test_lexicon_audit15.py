"""The readings audit 15 added and the words beside them that must not read: tonight's earlier moment superseded by
now (`[past] earlier`), a child carried or led with an age between, vomiting said with where, a dressed wound."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # a refusal earlier tonight, consent now: no refusal
        ("刚才他还说不去救助站，现在同意跟我们走了", set()),
        # still refusing now, or a refusal with no later moment: a refusal
        ("刚才他还说不去救助站，现在还是不肯走", {"refuses"}),
        ("他说不去救助站", {"refuses"}),
        # a refusal after a 刚才 with no 还 (no contrast) stands
        ("刚才劝了半天不愿意去，现在还在桥下", {"refuses"}),
        # other states of the earlier moment still hold
        ("刚才还在发抖，现在不抖了，叫不醒", {"ill", "unresponsive"}),
        ("He was drunk earlier, now he's not responding", {"intoxicated", "unresponsive"}),
        ("At first he was shaking, now he is not moving", {"ill", "unresponsive"}),
    ],
)
def test_an_earlier_moment_yields_only_what_changes(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "posture"),
    [
        ("Earlier he was walking around fine, now he can't stand up, sitting against the wall", "sitting"),
        ("刚才还坐着，现在躺地上了", "lying"),
        # nothing said after now: the earlier posture is all there is
        ("刚才还在路边坐着，现在不知道去哪了", "sitting"),
        # with no earlier word, both ways is still none
        ("He was walking around, sitting against the wall", None),
    ],
)
def test_the_later_posture_counts(text: str, posture: str | None) -> None:
    assert LEXICON.description_in(text)[1] == posture


@pytest.mark.parametrize(
    ("text", "persons", "company"),
    [
        ("一女子带着个三岁的孩子", 2, "accompanied"),
        ("孩子发烧，妈妈抱着在路边等车", 2, "accompanied"),
        # a child with no grown-up carrying it: one, with nobody
        ("一个三岁的孩子在路边哭", 1, None),
    ],
)
def test_a_child_carried_with_an_age_between(text: str, persons: int | None, company: str | None) -> None:
    assert (LEXICON.persons_in(text), LEXICON.company_in(text)) == (persons, company)


@pytest.mark.parametrize(
    ("text", "ill"),
    [
        ("乘客喝大了，下车就趴在马路牙子上吐", True),
        ("他蹲着吐了一地", True),
        ("他往地上吐痰", False),
        ("坐着吐槽天气太冷", False),
    ],
)
def test_vomiting_said_with_where_not_spitting(text: str, ill: bool) -> None:
    assert ("ill" in LEXICON.flags_in(text)) is ill


@pytest.mark.parametrize(
    ("text", "flag", "read"),
    [
        ("大爷手上还缠着纱布", "injured", True),
        ("he has his arm in a cast", "injured", True),
        ("我们给他带了纱布和热水", "injured", False),
        ("那个大姐额头烫得厉害", "ill", True),
        ("her forehead is burning hot", "ill", True),
        ("问他住哪说不出来", "no_id", True),
        ("天桥上有个人跪着乞讨，一条腿没有了", "disabled", True),
    ],
)
def test_audit15_cues(text: str, flag: str, read: bool) -> None:
    assert (flag in LEXICON.flags_in(text)) is read


def test_changes_must_name_flags() -> None:
    past = {"then": ["昨天"], "now": ["现在"], "someone": ["有个"], "new": ["一个"], "earlier": ["刚才还"], "changes": ["refusal"]}
    with pytest.raises(ConfigError, match="changes"):
        parse_lexicon({"flags": {"refuses": ["拒绝"]}, "past": past})
