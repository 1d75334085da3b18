"""Flags from free text, in Chinese and English, with negation."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from rules.lexicon import CueGroups, load_lexicon, normalize_text, parse_lexicon

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
        ("pregnant woman at the bus stop, in labour", {"ill"}),  # a birth outdoors in the cold is a medical case
        ("孕妇在路边，羊水破了", {"ill"}),
        ("老爷子搁道边躺着呢，咋招呼都不吱声", {"unresponsive", "elderly"}),  # northeastern speech
        ("这人说话颠三倒四的", {"mental"}),
        # spoken passives: 让人/叫人/给人 ... 偷了; a picked pocket; but not "让人偷着看", "took out his wallet"
        ("钱包让人给掏了", {"robbed"}),
        ("手机叫人抢了", {"robbed"}),
        ("钱被人骗光了", {"robbed"}),
        ("they took his wallet", {"robbed"}),
        ("让人偷着看了一眼", set()),
        # a refusal said of a woman or the spoken way; a missing leg, but not a leg injury denied
        ("说不用管她", {"refuses"}),
        ("劝他去救助站他不乐意", {"refuses"}),
        ("有个人没有腿，坐在滑板上", {"disabled"}),
        ("腿上没有腿伤", set()),
        # a stated age before the noun is no "old man"; "old fella" is
        ("a 30-year-old woman", set()),
        ("a 25 yr old guy", set()),
        ("an 80-year-old man", {"elderly"}),
        ("old fella on the bench", {"elderly"}),
        # medical signs said the spoken way; a negated one, a phone not answering and "sixty-odd" are none
        ("嘴里一直叨咕，前言不搭后语", {"mental"}),
        ("那人好像精神有点问题", {"mental"}),
        ("精神没有问题", set()),
        ("有个男的在河边说不想活了", {"mental"}),
        ("有个人在桥上要往下跳", {"mental"}),
        ("胳膊好像摔折了", {"injured"}),
        ("I think his hip is broken", {"injured"}),
        ("冻得脸都紫了", {"ill"}),
        ("lips going blue", {"ill"}),
        ("咋喊都没动静", {"unresponsive"}),
        ("叫了好几声都没醒", {"unresponsive"}),
        ("breathing but not answering", {"unresponsive"}),
        ("his phone is not answering", set()),
        ("sixty-odd", set()),
        # cannot say where home is or who they are; the card missing said after it
        ("问她家住哪也说不上来", {"no_id"}),
        ("问她什么都答不上来", {"no_id"}),
        ("在市场门口转向了找不着家", {"no_id"}),
        ("手机钱包都没带，身份证也没有", {"no_id"}),
        ("doesnt know her address", {"no_id"}),
        ("I can't say where exactly, near the bridge", set()),
        # a parent or partner who hits, family who throw out; a phone call from them is none
        ("说家里后爸老打她", {"domestic_violence"}),
        ("老两口被儿子撵出来了", {"domestic_violence", "elderly"}),
        ("says he ran off because his dad hits him", {"domestic_violence"}),
        ("her husband threw her out tonight", {"domestic_violence"}),
        ("后妈给她打电话", set()),
        ("his dad was hit by a car", {"injured"}),
        ("he took out his wallet to pay", set()),
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


# --------------------------------------------------------------------------- field phrasing
# Tips as dispatchers, couriers and guards write them: synonyms, dialect,
# traditional characters, full width, typos, English and mixed.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unresponsive
        ("怎么喊都喊不醒", {"unresponsive"}),
        ("叫了半天都不醒", {"unresponsive"}),
        ("喊他没反应", {"unresponsive"}),
        ("晕倒在路边", {"unresponsive"}),
        ("一个人躺在地上不省人事", {"unresponsive"}),
        ("沒反應", {"unresponsive"}),  # traditional
        ("man is unconcious by the bus stop", {"unresponsive"}),  # common misspelling
        ("can't wake him up", {"unresponsive"}),
        ("doesn’t respond when I shake him", {"unresponsive"}),  # curly apostrophe
        # injured
        ("头上有伤，满脸是血", {"injured"}),
        ("受傷了", {"injured"}),
        ("被车撞了", {"injured"}),
        ("his leg is broken", {"injured"}),
        ("frostbite on his fingers", {"injured"}),
        # ill
        ("一直在吐，喘不上气", {"ill"}),
        ("發燒", {"ill"}),
        ("冻得直哆嗦", {"ill"}),
        ("trouble breathing, having a seizure", {"ill"}),
        # mental
        ("精神不正常，一直自言自语", {"mental"}),
        ("神經病", {"mental"}),
        ("mentally ill man shouting", {"mental"}),
        # minor
        ("小姑娘在哭", {"minor"}),
        ("中学生模样", {"minor"}),
        ("a 12-year-old alone at the station", {"minor"}),
        ("underage girl", {"minor"}),
        # elderly
        ("大妈坐在路边", {"elderly"}),
        ("老爷子迷路了", {"elderly"}),
        ("八十多岁", {"elderly"}),
        ("an old guy on the bench", {"elderly"}),
        ("woman in her 70s", {"elderly"}),
        # disabled / immobile
        ("瘸子，腿有残疾", {"disabled"}),
        ("拄着拐杖", {"immobile"}),
        ("躺着不动，起不来", {"immobile", "unresponsive"}),  # lying still is both (session 26, tip_audit_followups19)
        ("起不来，坐着不动", {"immobile"}),  # sitting still is no sign of its own
        ("can't get up", {"immobile"}),
        ("坐轮椅的残疾人", {"disabled", "immobile"}),
        # no_id
        ("没带身份证，说不出自己叫什么", {"no_id"}),
        ("can't remember his name", {"no_id"}),
        # refuses
        ("劝不动，就是不走", {"refuses"}),
        ("doesn't want help", {"refuses"}),
        # domestic violence
        ("被家里人打出来的", {"domestic_violence"}),
        ("her husband beat her", {"domestic_violence"}),
        # migrant worker
        ("工地干活的，找不到活", {"migrant_worker"}),
        ("lost his job last week", {"migrant_worker"}),
        # robbed
        ("钱被偷光了", {"robbed"}),
        ("被搶", {"robbed"}),
        ("got mugged", {"robbed"}),
        # intoxicated
        ("喝大了，一身酒气", {"intoxicated"}),
        ("醉醺醺的", {"intoxicated"}),
        ("smells of booze, been drinking", {"intoxicated"}),
        # mixed language, full width
        ("一个old man躺在地上，ｄｒｕｎｋ", {"elderly", "intoxicated"}),
    ],
)
def test_field_phrasings(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "没有明显外伤",  # a filler between negation and cue
        "未见出血",
        "不像是喝醉了",  # the negation covers the overlapping cue 醉了 too
        "不是老人",
        "不昏迷，意识清醒",
        "no sign of injury",
        "doesn't seem drunk",
        "doesn’t look injured",
        "nobody is hurt",
        "没有人受伤",
        "没看到有人受伤",
        "he's not a child",
        "not an old man",
    ],
)
def test_negations_with_fillers(text: str) -> None:
    assert LEXICON.flags_in(text) == ()


def test_negation_does_not_reach_the_next_clause() -> None:
    assert LEXICON.flags_in("没有受伤，但是喝醉了") == ("intoxicated",)
    assert LEXICON.flags_in("not injured, but drunk") == ("intoxicated",)
    assert set(LEXICON.flags_in("老人没有受伤，但是叫不醒")) == {"unresponsive", "elderly"}
    assert "ill" in LEXICON.flags_in("不停地发抖")  # 不 + an unlisted word is no negation
    assert LEXICON.flags_in("no he is drunk") == ("intoxicated",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("精神状态不错，精神很好", set()),  # 精神 alone is no cue
        ("he has minor injuries on his hand", {"injured"}),  # "minor injuries" is not a minor
        ("一个大学生", set()),
        ("儿童公园门口有个老人", {"elderly"}),  # a place name is not a person
        ("near Harbin Children's Park", set()),
        ("mentally ill", {"mental"}),  # not also ill
        ("精神病人", {"mental"}),
        ("拒绝透露姓名", {"no_id"}),  # declining to give a name is no refusal to go
        ("sleeping next to the refuse bins", set()),
        ("被打劫了", {"robbed"}),  # not domestic violence
        ("30多岁的男子", set()),  # an age that is neither minor nor elderly
        ("流浪了多少年", set()),
        # what the reporter says about the scene or about themselves
        ("暖气井旁边有个人，井口一直在发热", set()),
        ("我是学生，路过看到桥下有人", set()),
        ("我在附近打工，下班路过看到一个人坐着", set()),
        ("I'll run over there, someone is sitting in the snow", set()),
        ("he turned down the street and sat by the vent", set()),
        ("traffic was held up, a man is sitting on the curb", set()),
        ("man in a pale blue jacket", set()),
        ("我都冻坏了，那个人还坐在外面", set()),
        ("他在发热，浑身没劲", {"ill"}),
    ],
)
def test_exceptions_and_specific_cues(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("婦女被丈夫毆打", {"domestic_violence"}),  # traditional: 被丈夫殴打
        ("被老公赶出来了", {"domestic_violence"}),
        ("he was kicked out by his family", {"domestic_violence"}),
        ("手机被人抢了", {"robbed"}),
        ("錢被人偷了", {"robbed"}),
        ("他不想進站", {"refuses"}),
        ("不肯跟我们走", {"refuses"}),
        ("he said leave me alone", {"refuses"}),
        ("他不肯跟人说话", set()),
        ("有人割腕了", {"injured", "mental"}),
        ("he's hearing voices", {"mental"}),
        ("he wants to jump off the bridge", {"mental"}),
        ("she slipped on ice and broke her leg", {"injured"}),
        ("he fell and hit his head", {"injured"}),
        ("他说胸口疼", {"ill"}),
        ("he isn't responding", {"unresponsive"}),
        ("can't be woken", {"unresponsive"}),
        ("没带任何证件", {"no_id"}),
        ("腿脚不利索", {"immobile"}),
        ("他喝了一斤白酒", {"intoxicated"}),
        ("老板不给工资", {"migrant_worker"}),
    ],
)
def test_other_ways_to_say_it(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("七十多岁的老人", {"elderly"}),
        ("他说他60岁了", {"elderly"}),
        ("an 80-year-old", {"elderly"}),
        ("aged 65", {"elderly"}),
        ("十五六岁", {"minor"}),
        ("16岁少年", {"minor"}),
        ("未满18周岁", {"minor"}),
        ("kid, 8 or 9 years old", {"minor"}),
        ("a 14 yo", {"minor"}),
        ("18岁", set()),
        ("59岁", set()),
        ("1990s", set()),
        # ages written other ways: 余岁, 旬, hundreds, 年龄, "七十几岁" is no teenager; English in words
        ("70余岁男子", {"elderly"}),
        ("年过七旬的男子", {"elderly"}),
        ("八旬男子", {"elderly"}),
        ("年近六旬的男子", set()),
        ("一百零二岁", {"elderly"}),
        ("一百岁的男子", {"elderly"}),
        ("七十几岁", {"elderly"}),
        ("二十几岁的男子", set()),
        ("十几岁", {"minor"}),
        ("年龄：70", {"elderly"}),
        ("年齡７２", {"elderly"}),
        ("花甲之年的男子", {"elderly"}),
        ("a seventeen-year-old", {"minor"}),
        ("aged sixty-five", {"elderly"}),
        ("man, age: 70", {"elderly"}),
        ("approx. 80 years of age", {"elderly"}),
        ("sixteen years old", {"minor"}),
        ("eighteen years old", set()),
        ("homeless for 3 years", set()),
        # the number right after the sex, as call notes write it; a count of minutes or metres is none
        ("Male, 76, lying on the sidewalk", {"elderly"}),
        ("old fella, 80ish, on the bench", {"elderly"}),
        ("woman approx 80 yrs at the bus shelter", {"elderly"}),
        ("girl (14) alone at the gate", {"minor"}),
        ("woman,65+ confused", {"elderly"}),
        ("一名男子，65，躺着", {"elderly"}),
        ("男，七十多。", {"elderly"}),
        ("a man, 20 minutes ago", set()),
        ("a woman 20 metres away", set()),
        ("男，1米7", set()),
        ("子女，3个", set()),
    ],
)
def test_stated_ages(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("两个人在桥下", 2),
        ("一家三口", 3),
        ("3名男子", 3),
        ("两个喝醉的大爷", 2),
        ("母子俩", 2),
        ("老两口", 2),
        ("3 people under the bridge", 3),
        ("two homeless men", 2),
        ("Ｔｗｏ ｍｅｎ", 2),
        ("an elderly couple", 2),
        ("a family of four", 4),
        ("one person", None),
        ("一个人", 1),
        ("a couple of hours ago a man", None),
        ("第一个人", None),
        ("十几个人", None),
        ("两个小时前看到一位老人", 1),
        ("没有两个人", None),
        # an age, a time or a temperature before a person noun is no head count
        ("3岁的孩子", None),
        ("年过七旬的男子", None),
        ("六七十岁的男子", None),
        ("20多岁的男子", None),
        ("两个20多岁的男子", 2),
        ("两位七十多岁的老人", 2),
        ("三天没吃饭的男子", None),
        ("15 year-old boys", None),
        ("3 hours ago two men", 2),
        # spoken 俩 (two) and 仨 (three) take no 个; 俩 after a kinship word is a pair
        ("俩老头在通道里睡", 2),
        ("仨人在烤火", 3),
        ("哥俩喝多了", 2),
        ("娘儿俩在候车室", 2),
        ("等了俩钟头了", None),
        ("仨月没发工资", None),
        # counts joined by "and" are one report of both (the largest count alone said 1 for an old man and a child)
        ("一个老大爷和一个小孩在公交站", 2),
        ("一个老大爷带着一个小孩", 2),
        ("两个老人和一个小孩", 3),
        ("一个老人、一个小孩", 2),
        ("一个大爷，旁边还有一个大爷", 2),
        ("two men and three kids", 5),
        ("两个人，一个男的一个女的", 2),  # the same two, told apart
        ("", None),
    ],
)
def test_persons_in_text(text: str, count: int | None) -> None:
    assert LEXICON.persons_in(text) == count


@pytest.mark.parametrize(
    ("spelling", "channel"),
    [("hotline", "hotline"), (" WeChat ", "wechat"), ("微信", "wechat"), ("Taxi Driver", "driver"), ("taxi-driver", "driver"),
     ("外卖骑手", "courier"), ("security_guard", "security"), ("环卫工人", "sanitation"), ("110", "transfer_110"),
     ("ＨＯＴＬＩＮＥ", "hotline"), ("pigeon", None), ("tiktok", None), ("fax", None), ("", None)],
)
def test_channel_spellings(spelling: str, channel: str | None) -> None:
    assert LEXICON.channel(spelling) == channel


def test_traditional_and_width_fold_alike() -> None:
    assert normalize_text("哈爾濱火車站 ＡＢＣ１２ don’t") == "哈尔滨火车站 abc12 don't"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # no breath, no pulse, no consciousness: the most urgent person there is (P1, medical)
        ("他已经停止呼吸了", {"unresponsive"}),
        ("呼吸停止，没有心跳", {"unresponsive"}),
        ("人不喘气了", {"unresponsive"}),
        ("摸不到脉搏", {"unresponsive"}),
        ("人快不行了", {"unresponsive"}),
        ("she's stopped breathing", {"unresponsive"}),
        ("the man is no longer breathing", {"unresponsive"}),
        ("he's barely breathing", {"unresponsive"}),
        ("he isn't conscious", {"unresponsive"}),
        ("he's not conscious", {"unresponsive"}),
        ("semi-conscious on the bench", {"unresponsive"}),
        ("drifting in and out of consciousness", {"unresponsive"}),
        ("has no pulse", {"unresponsive"}),
        ("I can't feel his pulse", {"unresponsive"}),
        ("he won't respond", {"unresponsive"}),
        # what a hypothermic person looks like
        ("有个人快冻死了", {"ill"}),
        ("冻得说不出话", {"ill"}),
        ("冻晕了", {"ill"}),
        ("脸色发青，身上冰凉", {"ill"}),
        ("his face is turning blue", {"ill"}),
        ("she is cold to the touch", {"ill"}),
        # bleeding said another way
        ("头上血流不止", {"injured"}),
        ("流了很多血", {"injured"}),
        # still what it was: the reporter's own cold, a person who breathes and is awake
        ("我快冻死了，桥下有个人", set()),
        ("他还有呼吸，意识清醒", set()),
        ("he is conscious and talking", set()),
    ],
)
def test_no_breath_no_pulse_and_hypothermia_are_read(text: str, expected: set[str]) -> None:
    """A tip saying the person stopped breathing or is freezing to death was guidance, P3."""
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("老人昏\u200b迷", {"unresponsive", "elderly"}),  # zero-width space, pasted from a chat app
        ("叫不\u200d醒", {"unresponsive"}),  # zero-width joiner
        ("He is uncon\u00adscious", {"unresponsive"}),  # soft hyphen
        ("bleed\u2060ing on the head", {"injured"}),  # word joiner
        ("流\u202e血", {"injured"}),  # right-to-left override
        ("\ufeff喝\u200c醉了", {"intoxicated"}),  # byte-order mark, zero-width non-joiner
        ("昏\ufe0f迷", {"unresponsive"}),  # variation selector
        ("昏\u0301迷", {"unresponsive"}),  # a stray combining mark
    ],
)
def test_invisible_characters_inside_a_cue_do_not_hide_it(text: str, expected: set[str]) -> None:
    """Characters that show nothing (format characters, stray combining marks) are no gap in a word:
    a zero-width space pasted into 昏迷 sent an unconscious person to the P3 queue."""
    assert set(LEXICON.flags_in(text)) == expected
    assert LEXICON.channel("HOT\u200bLINE") == "hotline"


def test_lexicon_sections_are_validated() -> None:
    with pytest.raises(ConfigError, match="unknown channel"):
        parse_lexicon({"flags": {}, "channels": {"pigeon": ["bird"]}}, "lex.toml")
    with pytest.raises(ConfigError, match="already names"):
        parse_lexicon({"flags": {}, "channels": {"driver": ["taxi"], "courier": ["Taxi"]}}, "lex.toml")
    with pytest.raises(ConfigError, match="whole number"):
        parse_lexicon({"flags": {}, "ages": {"minor_under": "18"}}, "lex.toml")
    with pytest.raises(ConfigError, match="unknown form value"):
        parse_lexicon({"flags": {}, "form_values": {"robot": ["r2"]}}, "lex.toml")
    with pytest.raises(ConfigError, match="already names"):
        parse_lexicon({"flags": {}, "form_values": {"male": ["m"], "female": ["M"]}}, "lex.toml")
    with pytest.raises(ConfigError, match="unknown key"):
        parse_lexicon({"flags": {}, "ages": {"adult_from": 18}}, "lex.toml")
    with pytest.raises(ConfigError, match="unknown flag"):
        parse_lexicon({"flags": {}, "except": {"sleepy": ["困"]}}, "lex.toml")


def test_a_tilde_skips_a_few_words_but_not_a_clause() -> None:
    lexicon = parse_lexicon({"flags": {"unresponsive": ["叫~不醒", "won't ~ wake*"]}})
    assert lexicon.flags_in("怎么叫都叫不醒") == ("unresponsive",)
    assert lexicon.flags_in("he won't even wake up") == ("unresponsive",)
    assert lexicon.flags_in("叫他，他睡着了，不醒") == ()


def test_description_sex_and_posture_from_text() -> None:
    from core.settings import DATA_DIR
    from rules.lexicon import load_lexicon

    lex = load_lexicon(DATA_DIR / "lexicon.toml")
    assert lex.description_in("A man lying on the ground in the park") == ("male", "lying", True)
    assert lex.description_in("一名女子在外面坐了很久") == ("female", "sitting", True)
    assert lex.description_in("地下通道里有一个人躺在地上") == (None, "lying", False)
    assert lex.description_in("那人喝多了，躺雪堆里了")[1] == "lying"
    assert lex.description_in("没有人躺在地上") == (None, None, False)  # negated
    assert lex.description_in("一个老大爷躺在地上，在外面坐了很久") == ("male", None, False)  # both postures: says nothing
    assert lex.description_in("An elderly man near the station")[2] is False  # not "a man": elderly
    # the everyday words for a man or a woman, and crouching or fallen, say it too
    assert lex.description_in("一个姑娘坐在长椅上哭")[:2] == ("female", "sitting")
    assert lex.description_in("一个老大娘，腿脚不好")[0] == "female"
    assert lex.description_in("Male, 76, on the sidewalk")[0] == "male"
    assert lex.description_in("woman got off at the last stop")[0] == "female"
    assert lex.description_in("仨孩子在网吧门口蹲着")[1] == "sitting"
    assert lex.description_in("醉汉倒在路边雪堆里")[1] == "lying"
    assert lex.description_in("a man and a woman on the bench")[0] is None  # both: says nothing


def test_cue_index_finds_what_a_scan_of_every_anchor_finds() -> None:
    """`CueGroups.spans` looks only under the text's own characters: the same spans as testing every anchor."""
    def scan(groups: CueGroups, norm: str) -> dict[str, list[tuple[int, int]]]:
        spans: dict[str, list[tuple[int, int]]] = {}
        for anchor, cues in groups.groups:
            if anchor in norm:
                for cue in cues:
                    for match in cue.pattern.finditer(norm):
                        spans.setdefault(cue.flag, []).append(match.span())
        return spans

    every_anchor = [anchor for groups in (LEXICON.cues, LEXICON.except_cues, LEXICON.describe_cues) for anchor, _ in groups.groups]
    texts = [*every_anchor, "，".join(every_anchor), "老人 cold", "a man lying on the bench, not moving, looks drunk", "", "x"]
    for text in texts:
        norm = normalize_text(text)
        for groups in (LEXICON.cues, LEXICON.except_cues, LEXICON.describe_cues):
            assert groups.spans(norm) == scan(groups, norm)


