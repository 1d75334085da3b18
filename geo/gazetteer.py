"""Addresses to places: callers say "哈尔滨站西出口附近", not coordinates.

Matching ignores case, whitespace and punctuation, and knows each place by
its Chinese name and its English, pinyin and short aliases. The whole
address matching an alias wins; otherwise the longest alias contained in the
address (so "near the west exit of Harbin Railway Station" finds the
station). Latin aliases only match on word boundaries, so a short alias such
as "HIT" is not found inside "white". Ties go to the place name, so the same
address always resolves to the same place.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from geo.city import Place


def _kept(ch: str) -> bool:
    return unicodedata.category(ch)[0] in ("L", "N")


def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.category(ch)[0] == "N" or "LATIN" in unicodedata.name(ch, "")


def normalize(text: str) -> str:
    """Case-folded letters and digits only: the key every comparison uses."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if _kept(ch))


def _compact_with_boundaries(text: str) -> tuple[str, set[int]]:
    """The normalized text and the positions in it where a word starts or ends.

    A boundary is the start, the end, a dropped separator (space,
    punctuation) and any switch between Latin and non-Latin script.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    bounds = {0}
    prev_latin: bool | None = None
    for ch in folded:
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


class Gazetteer:
    """Resolves free-text addresses to known places, deterministically."""

    def __init__(self, places: Iterable[Place]) -> None:
        self.places = tuple(places)
        index: dict[str, Place] = {}
        for place in sorted(self.places, key=lambda p: p.name):
            for alias in (place.name, *place.aliases):
                key = normalize(alias)
                if key and key not in index:  # the first name in sort order keeps a shared alias
                    index[key] = place
        self._index = index
        # Longest first, then by place name: the first contained alias wins.
        self._by_length = sorted(index.items(), key=lambda kv: (-len(kv[0]), kv[1].name, kv[0]))

    def resolve(self, address: str) -> Place | None:
        """The place an address names, or None if it names none we know."""
        text, bounds = _compact_with_boundaries(address)
        if not text:
            return None
        exact = self._index.get(text)
        if exact is not None:
            return exact
        for key, place in self._by_length:
            if len(key) > len(text):
                continue
            if self._contains(text, bounds, key):
                return place
        return None

    @staticmethod
    def _contains(text: str, bounds: set[int], key: str) -> bool:
        start = text.find(key)
        while start != -1:
            end = start + len(key)
            if start in bounds and end in bounds:
                return True
            start = text.find(key, start + 1)
        return False
