"""A drill scenario as data: a TOML file a drill organizer copies and edits.

Every number of a simulated night (population, channel rates by hour, noise,
team behaviour, weather curve, cameras) lives in `data/scenarios/*.toml`.
A mistake there must stop the drill before it starts, with the file, the line
(or the key path) and the reason, so `load_scenario` validates everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ConfigError
from core.records import CHANNELS, COLD_WAVE_LEVELS
from core.settings import DATA_DIR
from core.tomlconfig import TomlReader, parse_toml, read_text
from core.validate import EARLIEST_YEAR, LATEST_YEAR, id_problem, is_finite_number, plausible_year
from geo.city import KEY_AREAS
from rules.policy import MAX_ROAD_FACTOR, MAX_SPEED_KMH

SCENARIO_DIR = DATA_DIR / "scenarios"
# Bounds of a night's simulation: a duration in minutes at most a day, in hours (weather history, a warning's
# time) at most two weeks, at most MAX_COUNT of anything. Beyond them a scenario is a typo: a date in year 1 or
# 1e300 minutes overflowed a datetime (a traceback), a billion persons or tips an hour never finished.
MAX_MINUTES = 24 * 60.0
MAX_HOURS = 14 * 24.0
MAX_COUNT = 10_000
MAX_WIND_MS = 60.0
# Bounds of a drawn night: a distance past MAX_DISTANCE_M (noise, a walk, a search radius) leaves any city; taken, a
# noise of 1e308 m stopped `patrol drill` with an OverflowError traceback while it drew positions.
MAX_DISTANCE_M = 50_000.0
MAX_MAST_M = 500.0  # a fixed camera's height; the thermal reader refuses frames from 10 km up

# Kinds of person the population is drawn from: flags they carry and the
# category the policy should give them (the first matching policy row).
PROFILES: dict[str, tuple[tuple[str, ...], str]] = {
    "unresponsive": (("unresponsive",), "medical"),
    "injured": (("injured",), "medical"),
    "ill": (("ill",), "medical"),
    "mental": (("mental",), "medical"),
    "minor": (("minor",), "escort_station"),
    "disabled": (("disabled",), "escort_station"),
    "immobile": (("immobile",), "escort_station"),
    "no_id": (("no_id",), "rescue_first"),
    "refuses": (("refuses",), "supplies_followup"),
    "domestic_violence": (("domestic_violence",), "basic_support"),
    "migrant_worker": (("migrant_worker",), "basic_support"),
    "robbed": (("robbed",), "basic_support"),
    "guidance": ((), "guidance"),
    "thermal_only": ((), "welfare_check"),
}

MALFORMED_KINDS: tuple[str, ...] = ("bad_json", "unknown_channel", "outside_area", "missing_field", "bad_time")
CAMERA_MODES: tuple[str, ...] = ("auto", "frames", "detections")


@dataclass(frozen=True)
class WeatherPoint:
    h: float  # hours relative to the drill start (negative: before it)
    temp_c: float
    wind_ms: float


@dataclass(frozen=True)
class WarningSpec:
    level: str
    issued_h: float
    region: str | None = None


@dataclass(frozen=True)
class WeatherSpec:
    points: tuple[WeatherPoint, ...]
    history_h: float
    history_step_h: float
    step_min: float
    district_spread_c: float
    warning: WarningSpec | None


@dataclass(frozen=True)
class PopulationSpec:
    counts: Mapping[str, int]
    elderly_share: float
    intoxicated_share: float
    lying_share: float
    moving_share: float
    at_place_share: float
    appear_until_h: float
    move_m: tuple[float, float]
    # A rush: this share of the persons appears within the first rush_h hours
    # (a cold wave's first evening strands people on their way home).
    rush_share: float = 0.0
    rush_h: float = 2.0


@dataclass(frozen=True)
class ReportingSpec:
    mean_delay_min: float
    duplicate_mean: float
    duplicate_window_min: float
    english_share: float
    missing_flags_share: float
    misspelt_address_share: float
    unknown_address_share: float
    persons_field_share: float
    malformed: Mapping[str, int]


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    rate_by_hour: tuple[float, ...]  # relative reporting rate per local hour 0..23
    address_share: float
    position_noise_m: float


@dataclass(frozen=True)
class TeamSpec:
    speed_kmh: float
    detour_factor: float
    accept_delay_min: tuple[float, float]
    on_scene_min: tuple[float, float]
    ack_miss_probability: float
    position_every_min: float
    not_found_radius_m: float


@dataclass(frozen=True)
class CallTakerSpec:
    """The dispatch centre's needs-attention queue as the drill models it.

    A tip the intake dead-letters for an error in `fixable` (an address
    nobody knows) is seen by a call-taker, who calls the reporter back and
    resubmits it with a position (a tip that `corrects` the dead letter)
    after a delay drawn from `callback_min`; the drill counts the time lost.
    """

    enabled: bool = True
    callback_min: tuple[float, float] = (3.0, 8.0)
    fixable: tuple[str, ...] = ("unknown_address",)
    position_noise_m: float = 30.0


@dataclass(frozen=True)
class DroneSpec:
    camera_id: str
    zones: tuple[str, ...]  # explicit zone ids, else the first `count` zones of these key areas
    key_areas: tuple[str, ...]
    count: int
    interval_min: float
    first_min: float
    alt_m: float
    hfov_deg: float


@dataclass(frozen=True)
class FixedSpec:
    zones: tuple[str, ...]
    key_areas: tuple[str, ...]
    count: int
    interval_min: float
    height_m: float
    hfov_deg: float


@dataclass(frozen=True)
class CameraSpec:
    mode: str
    width: int
    height: int
    decoys_per_frame: float
    drones: tuple[DroneSpec, ...]
    fixed: FixedSpec | None


@dataclass(frozen=True)
class Scenario:
    """One simulated night; frozen so a drill cannot change its own rules."""

    name: str
    description: str
    date: date  # local date of the evening the drill starts
    start: time
    end: time  # next morning
    timezone: str
    weather: WeatherSpec
    population: PopulationSpec
    reporting: ReportingSpec
    channels: Mapping[str, ChannelSpec]
    teams: TeamSpec
    cameras: CameraSpec
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    call_taker: CallTakerSpec = CallTakerSpec()

    @property
    def persons(self) -> int:
        return sum(self.population.counts.values())


def resolve_scenario_path(path_or_name: Path | str) -> Path:
    """A path to a TOML file, or a bare name looked up in `data/scenarios/`."""
    candidate = Path(path_or_name)
    if candidate.suffix == ".toml" or candidate.exists() or "/" in str(path_or_name):
        return candidate
    return SCENARIO_DIR / f"{path_or_name}.toml"


def load_scenario(path_or_name: Path | str) -> Scenario:
    """Load and validate a scenario; raise ConfigError naming file and line or key."""
    path = resolve_scenario_path(path_or_name)
    try:
        text = read_text(path, "scenario")
    except ConfigError as exc:
        if exc.line is not None:  # read, but not UTF-8
            raise
        known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
        raise ConfigError(f"{exc.reason} (known scenarios: {known})", path=str(path)) from exc
    return parse_scenario(text, str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    data = parse_toml(text, source)
    r = TomlReader(source, text)
    r.unknown_keys(data, [], ["name", "description", "date", "start", "end", "timezone", "weather", "population",
                             "reporting", "channels", "teams", "cameras", "call_taker"])
    try:
        drill_date = date.fromisoformat(r.get(data, ["date"], str))
    except ValueError:
        raise r.fail(["date"], f"expected YYYY-MM-DD, got {data['date']!r}") from None
    if not plausible_year(drill_date):
        raise r.fail(["date"], f"expected a date in the years {EARLIEST_YEAR}..{LATEST_YEAR}, got {drill_date.isoformat()}")
    timezone = r.get(data, ["timezone"], str, "Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail(["timezone"], f"unknown timezone {timezone!r:.60} (an IANA name such as Asia/Shanghai)") from None
    start, end = r.clock(data, ["start"]), r.clock(data, ["end"])
    if end == start:  # an end at or before the start is the next morning's; this one stretched "no night" to 24 h
        raise r.fail(["end"], f"the same time as start ({start:%H:%M}): give the morning's end of the night")
    return Scenario(
        name=r.get(data, ["name"], str),
        description=r.get(data, ["description"], str, ""),
        date=drill_date,
        start=start,
        end=end,
        timezone=timezone,
        weather=_weather(r, data),
        population=_population(r, data),
        reporting=_reporting(r, data),
        channels=_channels(r, data),
        teams=_teams(r, data),
        cameras=_cameras(r, data),
        source=source,
        call_taker=_call_taker(r, data),
    )


def _weather(r: TomlReader, data: Mapping[str, Any]) -> WeatherSpec:
    r.get(data, ["weather"], dict)
    r.unknown_keys(data, ["weather"], ["points", "history_h", "history_step_h", "step_min", "district_spread_c", "warning"])
    raw = r.get(data, ["weather", "points"], list)
    if len(raw) < 2:
        raise r.fail(["weather", "points"], "need at least two points to draw a curve")
    points: list[WeatherPoint] = []
    for i, p in enumerate(raw):
        if not isinstance(p, dict):
            raise r.fail(["weather", "points", i], "expected an inline table {h, temp_c, wind_ms}")
        point = WeatherPoint(
            h=float(r.get(data, ["weather", "points", i, "h"], float)),
            temp_c=float(r.get(data, ["weather", "points", i, "temp_c"], float)),
            wind_ms=r.number(data, ["weather", "points", i, "wind_ms"], maximum=MAX_WIND_MS),
        )
        if points and point.h <= points[-1].h:
            raise r.fail(["weather", "points", i, "h"], f"hours must increase, {point.h:g} follows {points[-1].h:g}")
        if not -60.0 <= point.temp_c <= 45.0:
            raise r.fail(["weather", "points", i, "temp_c"], f"implausible temperature {point.temp_c:g} °C")
        points.append(point)
    history_h = r.number(data, ["weather", "history_h"], maximum=MAX_HOURS, default=48.0)
    if points[0].h > -history_h:
        raise r.fail(["weather", "points"], f"the curve must start at or before h = -{history_h:g} (history_h)")
    warning: WarningSpec | None = None
    if "warning" in data["weather"]:
        r.unknown_keys(data, ["weather", "warning"], ["level", "issued_h", "region"])
        level = r.get(data, ["weather", "warning", "level"], str)
        if level not in COLD_WAVE_LEVELS or level == "none":
            raise r.fail(["weather", "warning", "level"], f"unknown level {level!r} (allowed: {', '.join(COLD_WAVE_LEVELS[1:])})")
        issued_h = float(r.get(data, ["weather", "warning", "issued_h"], float))
        if abs(issued_h) > MAX_HOURS:
            raise r.fail(["weather", "warning", "issued_h"], f"must be within {MAX_HOURS:g} hours of the start, got {issued_h:g}")
        warning = WarningSpec(level=level, issued_h=issued_h,
                              region=r.get(data, ["weather", "warning", "region"], str, None))
    return WeatherSpec(
        points=tuple(points),
        history_h=history_h,
        history_step_h=r.number(data, ["weather", "history_step_h"], minimum=0.25, default=3.0),
        step_min=r.number(data, ["weather", "step_min"], minimum=1.0, maximum=MAX_MINUTES, default=30.0),
        district_spread_c=r.number(data, ["weather", "district_spread_c"], maximum=20.0, default=0.5),
        warning=warning,
    )


def _population(r: TomlReader, data: Mapping[str, Any]) -> PopulationSpec:
    r.get(data, ["population"], dict)
    modifiers = ["elderly_share", "intoxicated_share", "lying_share", "moving_share", "at_place_share", "appear_until_h", "move_m",
                 "rush_share", "rush_h"]
    r.unknown_keys(data, ["population"], [*PROFILES, *modifiers])
    counts = {name: r.count(data, ["population", name], 0, maximum=MAX_COUNT) for name in PROFILES}
    if sum(counts.values()) == 0:
        raise r.fail(["population"], "no persons at all: give a count for at least one of " + ", ".join(PROFILES))
    if (total := sum(counts.values())) > MAX_COUNT:  # each kind's count alone allowed 140 000: hours of drawing
        raise r.fail(["population"], f"{total} persons in all: at most {MAX_COUNT}")
    return PopulationSpec(
        counts=counts,
        elderly_share=r.share(data, ["population", "elderly_share"], 0.2),
        intoxicated_share=r.share(data, ["population", "intoxicated_share"], 0.15),
        lying_share=r.share(data, ["population", "lying_share"], 0.3),
        moving_share=r.share(data, ["population", "moving_share"], 0.3),
        at_place_share=r.share(data, ["population", "at_place_share"], 0.5),
        appear_until_h=r.number(data, ["population", "appear_until_h"], minimum=0.0, maximum=MAX_HOURS, default=11.0),
        move_m=r.span(data, ["population", "move_m"], [80.0, 250.0], maximum=MAX_DISTANCE_M),
        rush_share=r.share(data, ["population", "rush_share"], 0.0),
        rush_h=r.number(data, ["population", "rush_h"], minimum=0.25, maximum=MAX_HOURS, default=2.0),
    )


def _reporting(r: TomlReader, data: Mapping[str, Any]) -> ReportingSpec:
    r.get(data, ["reporting"], dict)
    r.unknown_keys(data, ["reporting"], ["mean_delay_min", "duplicate_mean", "duplicate_window_min", "english_share",
                                         "missing_flags_share", "misspelt_address_share", "unknown_address_share",
                                         "persons_field_share", "malformed"])
    malformed: dict[str, int] = {}
    if "malformed" in data["reporting"]:
        r.get(data, ["reporting", "malformed"], dict)
        r.unknown_keys(data, ["reporting", "malformed"], MALFORMED_KINDS)
        malformed = {k: r.count(data, ["reporting", "malformed", k], 0, maximum=MAX_COUNT) for k in MALFORMED_KINDS}
    return ReportingSpec(
        mean_delay_min=r.number(data, ["reporting", "mean_delay_min"], minimum=0.1, maximum=MAX_MINUTES, default=15.0),
        duplicate_mean=r.number(data, ["reporting", "duplicate_mean"], maximum=100.0, default=1.0),
        duplicate_window_min=r.number(data, ["reporting", "duplicate_window_min"], minimum=0.5, maximum=MAX_MINUTES, default=10.0),
        english_share=r.share(data, ["reporting", "english_share"], 0.2),
        missing_flags_share=r.share(data, ["reporting", "missing_flags_share"], 0.4),
        misspelt_address_share=r.share(data, ["reporting", "misspelt_address_share"], 0.1),
        unknown_address_share=r.share(data, ["reporting", "unknown_address_share"], 0.05),
        persons_field_share=r.share(data, ["reporting", "persons_field_share"], 0.5),
        malformed=malformed,
    )


def _channels(r: TomlReader, data: Mapping[str, Any]) -> dict[str, ChannelSpec]:
    r.get(data, ["channels"], dict)
    r.unknown_keys(data, ["channels"], CHANNELS)
    out: dict[str, ChannelSpec] = {}
    for name in data["channels"]:
        r.unknown_keys(data, ["channels", name], ["rate_by_hour", "address_share", "position_noise_m"])
        rates = r.get(data, ["channels", name, "rate_by_hour"], list)
        if len(rates) != 24 or not all(is_finite_number(v) and 0 <= v <= MAX_COUNT for v in rates):
            raise r.fail(["channels", name, "rate_by_hour"], f"expected 24 numbers 0..{MAX_COUNT} (local hours 0..23), got {len(rates)} values")
        out[name] = ChannelSpec(
            name=name,
            rate_by_hour=tuple(float(v) for v in rates),
            address_share=r.share(data, ["channels", name, "address_share"], 0.2),
            position_noise_m=r.number(data, ["channels", name, "position_noise_m"], maximum=MAX_DISTANCE_M, default=40.0),
        )
    if not out:
        raise r.fail(["channels"], "no reporting channel defined")
    if not any(rate > 0 for spec in out.values() for rate in spec.rate_by_hour):
        # nobody would ever report: planning the tips divided by the night's highest rate, 0
        raise r.fail(["channels", next(iter(out))], "every channel's rate_by_hour is 0: nobody would ever report")
    return out


def _teams(r: TomlReader, data: Mapping[str, Any]) -> TeamSpec:
    r.get(data, ["teams"], dict)
    r.unknown_keys(data, ["teams"], ["speed_kmh", "detour_factor", "accept_delay_min", "on_scene_min",
                                     "ack_miss_probability", "position_every_min", "not_found_radius_m"])
    return TeamSpec(
        speed_kmh=r.number(data, ["teams", "speed_kmh"], minimum=1.0, maximum=MAX_SPEED_KMH),
        detour_factor=r.number(data, ["teams", "detour_factor"], minimum=1.0, maximum=MAX_ROAD_FACTOR, default=1.3),
        accept_delay_min=r.span(data, ["teams", "accept_delay_min"], [0.5, 3.0], maximum=MAX_MINUTES),
        on_scene_min=r.span(data, ["teams", "on_scene_min"], [5.0, 20.0], maximum=MAX_MINUTES),
        ack_miss_probability=r.share(data, ["teams", "ack_miss_probability"], 0.1),
        position_every_min=r.number(data, ["teams", "position_every_min"], minimum=0.5, maximum=MAX_MINUTES, default=5.0),
        not_found_radius_m=r.number(data, ["teams", "not_found_radius_m"], minimum=1.0, maximum=MAX_DISTANCE_M, default=300.0),
    )


def _call_taker(r: TomlReader, data: Mapping[str, Any]) -> CallTakerSpec:
    if "call_taker" not in data:
        return CallTakerSpec()
    r.get(data, ["call_taker"], dict)
    r.unknown_keys(data, ["call_taker"], ["enabled", "callback_min", "fixable", "position_noise_m"])
    default = CallTakerSpec()
    return CallTakerSpec(
        enabled=r.get(data, ["call_taker", "enabled"], bool, True),
        callback_min=r.span(data, ["call_taker", "callback_min"], list(default.callback_min), maximum=MAX_MINUTES),
        fixable=tuple(r.strings(data, ["call_taker", "fixable"], list(default.fixable))),
        position_noise_m=r.number(data, ["call_taker", "position_noise_m"], maximum=MAX_DISTANCE_M, default=default.position_noise_m),
    )


def _key_areas(r: TomlReader, data: Mapping[str, Any], key: list[str | int], default: list[str]) -> tuple[str, ...]:
    """Key-area kinds, checked against the kinds every city layer uses (a typo names its line)."""
    kinds = r.strings(data, key, default)
    for kind in kinds:
        if kind not in KEY_AREAS:
            raise r.fail(key, f"unknown key area {kind!r} (known: {', '.join(KEY_AREAS)})")
    return tuple(kinds)


def _cameras(r: TomlReader, data: Mapping[str, Any]) -> CameraSpec:
    r.get(data, ["cameras"], dict)
    r.unknown_keys(data, ["cameras"], ["mode", "width", "height", "decoys_per_frame", "drones", "fixed"])
    mode = r.get(data, ["cameras", "mode"], str, "auto")
    if mode not in CAMERA_MODES:
        raise r.fail(["cameras", "mode"], f"unknown value {mode!r} (allowed: {', '.join(CAMERA_MODES)})")
    drones: list[DroneSpec] = []
    for i, _ in enumerate(r.get(data, ["cameras", "drones"], list, [])):
        key: list[str | int] = ["cameras", "drones", i]
        r.unknown_keys(data, key, ["id", "zones", "key_areas", "count", "interval_min", "first_min", "alt_m", "hfov_deg"])
        drone = DroneSpec(
            camera_id=r.get(data, [*key, "id"], str),
            zones=r.strings(data, [*key, "zones"], []),
            key_areas=_key_areas(r, data, [*key, "key_areas"], []),
            count=r.count(data, [*key, "count"], 3, maximum=MAX_COUNT),
            interval_min=r.number(data, [*key, "interval_min"], minimum=5.0, maximum=MAX_MINUTES, default=60.0),
            first_min=r.number(data, [*key, "first_min"], maximum=MAX_MINUTES, default=20.0),
            alt_m=r.number(data, [*key, "alt_m"], minimum=10.0, maximum=500.0, default=60.0),
            hfov_deg=r.number(data, [*key, "hfov_deg"], minimum=5.0, maximum=120.0, default=50.0),
        )
        if not drone.zones and not drone.key_areas:
            raise r.fail(key, "give `zones` (zone ids) or `key_areas` (kinds) for the route")
        # the id rides on every detection: the desk refuses one no record may carry, and one id for two drones
        # made their frames one camera's tracks
        if problem := id_problem(drone.camera_id):
            raise r.fail([*key, "id"], f"camera id {drone.camera_id[:40]!r}: {problem}")
        if (twin := next((j for j, other in enumerate(drones) if other.camera_id == drone.camera_id), None)) is not None:
            raise r.fail([*key, "id"], f"camera id {drone.camera_id!r} is also cameras.drones[{twin}]'s")
        drones.append(drone)
    fixed: FixedSpec | None = None
    if "fixed" in data["cameras"]:
        key = ["cameras", "fixed"]
        r.unknown_keys(data, key, ["zones", "key_areas", "count", "interval_min", "height_m", "hfov_deg"])
        fixed = FixedSpec(
            zones=r.strings(data, [*key, "zones"], []),
            key_areas=_key_areas(r, data, [*key, "key_areas"], ["underpass", "station"]),
            count=r.count(data, [*key, "count"], 2, maximum=MAX_COUNT),
            interval_min=r.number(data, [*key, "interval_min"], minimum=1.0, maximum=MAX_MINUTES, default=15.0),
            height_m=r.number(data, [*key, "height_m"], minimum=2.0, maximum=MAX_MAST_M, default=8.0),
            hfov_deg=r.number(data, [*key, "hfov_deg"], minimum=5.0, maximum=120.0, default=56.0),
        )
    return CameraSpec(
        mode=mode,
        width=int(r.number(data, ["cameras", "width"], minimum=32, maximum=1280, default=320)),
        height=int(r.number(data, ["cameras", "height"], minimum=24, maximum=1024, default=256)),
        decoys_per_frame=r.number(data, ["cameras", "decoys_per_frame"], maximum=100.0, default=0.5),
        drones=tuple(drones),
        fixed=fixed,
    )