@pytest.mark.parametrize("cue", ["*", "~", " ~ ", "-", "'*"])
def test_a_cue_without_a_word_is_refused(cue: str) -> None:
    """A cue "*" matched every English word and "~" the start of every Chinese text: the flag was set on every tip."""
    with pytest.raises(ConfigError, match="holds no word"):
        parse_lexicon({"flags": {"ill": ["sick", cue]}}, "lex.toml")


@pytest.mark.parametrize("cue", ["，", ".", "(.*)+", "~，~", "！！"])
def test_a_cue_of_punctuation_only_is_refused_and_spellings_of_a_whole_value_may_be(cue: str) -> None:
    """A flag's cue "，" was taken: every tip with a comma was unresponsive (P1, medical). A cue looked for in a tip's text
    needs a letter or digit; a spelling of a whole form value ("?" for unknown) is no cue and is still taken."""
    with pytest.raises(ConfigError, match="holds no letter or digit"):
        parse_lexicon({"flags": {"unresponsive": ["昏迷", cue]}}, "lex.toml")
    assert parse_lexicon({"flags": {"unresponsive": ["昏迷"]}, "form_values": {"unknown": ["?", cue]}}, "lex.toml").unstated(cue)


def test_a_misspelt_table_or_key_is_refused_with_its_line(tmp_path: Path) -> None:
    """[negation] (for [negations]) or zh_filler (for zh_fillers) were ignored whole: their words silently did nothing;
    a lexicon of version 2 was read as version 1."""
    original = (DATA_DIR / "lexicon.toml").read_text(encoding="utf-8")
    for old, new, key in (("\n[negations]\n", "\n[negation]\n", "negation"), ("zh_fillers =", "zh_filler =", "zh_filler"),
                          ("version = 1", "version = 2", "version")):
        assert old in original
        text = original.replace(old, new, 1)
        path = tmp_path / "lexicon.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as refused:
            load_lexicon(path)
        assert str(refused.value).startswith(f"{path}:") and f"{key}: " in str(refused.value)
        assert refused.value.line is not None and new.strip() in text.splitlines()[refused.value.line - 1]


