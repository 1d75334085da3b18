"""Flags from free text: a bilingual cue lexicon kept as data.

Call-takers do not always tick the form; the words of the tip then decide.
Text and cues are folded alike (full width, case, traditional characters,
curly apostrophes: `core.textfold`). Chinese cues match anywhere in the
text, English cues match whole words (a trailing `*` matches any ending, a
`~` stands for a few words or characters in between). A negation right
before a cue, with at most a few filler words ("not injured", "没有受伤",
"没有明显外伤", "no sign of injury"), cancels it, unless that negation lies
inside one of the `[negations]` `zh_except`/`en_except` phrases ("not only
drunk", "不光喝醉了"); a cue inside one of its flag's `[except]` phrases
("minor injuries", "大学生") does not count. Not seeing it (`zh_unseen`,
`en_unseen`: "看不出受伤", "I can't see any injuries") cancels a cue too, but
not a stated age: "真看不出来他都七十多了" says he is over seventy.
Stated ages set `minor` and `elderly` by the `[ages]` thresholds, and the
lexicon also reads how many persons a tip is about and the spellings of
channel names.

Speech and shorthand: the spoken 儿 (没气儿了), emoji and "can not" are folded
in cues and text alike; 的 stands for a cue's inner 得 (冻的直哆嗦); spaces
between Chinese characters part no word (叫 不醒); `[dialect]` words are read
as the standard ones (Cantonese 唔醒, 冇); `[homophones]` reads a state cue
under same-sounding characters (婚迷, `rules.homophones`); a lone 男, 女 or 躺
field of a note is its sex or posture; and `[past]` leaves out an earlier
night's other person told before tonight's. `[unsaid]` leaves out a hypothetical
(要是喝了酒睡过去, "if he falls asleep"), a person already gone (but who they
were) and what a correction takes back (一个男的，不对，是个女的); `[kin]` what
is said of a relative (说她爸喝了酒打她); a partner form's fields answered no
are read as negations (外伤:否, injuries=no).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from core.errors import ConfigError
from core.records import AGE_GROUPS, CHANNELS, FLAGS, SEXES
from core.textfold import fold
from core.tomlconfig import parse_toml, read_text
from rules.body_temperature import BodyTemperature
from rules.dialogue import Dialogue
from rules.homophones import Homophones
from rules.pinyin_text import PinyinReader
from rules.typos import TypoReader

_CJK = re.compile(r"[\u3400-\u9fff]")
_HANGUL = "\uac00-\ud7a3"
# How many syllables of a Korean verb's stem may lie between a cue and a negation after it ("술에 취" + "하지 않").
_KO_STEM_SYLLABLES = 2
# What a `~` in a cue may skip: a few characters of one clause (Chinese) or a
# few words (English), never across punctuation.
_GAP_ZH = r"[^\s，。！？、；：,.!?;:]{0,4}?"
_GAP_EN = r"(?:[\s\-]+[a-z0-9']+){0,3}?[\s\-]+"
_WORD_SPLIT = re.compile(r"[\s\-]+")
# How far before a cue a negation is looked for (characters of folded text).
_NEGATION_WINDOW = 40

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "仨": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
               "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2, "a pair of": 2,
               # Russian, as Harbin's visitors write a count ("два мужика", "трое детей")
               "два": 2, "две": 2, "двое": 2, "три": 3, "трое": 3, "четыре": 4, "четверо": 4}
_EN_DECADES = {"teens": 15, "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60, "seventies": 70,
               "eighties": 80, "nineties": 90}
# The characters a Chinese number is written with; with \d, a lookaround's class (not part of a longer number)
_ZH_NUM_WORDS = "零〇一二两三四五六七八九十百几"
_ZH_NUM = rf"\d{{1,3}}|[{_ZH_NUM_WORDS}]{{1,5}}"
# The classical words for an age (半百 fifty, 而立 thirty, 花甲 sixty, 古稀 seventy, 耄耋 eighty and more): "年过半百" is over fifty.
_ZH_CLASSICAL_AGES = {"而立": 30, "不惑": 40, "半百": 50, "知天命": 50, "花甲": 60, "耳顺": 60, "古稀": 70, "耄耋": 80, "期颐": 100}
_ZH_CLASSICAL = "|".join(_ZH_CLASSICAL_AGES)
# English ages in words: "seventeen", "sixty-five", "eighty".
_EN_UNIT_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
                  "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_EN_TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_WORD_NUM = (rf"(?:{'|'.join(_EN_TENS_WORDS)})(?:[\s\-]?(?:{'|'.join(_EN_UNIT_WORDS[:9])}))?"
                rf"|{'|'.join(sorted(_EN_UNIT_WORDS, key=len, reverse=True))}")
_EN_AGE_NUM = rf"\d{{1,3}}|{_EN_WORD_NUM}"
# What a number with one of these after it counts is no age: "about 20 metres away", "maybe 10 minutes ago".
_EN_UNITS = (r"(?:m|km|metres?|meters?|yards?|yds?|feet|foot|ft|miles?|blocks?|steps?|min|mins|minutes?|secs?|seconds?|hours?|hrs?|"
             r"days?|nights?|weeks?|months?|degrees?|deg|c|people|persons|of|or|to|-)")
# "七十多岁", "80岁", "70余岁", "十五六岁", "未满18周岁", "年过七旬", "年龄：70"; "80-year-old", "a sixty-five-year-old",
# "aged 80", "age: 70", "80 years of age", "in his 70s", "under 18 years old"; and as call notes put it, the number
# right after the sex: "Male, 76,", "old man, 80ish,", "woman approx 80 yrs", "男，76，", "一名女子，七十多。" (the number ends
# the note's item or is followed by years: "a man, 20 minutes ago" and "a woman 20 metres away" are no age).
_AGE = re.compile(
    rf"(?P<zpre>不到|未满|不满|不足|小于|低于|没满|年近|将近|接近)?(?<![\d{_ZH_NUM_WORDS}])"
    rf"(?:(?P<znum>{_ZH_NUM})(?:多|来|余)?(?:周)?[岁歳]|(?P<zxun>[一二三四五六七八九])旬)"
    # an age said without 岁 before the person it describes: "五十出头的大哥", "六十多的老头", "三十来的女的"
    rf"|(?<![\d{_ZH_NUM_WORDS}第])(?P<zpers>{_ZH_NUM})(?:多|来|出头|好几|大几)的(?=大哥|大姐|大叔|大爷|大妈|大娘|男|女|老|小伙|汉子|妇女|阿姨|人)"
    # a written age without 岁 ("年近七十的阿姨", "年过六十"; with 岁 or 旬 the alternatives above read it)
    rf"|(?P<zyr>年近|年过|年逾|年届|年满|年已)(?P<zyrnum>{_ZH_NUM}|{_ZH_CLASSICAL})(?![\d{_ZH_NUM_WORDS}])(?!(?:多|来|余)?(?:周)?岁|旬)"
    # nearing an age, said 奔 (奔七十的人, 奔七了, 奔六; the bare tens digit is the decade): just below it
    rf"|奔(?P<zben>[二三四五六七八九]十|[2-9]0|[三四五六七八九])(?=的|了|岁|啦|$|[，,。；;\s])"
    # a classical age word said as the person's years ("半百之年的男子", "花甲之年"; after 年过 the alternative above reads it)
    rf"|(?P<zcls>{_ZH_CLASSICAL})之年"
    # the number said with its classical word ("三十而立的小伙子", "四十不惑", "七十古稀"): the number is the age
    rf"|(?<![\d{_ZH_NUM_WORDS}])(?P<zncls>{_ZH_NUM})(?={_ZH_CLASSICAL})"
    rf"|(?:年龄|年纪)\s*[:：]?\s*(?:约|大约|大概|在)?\s*(?P<zage>{_ZH_NUM})(?![\d{_ZH_NUM_WORDS}])"
    rf"|(?<![a-z0-9])(?P<epre>under|below|younger than|less than)?\s*(?P<enum>{_EN_AGE_NUM})[\s\-]*(?:years?|yrs?)[\s\-]*"
    r"(?:old|of\s+age)(?![a-z])"
    r"|(?<![a-z0-9])(?P<enum2>\d{1,3})\s*(?:yo|y/o|y\.o\.)(?![a-z])"
    rf"|(?<![a-z])aged?\s*[:=]?\s*(?:about\s+|around\s+|approx\.?\s+|~\s*)?(?P<enum3>{_EN_AGE_NUM})(?![\da-z])"
    # an age bounded or said loosely of the person: "no older than 13", "he's like 14", "maybe 15 at most", "maybe 16 or 17?"
    r"|(?<![a-z])no[t]?\s+older\s+than\s+(?P<enum5>\d{1,2})(?![\da-z])"
    # and of a group that holds the person, as a teenager says it of friends ("we're all 16", "they're both 15")
    # and of a kin said as the caller's, his or hers ("my dad is 78", "her son's 12", "her son is 12 and he ran away")
    r"|(?<![a-z])(?:he's|she's|he\s+is|she\s+is|i'm|i\s+am|(?:we're|we\s+are|they're|they\s+are)(?:\s+(?:all|both))?"
    r"|(?:my|his|her|our)\s+(?:dad|father|mom|mum|mother|grandpa|grandad|granddad|grandma|grandmother|grandfather|granny|"
    r"husband|wife|son|daughter|brother|sister|uncle|aunt|nan)(?:'s|\s+is))"
    r"\s+(?:(?:like|about|around|maybe|only|just|barely|probably)\s+)?(?P<enum6>\d{1,2})(?:-?ish)?"
    # or run on into the next clause ("I'm 17 and my dad kicked me out", "he's 80 but can't walk"): said of the person,
    # the number is the age (a bus, a clock or a count has no such subject: "took the 17 and got off")
    r"(?=\s*(?:$|[,.;:!?)]|or\s|at\s+most|tops|(?:and|&)\s+\d{1,2}\s*(?:$|[,.;:!?)])|(?:and|but)\s+[a-z]))"
    r"|(?<![a-z])(?:maybe|about|around|like|probably)\s+(?P<enum7>\d{1,2})\s+(?:at\s+most|tops|(?:or|and)\s+\d{1,2}(?=\s*(?:$|[,.;:!?)])))"
    r"|(?<![a-z0-9])(?P<edec2>[1-9])0'?s(?![a-z0-9])"
    # a decade said loosely of the person, hedged or as a note's item, without "in his": "maybe late fifties", ", early 40s"
    r"|(?:(?<=,\s)|(?<=,)|(?<![a-z])(?:maybe|about|around|probably|prob|roughly|possibly|perhaps)\s+)(?:early|mid|late)[\s\-]*(?:(?P<edec3>[1-9])0'?s|(?P<eword2>teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties))(?![a-z])"
    # how old the person looks: "woman looks about 50,", "he looks like 70", "looking maybe 16-ish"
    r"|(?<![a-z])(?:looks?|looking|seems?)\s+(?:(?:about|around|like|maybe|roughly|approx\.?|approximately)\s+)?(?P<enum11>\d{1,2})(?:-?ish)?"
    r"(?=\s*(?:$|[,.;:!?)]|or\s|years?\b|yrs?\b))"
    r"|(?<![a-z])in\s+(?:his|her|their)\s+(?:(?:early|mid|late)[\s\-]*)?(?:(?P<edec>\d)0'?s|(?P<eword>teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties))(?![a-z])"
    r"|(?<![a-z])(?:male|female|man|woman|boy|girl|lady|guy|gent|fella|fellow)\s*[,(:/]?\s*"
    r"(?:(?:about|around|approx\.?|approximately|maybe|roughly|prob|probably)\s+|~\s*)?(?P<enum4>\d{1,3})"
    r"(?:\+|(?:-?ish)?(?:\s*(?:yrs?|years?)(?![a-z])|(?=\s*(?:$|[,.;:)!?]))))"
    # hedged ("about", "around") and followed by what the person does: "lady about 70 fell on the ice" (a unit after the
    # number is a distance, a time or a count: "a man about 20 metres away", "a guy about 10 minutes ago")
    # an English work order's one-letter sex field with the age after it: "M ~60, ETOH", "F 75," (the letter opens the
    # note or follows a field's punctuation, so "200 m, 30 people" is no age)
    r"|(?:^|(?<=[:,;/|(]\s)|(?<=[:,;/|(]))[mf]\s*[,/]?\s*(?:~\s*)?(?P<enum9>\d{1,3})(?=\s*(?:$|[,.;:)!?]))"
    # Russian, as Harbin's visitors write a person's age after the person: "Мужчина, около 70 лет", "бабушка лет 80", "ему 75"
    r"|(?<![а-яё])(?:мужчина|женщина|мужик|старик|старушка|бабушка|дедушка|парень|девушка|мальчик|девочка|ребёнок|ребенок|"
    r"подросток|ему|ей)\s*,?\s*(?:(?:около|примерно|где-то|лет)\s*)?(?P<enum10>\d{1,3})(?:\s*(?:лет|года|год))?(?![\dа-яё])"
    r"|(?<![a-z])(?:man|woman|boy|girl|lady|guy|gent|fella|fellow)\s+(?:about|around|approx\.?|approximately|roughly|maybe)\s+"
    rf"(?P<enum8>\d{{1,3}})(?=\s+(?!{_EN_UNITS}(?![a-z]))[a-z])"
    rf"|(?:(?<![\u4e00-\u9fff])|(?<=[名个位]))[男女](?:的|子|性)?(?:\s*[，,:：]\s*|\s+)(?:约莫|大约|大概|估计|约)?(?P<zsex>{_ZH_NUM})"
    r"(?:(?:多|来|余)?(?=\s*(?:$|[，,。；;:：）)]))|\+"
    # or the note's next field after a space ("男 约50 躺 叫不醒"), not a unit ("男的 20 分钟前", "20 米")
    r"|(?:多|来|余)?(?=\s+(?!(?:多|来|余)?\s*(?:周岁|岁|度|°|点|时|小时|分|秒|号|楼|层|米|公里|年|月|日|天|元|块|个|名|位|路|斤|公斤|[a-z]))))"
)

# Ages said without 岁 (Chinese speech): "他六十多了", "快七十了", "得有80了", "七十好几了" (a number of years
# followed by 了) count from elderly_from only: below it "都十二了" is as likely a time and "零下十五了" a
# temperature. A number said of 他/她 or of how someone looks ("他才十五", "看着也就十五六", "他八十多，")
# is any age. Either must end the clause (or be followed by 了 or a particle): "十一点多了", "二十多度了",
# "六十多米", "七十多分钟", "八十多块钱", "二十多个人" go on with a unit; a number after 第, 零下, 负, a digit,
# ":" or "." (a rank, a temperature, a clock time, a decimal) is none.
_ZH_MORE = r"(?:多|来|好几|大几|几|出头)?"
_ZH_CLAUSE_END = r"(?=$|[\s，。！？、；：,.!?;:…~）)]|[吧啊呢呀吗还也都])"
_ZH_NOT_AFTER = rf"(?<![\d{_ZH_NUM_WORDS}第负下\-+.:/])"
# 们 (我们, 他们): of a group that holds the person, as a teenager says it of friends ("我们才十七")
_ZH_SAID_OF = "们|他|她|看着|看上去|看起来|看样子|瞅着"
_ZH_BELOW = "快|将近|接近|不到"  # not yet that age
_ZH_ABOUT = "才|也就|就|顶多|最多|大概|大约|估计|好像|像|今年|得有|也有|少说也有|有|快|都|已经|差不多|将近|接近|起码|至少|也"
_BARE_AGE = re.compile(
    # (a transcript runs on after 了 with no comma: "我妈八十多了在家冻得不行"; a unit comes before 了, never after it)
    rf"(?P<bpre>{_ZH_BELOW})?{_ZH_NOT_AFTER}(?P<bnum>{_ZH_NUM}){_ZH_MORE}了"
    rf"|(?:{_ZH_SAID_OF})(?P<sabout>(?:{_ZH_ABOUT}){{0,3}}){_ZH_NOT_AFTER}(?P<snum>{_ZH_NUM}){_ZH_MORE}了?{_ZH_CLAUSE_END}"
    # how old someone looks, said with 的样子 ("都是十六七的样子"; "三点的样子", "十米的样子" have a unit before 的)
    rf"|{_ZH_NOT_AFTER}(?P<lnum>{_ZH_NUM}){_ZH_MORE}(?:岁)?的样子"
)
_BELOW = re.compile(_ZH_BELOW)
# A birth decade said as a generation ("80后", "95后", "10后": born from 1980, 1995, 2010, over ten or five years) or a
# year of birth ("1949年出生", "1949年生人", "born in 1949"): an age only against the year the tip was made.
_GENERATION = re.compile(r"(?<![\d.\-:/])(?P<gen>[0-9][05])后(?![面边头来天期续半方])")
_BIRTH_YEAR = re.compile(r"(?<!\d)(?P<born>19\d\d|20\d\d)\s*年?\s*(?:出生|生人|生的|年生)|(?<![a-z])born\s+(?:in\s+)?(?P<born2>19\d\d|20\d\d)(?!\d)")

# Only text with a digit, 岁 or a decade word can state an age; only text
# with a number word, a pair word, a list of persons ("a man and a woman") or the caller and a relative ("我和我弟")
# can state a head count.
_PERSONS_HINT = re.compile(r"[\d一二两三四五六七八九十俩仨对]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple|pair|both|family"
                           r"|and an? |, an? |and (?:their|his|her) |me and my|我和我|我跟我|我同我|два|две|двое|три|трое|четыр|четвер")
# What joins two counted groups of people into one report of both: 一个大爷和一个小孩, 两个老人带着一个孩子, 一个老人、一个
# 小孩, 一个大爷，旁边还有一个大爷, two men and three kids. Anything else between two counts (a comma alone, a clause)
# leaves them apart: 两个人，一个男的一个女的 is two.
_PERSONS_AND = re.compile(r"[\s,，]*(?:(?:旁边|身边|边上|另外)?(?:和|跟|与|同|及|以及|还有|带着|带|领着|抱着)|and|with|plus|&)\s*|\s*、\s*")
# A child carried, led or pushed by the person ("抱着孩子的妇女", "领着个小孩", "带着个三岁的孩子", "a woman with a baby"):
# two persons, and the child accompanied.
# Children counted right after a grown-up's carrying verb or "with her/his/their" ("带着两个孩子", "a woman … with her two
# kids"): the grown-up is one more.
_CARRIED = re.compile(r"(?:抱着|背着|领着|牵着|带着|\bwith (?:her|his|their) )$")
_WITH_CHILD = re.compile(r"(?:抱着|背着|领着|牵着|带着|推着)(?:一个|个)?(?:[^\s，。！？、；：,.!?;:的]{1,5}的)?小?(?:孩子|小孩|婴儿|娃|宝宝|小朋友|孙子|孙女|外孙|婴儿车|童车)"
                         # a child with its parent or grandparent: "小孩跟着他爸", "他妈抱着" (the child said before)
                         r"|(?:孩子|小孩|娃|男孩|女孩)跟着(?:他|她)?(?:爸|妈|爷爷|奶奶|姥姥|姥爷|家长)"
                         r"|(?:孩子|小孩|娃|宝宝|婴儿)[^。！？.!?]{0,8}(?:他|她)?(?:妈妈?|爸爸?|奶奶|爷爷|姥姥)(?:抱着|背着)"
                         # a parent named with their child (我姐和她闺女, 大哥跟他儿子)
                         r"|(?:和|跟|同)(?:她|他)的?(?:闺女|女儿|儿子|孩子|小孩|孙子|孙女)"
                         r"|(?<![a-z])(?:mom|mum|mother|dad|father|grandpa|grandma)\s+and\s+(?:her|his|their)\s+"
                         r"(?:\d{1,2}\s*(?:yo|y/o|year old|yr old)|baby|infant|toddler|child|kid|son|daughter|little one)(?![a-z])"
                         r"|(?<![a-z])(?:with|carrying|holding)\s+(?:a|an|her|his|their)\s+(?:baby|infant|toddler|child|kid|newborn"
                         r"|(?:little|small|young)\s+(?:boy|girl|son|daughter|one|kid|child))(?![a-z])"
                         # Russian "женщина с ребёнком" (a woman with a child)
                         r"|(?<![а-яё])со?\s+(?:ребён|ребен|малыш|сыном|дочк)")
# One person said as one (一个男的, 有个大爷): several of them, each said in some state, are several persons
# ("一个男的躺在地上，一个女的坐在旁边" is two; "一个大爷躺着，一个小伙子扶着他" one: the helper is in no state).
_ZH_ONE_PERSON = re.compile(r"[一有]个(?:男的|女的|男子|女子|男人|女人|男孩|女孩|老头儿?|老太太?|老大爷|大爷|大妈|大娘|大叔|大姐|"
                            r"阿姨|老人|老汉|小孩|孩子|小伙子?|姑娘|年轻人|醉汉|流浪汉)"
                            # and in English, "one guy lying by the door, another guy sitting next to him" (one and another
                            # only: "a woman …, a runaway teen" is as often one person said twice)
                            r"|(?<![a-z])(?:one|another)\s+(?:guy|man|woman|lady|kid|boy|girl|person|dude|bloke|fella|teen)(?![a-z])")
# "一个人" as an item of its own in a minor's tip ("小孩，一个人，在哭"): on its own, where "有一个人躺着" is "a person".
_ALONE_ITEM = re.compile(r"(?:^|(?<=[\s,.;:，。；：]))一个人(?=$|[\s,.;:!?，。；：！？])")
# What says nothing of a person's state though the lexicon reads it as a flag: who they are, not how they are.
_WHO_FLAGS = frozenset({"elderly", "minor"})
# One person per item of a note's list: "1 guy drunk af, 1 lady w/ a bleeding hand".
_LIST_COMMA = re.compile(r"\s*,\s*")
_LISTED_ONE = re.compile(r"(?<![a-z0-9.])1\s+(?:old\s+)?(?:guy|man|male|woman|female|lady|kid|child|boy|girl|person|dude|teen|granny)(?![a-z])")
# A numbered list's item marker ("1. ", "2、", "3)"), after a break or at the start; never a decimal ("1.5公里").
_ITEM = re.compile(r"(?:^|(?<=[\s:;,。!！?？]))([1-9])\s*[.、)）](?!\d)\s*")
# An item that brings in a person of its own: one said with 一个/有个 (_ZH_ONE_PERSON), a note's sex field first
# ("男，约50岁"), or an English person named first ("man lying…", "a woman…"); "the same boy", "她说…" bring in no one.
_ITEM_PERSON = re.compile(r"^\s*(?:[男女](?:[,，\s]|$)|(?:an?\s+|one\s+)?(?:old\s+|young\s+|elderly\s+|teenage\s+)?"
                          r"(?:man|woman|guy|lady|boy|girl|kid|teen|teenager|person|male|female)(?![a-z]))")
# What a count word (俩, 两个, 一个) counts when it is no person: time, money, times (坐了俩钟头, 等了两个小时, 一个晚上).
_COUNTED_THING = re.compile(r"个?(?:钟头|小时|钟|分钟|天|宿|晚上|晚|礼拜|星期|月|年|块|回|次|遍|点)")
_AGE_HINT = re.compile(rf"岁|旬|奔|年龄|年纪|十|百|\d|ties|teens|year|age|{_ZH_CLASSICAL}")


# The spoken 儿 suffix (erhua: 小孩儿, 没气儿了, 蹲那儿, 一块儿) is no part of the word; a 儿 that is a word's own
# (儿子, 儿童, 女儿, 婴儿, 孤儿, 幼儿, 侄儿, 健儿) is kept.
_ERHUA = re.compile(r"(?<=[\u3400-\u9fff])(?<![女婴孤幼胎托患侄健男宠育混])儿(?![子童女媳孙科时戏歌])")
# Emoji and pictographs (🥶, 😭, ☹, 🆘) say no cue word and can sit inside one ("倒地😱不起").
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")
# Traditional text writes the aspect 着 as 著 after a verb (坐著, 躺著, 抱著): read as 着 there, and nowhere else
# (著名, 显著 keep theirs).
_ASPECT_ZHE = re.compile(r"(?<=[坐躺趴蹲站靠倚跪睡卧抱背领牵带推拿拄扶看瞅跟陪等冻哭])著")
# "can not" as one word, as the cues write it ("he can not stand up").
_CAN_NOT = re.compile(r"(?<![a-z])can\s+not(?![a-z])")
# A run of tildes is a chat message's separator ("男～～大概12岁～～一个人在KTV门口"), not one tilde's "about".
_TILDES = re.compile(r"[~〜～]{2,}")
# A pasted chat's sender and time at a message's head ("张姐 02:13:", "王阿姨 23:47", "Mike 01:05:"): the sender is no
# person the tip is about (王阿姨 is no woman in 王阿姨 23:47: 有个男的…), so the header is read as a message break.
_SENDER = re.compile(r"(?:^|(?<=[\n.。!！?？]))[^\S\n]*(?:[\u3400-\u9fff]{1,5}|[a-z][a-z'-]*(?: [a-z][a-z'-]*)?)[^\S\n]*"
                     r"(?<![\d:])[0-2]?\d:[0-5]\d(?::[0-5]\d)?(?!\d)[^\S\n]*(?:[:：](?!\d)|(?=\n))")
# Spaces between Chinese characters (speech-recognition transcripts, shorthand: "叫 不醒", "躺 不动") part no word.
_ZH_SPACE = re.compile(r"(?<=[\u3400-\u9fff])[^\S\n]+(?=[\u3400-\u9fff])")


def normalize_text(text: str) -> str:
    """Fold width, case and script so every spelling of a cue matches alike; erhua 儿, emoji and "can not" folded too."""
    folded = fold(text)
    if "儿" in folded:
        folded = _ERHUA.sub("", folded)
    if not folded.isascii():
        folded = _EMOJI.sub("", folded)
        if "著" in folded:
            folded = _ASPECT_ZHE.sub("着", folded)
    if ":" in folded:
        folded = _SENDER.sub("\n", folded)
    if "~~" in folded or "〜" in folded:
        folded = _TILDES.sub(",", folded)
    return _CAN_NOT.sub("cannot", folded) if "not" in folded else folded


def _zh_number(text: str) -> int | None:
    """A small Chinese or Arabic number ("七十" 70, "一百零二" 102, "十五六" 15, "六七十" 60); None if vague ("几十")."""
    if text.isdigit():
        return int(text)
    if not text or text[0] == "几":
        return None
    hundreds = 0
    if "百" in text:
        before, _, text = text.partition("百")
        digit = _ZH_DIGITS.get(before[:1]) if before else 1
        if digit is None:
            return None
        hundreds = digit * 100
        if text[:1] in ("零", "〇"):
            text = text[1:]
        elif text and "十" not in text and text[0] in _ZH_DIGITS:
            return hundreds + _ZH_DIGITS[text[0]] * 10  # 一百二: 120
        if not text or text[0] == "几":
            return hundreds
    if "十" in text:
        before, _, after = text.partition("十")
        tens = _ZH_DIGITS.get(before[:1]) if before else 1
        if tens is None:
            return None
        return hundreds + tens * 10 + _ZH_DIGITS.get(after[:1], 0)
    digit = _ZH_DIGITS.get(text[0])
    return None if digit is None else hundreds + digit


def _en_number(text: str) -> int:
    """An English number of the ages regex: digits or words ("sixty-five" 65, "seventeen" 17)."""
    if text.isdigit():
        return int(text)
    words = [w for w in re.split(r"[\s\-]+", text) if w]
    value = 0
    for word in words:
        value += (_EN_TENS_WORDS.index(word) + 2) * 10 if word in _EN_TENS_WORDS else _EN_UNIT_WORDS.index(word) + 1
    return value


# A subject pronoun opening the next clause joined by and/but names the relative again, not the person it acts on.
_KIN_AGAIN = re.compile(r"(?<![a-z])(?:and|but)\s+$")
_SUBJECTS = frozenset({"he", "she", "they"})


def _ageless(partial: list[tuple[int, int, frozenset[str]]]) -> list[tuple[int, int]]:
    """The `partial` spans where no stated age is read: those that keep neither age flag (a relative's age is not the person's)."""
    return [(s, e) for s, e, keep in partial if not keep & {"minor", "elderly"}]


def _filler(clause: str) -> bool:
    """Whether a clause is only a filler ("well", "呃", "那个"): a correction reaches past it to the clause it corrects."""
    said = clause.strip()
    return len(said) <= 2 if _CJK.search(said) else len(said.split()) <= 1


def _english_cue(cue: str) -> str:
    wildcard = cue.endswith("*")
    segments = [s.strip() for s in cue.rstrip("*").split("~")]
    parts = []
    for segment in segments:
        words = [re.escape(w).replace("'", "'?") for w in _WORD_SPLIT.split(segment) if w]
        parts.append(r"[\s\-]+".join(words))
    body = _GAP_EN.join(p for p in parts if p)
    return rf"(?<![a-z0-9]){body}{'[a-z]*' if wildcard else ''}(?![a-z0-9])"


def _cue_pattern(cue: str) -> str:
    cue = normalize_text(cue.strip())
    if _CJK.search(cue):
        # 得 and 的 are written for each other (冻的直哆嗦, 喝的挺多: speech recognition and fast typing) where the
        # cue goes on after 得; a cue that ends in 得 ("喝得") would read every 的 ("他喝的是水").
        body = _GAP_ZH.join(re.escape(part.strip()) for part in cue.split("~"))
        return body[:-1].replace("得", "[得的]") + body[-1:]
    return _english_cue(cue)


def _compile(cues: list[str]) -> re.Pattern[str]:
    """All of a flag's cues in one pattern (longest first), for callers that want a single regex."""
    return re.compile("|".join(_cue_pattern(c) for c in sorted(cues, key=len, reverse=True)))


