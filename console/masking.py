"""What a patrol team's phone may show about an incident.

Teams get what they need on scene (position, category, flags, persons,
nearest help point, deadline, the action to take) and a free text with
personal details masked: phone numbers, ID numbers, e-mail addresses,
licence plates and names. Everything else (sources, channels, reasons) is
left out: the team view is an allow-list, so a new field in DispatchEvent
never leaks to phones by accident.
"""

from __future__ import annotations

import re
from typing import Any

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
    "ack_deadline",
    "notify",
    "rules",
    "first_report_at",
    "at",
)

_CJK = r"[\u4e00-\u9fff]"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # e-mail
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), MASK),
    # Chinese resident ID (18 chars, last may be X) and 15-digit old IDs
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|(?<!\d)\d{15}(?!\d)"), MASK),
    # phone numbers: mobile (+86 optional), landlines with area code, any 7+ digit run with separators
    (re.compile(r"(?:\+?86[\s-]?)?(?<!\d)1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"), MASK),
    # licence plates: 黑A12345, 黑A·D1234
    (re.compile(_CJK + r"[A-Z][·.\s]?[A-Z0-9]{5,6}(?![A-Za-z0-9])"), MASK),
)
# Names introduced by a cue word; the cue stays, the name goes.
_NAME_CUES_ZH = re.compile(r"((?:姓名|名字|名叫|叫做|自称|本人叫|他叫|她叫|老人叫|孩子叫|联系人|报警人|举报人)\s*[:：是为]?\s*)(" + _CJK + r"{2,4})")
_SURNAMES_ZH = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
# A surname, up to two given-name characters, then a title: 王先生, 张建国师傅.
_NAME_TITLES_ZH = re.compile("([" + _SURNAMES_ZH + "]" + _CJK + "{0,2})(先生|女士|小姐|大爷|大妈|阿姨|师傅)")
# Any other run of 7+ digits (with spaces, dashes, brackets): a phone number or an account.
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\+?\d[\d\s()-]{5,}\d(?![0-9A-Za-z])")
_NAME_CUES_EN = re.compile(
    r"\b((?:[Nn]ame(?:d| is|:)|[Cc]alled|[Cc]alls (?:him|her)self|Mr\.?|Mrs\.?|Ms\.?|Miss|Mister)\s+)([A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)"
)


_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def _mask_digit_run(m: re.Match[str]) -> str:
    text = m.group(0)
    if _DATE.fullmatch(text) or sum(c.isdigit() for c in text) < 7:
        return text
    return MASK


def mask_text(text: str) -> str:
    """Free text with personal details replaced by *** (names by 某某/***)."""
    if not text:
        return text
    out = text
    for pattern, repl in _PATTERNS:
        out = pattern.sub(repl, out)
    out = _NAME_CUES_ZH.sub(lambda m: m.group(1) + NAME_MASK, out)
    out = _DIGIT_RUN.sub(_mask_digit_run, out)
    out = _NAME_TITLES_ZH.sub(lambda m: "某" + m.group(2), out)
    out = _NAME_CUES_EN.sub(lambda m: m.group(1) + MASK, out)
    return out


def team_view(incident: dict[str, Any], task_event_id: str | None) -> dict[str, Any]:
    """An incident as its assigned team sees it: allow-listed fields, masked text."""
    view = {k: incident.get(k) for k in TEAM_FIELDS}
    view["event_id"] = task_event_id
    view["text"] = mask_text(str(incident.get("text") or ""))
    return view