def test_ages_that_make_a_person_both_minor_and_elderly_are_refused() -> None:
    """elderly_from = 10 with minor_under = 18 was accepted: a 12-year-old was flagged minor and elderly."""
    with pytest.raises(ConfigError, match="elderly_from: must be at least minor_under"):
        parse_lexicon({"flags": {}, "ages": {"minor_under": 18, "elderly_from": 10}}, "lex.toml")
    assert parse_lexicon({"flags": {}, "ages": {"minor_under": 18, "elderly_from": 18}}).elderly_from == 18


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He's not only drunk, he is bleeding", {"intoxicated", "injured"}),
        ("not just drunk but injured", {"intoxicated", "injured"}),
        ("she is not only injured, she is drunk", {"intoxicated", "injured"}),
        ("not merely drunk, he is bleeding", {"intoxicated", "injured"}),
        ("不光喝醉了还受伤了", {"intoxicated", "injured"}),
        ("不仅喝醉了，还受伤了", {"intoxicated", "injured"}),
        ("不只喝醉了，头上还有伤", {"intoxicated", "injured"}),
        ("不仅是喝醉了，还受伤了", {"intoxicated", "injured"}),
        # still negations
        ("not drunk, not injured", set()),
        ("not only not drunk", set()),
        ("不仅没有受伤，也没喝醉", set()),
    ],
)
def test_not_only_is_no_negation(text: str, expected: set[str]) -> None:
    """"not only drunk" read "not" as a negation: a drunk, bleeding man lost intoxicated (one level of priority)."""
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("negations", "reason"),
    [
        ({"en": ["not"], "en_except": ["only"]}, "holds none of the"),  # no negation: excuses nothing
        ({"en": ["not"], "en_except": ["nothing only"]}, "holds none of the"),  # "not" only as part of a word
        ({"zh": ["不"], "zh_except": ["仅仅"]}, "holds none of the"),
        ({"en": ["not"], "en_except": ["不仅"]}, "is not English"),
        ({"zh": ["不"], "zh_except": ["not only"]}, "is not Chinese"),
        ({"en": ["not"], "en_except": "not only"}, "expected a list"),
        ({"en": ["not"], "en_except": ["~"]}, "holds no word"),
    ],
)
def test_negation_excepts_are_validated(negations: dict[str, object], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        parse_lexicon({"flags": {}, "negations": negations}, "lex.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "don't know if / not sure whether X": X is possible, and a team is told to check
        ("不知道有没有受伤", {"injured"}),
        ("不确定是不是喝醉了", {"intoxicated"}),
        ("不知道他有没有受伤", {"injured"}),
        ("不清楚有没有外伤", {"injured"}),
        ("说不准是不是喝多了", {"intoxicated"}),
        ("看不出有没有受伤", {"injured"}),
        ("不知道有无外伤", {"injured"}),
        ("i don't know if he is injured", {"injured"}),
        ("not sure whether she is hurt", {"injured"}),
        ("not sure if he's drunk", {"intoxicated"}),
        ("no idea whether he is injured", {"injured"}),
        # a plain negation still cancels, also next to an uncertainty
        ("没有受伤", set()),
        ("not injured", set()),
        ("他没有受伤，不知道是不是喝醉了", {"intoxicated"}),
        ("不知道他叫什么，没有受伤", set()),
        ("not sure where he lives, not injured", set()),
    ],
)
def test_uncertainty_sets_the_flag_in_both_languages(text: str, expected: set[str]) -> None:
    """"不知道有没有受伤" read 没有 as a negation (no flag) while "i don't know if he is injured" set injured:
    an uncertain injury is a possible injury, in either language."""
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an age said without 岁: "<number>(多/来/几)了" of 60 and over, or a number said of 他/她 or of how someone looks
        ("他六十多了", {"elderly"}),
        ("快七十了", {"elderly"}),
        ("他得有80了", {"elderly"}),
        ("看着有七十来岁", {"elderly"}),
        ("老头儿八十多了", {"elderly"}),
        ("一个男的，看着七十好几了，躺在地上", {"elderly"}),
        ("他七十多了还在外面捡瓶子", {"elderly"}),
        ("他八十多，腿脚不好", {"elderly", "immobile"}),
        ("快六十了", set()),  # not yet 60
        ("他才十五", {"minor"}),
        ("看着也就十五六", {"minor"}),
        # a group's age, as a teenager says it of friends: the reporter's 我们 holds the person
        ("他喝多了吐了，我们才十七", {"intoxicated", "ill", "minor"}),
        ("he won't wake up, we're all 16, please help", {"unresponsive", "minor"}),
        ("we're 2 streets away, he won't wake up", {"unresponsive"}),
        ("孩子十二三", {"minor"}),
        # times, temperatures, distances, counts, bus lines, money, house numbers: no age
        ("晚上十一点多了", set()),
        ("零下二十多度了", set()),
        ("零下二十多了，他还在外面", set()),
        ("六十多米", set()),
        ("等了七十多分钟", set()),
        ("18路车站", set()),
        ("八十多块钱", set()),
        ("3号楼", set()),
        ("二十多个人", set()),
        ("第六十中学", set()),
        ("都十二了还没人来", set()),  # midnight, or twelve of something: no minor without a person
        ("才十五", set()),  # fifteen of what? minutes, degrees indoors: no age without a person
        ("他等了七十多分钟了", set()),
        ("他说都11:30了", set()),
        ("他还没到六十", set()),
        ("不是七十多了", set()),  # negated
    ],
)
def test_ages_said_without_sui(text: str, expected: set[str]) -> None:
    """"他六十多了" (he's sixty-odd) set nothing: a P3 that is a P2 for an old man in the cold."""
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "no sign of X": not seeing an injury says there is none
        ("看不出受伤", set()),
        ("看不出他受伤", set()),
        ("看不出来受伤了", set()),
        ("看不到受伤", set()),
        ("看不到有血", set()),
        ("看不见伤口", set()),
        ("没看到他受伤", set()),
        ("没看到他身上有伤", set()),
        ("没看出受伤", set()),
        ("没看出来他有明显外伤", set()),
        ("没看见伤口", set()),
        ("没发现他流血", set()),
        ("未发现外伤", set()),
        ("不像受伤了", set()),
        ("不像是他受了伤", set()),
        ("一个老大爷，看不出受伤，喝醉了", {"elderly", "intoxicated"}),
        ("no visible injury", set()),
        ("no visible injuries", set()),
        ("doesn't look hurt", set()),
        ("no sign of injury", set()),
        ("I can't see any injuries", set()),
        ("I cannot see any injury on him", set()),
        ("couldn't see any blood", set()),
        ("didn't see any blood", set()),
        ("I don't see any wounds", set()),
        # real positives stay positive
        ("看不出来伤得多重", {"injured"}),  # can't tell HOW badly: he is hurt
        ("看不出他伤得重不重", {"injured"}),
        ("没看出来他伤得有多严重", {"injured"}),
        ("不像伤得很重", {"injured"}),  # not badly hurt is hurt
        ("没看到他，但有人说他受伤了", {"injured"}),
        ("看不到他的脸，头在流血", {"injured"}),
        ("看不出来是不是受伤了", {"injured"}),  # uncertainty: checked
        ("看不出有没有受伤", {"injured"}),
        ("不知道有没有受伤", {"injured"}),
        ("看不到有没有受伤", {"injured"}),
        ("看不清是不是在流血", {"injured"}),
        ("can't see if injured", {"injured"}),
        ("没看到他摔倒，腿受伤了", {"injured"}),
        ("I can't see how badly he is hurt", {"injured"}),
        ("I can't see him, someone says he is bleeding", {"injured"}),
        ("didn't see him get hurt but he is bleeding", {"injured"}),
        ("he can't stop bleeding", {"injured"}),
        # an age is said, not seen: "you'd never tell he is over seventy" is over seventy
        ("真看不出来他都七十多了", {"elderly"}),
        ("看不出他有七十多岁", {"elderly"}),
        ("不像七十多岁", set()),  # a plain negation of an age still cancels
    ],
)
def test_no_sign_of_an_injury_is_no_injury(text: str, expected: set[str]) -> None:
    """"看不出受伤" (no visible injury) set injured: 看不出/看不到/没看到/没发现 before a cue read as a
    sighting, not as the negation it is, while "看不出来伤得多重" (can't tell how badly) is an injury."""
    assert set(LEXICON.flags_in(text)) == expected