def _anchor(cue: str) -> str:
    """A literal every match of the cue contains: the cheap test that skips its regex."""
    cue = normalize_text(cue.strip()).rstrip("*")
    pieces = [p for p in re.split(r"[~\s\-'得]+", cue) if p]
    return max(pieces, key=len) if pieces else ""


# "fallen" is no posture of its own: a fall says lying only where no posture and no getting up ("risen") is said.
# "still" is no posture either: said in a sentence with a lying word, it is the person lying still (`_lying_still`).
DESCRIPTION_WORDS = ("male", "female", "lying", "sitting", "standing", "adult", "fallen", "risen", "still")
# Lying still is both a sign of the critically ill and the person who does not get up: read either, it is read both.
_LYING_STILL = frozenset({"unresponsive", "immobile"})
# One character standing alone between separators, as call notes and couriers' shorthand write the person
# ("男，约65岁", "东站北口 男 60+ 躺 不动", "120转：女，80余岁"): its sex or posture.
_LONE_WORDS = {"男": "male", "女": "female", "躺": "lying", "坐": "sitting", "蹲": "sitting"}
_SEPARATORS = r"\s，。,.;；:：=、/|()（）!！?？"
_LONE_WORD = re.compile(rf"(?:^|(?<=[{_SEPARATORS}]))([男女躺坐蹲])(?=$|[{_SEPARATORS}\d])")
# An English work order's one-letter sex field ("M ~60, ETOH", "Subj: F, 30s"): the letter opens the note or follows a
# field's punctuation, and a comma, a slash, "~" or the age follows it ("200 m, then" and "I'm" are none).
_LONE_LATIN = re.compile(r"(?:^|(?<=[:,;/|(]\s)|(?<=[:,;/|(]))([mf])(?=\s*[,/~]|\s+\d)")
# `[form_values] unknown`: spellings of "not stated" (不详, 未知), read as no value rather than refused.
UNSTATED = "unknown"
FORM_VALUES = (*SEXES, *AGE_GROUPS, UNSTATED)


