"""Chinese cue words written with a same-sounding character: speech recognition and pinyin keyboards.

A hotline call transcribed by speech recognition, or a tip typed on a pinyin
keyboard in the cold, often holds the right sounds under a wrong character:
婚迷 for 昏迷, 喝最了 for 喝醉了, 留血 for 流血, 身份正 for 身份证, 叫不行 for 叫不醒.
A span of the tip is read as a cue when it sounds like the cue (pypinyin's
readings, every reading of a character) and differs from it in at most
`max_changed` characters (the lexicon's `[homophones]` table). Only the cues of
the flags that table names are read by sound (states such as unresponsive or
intoxicated, not the nouns that set minor or elderly: 忙人 is no 盲人). Short
cues must sound alike tone for tone and end a phrase (a 了, 着, 过 or a clause
end after them), so that 有商店 never reads 有伤, and a particle (的, 了) is never
a misheard character ("买了点喝的，" is no 喝得); cues of `toneless_from`
characters or more may differ in tone (叫不行, jiào bù xíng, for 叫不醒, xǐng), and so may the short cues the lexicon
names `toneless` (发少了 for 发烧了, 晕到了 for 晕倒了, 喝夺了 for 喝多了: a pinyin keyboard picks the first candidate
whatever its tone), unless the tip's first character ends a word with the one before it (头发少了 is hair; pypinyin's
phrase dictionary), and unless the character it changes is a complement the lexicon names after the cue's own verb
(`complements`: 受上了 and 冻上了 are a verb and its 上, while 收伤了 is 受伤了).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_HAN = re.compile(r"[\u3400-\u9fff]")
# Particles sound like the cue's characters (的, 得, 地 are all de) but are no misheard word: "买了点喝的，" is a
# drink, not 喝得 (a cue's inner 得 written 的 is read by the cue's own pattern).
_PARTICLES = frozenset("的地得了着过吗呢吧啊呀么嘛")
# What may follow a short cue read by sound: an aspect particle or the end of a clause.
_PHRASE_END = re.compile(r"$|[了着过啦啊呀吧的\s，。！？、；：,.!?;:…~）)]")


@functools.cache
def _readings(char: str) -> tuple[frozenset[str], frozenset[str]]:
    """Every reading of a Chinese character, with tones (TONE3, "zui4") and without ("zui")."""
    from pypinyin import Style, pinyin

    toned = frozenset(r for r in pinyin(char, style=Style.TONE3, heteronym=True, neutral_tone_with_five=True)[0])
    return toned, frozenset(r.rstrip("012345") for r in toned)


@functools.cache
def _common(char: str) -> tuple[str, str]:
    """A tip's character as it is usually said (pypinyin's first reading, with tone and without): a transcript writes
    the sound it heard with a character that usually says it, so a rare reading (平 as bìng, 喝 as yè) is no match."""
    from pypinyin import Style, pinyin

    toned = pinyin(char, style=Style.TONE3, neutral_tone_with_five=True)[0][0]
    return toned, toned.rstrip("012345")


def _said(cue: str) -> tuple[str, ...]:
    """A cue's characters as the cue word says them (pypinyin's reading of the phrase, with tones): 喝 in 喝迷糊了 is hē."""
    from pypinyin import Style, pinyin

    return tuple(r[0] for r in pinyin(cue, style=Style.TONE3, neutral_tone_with_five=True))


def _is_word(pair: str) -> bool:
    """Whether two characters are a word of pypinyin's phrase dictionary (头发, 出发)."""
    from pypinyin.constants import PHRASES_DICT

    return pair in PHRASES_DICT


@dataclass(frozen=True)
class SoundCue:
    flag: str
    text: str
    said: tuple[str, ...]  # each character's reading in the cue word (`_said`), with tones
    toned: bool = True  # its characters must sound alike tone for tone
    rank: int = 0  # its place in the lexicon: cues heard at one place come in this order in every process