def test_unseen_negations_are_validated() -> None:
    """`zh_unseen`/`en_unseen` ("看不出", "can't see") are lists of words of their own language, like the negations."""
    for negations, reason in (({"zh_unseen": "看不出"}, "expected a list"), ({"zh_unseen": ["can't see"]}, "is not Chinese"),
                              ({"en_unseen": ["看不出"]}, "is not English")):
        with pytest.raises(ConfigError, match=reason):
            parse_lexicon({"flags": {}, "negations": negations}, "lex.toml")
    lexicon = parse_lexicon({"flags": {"injured": ["受伤"]}, "negations": {"zh_unseen": ["看不出"]},
                             "ages": {"elderly_from": 60}}, "lex.toml")
    assert lexicon.flags_in("看不出受伤") == ()
    assert lexicon.flags_in("看不出七十岁") == ("elderly",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 伤势 (the injury's condition) is only said of someone hurt, however badly or unclearly
        ("松花江大桥下面躺着一个人，伤势严重，赶紧来", {"injured"}),
        ("环卫工发现一个老大爷倒在路边，伤势不明", {"injured", "elderly"}),
        ("被车刮了一下，伤势不重，人还能说话", {"injured"}),
        ("天太黑了看不出伤势，人一直在哼哼", {"injured"}),  # cannot make it out: checked
        ("不清楚伤势怎么样，他不让碰", {"injured"}),
        ("a man at the bus stop, 伤势不明", {"injured"}),
        # none is seen, or the word is another
        ("没有明显伤势，就是喝多了", {"intoxicated"}),
        ("未见伤势，蹲在路口发抖", {"ill"}),
        ("他很伤心，一直在哭", set()),
        ("雪势很大，路边有人", set()),
    ],
)
def test_the_condition_of_an_injury_is_an_injury(text: str, expected: set[str]) -> None:
    """"伤势严重" / "伤势不明" (the injury serious / unclear) set no flag: a person reported badly hurt got no
    medical category unless the text also said 受伤 or 流血."""
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A hypothetical or a warning states nothing yet; an "if" of not knowing whether is a possible state.
        ("要是喝了酒睡过去就麻烦了，现在人还醒着", set()),
        ("if he falls asleep out there he won't wake up, he's nodding off", set()),
        ("not sure if he's drunk, he's swaying", {"intoxicated"}),
        ("looks as if he's drunk", {"intoxicated"}),
        ("我怕他一会儿冻伤了，现在还行", set()),
        # A person gone is not there; who they were stays when no one new follows.
        ("120已经把那个昏迷的拉走了，还剩一个老太太在那坐着哭", {"elderly"}),
        ("刚才说的那个醉汉已经自己走了，不用来了", set()),
        ("刚才那个大爷已经送救助站了", {"elderly"}),
        ("the old lady got a taxi home. but there's still a fella lying by the bins who won't wake up", {"unresponsive"}),
        # A correction that opens a clause takes back the clause before it (past a filler); 不对劲 is no correction.
        ("喝多了，不对不对，他说他没喝酒，是低血糖", {"ill"}),
        ("he's bleeding, well, actually no, it's just red paint", set()),
        ("他看着不对劲，一直发抖", {"ill"}),
        # A relative's own state is not the person's; what the relative does to the person is.
        ("说她爸喝了酒打她，她就跑出来了", {"domestic_violence"}),
        ("his dad was hit by a car", {"injured"}),
        # A partner form's fields: answered no, answered yes.
        ("饮酒:否 外伤:否 意识:清醒 是否愿意入站:否", {"refuses"}),
        ("状态:躺地 意识:无 身份证:无 饮酒:是", {"unresponsive", "no_id", "intoxicated"}),
        ("sex=F; injuries=no; intoxicated: none", set()),
        # A question is no denial.
        ("路边躺着个人，是不是喝多了？", {"intoxicated"}),
        ("也没喝酒，就是冷", set()),
    ],
)
def test_what_is_not_said_of_the_person_there_now(text: str, expected: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) == expected


