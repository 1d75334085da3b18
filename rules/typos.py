"""Misspelt English cue words in a tip, read as the cue ("unconcous" -> "unconscious").

Call-takers, couriers and night guards type fast on small keyboards; a flag
missed for one wrong letter sends the wrong help. A word of the tip is
corrected only when no English dictionary knows it (pyspellchecker's word
list, so "insured" stays insured and never reads "injured", "painted" never
"fainted") and only toward the lexicon's own words: the one lexicon word
within one edit (a transposition counts as one) for words shorter than
`two_edits_from` letters, two edits from there, with the same first letter.
A word as near two lexicon words is left as it is: a guess between two cues
is not a reading, unless both are cues of the same flags ("unconcious" is
listed beside "unconscious") or only one holds the typo's letters in order
(a letter left out: "brokn" is broken, not broke). A letter held down
("unconsciousssss", "drunkkk") is read once or twice, as a word knows it. A word written wholly in pinyin syllables is a
name or a place (Wang Feier, Liping, Baijia market), never a typo: "feier" is
one letter from "fever". A cue word speech-to-text split in two ("in toxicated", "frost bite", "un conscious") is
read joined: only toward a whole cue word (or a `*` cue's stem) of `_MIN_JOINED` letters or more. The limits are the
lexicon's `[typos]` table.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from rules.pinyin_text import MAX_PINYIN_LETTERS, name_syllables

# A cue's words, a contraction whole: "doesn't" is one word (its pieces "doesn" and "t" made "doesnt", as
# tips type it without the apostrophe, read as "doesn", which no cue or negation matches).
_CUE_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
# Two words a space apart, as speech-to-text splits one ("in toxicated"); a hyphen is the writer's (the cues list
# "non-responsive", and "alcohol-free" is no drink).
_SPLIT_PAIR = re.compile(r"(?<![a-z0-9'\-])([a-z]+) ([a-z]+)(?![a-z0-9'\-])")
# A joined word shorter than this is too likely two real words ("a wake", "in to").
_MIN_JOINED = 7
# A letter typed three times or more in a row: no English word holds one ("sooo", "helppp").
_DRAWN_OUT = re.compile(r"([a-z])\1{2,}")

def _holds_in_order(longer: str, typed: str) -> bool:
    """Whether `typed` is `longer` with letters left out ("brokn" in "broken")."""
    letters = iter(longer)
    return len(longer) > len(typed) and all(c in letters for c in typed)


def is_pinyin(word: str) -> bool:
    """Whether `word` splits wholly into pinyin syllables (a Chinese name or place written in Latin letters); a word
    longer than `rules.pinyin_text.MAX_PINYIN_LETTERS` is not."""
    if len(word) > MAX_PINYIN_LETTERS:
        return False
    syllables = name_syllables()  # with a vowel: "ng" (嗯) made any "-ing" word pinyin ("shakeing")
    can_end = [True] + [False] * len(word)  # can_end[i]: word[:i] splits into syllables
    for i in range(1, len(word) + 1):
        can_end[i] = any(can_end[j] and word[j:i] in syllables for j in range(max(0, i - 6), i))
    return can_end[-1]


@functools.cache
def _english() -> frozenset[str]:
    """The English dictionary's words, loaded once per process (about 0.3 s), when the first lexicon is built."""
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en", distance=1).word_frequency.keys())


