"""The city as data: districts, patrol zones, help points, team bases, places.

Loaded once at start from a folder of GeoJSON layers described by
`city.json`, and validated there, so that a bad edit to the city fails the
start with the file, the line and the reason instead of misrouting a tip at
night. Geometries stay in WGS84 (lon, lat); `geo.zones.CityIndex` projects
them to metres for the spatial queries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from core.errors import CityDataError
from core.records import CAPABILITIES, OPERATOR_TEAM_ID
from core.tomlconfig import read_text
from core.validate import MAX_LABEL_CHARS, DuplicateKey, duplicate_key_line, id_problem, is_finite_number, unique_keys
from geo.addresskey import address_key
from geo.distance import haversine_m
from geo.partners import Partners, load_partners

KEY_AREAS: tuple[str, ...] = ("underpass", "bridge", "station", "park", "market", "heating_vent", "construction")
HELP_POINT_KINDS: tuple[str, ...] = ("help_point", "warm_up_site", "rescue_station", "hospital")
# Groups a help point is for (its `serves`: it takes those groups only, as the minors' centre takes no adult), as the
# policy's destinations name them: the group, not the person's flag ("minors", not "minor"), or the place is never
# chosen for anyone.
SERVED_GROUPS: tuple[str, ...] = ("minors",)
LAYERS: tuple[str, ...] = ("districts", "zones", "help_points", "teams", "gazetteer")
CITY_FILE = "city.json"
# What a map of the city draws (`city_map`): these layers and this metadata of city.json.
MAP_LAYERS: tuple[str, ...] = ("districts", "zones", "help_points", "teams")
MAP_META: tuple[str, ...] = ("name", "name_zh", "timezone", "service_area", "illustrative", "note")
# Districts may touch along shared borders; a shared area above this
# (square degrees, about 10 m²) means the data is ambiguous.
_OVERLAP_TOLERANCE_DEG2 = 1e-9

Area: TypeAlias = "Polygon | MultiPolygon"


@dataclass(frozen=True)
class BBox:
    """The service area: tips outside it are rejected at intake."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max

    def distance_m(self, lat: float, lon: float) -> float:
        """How far a point lies outside the box (0 inside): metres to the box's nearest point."""
        if self.contains(lat, lon):
            return 0.0
        near_lat = min(max(lat, self.lat_min), self.lat_max)
        near_lon = min(max(lon, self.lon_min), self.lon_max)
        return haversine_m(lat, lon, near_lat, near_lon)

    @property
    def center(self) -> tuple[float, float]:
        return ((self.lat_min + self.lat_max) / 2, (self.lon_min + self.lon_max) / 2)


@dataclass(frozen=True)
class District:
    """An administrative district: the unit weather and duty apply to."""

    id: str
    name: str
    name_en: str
    polygon: Area


# A remark in a district's English name ("Songbei District (north bank)") is no part of what a feed writes.
_REMARK = re.compile(r"[(（][^()（）]*[)）]")
# What a district's name may be written with or without ("道里区", "Daoli District").
DISTRICT_SUFFIXES: tuple[str, ...] = ("district", "区")


def district_keys(district: District) -> frozenset[str]:
    """Every spelling of a district a weather feed or a router may use, as address keys: its id, its Chinese and
    English names (without a remark in parentheses), each with and without the 区/District suffix."""
    keys: set[str] = set()
    for name in (district.id, district.name, district.name_en, _REMARK.sub(" ", district.name_en)):
        key = address_key(name)
        keys.add(key)
        for suffix in DISTRICT_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                keys.add(key[: -len(suffix)])
    keys.discard("")
    return frozenset(keys)


@dataclass(frozen=True)
class Zone:
    """A patrol zone; `key_area` names the kind of key area, None if ordinary."""

    id: str
    name: str
    name_en: str
    district: str
    key_area: str | None
    polygon: Polygon


