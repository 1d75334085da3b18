"""Desk fixtures shared by the desk's rule tests and the console's (which feed its events to the view): a fresh desk and a report maker near the city centre."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from core.records import Report
from geo.distance import offset_latlon
from rules.context import Context
from rules.desk import Desk
from tests.unit.rules.deskkit import CENTRE, EVENING


@pytest.fixture
def desk(ctx: Context) -> Desk:
    return Desk(ctx, "harbin")


@pytest.fixture
def report(ctx: Context) -> Callable[..., Report]:
    """Reports `tip-1`, `tip-2`... at `lat`/`lon`, or `east_m` metres east of the centre."""
    counter = iter(range(1, 10_000))

    def make(at: datetime = EVENING, lat: float = CENTRE[0], lon: float = CENTRE[1], flags: tuple[str, ...] = (),
             east_m: float = 0.0, **kw: object) -> Report:
        if east_m:
            lat, lon = offset_latlon(lat, lon, east_m, 0)
        where = ctx.index.locate(lat, lon)
        values: dict[str, object] = {"report_id": f"tip-{next(counter)}", "source": "tip", "channel": "hotline", "at": at,
                                     "lat": lat, "lon": lon, "district": where.district or "", "zone_id": where.zone_id,
                                     "key_area": where.key_area, "flags": flags}
        values.update(kw)
        return Report(**values)  # type: ignore[arg-type]

    return make
