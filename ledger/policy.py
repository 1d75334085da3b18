"""The ledger's policy (data/ledger.toml), checked at load with file and line in every error."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from core.records import COLD_WAVE_LEVELS, FLAGS
from core.tomlconfig import TomlReader, parse_toml, read_text
from geo.city import KEY_AREAS

OUTCOME_COLUMNS: tuple[str, ...] = ("station", "hospital", "home", "persuaded", "refused", "supplies", "not_found")


@dataclass(frozen=True)
class LedgerPolicy:
    retention_days: int = 180
    day_starts: time = time(12, 0)
    outcomes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    match_radius_m: float = 250.0
    match_hour_window: float = 3.0
    match_min_score: float = 0.35
    match_margin: float = 0.15
    male_words: tuple[str, ...] = ()
    female_words: tuple[str, ...] = ()
    clothing_words: tuple[str, ...] = ()
    colour_words: tuple[str, ...] = ()
    refusal_count: int = 2
    refusal_within_days: float = 7.0
    refusal_levels: tuple[str, ...] = ("orange", "red")
    refusal_outcomes: tuple[str, ...] = ("refused", "refused_supplies_given")
    sweep_nights: int = 7
    sweep_radius_m: float = 200.0
    sweep_top: int = 25
    level_weight: tuple[tuple[str, float], ...] = ()
    flag_weight: tuple[tuple[str, float], ...] = ()
    gathering_weight: tuple[tuple[str, float], ...] = ()
    # the desk's `deadlines.max_ahead_min`: how far past the event naming it a first report may be, and how far past a
    # hint's time a sighting may be and still count for "where and when the person tends to be"
    max_ahead_min: float = 60.0

    def outcome_columns(self, outcome: str | None) -> tuple[str, ...]:
        """The report columns an outcome code counts in (none for an unknown code)."""
        return tuple(column for column, codes in self.outcomes if outcome in codes)

    def level_factor(self, level: str) -> float:
        return dict(self.level_weight).get(level, 1.0)

    def flag_factor(self, flags: tuple[str, ...] | list[str]) -> float:
        weights = dict(self.flag_weight)
        return max([1.0, *(weights.get(f, 1.0) for f in flags)])

    def gathering_factor(self, kind: str) -> float:
        """Base risk of a gathering place of this kind where nobody was found yet (0 keeps the kind off the list)."""
        return dict(self.gathering_weight).get(kind, 0.0)


# The longest a number of days may be (a century): 10**30 days of retention overflowed `patrol ledger anonymize`'s
# cutoff date in a traceback, as did such a sweep or refusal window.
MAX_DAYS = 36_500
# A radius past MAX_RADIUS_M (a sighting to a file, a sweep's stop) is a district or a city: 1e12 m put any sighting
# into any file. A sweep weight past MAX_WEIGHT outweighs everything else; 1e308 made every risk infinite.
MAX_RADIUS_M = 5000.0
MAX_WEIGHT = 100.0


def load_ledger_policy(path: Path, *, outcomes: Collection[str]) -> LedgerPolicy:
    """The ledger policy at `path`, checked. `outcomes` are the dispatch policy's codes (`dispatch.outcomes`), the only
    ones a team or an operator can send: a report column or the refusals naming another code (one nothing sends, a
    misspelt one) would count nothing, so it is refused with its line."""
    text = read_text(Path(path), "the ledger policy")
    data = parse_toml(text, str(path))
    r = TomlReader(str(path), text)
    r.unknown_keys(data, [], ("retention", "report", "outcomes", "matching", "refusals", "sweep", "times"))
    if "times" in data:
        r.unknown_keys(data, ["times"], ("max_ahead_min",))
    for table, keys in (
        ("retention", ("days",)),
        ("report", ("day_starts",)),
        ("outcomes", OUTCOME_COLUMNS),
        ("matching", ("radius_m", "hour_window", "min_score", "margin", "male_words", "female_words", "clothing_words", "colour_words")),
        ("refusals", ("count", "within_days", "cold_wave_levels", "outcomes")),
        ("sweep", ("nights", "radius_m", "top", "level_weight", "flag_weight", "gathering_weight")),
    ):
        r.get(data, [table], dict)
        r.unknown_keys(data, [table], keys)
    days = r.count(data, ["retention", "days"], maximum=MAX_DAYS)
    if days < 1:
        raise r.fail(["retention", "days"], "must be at least 1")
    level_weight = r.get(data, ["sweep", "level_weight"], dict, {})
    if level_weight:
        r.unknown_keys(data, ["sweep", "level_weight"], COLD_WAVE_LEVELS)
    flag_weight = r.get(data, ["sweep", "flag_weight"], dict, {})
    if flag_weight:
        r.unknown_keys(data, ["sweep", "flag_weight"], FLAGS)
    gathering_weight = r.get(data, ["sweep", "gathering_weight"], dict, {})
    if gathering_weight:
        r.unknown_keys(data, ["sweep", "gathering_weight"], KEY_AREAS)
    return LedgerPolicy(
        retention_days=days,
        day_starts=r.clock(data, ["report", "day_starts"]),
        outcomes=tuple((c, _codes(r, data, ["outcomes", c], outcomes, ())) for c in OUTCOME_COLUMNS),
        match_radius_m=r.number(data, ["matching", "radius_m"], minimum=1.0, maximum=MAX_RADIUS_M),
        match_hour_window=r.number(data, ["matching", "hour_window"], minimum=0.5, maximum=12.0),
        match_min_score=r.share(data, ["matching", "min_score"]),
        match_margin=r.share(data, ["matching", "margin"]),
        male_words=_words(r, data, ["matching", "male_words"]),
        female_words=_words(r, data, ["matching", "female_words"]),
        clothing_words=_words(r, data, ["matching", "clothing_words"]),
        colour_words=_words(r, data, ["matching", "colour_words"]),
        refusal_count=max(1, r.count(data, ["refusals", "count"])),
        refusal_within_days=r.number(data, ["refusals", "within_days"], minimum=0.1, maximum=MAX_DAYS),
        refusal_levels=r.names(data, ["refusals", "cold_wave_levels"], COLD_WAVE_LEVELS),
        refusal_outcomes=_codes(r, data, ["refusals", "outcomes"], outcomes),
        sweep_nights=max(1, r.count(data, ["sweep", "nights"], maximum=MAX_DAYS)),
        sweep_radius_m=r.number(data, ["sweep", "radius_m"], minimum=1.0, maximum=MAX_RADIUS_M),
        sweep_top=max(1, r.count(data, ["sweep", "top"])),
        level_weight=tuple((k, r.number(data, ["sweep", "level_weight", k], maximum=MAX_WEIGHT)) for k in level_weight),
        flag_weight=tuple((k, r.number(data, ["sweep", "flag_weight", k], maximum=MAX_WEIGHT)) for k in flag_weight),
        gathering_weight=tuple((k, r.number(data, ["sweep", "gathering_weight", k], maximum=MAX_WEIGHT)) for k in gathering_weight),
        max_ahead_min=r.number(data, ["times", "max_ahead_min"], minimum=1.0, maximum=MAX_DAYS * 1440.0, default=60.0),
    )


def _codes(r: TomlReader, data: Mapping[str, Any], keypath: Sequence[str], outcomes: Collection[str], default: Any = ...) -> tuple[str, ...]:
    """A list of outcome codes, each one of the dispatch policy's."""
    codes = r.strings(data, keypath, default)
    for code in codes:
        if code not in outcomes:
            raise r.fail(keypath, f"{code!r} is not an outcome code of the dispatch policy (dispatch.outcomes: {', '.join(outcomes)}); "
                                  "no team or operator can send it")
    return codes


def _words(r: TomlReader, data: Mapping[str, Any], keypath: Sequence[str]) -> tuple[str, ...]:
    """Words looked for in a sighting's text: each holds a letter or digit. "，" was found in every tip with a comma
    (every such tip a man's, and no woman's file could take it)."""
    words = r.strings(data, keypath, ())
    for word in words:
        if not any(ch.isalnum() for ch in word):
            raise r.fail(keypath, f"{word!r} holds no letter or digit (only punctuation): it would be found in nearly every tip")
    return words
