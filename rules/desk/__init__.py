"""The dispatch desk: incidents, teams and deadlines, split by concern.

`Desk` coordinates; the rules are pure functions in the modules beside it.
"""

from rules.desk.desk import Desk
from rules.desk.model import Incident, Outputs, Team, fingerprint, stable_id

__all__ = ["Desk", "Incident", "Outputs", "Team", "fingerprint", "stable_id"]