@dataclass(frozen=True)
class Cue:
    flag: str
    anchor: str
    pattern: re.Pattern[str]


def _cues(flag: str, cues: list[str]) -> list[Cue]:
    return [Cue(flag, _anchor(c), re.compile(_cue_pattern(c))) for c in cues]


@dataclass(frozen=True)
class CueGroups:
    """Cues grouped by anchor, the anchors indexed by their first two characters.

    Matching runs only the regexes whose anchor occurs in the text; of the
    several hundred anchors, a tip's text starts at most a few dozen, so only
    those (the anchors under one of the text's characters or pairs of
    characters) are looked for, in the groups' order.
    """

    groups: tuple[tuple[str, tuple[Cue, ...]], ...] = ()
    by_prefix: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, cues: list[Cue]) -> CueGroups:
        grouped: dict[str, list[Cue]] = {}
        for cue in cues:
            grouped.setdefault(cue.anchor, []).append(cue)
        groups = tuple((anchor, tuple(group)) for anchor, group in grouped.items())
        by_prefix: dict[str, list[int]] = {}
        for i, (anchor, _) in enumerate(groups):
            by_prefix.setdefault(anchor[:2], []).append(i)
        return cls(groups, {prefix: tuple(found) for prefix, found in by_prefix.items()})

    def __bool__(self) -> bool:
        return bool(self.groups)

    def spans(self, norm: str) -> dict[str, list[tuple[int, int]]]:
        """Where each flag's (or description word's) cues match in the folded text."""
        # Every substring of one or two characters (and "", the prefix of an empty anchor):
        # an anchor can occur only if its prefix is one of them.
        prefixes = {norm[i : i + 2] for i in range(len(norm))} | set(norm) | {""}
        candidates = sorted(i for prefix in prefixes & self.by_prefix.keys() for i in self.by_prefix[prefix])
        spans: dict[str, list[tuple[int, int]]] = {}
        for i in candidates:
            anchor, cues = self.groups[i]
            if anchor in norm:
                for cue in cues:
                    for match in cue.pattern.finditer(norm):
                        spans.setdefault(cue.flag, []).append(match.span())
        return spans


@dataclass(frozen=True)
class PastWords:
    """`[past]`: when a tip tells of an earlier night (then), turns to tonight (now), and who each introduces."""

    then: re.Pattern[str]
    now: re.Pattern[str]
    someone: re.Pattern[str]
    new: re.Pattern[str]
    # Tonight's earlier moment (刚才还, "earlier") before `now`, and the flags a later state supersedes there.
    earlier: re.Pattern[str] | None = None
    changes: frozenset[str] = frozenset()
    # Words right after `now` saying the earlier state goes on (现在还…, "still"): no earlier moment then.
    still: re.Pattern[str] | None = None


@dataclass(frozen=True)
class ReporterWords:
    """`[reporter]`: a first-person word that opens a clause (`self_word`) and the words that bring in someone else."""

    self_word: re.Pattern[str]
    other: re.Pattern[str]
    anywhere: re.Pattern[str]  # a self word anywhere: most tips hold none, and skip the clauses
    # Who passed the tip on (`relayed`: 我妈, my neighbour) and a word of their telling it (`told`: 说, told), optional.
    relayed: re.Pattern[str] | None = None
    told: re.Pattern[str] | None = None
    relayed_hint: tuple[str, ...] = ("",)  # the relayers' words as written (folded): a text with none skips the regex
    # Any word for someone else (`third`, the persons and sexes described, `[persons]`, `[past] someone`/`new`): a tip
    # with none is the caller's own call for help, and what they say of themselves is the person's ("我冻得不行了").
    others: re.Pattern[str] | None = None
    # A call or message the reporter received (`called`: 打电话给我, "rang me"): whoever the clause names before it relays.
    called: re.Pattern[str] | None = None
    # The caller parted from the one named with them (`parted`: 走散了, "got separated"): that one alone is the person.
    parted: re.Pattern[str] | None = None
    # The caller and the one named with them in it together (`together`: 迷路, 被困, 我俩, "stuck", "we"): both are persons.
    together: re.Pattern[str] | None = None


@dataclass(frozen=True)
class SeemingWords:
    """`[seeming]`: what the person seemed at first (`seemed`) until the reporter looked closer (`but`)."""

    seemed: re.Pattern[str]
    but: re.Pattern[str]
    # `denied`: words that take a flag back when said after every cue of it (先说喝多了…后来说他不喝酒, "not drunk after all").
    denied: tuple[tuple[str, re.Pattern[str]], ...] = ()
    # `parts`: per flag, the body parts a denial may be told of (腿没受伤): such a denial takes back no cue said elsewhere.
    parts: tuple[tuple[str, re.Pattern[str]], ...] = ()


@dataclass(frozen=True)
class UnsaidWords:
    """`[unsaid]`: words after which the text speaks of no one the team will meet: a hypothetical (`conditional`, to its
    clause's end), a person already gone (`gone`, from its sentence's start to its clause's end) and what the reporter
    corrects (`corrected`, opening a clause: the clause before it)."""

    conditional: re.Pattern[str]
    gone: re.Pattern[str]
    corrected: re.Pattern[str]
    who: frozenset[str] = frozenset()  # the flags a person gone still has: who they were, not their state
    # The words of each list as written (folded), by key: a text holding none of a list's skips its regex (most tips).
    hints: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def may(self, key: str, norm: str) -> bool:
        """Whether `norm` may hold a word of list `key` (a substring test, far cheaper than the list's regex)."""
        return any(word in norm for word in self.hints.get(key, ("",)))


@dataclass(frozen=True)
class KinWords:
    """`[kin]`: the person's relatives (`words`: 她爸, her husband), whose own state ("她爸喝了酒") is not the person's, up
    to the next word for the person (`until`) or the clause's end; the `keep` flags are read there all the same (what the
    relative does to the person: "她爸喝了酒打她" is domestic violence)."""

    words: re.Pattern[str]
    until: re.Pattern[str]
    keep: frozenset[str]
    hint: tuple[str, ...] = ("",)  # the relatives' words as written (folded): a text with none skips the regex


@dataclass(frozen=True)
class AnimalWords:
    """`[animals]`: animals (`words`: 狗, a cat) whose state ("有只狗冻得直哆嗦") is no person's, up to the first person named
    (`persons`, or a word for a man, a woman, an old person or a child)."""

    words: re.Pattern[str]
    persons: re.Pattern[str]
    hint: tuple[str, ...] = ("",)  # the animals' words as written (folded): a text with none skips the regex


# The key a sign's cues are matched under, beside the flags' own cues in one pass (`[signs]`).
SIGN = "sign:"
_CLAUSE_END = re.compile(r"[，。！？；,.!?;\n]")
_CLAUSES = re.compile(r"[^，。！？；,.!?;\n]+")
_SENTENCE_END = re.compile(r"[。！？.!?;；\n]")
# A pronoun names the person whatever comes before it: "nobody with him" negates the company, not his sex.
_PRONOUNS = frozenset({"he", "him", "his", "she", "her", "他", "她"})
# A relative named as the caller's own (我爸, 俺妈, "my dad").
_CALLERS_KIN = re.compile(r"我|俺|my\s")
# The caller's word right before a relative's ("my dad", "我的妈妈").
_CALLERS_KIN_BEFORE = re.compile(r"(?:我的?|俺的?|my\s+)$")
# A pronoun right before "一个": "她一个人" is she alone, no one new.
_PRONOUN_BEFORE = re.compile(r"[他她]\s*$")
# An English "if" that asks or compares rather than supposes ("as if he's drunk", "see if he's hurt").
_NOT_IF = re.compile(r"(?<![a-z])(?:as|even|see|check|ask|asked|wonder|know|tell|sure|idk|dunno|unsure)\s+$")
# A partner form's field and its value (`[form_values]`): "外伤:否", "是否愿意入站：否", "injuries=no", "sex: M", "人数=2".
_FORM_NO = re.compile(r"(?P<key>[\u4e00-\u9fff]{1,8}|(?<![a-z])[a-z]+(?: [a-z]+)?)\s*[:=]\s*(?P<val>否|无|没有|不是|no|none|nil|false)(?![a-z\u4e00-\u9fff])")
_FORM_SEX = re.compile(r"(?<![a-z])(?:sex|gender)\s*[:=]\s*(?P<val>[a-z]+)(?![a-z])")
_FORM_COUNT = re.compile(r"(?:人数|persons|people|count)\s*[:=]\s*(?P<n>\d{1,2})(?!\d)")
# The word before an English "or"/"nor" that ends the text before a cue: "not drunk or hurt" negates "hurt" too.
_OR_BEFORE = re.compile(r"(?<![a-z'])[a-z']+\s+n?or\s+$")
_PAST_KEYS = ("then", "now", "someone", "new")
_STILL_GAP = re.compile(r"[\s,，]*(?:[他她]|he's|she's|he is|she is|he|she|they're|they)?\s*")  # 现在他还…, "now he's still"
# An `earlier` word that ends its clause ("refused earlier, now", "earlier and now", "at first but now").
_EARLIER_AFTER = re.compile(r"[^\S\n]*(?:[,，;；]|(?:and|but|yet)(?![a-z]))")
# A `now` word that ends its clause, said after the state it dates (叫不醒了现在, "he's not responding now").
_NOW_AFTER = re.compile(r"[^\S\n]*(?:了|啊|呀|吧)?[^\S\n]*(?:[，。！？；,.!?;\n]|$)")
_UNSAID_KEYS = ("conditional", "gone", "corrected")


def _hint(table: object, key: str) -> tuple[str, ...]:
    """The words of a validated word list, folded as texts are: what a text must hold for the list's regex to match."""
    words = table.get(key, []) if isinstance(table, dict) else []
    return tuple(normalize_text(w).strip() for w in words) or ("",)


def _words_and_flags(table: object, keys: tuple[str, ...], flags_key: str, fail: Callable[[str, str], ConfigError],
                     ) -> tuple[tuple[re.Pattern[str], ...] | None, frozenset[str]]:
    """A table of plain word lists (`_word_lists`) beside one list of flag names (`flags_key`, optional)."""
    if not isinstance(table, dict):
        raise fail(keys[0], "expected a table")
    flags = table.get(flags_key, [])
    if not isinstance(flags, list) or not all(isinstance(f, str) and f in FLAGS for f in flags):
        raise fail(flags_key, "expected a list of flags")
    return _word_lists({k: v for k, v in table.items() if k != flags_key}, keys, fail), frozenset(flags)


_P = ParamSpec("_P")
_R = TypeVar("_R")
# How many readings of texts a lexicon keeps (`_per_text`); a tip's text makes about ten, its parts (`_ones_in_a_state`)
# a few more. The memo is emptied when full, and by intake before each tip (`Lexicon.new_tip`).
_MEMO_SIZE = 256
_MISSING = object()