@dataclass(frozen=True)
class HelpPoint:
    """Where a patrol can guide a person: help point, warm-up site, station, hospital."""

    id: str
    name: str
    name_en: str
    kind: str
    district: str
    lat: float
    lon: float
    open_24h: bool
    emergency: bool = False  # a hospital with an emergency department
    serves: tuple[str, ...] = ()  # the only groups it takes, e.g. "minors"; empty: everyone
    hours: tuple[time, time] | None = None  # opening hours when not open_24h (may pass midnight)

    def open_at(self, local: time) -> bool:
        """Whether it is open at this local time of day."""
        if self.open_24h:
            return True
        if self.hours is None:
            return False
        start, end = self.hours
        return start <= local < end if start <= end else (local >= start or local < end)


@dataclass(frozen=True)
class TeamBase:
    """A patrol team's home base and what the team can do."""

    team_id: str
    name: str
    name_en: str
    district: str
    capabilities: tuple[str, ...]
    lat: float
    lon: float


@dataclass(frozen=True)
class Place:
    """A gazetteer entry: an address a caller may give instead of coordinates."""

    name: str
    aliases: tuple[str, ...]
    kind: str
    lat: float
    lon: float
    extent_m: float = 0.0  # how far the place reaches from its point (a street is long, a monument small)


@dataclass(frozen=True)
class City:
    """Everything the rules need to know about the city, read-only."""

    name: str
    timezone: ZoneInfo
    bbox: BBox
    districts: tuple[District, ...]
    zones: tuple[Zone, ...]
    help_points: tuple[HelpPoint, ...]
    teams: tuple[TeamBase, ...]
    places: tuple[Place, ...]
    illustrative: bool = False
    partners: Partners | None = None  # from the optional `partners` file named in city.json
    area_code: str | None = None  # the city's telephone area code (0451): local landlines are written without it

    def district(self, district_id: str) -> District | None:
        return next((d for d in self.districts if d.id == district_id), None)

    def districts_named(self, name: str) -> tuple[District, ...]:
        """The districts a region name may mean: the one whose id it is, else every district whose id, Chinese or
        English name it spells (`district_keys`: case, width, traditional characters, the 区/District suffix and a
        parenthesis do not matter). More than one: the name is ambiguous, and the caller refuses it."""
        if (exact := self.district(name)) is not None:
            return (exact,)
        key = address_key(name)
        return tuple(d for d in self.districts if key and key in district_keys(d))

    def zone(self, zone_id: str) -> Zone | None:
        return next((z for z in self.zones if z.id == zone_id), None)


# --------------------------------------------------------------------------- loading


def load_city(path: Path) -> City:
    """Load and validate a city folder (or its `city.json`).

    Raises `CityDataError` naming the file, the line where known, and the reason.
    """
    meta_path, meta_text, meta = _read_meta(path)
    folder = meta_path.parent

    def fail(message: str, key: str | None = None) -> CityDataError:
        return CityDataError(message, path=str(meta_path), line=_key_line(meta_text, key) if key else None)

    name = meta.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("missing or empty 'name'", "name")
    tz_name = meta.get("timezone")
    if not isinstance(tz_name, str) or not tz_name.strip():
        raise fail("missing 'timezone' (an IANA name such as Asia/Shanghai)", "timezone")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise fail(f"unknown timezone {tz_name!r}", "timezone") from exc
    illustrative = meta.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise fail("'illustrative' must be true or false", "illustrative")
    bbox = _bbox(meta.get("service_area"), fail)
    layers = meta.get("layers")
    if not isinstance(layers, dict):
        raise fail("missing 'layers' object (file name per layer)", "layers")
    files: dict[str, Path] = {}
    for layer in LAYERS:
        file_name = layers.get(layer)
        if not isinstance(file_name, str) or not file_name.strip():
            raise fail(f"layers: missing file name for layer {layer!r}", "layers")
        files[layer] = folder / file_name

    districts = _load_districts(files["districts"], bbox)
    district_ids = {d.id for d in districts}
    zones = _load_zones(files["zones"], bbox, districts)
    help_points = _load_help_points(files["help_points"], bbox, district_ids)
    teams = _load_teams(files["teams"], bbox, district_ids)
    places = _load_places(files["gazetteer"], bbox)
    partners_file = meta.get("partners")
    if partners_file is not None and (not isinstance(partners_file, str) or not partners_file.strip()):
        raise fail("'partners' must name the partners file (TOML)", "partners")
    partners = load_partners(folder / partners_file, district_ids) if partners_file else None
    area_code = meta.get("area_code")
    if area_code is not None and (not isinstance(area_code, str) or not re.fullmatch(r"0[1-9]\d{1,2}", area_code)):
        raise fail("'area_code' must be the city's telephone area code with its leading 0, such as \"0451\"", "area_code")
    return City(
        name=name,
        timezone=timezone,
        bbox=bbox,
        districts=districts,
        zones=zones,
        help_points=help_points,
        teams=teams,
        places=places,
        illustrative=illustrative,
        partners=partners,
        area_code=area_code,
    )


