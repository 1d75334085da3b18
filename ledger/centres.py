"""Each dispatch centre's sweep list and reports when one ledger serves several cities (PATROL_CITIES).

A centre's list holds the places of its own incidents (the centre their
events name; incidents written before events named one, by where they were:
`sweep.owner`) and its city's gathering places; its level, when not given,
is the latest in its city's districts. A centre's report counts its own
incidents, persons and escalations and its city's tips and weather, with
days in its city's time zone. With one city the list and the report are
the whole ledger's, as before. An incident's time zone (task hints, reports)
is its centre's city's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from core.records import DispatchEvent
from core.settings import Settings
from geo.centres import centre_for
from geo.city import City, load_city
from geo.zones import CityIndex
from ledger.report import Report, ReportScope, report_day
from ledger.store import Store
from ledger.sweep import Gathering, SweepStop, gathering_places, of_centre, owner


def deployment_cities(settings: Settings) -> dict[str, City]:
    """The cities of PATROL_CITIES by centre, in order (the first is the default): what the ledger's tools, feeder and console serve."""
    return {centre: load_city(folder) for centre, folder in settings.centre_dirs.items()}


class LedgerCentres:
    """The deployment's cities by centre, in order (the first is the default), with their gathering places."""

    def __init__(self, cities: Mapping[str, City], radius_m: float) -> None:
        self.cities = dict(cities)
        self.indexes = {centre: CityIndex(city) for centre, city in self.cities.items()}
        self.gathering: dict[str, list[Gathering]] = {centre: gathering_places(city, radius_m) for centre, city in self.cities.items()}

    @property
    def first(self) -> str:
        return next(iter(self.cities))

    def locate(self, lat: float, lon: float) -> str | None:
        return centre_for(self.indexes, lat, lon)

    def zone(self, event: DispatchEvent) -> ZoneInfo:
        """The time zone of an incident's city: of its centre (`sweep.owner`: the one its events name,
        else where it is), else the first city's."""
        city = self.cities.get(owner(event.centre, event.lat, event.lon, self.locate) or "")
        return (city or self.cities[self.first]).timezone

    def sweep(self, store: Store, night: date, level: str | None, centre: str) -> tuple[str, list[SweepStop]]:
        """A centre's list for `night` and the level it was ranked for."""
        city = self.cities[centre]
        level = level or store.latest_level(report_day(night, store.policy, city.timezone)[0], (centre, {d.id for d in city.districts}))
        keep = of_centre(centre, self.locate) if len(self.cities) > 1 else None
        return level, store.sweep(night, level, city.timezone, self.gathering[centre], keep)

    def report(self, store: Store, kind: str, first: date, last: date, centre: str | None = None) -> Report:
        """The report of the days `first`..`last`: one centre's, with days in its city's time zone; None: the
        whole deployment's (days in the first city's zone)."""
        city = self.cities[centre or self.first]
        start, end = report_day(first, store.policy, city.timezone)[0], report_day(last, store.policy, city.timezone)[1]
        scope = None
        if centre is not None and len(self.cities) > 1:
            scope = ReportScope(keep=lambda row: owner(row["centre"], float(row["lat"]), float(row["lon"]), self.locate) == centre,
                                centre=centre, districts=frozenset(d.id for d in city.districts))
        return store.report(kind, start, end, city.timezone, scope)
