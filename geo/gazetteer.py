"""Addresses to places: callers say "哈尔滨站西出口附近", not coordinates.

Matching ignores case, width, whitespace, punctuation, tone marks and
traditional characters (哈爾濱站), reads common English abbreviations as words
("St" street, "Rd" road, "Stn" station), and knows each place by its Chinese
name and its English, pinyin and short aliases. The whole address matching
an alias wins; otherwise the longest alias contained in the address (so
"near the west exit of Harbin Railway Station" finds the station), a landmark
before a street ("学府路黑大门口" is the university gate, not a point
somewhere on a long road). Latin
aliases only match on word boundaries, so a short alias such as "HIT" is not
found inside "white". Ties go to the place name, so the same address always
resolves to the same place.

One typo is forgiven when it names a longer alias than any exact match: a
Chinese alias of three or more characters with one character replaced by a
homophone, as pinyin input methods do (哈尔宾站, 中央大接, 友谊露: the usual
reading of the meant character is a reading of the typed one, from
pypinyin's dictionary); a
multi-word Latin alias with one word off by one letter (Harbn Railway
Station). A replacement that is no homophone is a different name, so
哈尔滨西站 does not become 哈尔滨东站 and 哈尔滨工程大学 does not become
哈尔滨工业大学; when a typo could mean two places (希大直街: 西 or 东?) the
address stays unresolved.

A Chinese name or alias is also known by its pinyin, syllables run together
or spaced as the caller likes (红博广场: "Hongbo Guangchang",
"hongboguangchang"; pypinyin's reading of the phrase, tone marks folded), as
callers and foreign visitors spell a sign they read: only exactly, on word
boundaries, after every name and alias the city lists (an alias always wins),
and a pinyin two places share names neither.

Two neighbouring characters typed in the wrong order (洪防纪念塔 for
防洪纪念塔) keep every character of the name, so a transposition is forgiven
too, scored by RapidFuzz's optimal-string-alignment similarity (one swap in
five characters: 0.8) against `min_similarity` (the policy's
`intake.address_min_similarity`): a swap in a short name (3 characters, 0.67)
is too likely another name, and a swap that fits two places resolves to none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

from pypinyin import Style, pinyin
from rapidfuzz.distance import OSA

from core.textfold import fold, strip_marks
from geo.addresskey import address_key as _key
from geo.addresskey import char_reading, is_cjk, pinyin_key
from geo.addresskey import fold_address as _fold
from geo.addresskey import kept as _kept
from geo.city import Place
from geo.prefectures import other_cities, other_sounds, own_city


@lru_cache(maxsize=8192)
def _readings(ch: str) -> frozenset[str]:
    """Every toneless Mandarin reading of a character (pypinyin's dictionary); none for anything else."""
    if not is_cjk(ch):
        return frozenset()
    return frozenset(r for r in pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")[0] if r.isascii() and r.isalpha())


def _homophones(typed: str, meant: str) -> bool:
    """Whether a pinyin input method could have typed `typed` for `meant`: the syllable
    typed for `meant` (its usual reading) is one of `typed`'s readings (哈 ha -> 蛤 ha/ge)."""
    sound = char_reading(meant)
    return typed != meant and sound is not None and sound in _readings(typed)


# The least optimal-string-alignment similarity at which a transposed name is
# taken for the place (policy `intake.address_min_similarity` overrides it).
DEFAULT_MIN_SIMILARITY = 0.75
# The kind of place that is a long line, not a point: any other place named
# in the same address ("学府路黑大门口") says better where on it.
STREET_KIND = "street"
# Fuzzy matching only looks at the start of very long addresses.
_FUZZY_MAX_CHARS = 200
_LATIN_WORD = re.compile(r"[a-z0-9]+")
# What follows a city's or a county's name (齐齐哈尔市, 龙沙区, 宾县): a place name may begin with it (市一院), and a
# name heard only by its sound must be followed by it unless it is three characters or longer (齐齐哈而第一医院).
_DIVISION_SUFFIXES = frozenset("市区县")
# The same said in pinyin or English between a city's name and a place ("Daqing Shi Yida Yiyuan").
_LATIN_SUFFIXES = frozenset({"shi", "qu", "xian", "city", "district", "county"})
# A name heard by its sound is at least this long, unless a suffix follows it (大庆试: 3; 大清 alone is a dynasty).
_MIN_SOUND_CHARS = 3


def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.category(ch)[0] == "N" or "LATIN" in unicodedata.name(ch, "")


def normalize(text: str) -> str:
    """Case-folded letters and digits only, tone marks dropped, traditional characters simplified."""
    return "".join(ch for ch in strip_marks(fold(text)) if _kept(ch))


def _compact_with_boundaries(text: str) -> tuple[str, set[int]]:
    """The normalized text and the positions in it where a word starts or ends.

    A boundary is the start, the end, a dropped separator (space,
    punctuation) and any switch between Latin and non-Latin script.
    """
    out: list[str] = []
    bounds = {0}
    prev_latin: bool | None = None
    for ch in _fold(text):
        if not _kept(ch):
            bounds.add(len(out))
            prev_latin = None
            continue
        latin = _is_latin(ch)
        if prev_latin is not None and latin != prev_latin:
            bounds.add(len(out))
        if not latin:  # every CJK character is a word of its own
            bounds.add(len(out))
            bounds.add(len(out) + 1)
        out.append(ch)
        prev_latin = latin
    bounds.add(len(out))
    return "".join(out), bounds


def _sounded_starts(text: str, sounds: frozenset[str], prefixes: frozenset[str]) -> frozenset[int]:
    """Where a name may start that follows Chinese characters reading as one of `sounds` (another city's name typed
    by a pinyin input method: 齐齐哈而市, 大庆试), or that begins with the 市, 区 or 县 such a name ends in. A run of
    fewer than three characters counts only before 市, 区 or 县, so an ordinary word (大清) is not taken for a city.
    `prefixes` (of the sounds) cut each run short."""
    starts: set[int] = set()
    for begin in range(len(text)):
        sound = ""
        for end in range(begin + 1, len(text) + 1):
            syllable = char_reading(text[end - 1])
            if syllable is None or (sound := sound + syllable) not in prefixes:
                break
            if sound in sounds:
                if end - begin >= _MIN_SOUND_CHARS or text[end : end + 1] in _DIVISION_SUFFIXES:
                    starts.add(end)
                if text[end - 1] in _DIVISION_SUFFIXES and end - 1 > begin:
                    starts.add(end - 1)
    return frozenset(starts)


# A wrong letter in a four-letter word ("Harbin Eest Station") is forgiven only when the alias's other words, typed
# exactly, hold at least this many letters: alone or beside a short word it is too likely another name
# ("Laodong Lane" is no "Laodong Lake").
_SHORT_WORD_CONTEXT = 8


def _one_edit(typed: str, known: str, wrong_letter_from: int = 5) -> bool:
    """Whether `typed` is `known` with one wrong, missing, extra or swapped letter.

    Short words must match exactly (a swap is allowed from four letters, a
    wrong letter from `wrong_letter_from`, a missing or extra one from five),
    and the first letter must be right unless it was swapped with the second.
    """
    if typed == known:
        return True
    if len(known) < 4 or (typed[:1] != known[:1] and typed[:2] != known[1::-1]):
        return False
    if len(typed) == len(known):
        diffs = [i for i in range(len(known)) if typed[i] != known[i]]
        if len(diffs) == 2 and diffs[1] == diffs[0] + 1 and typed[diffs[0]] == known[diffs[1]] and typed[diffs[1]] == known[diffs[0]]:
            return True
        return len(diffs) == 1 and len(known) >= wrong_letter_from and not (typed[diffs[0]].isdigit() or known[diffs[0]].isdigit())
    if len(known) < 5 or abs(len(typed) - len(known)) != 1:
        return False
    short, long = (typed, known) if len(typed) < len(known) else (known, typed)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def _edges(text: str, key: str) -> frozenset[int]:
    """Where each occurrence of `key` in `text` begins and ends."""
    edges: set[int] = set()
    start = text.find(key)
    while start != -1:
        edges.update((start, start + len(key)))
        start = text.find(key, start + 1)
    return frozenset(edges)


class Gazetteer:
    """Resolves free-text addresses to known places, deterministically."""

    def __init__(self, places: Iterable[Place], min_similarity: float = DEFAULT_MIN_SIMILARITY, area_code: str | None = None) -> None:
        self.places = tuple(places)
        self.min_similarity = min_similarity
        # Another city's name just before a name we know says the place is that city's (齐齐哈尔市第一医院).
        self._own_city = own_city(area_code, (alias for place in self.places for alias in (place.name, *place.aliases)))
        self._other_cities = other_cities(self._own_city)
        self._other_lengths = sorted({len(name) for name in self._other_cities}, reverse=True)
        self._other_sounds = other_sounds(self._own_city)
        self._sound_prefixes = frozenset(sound[:i] for sound in self._other_sounds for i in range(1, len(sound) + 1))
        index: dict[str, Place] = {}
        latin: list[tuple[tuple[str, ...], Place]] = []
        for place in sorted(self.places, key=lambda p: p.name):
            for alias in (place.name, *place.aliases):
                key = _key(alias)
                if key and key not in index:  # the first name in sort order keeps a shared alias
                    index[key] = place
                    words = tuple(_LATIN_WORD.findall(_fold(alias)))
                    if len(words) >= 2 and "".join(words) == key:
                        latin.append((words, place))
        # Pinyin of the Chinese names: after every listed spelling, and none that two places share.
        spelt: dict[str, set[Place]] = {}
        for place in self.places:
            for alias in (place.name, *place.aliases):
                if (sound := pinyin_key(alias)) is not None and sound not in index:
                    spelt.setdefault(sound, set()).add(place)
        index.update((sound, owners.pop()) for sound, owners in spelt.items() if len(owners) == 1)
        self._index = index
        # Longest first, then by place name: the first contained alias wins.
        self._by_length = sorted(index.items(), key=lambda kv: (-len(kv[0]), kv[1].name, kv[0]))
        # One wildcard position per Chinese alias key: "哈尔?站" -> 哈尔滨站 (position 2).
        wild: dict[str, list[tuple[int, str, Place]]] = {}
        for key, place in self._by_length:
            if len(key) >= 3 and all(is_cjk(ch) for ch in key):
                for i in range(len(key)):
                    wild.setdefault(key[:i] + "?" + key[i + 1 :], []).append((i, key, place))
        self._wild = wild
        # Chinese alias keys by their characters in sorted order: a transposition keeps them.
        anagrams: dict[str, list[tuple[str, Place]]] = {}
        for key, place in self._by_length:
            if len(key) >= 3 and all(is_cjk(ch) for ch in key):
                anagrams.setdefault("".join(sorted(key)), []).append((key, place))
        self._anagrams = anagrams
        self._anagram_lengths = sorted({len(k) for k in anagrams}, reverse=True)
        self._wild_lengths = sorted({len(k) for k in wild}, reverse=True)
        self._latin = sorted(latin, key=lambda wp: (-sum(map(len, wp[0])), wp[1].name, wp[0]))

    def resolve(self, address: str) -> Place | None:
        """The place an address names, or None if it names none we know."""
        text, bounds = _compact_with_boundaries(address)
        if not text:
            return None
        exact = self._index.get(text)
        if exact is not None:
            return exact
        best: tuple[str, Place] | None = None
        sounded = _sounded_starts(text, self._other_sounds, self._sound_prefixes)  # once: asked at every start

        def elsewhere(text: str, bounds: set[int], start: int) -> bool:
            return start in sounded or self._qualified_elsewhere(text, bounds, start)

        for key, place in self._by_length:
            if len(key) <= len(text) and self._contains(text, bounds, key, elsewhere):
                if place.kind != STREET_KIND:
                    best = (key, place)
                    break
                if best is None:  # a street is long: a landmark named along with it is more precise
                    best = (key, place)
        longer = len(best[0]) + 1 if best is not None else 0
        fuzzy = text[:_FUZZY_MAX_CHARS]
        starts = [start for start in range(len(fuzzy)) if not elsewhere(fuzzy, bounds, start)]
        typo = self._resolve_typo(fuzzy, starts, longer)
        if typo is None:
            typo = self._resolve_latin_typo(address, longer)
        if typo is None:
            typo = self._resolve_swap(fuzzy, starts, longer, _edges(fuzzy, best[0]) if best is not None else frozenset())
        if typo is not None and not (typo.kind == STREET_KIND and best is not None and best[1].kind != STREET_KIND):
            return typo
        return best[1] if best is not None else None

    def names_its_city(self, address: str) -> bool:
        """Whether an address names this gazetteer's own city ("Qiqihar No. 1 Hospital" in Qiqihar), even at a place
        it does not know: routing sends it to this city's desk, whose operators can call back."""
        text, bounds = _compact_with_boundaries(address)
        return any(self._contains(text, bounds, name, lambda *_: False) for name in self._own_city)

    @staticmethod
    def _contains(text: str, bounds: set[int], key: str, elsewhere: Callable[[str, set[int], int], bool]) -> bool:
        """Whether `key` is in `text` on word boundaries, and not where `elsewhere` says another city's name qualifies it."""
        start = text.find(key)
        while start != -1:
            end = start + len(key)
            if start in bounds and end in bounds and not elsewhere(text, bounds, start):
                return True
            start = text.find(key, start + 1)
        return False

    def _qualified_elsewhere(self, text: str, bounds: set[int], start: int) -> bool:
        """Whether the word before `start` is another city's or county's name ("齐齐哈尔" in 齐齐哈尔市第一医院,
        "qiqihar" in "Qiqihar No. 1 Hospital", 肇东市 in 肇东市第一医院 whose 市 begins our 市第一医院): the
        name that follows is that city's place, never ours. (`resolve` also asks `_sounded_starts`, for a name that
        only sounds like one: 齐齐哈而市, 大庆试.)"""
        if any(start - length in bounds and text[start - length : start] in self._other_cities
               for length in self._other_lengths if length <= start):
            return True
        end = start + 1  # 肇东市 before 市第一医院: a county's name ends in the 市 a place's name begins with
        return text[start:end] in _DIVISION_SUFFIXES and any(
            end - length in bounds and text[end - length : end] in self._other_cities for length in self._other_lengths if 1 < length <= end)

    def _latin_qualified(self, words: list[str], start: int) -> bool:
        """Whether the words before `start` name another city ("qiqihar", "daqing shi"): a Latin typo there is that
        city's place, as an exact name is."""
        before = words[max(0, start - 4) : start]
        if before and before[-1] in _LATIN_SUFFIXES:
            before = before[:-1]
        return any("".join(before[-n:]) in self._other_cities for n in range(1, min(3, len(before)) + 1))

    @staticmethod
    def _longest_unique(text: str, starts: list[int], lengths: list[int], min_length: int,
                        places_in: Callable[[str, int], Iterable[Place]]) -> Place | None:
        """The place found by `places_in` in the longest windows of `text` (lengths longest first, at least
        `min_length`) beginning at `starts`, the places no other city's name qualifies (found once by `resolve` for
        both fuzzy readings); two different places at that length make it ambiguous: None."""
        for length in lengths:
            if length < min_length:
                break
            found = {place for start in starts if start + length <= len(text) for place in places_in(text[start : start + length], start)}
            if found:
                return found.pop() if len(found) == 1 else None
        return None

    def _resolve_typo(self, text: str, starts: list[int], min_length: int) -> Place | None:
        """The longest Chinese alias (of at least `min_length`) found with one character replaced by a homophone."""

        def places_in(window: str, _start: int) -> Iterable[Place]:
            if not all(is_cjk(ch) for ch in window):
                return
            for i in range(len(window)):
                for pos, key, place in self._wild.get(window[:i] + "?" + window[i + 1 :], ()):
                    if pos == i and _homophones(window[pos], key[pos]):
                        yield place

        return self._longest_unique(text, starts, self._wild_lengths, min_length, places_in)

    def _resolve_latin_typo(self, address: str, min_length: int) -> Place | None:
        """The longest multi-word Latin alias found with one word off by one letter ("Harbn Railway Station")."""
        words = _LATIN_WORD.findall(_fold(address[: _FUZZY_MAX_CHARS * 4]))[:_FUZZY_MAX_CHARS]
        if len(words) < 2:
            return None
        found: set[Place] = set()
        found_length = 0
        for alias, place in self._latin:
            length = sum(map(len, alias))
            if length < max(min_length, found_length):
                break
            k = len(alias)
            for start in range(len(words) - k + 1):
                window = words[start : start + k]
                misses = [i for i in range(k) if window[i] != alias[i]]
                if len(misses) != 1:
                    continue
                miss = alias[misses[0]]
                wrong_letter_from = 4 if length - len(miss) >= _SHORT_WORD_CONTEXT else 5
                if _one_edit(window[misses[0]], miss, wrong_letter_from) and not self._latin_qualified(words, start):
                    found.add(place)
                    found_length = length
                    break
        return found.pop() if len(found) == 1 else None

    def _resolve_swap(self, text: str, starts: list[int], min_length: int, edges: frozenset[int]) -> Place | None:
        """The longest Chinese alias (of at least `min_length`) found with two neighbouring characters swapped.

        Only a single adjacent transposition counts (optimal string
        alignment distance 1 between anagrams), at a similarity of at least
        `min_similarity`, and never across `edges`, where a name written
        exactly begins or ends: 哈尔滨站东侧 is east of 哈尔滨站, not 哈尔滨东站
        with 站 and 东 swapped.
        """

        def places_in(window: str, start: int) -> Iterable[Place]:
            for key, place in self._anagrams.get("".join(sorted(window)), ()):
                if window != key and OSA.distance(window, key) == 1 and OSA.normalized_similarity(window, key) >= self.min_similarity:
                    swapped = next(i for i in range(len(key)) if window[i] != key[i])
                    if start + swapped + 1 not in edges:
                        yield place

        return self._longest_unique(text, starts, self._anagram_lengths, min_length, places_in)