def _bbox(area: Any, fail: Any) -> BBox:
    if not isinstance(area, dict):
        raise fail("missing 'service_area' {lat_min, lat_max, lon_min, lon_max}", "service_area")
    values: dict[str, float] = {}
    for key in ("lat_min", "lat_max", "lon_min", "lon_max"):
        v = area.get(key)
        if not is_finite_number(v):
            raise fail(f"service_area.{key}: expected a number", "service_area")
        values[key] = float(v)
    box = BBox(**values)
    if not (-90 <= box.lat_min < box.lat_max <= 90 and -180 <= box.lon_min < box.lon_max <= 180):
        raise fail("service_area: need -90 <= lat_min < lat_max <= 90 and -180 <= lon_min < lon_max <= 180", "service_area")
    return box


# --------------------------------------------------------------------------- layers


class _Layer:
    """One GeoJSON FeatureCollection with the line of each feature, for errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = _read(path)
        data = _parse_json(self.text, path)
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise CityDataError("expected a GeoJSON FeatureCollection", path=str(path), line=1)
        features = data.get("features")
        if not isinstance(features, list):
            raise CityDataError("'features' must be a list", path=str(path), line=_key_line(self.text, "features"))
        self.features: list[Any] = features
        starts = [self.text.count("\n", 0, m.start()) + 1 for m in _FEATURE_RE.finditer(self.text)]
        self._lines = starts if len(starts) == len(features) else None

    def line(self, index: int) -> int | None:
        return self._lines[index] if self._lines is not None else None

    def fail(self, index: int, ident: str | None, message: str) -> CityDataError:
        label = f"feature {index}" + (f" ({ident})" if ident else "")
        return CityDataError(f"{label}: {message}", path=str(self.path), line=self.line(index))

    def entries(self, id_key: str, what: str) -> Iterator[tuple[int, str, dict[str, Any], Mapping[str, Any]]]:
        """(index, id, properties, geometry) of each feature, its id the property `id_key`, unique in the layer."""
        seen: set[str] = set()
        for i, props, geometry in self:
            ident = _text(self, i, props, id_key)
            if (problem := id_problem(ident)) is not None:  # records naming it would be refused
                raise self.fail(i, ident[:40], f"{what} {problem}")
            if ident in seen:
                raise self.fail(i, ident, f"duplicate {what} {ident!r}")
            seen.add(ident)
            yield i, ident, props, geometry

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any], Mapping[str, Any]]]:
        """(index, properties, geometry) of each feature, shape-checked."""
        for i, feature in enumerate(self.features):
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise self.fail(i, None, "not a GeoJSON Feature")
            props = feature.get("properties")
            if not isinstance(props, dict):
                raise self.fail(i, None, "missing 'properties' object")
            geometry = feature.get("geometry")
            if not isinstance(geometry, dict):
                raise self.fail(i, _ident(props), "missing 'geometry' object")
            yield i, props, geometry


_FEATURE_RE = re.compile(r'"type"\s*:\s*"Feature"')


def _ident(props: Mapping[str, Any]) -> str | None:
    for key in ("id", "team_id", "name"):
        value = props.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _text(layer: _Layer, i: int, props: Mapping[str, Any], key: str) -> str:
    value = props.get(key)
    if value is None:
        raise layer.fail(i, _ident(props), f"missing property {key!r}")
    if not isinstance(value, str) or not value.strip():
        raise layer.fail(i, _ident(props), f"property {key!r} must be a non-empty string")
    return value.strip()


def _label(layer: _Layer, i: int, props: Mapping[str, Any], key: str) -> str:
    """A name shown as written (a district's, zone's, help point's or team's, in Chinese or English): printable, at most
    MAX_LABEL_CHARS. A help point's name rides in every dispatch event that names it: one of 600 kB made events no broker
    takes (the desk agent died on each); a right-to-left override turned the name around on every operator's screen."""
    value = _text(layer, i, props, key)
    if len(value) > MAX_LABEL_CHARS or not value.isprintable():
        raise layer.fail(i, _ident(props), f"property {key!r} must be printable text of at most {MAX_LABEL_CHARS} characters")
    return value


