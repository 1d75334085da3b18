"""Weather judged by the policy: cold-wave level, wind chill, night.

Pure functions over a region's observation history. The cold-wave level
follows the CMA signal thresholds: the daily minimum (lowest temperature in
the 24 h ending now) compared with the highest daily minimum of the days
within `within_h` hours before (the 24 h ending 24 h earlier, 48 h
earlier... up to `within_h`); the drop and the minimum reached decide the
level, checked from the most severe down. An official warning in force can only
raise the derived level.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from core.records import COLD_WAVE_LEVELS, WeatherObservation, from_iso
from rules.policy import WIND_CHILL_MAX_C, Policy

T = TypeVar("T")

# A drop is compared after rounding away float error (no thermometer reads a millionth of a degree).
_DROP_DECIMALS = 6
# A station's latest reading speaks for the air now only this long (stations report hourly or more often).
LATEST_WINDOW_H = 3.0


def wind_chill_c(temp_c: float, wind_ms: float) -> float:
    """Wind-chill temperature (North American / UK formula, wind in km/h at 10 m).

    Outside the formula's range (above 10 °C or wind under 4.8 km/h) the air
    temperature itself is returned.
    """
    v = wind_ms * 3.6
    if temp_c > WIND_CHILL_MAX_C or v < 4.8:
        return temp_c
    p: float = v**0.16  # float ** float is typed Any
    return 13.12 + 0.6215 * temp_c - 11.37 * p + 0.3965 * temp_c * p


def is_night(at: datetime, policy: Policy, tz: ZoneInfo) -> bool:
    local = at.astimezone(tz).time()
    start, end = policy.night_start, policy.night_end
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def station_key(obs: WeatherObservation) -> str:
    """Which station a reading is from: its `station_id`, else its position, else "" (a feed naming neither is one source)."""
    if obs.station_id:
        return obs.station_id
    return f"{obs.lat:.5f},{obs.lon:.5f}" if obs.lat is not None and obs.lon is not None else ""


def lower_median(values: list[T]) -> T:
    """The lower middle of values already sorted: of three or more stations one cannot decide; of one or two, the first."""
    return values[(len(values) - 1) // 2]


def level_rank(level: str) -> int:
    return COLD_WAVE_LEVELS.index(level) if level in COLD_WAVE_LEVELS else 0


@dataclass
class RegionWeather:
    """Observation history and warnings of one region (or of the whole city)."""

    observations: list[tuple[datetime, float, float, str]] = field(default_factory=list)  # (at, temp_c, wind_ms, station), by time
    warning: tuple[datetime, str] | None = None  # (issued_at, level)
    snow: tuple[datetime, bool] | None = None  # the latest observation's snowfall / road ice, and when

    def add_observation(self, at: datetime, temp_c: float, wind_ms: float, history_h: float, snow: bool = False,
                        station: str = "") -> None:
        if self.snow is None or at >= self.snow[0]:
            self.snow = (at, snow)
        entry = (at, temp_c, wind_ms, station)
        if entry in self.observations:
            return
        self.observations.append(entry)
        self.observations.sort(key=lambda o: o[0])
        horizon = self.observations[-1][0] - timedelta(hours=history_h)
        self.observations = [o for o in self.observations if o[0] >= horizon]

    def add_warning(self, issued_at: datetime, level: str) -> None:
        if self.warning is None or issued_at >= self.warning[0]:
            self.warning = (issued_at, level)

    def latest(self, at: datetime) -> tuple[datetime, float, float, str] | None:
        """The region's reading now: of each station's latest within `LATEST_WINDOW_H`, the lower median by wind chill.

        The single latest reading of any station let one failing sensor (-45 °C with wind) raise every report a level;
        as for the daily minimum, one station of three or more cannot set it, and of one or two the colder counts.
        """
        per_station: dict[str, tuple[datetime, float, float, str]] = {}
        for obs in self.observations:  # by time: a station's later reading replaces its earlier one
            if at - timedelta(hours=LATEST_WINDOW_H) < obs[0] <= at:
                per_station[obs[3]] = obs
        if not per_station:
            past = [o for o in self.observations if o[0] <= at]
            return past[-1] if past else None
        return lower_median(sorted(per_station.values(), key=lambda o: wind_chill_c(o[1], o[2])))

    def daily_min(self, end: datetime) -> float | None:
        """The region's minimum of the 24 h ending at `end`: the lower median of its stations' minima.

        One station's failing sensor (-45 °C among neighbours at -15) turned the region red: of three or more stations
        one cannot set the level, and of an even number the colder middle one counts; one or two stations are all
        that is known (the colder: nothing outvotes it). Records naming no station are one source.
        """
        per_station: dict[str, float] = {}
        for when, temp, _, station in self.observations:
            if end - timedelta(hours=24) < when <= end:
                per_station[station] = min(temp, per_station.get(station, temp))
        if not per_station:
            return None
        return lower_median(sorted(per_station.values()))

    def earlier_min(self, at: datetime, within_h: float) -> float | None:
        """The highest daily minimum of the days before `at` within `within_h` hours (24 h back, 48 h back... up to it).

        A drop "within 48 h" counts whether it came over one day or two: yesterday's
        minimum counts as well as the day before's.
        """
        lags = [24.0 * k for k in range(1, int(within_h // 24) + 1)]
        if not lags or lags[-1] != within_h:
            lags.append(float(within_h))
        mins = [m for m in (self.daily_min(at - timedelta(hours=h)) for h in lags) if m is not None]
        return max(mins) if mins else None

    def derived_level(self, at: datetime, policy: Policy) -> str:
        now_min = self.daily_min(at)
        if now_min is None:
            return "none"
        for lvl in policy.cold_wave_levels:
            before = self.earlier_min(at, lvl.within_h)
            if before is None:
                continue
            # Temperatures come in tenths of a degree: -13.9 - -23.9 is a drop of 10, not 9.999999999999998.
            if round(before - now_min, _DROP_DECIMALS) >= lvl.drop_c and now_min <= lvl.min_at_or_below_c:
                return lvl.name
        return "none"

    def warning_level(self, at: datetime, policy: Policy) -> str | None:
        if self.warning is None:
            return None
        issued, level = self.warning
        if issued <= at < issued + timedelta(hours=policy.warning_valid_h):
            return level
        return None

    def to_dict(self) -> dict[str, object]:
        return {
            "observations": [[o[0].isoformat(), o[1], o[2], o[3]] for o in self.observations],
            "warning": [self.warning[0].isoformat(), self.warning[1]] if self.warning else None,
            "snow": [self.snow[0].isoformat(), self.snow[1]] if self.snow else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RegionWeather:
        obs = data.get("observations") or []
        warning = data.get("warning")
        snow = data.get("snow")
        assert isinstance(obs, list)
        return cls(
            # state written before stations were told apart has three fields: one source
            observations=[(from_iso(o[0]), float(o[1]), float(o[2]), str(o[3]) if len(o) > 3 else "") for o in obs],
            warning=(from_iso(warning[0]), str(warning[1])) if isinstance(warning, list) else None,
            snow=(from_iso(snow[0]), bool(snow[1])) if isinstance(snow, list) else None,
        )


@dataclass(frozen=True)
class RegionConditions:
    """What the rules need of a region's weather at one moment."""

    cold_wave_level: str = "none"
    temp_c: float | None = None
    wind_ms: float | None = None
    wind_chill_c: float | None = None
    severe_cold: bool = False
    warning_level: str | None = None
    snow: bool = False  # snowfall or road ice: teams are slower