def _per_text(method: Callable[Concatenate[Lexicon, _P], _R]) -> Callable[Concatenate[Lexicon, _P], _R]:
    """A pure reading of one text by a lexicon, worked out once however many of the lexicon's readings ask for it: a tip's
    flags, description and head count each folded the text and found its unsaid, own, kin and gone spans anew.

    The value is shared: callers combine it into new lists and never change it.
    """
    name = method.__name__

    def once(self: Lexicon, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        key = (name, *args, *kwargs.items())
        memo = self._memo
        found = memo.get(key, _MISSING)  # one lookup: another thread may empty the memo in between
        if found is not _MISSING:
            return cast(_R, found)
        value = method(self, *args, **kwargs)
        if len(memo) >= _MEMO_SIZE:  # after the work: readings it asked for meanwhile filled the memo too
            memo.clear()
        memo[key] = value
        return value

    once.__name__, once.__doc__ = name, method.__doc__
    return once


@dataclass(frozen=True)
class Lexicon:
    patterns: dict[str, re.Pattern[str]]
    negation: re.Pattern[str]
    exceptions: dict[str, re.Pattern[str]] = field(default_factory=dict)
    minor_under: int | None = None
    elderly_from: int | None = None
    persons: re.Pattern[str] | None = None
    channels: dict[str, str] = field(default_factory=dict)
    # Every cue and exception with its anchor, grouped by anchor: matching
    # runs only the regexes whose literal occurs in the text.
    cues: CueGroups = CueGroups()
    except_cues: CueGroups = CueGroups()
    # Description cues (`[describe]`): male, female, lying, sitting, standing.
    describe_cues: CueGroups = CueGroups()
    # Other spellings of a form's `sex` and `age_group` values (`[form_values]`: 男 -> male, 老人 -> elderly).
    form_values: dict[str, str] = field(default_factory=dict)
    # Misspelt English cue words read as the cue (`[typos]`; `rules.typos`).
    typos: TypoReader | None = None
    # Phrases whose negation word negates nothing (`[negations]` zh_except/en_except: "not only", "不光").
    negation_excepts: re.Pattern[str] | None = None
    # The negations without `zh_unseen`/`en_unseen`, for stated ages (an age is said, not seen); None: `negation`.
    age_negation: re.Pattern[str] | None = None
    # Negations after a cue (`[negations]` ko_after: Korean "다치지 않았어요"), matched at the cue's end; None: none.
    negation_after: re.Pattern[str] | None = None
    # Dialect words read as their standard word (`[dialect]`: Cantonese 冇 -> 没有, 唔醒 -> 不醒, 喺 -> 在).
    dialect: dict[str, str] = field(default_factory=dict)
    dialect_pattern: re.Pattern[str] | None = None
    # Cues written with same-sounding characters (`[homophones]`; `rules.homophones`).
    homophones: Homophones | None = None
    # Words for a person written in place where heard under other characters (`[homophones] words`: 流狼汉).
    sounded: Homophones | None = None
    # Words that part an earlier night's person from tonight's (`[past]`).
    past: PastWords | None = None
    # Signs a flag reads only when none of its `unless` flags explains them (`[signs]`: slurred speech is ill unless drunk):
    # matched with `cues` under the flag's name after SIGN, by flag.
    sign_unless: dict[str, frozenset[str]] = field(default_factory=dict)
    # The reporter speaking of themselves (`[reporter]`), and what the person only seemed (`[seeming]`).
    reporter: ReporterWords | None = None
    seeming: SeemingWords | None = None
    # Hypotheticals, persons already gone and what the reporter corrects (`[unsaid]`); relatives' own states (`[kin]`).
    unsaid: UnsaidWords | None = None
    kin: KinWords | None = None
    # The lexicon's Chinese words typed in pinyin ("jiao bu xing" reads 叫不醒; `rules.pinyin_text`).
    pinyin: PinyinReader | None = None
    company: tuple[re.Pattern[str], ...] | None = None  # `[company]`: words saying a minor is alone, or with a grown-up
    closing: tuple[re.Pattern[str], ...] | None = None  # `[closing]`: a place closing, and the not-leaving that is no refusal
    animals: AnimalWords | None = None  # `[animals]`: a tip about an animal, not a person
    # `[names]`: a cue that begins a shop's, a bar's or a street's name (老醉鬼烧烤, "Drunken Dragon bar"): Chinese venue
    # words right after it, English ones after at most two more words; None for no table.
    names: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None = None
    dialogue: Dialogue | None = None  # `[dialogue]`: a Q&A transcript read as what its answers say (`rules.dialogue`)
    # A person's temperature said as a number, outside the normal range (`[body_temperature]`: 体温34度, "body temp 34").
    body_temperature: BodyTemperature | None = None
    # The latest texts' readings (`_per_text`), by the reading's name and its arguments.
    _memo: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False, repr=False)

    def new_tip(self) -> None:
        """Forget the readings kept for earlier texts (`_per_text`): they serve one tip's flags, description and head
        count, and a text read again (a redelivery, the pipeline bench's one text) costs what any other text costs."""
        self._memo.clear()

    @_per_text
    def _folded(self, text: str) -> str:
        """`normalize_text(text)`, once per text; a Q&A transcript's questions, and an A-not-A question the text answers,
        said as their answers' statements."""
        folded = normalize_text(text)
        if self.dialogue is None:
            return folded
        return self.dialogue.read_asked(self.dialogue.read(folded) if ":" in folded else folded)

    @_per_text
    def _norm(self, text: str, join: bool = True) -> str:
        """The text as cues are matched in: folded, dialect words read as standard ones, spaces between Chinese
        characters dropped (unless not `join`), misspelt cue words read as the cue."""
        norm = self._folded(text)
        if self.dialect_pattern is not None and not norm.isascii():
            norm = self.dialect_pattern.sub(lambda m: self.dialect[m.group()], norm)
        if self.pinyin is not None:
            norm = self.pinyin.read(norm)
        if self.sounded is not None and not norm.isascii():
            norm = self.sounded.written(norm)
        if ":" in norm or "=" in norm:  # before spaces go: "状态:躺地 意识:无" has two fields
            norm = self._form_fields(norm)
        if join and not norm.isascii():
            norm = _ZH_SPACE.sub("", norm)
        return self.typos.correct(norm) if self.typos is not None else norm

    @property
    def _others(self) -> re.Pattern[str] | None:
        """`[reporter]`'s words for someone other than the caller; None without them (or without `[reporter]`)."""
        return self.reporter.others if self.reporter is not None else None

    def _form_fields(self, norm: str) -> str:
        """A partner form's fields said as the words cues read: a field answered no as its negation ("外伤:否" reads 没有外伤,
        "是否愿意入站:否" 不愿意入站, "injuries=no" no injuries), its sex as the word ("sex: M" reads male) and its head count
        as a count ("人数=2" reads 2人)."""
        def no(match: re.Match[str]) -> str:
            key = match["key"]
            if not _CJK.search(key):
                return f"no {key}"
            return f"不{key[2:]}" if key.startswith("是否") else f"没有{key}"

        def sex(match: re.Match[str]) -> str:
            value = self.form_values.get(channel_key(match["val"]), match["val"])
            return value if value in SEXES else match.group()

        norm = _FORM_SEX.sub(sex, _FORM_NO.sub(no, norm))
        return _FORM_COUNT.sub(lambda m: f"{m['n']}人", norm)

    def _negated(self, norm: str, start: int, negation: re.Pattern[str] | None = None) -> bool:
        """Whether a negation ends right before `start` (fillers allowed) that is not inside a `*_except` phrase."""
        negation = negation or self.negation
        low = max(0, start - _NEGATION_WINDOW)
        window = norm[low:start]
        match = negation.search(window)
        if match is None and (listed := _OR_BEFORE.search(window)) is not None:
            return self._negated(norm, low + listed.start(), negation)  # "not drunk or hurt": the list shares the negation
        if match is None or self.negation_excepts is None:
            return match is not None
        excepted = [m.span() for m in self.negation_excepts.finditer(norm)]
        while match is not None:
            at = low + match.start()
            if not any(s <= at < e for s, e in excepted):
                return True
            match = negation.search(window, match.start() + 1)
        return False

    @_per_text
    def flags_in(self, text: str, year: int | None = None, denials: bool = True) -> tuple[str, ...]:
        """The flags whose cues occur in `text`, unnegated, in canonical order; `year` (the tip's) reads birth years. Without
        `denials`, a later denial takes nothing back (a form's free words, each its own item: "not drunk", "drunk driver")."""
        if not text:
            return ()
        norm = self._norm(text)
        hits = self.cues.spans(norm)
        signs = {flag[len(SIGN):]: hits.pop(flag) for flag in [f for f in hits if f.startswith(SIGN)]}
        if "refuses" in hits and self.closing is not None and self.closing[0].search(norm):
            # Not leaving a shop or a station that closes ("the store is closing, he won't leave") turns no help down.
            hits["refuses"] = [(s, e) for s, e in hits["refuses"] if not self.closing[1].fullmatch(norm, s, e)]
        if self.homophones is not None and not norm.isascii():
            for flag, spans in self.homophones.spans(norm).items():
                hits.setdefault(flag, []).extend(spans)
        if self.body_temperature is not None and (measured := self.body_temperature.spans(norm, _zh_number)):
            hits.setdefault(self.body_temperature.flag, []).extend(measured)
        unsaid = self._past(norm) + self._seeming(norm) + self._unsaid(norm) + self._animal(norm) + self._named(norm, hits)
        own = self._own(norm)
        partial = self._kin(norm) + self._gone(norm) + self._earlier(norm)
        found = self._read(norm, hits, unsaid, own, partial, denials)
        if _AGE_HINT.search(norm):
            found.update(f for f in self._age_flags(norm, unsaid + _ageless(partial) + [(s, e) for s, e, _ in own], year) if f in FLAGS)
            if own and not self._names_other(norm, kin=False) and "minor" in self._age_flags(norm, unsaid + _ageless(partial), year):
                found.add("minor")  # a child calling of itself and its own kin ("我今年九岁，我找不到我妈妈了"): its own age
            found.update(f for f in self._spaced_ages(text, year) if f in FLAGS)
        if signs:
            found |= self._read(norm, {f: spans for f, spans in signs.items() if not self.sign_unless[f] & found}, unsaid, own, partial,
                                denials)
        if found & _LYING_STILL and not _LYING_STILL <= found and (still := self._lying_still(norm)) is not None:
            # the other of the two, unless the tip takes it back after (躺着不动，后来醒了: awake, no longer unresponsive)
            found |= {f for f in _LYING_STILL if not denials or (denied := self._denial(norm, f, [])) is None or denied < still}
        return tuple(f for f in FLAGS if f in found)

    def _lying_still(self, norm: str) -> int | None:
        """Where a sentence says the person lies and does not move (`[describe]` lying and still: 躺着，一动不动,
        躺在雪地里一动不动, "lying there not moving"): the last such `still` cue's start, else None; read only where the
        text already reads one of the two flags, so what seemed, was or is an animal's (看着像躺着不动，走近一看是在睡觉)
        stays unread."""
        described = self.describe_cues.spans(norm)
        if not described.get("lying") or not described.get("still"):
            return None
        sentence = {start: len(_SENTENCE_END.findall(norm, 0, start)) for start, _ in described["lying"]}
        return max((start for start, _ in described["still"]
                    if len(_SENTENCE_END.findall(norm, 0, start)) in sentence.values() and not self._negated(norm, start)),
                   default=None)

    @_per_text
    def _spaced_ages(self, text: str, year: int | None) -> set[str]:
        """The ages (`_age_flags`, with adult) a shorthand note states in fields kept apart by spaces ("男 60+", "男 约50 躺"),
        which the joined text runs together; none when the text has no such spaces."""
        spaced = self._norm(text, join=False)
        if spaced == self._norm(text):
            return set()
        skip = (self._past(spaced) + self._seeming(spaced) + self._unsaid(spaced) + self._animal(spaced)
                + _ageless(self._kin(spaced) + self._gone(spaced)) + [(s, e) for s, e, _ in self._own(spaced)])
        return self._age_flags(spaced, skip, year)

    @_per_text
    def _own(self, norm: str) -> list[tuple[int, int, bool]]:
        """What the reporter says of themselves (`[reporter]`: "我刚下班喝了点酒", "我腿脚不好追不上他"): from a first-person
        word that opens a clause to the first word that brings in someone else, and whether it ran to the clause's end."""
        spans: list[tuple[int, int, bool]] = []
        if (self.reporter is not None and self.reporter.anywhere.search(norm) is not None
                and (self._others is None or self._names_other(norm))):
            for clause in _CLAUSES.finditer(norm):
                own = self.reporter.self_word.match(norm, clause.start())
                if own is not None:
                    other = self.reporter.other.search(norm, own.end(), clause.end())
                    spans.append((own.start(), other.start() if other else clause.end(), other is None))
        return spans + self._relayed(norm)

    def _relayed(self, norm: str) -> list[tuple[int, int, bool]]:
        """Who passed the tip on (`[reporter] relayed`, `told`: "我妈打电话让我报的，她说她们小区门口有个大爷…", "my
        neighbour's son told her he saw a man"): from the relayer's word, when they tell it in the same sentence, to the
        first word that brings in the person (`[past] someone`/`new`); nothing there is the person's."""
        words = self.reporter
        if (words is None or words.relayed is None or words.told is None or self.past is None
                or not any(word in norm for word in words.relayed_hint)):
            return []
        spans: list[tuple[int, int, bool]] = []
        # a stranger who called the reporter ("一位大哥打电话给我说，他…看到一个女的", "a lady rang me to say …"): from the
        # clause's start, which names them
        callers = [(max((m.end() for m in _CLAUSE_END.finditer(norm, 0, call.start())), default=0), call.end())
                   for call in (words.called.finditer(norm) if words.called is not None else ())]
        for start, relayed_end in [*((m.start(), m.end()) for m in words.relayed.finditer(norm)), *callers]:
            sentence = _SENTENCE_END.search(norm, relayed_end)
            stop = sentence.start() if sentence else len(norm)
            told = words.told.search(norm, relayed_end, stop)
            if told is None:
                continue
            # a person brought in: not "她一个人" (she alone), which is the relayer's own word for herself
            person = [m.start() for words_of in (self.past.someone, self.past.new) for m in words_of.finditer(norm, told.end(), stop)
                      if not _PRONOUN_BEFORE.search(norm, 0, m.start())]
            if person:
                spans.append((start, min(person), True))
        return spans

    @_per_text
    def _seeming(self, norm: str) -> list[tuple[int, int]]:
        """What the person only seemed at first (`[seeming]`: "看着像躺着不动，走近一看是在睡觉")."""
        spans: list[tuple[int, int]] = []
        if self.seeming is not None:
            for seemed in self.seeming.seemed.finditer(norm):
                but = self.seeming.but.search(norm, seemed.end())
                if but is not None and len(_CLAUSE_END.findall(norm, seemed.end(), but.start())) <= 1:
                    spans.append((seemed.start(), but.start()))
        return spans

    @_per_text
    def _unsaid(self, norm: str) -> list[tuple[int, int]]:
        """What speaks of no one the team will meet (`[unsaid]`): a hypothetical to its clause's end ("要是喝了酒睡过去就
        麻烦了", "if he falls asleep he won't wake up"; not an "if" of not knowing whether: "not sure if he's drunk" is a
        possible drunk), the clause a correction takes back ("一个男的，不对，是个女的"; past a filler: "he's bleeding,
        well, actually no")."""
        words = self.unsaid
        if words is None:
            return []
        spans: list[tuple[int, int]] = []
        conditional = words.may("conditional", norm)
        excepted = ([m.span() for m in self.negation_excepts.finditer(norm)]
                    if conditional and self.negation_excepts is not None and words.conditional.search(norm) is not None else [])
        for match in words.conditional.finditer(norm) if conditional else ():
            if any(s <= match.start() < e for s, e in excepted) or _NOT_IF.search(norm, 0, match.start()):
                continue
            end = _CLAUSE_END.search(norm, match.end())
            spans.append((match.start(), end.start() if end else len(norm)))
        for match in words.corrected.finditer(norm) if words.may("corrected", norm) else ():
            ends = [m.start() for m in _CLAUSE_END.finditer(norm, 0, match.start())]
            if not ends or norm[ends[-1] + 1:match.start()].strip():
                continue  # not opening a clause ("他不对劲"), or nothing before it to correct
            stop = ends.pop()  # the end of the clause before the correction
            while True:
                start = ends[-1] + 1 if ends else 0
                if not ends or not _filler(norm[start:stop]):
                    break
                stop = ends.pop()
            spans.append((start, match.end()))
        return spans

    @_per_text
    def _gone(self, norm: str) -> list[tuple[int, int, frozenset[str]]]:
        """A person already gone (`[unsaid] gone`), from the sentence's start to the clause's end, with the flags still
        read there: who they were (`who`: "刚才报的那个大爷，他家里人已经来接走了" is elderly, nothing worse), unless someone
        new follows ("120已经把那个昏迷的拉走了，还剩一个老太太": the old woman alone)."""
        spans: list[tuple[int, int, frozenset[str]]] = []
        if self.unsaid is not None and self.unsaid.may("gone", norm):
            for match in self.unsaid.gone.finditer(norm):
                start = max((m.end() for m in _SENTENCE_END.finditer(norm, 0, match.start())), default=0)
                end = _CLAUSE_END.search(norm, match.end())
                stop = end.start() if end else len(norm)
                new = self.past is not None and self.past.new.search(norm, stop) is not None
                spans.append((start, stop, frozenset() if new else self.unsaid.who))
        return spans

    @_per_text
    def _kin(self, norm: str) -> list[tuple[int, int, frozenset[str]]]:
        """What is said of the person's relatives (`[kin]`): from the relative's word to the next word for the person in
        its clause ("说她爸喝了酒打她": the drink is her father's), with the flags `keep` still reads there; with no word for
        the person after it, the relative may be the one the tip is about ("his dad was hit by a car"), and only the
        word itself is not the person's ("跟家里男人打架" names no man on the street), unless it is the caller's own relative
        named before anyone else ("我爸喝多了"): that is whom the caller reports (not in "老太太说我儿子叫啥来着")."""
        spans: list[tuple[int, int, frozenset[str]]] = []
        if self.kin is not None and any(word in norm for word in self.kin.hint):
            for match in self.kin.words.finditer(norm):
                end = _CLAUSE_END.search(norm, match.end())
                stop = end.start() if end else len(norm)
                person = self.kin.until.search(norm, match.end(), stop)
                while person is not None and _KIN_AGAIN.search(norm, 0, person.start()) and person.group() in _SUBJECTS:
                    person = self.kin.until.search(norm, person.end(), stop)  # "her son is 12 and he ran away": he is the son
                if person is None and _CALLERS_KIN.match(match.group()) and not self._named_before(norm, match.start()):
                    continue
                # with no word for the person after it the relative may be the person, and the age said of it theirs
                # ("her son is 12 and he ran away"); a relative who acts on the person keeps its own age
                spans.append((match.start(), person.start(), self.kin.keep) if person else
                             (match.start(), match.end(), self.kin.keep | {"minor", "elderly"}))
        return spans

    def _names_other(self, norm: str, kin: bool = True) -> bool:
        """Whether the text names someone other than the caller (without `kin`, other than the caller's own relatives: 我妈,
        "my dad"): a count of time or things is no one ("坐了俩钟头", "等了两个小时": the caller alone is still the person)."""
        return self._others is not None and any(
            not _COUNTED_THING.match(norm, m.end()) and (kin or not (_CALLERS_KIN.match(m.group()) or _CALLERS_KIN_BEFORE.search(norm, 0, m.start())))
            for m in self._others.finditer(norm))

    def _named_before(self, norm: str, at: int) -> bool:
        """Whether the text names someone other than the caller (`[reporter]`'s `others`) before `at`."""
        return self._others is not None and self._others.search(norm, 0, at) is not None

    @_per_text
    def _animal(self, norm: str) -> list[tuple[int, int]]:
        """What is said of an animal (`[animals]`: "路边躺着一只猫，一动不动了", "a dog lying in the snow, not moving"): from the
        first animal word, when no person is named before it, to the first person named after it (a `persons` word not
        negated: "没有人" names nobody), or the text's end. A person's dog ("大爷带着狗") leaves the tip the person's."""
        if self.animals is None or not any(word in norm for word in self.animals.hint):
            return []
        animal = self.animals.words.search(norm)
        if animal is None:
            return []
        named = [start for start, _ in itertools.chain.from_iterable(
            spans for word, spans in self.describe_cues.spans(norm).items() if word in SEXES)]
        named += [start for flag, spans in self.cues.spans(norm).items() if flag in _WHO_FLAGS for start, _ in spans]
        named += [m.start() for m in self.animals.persons.finditer(norm) if not self._negated(norm, m.start())]
        if any(start < animal.start() for start in named):
            return []
        return [(animal.start(), min((start for start in named if start >= animal.end()), default=len(norm)))]

    def _named(self, norm: str, found: dict[str, list[tuple[int, int]]]) -> list[tuple[int, int]]:
        """Of the cues `found`, those that begin a name (`[names]`), from the cue to the venue word: 老醉鬼烧烤 is no drunk,
        躺平咖啡 nobody lying, "the Sick Kids hospital" nobody ill. Looked for only in a text that holds a venue word."""
        if self.names is None or not found or self.names[2].search(norm) is None:
            return []
        zh, en, _ = self.names
        return [(start, after.end()) for spans in found.values() for start, end in spans
                if (after := zh.match(norm, end) or en.match(norm, end)) is not None]

    @staticmethod
    def _of_reporter(norm: str, start: int, end: int, own: list[tuple[int, int, bool]]) -> bool:
        """Whether the cue at start..end is the reporter's own: inside a first-person stretch that runs to its clause's end,
        or that the other person enters only some words later ("我腿脚不好追不上他"; but "我叫不醒他", "I can't wake him" are his)."""
        for s, e, whole in own:
            if s <= start and end <= e:
                gap = norm[end:e].strip()
                if whole or len(_CJK.findall(gap)) >= 2 or len(gap.split()) >= 2:
                    return True
        return False

    def _read(self, norm: str, hits: dict[str, list[tuple[int, int]]], unsaid: list[tuple[int, int]],
              own: list[tuple[int, int, bool]], partial: list[tuple[int, int, frozenset[str]]], denials: bool = True) -> set[str]:
        """The flags of `hits` (cue spans by flag) that are neither excepted, negated, `unsaid`, the reporter's `own` nor
        inside a `partial` span (a relative's, a person gone) that does not keep them, nor denied after (with `denials`)."""
        found: set[str] = set()
        excluded = self.except_cues.spans(norm) if hits else {}
        for flag, spans in hits.items():
            # Excepted and negated spans cancel every cue overlapping them:
            # "不像是喝醉了" negates "喝醉" and so "醉了" too.
            skip = list(excluded.get(flag, ())) + unsaid
            skip += [(s, e) for s, e, keep in partial if flag not in keep]
            denial = self._denial(norm, flag, unsaid + spans) if denials else None
            read = -1
            for start, end in sorted(spans):
                if any(s < end and start < e for s, e in skip) or self._of_reporter(norm, start, end, own):
                    continue
                if self._negated(norm, start) or (self.negation_after is not None and self.negation_after.match(norm, end)):
                    skip.append((start, end))
                    denial = max(denial, start) if denial is not None and not self._of_part(norm, flag, start) else denial
                    continue
                read = start
                if denial is None:
                    break
            if read >= 0 and (denial is None or read > denial):
                found.add(flag)
        return found

    def _denial(self, norm: str, flag: str, skip: list[tuple[int, int]]) -> int | None:
        """Where the tip last denies `flag` in so many words (`[seeming] denied`: 后来说他不喝酒, "not drunk"), outside what
        is `unsaid` and the flag's own cues (喝没喝酒 holds 没喝酒), or -1 (a negated cue of it also denies it: 没有酒味);
        None for a flag the table does not list. A later denial takes back the cues said before it: the last word wins."""
        for denied, words in self.seeming.denied if self.seeming is not None else ():
            if denied == flag:
                return max((m.start() for m in words.finditer(norm)
                            if not any(s <= m.start() < e for s, e in skip) and not self._of_part(norm, flag, m.start())), default=-1)
        return None

    def _of_part(self, norm: str, flag: str, at: int) -> bool:
        """Whether the denial at `at` is told of one body part (`[seeming] parts`, in its clause before it: 腿没受伤, "his
        legs are not hurt"): a wound said elsewhere still stands."""
        start = max((m.end() for m in _CLAUSE_END.finditer(norm, 0, at)), default=0)
        return any(part == flag and words.search(norm, start, at) is not None
                   for part, words in (self.seeming.parts if self.seeming is not None else ()))

    @_per_text
    def _past(self, norm: str) -> list[tuple[int, int]]:
        """The span of an earlier night's other person, told before tonight's (`[past]`): "昨晚这儿有个醉汉冻死了，
        今天又看见一个大爷", "yesterday there was a drunk man here, tonight it's a lady". Its cues describe nobody
        the team will meet. Only a past that introduces someone (有个, there was) and a present that introduces
        someone new in its own clause (一个, it's a) part the two: "昨晚被老公打了，现在在车站" and "昨天有个大爷在这，
        今天又来了" are one person, read whole."""
        if self.past is None:
            return []
        then = self.past.then.search(norm)
        if then is None:
            return []
        for now in self.past.now.finditer(norm, then.end()):
            if self.past.someone.search(norm, then.start(), now.start()) is None:
                return []
            clause = _CLAUSE_END.search(norm, now.end())
            # "昨天那个醉汉今天没看见，今天是个大姐": the first 今天 still speaks of the earlier one.
            if self.past.new.search(norm, now.end(), clause.start() if clause else len(norm)) is not None:
                return [(then.start(), now.start())]
        return []

    @_per_text
    def _then_same(self, norm: str) -> list[tuple[int, int, frozenset[str]]]:
        """An earlier night of the same person, to the `now` word after it (`[past]` then, when it parts no one there), read
        as tonight's earlier moment: "昨天他还说不去救助站，今天叫不醒了" is no refusal and "昨晚躺在这，今早已经坐起来了"
        sits, while "昨晚被老公打了，现在在车站" is still beaten."""
        past = self.past
        if past is None or self._past(norm) or (then := past.then.search(norm)) is None:
            return []
        now = past.now.search(norm, then.end())
        return [] if now is None or self._goes_on(norm, now.end()) else [(then.start(), now.start(), frozenset(FLAGS) - past.changes)]

    @_per_text
    def _earlier(self, norm: str) -> list[tuple[int, int, frozenset[str]]]:
        """Tonight's earlier moment of the same person (`[past] earlier`, to the next `now` word in its sentence), with the
        flags still read there: all but `changes`, the states a later one supersedes. "刚才他还说不去救助站，现在同意跟我们走了"
        is no refusal and "earlier he was walking around fine, now … sitting" sits, while "he was drunk earlier, now he's not
        responding" is still drunk and 刚才还在发抖，现在不抖了 still the cold's shivering."""
        past = self.past
        if past is None or past.earlier is None:
            return []
        spans: list[tuple[int, int, frozenset[str]]] = []
        for match in past.earlier.finditer(norm):
            end = _SENTENCE_END.search(norm, match.end())
            now = past.now.search(norm, match.end(), end.start() if end else len(norm))
            if now is None or self._goes_on(norm, now.end()):
                continue
            start = match.start()
            if _EARLIER_AFTER.match(norm, match.end()):
                # "He refused help earlier, now …": the word ends its clause, which it dates whole
                start = max((m.end() for m in _CLAUSE_END.finditer(norm, 0, match.start())), default=0)
            stop = now.start()
            if _NOW_AFTER.match(norm, now.end()):
                # "刚才还不让管，叫不醒了现在": the now word closes the later state's clause, which it dates whole
                stop = max((m.end() for m in _CLAUSE_END.finditer(norm, match.end(), now.start())), default=stop)
            spans.append((start, stop, frozenset(FLAGS) - past.changes))
        return spans + self._then_same(norm)

    def _goes_on(self, norm: str, at: int) -> bool:
        """Whether the `now` word ending at `at` says the earlier state goes on ("刚才说不去，现在还在那坐着", "now he's
        still sitting there": the refusal holds)."""
        still = self.past.still if self.past is not None else None
        gap = _STILL_GAP.match(norm, at)
        return still is not None and still.match(norm, gap.end() if gap else at) is not None

    def _group_of(self, low: int, high: int) -> str | None:
        """The one age group every age from `low` to `high` falls in (minor, adult, elderly), or None."""
        groups = {"minor" if self.minor_under is not None and age < self.minor_under
                  else "elderly" if self.elderly_from is not None and age >= self.elderly_from else "adult" for age in (low, high)}
        return next(iter(groups)) if len(groups) == 1 else None

    def _born(self, norm: str, skip: list[tuple[int, int]], year: int) -> set[str]:
        """Age groups from a birth decade ("80后") or a birth year ("1949年出生") against `year`, the tip's."""
        found: set[str] = set()
        for match in _GENERATION.finditer(norm):
            if any(s <= match.start() < e for s, e in skip):
                continue
            n = int(match["gen"])
            first = 2000 + n if 2000 + n <= year else 1900 + n
            width = 10 if n % 10 == 0 else 5
            found.add(self._group_of(year - first - width, year - first) or "")
        for match in _BIRTH_YEAR.finditer(norm):
            born = int(match["born"] or match["born2"])
            if born <= year and not any(s <= match.start() < e for s, e in skip):
                found.add(self._group_of(year - born - 1, year - born) or "")
        found.discard("")
        return found

    def _age_flags(self, norm: str, skip: list[tuple[int, int]] | None = None, year: int | None = None) -> set[str]:
        """`minor` / `elderly` (and `adult`, which is no flag) from ages stated in the text ("七十多岁", "a 12-year-old",
        "三十来岁", "80后" and a birth year against `year`), but not inside `skip`."""
        if self.minor_under is None and self.elderly_from is None:
            return set()
        flags: set[str] = self._born(norm, skip or [], year) if year is not None else set()
        for match in _AGE.finditer(norm):
            if any(s <= match.start() < e for s, e in skip or ()):
                continue
            groups = match.groupdict()
            if (classical := groups["zcls"] or groups["zyrnum"]) in _ZH_CLASSICAL_AGES:
                age: int | None = _ZH_CLASSICAL_AGES[classical]
            elif (groups["znum"] is not None or groups["zage"] is not None or groups["zsex"] is not None or groups["zpers"] is not None
                    or groups["zyrnum"] is not None or groups["zncls"] is not None):
                age = _zh_number(groups["znum"] or groups["zage"] or groups["zsex"] or groups["zpers"] or groups["zyrnum"]
                                 or groups["zncls"])
            elif groups["zben"] is not None:
                ben = _zh_number(groups["zben"]) or 0
                age = (ben * 10 if ben < 10 else ben) - 1  # 奔七十, 奔七: nearing seventy
            elif groups["zxun"] is not None:
                age = _ZH_DIGITS[groups["zxun"]] * 10  # 七旬: in the seventies
            elif groups["eword"] is not None or groups["eword2"] is not None:
                age = _EN_DECADES[groups["eword"] or groups["eword2"]]
            elif groups["edec"] is not None or groups["edec2"] is not None or groups["edec3"] is not None:
                age = int(groups["edec"] or groups["edec2"] or groups["edec3"]) * 10
            else:
                digits = (groups["enum"] or groups["enum2"] or groups["enum3"] or groups["enum4"] or groups["enum5"] or groups["enum6"]
                          or groups["enum7"] or groups["enum8"] or groups["enum9"] or groups["enum10"] or groups["enum11"])
                age = _en_number(digits) if digits else None
            if age is None or age > 120 or self._negated(norm, match.start(), self.age_negation):
                continue
            if groups["zpre"] or groups["epre"] or groups["zyr"] == "年近":
                age -= 1  # "未满18岁", "under 18 years old": below the number
            if self.minor_under is not None and age < self.minor_under:
                flags.add("minor")
            if self.elderly_from is not None and age >= self.elderly_from:
                flags.add("elderly")
            if age >= (self.minor_under or 0) and age < (self.elderly_from or 121):
                flags.add("adult")
        for match in _BARE_AGE.finditer(norm):
            if any(s <= match.start() < e for s, e in skip or ()):
                continue
            said_of = match["snum"] is not None or match["lnum"] is not None
            age = _zh_number(match["snum"] or match["lnum"] if said_of else match["bnum"])
            if age is None or age > 120 or self._negated(norm, match.start(), self.age_negation):
                continue
            if _BELOW.search(match["sabout"] or "" if said_of else match["bpre"] or ""):
                age -= 1  # "快七十了": not yet seventy
            if said_of and self.minor_under is not None and age < self.minor_under:
                flags.add("minor")
            if self.elderly_from is not None and age >= self.elderly_from:
                flags.add("elderly")
            if said_of and (self.minor_under or 0) <= age < (self.elderly_from or 121):
                flags.add("adult")  # "他今年二十三": a grown-up's age said of the person
        return flags

    def description_in(self, text: str, year: int | None = None) -> tuple[str | None, str | None, bool]:
        """(sex, posture, adult) the text states unambiguously: sex and posture None when it says nothing or
        both ways; adult when it names a grown-up ("一名男子") or a grown-up's age ("三十来岁", "40s", "80后" against
        `year`) and no age flag contradicts it. What the reporter says of themselves describes nobody."""
        if not text or not self.describe_cues:
            return None, None, False
        norm = self._norm(text)
        # What the person seemed is still how they looked ("看着像躺着不动" is lying).
        described = self.describe_cues.spans(norm)
        kept = self._past(norm) + [(s, e) for s, e, _ in self._kin(norm)] + self._animal(norm) + self._named(norm, described)
        own = self._own(norm)
        folded = self._folded(text)
        lone = ({_LONE_WORDS[m.group(1)] for m in _LONE_WORD.finditer(folded)}
                | {"male" if m.group(1) == "m" else "female" for m in _LONE_LATIN.finditer(folded)})

        def said_outside(unsaid: list[tuple[int, int]]) -> set[str]:
            said = {word for word, spans in described.items()
                    if any((norm[start:end].strip() in _PRONOUNS or not self._negated(norm, start))
                           and not any(s <= start < e and ((s, e) != (start, end) or _CALLERS_KIN.match(norm, start)) for s, e in unsaid)
                           and not self._of_reporter(norm, start, end, own) for start, end in spans)} | lone
            if _AGE_HINT.search(norm) and ("adult" in self._age_flags(norm, unsaid + [(s, e) for s, e, _ in own], year)
                                           or "adult" in self._spaced_ages(text, year)):
                said.add("adult")
            return said

        # A relative's word that is itself a description says who the person is: "beaten by her husband" is a woman (but the
        # caller's own relative is theirs: "老太太说我儿子叫啥来着" is no man).
        # A hypothetical, a person gone or a correction (`[unsaid]`) takes back what it says of the person only where the
        # rest says otherwise: "一个男的，不对，是个女的" is a woman, "he's about 30, wait, no, maybe 15" still a male.
        # So does a first impression or an earlier report (`[seeming]`): "刚才说是个大爷，走近一看是个大妈" is a woman, while
        # "看着像躺着不动，走近一看是在睡觉" still lies.
        taken_back = self._unsaid(norm) + [(s, e) for s, e, _ in self._gone(norm)] + self._seeming(norm)
        said = said_outside(kept + taken_back)
        whole = said_outside(kept) if taken_back else said
        sexes = set() if self._with_caller(norm) else (said & {"male", "female"}) or (whole & {"male", "female"})
        postures = (said & {"lying", "sitting", "standing"}) or (whole & {"lying", "sitting", "standing"})
        if earlier := [(s, e) for s, e, _ in self._earlier(norm)]:
            # A posture is a state a later one supersedes: what the person does now, when the text says it.
            postures = (said_outside(kept + taken_back + earlier) & {"lying", "sitting", "standing"}) or postures
        heard = said | whole
        if nights := [(s, e) for s, e, _ in self._then_same(norm)]:
            # An earlier night's posture or fall is none of tonight's: "他昨晚躺在这，今天没看见" says no posture,
            # "我妈昨天摔倒了，现在走丢了" no fall (tonight's earlier moment still stands when nothing later supersedes it).
            heard = said_outside(kept + nights)
            postures &= heard
        if not postures and "fallen" in heard and "risen" not in said | whole:
            postures = {"lying"}  # a fall with no posture said leaves the person down
        adult = ("adult" in said or "adult" in whole) and not ({"minor", "elderly"} & set(self.flags_in(text, year)))
        return (next(iter(sexes)) if len(sexes) == 1 else None, next(iter(postures)) if len(postures) == 1 else None, adult)

    def company_in(self, text: str) -> str | None:
        """Whether the text says a minor is alone or with a parent or other grown-up (`[company]`), None if it says
        neither. Alone wins when both are said ("妈妈走了，孩子一个人"): the mandatory report is the safe side. A child
        carried or led (`_WITH_CHILD`, which counts the grown-up) is with them."""
        if not text or self.company is None:
            return None
        norm = self._norm(text)
        alone, accompanied = self.company
        if alone.search(norm) or _ALONE_ITEM.search(norm):
            return "alone"
        return "accompanied" if accompanied.search(norm) or _WITH_CHILD.search(norm) else None

    def persons_in(self, text: str) -> int | None:
        """How many persons the text says the tip is about ("两个人", "一家三口", "3 people"); None if it does not say."""
        if not text or self.persons is None:
            return None
        norm = self._norm(text)
        listed_items = self._items_persons(norm)
        if listed_items >= 2:
            return listed_items
        with_child = _WITH_CHILD.search(norm) is not None
        if not _PERSONS_HINT.search(norm):
            return 2 if with_child else None
        counts: list[int] = []  # one per group of counts joined by "and" (一个大爷和一个小孩: 1 + 1)
        last_end: int | None = None
        in_list = False
        lone: set[int] = set()  # groups that are one listed person joined to nothing ("a runaway teen, a migrant worker")
        for match in self.persons.finditer(norm):
            groups = match.groupdict()
            if groups.get("selfpair"):
                if not self._pair_alone(norm, match):
                    continue  # "我们俩路过看见一个大爷": the callers are not the persons
                value = 2
            elif groups.get("pair") or groups.get("pair2") or groups.get("pair3"):
                value = 2
            elif groups.get("en4") or groups.get("en6"):
                value = 1  # "and a lass": one more
            elif groups.get("zm"):
                value = (_zh_number(groups["zm"]) or 0) + (_zh_number(groups["zf"]) or 0)
            else:
                raw = (groups.get("zn") or groups.get("zn2") or groups.get("zn3") or groups.get("zn4") or groups.get("en") or groups.get("en2")
                       or groups.get("en3") or groups.get("en5"))
                said = None if raw is None else _EN_NUMBERS.get(raw) if raw in _EN_NUMBERS else _zh_number(raw)
                if said is None or said <= 0 or self._negated(norm, match.start()):
                    continue
                # Children counted right after a grown-up's carrying or leading verb, nobody counted before
                # ("有个妇女带着两个孩子"): the grown-up is one more.
                value = said + (not counts and _CARRIED.search(norm, max(0, match.start() - 16), match.start()) is not None)
            between = norm[last_end:match.start()] if last_end is not None else ""
            if counts and last_end is not None and (_PERSONS_AND.fullmatch(between) or (in_list and _LIST_COMMA.fullmatch(between))):
                counts[-1] += value
                lone.discard(len(counts) - 1)
            else:
                if groups.get("en4") or groups.get("en6"):
                    lone.add(len(counts))
                counts.append(value)
            last_end = match.end()
            in_list = bool(groups.get("en6"))  # "a man, a woman and a boy": the comma lists the next one too
        counts = [count for n, count in enumerate(counts) if n not in lone]
        if not counts or max(counts) == 1:
            # No count says more than one: a child carried or led is a second person, and a note that lists its people
            # one by one ("1 guy drunk, 1 lady bleeding") counts its items.
            listed = max(len(_LISTED_ONE.findall(norm)), self._ones_in_a_state(norm))
            if listed >= 2 or with_child:
                return max(listed, 2)
        return max(counts) if counts else None

    def _pair_alone(self, norm: str, pair: re.Match[str]) -> bool:
        """Whether the caller's pair (`_SELF_PAIR`: 我和我妈, "me and my dad") is all the tip is about: it names nobody
        else, the pair's other said again (我妈, 她, "she", "my mum") being no one else ("我跟我妈在火车站外面，我妈摔倒了")."""
        others = self._others
        if others is None or self.reporter is None:
            return False
        parted = self.reporter.parted
        if parted is not None and parted.search(norm, pair.end()):
            return False  # "我和我老公走散了，他喝了酒": the caller is looking for the one named, who is the person
        if self._relative_alone(norm, pair):
            return False  # "我跟我妈出来的，我妈摔倒了": the caller beside her reports, she is the person
        rest = norm[:pair.start()] + " " + norm[pair.end():]
        kin = pair.groupdict().get("kin") or (f"my {pair['enkin']}" if pair.groupdict().get("enkin") else None)
        if kin:
            rest = _SELF_PAIR_ALONE.sub(" ", _PAIR_AGAIN.sub(" ", rest.replace(kin, " ")))  # 我俩, "we two": the pair again
        return others.search(rest) is None

    def _relative_alone(self, norm: str, pair: re.Match[str]) -> bool:
        """Whether only the relative named with the caller is in trouble: said again after the pair's clause (我妈摔倒了,
        "she fell", "he's drunk") while nothing says the two are in it together (`[reporter] together`: 迷路, 被困, 我俩,
        "stuck", "we"), so that a passer-by's report of one fallen woman there matches it."""
        together = self.reporter.together if self.reporter is not None else None
        kin = pair.groupdict().get("kin") or pair.groupdict().get("enkin")
        if together is None or not kin:
            return False
        clause = _CLAUSE_END.search(norm, pair.end())
        if clause is None:
            return False
        again = re.compile(rf"{re.escape(kin.removeprefix('我'))}|(?<![a-z]){re.escape(kin)}(?![a-z])|{_PAIR_AGAIN.pattern}")
        for shared in together.finditer(norm, pair.end()):
            # A later clause opened by the relative is the relative's own (我跟我女儿在公园，她冻得直哆嗦: she is cold).
            opens = max((m.end() for m in _CLAUSE_END.finditer(norm, clause.start(), shared.start())), default=pair.end())
            if shared.start() < clause.end() or not again.match(norm[opens:shared.start()].lstrip()):
                return False
        return again.search(norm, clause.end()) is not None

    @_per_text
    def _with_caller(self, norm: str) -> bool:
        """Whether the persons are the caller and one relative or friend (我和我妈迷路了, "me and my mum are stuck"): the
        caller's sex is unsaid, so the pair's is."""
        if "我" not in norm and "me" not in norm and " i " not in f" {norm} ":
            return False
        return any(m["kin"] or m["enkin"] for m in _SELF_PAIR_ALONE.finditer(norm) if self._pair_alone(norm, m))

    def _items_persons(self, norm: str) -> int:
        """The persons of a numbered list of sightings ("1. 一个大爷躺着；2. 一个女的坐着；3. 两个男的"): each item's own
        count, or one for an item that brings in a person; 0 unless the items run 1, 2, … Items telling one person bit by
        bit ("1. 一个老太太… 2. 她说…") sum to one, which says nothing."""
        if not _ITEM.search(norm):
            return 0
        marks = [m for m in _ITEM.finditer(norm)]
        run: list[re.Match[str]] = []
        for m in marks:
            if int(m.group(1)) == len(run) + 1:
                run.append(m)
        if len(run) < 2:
            return 0
        total = 0
        for m, end in zip(run, [*(r.start() for r in run[1:]), len(norm)], strict=True):
            item = norm[m.end():end]
            counted = self.persons_in(item)
            total += counted if counted is not None else bool(_ZH_ONE_PERSON.search(item) or _ITEM_PERSON.search(item))
        return total

    def _ones_in_a_state(self, norm: str) -> int:
        """How many persons said one by one (一个男的…，一个女的…) the text gives, when each is said in some state (a flag
        other than their age, or a posture) before the next; 0 when fewer than two or one of them is in none. Rare, so
        each part is read again on its own."""
        starts = [m.start() for m in _ZH_ONE_PERSON.finditer(norm)]
        if len(starts) < 2:  # most texts: the spans below are not worked out for them
            return 0
        # An earlier night's person, a hypothetical one and one already gone are no one the team will meet.
        gone = self._past(norm) + self._unsaid(norm) + [(s, e) for s, e, _ in self._gone(norm)]
        starts = [start for start in starts if not any(s <= start < e for s, e in gone)]
        if len(starts) < 2:
            return 0
        for start, end in itertools.pairwise([*starts, len(norm)]):
            part = norm[start:end]
            if not set(self.flags_in(part)) - _WHO_FLAGS and self.description_in(part)[1] is None:
                return 0
        return len(starts)

    def form_value(self, value: str, allowed: tuple[str, ...]) -> str | None:
        """The one of `allowed` a form's spelling names ("男" male, "F" female, "老人" elderly), or None."""
        name = self.form_values.get(channel_key(value), channel_key(value))
        return name if name in allowed else None

    def unstated(self, value: str) -> bool:
        """Whether a form's value states nothing: blank ("", "-") or a spelling of `unknown` ("不详", "N/A")."""
        key = channel_key(value)
        return not key or self.form_values.get(key, key) == UNSTATED

    def channel(self, name: str) -> str | None:
        """The channel a spelling names ("Taxi", "外卖骑手", "security guard"), or None."""
        return self.channels.get(channel_key(name))


