"""The shared number and time checks every reader of outside data uses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from core.validate import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    NotFinite,
    coordinates_in,
    field_hints,
    finite,
    is_finite_number,
    is_number,
    mistyped_field,
    plausible_year,
    read_coordinate,
    read_number,
    whole,
)


@pytest.mark.parametrize("value", [0, -3, 2.5, 1e300])
def test_finite_numbers_pass_as_floats(value: float) -> None:
    assert finite(value) == float(value) and isinstance(finite(value), float)
    assert is_number(value) and is_finite_number(value)


@pytest.mark.parametrize("value", [True, False, "1", None, [1], {"v": 1}])
def test_non_numbers_are_type_errors(value: object) -> None:
    with pytest.raises(TypeError):
        finite(value)
    assert not is_number(value) and not is_finite_number(value)


def test_non_finite_numbers_say_whether_too_large() -> None:
    with pytest.raises(NotFinite) as huge:
        finite(10**400)
    assert huge.value.too_large and str(huge.value) == "not finite (too large)"
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(NotFinite) as bad:
            finite(value)
        assert not bad.value.too_large and str(bad.value) == "not finite"
        assert is_number(value) and not is_finite_number(value)


def test_whole_numbers_in_range() -> None:
    assert whole(640, 1, 1000) == 640 and whole(640.0, 1, 1000) == 640 and isinstance(whole(640.0, 1, 1000), int)
    for value in (0, 1001, 2.5, True, "3", None, math.inf, 1e300):
        assert whole(value, 1, 1000) is None


def test_plausible_years_are_the_bounds_inclusive() -> None:
    assert (EARLIEST_YEAR, LATEST_YEAR) == (2000, 2099)
    assert plausible_year(datetime(2000, 1, 1, tzinfo=UTC)) and plausible_year(datetime(2099, 12, 31, tzinfo=UTC))
    assert not plausible_year(datetime(1999, 12, 31, tzinfo=UTC)) and not plausible_year(datetime(2100, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(45.77, 45.77), (45, 45.0), ("45.77", 45.77), (" -3 ", -3.0), ("4.5e1", 45.0), (".5", 0.5),
     (True, "expected a number, got boolean True"), ({"v": 1}, "expected a number, got object {'v': 1}"),
     (None, "expected a number, got null None"), ("north", "expected a number, got string 'north'"),
     ("1_0", "expected a number, got string '1_0'"), (math.nan, "not a finite number"), ("1e999", "not a finite number"),
     pytest.param(10**400, "not a finite number (too large)", id="10**400")],
)
def test_read_number_gives_the_number_or_the_reason(value: object, expected: float | str) -> None:
    assert read_number(value) == expected


@pytest.mark.parametrize(
    ("value", "axis", "expected"),
    [(47.341, "lat", 47.341), ("47.341", "lat", 47.341), ("47.341N", "lat", 47.341), ("47,341", "lat", 47.341),
     ("北纬47.341", "lat", 47.341), ("123.969E", "lon", 123.969), ("45°46'24.6\"S", "lat", -(45 + 46 / 60 + 24.6 / 3600)),
     ("nan", "lat", "expected a number or a coordinate such as 45.7735N, got string 'nan'"),
     ("126.6E", "lat", "'126.6E' names a longitude (lat and lon swapped?)"),
     ("45°61'N", "lat", "\"45°61'N\" has minutes or seconds of 60 or more"),
     (math.inf, "lon", "not a finite number"), pytest.param(10**400, "lat", "not a finite number (too large)", id="10**400"),
     (False, "lat", "expected a number, got boolean False"), ([45.7], "lat", "expected a number, got array [45.7]")],
)
def test_read_coordinate_gives_the_number_or_the_reason(value: object, axis: str, expected: float | str) -> None:
    """One reading of a position's number or text for intake (which refuses with the reason) and routing (which
    routes by the record's other fields instead)."""
    found = read_coordinate(value, axis)
    assert found == pytest.approx(expected) if isinstance(expected, float) else found == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45.7598, 126.6335", (45.7598, 126.6335)),
        ("lat: 45.7612 lon: 126.6310", (45.7612, 126.631)),
        ("纬度45.7612 经度126.6310", (45.7612, 126.631)),
        ("N45.7612 E126.6310", (45.7612, 126.631)),
        ("45.7612N, 126.6310E", (45.7612, 126.631)),
        ("126.6310E 45.7612N", (45.7612, 126.631)),  # hemispheres, in either order
        ("45°45'39.6\"N 126°37'51.6\"E", (45.761, 126.631)),
        ("北纬45度45分39.6秒 东经126度37分51.6秒", (45.761, 126.631)),
        ("４５．７６１２，１２６．６３１０", (45.7612, 126.631)),  # full width
        ("S33.8688 E151.2093", (-33.8688, 151.2093)),
        ("-33.8688, 151.2093", (-33.8688, 151.2093)),
        ("126.6310, 45.7612", (126.631, 45.7612)),  # as written: the caller judges it (swapped)
        ("尚志大街7号", None),  # a house number is no coordinate
        ("红军街15号，3.5公里", None),
        ("零下30度，45.76", None),  # a temperature, and one number alone
        ("-15 °C, 30 °C", None),
        ("N45.7612 N126.6310", None),  # two latitudes
        ("45°75' 126.63", None),  # 75 minutes
        ("45.7612, 126.6310, 47.3410", None),  # three numbers: which two?
    ],
)
def test_coordinates_in_text_are_read_as_a_pair(text: str, expected: tuple[float, float] | None) -> None:
    found = coordinates_in(text)
    assert found == (None if expected is None else (pytest.approx(expected[0]), pytest.approx(expected[1])))


@dataclass
class _Typed:
    name: str
    note: str | None
    flags: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    count: int
    share: float | None
    at: datetime | None  # a time is its decoder's to check


@pytest.mark.parametrize(
    ("change", "wrong"),
    [
        ({}, None),
        ({"note": None, "share": None, "at": "not checked here"}, None),
        ({"name": 5}, "name"),
        ({"name": None}, "name"),  # None only where the type allows it
        ({"flags": ("a", 1)}, "flags"),
        ({"flags": ["a"]}, "flags"),
        ({"rows": ("a",)}, "rows"),
        ({"count": 2.5}, "count"),
        ({"count": True}, "count"),  # a bool is no number
        ({"share": float("nan")}, "share"),
        ({"share": "0.5"}, "share"),
        ({"share": 2, "count": -7}, None),  # an int is a float's number too
        ({"count": 10**400}, "count"),  # too large for a float: no finite number
        ({"share": -(10**400)}, "share"),
        ({"share": float("inf")}, "share"),
        ({"flags": (), "rows": ()}, None),
        ({"name": 5, "count": "x"}, "name"),  # the first in field order
    ],
)
def test_mistyped_field_names_the_first_field_not_of_its_type(change: dict[str, Any], wrong: str | None) -> None:
    values: dict[str, Any] = {"name": "n", "note": "x", "flags": ("a",), "rows": ({},), "count": 3, "share": 0.5, "at": None}
    record = _Typed(**(values | change))
    hints = field_hints(_Typed)
    for _ in range(2):  # the second call reads the plan made by the first
        found = mistyped_field(record, hints)
        assert (found[0] if found else None) == wrong
    if wrong is not None:
        assert found == (wrong, hints[wrong], getattr(record, wrong))
    # a hints dict of its own gets its own plan: a field left out is not checked
    if len(change) == 1:
        assert mistyped_field(record, {k: v for k, v in hints.items() if k != wrong}) is None
