"""The key an address or place name is compared by: folded, abbreviations spelled out, letters and digits only.

Shared by the gazetteer (which matches addresses by it) and the city loader
(which refuses a name or alias that two places share by it), so both agree
on when two spellings are the same name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from core.textfold import fold, strip_marks

# English abbreviations people type in addresses, read as the full word.
ABBREVIATIONS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue", "sq": "square", "stn": "station",
    "sta": "station", "univ": "university", "uni": "university", "hosp": "hospital", "mkt": "market", "rly": "railway",
    "rwy": "railway", "blvd": "boulevard", "bldg": "building", "intl": "international",
}
_ABBREVIATION = re.compile(r"(?<![a-z0-9])(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![a-z0-9])")


def kept(ch: str) -> bool:
    """Whether a character counts in a key (a letter or a digit)."""
    return unicodedata.category(ch)[0] in ("L", "N")


def fold_address(text: str) -> str:
    """Folded text with tone marks dropped and abbreviations spelled out."""
    folded = strip_marks(fold(text))
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1)], folded)


def address_key(text: str) -> str:
    """Folded letters and digits only, abbreviations spelled out: the key every address comparison uses."""
    return "".join(ch for ch in fold_address(text) if kept(ch))


def is_cjk(ch: str) -> bool:
    """Whether a character is a CJK ideograph (each one a word of its own in an address)."""
    return "\u3400" <= ch <= "\u9fff"


@lru_cache(maxsize=8192)
def char_reading(ch: str) -> str | None:
    """A character's usual toneless reading: the syllable a pinyin input method types for it; None for anything else."""
    found = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore") if is_cjk(ch) else []
    return found[0] if found and found[0].isascii() and found[0].isalpha() else None


@lru_cache(maxsize=4096)
def pinyin_key(name: str) -> str | None:
    """A Chinese name's toneless pinyin, syllables run together (红博广场 -> hongboguangchang); None for any other name.

    Remembered: routing asks it for a resolved place's names at every record with an address (`geo.centres.named_length`).
    """
    key = address_key(name)
    if len(key) < 2 or not all(is_cjk(ch) for ch in key):
        return None
    syllables = lazy_pinyin(key, style=Style.NORMAL, errors="ignore")
    if len(syllables) != len(key) or not all(s.isascii() and s.isalpha() for s in syllables):
        return None
    return "".join(syllables)