_CHANNEL_SEPARATORS = re.compile(r"[\s\-_]+")


def channel_key(name: str) -> str:
    """Folded, trimmed, words joined by `_`: the key channel names are compared by."""
    return "_".join(w for w in _CHANNEL_SEPARATORS.split(normalize_text(name)) if w)


def load_lexicon(path: Path | str) -> Lexicon:
    path = Path(path)
    text = read_text(path, "lexicon")
    return parse_lexicon(parse_toml(text, str(path)), str(path), text)


# What follows a number that is not a head count: more of the number, an age
# ("七十岁的老人", "年过七旬的男子", "3岁的孩子"), a time, a temperature, a distance or a generation's
# birth decade ("10后的孩子").
_ZH_NOT_A_COUNT = rf"[\d{_ZH_NUM_WORDS}]|\s*(?:多|来|余|几)?(?:周岁|岁|旬|度|°|点|时|小时|分|秒|号|楼|层|米|公里|年|月|日|天|元|块)|后|{_ZH_CLASSICAL}"
_EN_NOT_A_COUNT = r"\d|[\s\-]*(?:years?|yrs?|y/?o|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|degrees?|metres?|meters?|m|km)(?![a-z])"


# The caller and one other (我们俩, 我和我妈, 我跟我弟, "me and my mum"), with the other's word as `kin` when said.
_SELF_PAIR = (r"我们俩|咱们俩|我俩|咱俩|我们两个|咱们两个|我[和跟同](?P<kin>我(?:弟弟?|哥哥?|姐姐?|妹妹?|妈妈?|爸爸?|儿子|女儿|老公|老婆|媳妇|老伴|对象|朋友|同学))"
              r"|(?<![a-z])(?:me\s+and\s+my|my\s+(?:[a-z]+)\s+and\s+(?:me|i))(?![a-z])(?:\s+(?:little\s+|big\s+|younger\s+|older\s+)?"
              r"(?P<enkin>brother|sister|mom|mum|mother|dad|father|son|daughter|wife|husband|friend|grandma|grandpa|boyfriend|girlfriend)(?![a-z]))?")