@dataclass(frozen=True)
class Homophones:
    """The lexicon's sound-read cues, indexed by the toneless readings of their first two characters."""

    by_first: dict[str, tuple[SoundCue, ...]] = field(default_factory=dict)
    max_changed: int = 1
    toneless_from: int = 3
    # Verb complements (上, 下, 起): a tone-free reading that changes the cue's later character into one is the verb's phrase.
    complements: frozenset[str] = frozenset()
    # Per pair of characters of the tips, the cues they may begin (empty for most): a text is scanned by looking
    # each position's pair up here (`_begun_at`).
    _pairs: dict[str, tuple[SoundCue, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, cues: Iterable[tuple[str, str]], max_changed: int = 1, toneless_from: int = 3,
           toneless: Iterable[str] = (), complements: Iterable[str] = ()) -> Homophones:
        """Sound readers for (flag, folded cue) pairs: cues of two or more Chinese characters without `~`; the short
        cues in `toneless` may differ in tone, but not into one of `complements` after their first character."""
        index: dict[str, list[SoundCue]] = {}
        untoned = frozenset(toneless)
        for rank, (flag, cue) in enumerate(cues):
            if len(cue.rstrip("".join(_PARTICLES))) < 2 or not all(_HAN.match(c) for c in cue):
                continue  # one character and a particle (疯了) is one syllable's sound: 刮风了 is no 疯了
            sound = SoundCue(flag, cue, _said(cue), len(cue) < toneless_from and cue not in untoned, rank)
            for first in _readings(cue[0])[1]:
                for second in _readings(cue[1])[1]:
                    index.setdefault(f"{first} {second}", []).append(sound)
        return cls({k: tuple(v) for k, v in index.items()}, max_changed, toneless_from, frozenset(complements))

    def spans(self, norm: str) -> dict[str, list[tuple[int, int]]]:
        """Where a cue is written with same-sounding characters in `norm` (folded text), by flag.

        A span written exactly as its cue is left to the cue's own pattern.
        """
        found: dict[str, list[tuple[int, int]]] = {}
        for cue, start, end in self._heard(norm):
            found.setdefault(cue.flag, []).append((start, end))
        return found

    def written(self, norm: str) -> str:
        """`norm` with each span that sounds like a word written as that word (流狼汉 -> 流浪汉): for words that every
        later reading (sex, head count, someone else) must see, not a flag's cue alone."""
        out = list(norm)
        written_at: set[int] = set()
        for cue, start, end in self._heard(norm):
            if start in written_at:
                continue  # two words heard at one place: the one listed first in the lexicon is written
            written_at.add(start)
            out[start:end] = cue.text
        return "".join(out)

    def _heard(self, norm: str) -> list[tuple[SoundCue, int, int]]:
        """Each cue heard under other characters in `norm`, with its span."""
        found: list[tuple[SoundCue, int, int]] = []
        if self.max_changed <= 0 or not self.by_first:
            return found
        pairs = self._pairs
        for start in range(len(norm) - 1):
            pair = norm[start:start + 2]
            begun = pairs.get(pair)
            if begun is None:
                begun = self._begun_at(pair)
            for cue in begun:
                end = start + len(cue.text)
                span = norm[start:end]
                if len(span) < len(cue.text) or span == cue.text or self._changed(span, cue) is None:
                    continue
                if len(cue.text) < self.toneless_from and not _PHRASE_END.match(norm, end):
                    continue
                if not cue.toned and len(cue.text) < self.toneless_from and start and _is_word(norm[start - 1:start + 1]):
                    continue  # 头发少了: 发 is hair's, not a fever's
                if not cue.toned and any(a != b and a in self.complements for a, b in zip(span[1:], cue.text[1:], strict=True)):
                    continue  # 受上了: 受 with its complement, not 受伤
                found.append((cue, start, end))
        return found

    def _begun_at(self, pair: str) -> tuple[SoundCue, ...]:
        """The cues whose first character sounds like the pair's first and whose second has the toneless reading of one
        of the second's (none unless both are Chinese), in the lexicon's order (a set's order follows the string hashes,
        seeded afresh in each process: a replay could read otherwise than the live worker); kept for the next text."""
        cues: set[SoundCue] = set()
        if _HAN.match(pair[0]) and _HAN.match(pair[1]):
            seconds = _readings(pair[1])[1]
            for first in _readings(pair[0])[1]:
                by_second = self._by_reading.get(first, {})
                for second in seconds:
                    cues.update(by_second.get(second, ()))
        if len(self._pairs) > 50_000:  # every pair of characters a text holds is a key: keep it bounded
            self._pairs.clear()
        found = self._pairs[pair] = tuple(sorted(cues, key=lambda c: c.rank))
        return found

    @functools.cached_property
    def _by_reading(self) -> dict[str, dict[str, tuple[SoundCue, ...]]]:
        """`by_first` as first reading -> second reading -> cues."""
        index: dict[str, dict[str, tuple[SoundCue, ...]]] = {}
        for key, cues in self.by_first.items():
            first, _, second = key.partition(" ")
            index.setdefault(first, {})[second] = cues
        return index

    def _changed(self, span: str, cue: SoundCue) -> int | None:
        """How many characters of `span` differ from `cue` while sounding alike (the span's characters as usually said,
        the cue's as the cue word says them); None if it does not sound like it."""
        toned = cue.toned
        changed = 0
        for a, b, said in zip(span, cue.text, cue.said, strict=True):
            if a == b:
                continue
            if not _HAN.match(a) or a in _PARTICLES or b in _PARTICLES:
                return None
            heard = _common(a)
            # Tone-free, the cue's character as said in the cue or as usually said: 血 in 流血 is xiě and usually xuè, so
            # 流学了 is 流血了; 喝 is also yè, but 爷迷糊了 is no 喝迷糊了.
            if heard[0] != said if toned else heard[1] not in (said.rstrip("012345"), _common(b)[1]):
                return None
            changed += 1
            if changed > self.max_changed:
                return None
        return changed