def _district_ref(layer: _Layer, i: int, props: Mapping[str, Any], known: set[str]) -> str:
    district = _text(layer, i, props, "district")
    if district not in known:
        raise layer.fail(i, _ident(props), f"unknown district {district!r} (known: {', '.join(sorted(known))})")
    return district


def _position(layer: _Layer, i: int, ident: str | None, value: Any, bbox: BBox) -> tuple[float, float]:
    """A GeoJSON position [lon, lat] inside the service area, as (lat, lon)."""
    if (
        not isinstance(value, list | tuple)
        or len(value) < 2
        or not all(is_finite_number(v) for v in value[:2])
    ):
        raise layer.fail(i, ident, f"invalid position {value!r:.60}: expected [lon, lat] numbers")
    lon, lat = float(value[0]), float(value[1])
    if not bbox.contains(lat, lon):
        hint = " (coordinates look swapped: GeoJSON is [lon, lat])" if bbox.contains(lon, lat) else ""
        raise layer.fail(i, ident, f"point (lat {lat}, lon {lon}) is outside the service area{hint}")
    return lat, lon


def _point(layer: _Layer, i: int, ident: str | None, geometry: Mapping[str, Any], bbox: BBox) -> tuple[float, float]:
    if geometry.get("type") != "Point":
        raise layer.fail(i, ident, f"geometry must be a Point, got {geometry.get('type')!r}")
    return _position(layer, i, ident, geometry.get("coordinates"), bbox)


def _rings(layer: _Layer, i: int, ident: str | None, value: Any, bbox: BBox) -> list[list[tuple[float, float]]]:
    if not isinstance(value, list) or not value:
        raise layer.fail(i, ident, "polygon needs a list of rings")
    rings: list[list[tuple[float, float]]] = []
    for ring in value:
        if not isinstance(ring, list) or len(ring) < 4:
            raise layer.fail(i, ident, "polygon ring needs at least 4 positions")
        pts = []
        for pos in ring:
            lat, lon = _position(layer, i, ident, pos, bbox)
            pts.append((lon, lat))
        if pts[0] != pts[-1]:
            raise layer.fail(i, ident, "polygon ring is not closed (first and last positions differ)")
        rings.append(pts)
    return rings


def _polygon(
    layer: _Layer, i: int, ident: str | None, geometry: Mapping[str, Any], bbox: BBox, multi: bool
) -> Area:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    allowed = ("Polygon", "MultiPolygon") if multi else ("Polygon",)
    if kind not in allowed:
        raise layer.fail(i, ident, f"geometry must be {' or '.join(allowed)}, got {kind!r}")
    shape: Area
    if kind == "Polygon":
        rings = _rings(layer, i, ident, coords, bbox)
        shape = Polygon(rings[0], rings[1:])
    else:
        if not isinstance(coords, list) or not coords:
            raise layer.fail(i, ident, "MultiPolygon needs a list of polygons")
        parts = [_rings(layer, i, ident, p, bbox) for p in coords]
        shape = MultiPolygon([Polygon(r[0], r[1:]) for r in parts])
    if not shape.is_valid:
        raise layer.fail(i, ident, f"invalid polygon: {explain_validity(shape)}")
    if shape.area <= 0:
        raise layer.fail(i, ident, "polygon has no area")
    return shape