_SELF_PAIR_ALONE = re.compile(_SELF_PAIR)
# The pair's other said again (她, "he", "my mum"): no one else.
_PAIR_AGAIN = re.compile(r"[他她]|(?<![a-z])(?:he|she|him|her|his|he's|she's)(?![a-z'])")


def _persons_pattern(zh: list[str], en: list[str], en_one: list[str] | None = None) -> re.Pattern[str] | None:
    """Counts followed by a person noun; a cue list in the data names the nouns."""
    if not zh and not en:
        return None
    parts = [
        # 一家三口; 母子俩, 老两口, 一对夫妻; 俩老头, 仨孩子 (spoken 俩 two, 仨 three, which take no 个)
        r"一家(?P<zn>[二两三四五六七八九十\d]{1,2})口",
        r"(?:哥|姐|兄弟|姐妹|爷|娘|母子|父子|母女|父女)(?P<zn4>仨)",
        # 一男两女, 两男一女: the men and the women counted together
        rf"(?<![\d{_ZH_NUM_WORDS}第])(?P<zm>[一二两三四五六七八九十俩仨])男(?P<zf>[一二两三四五六七八九十俩仨])女",
        # the caller and one other, when the tip names nobody else (我和我弟…我们俩都冻得直发抖, "me and my brother are stuck")
        rf"(?P<selfpair>{_SELF_PAIR})",
        r"(?P<pair>[母父]子俩|[母父]女俩|夫妻俩|[兄姐][妹弟]俩|[爷奶姥]孙俩|祖孙俩|夫妇俩|兄弟俩|姐妹俩|他们俩|她们俩|[他她]们(?:两个|二人)|他俩|她俩|哥俩|姐俩|爷俩|娘俩|爷儿俩|娘儿俩|两口子|老两口|俩人|一对(?:老)?(?:夫妻|夫妇|母子|父子|母女|父女|情侣|老人)|一男一女|一老一小|一大一小)",
    ]
    if zh:
        nouns = "|".join(re.escape(normalize_text(n)) for n in sorted(zh, key=len, reverse=True))
        # a rank or a school year is no count: 第三个人, 初二学生, 两个高三学生 are one and two
        parts.append(
            rf"(?<![\d{_ZH_NUM_WORDS}第初高])(?P<zn2>\d{{1,3}}|[一二两三四五六七八九十]{{1,3}}|[俩仨])(?!{_ZH_NOT_A_COUNT})\s*(?:个|名|位)?"
            rf"(?:[^\s，。！？、；：,.!?;:的]{{1,6}}的)?(?:[初高][一二三])?(?:{nouns})"
        )
        # shorthand: 醉汉x2, 老人×3
        parts.append(rf"(?:{nouns})\s*[x×*]\s*(?P<zn3>[2-9]|[1-9]\d)(?![\d])")
    if en:
        nouns = "|".join(re.escape(normalize_text(n)) for n in sorted(en, key=len, reverse=True))
        numbers = "|".join(re.escape(n) for n in sorted(_EN_NUMBERS, key=len, reverse=True))
        # a count said as a range, read as its least: "three or four teenagers" are at least three (as 两三个人 is two)
        parts.append(rf"(?<![a-z0-9])(?P<en5>\d{{1,3}}|{numbers})\s+(?:or|to)\s+(?:\d{{1,3}}|{numbers})\s+(?:[a-z'\-]+\s+)?(?:{nouns})(?![a-z])")
        parts.append(rf"(?<![a-z0-9])(?P<en>\d{{1,3}}|{numbers})(?!{_EN_NOT_A_COUNT})\s+(?:[a-z'\-]+\s+)?(?:{nouns})(?![a-z])")
        # "a couple of drunk dudes" is two people (not "a couple of minutes": a person noun follows)
        parts.append(rf"(?<![a-z])(?P<pair3>couple)\s+of\s+(?:[a-z'\-]+\s+)?(?:{nouns})(?![a-z])")
        parts.append(r"(?<![a-z])(?:a\s+family\s+of|family\s+of)\s+(?P<en2>\d{1,2}|" + numbers + r")(?![a-z0-9])")
        parts.append(r"(?<![a-z0-9])(?P<en3>\d{1,2}|" + numbers + r")\s+of\s+them(?![a-z])")
        parts.append(r"(?<![a-z])(?P<pair2>both\s+of\s+them|couple|(?:they're|they\s+are)\s+both)(?![a-z])(?!\s+of)")
    if en_one:
        # one more person joined to a counted group: "two blokes and a lass" is three
        nouns = "|".join(re.escape(normalize_text(n)) for n in sorted(en_one, key=len, reverse=True))
        parts.append(rf"(?<=and\s)(?P<en4>a|an|one|their|his|her)\s+(?:[a-z'\-]+\s+)?(?:{nouns})(?![a-z])")
        # one person listed before "and" or a comma: "an old man and a young woman", "a man, a woman and a small boy",
        # "a mother and two little kids" (counted only when joined to the next item; alone it is one)
        parts.append(rf"(?<![a-z])(?P<en6>a|an|one)\s+(?:[a-z'\-]+\s+){{0,2}}?(?:{nouns})(?=\s*,\s*(?:a|an)\s|\s+and\s)")
    return re.compile("|".join(parts))


