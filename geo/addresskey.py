"""The key an address or place name is compared by: folded, abbreviations spelled out, letters and digits only.

Shared by the gazetteer (which matches addresses by it) and the city loader
(which refuses a name or alias that two places share by it), so both agree
on when two spellings are the same name.
"""

from __future__ import annotations

import re
import unicodedata

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