def _load_districts(path: Path, bbox: BBox) -> tuple[District, ...]:
    layer = _Layer(path)
    out: list[District] = []
    for i, ident, props, geometry in layer.entries("id", "district id"):
        polygon = _polygon(layer, i, ident, geometry, bbox, multi=True)
        for other in out:
            if polygon.intersection(other.polygon).area > _OVERLAP_TOLERANCE_DEG2:
                raise layer.fail(i, ident, f"district overlaps district {other.id!r}")
        district = District(ident, _label(layer, i, props, "name"), _label(layer, i, props, "name_en"), polygon)
        if twin := next((other for other in out if district_keys(other) & district_keys(district)), None):
            # a weather record naming either was refused as ambiguous, every time
            raise layer.fail(i, ident, f"its id or a name is written like district {twin.id!r}'s: a record naming it could mean either")
        out.append(district)
    if not out:
        raise CityDataError("no districts", path=str(path))
    return tuple(out)


def _load_zones(path: Path, bbox: BBox, districts: tuple[District, ...]) -> tuple[Zone, ...]:
    layer = _Layer(path)
    by_id = {d.id: d for d in districts}
    out: list[Zone] = []
    for i, ident, props, geometry in layer.entries("id", "zone id"):
        if "key_area" not in props:
            raise layer.fail(i, ident, "missing property 'key_area' (a kind, or null for an ordinary zone)")
        key_area = props["key_area"]
        if key_area is not None and key_area not in KEY_AREAS:
            raise layer.fail(i, ident, f"unknown key_area {key_area!r} (known: {', '.join(KEY_AREAS)}, or null)")
        polygon = _polygon(layer, i, ident, geometry, bbox, multi=False)
        assert isinstance(polygon, Polygon)
        out.append(
            Zone(
                id=ident,
                name=_label(layer, i, props, "name"),
                name_en=_label(layer, i, props, "name_en"),
                district=_district_ref(layer, i, props, set(by_id)),
                key_area=key_area,
                polygon=polygon,
            )
        )
        _check_zone_district(layer, i, out[-1], by_id)
    return tuple(out)


def _check_zone_district(layer: _Layer, i: int, zone: Zone, districts: Mapping[str, District]) -> None:
    """Refuse a zone lying mostly outside the district it names.

    Tips in it are placed by geometry (the district holding them) while the drill's truth, the map and the zone's
    readers take its `district`: the two disagreed without a word. A zone straddling a border (a bridge) names the
    district holding most of it.
    """
    shares = {d.id: zone.polygon.intersection(d.polygon).area / zone.polygon.area for d in districts.values()}
    if shares[zone.district] >= 0.5:
        return
    most = max(shares, key=lambda d: (shares[d], d))
    where = f"{round(100 * shares[most])} % in {most}" if shares[most] > 0 else "the rest in no district"
    raise layer.fail(i, zone.id, f"lies mostly outside its district {zone.district!r} "
                     f"({round(100 * shares[zone.district])} % in it; {where})")


