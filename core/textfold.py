"""One folding of free text for every comparison: width, case, script variants.

Tips come from phones and forms in Harbin, Hong Kong, Taiwan and abroad:
full-width digits, curly apostrophes, traditional characters (哈爾濱站,
沒反應, 受傷) and pinyin with tone marks (Zhōngyāng Dàjiē). The lexicon and
the gazetteer fold both their cue words and the incoming text the same way,
so a cue written once in simplified Chinese matches every spelling.

Characters that show nothing are no part of a word either: format characters
(zero-width space and joiners, soft hyphen, bidirectional controls, the
byte-order mark, tag characters: Unicode category Cf) and combining marks left
over after NFKC composition (variation selectors, a mark stacked on a Chinese
character: Mn, Me) are dropped, so "昏\u200b迷", pasted from a chat app or
sent on purpose, still reads 昏迷.
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


# Unicode categories of characters that are dropped before comparing (see the module's doc).
_INVISIBLE = frozenset(("Cf", "Mn", "Me"))


def drop_invisible(text: str) -> str:
    """`text` without format characters and combining marks (ASCII text has none)."""
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)


# Bidirectional embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): in a tip's text they only
# reorder how the rest displays ("Trojan Source"): an address or a phone number shown reversed on a console.
_BIDI_CONTROLS = frozenset(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
_KEPT_CONTROLS = frozenset("\t\n\r")


def shown_text(text: str) -> str:
    """`text` as it may be stored and shown: without NUL and other C0/C1 control characters (tab and line breaks stay)
    and without bidirectional controls. Terminal escapes in a tip reached operators' logs and terminals, and a
    right-to-left override made a console show an address or a number backwards; neither is part of anyone's words."""
    if text.isprintable():
        return text
    return "".join(ch for ch in text if ch in _KEPT_CONTROLS or not (unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS))


def to_simplified(text: str) -> str:
    """Simplified Chinese for any traditional text; other scripts pass through unchanged."""
    return text if text.isascii() else str(_TO_SIMPLIFIED.convert(text))


def fold(text: str) -> str:
    """NFKC (full width -> ASCII), case-folded, invisible characters dropped, traditional -> simplified, ASCII apostrophes.

    Marks are dropped after NFKC has composed the accented letters it can
    (é, ō stay one letter) and after case folding (İ folds to i and a dot).
    """
    return to_simplified(drop_invisible(unicodedata.normalize("NFKC", text).casefold())).translate(_QUOTES)


def strip_marks(text: str) -> str:
    """Drop combining marks (pinyin tones: Zhōngyāng -> Zhongyang), keeping everything else."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


# Letters of other scripts drawn like Latin letters (Cyrillic, Greek, after case folding), digits drawn like letters
# and the dashes: a team id written with them ("Т-daoli-1" with a Cyrillic Т, "T-dao1i-1") shows on a map or a
# phone exactly like a roster team's.
_LOOKALIKES = str.maketrans({
    **dict.fromkeys("аα", "a"), **dict.fromkeys("вβ", "b"), **dict.fromkeys("сϲ", "c"), "ԁ": "d", **dict.fromkeys("еёεэ", "e"),
    **dict.fromkeys("һн", "h"), **dict.fromkeys("іїιı1|ӏl", "l"), "ј": "j", **dict.fromkeys("кκ", "k"), "м": "m",
    **dict.fromkeys("пη", "n"), **dict.fromkeys("оο0σ", "o"), **dict.fromkeys("рρ", "p"), "ԛ": "q", "ѕ": "s",
    **dict.fromkeys("тτ", "t"), **dict.fromkeys("υμ", "u"), "ν": "v", **dict.fromkeys("ԝω", "w"), **dict.fromkeys("хχ", "x"),
    **dict.fromkeys("уүγ", "y"), "i": "l", "з": "3",
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
})


def lookalike_key(text: str) -> str:
    """`text` as it looks: NFKC, invisible characters dropped, case-folded, letters and digits drawn alike made one
    (`_LOOKALIKES`). Two ids with the same key and different text are told apart by nobody reading them."""
    return drop_invisible(unicodedata.normalize("NFKC", text)).casefold().translate(_LOOKALIKES)
