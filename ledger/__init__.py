"""The person ledger (一人一档) and the reports up the chain (信息报送), on SQLite or PostgreSQL.

Layer 2 beside `rules` and `thermal` (imports only `core` and `geo`); the
feeder that reads the stream into it is `agents.ledger`. Its modules:

- `db`: `Database`, one handle for SQLite and PostgreSQL with every dialect difference; `DatabaseError`.
- `migrations`: the versioned schema, `MIGRATIONS`, `migrate` and `current_version`.
- `policy`: `LedgerPolicy` from data/ledger.toml (`load_ledger_policy`), checked with file and line.
- `fold`: `fold_incident`, an incident's row from its dispatch events (pure); `parse_dispatch`, `utc_text`.
- `profile`: `Profile`, `Contact`, `Sighting` and the refusal rule `social_work_due` (pure).
- `match`: `suggest` and `likely`, the files a new incident may be (pure).
- `sweep`: `sweep_list`, tonight's places ranked by risk (with the city's `gathering_places`), its `coverage`, and `of_centre`, which past incidents are one centre's (pure).
- `hints`: `task_hint`, what a team's task is told about the person (linked or likely file, team-level summary) (pure).
- `report`: `aggregate` into a `Report`, `to_csv` and `to_html`, `report_day` (pure).
- `store`: `Store`, idempotent upserts from the stream, person files, links, audit, retention; `apply_record`.
- `centres`: `LedgerCentres`, the deployment's dispatch centres over one ledger: each one's sweep list, report and time zone.

Import the modules (`from ledger import store`); this package file imports nothing.
"""

__all__ = ["centres", "db", "fold", "hints", "match", "migrations", "policy", "profile", "report", "store", "sweep"]
