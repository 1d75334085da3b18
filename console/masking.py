"""What a patrol team's phone may show about an incident.

Teams get what they need on scene (position, category, flags, persons,
nearest help point, deadline, the action to take) and a free text with
personal details masked: phone numbers, ID numbers, e-mail addresses,
licence plates and names. Everything else (sources, channels, reasons) is
left out: the team view is an allow-list, so a new field in DispatchEvent
never leaks to phones by accident.

The detection is a table of patterns (`RULES`), plus libphonenumber for
phone numbers in any written form, run on a folded copy of the text
(full width to ASCII by NFKC, Chinese numerals to digits) and mapped back
onto the original, so everything not masked reads as the reporter wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import phonenumbers

MASK = "***"
NAME_MASK = "某某"

# Allowed fields of an incident on a team's phone.
TEAM_FIELDS: tuple[str, ...] = (
    "incident_id",
    "priority",
    "category",
    "status",
    "action",
    "lat",
    "lon",
    "district",
    "zone_id",
    "key_area",
    "flags",
    "persons",
    "nearest_help_point",
    "destination",
    "ack_deadline",
    "notify",
    "rules",
    "first_report_at",
    "at",
    "centre",
)

_CJK = r"[\u4e00-\u9fff]"
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
# Chinese numerals as people write phone numbers (一三八…, 幺 for one, 两 for two), and the formal
# (大写) numerals of cheques and forms (壹叁捌…, simplified and traditional), which read just as plainly.
_CN_DIGITS = str.maketrans("零〇○一幺二两兩三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖", "000112223456789122334566789")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_SURNAMES_ZH = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_DATE = re.compile(r"(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}日?")
_DECIMAL = re.compile(r"\d+\.\d+")
_NUMBER = re.compile(r"\d[\d.]*\d|\d")
# What people put between the groups of a number they dictate (folded text: full-width forms are ASCII here):
# 138 1234 5678, 138-1234-5678, 138_1234_5678, 138*1234*5678, 138,1234,5678, 138、1234、5678, 138~1234~5678, 138—1234—5678.
_DIGIT_SEP = r"\s()./_*~,、·—–-"


@dataclass(frozen=True)
class Rule:
    """One kind of personal detail: the pattern (on folded text), the group to hide and what replaces it."""

    name: str
    pattern: re.Pattern[str]
    group: int = 0
    mask: str = MASK
    keep: Callable[[str], bool] | None = None  # a match this says True to is not personal (a date, a count)
    numerals: bool = True  # match on text with Chinese numerals as digits (not for names: 张三丰 is no number)


def _not_a_number(text: str) -> bool:
    """A digit run that is a date (and time), decimals only (a coordinate, a pair of them) or too short to identify anyone."""
    rest = _DATE.sub("", text)
    return all(_DECIMAL.fullmatch(n) for n in _NUMBER.findall(text)) or sum(c.isdigit() for c in rest) < 7


# Applied to the folded text (full width -> ASCII, Chinese numerals -> digits); every match is hidden
# in the original text, so what is not masked reads exactly as the reporter wrote it.
RULES: tuple[Rule, ...] = (
    Rule("email", re.compile(r"[\w.+-]+\s*@\s*[\w-]+(?:\.[\w-]+)+")),
    # zhang at example dot com, zhang(at)example.com, zhang [at] example [dot] cn
    Rule(
        "email_spelled",
        re.compile(
            r"[\w.+-]+\s*(?:[(\[{<]\s*at\s*[)\]}>]|\bat\b|艾特)\s*[\w-]+"
            r"(?:\s*(?:[(\[{<]\s*dot\s*[)\]}>]|\bdot\b|点)\s*[\w-]+|\.[a-z]{2,6}\b)+",
            re.I,
        ),
    ),
    # Resident ID: 18 characters (last may be X) or 15 digits, glued to letters or spaced 6-8-4.
    Rule("id_number", re.compile(r"(?<!\d)(?:\d{6}[\s-]?(?:19|20)\d{6}[\s-]?\d{3}[\dXx]|\d{17}[\dXx]|\d{15})(?!\d)")),
    Rule("passport", re.compile(r"(?:护照|護照|passport)\s*(?:号码|號碼|号|號|no\.?|number|#)?\s*[:：]?\s*([A-Za-z0-9]{7,9})", re.I), group=1),
    Rule("passport_number", re.compile(_NOT_ALNUM_BEFORE + r"[EeGgDdSsPpKk][A-Za-z]?\d{7,8}" + _NOT_ALNUM_AFTER)),
    Rule("wechat", re.compile(r"(?:微信|weixin|wechat|v信|vx|wx)\s*(?:号|號|id|账号)?\s*[:：是为]?\s*([A-Za-z][-_A-Za-z0-9]{5,19})", re.I), group=1),
    Rule("qq", re.compile(r"qq\s*(?:号|號|号码)?\s*[:：是]?\s*(\d{5,11})", re.I), group=1),
    # Plates: 黑A12345, 黑 A·D1234, 黑a12345, 粤B-12345 (full width folded first).
    Rule("plate", re.compile("[" + _PROVINCES + r"]\s*[A-Za-z]\s*[·.\-\s]?\s*[A-Za-z0-9]{5,6}" + _NOT_ALNUM_AFTER)),
    # Any other run of 7+ digits with separators: a phone number written oddly, an account.
    Rule("digit_run", re.compile(_NOT_ALNUM_BEFORE + r"\+?\d[\d" + _DIGIT_SEP + r"]{5,}\d(?!\d)"), keep=_not_a_number),
    # Names introduced by a cue word; the cue stays, the name goes.
    Rule(
        "name_cue_zh",
        re.compile(r"(?:姓名|名字|名叫|叫做|自称|本人叫|他叫|她叫|老人叫|孩子叫|联系人|报警人|举报人)\s*[:：是为]?\s*(" + _CJK + "{2,4})"),
        group=1,
        mask=NAME_MASK,
        numerals=False,
    ),
    # A surname, up to two given-name characters, then a title: 王先生, 张建国师傅 -> 某先生.
    Rule("name_title_zh", re.compile("([" + _SURNAMES_ZH + "]" + _CJK + "{0,2})(?:先生|女士|小姐|大爷|大妈|阿姨|师傅)"), group=1, mask="某", numerals=False),
    Rule(
        "name_cue_en",
        re.compile(r"\b(?:[Nn]ame(?:d| is|:)|[Cc]alled|[Cc]alls (?:him|her)self|Mr\.?|Mrs\.?|Ms\.?|Miss|Mister)\s+([A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)"),
        group=1,
        numerals=False,
    ),
)


def fold_with_origins(text: str, *, numerals: bool = True) -> tuple[str, list[int]]:
    """NFKC-fold each character (full width, compatibility forms) and, with `numerals`, Chinese numerals to digits.

    Returns the folded text and, for each folded character, the index of the
    original character it came from, so matches map back onto the original.
    """
    parts: list[str] = []
    origins: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch)
        if numerals:
            folded = folded.translate(_CN_DIGITS)
        parts.append(folded)
        origins.extend([i] * len(folded))
    return "".join(parts), origins


def _phone_spans(folded: str) -> list[tuple[int, int]]:
    """Phone numbers in any written form libphonenumber knows (138.1234.5678, 138/1234/5678, +86 …, landlines)."""
    matcher = phonenumbers.PhoneNumberMatcher(folded, "CN", leniency=phonenumbers.Leniency.VALID)
    return [(m.start, m.end) for m in matcher]


def personal_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, mask) of every personal detail in `text`, merged where they overlap."""
    folds = {flag: fold_with_origins(text, numerals=flag) for flag in (True, False)}
    folded, origins = folds[True]
    found: list[tuple[int, int, str]] = [(origins[a], origins[b - 1] + 1, MASK) for a, b in _phone_spans(folded)]
    for rule in RULES:
        ftext, forig = folds[rule.numerals]
        for m in rule.pattern.finditer(ftext):
            a, b = m.span(rule.group)
            if a == b or (rule.keep is not None and rule.keep(m.group(rule.group))):
                continue
            found.append((forig[a], forig[b - 1] + 1, rule.mask))
    merged: list[tuple[int, int, str]] = []
    for a, b, mask in sorted(found):
        if merged and a < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], b), last[2] if b <= last[1] else MASK)
        else:
            merged.append((a, b, mask))
    return merged


def mask_text(text: str) -> str:
    """Free text with personal details replaced by *** (names by 某某/某/***)."""
    if not text:
        return text
    out: list[str] = []
    pos = 0
    for a, b, mask in personal_spans(text):
        if a < pos:  # two folded spans from one original character
            continue
        out.append(text[pos:a])
        out.append(mask)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def team_view(incident: dict[str, Any], task_event_id: str | None) -> dict[str, Any]:
    """An incident as its assigned team sees it: allow-listed fields, masked text."""
    view = {k: incident.get(k) for k in TEAM_FIELDS}
    view["event_id"] = task_event_id
    view["text"] = mask_text(str(incident.get("text") or ""))
    return view
