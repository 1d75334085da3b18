"""Weather as the desk judges it per region, and which regions changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.records import CITY_WIDE
from rules.context import Context
from rules.weather import RegionConditions, RegionWeather, conditions, is_night


def region_conditions(weather: dict[str, RegionWeather], region: str, at: datetime, ctx: Context) -> RegionConditions:
    """A region's conditions from its own history and the city-wide one."""
    return conditions(weather.get(region), weather.get(CITY_WIDE), at, ctx.policy)


def changed_views(weather: dict[str, RegionWeather], published: dict[str, dict[str, Any]], at: datetime,
                  ctx: Context) -> list[dict[str, Any]]:
    """Each region whose judgement differs from the last one published, as a `conditions` record.

    Updates `published` to what is returned, in region order.
    """
    night = is_night(at, ctx.policy, ctx.city.timezone)
    changed: list[dict[str, Any]] = []
    for region in sorted({d.id for d in ctx.city.districts}):
        cond = region_conditions(weather, region, at, ctx)
        view = {
            "region": region,
            "cold_wave_level": cond.cold_wave_level,
            "night": night,
            "severe_cold": cond.severe_cold,
            "warning_level": cond.warning_level,
            "snow": cond.snow,
        }
        if published.get(region) != view:
            published[region] = view
            changed.append({**view, "at": at, "temp_c": cond.temp_c, "wind_ms": cond.wind_ms, "wind_chill_c": cond.wind_chill_c})
    return changed