@pytest.mark.parametrize(
    ("text", "sex", "posture", "adult"),
    [
        ("看见一个男的，不对，是个女的，坐在台阶上", "female", "sitting", False),
        ("He's about 30, wait, no, younger, maybe 15 at most", "male", None, False),
        ("跟家里男人打架跑出来的", None, None, False),
        ("beaten by her husband", "female", None, False),
        ("his girlfriend is still there, she's drunk", "female", None, False),
        ("性别=男 年龄:50左右", "male", None, True),
        ("sex: F | age: ~45", "female", None, True),
    ],
)
def test_descriptions_after_corrections_relatives_and_forms(text: str, sex: str | None, posture: str | None, adult: bool) -> None:
    assert LEXICON.description_in(text) == (sex, posture, adult)


@pytest.mark.parametrize(
    ("text", "count"),
    [("two blokes and a lass, all wasted", 3), ("哥仨都是工地上的", 3), ("【线索】人数：2 类型：醉酒", 2),
     # persons listed one by one are counted when joined (session 21); one said alone, or said twice, is no count
     ("a man and a woman", 2), ("an old man and a young woman sitting together", 2), ("a man, a woman and a small boy", 3),
     ("a mother and two little kids", 3), ("A teenager by the road, a runaway teen, a migrant worker.", None),
     ("a drunk man lying on the bench and an old woman next to him", None),
     ("three or four teenagers under the bridge", 3), ("a couple of drunk dudes", 2), ("a couple of minutes ago a man fell", None),
     ("一男两女在江边坐着", 3), ("兄妹俩在车站", 2), ("爷孙俩在超市门口", 2),
     ("one guy lying by the door, another guy sitting next to him, both drunk", 2)],
)
def test_more_head_counts(text: str, count: int | None) -> None:
    assert LEXICON.persons_in(text) == count


