"""The shared number and time checks every reader of outside data uses."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from core.validate import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    NotFinite,
    finite,
    is_finite_number,
    is_number,
    plausible_year,
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