def _load_help_points(path: Path, bbox: BBox, districts: set[str]) -> tuple[HelpPoint, ...]:
    layer = _Layer(path)
    out: list[HelpPoint] = []
    for i, ident, props, geometry in layer.entries("id", "help point id"):
        kind = _text(layer, i, props, "kind")
        if kind not in HELP_POINT_KINDS:
            raise layer.fail(i, ident, f"unknown kind {kind!r} (known: {', '.join(HELP_POINT_KINDS)})")
        open_24h = props.get("open_24h")
        if not isinstance(open_24h, bool):
            raise layer.fail(i, ident, "property 'open_24h' must be true or false")
        lat, lon = _point(layer, i, ident, geometry, bbox)
        emergency = props.get("emergency", False)
        if not isinstance(emergency, bool):
            raise layer.fail(i, ident, "property 'emergency' must be true or false")
        serves = props.get("serves", [])
        if not isinstance(serves, list) or not all(isinstance(x, str) and x for x in serves):
            raise layer.fail(i, ident, "property 'serves' must be a list of group names")
        if unknown := [x for x in serves if x not in SERVED_GROUPS]:
            raise layer.fail(i, ident, f"property 'serves': unknown group {unknown[0]!r} (known: {', '.join(SERVED_GROUPS)})")
        out.append(
            HelpPoint(
                id=ident,
                name=_label(layer, i, props, "name"),
                name_en=_label(layer, i, props, "name_en"),
                kind=kind,
                district=_district_ref(layer, i, props, districts),
                lat=lat,
                lon=lon,
                open_24h=open_24h,
                emergency=emergency,
                serves=tuple(serves),
                hours=_hours(layer, i, ident, props.get("hours"), open_24h),
            )
        )
    return tuple(out)


def _hours(layer: _Layer, i: int, ident: str, value: Any, open_24h: bool) -> tuple[time, time] | None:
    """`"HH:MM-HH:MM"` opening hours (None when absent, which only a site open all day may be).

    A site that is not `open_24h` and gives no hours would be open at no minute of the day, so never a
    destination: a slip in the data (a dispatch centre would not read it as open all day, and guide a person in
    the cold to a closed kiosk), refused with its line.
    """
    if value is None:
        if not open_24h:
            raise layer.fail(i, ident, "property 'hours' missing while 'open_24h' is false: never open "
                             "(give \"HH:MM-HH:MM\", or \"open_24h\": true for a site open all day)")
        return None
    try:
        start, end = str(value).split("-")
        hours = _clock(start), _clock(end)
    except ValueError:
        raise layer.fail(i, ident, f"property 'hours' must be \"HH:MM-HH:MM\", got {value!r:.40}") from None
    if hours[0] == hours[1]:  # "00:00-00:00" meant all day, and loaded as open at no minute of it: never a destination
        raise layer.fail(i, ident, f"property 'hours' {value!r:.40} opens and closes at the same time: never open "
                         "(a site open all day says \"open_24h\": true)")
    return hours


def _clock(text: str) -> time:
    hh, mm = text.strip().split(":")
    return time(int(hh), int(mm))


def _load_teams(path: Path, bbox: BBox, districts: set[str]) -> tuple[TeamBase, ...]:
    layer = _Layer(path)
    out: list[TeamBase] = []
    for i, ident, props, geometry in layer.entries("team_id", "team_id"):
        caps = props.get("capabilities")
        if not isinstance(caps, list) or not caps or not all(isinstance(c, str) for c in caps):
            raise layer.fail(i, ident, "property 'capabilities' must be a non-empty list of strings")
        unknown = sorted({c for c in caps if c not in CAPABILITIES})
        if unknown:
            raise layer.fail(i, ident, f"unknown capability {', '.join(map(repr, unknown))} (known: {', '.join(CAPABILITIES)})")
        lat, lon = _point(layer, i, ident, geometry, bbox)
        if ident == OPERATOR_TEAM_ID:  # the desk refuses a status of that id: it is the operators' acks'
            raise layer.fail(i, ident, f"team_id {OPERATOR_TEAM_ID!r} is the operators' (their acks carry it), not a team's")
        out.append(
            TeamBase(
                team_id=ident,
                name=_label(layer, i, props, "name"),  # every status carries it: the desk refuses any other
                name_en=_label(layer, i, props, "name_en"),
                district=_district_ref(layer, i, props, districts),
                capabilities=tuple(c for c in CAPABILITIES if c in caps),
                lat=lat,
                lon=lon,
            )
        )
    return tuple(out)


