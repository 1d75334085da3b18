"""Wind chill, night and cold-wave levels by the CMA thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.settings import DATA_DIR
from rules.context import Context
from rules.desk import Desk
from rules.intake import parse_weather
from rules.policy import load_policy
from rules.weather import RegionWeather, conditions, is_night, wind_chill_c

POLICY = load_policy(DATA_DIR / "policy.toml")
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 12, 20, 18, 0, tzinfo=TZ)


def test_wind_chill_matches_published_table() -> None:
    # Environment Canada table: -20 °C air, 30 km/h wind -> -33 (rounded).
    assert wind_chill_c(-20.0, 30 / 3.6) == pytest.approx(-32.6, abs=0.1)
    assert wind_chill_c(-5.0, 20 / 3.6) == pytest.approx(-11.6, abs=0.1)
    # Outside the formula's range the air temperature stands.
    assert wind_chill_c(-5.0, 1.0) == -5.0
    assert wind_chill_c(12.0, 10.0) == 12.0


@pytest.mark.parametrize(
    ("hour", "minute", "night"),
    [(21, 59, False), (22, 0, True), (3, 0, True), (5, 59, True), (6, 0, False), (12, 0, False)],
)
def test_night_is_judged_in_local_time(hour: int, minute: int, night: bool) -> None:
    local = datetime(2026, 12, 20, hour, minute, tzinfo=TZ)
    assert is_night(local.astimezone(UTC), POLICY, TZ) is night


def _history(yesterday_min: float, today_min: float, *, hours_between: float = 24) -> RegionWeather:
    weather = RegionWeather()
    start = T0 - timedelta(hours=hours_between)
    weather.add_observation(start - timedelta(hours=2), yesterday_min + 3, 2.0, 72)
    weather.add_observation(start, yesterday_min, 2.0, 72)
    weather.add_observation(T0 - timedelta(hours=1), today_min + 2, 2.0, 72)
    weather.add_observation(T0, today_min, 2.0, 72)
    return weather


@pytest.mark.parametrize(
    ("yesterday", "today", "level"),
    [
        (10.0, 3.0, "none"),  # drop 7: below every threshold
        (10.0, 0.0, "yellow"),  # drop 10 within 24 h, min <= 4
        (10.0, -2.0, "orange"),  # drop 12, min <= 0
        (14.0, 1.0, "yellow"),  # drop 13 but min 1 > 0: not orange
        (10.0, -6.0, "red"),  # drop 16, min <= 0
    ],
)
def test_cold_wave_levels_from_daily_minimum_drop(yesterday: float, today: float, level: str) -> None:
    assert _history(yesterday, today).derived_level(T0, POLICY) == level


def test_blue_needs_the_48h_window() -> None:
    weather = _history(9.0, 0.5, hours_between=48)  # drop 8.5 over 48 h
    assert weather.derived_level(T0, POLICY) == "blue"


def test_blue_counts_a_drop_over_one_day_too() -> None:
    # Drop 9 over 24 h, min <= 4: a drop of 8 or more within 48 h even with no record from two days back.
    assert _history(9.5, 0.5).derived_level(T0, POLICY) == "blue"
    # Two days back warm, yesterday colder, today colder again: the larger drop counts.
    weather = _history(3.0, 0.0)
    weather.add_observation(T0 - timedelta(hours=48), 9.0, 2.0, 72)
    assert weather.derived_level(T0, POLICY) == "blue"


@pytest.mark.parametrize(
    ("yesterday", "today", "level"),
    [(-15.9, -23.9, "blue"), (-13.9, -23.9, "yellow"), (-13.9, -25.9, "orange"), (-13.9, -29.9, "red")],
)
def test_a_drop_of_exactly_the_threshold_in_tenths_reaches_the_level(yesterday: float, today: float, level: str) -> None:
    assert _history(yesterday, today).derived_level(T0, POLICY) == level


def test_official_warning_raises_but_expires() -> None:
    weather = RegionWeather()
    weather.add_observation(T0, -3.0, 1.0, 72)
    weather.add_warning(T0 - timedelta(hours=1), "orange")
    assert conditions(weather, None, T0, POLICY).cold_wave_level == "orange"
    later = T0 + timedelta(hours=POLICY.warning_valid_h)
    assert conditions(weather, None, later, POLICY).cold_wave_level == "none"


def test_region_falls_back_to_city_observations_and_flags_severe_cold() -> None:
    city = RegionWeather()
    city.add_observation(T0, -8.0, 6.0, 72)  # wind chill about -15
    cond = conditions(None, city, T0, POLICY)
    assert cond.severe_cold and cond.wind_chill_c is not None and cond.wind_chill_c <= -10
    assert cond.temp_c == -8.0


def test_a_regions_own_station_does_not_hide_the_citys_records() -> None:
    # A record naming no region is every region's: the city's cold wave holds in a district whose station
    # reported once tonight, and the city's newer, colder and windier reading is the district's latest.
    city, daoli = RegionWeather(), RegionWeather()
    city.add_observation(T0 - timedelta(hours=24), 12.0, 1.0, 72)
    city.add_observation(T0, -3.0, 1.0, 72)
    daoli.add_observation(T0 - timedelta(minutes=30), -2.0, 1.0, 72)
    assert conditions(daoli, city, T0, POLICY).cold_wave_level == "orange"  # a drop of 15 to -3
    city.add_observation(T0 + timedelta(hours=2), -20.0, 8.0, 72, snow=True)
    later = conditions(daoli, city, T0 + timedelta(hours=3), POLICY)
    assert (later.temp_c, later.severe_cold, later.snow) == (-20.0, True, True)
    # The district's own reading is its latest when it is newer, and wins a tie.
    daoli.add_observation(T0 + timedelta(hours=2), -1.0, 1.0, 72)
    assert conditions(daoli, city, T0 + timedelta(hours=3), POLICY).temp_c == -1.0
    assert not conditions(daoli, city, T0 + timedelta(hours=3), POLICY).snow


def test_history_round_trips_through_dict() -> None:
    weather = _history(10.0, -2.0)
    weather.add_warning(T0, "red")
    again = RegionWeather.from_dict(weather.to_dict())
    assert again.observations == weather.observations and again.warning == weather.warning



def _stations(ctx: Context, readings: dict[str, tuple[float, float]], where: dict[str, Any]) -> Desk:
    """A desk that read each station's reading yesterday evening and tonight (°C) through intake, as the weather topic
    brings them, with the clock ticking between."""
    desk = Desk(ctx, "harbin")
    for day, when in enumerate((T0 - timedelta(hours=24), T0)):
        if day:
            for step in range(1, 25):
                desk.handle_tick(T0 - timedelta(hours=24) + timedelta(hours=step))
        for station, temps in readings.items():
            body = {"observed_at": when.isoformat(), "temp_c": temps[day], "wind_ms": 1.0, "station_id": station, **where}
            desk.handle_weather(*parse_weather(body, ctx))
    return desk


@pytest.mark.parametrize("where", [{}, {"region": "daoli"}, {"lat": 45.7735, "lon": 126.6165}], ids=["city", "district", "position"])
def test_one_stations_outlier_does_not_set_the_level_of_the_region_its_neighbours_share(ctx: Context, where: dict[str, Any]) -> None:
    """One of three stations reading -45 °C while the others read -15 (a failing sensor) made the region red (a drop of 40
    from yesterday's -5): orange's floor and halved deadlines over the whole city for one reading. The region's daily
    minimum is the lower median of its stations' minima: one station of three or more cannot set it, two of four can,
    and with one or two stations the colder counts (nothing to outvote it: when unsure, the colder)."""
    trio = {"s1": (-5.0, -15.0), "s2": (-5.0, -15.5), "s3": (-5.0, -45.0)}
    assert ctx.index.locate(45.7735, 126.6165).district == "daoli"
    assert _stations(ctx, trio, where).region_conditions("daoli", T0).cold_wave_level == "yellow"  # a drop of 10, not 40
    # A second station as cold: two of four, the colder middle one is -44
    assert _stations(ctx, {**trio, "s4": (-5.0, -44.0)}, where).region_conditions("daoli", T0).cold_wave_level == "red"


def test_a_lone_stations_reading_is_the_regions(ctx: Context) -> None:
    assert _stations(ctx, {"s1": (-5.0, -45.0)}, {"region": "daoli"}).region_conditions("daoli", T0).cold_wave_level == "red"
    pair = _stations(ctx, {"s1": (-5.0, -45.0), "s2": (-5.0, -15.0)}, {"region": "daoli"})
    assert pair.region_conditions("daoli", T0).cold_wave_level == "red"  # two stations: the colder, nothing outvotes it
    assert pair.region_conditions("nangang", T0).cold_wave_level == "none"  # another district's stations are not its


def test_one_stations_outlier_does_not_set_severe_cold() -> None:
    """A failing station's -45 °C with wind, read last, raised every report a level: severe cold takes the lower median
    of the stations' latest wind chills (within a few hours), as the daily minimum does; one or two stations: the colder."""
    region = RegionWeather()
    region.add_observation(T0 - timedelta(minutes=20), -5.0, 1.0, 72, station="s1")
    region.add_observation(T0 - timedelta(minutes=10), -6.0, 1.0, 72, station="s2")
    assert conditions(region, None, T0, POLICY).temp_c == -6.0  # two stations: the colder
    region.add_observation(T0, -45.0, 8.0, 72, station="s3")
    cond = conditions(region, None, T0, POLICY)
    assert (cond.severe_cold, cond.temp_c, cond.wind_ms) == (False, -6.0, 1.0)
    # A second station as cold and windy: two of four, the colder middle one counts
    region.add_observation(T0, -20.0, 8.0, 72, station="s4")
    assert conditions(region, None, T0, POLICY).severe_cold
    # A station silent for hours no longer votes: s1 and s2 alone are the region now, and s1's newer reading is its own
    later = T0 + timedelta(hours=12)
    region.add_observation(later, -4.0, 1.0, 72, station="s1")
    region.add_observation(later, -3.0, 1.0, 72, station="s2")
    assert conditions(region, None, later, POLICY).temp_c == -4.0
