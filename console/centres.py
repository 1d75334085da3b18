"""Which dispatch centre a record the console writes to a desk input belongs to: its Kafka key.

The desk's inputs are keyed by centre (`pipeline.partitioning`), so one
partition, and on Apache Kafka one worker, holds a whole centre. An
operator's ack or command and a team's ack or assessment belong to the
centre of the incident (the one its desk names on its events, even when the
incident's position has since moved across a border; by the position only
for events written before the desk named it); a phone's position to the
team's centre. The routing is
`geo.centres` through `rules.context.Province`, so the console and the
desk agree. Without a province (unit tests), or when no centre claims the
record, the console keys it as before (incident or team id) and the desk
sends it home.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import RecordError
from core.records import DispatchEvent
from rules.context import Province
from rules.intake import parse_team_status


class CentreKeys:
    """The key of each desk input the console writes: the centre's id, else the record's own id."""

    def __init__(self, province: Province | None = None) -> None:
        self.province = province

    def of_incident(self, latest: DispatchEvent) -> str:
        """The centre of an incident: the one whose desk wrote its latest event (`Province.centre_of`)."""
        centre = latest.centre if self.province is None else self.province.centre_of(latest)
        return centre or latest.incident_id

    def of_team(self, team_id: str) -> str:
        """The centre whose city lists the team."""
        return self._route({"team_id": team_id}) or team_id

    def status_refusal(self, obj: Mapping[str, Any]) -> str | None:
        """Why the desk refuses a `team-status` record (its own parser, against the city of the team's centre), else None.

        The console showed every status on the operators' map, also those the desk refused: a vehicle tracker's fix
        at 0, 0 with `off_duty`, a status no desk knows, a position in another province. Operators saw the team gone
        or off duty while the desk, which kept its last good status, still gave it tasks.
        """
        if self.province is None:
            return None
        centre = self.province.route(obj)
        if centre is None or centre not in self.province.centres:
            return "no dispatch centre holds it"
        try:
            parse_team_status(dict(obj), self.province.centres[centre])
        except RecordError as exc:
            return exc.reason
        return None

    def _route(self, obj: dict[str, object]) -> str | None:
        return None if self.province is None else self.province.route(obj)
