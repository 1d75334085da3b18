from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from core.settings import DATA_DIR
from geo.distance import offset_latlon
from ledger.policy import load_ledger_policy
from ledger.report import day_of
from ledger.sweep import Seen, coverage, hour_span, sweep_list
from tests.unit.ledger.builders import BASE, T0

POLICY = load_ledger_policy(DATA_DIR / "ledger.toml")
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
