from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from geo.distance import offset_latlon
from ledger.match import Case, case_sex, hour_gap, likely, suggest
from ledger.profile import Profile, Sighting
from tests.policies import ledger_policy
from tests.unit.ledger.builders import BASE, T0

POLICY = ledger_policy()
TZ = ZoneInfo("Asia/Shanghai")


def profile(pid: str, *, east_m: float = 0.0, hours: float = 0.0, nights: int = 3, **over: object) -> Profile:
    lat, lon = offset_latlon(BASE[0], BASE[1], east_m, 0.0)
    sightings = tuple(Sighting(lat, lon, T0 - timedelta(days=n + 1) + timedelta(hours=hours)) for n in range(nights))
    fields: dict = {"person_id": pid, "sex": "male", "age_group": "elderly", "appearance": "军大衣", "languages": "", "health_notes": "", "helps": "", "sightings": sightings, "refusals": 0}
    fields.update(over)
    return Profile(**fields)


def test_hour_gap_crosses_midnight() -> None:
    assert hour_gap(23.5, 0.5) == 1.0 and hour_gap(1, 13) == 12 and hour_gap(6, 4) == 2


def test_the_person_of_the_usual_place_and_hour_is_likely() -> None:
    case = Case(BASE[0], BASE[1], T0 + timedelta(minutes=20), ("elderly",), "老大爷穿军大衣")
    found = suggest(case, [profile("near"), profile("far", east_m=600), profile("late", hours=8)], POLICY, TZ)
    assert [s.person_id for s in found] == ["near"]
    assert likely(found, POLICY) == found[0]
    assert any("军大衣" in r for r in found[0].reasons)


def test_contradicting_description_excludes_the_file() -> None:
    at = T0 + timedelta(minutes=5)
    assert suggest(Case(BASE[0], BASE[1], at, (), "一名女子坐在路边"), [profile("him")], POLICY, TZ) == []
    assert suggest(Case(BASE[0], BASE[1], at, ("minor",), ""), [profile("him")], POLICY, TZ) == []
    assert suggest(Case(BASE[0], BASE[1], at, (), "老人穿黑羽绒服"), [profile("him")], POLICY, TZ) == []  # file: 军大衣
    assert len(suggest(Case(BASE[0], BASE[1], at, (), "老人穿大衣"), [profile("him")], POLICY, TZ)) == 1  # a coat is a coat
    red = profile("red", appearance="红色围巾")
    assert suggest(Case(BASE[0], BASE[1], at, (), "老人戴黑围巾"), [red], POLICY, TZ) == []
    assert len(suggest(Case(BASE[0], BASE[1], at, (), "老人戴红围巾"), [red], POLICY, TZ)) == 1
    assert case_sex(Case(0, 0, at, (), "the man and the woman"), POLICY) == "unknown"
    assert case_sex(Case(0, 0, at, (), "theme park"), POLICY) == "unknown"  # "he" is a word, not a substring


def test_two_people_sharing_a_bench_are_not_merged_by_a_guess() -> None:
    case = Case(BASE[0], BASE[1], T0, (), "")
    found = suggest(case, [profile("a"), profile("b", appearance="红帽子")], POLICY, TZ)
    assert len(found) == 2 and likely(found, POLICY) is None


def test_a_file_never_seen_is_never_suggested() -> None:
    assert suggest(Case(BASE[0], BASE[1], T0), [replace(profile("x"), sightings=())], POLICY, TZ) == []