@pytest.mark.parametrize(
    ("table", "reason"),
    [({"unsaid": {"conditional": ["if"], "gone": ["gone now"], "corrected": ["不对"], "who": ["old"]}}, "who"),
     ({"kin": {"words": ["她爸"], "until": ["她"], "keep": "domestic_violence"}}, "keep"),
     ({"kin": {"words": ["她爸"]}}, "until"),
     ({"unsaid": {"conditional": ["if"], "gone": ["gone now"], "corrected": ["不对"], "later": ["x"]}}, "unknown key")],
)
def test_unsaid_and_kin_tables_are_validated(table: dict[str, object], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        parse_lexicon({"flags": {"injured": ["hurt"]}, **table})


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("一个男的躺在地上，一个女的坐在旁边", 2),  # each said in a state: two
        ("一个老太太坐在台阶上，一个大爷在旁边站着", 2),
        ("有个大爷昏迷了，一个小伙子也喝多了", 2),
        ("一个大爷躺着，一个小伙子扶着他", 1),  # the helper is in no state
        ("一个男的躺地上，旁边一个女的在打电话报警", 1),  # nor is the caller
        ("有个大爷躺着，一个大妈在边上哭", 1),  # 大妈 says her age, not her state
        ("昨天晚上这儿有个醉汉冻死了，今天又看见一个大爷在这坐着", 1),  # an earlier night's man
    ],
)
def test_persons_said_one_by_one_count_when_each_is_in_a_state(text: str, count: int) -> None:
    assert LEXICON.persons_in(text) == count


