"""Times, places and a team helper for the desk's rule tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.records import TeamStatus
from geo.distance import offset_latlon
from rules.desk import Desk, Outputs

TZ = ZoneInfo("Asia/Shanghai")
EVENING = datetime(2026, 12, 20, 19, 0, tzinfo=TZ)  # not night
NIGHT = datetime(2026, 12, 20, 23, 0, tzinfo=TZ)
CENTRE = (45.7600, 126.6300)


def team(desk: Desk, team_id: str, east_m: float, caps: tuple[str, ...] = ("social_work",), at: datetime = EVENING,
         status: str = "available", north_m: float = 0.0) -> Outputs:
    """A team's status `east_m` metres east (and `north_m` north) of the centre."""
    lat, lon = offset_latlon(*CENTRE, east_m, north_m)
    return desk.handle_team_status(TeamStatus(team_id=team_id, at=at, status=status, lat=lat, lon=lon, capabilities=caps))
