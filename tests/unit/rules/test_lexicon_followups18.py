"""The readings session 25's second follow-ups added and the words beside them that must not read: a fall is lying until
the person is said to be up (`[describe] fallen`, `risen`), drug withdrawal is ill but cash is not, a place closing makes
"won't leave" no refusal (`[closing]`), a generation is no head count, an answer restating its question's verb is a yes,
and a later clause opened by the caller's relative is the relative's own (`[reporter] together`)."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "posture"),
    [
        ("老太太在冰上摔倒了，起不来", "lying"),
        ("大爷摔倒了，爬不起来", "lying"),
        # up again, or a fall told as an event: no posture
        ("一个中年男的在冰上摔倒了，爬起来拍拍土走了，没事", None),
        ("老太太下台阶时滑倒，胳膊摔骨折了，自己能走", None),
        ("he fell on the ice, we're walking home", None),
        ("被抢的时候摔了一跤，手擦破了", None),
        # a posture said wins
        ("大爷摔倒了，自己爬起来坐在台阶上", "sitting"),
        # a wheelchair user sits; said beside lying, both ways: none
        ("wheelchair user by the bus stop", "sitting"),
        ("collapsed and won't wake, in a wheelchair", None),
        # an earlier night's fall or posture is none of tonight's (both read lying before); tonight's earlier fall stands
        ("我妈昨天摔倒了，现在走丢了", None),
        ("他昨晚躺在这，今天没看见", None),
        ("他昨晚喝多了，今天躺在路边", "lying"),
        ("刚才他摔倒了，现在叫不醒", "lying"),
    ],
)
def test_a_fall_is_lying_until_the_person_is_up(text: str, posture: str | None) -> None:
    assert LEXICON.description_in(text)[1] == posture


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("他毒瘾犯了", {"ill"}),
        ("he's in withdrawal", {"ill"}),
        ("he is withdrawing money at the atm", set()),
        ("cash withdrawal machine outside, a man sleeping there", set()),
        ("she's stopped moving", {"unresponsive"}),
        # closing: not leaving is no refusal, turning help down still is
        ("超市要关门了，有个人不肯离开", set()),
        ("候车室清场了，他不肯走，劝他去救助站他不去", {"refuses"}),
        ("the store is closing, he won't leave and refused the shelter", {"refuses"}),
        ("he won't leave the mall entrance", {"refuses"}),
        # a restated verb answers; an auxiliary's answer is read alone
        ("接线员：喝酒了吗？来电人：喝了", {"intoxicated"}),
        ("接线员：喝酒了吗？来电人：应该没喝", set()),
        ("接线员：有没有受伤？来电人：好像有人陪着", set()),
    ],
)
def test_flags(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "persons"),
    [
        ("50后的大哥，在桥洞下住了好几年了", None),
        ("两个90后的小伙子", 2),
        ("我跟我女儿在公园，她冻得直哆嗦", None),
        ("我和我妈被困在桥洞这边了，她冻得直哆嗦", 2),
        ("我和我妈出来的，迷路了，她冻得直哆嗦", 2),
    ],
)
def test_head_counts(text: str, persons: int | None) -> None:
    assert LEXICON.persons_in(text) == persons
