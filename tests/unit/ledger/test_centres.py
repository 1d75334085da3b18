"""One ledger, two cities: each centre's sweep list and report hold its own incidents (and its city's places, tips and weather)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from core.records import DispatchEvent
from core.settings import DATA_DIR
from geo.city import load_city
from ledger.centres import LedgerCentres
from ledger.store import PersonInput, Store
from tests.policies import ledger_policy
from tests.unit.ledger.builders import T0, incident_story

QIQIHAR = (47.3485, 123.9455)


def _story(incident: str, lat: float, lon: float, centre: str) -> list[dict[str, Any]]:
    return [{**e, "centre": centre} for e in incident_story(incident, T0, lat=lat, lon=lon)]


def test_each_centres_list_has_its_own_incidents_wherever_they_moved_and_older_ones_by_position(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    try:
        for e in [*_story("h-1", 45.7725, 126.6170, "harbin"), *_story("q-1", *QIQIHAR, "qiqihar"),
                  *_story("h-moved", *QIQIHAR, "harbin"),  # a Harbin incident now placed in Qiqihar: still Harbin's
                  *_story("old-q", 47.3440, 123.9500, "")]:  # written before events named a centre: by position
            store.apply_dispatch(e)
        assert DispatchEvent.from_dict(_story("x", *QIQIHAR, "qiqihar")[0]).centre == "qiqihar"
        cities = {c: load_city(DATA_DIR / "cities" / c) for c in ("harbin", "qiqihar")}
        sweeps = LedgerCentres(cities, store.policy.sweep_radius_m)
        night = date(2026, 12, 21)

        def places(centre: str) -> set[tuple[float, float]]:
            level, stops = sweeps.sweep(store, night, "red", centre)
            assert level == "red"
            return {(round(s.lat, 2), round(s.lon, 2)) for s in stops if s.nights_seen}

        assert places("harbin") == {(45.77, 126.62), (47.35, 123.95)}
        assert places("qiqihar") == {(47.35, 123.95), (47.34, 123.95)}
        gathering = {(s.lat, s.lon) for s in sweeps.sweep(store, night, "red", "qiqihar")[1] if not s.nights_seen}
        assert gathering and all(cities["qiqihar"].bbox.lat_min <= lat <= cities["qiqihar"].bbox.lat_max for lat, _ in gathering)
        one = LedgerCentres({"harbin": cities["harbin"]}, store.policy.sweep_radius_m)
        assert len([s for s in one.sweep(store, night, "red", "harbin")[1] if s.nights_seen]) == 3, "one city: the whole ledger, as before"
    finally:
        store.close()


def test_each_centres_report_counts_its_own_incidents_persons_tips_and_weather(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    try:
        for e in [*_story("h-1", 45.7725, 126.6170, "harbin"), *_story("h-2", 45.7600, 126.6300, "harbin"),
                  *_story("q-1", *QIQIHAR, "qiqihar"), *_story("old-q", 47.3440, 123.9500, "")]:
            store.apply_dispatch(e)
        for report_id, district in (("r-h", "daoli"), ("r-q1", "longsha"), ("r-q2", "jianhua")):
            store.apply_report({"report_id": report_id, "source": "tip", "channel": "hotline", "at": T0.isoformat(),
                                "district": district, "lat": 45.0, "lon": 125.0})
        for centre, region, level in (("qiqihar", "longsha", "red"), ("harbin", "daoli", "none"),
                                      ("harbin", "*", "orange"), ("qiqihar", "*", "yellow")):  # city-wide: each city's own
            for hours in range(0, 30, 6):  # a whole report day at that level
                store.apply_conditions({"region": region, "at": (T0 - timedelta(hours=8) + timedelta(hours=hours)).isoformat(),
                                        "cold_wave_level": level, "night": True, "centre": centre})
        person = store.open_person(PersonInput(), by="op", at=T0)
        store.link("q-1", person, by="op", at=T0)
        cities = {c: load_city(DATA_DIR / "cities" / c) for c in ("harbin", "qiqihar")}
        sweeps = LedgerCentres(cities, store.policy.sweep_radius_m)
        day = T0.astimezone(cities["harbin"].timezone).date()

        harbin = sweeps.report(store, "daily", day, day, "harbin")
        qiqihar = sweeps.report(store, "daily", day, day, "qiqihar")
        everyone = sweeps.report(store, "daily", day, day)
        assert (harbin.incidents, qiqihar.incidents, everyone.incidents) == (2, 2, 4)  # old-q: Qiqihar's by position
        assert (harbin.tips_by_channel, qiqihar.tips_by_channel) == ({"hotline": 1}, {"hotline": 2})
        assert (harbin.persons_new, qiqihar.persons_new, everyone.persons_new) == (0, 1, 1)
        assert (harbin.cold_wave_days, qiqihar.cold_wave_days, everyone.cold_wave_days) == ({"orange": 1}, {"red": 1}, {"red": 1})
        night = date(2026, 12, 20)
        assert sweeps.sweep(store, night, None, "harbin")[0] == "orange"  # tonight's level: Harbin's own city-wide warning
        assert sweeps.sweep(store, night, None, "qiqihar")[0] == "red"
    finally:
        store.close()
