"""The readings audit 16 added and the words beside them that must not read: a hotline's Q&A transcript read as its
answers say (`[dialogue]`, `rules.dialogue`), Japanese and Russian visitors' words and ages, falls on ice, an ice crack,
a hotel not known, an unconsciousness that passed."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import load_lexicon, parse_lexicon

LEXICON = load_lexicon(DATA_DIR / "lexicon.toml")


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # a no negates the question, a yes affirms it, the question's own words are no state
        ("接线员：有没有受伤？ 来电人：没有，就是喝多了", {"intoxicated"}),
        ("接线员：有没有受伤？ 来电人：有，腿上流血了", {"injured"}),
        ("接线员：喝酒了吗？来电人：没喝，就是穿得少", set()),
        ("接线员：是小孩吗？来电人：不是，是个大人", set()),
        ("接线员：人还有意识吗？来电人：没有了", {"unresponsive"}),
        ("接线员：人还有意识吗？来电人：有，能说话", set()),
        # the verb echoed with a negation is a no; any other answer is read alone
        ("接线员：愿不愿意去救助站？来电人：不愿意", {"refuses"}),
        ("接线员：叫得醒吗？来电人：叫不醒", {"unresponsive"}),
        ("接线员：是老人还是年轻人？来电人：年轻人", set()),
        ("Q: is he breathing? A: no", {"unresponsive"}),
        ("Q: is he breathing? A: yes", set()),
        ("Q: Is she conscious? A: No. Q: Breathing? A: Yes, but slowly.", {"unresponsive"}),
        ("Q: can you wake him? A: nope", {"unresponsive"}),
        ("Q: Any injuries? A: None that I can see.", set()),
        ("Q: Any injuries? A: yes, his leg", {"injured"}),
        ("Operator: Has he been drinking? Caller: I don't think so", set()),
        # a question nobody answers is no state; without both labels the text is read as written (a possible injury)
        ("来电人：他躺在地上。接线员：有没有受伤？", set()),
        ("接线员：有没有受伤？", {"injured"}),
        ("问：有没有受伤", {"injured"}),
    ],
)
def test_a_transcript_is_read_as_its_answers_say(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("すみません、友達が転んで、足が痛くて歩けません。", {"injured", "immobile"}),
        ("父が氷の上で倒れて、意識がありません。七十歳です。", {"unresponsive", "elderly"}),
        ("Мужчина, около 70 лет, упал на льду", {"elderly"}),
        ("бабушка лет 80, сидит на лавке", {"elderly"}),
        # a Russian duration is no age
        ("он живёт на улице 3 года", set()),
        ("мой друг сильно пьян и не встаёт", {"intoxicated", "immobile"}),
        # 怪我 is Chinese "blame me" without its Japanese ending
        ("别怪我没提醒你，他喝醉了", {"intoxicated"}),
    ],
)
def test_visitors_words_and_ages(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("一个大爷摔了一跤起不来，一直喊腰疼", {"elderly", "immobile", "injured"}),
        ("slipped on the ice, can't get up, maybe hip", {"immobile", "injured"}),
        ("一个女的摔到后脑勺了", {"injured"}),
        ("腿卡在车底下出不来", {"immobile"}),
        ("一个姑娘冻得脸发白", {"injured"}),
        ("Found a man slumped in his car, I can't rouse him", {"unresponsive"}),
        # the ice split open is no wound; a cut hand still is
        ("冰面裂了一道口子，一个老头掉进水里了，爬不上来", {"elderly", "immobile"}),
        ("他手上划了一道口子", {"injured"}),
        # not knowing the hotel is no failure to say who one is; not knowing one's home still is
        ("游客说不知道住哪个酒店", set()),
        ("老人不知道住哪", {"elderly", "no_id"}),
        # an unconsciousness that passed yields to now; one with no later moment stands
        ("当时就晕过去了，现在醒了", set()),
        ("当时就晕过去了", {"unresponsive"}),
    ],
)
def test_falls_on_ice_and_the_words_beside_them(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == flags


@pytest.mark.parametrize(
    ("text", "company"),
    [("一个小女孩跟家里人走散了", "alone"), ("小男孩跟家长挤散了", "alone"), ("孩子哭，家长不在身边", "alone")],
)
def test_a_child_parted_from_the_family_is_alone(text: str, company: str) -> None:
    assert LEXICON.company_in(text) == company


@pytest.mark.parametrize(
    ("text", "sex"),
    [("父が倒れました", "male"), ("Two guys walking across the ice", "male"), ("мой друг лежит на снегу", "male")],
)
def test_visitors_words_for_men(text: str, sex: str) -> None:
    assert LEXICON.description_in(text)[0] == sex


@pytest.mark.parametrize(
    "table",
    [{"asker": ["q"], "answerer": ["a"], "yes": ["yes"]}, {"asker": ["q"], "answerer": ["a"], "yes": [], "no": ["no"]},
     {"asker": ["q"], "answerer": ["a"], "yes": ["yes"], "no": [""]}],
)
def test_a_malformed_dialogue_table_is_refused(table: dict[str, list[str]]) -> None:
    with pytest.raises(ConfigError, match=r"dialogue|yes|no"):
        parse_lexicon({"flags": {"injured": ["hurt"]}, "dialogue": table})