def observed(region: RegionWeather | None, city: RegionWeather | None) -> RegionWeather | None:
    """The observations that apply to a region: its own and the whole city's (a record naming no region is every
    region's), by time, the region's last among equal times; the latest snowfall / road-ice report of either.

    A region's own station does not hide the city's records: one observation of a district tonight left the
    city-wide history out of its daily minima (no cold wave there while the city had an orange one), and a
    district's afternoon reading hid the city's colder, windier evening one (no severe cold).
    """
    if region is None or not region.observations:
        return city if city is not None and city.observations else region
    if city is None or not city.observations:
        return region
    merged = list(heapq.merge(city.observations, region.observations, key=lambda o: o[0]))
    snows = [s for s in (region.snow, city.snow) if s is not None]  # the region's first: it wins a tie
    return RegionWeather(observations=merged, snow=max(snows, key=lambda s: s[0]) if snows else None)


def conditions(region: RegionWeather | None, city: RegionWeather | None, at: datetime, policy: Policy) -> RegionConditions:
    """A region's conditions: its own observations and the city-wide ones together (`observed`).

    Warnings for the region and for the whole city both count; the most
    severe of derived and warned levels wins.
    """
    source = observed(region, city)
    derived = source.derived_level(at, policy) if source is not None else "none"
    warned = [w for w in (region.warning_level(at, policy) if region else None, city.warning_level(at, policy) if city else None) if w]
    level = max([derived, *warned], key=level_rank)
    latest = source.latest(at) if source is not None else None
    snow = source is not None and source.snow is not None and source.snow[0] <= at and source.snow[1]
    result = RegionConditions(cold_wave_level=level, warning_level=max(warned, key=level_rank) if warned else None, snow=snow)
    if latest is None:
        return result
    _, temp, wind, _ = latest
    chill = wind_chill_c(temp, wind)
    return replace(
        result,
        temp_c=temp,
        wind_ms=wind,
        wind_chill_c=round(chill, 1),
        severe_cold=not math.isnan(chill) and chill <= policy.severe_cold_wind_chill_c,
    )
