from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from core.settings import DATA_DIR
from geo.city import KEY_AREAS, load_city
from geo.distance import haversine_m, offset_latlon
from ledger.report import day_of
from ledger.sweep import Gathering, Seen, coverage, gathering_places, hour_span, of_centre, sweep_list
from tests.policies import ledger_policy
from tests.unit.ledger.builders import BASE, T0

POLICY = ledger_policy()
TZ = ZoneInfo("Asia/Shanghai")


def seen(n: int, night: int, east_m: float, hours: float = 0, flags: tuple[str, ...] = (), persons: tuple[str, ...] = ()) -> Seen:
    lat, lon = offset_latlon(BASE[0], BASE[1], east_m, 0)
    at = T0 - timedelta(days=night) + timedelta(hours=hours)
    return Seen(f"i{n}", lat, lon, at, day_of(at, POLICY, TZ), "daoli", flags, persons)


def test_hour_span_is_the_shortest_run_across_midnight() -> None:
    assert hour_span([23, 0, 1]) == "23:00-02:00"
    assert hour_span([19, 20]) == "19:00-21:00"
    assert hour_span([5]) == "05:00-06:00"
    assert hour_span([]) == ""


def test_places_seen_on_more_nights_and_with_vulnerable_people_rank_first() -> None:
    items = [seen(n, n + 1, 0, persons=("P-1",)) for n in range(4)]  # four nights at one place
    items += [seen(10, 1, 80)]  # same place (within 200 m)
    items += [seen(11, 1, 2000, flags=("elderly",))]  # once, elsewhere, an old person
    items += [seen(12, 2, 4000)]  # once, elsewhere
    stops = sweep_list(items, "orange", POLICY, TZ)
    assert [s.rank for s in stops] == [1, 2, 3]
    assert stops[0].nights_seen == 4 and stops[0].incidents == 5 and stops[0].persons == ("P-1",)
    assert stops[1].reasons[-1] == "flags: elderly×1"
    assert sweep_list(items, "red", POLICY, TZ)[0].risk > stops[0].risk


def test_coverage_of_the_next_nights_places() -> None:
    stops = sweep_list([seen(1, 1, 0), seen(2, 1, 3000)], "none", POLICY, TZ)
    here = offset_latlon(BASE[0], BASE[1], 50, 0)
    nowhere = offset_latlon(BASE[0], BASE[1], 9000, 0)
    assert coverage(stops, [here, here, nowhere], POLICY.sweep_radius_m) == 2 / 3
    assert coverage(stops, [], POLICY.sweep_radius_m) is None


def gathering(name: str, kind: str, east_m: float) -> Gathering:
    lat, lon = offset_latlon(BASE[0], BASE[1], east_m, 0)
    return Gathering(name, kind, lat, lon, "daoli")


def test_unseen_gathering_places_join_below_the_places_people_were_found() -> None:
    items = [seen(1, 1, 0, persons=("P-1",)), seen(2, 2, 3000, hours=2)]  # a station (0 m) and a market (3000 m) with history
    places = [
        gathering("station A", "station", 100),  # within 200 m of the incident at 0 m: not a second stop
        gathering("market B", "market", 3050),  # near the other incident: not a second stop either
        gathering("station C", "station", 6000),  # unseen
        gathering("park D", "park", 9000),  # unseen
    ]
    stops = sweep_list(items, "orange", POLICY, TZ, places)
    assert [s.place for s in stops] == ["", "", "station: station C", "park: park D"]
    assert [s.nights_seen for s in stops] == [1, 1, 0, 0]
    station = stops[2]
    assert station.persons == () and station.hours == "19:00-22:00"  # the hours people were found anywhere
    assert "people found at 1 other station place(s)" in station.reasons
    # A kind people were found at weighs more (the station beats the park); tonight's level multiplies.
    assert station.risk == round(0.12 * 1.5 * 2.0, 3) and stops[3].risk == round(0.1 * 2.0, 3)
    assert sweep_list(items, "red", POLICY, TZ, places)[2].risk > station.risk
    # Without history every gathering place of a weighted kind is listed; a kind weighted 0 (square) never.
    alone = sweep_list([], "none", POLICY, TZ, [*places, gathering("square E", "square", 12000)])
    assert {s.place for s in alone} == {"station: station A", "market: market B", "station: station C", "park: park D"}


def test_the_citys_gathering_places_are_its_key_areas_once_each() -> None:
    city = load_city(DATA_DIR / "cities" / "harbin")
    places = gathering_places(city, POLICY.sweep_radius_m)
    assert places and {g.kind for g in places} <= set(KEY_AREAS)
    assert {g.kind for g in places} >= {"station", "underpass", "heating_vent", "bridge", "park"}
    assert all(g.district for g in places)
    for n, a in enumerate(places):
        assert all(haversine_m(a.lat, a.lon, b.lat, b.lon) > POLICY.sweep_radius_m for b in places[n + 1 :])
    station = next(p for p in city.places if p.kind == "station")
    assert any(haversine_m(station.lat, station.lon, g.lat, g.lon) <= POLICY.sweep_radius_m for g in places)


def test_a_centres_incidents_are_those_its_desk_named_older_ones_where_they_were() -> None:
    harbin = of_centre("harbin", lambda lat, lon: "harbin" if lat < 46 else "qiqihar")
    own, other = seen(0, 1, 0.0), seen(1, 1, 0.0)
    assert harbin(replace(own, centre="harbin")) and not harbin(replace(other, centre="qiqihar"))
    assert harbin(replace(own, lat=47.35, centre="harbin")), "its desk's, wherever its position went"
    assert harbin(replace(own, lat=45.77)) and not harbin(replace(own, lat=47.35)), "no centre named: by the position"
