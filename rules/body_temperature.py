"""A person's measured temperature said as a number: hypothermia below one bound, fever from another.

A 120 note or a caller with a thermometer writes the number ("体温34度", "腋温34.5℃", "量了肛温，33度", "体温才三十四度",
"body temp 34", "core temp 33"); the lexicon's words for it already read a low or high temperature said in words (体温很低,
发高烧). Only a number right after a word for the person's own temperature (`[body_temperature] words`) is read, so the
weather's (零下30度, -25℃, "it's -25 out") sets nothing; a gap between them that names the weather or a sign (零下, 负,
气温, "minus") ends the reading, and a number outside `plausible` is no body temperature (体温计放在零下的车里). The bounds are
the lexicon's (`hypothermia_below`, 35 °C core, the clinical definition; `fever_from`, 37.3 °C, China's definition of 发热).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# A number of degrees: 34, 34.5, 三十四, 三十四点五; a Chinese decimal after 度 (38度5) is read by `_TENTHS`.
_NUMBER = r"(?P<num>\d{2}(?:\.\d{1,2})?|[二三四]十[一二三四五六七八九]?(?:点[〇零一二三四五六七八九])?)(?![\d.]*\d)"
_TENTHS = re.compile(r"\s*(?:度|°c?|℃)(?P<tenth>[0-9一二三四五六七八九])(?![\d])")
# What may stand between the word and its number: a few words (只有, 才, 大概, "is", ":"), never a sentence's end, a
# number or a word of the weather ("体温计，零下30度" is the weather's).
_GAP = r"(?P<gap>[^\d。！？!?;；\n]{0,8}?)"
_WEATHER = re.compile(r"零下|负|-|气温|室外|外面|天气|minus|below|outside|out\b")
_ZH_TENTH = {c: n for n, c in enumerate("〇一二三四五六七八九")} | {"零": 0}


@dataclass(frozen=True)
class BodyTemperature:
    pattern: re.Pattern[str]
    hypothermia_below: float
    fever_from: float
    plausible: tuple[float, float]
    flag: str

    @classmethod
    def of(cls, words: list[str], hypothermia_below: float, fever_from: float, plausible: tuple[float, float],
           flag: str) -> BodyTemperature:
        """A reader for the folded `words` that name a person's measured temperature (体温, 肛温, "body temp")."""
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        return cls(re.compile(rf"(?:{alternatives}){_GAP}{_NUMBER}"), hypothermia_below, fever_from, plausible, flag)

    def spans(self, norm: str, zh_number: Callable[[str], int | None]) -> list[tuple[int, int]]:
        """Where `norm` (folded text) says a person's temperature outside the normal range; `zh_number` reads 三十四."""
        found: list[tuple[int, int]] = []
        for match in self.pattern.finditer(norm):
            if _WEATHER.search(match["gap"]):
                continue
            value = _degrees(match["num"], zh_number)
            tenth = _TENTHS.match(norm, match.end())
            if value is not None and tenth is not None and value == int(value):
                digit = tenth["tenth"]
                value += (int(digit) if digit.isdigit() else _ZH_TENTH[digit]) / 10  # 38度5
            if value is None or not self.plausible[0] <= value <= self.plausible[1]:
                continue
            if value < self.hypothermia_below or value >= self.fever_from:
                found.append((match.start(), match.end()))
        return found


def _degrees(said: str, zh_number: Callable[[str], int | None]) -> float | None:
    """The number of degrees `said` in digits or Chinese numerals (三十四点五 is 34.5)."""
    if said[0].isdigit():
        return float(said)
    whole, _, tenth = said.partition("点")
    value = zh_number(whole)
    if value is None:
        return None
    return value + (_ZH_TENTH[tenth] / 10 if tenth else 0)