def test_readings_from_the_per_text_memo_are_the_readings_of_a_fresh_one() -> None:
    """A text's folding and spans are worked out once per text and shared by its flags, description and head count
    (`rules.lexicon._per_text`): read with the memo emptied before every reading, right after, or again after hundreds
    of other texts have filled and emptied it, each text reads alike; the memo never outgrows its bound."""
    from rules.lexicon import _MEMO_SIZE

    texts = [
        "东站北口 男 60+ 躺 不动",  # the spaced reading (join=False) differs from the joined one
        "说她爸喝了酒打她，她就跑出来了",  # kin
        "看见一个男的，不对，是个女的，坐在台阶上",  # a correction
        "我刚下班喝了点酒，路上看见一个小女孩自己在哭",  # the reporter's own
        "昨晚这儿有个醉汉冻死了，今天又看见一个大爷躺着",  # an earlier night
        "刚才报的那个大爷，他家里人已经来接走了",  # gone
        "一个男的喝醉了，一个女的在流血",  # persons one by one: parts read apart
        "you ge lao tou tang zai di shang, jiao bu xing",  # pinyin
        "Two men, one drunk, one about 70, lying by the bridge",
    ]

    def read(text: str, cold: bool) -> tuple[object, ...]:
        out = []
        for reading in (lambda: LEXICON.flags_in(text, 2026), lambda: LEXICON.description_in(text, 2026),
                        lambda: LEXICON.persons_in(text)):
            if cold:
                LEXICON._memo.clear()
            out.append(reading())
        return tuple(out)

    cold = [read(text, cold=True) for text in texts]
    assert cold[0][0] == ("elderly", "immobile") and cold[2][1][:2] == ("female", "sitting") and cold[6][2] == 2
    assert [read(text, cold=False) for text in texts] == cold
    assert [read(text, cold=False) for text in texts] == cold  # from the memo
    for n in range(300):
        LEXICON.flags_in(f"第{n}个人躺在桥下 {n} years old")
        assert len(LEXICON._memo) <= _MEMO_SIZE
    assert [read(text, cold=False) for text in reversed(texts)] == cold[::-1]


