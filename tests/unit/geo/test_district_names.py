"""A weather record's region, and a record routed by region, may name a district by id or by name, in any spelling."""

from __future__ import annotations

import dataclasses

import pytest

from core.errors import RecordError
from core.settings import DATA_DIR
from geo.centres import centre_of_region
from geo.city import District
from rules.context import Context, Province, load_province
from rules.intake import parse_weather

OBS = {"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -21.0, "wind_ms": 4.0}
WARNING = {"level": "orange", "issued_at": "2026-12-20T20:00:00+08:00"}


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml",
                         {name: DATA_DIR / "cities" / name for name in ("harbin", "qiqihar")})


@pytest.mark.parametrize("name", ["daoli", "道里区", "道里", "Daoli", "daoli district", "Daoli District", "DAOLI",
                                  "道裡區", "Ｄａｏｌｉ", " daoli  District "])
def test_a_district_is_named_by_its_id_or_its_names(ctx: Context, name: str) -> None:
    region, obs = parse_weather({"region": name, **OBS}, ctx)
    assert region == "daoli" and obs.region == "daoli"
    region, warning = parse_weather({"region": name, **WARNING}, ctx)
    assert region == "daoli" and warning.region == "daoli"


def test_a_remark_in_the_english_name_is_not_needed(ctx: Context) -> None:
    """Songbei's English name is "Songbei District (north bank)"."""
    assert parse_weather({"region": "Songbei District", **OBS}, ctx)[0] == "songbei"
    assert parse_weather({"region": "松北", **OBS}, ctx)[0] == "songbei"


@pytest.mark.parametrize("name", ["nowhere", "区", "district", "道", "daol"])
def test_an_unknown_name_is_still_refused(ctx: Context, name: str) -> None:
    with pytest.raises(RecordError) as err:
        parse_weather({"region": name, **OBS}, ctx)
    assert err.value.kind == "unknown_region" and "daoli (道里区)" in str(err.value)


def test_a_name_two_districts_fit_is_refused_with_the_reason(ctx: Context) -> None:
    daoli = ctx.city.district("daoli")
    assert daoli is not None
    twin = District(id="daoli_new", name="道里区", name_en="Daoli New District", polygon=daoli.polygon)
    city = dataclasses.replace(ctx.city, districts=(*ctx.city.districts, twin))
    twins = dataclasses.replace(ctx, city=city)
    with pytest.raises(RecordError) as err:
        parse_weather({"region": "道里区", **OBS}, twins)
    assert err.value.kind == "ambiguous_region" and "daoli, daoli_new" in str(err.value)
    assert parse_weather({"region": "daoli", **OBS}, twins)[0] == "daoli"  # an id is never ambiguous
    assert parse_weather({"region": "daoli new", **OBS}, twins)[0] == "daoli_new"


def test_records_route_to_the_centre_by_a_district_name(province: Province) -> None:
    assert province.route({"region": "铁锋区", "temp_c": -20}) == "qiqihar"
    assert province.route({"region": "Tiefeng", "temp_c": -20}) == "qiqihar"
    assert province.route({"region": "道里", "temp_c": -20}) == "harbin"
    assert province.route({"region": "nowhere", "temp_c": -20}) is None


def test_a_name_two_cities_share_routes_nowhere(province: Province) -> None:
    harbin = province.centres["harbin"].city
    qiqihar = province.centres["qiqihar"].city
    tiefeng = qiqihar.district("tiefeng")
    assert tiefeng is not None
    twin = dataclasses.replace(tiefeng, id="tiefeng_h")
    cities = {"harbin": dataclasses.replace(harbin, districts=(*harbin.districts, twin)), "qiqihar": qiqihar}
    assert centre_of_region(cities, "铁锋区") is None
    assert centre_of_region(cities, "tiefeng") == "qiqihar" and centre_of_region(cities, "tiefeng_h") == "harbin"
