"""Weather of a drill night: a curve per district, observations and a warning.

The pipeline derives the cold-wave level from observation history (drop of
the daily minimum within 24/48 h), so the simulator also emits coarse
observations for the hours before the drill: without them no drop is
visible and the level would never rise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from rules.policy import Policy
from rules.weather import RegionConditions, RegionWeather, conditions
from simulators.scenario import WeatherSpec


@dataclass(frozen=True)
class Observation:
    at: datetime
    region: str
    temp_c: float
    wind_ms: float

    def to_dict(self) -> dict[str, object]:
        return {"observed_at": self.at.isoformat(), "temp_c": self.temp_c, "wind_ms": self.wind_ms, "region": self.region}


@dataclass(frozen=True)
class ColdWaveWarning:
    at: datetime
    level: str
    region: str | None

    def to_dict(self) -> dict[str, object]:
        return {"level": self.level, "issued_at": self.at.isoformat(), "region": self.region}


def curve(spec: WeatherSpec, hours: float) -> tuple[float, float]:
    """Temperature and wind at `hours` after the start, linear between the key points."""
    hs = [p.h for p in spec.points]
    temp = float(np.interp(hours, hs, [p.temp_c for p in spec.points]))
    wind = float(np.interp(hours, hs, [p.wind_ms for p in spec.points]))
    return temp, wind


def observation_times(spec: WeatherSpec, start: datetime, end: datetime) -> list[datetime]:
    """Coarse steps before the start (history), then `step_min` steps to the end."""
    times: list[datetime] = []
    h = -spec.history_h
    while h < 0:
        times.append(start + timedelta(hours=h))
        h += spec.history_step_h
    t = start
    while t <= end:
        times.append(t)
        t += timedelta(minutes=spec.step_min)
    return times


def simulate_weather(spec: WeatherSpec, regions: list[str], start: datetime, end: datetime,
                     rng: np.random.Generator) -> tuple[list[Observation], list[ColdWaveWarning]]:
    """Observations of every region (a fixed offset each plus small noise) and the warning."""
    observations: list[Observation] = []
    offsets = {r: float(rng.uniform(-spec.district_spread_c, spec.district_spread_c)) for r in regions}
    for at in observation_times(spec, start, end):
        hours = (at - start).total_seconds() / 3600.0
        temp, wind = curve(spec, hours)
        for region in regions:
            noise_t = float(rng.normal(0.0, 0.15))
            noise_w = float(rng.normal(0.0, 0.3))
            observations.append(Observation(at=at, region=region, temp_c=round(temp + offsets[region] + noise_t, 1),
                                            wind_ms=round(max(0.0, wind + noise_w), 1)))
    warnings: list[ColdWaveWarning] = []
    if spec.warning is not None:
        warnings.append(ColdWaveWarning(at=start + timedelta(hours=spec.warning.issued_h), level=spec.warning.level,
                                region=spec.warning.region))
    return observations, warnings


class WeatherBook:
    """The conditions the policy should see in each region at any time (for ground truth)."""

    def __init__(self, observations: list[Observation], warnings: list[ColdWaveWarning], policy: Policy) -> None:
        self.policy = policy
        self.regions: dict[str, RegionWeather] = {}
        self.city = RegionWeather()
        for obs in sorted(observations, key=lambda o: o.at):
            self.regions.setdefault(obs.region, RegionWeather()).observations.append((obs.at, obs.temp_c, obs.wind_ms, ""))
        self.warnings = sorted(warnings, key=lambda w: w.at)

    def at(self, region: str, when: datetime) -> RegionConditions:
        """Conditions of `region` at `when`, using only what was observed or warned by then."""
        own = self.regions.get(region)
        region_view = RegionWeather(observations=[o for o in own.observations if o[0] <= when]) if own else None
        city_view = RegionWeather()
        for w in self.warnings:
            if w.at > when:
                continue
            if w.region is None:
                city_view.add_warning(w.at, w.level)
            elif w.region == region:
                if region_view is None:
                    region_view = RegionWeather()
                region_view.add_warning(w.at, w.level)
        return conditions(region_view, city_view, when, self.policy)

    def level_series(self, region: str, start: datetime, end: datetime, step_min: float = 15.0) -> list[tuple[datetime, str]]:
        out: list[tuple[datetime, str]] = []
        t = start
        while t <= end:
            out.append((t, self.at(region, t).cold_wave_level))
            t += timedelta(minutes=step_min)
        return out
