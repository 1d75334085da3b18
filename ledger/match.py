"""Which known file a new incident most likely is (pure).

A candidate must have been seen within `radius_m` of the incident, at a time
of day within `hour_window` hours of the incident's, and nothing in the
incident may contradict the file (sex, age group, the kind of clothing). The score grows with
closeness in place and hour, with how often the person was seen there, and
with appearance words the reporter used. One suggestion is offered as "the
likely file" only when it clearly beats the next one: two people who share a
bench must not be merged by a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from core.textfold import fold
from geo.distance import haversine_m
from ledger.policy import LedgerPolicy
from ledger.profile import Profile


@dataclass(frozen=True)
class Case:
    """What the new incident tells about the person."""

    lat: float
    lon: float
    at: datetime
    flags: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Suggestion:
    person_id: str
    score: float
    distance_m: float
    hour_gap: float
    reasons: tuple[str, ...]


def _local_hour(at: datetime, tz: ZoneInfo) -> float:
    local = at.astimezone(tz)
    return local.hour + local.minute / 60


def hour_gap(a: float, b: float) -> float:
    """Hours between two times of day, across midnight (23:30 and 00:30 are 1 h apart)."""
    gap = abs(a - b) % 24
    return min(gap, 24 - gap)


@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    """The text as words are compared in (`core.textfold.fold`): 軍大衣 is 军大衣, 大媽 is 大妈, ＲＥＤ is red, a
    zero-width space inside a word is gone. Reports, files and the policy's words are all read this way."""
    return fold(text)


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[\s,，。.;；、/]+", _fold(text)) if w}


def _mentions(text: str, words: Sequence[str]) -> bool:
    folded = _fold(text)
    tokens = _words(folded)
    return any((w in tokens) if w.isascii() else (w in folded) for w in map(_fold, words))


def case_sex(case: Case, policy: LedgerPolicy) -> str:
    male, female = _mentions(case.text, policy.male_words), _mentions(case.text, policy.female_words)
    return "male" if male and not female else "female" if female and not male else "unknown"


def compatible(case: Case, profile: Profile, policy: LedgerPolicy) -> str | None:
    """Why the file cannot be this person, or None."""
    sex = case_sex(case, policy)
    if sex != "unknown" and profile.sex not in ("unknown", sex):
        return f"sex {sex} vs file {profile.sex}"
    if "minor" in case.flags and profile.age_group in ("adult", "elderly"):
        return f"minor vs file {profile.age_group}"
    if "elderly" in case.flags and profile.age_group in ("child", "minor"):
        return f"elderly vs file {profile.age_group}"
    said = {w for w in policy.clothing_words if _mentions(case.text, (w,))}
    known = {w for w in policy.clothing_words if _mentions(profile.appearance, (w,))}
    if said and known and not said & known:
        return f"wears {'/'.join(sorted(said))} vs file {'/'.join(sorted(known))}"
    for garment in sorted(said & known):
        now, before = _colours(case.text, garment, policy), _colours(profile.appearance, garment, policy)
        if now and before and not now & before:
            return f"{'/'.join(sorted(now))} {garment} vs file {'/'.join(sorted(before))} {garment}"
    return None


def _colours(text: str, garment: str, policy: LedgerPolicy) -> set[str]:
    """Colours named right before a kind of clothing: 红围巾, 红色的围巾, red scarf."""
    folded = _fold(text)
    return {c for c in policy.colour_words if re.search(rf"{re.escape(_fold(c))}(色的?|色| )?{re.escape(_fold(garment))}", folded)}


def score(case: Case, profile: Profile, policy: LedgerPolicy, tz: ZoneInfo) -> Suggestion | None:
    """How well the file fits the case, or None if it does not fit at all."""
    if not profile.sightings or compatible(case, profile, policy):
        return None
    hour = _local_hour(case.at, tz)
    near = [(haversine_m(case.lat, case.lon, s.lat, s.lon), hour_gap(hour, _local_hour(s.at, tz))) for s in profile.sightings]
    fits = [(d, g) for d, g in near if d <= policy.match_radius_m and g <= policy.match_hour_window]
    if not fits:
        return None
    distance, gap = min(fits, key=lambda dg: dg[0] / policy.match_radius_m + dg[1] / policy.match_hour_window)
    place = 1 - distance / policy.match_radius_m
    time_fit = 1 - gap / policy.match_hour_window
    habit = min(1.0, len(fits) / 3)
    appearance = _words(profile.appearance)
    said = _words(case.text)
    shared = sorted(w for w in appearance if len(w) > 1 and (w in said or (not w.isascii() and w in _fold(case.text))))
    total = 0.45 * place + 0.3 * time_fit + 0.15 * habit + 0.1 * min(1.0, len(shared) / 2)
    reasons = [f"{distance:.0f} m from a usual place", f"{gap:.1f} h from a usual hour", f"seen there {len(fits)} time(s)"]
    if shared:
        reasons.append("appearance: " + ", ".join(shared))
    return Suggestion(profile.person_id, round(total, 3), round(distance, 1), round(gap, 2), tuple(reasons))


def suggest(case: Case, profiles: Sequence[Profile], policy: LedgerPolicy, tz: ZoneInfo, limit: int = 3) -> list[Suggestion]:
    """Candidate files, best first (at most `limit`), each above the policy's minimum score."""
    found = [s for p in profiles if (s := score(case, p, policy, tz)) is not None and s.score >= policy.match_min_score]
    found.sort(key=lambda s: (-s.score, s.person_id))
    return found[:limit]


def likely(suggestions: Sequence[Suggestion], policy: LedgerPolicy) -> Suggestion | None:
    """The one file to propose, only when it clearly beats the runner-up."""
    if not suggestions:
        return None
    if len(suggestions) > 1 and suggestions[0].score - suggestions[1].score < policy.match_margin:
        return None
    return suggestions[0]
