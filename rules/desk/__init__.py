"""The dispatch desk: incidents, teams and deadlines, split by concern.

`Desk` coordinates; the rules are pure functions in the modules beside it.
The package offers `Desk`, its records `Incident`, `Team` and `Outputs`, and
the id helpers `stable_id`, `incident_id_of` and `fingerprint`. Its modules:

- `desk`: `Desk`, the coordinator that feeds each input through the rules.
- `model`: the state records (`Incident`, `Team`) and what one input produced (`Outputs`).
- `state`: `DeskState`, the whole state as plain tables with the entries each input changed.
- `matching`: which incidents a report can be about (`matches`, `match`), what it adds (`add_report`), merges (`mergeable`, `absorb`, `relocate`).
- `assessment`: an incident's category and priority under the current night and weather (`reassess`).
- `dispatching`: who can take an incident by ETA (`choose`, `eta_min`), `diversion`, and the order queued incidents are offered (`queue_order`).
- `retention`: which closed incidents the desk forgets, after the policy's retention of event time (`expired`, `closed_since`).
- `timers`: overdue acknowledgements and queued tasks, unit timers, due follow-ups, escalation targets; `Wakes`, when each incident's timers may next come due (a tick checks only those).
- `destinations`: where the person is taken, by need and opening hours (`destination`).
- `conditions`: weather per region as the desk judges it, and which regions changed.
- `events`: dispatch events for consoles and files, tasks for team phones.
- `commands`: operators' and teams' orders (assign, support, merge, split, priority, assess), applied or refused with an answer (`run`, `Refused`).
"""

from rules.desk.desk import Desk
from rules.desk.model import Incident, Outputs, Team, fingerprint, incident_id_of, stable_id

__all__ = ["Desk", "Incident", "Outputs", "Team", "fingerprint", "incident_id_of", "stable_id"]