_TABLES = ("version", "flags", "except", "negations", "ages", "persons", "describe", "channels", "form_values", "typos", "dialect",
           "homophones", "past", "signs", "reporter", "seeming", "unsaid", "kin", "company", "animals", "dialogue",
           "body_temperature", "closing", "names")
_NEGATION_KEYS = ("zh", "zh_unseen", "zh_fillers", "en", "en_unseen", "en_fillers", "zh_except", "en_except", "ko", "ko_after")
_TYPO_KEYS = ("min_letters", "two_edits_from")
_HOMOPHONE_KEYS = ("max_changed", "toneless_from", "flags", "toneless", "words", "complements")


def parse_lexicon(data: dict[str, object], source: str = "<lexicon>", text: str = "") -> Lexicon:
    def fail(key: str, reason: str) -> ConfigError:
        line = next((i + 1 for i, ln in enumerate(text.splitlines()) if ln.strip().startswith((f"{key} ", f"{key}=", f"[{key}]"))), None)
        return ConfigError(f"{key}: {reason}", path=source, line=line)

    def cue_list(key: str, cues: object, *, in_text: bool = True) -> list[str]:
        """Cues looked for in a tip's text (`in_text`), or spellings of a whole value (a channel, a form value: "?")."""
        if not isinstance(cues, list) or not all(isinstance(c, str) and c.strip() for c in cues):
            raise fail(key, "expected a list of non-empty strings")
        for cue in cues:
            if not _anchor(cue):  # "*" matched every English word, "~" the start of every Chinese text: the flag on every tip
                raise fail(key, f"cue {cue!r} holds no word (only ~, *, spaces, - or ')")
            if in_text and not any(ch.isalnum() for ch in cue):  # "，" or "." matched nearly every tip: the flag on all of them
                raise fail(key, f"cue {cue!r} holds no letter or digit (only punctuation): it would match nearly every tip")
        return [str(c) for c in cues]

    # A misspelt table ([negation], [channel]) was ignored whole: its words silently did nothing.
    for table, known in ((data, _TABLES), (data.get("negations"), _NEGATION_KEYS), (data.get("persons"), ("zh", "en", "en_one")),
                         (data.get("typos"), _TYPO_KEYS), (data.get("homophones"), _HOMOPHONE_KEYS),
                         (data.get("past"), (*_PAST_KEYS, "earlier", "changes", "still")), (data.get("reporter"), ("self", "other", "third", "relayed", "told", "called", "parted", "together")),
                         (data.get("seeming"), ("seemed", "but", "denied", "parts")), (data.get("unsaid"), (*_UNSAID_KEYS, "who")),
                         (data.get("kin"), ("words", "until", "keep")), (data.get("company"), ("alone", "accompanied")),
                         (data.get("animals"), ("words", "persons")), (data.get("closing"), ("words", "leaving")),
                         (data.get("names"), ("zh", "en", "en_between_not"))):
        unknown = sorted(set(table) - set(known)) if isinstance(table, dict) else []
        if unknown:
            raise fail(unknown[0], f"unknown key (known: {', '.join(known)})")
    if data.get("version", 1) != 1:
        raise fail("version", f"unsupported lexicon version {data.get('version')!r:.20} (this build reads 1)")
    flags = data.get("flags")
    if not isinstance(flags, dict):
        raise fail("flags", "missing [flags] table")
    patterns: dict[str, re.Pattern[str]] = {}
    all_cues: list[Cue] = []
    for flag, cues in flags.items():
        if flag not in FLAGS:
            raise fail(flag, f"unknown flag {flag!r}")
        patterns[flag] = _compile(cue_list(flag, cues))
        all_cues.extend(_cues(flag, cue_list(flag, cues)))
    exceptions: dict[str, re.Pattern[str]] = {}
    except_cues: list[Cue] = []
    excepts = data.get("except", {})
    if not isinstance(excepts, dict):
        raise fail("except", "expected a table")
    for flag, cues in excepts.items():
        if flag not in FLAGS:
            raise fail(flag, f"unknown flag {flag!r}")
        exceptions[flag] = _compile(cue_list(flag, cues))
        except_cues.extend(_cues(flag, cue_list(flag, cues)))
    negation = _negation(data.get("negations", {}), fail)
    age_negation = _negation(data.get("negations", {}), fail, unseen=False)
    negation_excepts = _negation_excepts(data.get("negations", {}), fail)
    negation_after = _negation_after(data.get("negations", {}), fail)
    ages = data.get("ages", {})
    if not isinstance(ages, dict):
        raise fail("ages", "expected a table")
    bounds: dict[str, int | None] = {}
    for key in ("minor_under", "elderly_from"):
        value = ages.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 120):
            raise fail(key, "expected a whole number of years 1..120")
        bounds[key] = value
    if bounds["minor_under"] is not None and bounds["elderly_from"] is not None and bounds["elderly_from"] < bounds["minor_under"]:
        raise fail("elderly_from", f"must be at least minor_under ({bounds['minor_under']}): an age would be both minor and elderly")
    unknown_ages = set(ages) - set(bounds)
    if unknown_ages:
        raise fail(sorted(unknown_ages)[0], "unknown key in [ages] (known: minor_under, elderly_from)")
    persons = data.get("persons", {})
    if not isinstance(persons, dict):
        raise fail("persons", "expected a table")
    persons_pattern = _persons_pattern(cue_list("zh", persons.get("zh", [])), cue_list("en", persons.get("en", [])),
                                       cue_list("en_one", persons.get("en_one", [])))
    describe = data.get("describe", {})
    if not isinstance(describe, dict):
        raise fail("describe", "expected a table")
    describe_cues: list[Cue] = []
    for word, cues in describe.items():
        if word not in DESCRIPTION_WORDS:
            raise fail(word, f"unknown description {word!r} (known: {', '.join(DESCRIPTION_WORDS)})")
        describe_cues.extend(_cues(word, cue_list(word, cues)))
    channels = data.get("channels", {})
    if not isinstance(channels, dict):
        raise fail("channels", "expected a table")
    channel_map = {name: name for name in CHANNELS}
    for name, spellings in channels.items():
        if name not in CHANNELS:
            raise fail(name, f"unknown channel {name!r} (known: {', '.join(CHANNELS)})")
        for spelling in cue_list(name, spellings, in_text=False):
            key = channel_key(spelling)
            if channel_map.setdefault(key, name) != name:
                raise fail(name, f"spelling {spelling!r} already names channel {channel_map[key]!r}")
    form_values = data.get("form_values", {})
    if not isinstance(form_values, dict):
        raise fail("form_values", "expected a table")
    value_map: dict[str, str] = {}
    for name, spellings in form_values.items():
        if name not in FORM_VALUES:
            raise fail(name, f"unknown form value {name!r} (known: {', '.join(FORM_VALUES)})")
        for spelling in cue_list(name, spellings, in_text=False):
            if value_map.setdefault(channel_key(spelling), name) != name:
                raise fail(name, f"spelling {spelling!r} already names {value_map[channel_key(spelling)]!r}")
    typos = data.get("typos", {})
    if not isinstance(typos, dict):
        raise fail("typos", "expected a table")
    limits: dict[str, int] = {}
    for key, default in (("min_letters", 5), ("two_edits_from", 9)):
        value = typos.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 40:
            raise fail(key, "expected a whole number of letters 0..40 (min_letters 0: no typo is read)")
        limits[key] = value
    if limits["min_letters"] and limits["min_letters"] < 4:
        raise fail("min_letters", "at least 4 (or 0 to read no typo): a one-letter slip in a shorter word is another word")
    dialect, dialect_pattern = _dialect(data.get("dialect", {}), fail)
    sign_cues, sign_unless = _signs(data.get("signs", {}), cue_list, fail)
    reporter_words = _word_lists(data.get("reporter", {}), ("self", "other"), fail)
    reporter = data.get("reporter")
    relay_words = (_word_lists({k: reporter.get(k) for k in ("relayed", "told")}, ("relayed", "told"), fail)
                   if isinstance(reporter, dict) and ("relayed" in reporter or "told" in reporter) else None)
    seeming = data.get("seeming", {})
    seeming_words = _word_lists(seeming, ("seemed", "but"), fail)
    unsaid_words, unsaid_who = _words_and_flags(data.get("unsaid", {}), _UNSAID_KEYS, "who", fail)
    kin_words, kin_keep = _words_and_flags(data.get("kin", {}), ("words", "until"), "keep", fail)
    animal_words = _word_lists(data.get("animals", {}), ("words", "persons"), fail)
    homophones = _homophones(data.get("homophones", {}), flags, fail)
    sounded = _sounded_words(data.get("homophones", {}), fail)
    negations = data.get("negations", {})
    groups = [*((f"flag {k}", v) for k, v in flags.items()), *((f"except {k}", v) for k, v in excepts.items()),
              *((f"describe {k}", v) for k, v in describe.items()), ("persons", persons.get("en", [])),
              *((f"negation {k}", negations.get(k, [])) for k in ("en", "en_unseen", "en_fillers") if isinstance(negations, dict))]
    english = [(group, normalize_text(c)) for group, cues in groups for c in cues if isinstance(c, str) and not _CJK.search(c)]
    return Lexicon(
        patterns=patterns,
        negation=negation,
        exceptions=exceptions,
        minor_under=bounds["minor_under"],
        elderly_from=bounds["elderly_from"],
        persons=persons_pattern,
        channels=channel_map,
        cues=CueGroups.of(all_cues + sign_cues),
        except_cues=CueGroups.of(except_cues),
        describe_cues=CueGroups.of(describe_cues),
        form_values=value_map,
        typos=TypoReader.of(english, limits["min_letters"], limits["two_edits_from"]) if limits["min_letters"] else None,
        negation_excepts=negation_excepts,
        age_negation=age_negation,
        negation_after=negation_after,
        dialect=dialect,
        dialect_pattern=dialect_pattern,
        homophones=homophones, sounded=sounded,
        past=_past_words(data.get("past", {}), fail),
        sign_unless=sign_unless,
        reporter=ReporterWords(re.compile(rf"\s*(?:{reporter_words[0].pattern})"), reporter_words[1], reporter_words[0],
                               relay_words[0] if relay_words else None, relay_words[1] if relay_words else None,
                               (*_hint(reporter, "relayed"), *_hint(reporter, "called")), _others(data, fail),
                               _optional_words(reporter, "called", fail), _optional_words(reporter, "parted", fail),
                               _optional_words(reporter, "together", fail))
        if reporter_words else None,
        seeming=SeemingWords(seeming_words[0], seeming_words[1],
                             *(_denied(seeming.get(key, {}) if isinstance(seeming, dict) else {}, flags, fail, key)
                               for key in ("denied", "parts"))) if seeming_words else None,
        unsaid=UnsaidWords(unsaid_words[0], unsaid_words[1], unsaid_words[2], unsaid_who,
                           {key: _hint(data["unsaid"], key) for key in _UNSAID_KEYS}) if unsaid_words else None,
        kin=KinWords(kin_words[0], kin_words[1], kin_keep, _hint(data["kin"], "words")) if kin_words else None,
        pinyin=PinyinReader.of(_plain_words(data)),
        company=_word_lists(data.get("company", {}), ("alone", "accompanied"), fail),
        closing=_word_lists(data.get("closing", {}), ("words", "leaving"), fail),
        names=_names(data.get("names", {}), fail),
        animals=AnimalWords(animal_words[0], animal_words[1], _hint(data["animals"], "words")) if animal_words else None,
        dialogue=_dialogue(data.get("dialogue", {}), fail),
        body_temperature=_body_temperature(data.get("body_temperature"), fail),
    )


def _names(table: object, fail: Callable[[str, str], ConfigError]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None:
    """`[names]`: Chinese venue words matched right where a cue ends; English ones after the cue and at most two more words,
    none of them `en_between_not` ("drunk guy at the bar" is a drunk at a bar, "Drunken Dragon bar" a name)."""
    lists = _word_lists(table, ("zh", "en", "en_between_not"), fail)
    if lists is None:
        return None
    words = cast(dict[str, list[str]], table)
    zh = "|".join(re.escape(w) for w in sorted(words["zh"], key=len, reverse=True))
    en = "|".join(re.escape(w) for w in sorted(words["en"], key=len, reverse=True))
    between = "|".join(re.escape(w) for w in sorted(words["en_between_not"], key=len, reverse=True))
    # the third pattern, any venue word, tells cheaply whether a text can hold a name at all
    return (re.compile(f"(?:{zh})"), re.compile(rf"(?:[^\S\n]+(?!(?:{between})\b)[a-z'-]+){{0,2}}[^\S\n]+(?:{en})\b"),
            re.compile(rf"{zh}|\b(?:{en})\b"))


_DIALOGUE_KEYS = ("asker", "answerer", "yes", "no")
_DIALOGUE_OPTIONAL = ("hedged",)


def _dialogue(table: object, fail: Callable[[str, str], ConfigError]) -> Dialogue | None:
    """`[dialogue]`: the labels of a Q&A transcript's turns and the answers that say yes or no; None without the table."""
    if not table:
        return None
    if not isinstance(table, dict) or not set(_DIALOGUE_KEYS) <= set(table) <= {*_DIALOGUE_KEYS, *_DIALOGUE_OPTIONAL}:
        raise fail("dialogue", f"expected a table of {', '.join(_DIALOGUE_KEYS)} (and optionally {', '.join(_DIALOGUE_OPTIONAL)})")
    lists: list[list[str]] = []
    for key in (k for k in (*_DIALOGUE_KEYS, *_DIALOGUE_OPTIONAL) if k in table):
        value = table[key]
        if not isinstance(value, list) or not value or not all(isinstance(w, str) and w.strip() for w in value):
            raise fail(key, "expected a non-empty list of non-empty strings")
        lists.append([normalize_text(w.strip()) for w in value])
    return Dialogue.of(*lists)


def _plain_words(data: dict[str, object]) -> list[str]:
    """The lexicon's words that pinyin may stand for: cues of flags and signs, descriptions, counted persons, negations,
    a minor's company ("xiao hai yi ge ren" is 小孩一个人)."""
    def strings(table: object) -> list[str]:
        values = table.values() if isinstance(table, dict) else [table]
        found: list[str] = []
        for value in values:
            if isinstance(value, list):
                found.extend(normalize_text(v) for v in value if isinstance(v, str) and "~" not in v)
            elif isinstance(value, dict):
                found.extend(strings(value.get("cues", [])))
        return found

    negations = data.get("negations", {})
    persons = data.get("persons", {})
    return [*strings(data.get("flags", {})), *strings(data.get("signs", {})), *strings(data.get("describe", {})),
            *strings(persons.get("zh", []) if isinstance(persons, dict) else []),
            *strings(negations.get("zh", []) if isinstance(negations, dict) else []), *strings(data.get("company", {}))]


def _signs(table: object, cue_list: Callable[[str, object], list[str]],
           fail: Callable[[str, str], ConfigError]) -> tuple[list[Cue], dict[str, frozenset[str]]]:
    """`[signs]`: per flag, `cues` that read it and the flags (`unless`) that explain those cues instead."""
    if not isinstance(table, dict):
        raise fail("signs", "expected a table")
    cues: list[Cue] = []
    unless: dict[str, frozenset[str]] = {}
    for flag, sign in table.items():
        if flag not in FLAGS:
            raise fail(flag, f"unknown flag {flag!r}")
        if not isinstance(sign, dict) or set(sign) != {"unless", "cues"}:
            raise fail(flag, "expected a table with `unless` (flags) and `cues`")
        others = sign["unless"]
        if not isinstance(others, list) or not others or not all(isinstance(o, str) and o in FLAGS and o != flag for o in others):
            raise fail(flag, "unless: expected a non-empty list of other flags")
        unless[flag] = frozenset(others)
        cues.extend(_cues(SIGN + flag, cue_list(flag, sign["cues"])))
    return cues, unless


def _word_lists(table: object, keys: tuple[str, ...],
                fail: Callable[[str, str], ConfigError]) -> tuple[re.Pattern[str], ...] | None:
    """Lists of plain words, one pattern per key (Chinese matched anywhere, English as whole words), or None for an empty table."""
    if not isinstance(table, dict):
        raise fail(keys[0], "expected a table")
    if not table:
        return None
    patterns: list[re.Pattern[str]] = []
    for key in keys:
        words = table.get(key)
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() and "~" not in w and "*" not in w for w in words):
            raise fail(key, "expected a non-empty list of plain words (no ~ or *)")
        patterns.append(_compile(words))
    return tuple(patterns)


