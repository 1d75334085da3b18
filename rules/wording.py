"""Plain words for categories and flags, in Chinese and English, for messages that leave the centre.

Partner notices and reporter messages are read by people outside the
console; they get words, not codes.
"""

from __future__ import annotations

CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    "medical": ("医疗救助", "medical help"),
    "escort_station": ("护送入站", "escort to the rescue station"),
    "rescue_first": ("先救治后核实", "rescue first, verify later"),
    "supplies_followup": ("发放御寒物资并回访", "cold-protection supplies and a follow-up visit"),
    "basic_support": ("基本生活救助", "basic living support"),
    "guidance": ("劝导至救助点", "guidance to a help point"),
    "welfare_check": ("现场查看", "welfare check"),
}

FLAG_WORDS: dict[str, tuple[str, str]] = {
    "unresponsive": ("叫不醒/无反应", "unresponsive"),
    "injured": ("受伤", "injured"),
    "ill": ("患病", "ill"),
    "mental": ("疑似精神障碍", "suspected mental disorder"),
    "minor": ("未成年人", "minor"),
    "elderly": ("老年人", "elderly"),
    "disabled": ("残疾", "disabled"),
    "immobile": ("行动不便", "cannot walk"),
    "no_id": ("无法提供身份信息", "no identity"),
    "refuses": ("不愿入站", "refuses the station"),
    "domestic_violence": ("疑似家暴受害", "domestic violence"),
    "migrant_worker": ("务工不着", "out of work"),
    "robbed": ("被盗被抢", "robbed"),
    "intoxicated": ("醉酒", "intoxicated"),
}


def category_words(category: str) -> tuple[str, str]:
    return CATEGORY_WORDS.get(category, (category, category.replace("_", " ")))


def flag_words(flags: tuple[str, ...]) -> tuple[str, str]:
    """The flags as a Chinese and an English list ("无" / "none" when there are none)."""
    if not flags:
        return "无", "none"
    pairs = [FLAG_WORDS.get(f, (f, f)) for f in flags]
    return "、".join(p[0] for p in pairs), ", ".join(p[1] for p in pairs)
