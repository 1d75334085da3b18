"""Which dispatch centre a record belongs to, when one deployment serves several cities.

A centre is one city folder (its id is the folder's name). Routing is pure
so that intake, the desk and the producers (simulators, console, clock) agree
on it. Every desk input is keyed by its centre's id, so one partition (and one
worker) holds the whole of a centre (`pipeline.partitioning`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from core.errors import CityDataError
from core.validate import coordinates_in, read_coordinate
from geo.addresskey import pinyin_key
from geo.city import City, Place
from geo.gazetteer import Gazetteer, normalize
from geo.zones import CityIndex

# Ids that records carry without their centre: a team status routes by its
# team (`centre_of_team`), a weather record by its region (`centre_of_region`),
# and a zone id names the zone in dispatch events and on the console's map.
# Help point ids are each city's own (every city has its `hp-rescue-city`).
_LAYER_IDS: tuple[tuple[str, Callable[[City], Iterable[str]]], ...] = (
    ("district", lambda city: (d.id for d in city.districts)),
    ("zone", lambda city: (z.id for z in city.zones)),
    ("team", lambda city: (t.team_id for t in city.teams)),
)


def check_distinct_ids(cities: Mapping[str, tuple[Path, City]]) -> None:
    """Refuse a deployment whose cities share a district, zone or team id.

    A team status or a region names no centre: the first city that lists the
    id would take every record of the other city's namesake, silently.
    """
    for what, ids_of in _LAYER_IDS:
        owner: dict[str, Path] = {}
        for folder, city in cities.values():
            for ident in ids_of(city):
                if ident in owner:
                    raise CityDataError(f"{what} id {ident!r} is also defined in {owner[ident]}; ids must be unique across "
                                        "the deployment's cities (PATROL_CITIES)", path=str(folder))
                owner[ident] = folder


def centre_for(indexes: Mapping[str, CityIndex], lat: float, lon: float) -> str | None:
    """The centre that holds a position: its districts first, then its service area; None outside all.

    A report near a border goes to the city whose district holds the point,
    never to a neighbour whose matching range merely reaches it: incidents
    never cross centres. The service areas are asked first (cheap); the
    district polygons only where several service areas hold the point.
    """
    holding = [centre for centre, index in indexes.items() if index.in_service_area(lat, lon)]
    if len(holding) <= 1:
        return holding[0] if holding else None
    for centre in holding:
        if indexes[centre].locate(lat, lon).district is not None:
            return centre
    return holding[0]


def centre_of_address(gazetteers: Mapping[str, Gazetteer], address: str) -> str | None:
    """The centre whose gazetteer names an address most fully; a tie (or only typos) to the first in the deployment's order.

    A gazetteer also resolves an address that merely contains one of its
    aliases (Harbin's 松花江公路大桥 inside 嫩江公路大桥): the longest name or
    alias of the resolved place that the address spells out decides. None
    resolving it, the first centre whose own city the address names.
    """
    found = [(named_length(place, address), centre) for centre, gazetteer in gazetteers.items() if (place := gazetteer.resolve(address)) is not None]
    if found:
        return max(found, key=lambda nc: nc[0])[1]  # max keeps the first of equals
    # A place none knows in a city the address names ("Qiqihar No. 1 Hospital"): that city's desk calls back.
    return next((centre for centre, gazetteer in gazetteers.items() if gazetteer.names_its_city(address)), None)


def named_length(place: Place, address: str) -> int:
    """How much of an address names the place: its longest name or alias (or a Chinese one's pinyin) the address
    spells out (0: a typo's match)."""
    text = normalize(address)
    names = (place.name, *place.aliases)
    keys = (*map(normalize, names), *(sound for sound in map(pinyin_key, names) if sound is not None))
    return max((len(key) for key in keys if key and key in text), default=0)


def centre_of_team(cities: Mapping[str, City], team_id: str) -> str | None:
    """The centre whose city lists a team (team ids are unique within a deployment)."""
    for centre, city in cities.items():
        if any(team.team_id == team_id for team in city.teams):
            return centre
    return None


def centre_of_region(cities: Mapping[str, City], region: str) -> str | None:
    """The centre with a district of that id, else the only one with a district of that name (`City.districts_named`:
    "道里区", "Daoli", "daoli district"); None when no city's district fits, or several cities' do (the desk that gets
    it by another rule refuses a name it cannot place)."""
    for centre, city in cities.items():
        if city.district(region) is not None:
            return centre
    named = [centre for centre, city in cities.items() if city.districts_named(region)]
    return named[0] if len(named) == 1 else None


def route(
    obj: Mapping[str, Any],
    cities: Mapping[str, City],
    indexes: Mapping[str, CityIndex],
    gazetteers: Mapping[str, Gazetteer],
    key: str | None = None,
    max_address_bytes: int | None = None,
    *,
    by_team: bool = True,
) -> str | None:
    """The centre of one raw input record, or None when nothing names one.

    In order: a roster team's own centre (`team_id`, unless `by_team` is
    False); an explicit `centre` field (for a report of a person, only
    when that centre's service area holds its position, or, without one, its
    gazetteer knows its address); a position
    (`lat`/`lon`); a region (`region`); an address (a position written in
    it, else the places it names); the record's key when it
    names a centre; the only centre of a one-city deployment. An explicit
    centre that is not deployed gives None (the record is dead-lettered).
    A team answers to its own centre wherever it stands: a crew that drove a
    person across the border still reports its status and acks to the desk
    that gives it tasks. An address over `max_address_bytes` of UTF-8 (the
    intake's limit, which refuses it as too large) is not read: matching a
    megabyte against every city's places cost a second of CPU per record.
    `by_team=False` for a report of a person (a tip, a detection): it is
    placed by where the person is, and a `team_id` it carries is ignored (a
    partner's courier id, or a hostile producer's, sent a Harbin tip to
    another city's desk, which dead-lettered it as outside its service area).
    """
    explicit = obj.get("centre")
    if explicit is not None:
        if not (isinstance(explicit, str) and explicit in cities):
            return None
        team = obj.get("team_id") if by_team else None
        if isinstance(team, str) and (home := centre_of_team(cities, team)) is not None:
            # A roster team answers to its own centre whatever centre its record names: a Harbin team's status
            # naming "qiqihar" put a second T-daoli-1, available, on Qiqihar's desk (an open roster takes any id),
            # which gave it tasks its phone's own desk never knew of.
            return home
        if by_team or len(cities) == 1:
            return explicit
        # A report of a person stays with the centre it names where that centre can place it: its position in the
        # centre's service area (a report from across a border joins that centre's incident), else its address known
        # to the centre. Else where it lies: named "harbin", a tip at a position in Qiqihar, or at 齐齐哈尔站 (a place
        # Harbin does not know), was dead-lettered out_of_area or unknown_address, not sent to Qiqihar's desk.
        position = _position(obj)
        if position is not None:
            return explicit if indexes[explicit].in_service_area(*position) else centre_for(indexes, *position) or explicit
        own = {explicit: gazetteers[explicit]}
        return (_centre_named_by_address(obj, indexes, own, max_address_bytes)
                or _centre_named_by_address(obj, indexes, gazetteers, max_address_bytes) or explicit)
    if len(cities) == 1:
        return next(iter(cities))  # one city: its own rules refuse what lies outside it
    team = obj.get("team_id") if by_team else None
    if isinstance(team, str) and (found := centre_of_team(cities, team)) is not None:
        return found
    if (found := _centre_of_position(obj, indexes)) is not None:
        return found
    region = obj.get("region")
    if isinstance(region, str) and (found := centre_of_region(cities, region)) is not None:
        return found
    if (found := _centre_named_by_address(obj, indexes, gazetteers, max_address_bytes)) is not None:
        return found
    if key is not None and key in cities:
        return key
    return next(iter(cities)) if len(cities) == 1 else None


def _position(obj: Mapping[str, Any]) -> tuple[float, float] | None:
    """A record's `lat`/`lon` as intake reads them, or None."""
    lat, lon = _coordinate(obj.get("lat"), "lat"), _coordinate(obj.get("lon"), "lon")
    return (lat, lon) if lat is not None and lon is not None else None


def _centre_of_position(obj: Mapping[str, Any], indexes: Mapping[str, CityIndex]) -> str | None:
    """The centre holding a record's position, or None."""
    position = _position(obj)
    return centre_for(indexes, *position) if position is not None else None


def _centre_named_by_address(obj: Mapping[str, Any], indexes: Mapping[str, CityIndex], gazetteers: Mapping[str, Gazetteer],
                             max_address_bytes: int | None) -> str | None:
    """The centre of a record's `address`: a position written in it, else the gazetteer naming it most fully (ties to
    the first of `gazetteers`); None for no address, one over `max_address_bytes`, or one no centre knows."""
    address = obj.get("address")
    if not (isinstance(address, str) and address.strip() and _within(address, max_address_bytes)):
        return None
    written = coordinates_in(address)  # a position written in the address, as intake reads it
    if written is not None and (found := centre_for(indexes, *written)) is not None:
        return found
    return centre_of_address(gazetteers, address)


def _within(text: str, max_bytes: int | None) -> bool:
    """Whether a text is at most `max_bytes` of UTF-8 (no limit: None)."""
    return max_bytes is None or (len(text) <= max_bytes and len(text.encode("utf-8", "surrogatepass")) <= max_bytes)


def _coordinate(value: Any, axis: str) -> float | None:
    """A position's number as intake reads it (`core.validate.read_coordinate`); None where intake refuses it."""
    found = read_coordinate(value, axis)
    return None if isinstance(found, str) else found