@pytest.mark.parametrize(("text", "persons"), [
    ("爷爷领着孙女在长椅上坐着", 2), ("小孩跟着他爸在地下通道里过夜", 2), ("小孩发高烧，他妈抱着在路边", 2),
    ("a mom and her 5 yo outside the mall", 2), ("two kids and their grandpa in the underpass", 3),
])
def test_a_child_with_its_grown_up_is_counted(text: str, persons: int) -> None:
    assert LEXICON.persons_in(text) == persons


@pytest.mark.parametrize(("text", "flags"), [
    ("lady about 70 fell on the ice", {"elderly"}), ("a boy maybe 12 crying at the gate", {"minor"}),
    ("a man about 20 metres away is lying there", set()), ("a guy about 10 minutes ago fell over", set()),
])
def test_a_hedged_english_age_before_what_the_person_does(text: str, flags: set[str]) -> None:
    assert set(LEXICON.flags_in(text)) & {"elderly", "minor"} == flags


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # short English typos (four letters), and of words as near, the one that is a cue by itself
        ("drnk guy lying in the snow", ("intoxicated",)), ("hrut bad, blod on her face", ("injured",)),
        # how old someone looks said with 的样子; a time or a distance so said is no age
        ("姐妹俩都是十六七的样子", ("minor",)), ("三点的样子看见的", ()), ("走了二十米的样子", ()),
        # an earlier report or first guess corrected by what someone says it is
        ("开始以为喝醉了，他家属说是癫痫犯了", ("ill",)), ("第一个电话说男的喝醉了，第二个电话说他是头上流血了，不是喝醉", ("injured",)),
        # families read as holding a child
        ("一家三口在火车站外面", ("minor",)), ("爷孙俩在超市门口", ("minor",)),
    ],
)
def test_session21_flags(text: str, flags: tuple[str, ...]) -> None:
    assert LEXICON.flags_in(text) == flags


@pytest.mark.parametrize(
    ("text", "sex", "posture", "adult"),
    [
        ("車站門口有個小朋友一個人坐著", None, "sitting", False),  # traditional 著 after a verb is 着
        ("他很著名", None, None, False),
        ("刚才打过电话说是个大爷，现在走近看了，不是大爷，是个大妈", "female", None, False),
        ("not a runaway, she's 19", "female", None, True), ("he's 2 blocks away", "male", None, False),
        ("老娘们儿让她家老爷们儿给削了", "female", None, False), ("man face down in the snow", "male", "lying", False),
    ],
)
def test_session21_descriptions(text: str, sex: str | None, posture: str | None, adult: bool) -> None:
    assert LEXICON.description_in(text) == (sex, posture, adult)


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        # an animal's state is no person's, up to the first person named after it; a person's dog leaves it the person's
        ("桥洞里有只狗冻得直哆嗦，没有人", ()), ("a dog lying in the snow, not moving", ()),
        ("有只狗在叫，旁边一个大爷躺着叫不醒", ("unresponsive", "elderly")),
        ("大爷带着条狗，冻得直哆嗦", ("ill", "elderly")),
        ("a cat by the door and a man bleeding from the head", ("injured",)),
        # the reporter's help names the person (我给老太太买了豆浆); the person's own 我 after a relative (打我)
        ("我给老太太买了杯豆浆", ("elderly",)), ("我刚下班喝了点酒，路边有个人躺着", ()),
        # a tip naming nobody but the caller is the caller's own call for help (audit 9): their state is the person's
        ("我刚下班喝了点酒", ("intoxicated",)),
        ("她说老公喝了酒就打我", ("domestic_violence",)),
        # a lone 一个人 item in a child's note is no flag by itself; moving a little is moving
        ("she's not moving much", ()), ("she's not moving", ("unresponsive",)),
    ],
)
def test_session22_flags(text: str, flags: tuple[str, ...]) -> None:
    assert LEXICON.flags_in(text) == flags


@pytest.mark.parametrize(
    ("text", "company"),
    [("半夜两点，小孩，一个人，在哭", "alone"), ("小孩和一个人在路边", None), ("有一个人抱着孩子", "accompanied"),
     ("有个孩子，旁边有一个人在打电话", None)],
)
def test_a_lone_one_person_item_says_a_child_is_alone(text: str, company: str | None) -> None:
    assert LEXICON.company_in(text) == company


@pytest.mark.parametrize(
    ("text", "adult"),
    # a note's age field followed by its next field after a space; a unit after the space is no age
    [("环卫 东大直街 男 约50 躺 叫不醒", True), ("男 20 分钟前 躺着", False), ("女 30 米外 坐着", False)],
)
def test_a_spaced_note_states_an_age_before_its_next_field(text: str, adult: bool) -> None:
    assert LEXICON.description_in(text)[2] is adult