def _load_places(path: Path, bbox: BBox) -> tuple[Place, ...]:
    layer = _Layer(path)
    out: list[Place] = []
    owner: dict[str, str] = {}  # address key -> the place it names
    for i, name, props, geometry in layer.entries("name", "place name"):
        aliases = props.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise layer.fail(i, name, "property 'aliases' must be a list of non-empty strings")
        for alias in (name, *aliases):  # a shared name went silently to the place sorting first (geo/gazetteer.py)
            key = address_key(alias)
            if not key:
                raise layer.fail(i, name, f"alias {alias!r:.40} holds no letter or digit: no address can match it")
            if owner.setdefault(key, name) != name:
                raise layer.fail(i, name, f"{alias!r:.60} also names place {owner[key]!r}: an address saying it "
                                 "would find only one of the two (give each place its own names)")
        lat, lon = _point(layer, i, name, geometry, bbox)
        extent = props.get("extent_m", 0.0)
        if isinstance(extent, bool) or not isinstance(extent, int | float) or not 0 <= extent <= 5000:
            raise layer.fail(i, name, "property 'extent_m' must be a number of metres 0..5000")
        out.append(Place(name, tuple(a.strip() for a in aliases), _text(layer, i, props, "kind"), lat, lon, float(extent)))
    return tuple(out)


def city_map(path: Path) -> dict[str, Any]:
    """The city as a map draws it: city.json's display metadata and each map layer's GeoJSON as written.

    The folder is validated first (`load_city`), so a map never shows a city
    the rules would refuse. Keys: "meta" and every name in MAP_LAYERS.
    """
    meta_path, _, meta = _read_meta(path)
    load_city(meta_path)
    out: dict[str, Any] = {"meta": {key: meta.get(key) for key in MAP_META}}
    for layer in MAP_LAYERS:
        layer_path = meta_path.parent / meta["layers"][layer]
        out[layer] = _parse_json(_read(layer_path), layer_path)
    return out


# --------------------------------------------------------------------------- files


def _read_meta(path: Path) -> tuple[Path, str, dict[str, Any]]:
    """city.json of a city folder (or the file itself): its path, text and object."""
    path = Path(path)
    meta_path = path if path.is_file() else path / CITY_FILE
    meta_text = _read(meta_path)
    meta = _parse_json(meta_text, meta_path)
    if not isinstance(meta, dict):
        raise CityDataError("expected a JSON object", path=str(meta_path), line=1)
    return meta_path, meta_text, meta


def _read(path: Path) -> str:
    """A city file's text as every hand-edited file is read (`read_text`: a byte-order mark tolerated, a byte that is
    not UTF-8 named with its line); a BOM was refused as invalid JSON, a bad byte named no line."""
    if not path.exists():
        raise CityDataError("file not found", path=str(path))
    return read_text(path, "city file", CityDataError)


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    except DuplicateKey as exc:  # the last value was used, the first read: the edit meant may not be the one in force
        raise CityDataError(f"invalid JSON: {exc} (only one value can be meant)", path=str(path), line=duplicate_key_line(text)) from exc
    except json.JSONDecodeError as exc:
        raise CityDataError(f"invalid JSON: {exc.msg} (column {exc.colno})", path=str(path), line=exc.lineno) from exc
    except RecursionError as exc:  # this and the next stopped `patrol check` and every worker with a traceback
        raise CityDataError("invalid JSON: nested too deeply", path=str(path)) from exc
    except ValueError as exc:  # an integer literal of more than 4300 digits
        raise CityDataError("invalid JSON: a number literal is too long", path=str(path)) from exc


def _key_line(text: str, key: str | None) -> int | None:
    """Line of the first `"key":` in a JSON text, for pointing at a bad value."""
    if key is None:
        return None
    m = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    return text.count("\n", 0, m.start()) + 1 if m else None
