"""The dispatch desk: incidents, teams and deadlines, split by concern.

`Desk` coordinates; the rules are pure functions in the modules beside it.
The package offers `Desk`, its records `Incident`, `Team` and `Outputs`, and
the id helpers `stable_id` and `fingerprint`. Its modules:

- `desk`: `Desk`, the coordinator that feeds each input through the rules.
- `model`: the state records (`Incident`, `Team`) and what one input produced (`Outputs`).
- `state`: `DeskState`, the whole state as plain tables with the entries each input changed.
- `matching`: which incident a report is about (`match`) and what it adds (`add_report`).
- `assessment`: an incident's category and priority under the current night and weather (`reassess`).
- `dispatching`: who can take an incident (`nearest_team`) and the order queued incidents are offered.
- `timers`: overdue acknowledgements, due follow-ups, escalation targets.
- `conditions`: weather per region as the desk judges it, and which regions changed.
- `events`: dispatch events for consoles and files, tasks for team phones.
"""

from rules.desk.desk import Desk
from rules.desk.model import Incident, Outputs, Team, fingerprint, stable_id

__all__ = ["Desk", "Incident", "Outputs", "Team", "fingerprint", "stable_id"]
