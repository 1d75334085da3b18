"""One folding of free text for every comparison: width, case, script variants.

Tips come from phones and forms in Harbin, Hong Kong, Taiwan and abroad:
full-width digits, curly apostrophes, traditional characters (哈爾濱站,
沒反應, 受傷) and pinyin with tone marks (Zhōngyāng Dàjiē). The lexicon and
the gazetteer fold both their cue words and the incoming text the same way,
so a cue written once in simplified Chinese matches every spelling.
"""

from __future__ import annotations

import unicodedata

from opencc import OpenCC

# Traditional -> simplified by OpenCC's dictionaries (phrases first, then
# characters); "hk2s" also folds Hong Kong's variant characters (衞, 綫, 粧).
# Not "tw2s": it turns simplified 么 into 幺 and 显著 into 显着, so that a
# simplified cue would no longer fold like the same word in traditional. 著
# stays 著 (it is also a simplified character).
_TO_SIMPLIFIED = OpenCC("hk2s")
# Apostrophes and quotes typed on phones, folded to ASCII.
_QUOTES: dict[int, str] = {ord(c): "'" for c in "\u2018\u2019\u02bc\u2032\uff07`\u00b4"}


def to_simplified(text: str) -> str:
    """Simplified Chinese for any traditional text; other scripts pass through unchanged."""
    return text if text.isascii() else str(_TO_SIMPLIFIED.convert(text))


def fold(text: str) -> str:
    """NFKC (full width -> ASCII), case-folded, traditional -> simplified, ASCII apostrophes."""
    return to_simplified(unicodedata.normalize("NFKC", text).casefold()).translate(_QUOTES)


def strip_marks(text: str) -> str:
    """Drop combining marks (pinyin tones: Zhōngyāng -> Zhongyang), keeping everything else."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