@dataclass(frozen=True)
class TypoReader:
    """Corrects folded text's unknown English words toward a vocabulary (the lexicon's cue words)."""

    vocabulary: dict[str, frozenset[str]]  # each word and the groups (flags, descriptions) whose cues hold it
    min_letters: int = 5
    two_edits_from: int = 9
    _by_initial: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    _seen: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _word: re.Pattern[str] = field(default=re.compile(r"$^"), compare=False, repr=False)
    # Words that are a whole cue on their own ("drunk"; not "drink", which only "too much to drink" holds).
    _whole: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    # Whole cue words and `*` stems of _MIN_JOINED letters or more, and their heads a split leaves as a first word.
    _joinable: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    _stems: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    _heads: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @classmethod
    def of(cls, cues: Iterable[tuple[str, str]], min_letters: int = 5, two_edits_from: int = 9) -> TypoReader:
        """A reader for the English words of `cues`, (group, cue) pairs (folded; Chinese cues give none)."""
        groups: dict[str, set[str]] = {}
        whole: set[str] = set()
        stems: set[str] = set()
        for group, cue in cues:
            cue_words = _CUE_WORD.findall(cue)
            for word in cue_words:
                if len(word) >= max(min_letters - 1, 1):
                    groups.setdefault(word, set()).add(group)
            if len(cue_words) == 1 and cue.rstrip("*") == cue_words[0]:
                whole.add(cue_words[0])
                if cue.endswith("*"):
                    stems.add(cue_words[0])
        words = {word: frozenset(owners) for word, owners in groups.items()}
        by_initial: dict[str, list[str]] = {}
        for word in sorted(words):
            by_initial.setdefault(word[0], []).append(word)
        pattern = re.compile(rf"(?<![a-z0-9'])[a-z]{{{max(min_letters, 1)},}}(?![a-z0-9'])")
        if words:
            _english()  # loaded with the lexicon, at startup: at the first misspelt tip of a live night it held the loop
        joinable = frozenset(w for w in whole if len(w) >= _MIN_JOINED)
        heads = frozenset(w[:i] for w in joinable for i in range(2, len(w) - 1))
        return cls(words, min_letters, two_edits_from, {k: tuple(v) for k, v in by_initial.items()}, {}, pattern, frozenset(whole),
                   joinable - stems, joinable & stems, heads)

    def correct(self, norm: str) -> str:
        """`norm` (folded text) with each misspelt cue word replaced by the cue word it misspells."""
        if self.min_letters <= 0 or not self.vocabulary:
            return norm
        if self._heads and " " in norm:
            norm = self._joined(norm)
        return self._word.sub(lambda m: self.reading(m.group()), norm)

    def _joined(self, norm: str) -> str:
        """`norm` with each cue word speech-to-text split in two written whole ("in toxicated" -> "intoxicated")."""
        out: list[str] = []
        at = 0
        pos = 0
        while (match := _SPLIT_PAIR.search(norm, pos)) is not None:
            head, tail = match.group(1), match.group(2)
            joined = head + tail
            if head in self._heads and (joined in self._joinable or any(joined.startswith(s) for s in self._stems)):
                out.append(norm[at:match.start()] + joined)
                at = pos = match.end()
            else:
                pos = match.start(2)  # the second word may start the next pair ("is in toxicated")
        return "".join(out) + norm[at:] if out else norm

    def reading(self, word: str) -> str:
        """The lexicon word `word` misspells, else `word` itself."""
        found = self._seen.get(word)
        if found is None:
            found = self._seen[word] = self._nearest(word)
            if len(self._seen) > 50_000:  # names and addresses are endless: keep the cache bounded
                self._seen.clear()
        return found

    def _nearest(self, word: str) -> str:
        if word in self.vocabulary or word in _english() or is_pinyin(word):
            return word
        if _DRAWN_OUT.search(word):  # "unconsciousssss", "drunkkk": a letter held down, as a shout is typed
            once, twice = _DRAWN_OUT.sub(r"\1", word), _DRAWN_OUT.sub(r"\1\1", word)
            return next((w for w in (twice, once) if w in self.vocabulary or w in _english()), None) or self._nearest(once)
        edits = 1 if len(word) < self.two_edits_from else 2
        near = process.extract(word, self._by_initial.get(word[0], ()), scorer=DamerauLevenshtein.distance,
                               score_cutoff=edits, limit=None)
        if not near:
            return word
        best = min(distance for _, distance, _ in near)
        tied = sorted(str(w) for w, distance, _ in near if distance == best)
        if len({self.vocabulary[w] for w in tied}) > 1:
            # A letter left out is the commonest slip: of words as near, the only one that holds the typo's letters in
            # order is meant ("brokn" is broken, not broke); otherwise a guess between two cues is no reading.
            dropped = [w for w in tied if _holds_in_order(w, word)]
            return dropped[0] if len(dropped) == 1 else word
        # Of words as near and of one flag, one that is a cue by itself: "drnk" is drunk, not drink or drank.
        return next((w for w in tied if w in self._whole), tied[0])
