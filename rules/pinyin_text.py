"""Tips typed in pinyin, whole or in part: "you ge lao tou tang zai di shang, jiao bu xing", "有个xiaohai在车站门口哭".

A reporter without a Chinese keyboard, or in a hurry with gloves on, types the sounds. Where a run of the tip's
syllables (typed in Latin letters, with the Chinese characters around them read as pinyin) sounds, toneless,
exactly like one of the lexicon's Chinese words of two syllables or more, and at least one of those syllables was
typed in letters, the word is written in its place; the rest of the reading goes on as for any Chinese tip. Only a
text whose Latin words are mostly whole pinyin is read so ("a man in a hut" has "hut"; "lying" and "old" are no
pinyin), and a reading that two of the lexicon's words share is left as typed. Tone marks, as a phone's pinyin keyboard
offers them ("lǎo dà yé hūn mí le"), are dropped first.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]+")
# A Latin word, a Chinese character, a run of spaces, or anything else (which parts words: punctuation, digits).
_TOKEN = re.compile(r"[a-z]+|[\u3400-\u9fff]|[^\S\n]+|.", re.S)
_VOWEL = re.compile(r"[aeiouv]")
# A pinyin vowel with its tone mark, as phones offer it (ā á ǎ à … ǖ ǘ ǚ ǜ ü).
_TONED = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]")
# At least this share of a text's Latin words must be whole pinyin for any of them to be read as pinyin.
_PINYIN_SHARE = 0.7
_LONGEST_SYLLABLE = 6
# A Latin word longer than this is no pinyin (a whole sentence typed without a space is about 40 letters): the
# segmentation copies its best split at every letter, and a tip of 10 000 "a"s held the intake for seconds.
MAX_PINYIN_LETTERS = 64


@functools.cache
def _toneless(reading: str) -> str:
    """A pinyin reading without its tone marks, ü written v as keyboards type it ("lǜ" -> "lv"); the dictionary's 40 000
    characters share some 1 500 readings, so each is worked out once."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable with a vowel (pypinyin's dictionary; the vowel-less 嗯 n, 呣 m are left out)."""
    from pypinyin.constants import PINYIN_DICT

    return frozenset(s for readings in PINYIN_DICT.values() for r in readings.split(",") if _VOWEL.search(s := _toneless(r)))


@functools.cache
def name_syllables() -> frozenset[str]:
    """The syllables as names and places are written in Latin letters: ü as v (keyboards) or u (passports: "Nu")."""
    return _syllables() | {s.replace("v", "u") for s in _syllables()}


@functools.cache
def _reading(char: str) -> str:
    """A Chinese character's most common reading, toneless."""
    from pypinyin import Style, lazy_pinyin

    return _toneless(lazy_pinyin(char, style=Style.TONE)[0])


@functools.cache
def _segment(word: str) -> tuple[str, ...] | None:
    """A Latin word as the fewest pinyin syllables ("laotaitai" -> lao tai tai), or None if it is no pinyin (or longer
    than MAX_PINYIN_LETTERS)."""
    if len(word) > MAX_PINYIN_LETTERS:
        return None
    syllables = _syllables()
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for i in range(len(word)):
        done = best[i]
        if done is None:
            continue
        for j in range(i + 1, min(len(word), i + _LONGEST_SYLLABLE) + 1):
            found = best[j]
            if word[i:j] in syllables and (found is None or len(done) + 1 < len(found)):
                best[j] = (*done, word[i:j])
    return best[len(word)]


@dataclass(frozen=True)
class _Syllable:
    sound: str
    start: int
    end: int
    typed: bool  # typed in Latin letters, not read off a Chinese character


@dataclass(frozen=True)
class PinyinReader:
    """The lexicon's Chinese words by their toneless syllables."""

    words: dict[tuple[str, ...], str] = field(default_factory=dict)
    longest: int = 0

    @classmethod
    def of(cls, words: Iterable[str]) -> PinyinReader:
        """A reader for the plain Chinese words (two characters or more) among `words`."""
        index: dict[tuple[str, ...], str | None] = {}
        for word in words:
            if len(word) < 2 or not all(_HAN.match(c) for c in word):
                continue
            key = tuple(_reading(c) for c in word)
            index[key] = word if index.get(key, word) == word else None  # two words, one sound: neither
        found = {k: w for k, w in index.items() if w is not None}
        if found:
            _syllables()  # built with the lexicon, at startup: at the first tip typed in Latin letters it took 0.16 s
        return cls(found, max((len(k) for k in found), default=0))

    def read(self, norm: str) -> str:
        """`norm` with its pinyin-typed words written in Chinese characters; unchanged when it holds none. Pinyin
        typed with its tone marks ("lǎo dà yé hūn mí le") is read without them."""
        if not self.words:
            return norm
        if _TONED.search(norm):
            toneless = _TONED.sub(lambda m: _toneless(m.group()), norm)
            if len(toneless) == len(norm):
                norm = toneless
        if not _LATIN.search(norm):
            return norm
        latin = _LATIN.findall(norm)
        allowed, misses = (1 - _PINYIN_SHARE) * len(latin), 0
        for word in latin:  # English gives itself away within its first few words
            misses += _segment(word) is None
            if misses > allowed:
                return norm
        units: list[_Syllable] = []
        breaks: set[int] = set()  # a unit index that starts after a break (punctuation, a non-pinyin word)
        for token in _TOKEN.finditer(norm):
            text = token.group()
            if _LATIN.fullmatch(text):
                syllables = _segment(text)
                if syllables is None:
                    breaks.add(len(units))
                    continue
                at = token.start()
                for sound in syllables:
                    units.append(_Syllable(sound, at, at + len(sound), True))
                    at += len(sound)
            elif _HAN.match(text):
                units.append(_Syllable(_reading(text), token.start(), token.end(), False))
            elif not text.isspace():
                breaks.add(len(units))
        parts: list[str] = []
        last = i = 0
        while i < len(units):
            for n in range(min(self.longest, len(units) - i), 1, -1):
                window = units[i : i + n]
                if any(k in breaks for k in range(i + 1, i + n)) or not any(u.typed for u in window):
                    continue
                word = self.words.get(tuple(u.sound for u in window))
                if word is not None:
                    parts += [norm[last : window[0].start], word]
                    last, i = window[-1].end, i + n
                    break
            else:
                i += 1
        return "".join(parts) + norm[last:] if parts else norm