def _denied(table: object, flags: dict[str, object], fail: Callable[[str, str], ConfigError],
            key: str = "denied") -> tuple[tuple[str, re.Pattern[str]], ...]:
    """`[seeming] denied` or `parts`: per flag, plain words (不喝酒, "doesn't drink"; 腿, "legs")."""
    if not isinstance(table, dict) or not all(isinstance(k, str) and k in flags for k in table):
        raise fail(key, "expected a table of flag names")
    return tuple((flag, pattern) for flag in table for pattern in _word_lists({flag: table[flag]}, (flag,), fail) or ())


def _optional_words(reporter: object, key: str, fail: Callable[[str, str], ConfigError]) -> re.Pattern[str] | None:
    """An optional word list of `[reporter]` (`called`, `parted`); None when not listed."""
    if not isinstance(reporter, dict) or key not in reporter:
        return None
    patterns = _word_lists({key: reporter[key]}, (key,), fail)
    return patterns[0] if patterns else None


def _others(data: dict[str, Any], fail: Callable[[str, str], ConfigError]) -> re.Pattern[str] | None:
    """Every word that names someone other than the caller: `[reporter] third` (pronouns), the sexes `[describe]` reads,
    `[persons]` and `[past] someone`/`new`; None without `third` (then the reporter is never read as the person)."""
    reporter, describe, persons, past = (data.get(k, {}) for k in ("reporter", "describe", "persons", "past"))
    third = reporter.get("third") if isinstance(reporter, dict) else None
    if third is None:
        return None
    if not isinstance(third, list) or not all(isinstance(w, str) and w.strip() and "~" not in w and "*" not in w for w in third):
        raise fail("third", "expected a list of plain words (no ~ or *)")
    words = [*third, *(w for table, keys in ((describe, ("male", "female")), (persons, ("zh", "en", "en_one")),
                                            (past, ("someone", "new")))
                       if isinstance(table, dict) for key in keys for w in table.get(key, []) if isinstance(w, str) and w.strip()
                       and "~" not in w and "*" not in w)]
    return _compile(words)


def _past_words(table: object, fail: Callable[[str, str], ConfigError]) -> PastWords | None:
    """`[past]`: four lists of words (Chinese matched anywhere, English as whole words); none at all: no past is read."""
    if not isinstance(table, dict):
        raise fail("past", "expected a table")
    if not table:
        return None
    patterns: dict[str, re.Pattern[str]] = {}
    for key in _PAST_KEYS:
        words = table.get(key)
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise fail(key, "expected a non-empty list of non-empty strings")
        for word in words:
            if "~" in word or "*" in word:
                raise fail(key, f"word {word!r}: a [past] word is plain (no ~ or *)")
        patterns[key] = _compile(words)
    earlier = table.get("earlier", [])
    changes = table.get("changes", [])
    still = table.get("still", [])
    for key, words in (("earlier", earlier), ("still", still)):
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() and "~" not in w and "*" not in w for w in words):
            raise fail(key, "expected a list of plain, non-empty strings")
    if not isinstance(changes, list) or not all(isinstance(f, str) and f in FLAGS for f in changes):
        raise fail("changes", f"expected a list of flags (known: {', '.join(FLAGS)})")
    return PastWords(patterns["then"], patterns["now"], patterns["someone"], patterns["new"],
                     _compile(earlier) if earlier else None, frozenset(changes), _compile(still) if still else None)


def _dialect(table: object, fail: Callable[[str, str], ConfigError]) -> tuple[dict[str, str], re.Pattern[str] | None]:
    """`[dialect]`: words (folded) and the standard words they are read as, and one pattern, longest first."""
    if not isinstance(table, dict):
        raise fail("dialect", "expected a table of word = standard word")
    words: dict[str, str] = {}
    for word, standard in table.items():
        if not isinstance(standard, str) or not standard.strip() or not word.strip():
            raise fail(word, "expected a non-empty standard word")
        if not _CJK.search(word):
            raise fail(word, "a dialect word is Chinese (English is read by [typos])")
        key = normalize_text(word.strip())
        if words.setdefault(key, normalize_text(standard.strip())) != normalize_text(standard.strip()):
            raise fail(word, f"already read as {words[key]!r}")
    if not words:
        return {}, None
    return words, re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def _homophone_limits(table: object, fail: Callable[[str, str], ConfigError]) -> tuple[dict[str, object], dict[str, int]]:
    """`[homophones]` as a table, with its `max_changed` and `toneless_from` checked."""
    if not isinstance(table, dict):
        raise fail("homophones", "expected a table")
    limits: dict[str, int] = {}
    for key, default, low, high in (("max_changed", 1, 0, 2), ("toneless_from", 3, 2, 10)):
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise fail(key, f"expected a whole number {low}..{high}")
        limits[key] = value
    return table, limits


def _sounded_words(table: object, fail: Callable[[str, str], ConfigError]) -> Homophones | None:
    """`[homophones] words`: words for a person written in place wherever heard under other characters (流狼汉); only
    words of `toneless_from` characters or more, which are read tone-free."""
    table, limits = _homophone_limits(table, fail)
    words = table.get("words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and len(w) >= limits["toneless_from"] and _CJK.search(w)
                                              for w in words):
        raise fail("words", f"expected a list of Chinese words of {limits['toneless_from']} characters or more")
    if not words or not limits["max_changed"]:
        return None
    return Homophones.of([("word", normalize_text(w)) for w in words], limits["max_changed"], limits["toneless_from"])


def _homophones(table: object, flags: dict[str, object], fail: Callable[[str, str], ConfigError]) -> Homophones | None:
    """`[homophones]`: which flags' Chinese cues are also read by sound, and how closely (`rules.homophones`)."""
    table, limits = _homophone_limits(table, fail)
    named = table.get("flags", [])
    if not isinstance(named, list) or not all(isinstance(f, str) for f in named):
        raise fail("flags", "expected a list of flag names")
    for flag in named:
        if flag not in FLAGS:
            raise fail("flags", f"unknown flag {flag!r}")
    toneless = table.get("toneless", [])
    if not isinstance(toneless, list) or not all(isinstance(c, str) for c in toneless):
        raise fail("toneless", "expected a list of cue words")
    # Every cue of the flags read by sound, as written and folded (the `toneless` ones must be among them).
    listed: list[tuple[str, str, str]] = []
    for flag in named:
        words = flags.get(flag)
        listed.extend((flag, c, normalize_text(c.strip())) for c in (words if isinstance(words, list) else []) if isinstance(c, str))
    untoned = [normalize_text(c.strip()) for c in toneless]
    known = {folded for _, _, folded in listed}
    for cue, folded in zip(toneless, untoned, strict=True):
        if folded not in known:
            raise fail("toneless", f"{cue!r} is no cue of the flags read by sound")
    complements = table.get("complements", [])
    if not isinstance(complements, list) or not all(isinstance(c, str) and len(c) == 1 and _CJK.match(c) for c in complements):
        raise fail("complements", "expected a list of single Chinese characters")
    if not named or not limits["max_changed"]:
        return None
    cues = [(flag, folded) for flag, written, folded in listed if "~" not in written and _CJK.search(written)]
    return Homophones.of(cues, limits["max_changed"], limits["toneless_from"], untoned, complements)


_BODY_TEMPERATURE_KEYS = ("words", "hypothermia_below", "fever_from", "plausible", "flag")


def _body_temperature(table: object, fail: Callable[[str, str], ConfigError]) -> BodyTemperature | None:
    """`[body_temperature]`: the words for a person's measured temperature and the bounds of the normal range
    (`rules.body_temperature`); None without the table."""
    if table is None:
        return None
    if not isinstance(table, dict):
        raise fail("body_temperature", "expected a table")
    unknown = sorted(set(table) - set(_BODY_TEMPERATURE_KEYS))
    if unknown:
        raise fail(unknown[0], f"unknown key (known: {', '.join(_BODY_TEMPERATURE_KEYS)})")
    words = table.get("words")
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
        raise fail("words", "expected a list of non-empty strings")
    bounds: dict[str, float] = {}
    for key in ("hypothermia_below", "fever_from"):
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 25 <= value <= 45:
            raise fail(key, "expected degrees Celsius 25..45")
        bounds[key] = float(value)
    if bounds["fever_from"] <= bounds["hypothermia_below"]:
        raise fail("fever_from", "must be above hypothermia_below: every temperature would be a state")
    plausible = table.get("plausible", [20, 45])
    if (not isinstance(plausible, list) or len(plausible) != 2 or any(isinstance(v, bool) or not isinstance(v, int | float) for v in plausible)
            or not plausible[0] < bounds["hypothermia_below"] < bounds["fever_from"] <= plausible[1]):
        raise fail("plausible", "expected [low, high] degrees around hypothermia_below and fever_from")
    flag = table.get("flag", "ill")
    if flag not in FLAGS:
        raise fail("flag", f"unknown flag {flag!r}")
    return BodyTemperature.of([normalize_text(w.strip()) for w in words], bounds["hypothermia_below"], bounds["fever_from"],
                              (float(plausible[0]), float(plausible[1])), str(flag))


def _negation_excepts(negations: object, fail: Callable[[str, str], ConfigError]) -> re.Pattern[str] | None:
    """One pattern for the phrases whose negation negates nothing ("not only", "不光"); None if there are none.

    Each phrase must hold one of its language's negations or unseen words (whole words in English): a phrase
    without one could never excuse a negation and is a slip (a Chinese phrase under en_except, a misspelt negation).
    """
    if not isinstance(negations, dict):
        return None
    phrases: list[str] = []
    for key, words_key, chinese in (("zh_except", "zh", True), ("en_except", "en", False)):
        value = negations.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(key, "expected a list of non-empty strings")
        words = [normalize_text(w.strip()) for key_ in (words_key, f"{words_key}_unseen")
                 for w in negations.get(key_, []) if isinstance(w, str) and w.strip()]
        for phrase in value:
            folded = normalize_text(phrase.strip())
            if bool(_CJK.search(folded)) != chinese:
                raise fail(key, f"phrase {phrase!r} is not {'Chinese' if chinese else 'English'}")
            if not _anchor(phrase):
                raise fail(key, f"phrase {phrase!r} holds no word (only ~, *, spaces, - or ')")
            if chinese:
                held = any(w in folded for w in words)
            else:
                held = any(re.search(rf"(?<![a-z']){re.escape(w)}(?![a-z'])", folded) for w in words)
            if not held:
                raise fail(key, f"phrase {phrase!r} holds none of the [negations] {words_key} words: it would excuse nothing")
            phrases.append(phrase)
    if not phrases:
        return None
    return _compile(phrases)


def _negation(negations: object, fail: Callable[[str, str], ConfigError], unseen: bool = True) -> re.Pattern[str]:
    """One pattern that matches at the end of the text before a cue when that cue is negated.

    `zh_unseen`/`en_unseen` (not seeing it: "看不出", "can't see") are negations of what can be seen, and
    count only with `unseen` (cues, not stated ages).
    """
    if not isinstance(negations, dict):
        raise fail("negations", "expected a table")

    def words(key: str) -> list[str]:
        value = negations.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(key, "expected a list of non-empty strings")
        return sorted((normalize_text(v.strip()) for v in value), key=len, reverse=True)

    for word in words("ko"):
        if not re.fullmatch(f"[{_HANGUL}]+", word):
            raise fail("ko", f"word {word!r} is not a Korean word")
    for key, chinese in (("zh_unseen", True), ("en_unseen", False)):
        for word in words(key):
            if bool(_CJK.search(word)) != chinese:
                raise fail(key, f"word {word!r} is not {'Chinese' if chinese else 'English'}")
    zh, zh_fill, en, en_fill = words("zh"), words("zh_fillers"), words("en"), words("en_fillers")
    if unseen:
        zh = sorted(zh + words("zh_unseen"), key=len, reverse=True)
        en = sorted(en + words("en_unseen"), key=len, reverse=True)
    parts = []
    if zh:
        fill = f"(?:{'|'.join(re.escape(w) for w in zh_fill)}){{0,3}}" if zh_fill else ""
        parts.append(rf"(?:{'|'.join(re.escape(n) for n in zh)}){fill}$")
    if en:
        neg = "|".join(re.escape(n).replace("'", "'?") for n in en)
        fill = rf"(?:\s+(?:{'|'.join(re.escape(w) for w in en_fill)}))*" if en_fill else ""
        parts.append(rf"(?<![a-z'])(?:{neg}){fill}(?:\s+[a-z']+)?\s+$")
    if ko := words("ko"):
        # Korean 안/못 before a verb are words of their own: 편안 (at ease) holds no 안
        parts.append(rf"(?<![{_HANGUL}])(?:{'|'.join(re.escape(n) for n in ko)})\s*$")
    return re.compile("|".join(parts) or r"(?!x)x")


def _negation_after(negations: object, fail: Callable[[str, str], ConfigError]) -> re.Pattern[str] | None:
    """Korean negates after the verb (`ko_after`: 다치지 않았어요, 움직이지 못해요): matched at a cue's end, past up to
    `_KO_STEM_SYLLABLES` syllables of the stem the cue stops short of (술에 취 + 하지 않았어요). None: no such words."""
    if not isinstance(negations, dict):
        return None
    value = negations.get("ko_after", [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail("ko_after", "expected a list of non-empty strings")
    words = sorted((normalize_text(v.strip()) for v in value), key=len, reverse=True)
    for word in words:
        if not re.fullmatch(rf"[{_HANGUL}][{_HANGUL} ]*", word):
            raise fail("ko_after", f"word {word!r} is not Korean")
    if not words:
        return None
    alts = "|".join(re.escape(w).replace(r"\ ", r"\s*") for w in words)
    return re.compile(rf"[{_HANGUL}]{{0,{_KO_STEM_SYLLABLES}}}\s*(?:{alts})")
