"""Scenario files: the shipped ones load; a mistake names the file and the line or key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import PROJECT_ROOT
from rules.context import Context
from simulators.cameras import build_sites
from simulators.citymap import CityMap
from simulators.scenario import PROFILES, load_scenario, parse_scenario

SCENARIOS = PROJECT_ROOT / "data" / "scenarios"


def _default_text() -> str:
    return (SCENARIOS / "default.toml").read_text(encoding="utf-8")


def test_shipped_scenarios_load_by_name_and_path() -> None:
    default = load_scenario("default")
    blizzard = load_scenario(SCENARIOS / "blizzard.toml")
    assert default.name == "default" and blizzard.name == "blizzard"
    assert set(default.population.counts) == set(PROFILES)
    assert all(default.population.counts[k] > 0 for k in PROFILES)
    assert 40 <= default.persons <= 60
    assert blizzard.teams.speed_kmh < default.teams.speed_kmh
    assert blizzard.teams.ack_miss_probability > default.teams.ack_miss_probability
    assert len(default.channels["courier"].rate_by_hour) == 24


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    lines = _default_text().splitlines()
    idx = next(i for i, ln in enumerate(lines) if ln.startswith("speed_kmh"))
    lines[idx] = "speed_kmh = = 25"
    bad = tmp_path / "broken.toml"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_scenario(bad)
    assert err.value.path == str(bad)
    assert err.value.line == idx + 1
    assert str(bad) in str(err.value)


def test_semantic_error_names_key_path_and_line() -> None:
    text = _default_text().replace("ack_miss_probability = 0.1", "ack_miss_probability = 1.5")
    with pytest.raises(ConfigError) as err:
        parse_scenario(text, "my.toml")
    message = str(err.value)
    assert "teams.ack_miss_probability" in message and "at most 1" in message
    assert err.value.line is not None
    assert "ack_miss_probability" in text.splitlines()[err.value.line - 1]


def test_rate_table_must_have_24_hours() -> None:
    text = _default_text().replace("rate_by_hour = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]",
                                   "rate_by_hour = [0.5, 0.5]")
    with pytest.raises(ConfigError) as err:
        parse_scenario(text, "my.toml")
    assert "channels.police.rate_by_hour" in str(err.value)
    assert "24" in str(err.value)
    assert err.value.line is not None
    assert text.splitlines()[err.value.line - 1] == "rate_by_hour = [0.5, 0.5]"


def test_unknown_key_and_unknown_channel_are_rejected() -> None:
    with pytest.raises(ConfigError) as err:
        parse_scenario(_default_text().replace("speed_kmh = 25", "sped_kmh = 25"), "my.toml")
    assert "teams.sped_kmh" in str(err.value) and "unknown key" in str(err.value)
    with pytest.raises(ConfigError) as err2:
        parse_scenario(_default_text().replace("[channels.police]", "[channels.pigeon]"), "my.toml")
    assert "channels.pigeon" in str(err2.value)


def test_weather_points_must_increase_and_cover_history() -> None:
    text = _default_text().replace("{ h = -42, temp_c = 3.0,", "{ h = -50, temp_c = 3.0,")
    with pytest.raises(ConfigError) as err:
        parse_scenario(text, "my.toml")
    assert "weather.points[1].h" in str(err.value) and "increase" in str(err.value)
    short = _default_text().replace("{ h = -48, temp_c = 5.0,", "{ h = -47.5, temp_c = 5.0,").replace("history_h = 48", "history_h = 48")
    with pytest.raises(ConfigError) as err2:
        parse_scenario(short, "my.toml")
    assert "history_h" in str(err2.value)


def test_missing_file_lists_known_scenarios(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_scenario(tmp_path / "nope.toml")
    assert "default" in str(err.value) and "blizzard" in str(err.value)


def test_unknown_key_area_kind_names_its_line() -> None:
    text = _default_text().replace('key_areas = ["underpass", "station"]', 'key_areas = ["underpas", "station"]')
    with pytest.raises(ConfigError) as err:
        parse_scenario(text, "my.toml")
    assert "cameras.fixed.key_areas" in str(err.value) and "'underpas'" in str(err.value)
    assert err.value.line is not None
    assert "underpas" in text.splitlines()[err.value.line - 1]


def test_fixed_camera_zone_unknown_to_the_city_is_an_error(ctx: Context) -> None:
    scenario = parse_scenario(_default_text().replace('[cameras.fixed]', '[cameras.fixed]\nzones = ["no-such-zone"]'), "my.toml")
    assert scenario.cameras.fixed is not None and scenario.cameras.fixed.zones == ("no-such-zone",)
    with pytest.raises(ConfigError, match=r"cameras\.fixed\.zones: unknown zone 'no-such-zone'"):
        build_sites(scenario.cameras, CityMap(ctx.city), "my.toml")


def test_call_taker_section_is_checked_and_optional() -> None:
    default = load_scenario("default")
    assert default.call_taker.enabled and default.call_taker.fixable == ("unknown_address",)
    lo, hi = default.call_taker.callback_min
    assert 0 < lo <= hi
    with pytest.raises(ConfigError) as err:
        parse_scenario(_default_text().replace("callback_min = [3.0, 8.0]", "callback_min = [8.0, 3.0]"), "my.toml")
    assert "call_taker.callback_min" in str(err.value) and err.value.line is not None
    with pytest.raises(ConfigError) as err2:
        parse_scenario(_default_text().replace("fixable = [\"unknown_address\"]", "fixes = [\"unknown_address\"]"), "my.toml")
    assert "call_taker.fixes" in str(err2.value)
    short = load_scenario("short")  # no [call_taker] table: the defaults
    assert short.call_taker.enabled and short.call_taker.callback_min == (3.0, 8.0)


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        # a date in year 1 or 1e300 minutes overflowed a datetime when the drill built its night: a traceback
        ('date = "2025-01-14"', 'date = "0001-01-01"', "date: expected a date in the years"),
        ("step_min = 30 ", "step_min = 1e300 ", "weather.step_min: must be at most"),
        ("issued_h = 2.0", "issued_h = 1e300", "weather.warning.issued_h: must be within"),
        ("first_min = 30", "first_min = 1e300", "first_min: must be at most"),
        # a billion persons (or a count past any integer) never finished generating; nonsense weather was taken silently
        ("unresponsive = 2", "unresponsive = 1000000000", "population.unresponsive: must be at most"),
        ("appear_until_h = 11.0", "appear_until_h = 1e300", "population.appear_until_h: must be at most"),
        ("decoys_per_frame = 0.5", "decoys_per_frame = 1e300", "cameras.decoys_per_frame: must be at most"),
        ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"', "timezone: unknown timezone"),
        ("temp_c = -1.0,  wind_ms = 5.0 }", "temp_c = -1.0,  wind_ms = 1e300 }", "wind_ms: must be at most"),
        # taken, these stopped `patrol drill` with a traceback while it built the night (OverflowError drawing a
        # position 1e308 m off, a walk of 1e308 m; a fixed camera 1e8 m up made frames the detector's reader refuses),
        # or drew a night no team could live (teams at 1e308 km/h, "not found" anywhere in the province)
        ("position_noise_m = 120", "position_noise_m = 1e308", "channels.hotline.position_noise_m: must be at most"),
        ("move_m = [80, 250]", "move_m = [1e308, 1e308]", "population.move_m: must be at most"),
        ("height_m = 8", "height_m = 100000000", "cameras.fixed.height_m: must be at most"),
        ("speed_kmh = 25", "speed_kmh = 1e308", "teams.speed_kmh: must be at most"),
        ("detour_factor = 1.3", "detour_factor = 1e308", "teams.detour_factor: must be at most"),
        ("not_found_radius_m = 300", "not_found_radius_m = 1e308", "teams.not_found_radius_m: must be at most"),
    ],
)
def test_absurd_values_are_refused_with_their_line(old: str, new: str, needle: str) -> None:
    text = _default_text()
    assert old in text
    text = text.replace(old, new, 1)
    with pytest.raises(ConfigError) as err:
        parse_scenario(text, "my.toml")
    assert needle in str(err.value) and err.value.line is not None
    assert new.split("=")[0].strip("{ ") in text.splitlines()[err.value.line - 1]


def test_rates_per_hour_are_bounded() -> None:
    rates = "rate_by_hour = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]"
    text = _default_text()
    assert rates in text
    with pytest.raises(ConfigError, match=r"rate_by_hour: expected 24 numbers 0\.\.10000"):
        parse_scenario(text.replace(rates, rates.replace("0.5]", "1e300]"), 1), "my.toml")


# Tenth attack audit (session 26): scenarios a drill organizer gets wrong stop before the night, by line or key.


def test_a_night_when_no_channel_ever_reports_is_refused_by_its_line() -> None:
    # every rate 0 stopped `patrol drill` with a ZeroDivisionError traceback while it planned the tips
    text = re.sub(r"rate_by_hour = \[[^\]]*\]", "rate_by_hour = [" + ", ".join(["0"] * 24) + "]", _default_text())
    with pytest.raises(ConfigError, match=r"channels\.hotline: every channel's rate_by_hour is 0") as err:
        parse_scenario(text, "my.toml")
    assert err.value.line is not None and text.splitlines()[err.value.line - 1].startswith("[channels.")


def test_a_night_ending_when_it_starts_is_refused_not_stretched_to_a_day() -> None:
    # end = start was read as the next day's start: "a night of 0 minutes" ran for 24 hours
    text = _default_text().replace('end = "08:00"', 'end = "18:00"', 1)
    with pytest.raises(ConfigError, match=r"end: the same time as start") as err:
        parse_scenario(text, "my.toml")
    assert err.value.line is not None and text.splitlines()[err.value.line - 1].startswith("end =")


@pytest.mark.parametrize(
    ("drone_id", "needle"),
    [
        ('""', "empty"),
        ('"drone\\u202e-1"', "control or invalid characters"),
        ('"' + "d" * 201 + '"', "longer than 200"),
        ('"drone-1"', "drone-1' is also cameras.drones[0]'s"),
    ],
)
def test_a_drone_id_no_detection_could_carry_or_one_given_twice_is_refused_by_its_line(drone_id: str, needle: str) -> None:
    # taken, every detection of such a drone was dead-lettered by the desk (empty, control characters, too long),
    # or two drones' frames made one camera's tracks (the same id twice)
    text = _default_text() + f'\n[[cameras.drones]]\nid = {drone_id}\nkey_areas = ["park"]\n'
    assert 'id = "drone-1"' in _default_text()
    with pytest.raises(ConfigError) as err:
        parse_scenario(text, "my.toml")
    assert needle in str(err.value) and "cameras.drones[" in str(err.value)
    assert err.value.line is not None and text.splitlines()[err.value.line - 1].startswith("id =")


def test_a_warning_for_a_region_the_city_lacks_is_refused_before_the_night_is_drawn() -> None:
    # taken, the drill sent a warning every desk refused and scored the night against it: no warning at all
    from geo.city import load_city
    from simulators.world import DrillWorld

    text = _default_text().replace("issued_h = 2.0", 'issued_h = 2.0\nregion = "daoli-typo"', 1)
    city = load_city(PROJECT_ROOT / "data" / "cities" / "harbin")
    with pytest.raises(ConfigError, match=r"weather\.warning\.region: unknown region 'daoli-typo' in this city \(known: .*daoli"):
        DrillWorld(parse_scenario(text, "my.toml"), city, seed=1)
    named = DrillWorld(parse_scenario(text.replace("daoli-typo", "daoli"), "my.toml"), city, seed=1)
    assert [w.region for w in named.warnings] == ["daoli"]


def test_a_population_past_the_count_limit_in_total_is_refused_by_its_line() -> None:
    # 10 000 of each of five kinds (50 000 persons) were taken, kind by kind: drawing the night took 202 s, before
    # the pipeline saw one of its 115 180 tips; the whole scenario allowed 140 000 persons
    text = re.sub(r"^(unresponsive|injured|ill|mental|minor) = \d+", lambda m: m.group(1) + " = 10000", _default_text(), flags=re.M)
    with pytest.raises(ConfigError, match=r"population: 5\d{4} persons in all: at most 10000") as err:
        parse_scenario(text, "my.toml")
    assert err.value.line is not None and text.splitlines()[err.value.line - 1].startswith("[population]")
