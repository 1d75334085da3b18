"""Versioned schema: each migration runs once, in order, in its own transaction.

Never edit a released migration; add the next one. `schema_migrations` says
which versions a database has. Types are the portable subset: TEXT (times are
UTC ISO 8601 strings, so they sort and compare as text), BIGINT, INTEGER,
DOUBLE PRECISION.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.db import Database


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "stream tables: read positions, dispatch events, incidents, reports, conditions",
        (
            """CREATE TABLE ledger_offsets (
                topic TEXT NOT NULL, part INTEGER NOT NULL, next_offset BIGINT NOT NULL,
                PRIMARY KEY (topic, part))""",
            """CREATE TABLE dispatch_events (
                event_id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, revision INTEGER NOT NULL,
                kind TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL)""",
            "CREATE INDEX dispatch_events_incident ON dispatch_events (incident_id, revision)",
            """CREATE TABLE incidents (
                incident_id TEXT PRIMARY KEY, first_report_at TEXT NOT NULL, district TEXT NOT NULL,
                zone_id TEXT, key_area TEXT, lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL,
                category TEXT NOT NULL, priority TEXT NOT NULL, flags TEXT NOT NULL, channels TEXT NOT NULL,
                persons INTEGER, text TEXT NOT NULL, cold_wave TEXT NOT NULL,
                dispatched_at TEXT, on_scene_at TEXT, resolved_at TEXT, team_id TEXT, outcome TEXT,
                escalations INTEGER NOT NULL, followups INTEGER NOT NULL, status TEXT NOT NULL,
                last_revision INTEGER NOT NULL, last_at TEXT NOT NULL)""",
            "CREATE INDEX incidents_first_report ON incidents (first_report_at)",
            """CREATE TABLE reports (
                report_id TEXT PRIMARY KEY, source TEXT NOT NULL, channel TEXT NOT NULL, at TEXT NOT NULL,
                district TEXT NOT NULL, lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL)""",
            "CREATE INDEX reports_at ON reports (at)",
            """CREATE TABLE conditions (
                region TEXT NOT NULL, at TEXT NOT NULL, cold_wave_level TEXT NOT NULL, night INTEGER NOT NULL,
                temp_c DOUBLE PRECISION, wind_chill_c DOUBLE PRECISION,
                PRIMARY KEY (region, at))""",
        ),
    ),
    Migration(
        2,
        "person files: profiles, identities kept apart, links, notes, escalations, read audit",
        (
            """CREATE TABLE persons (
                person_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
                sex TEXT NOT NULL, age_group TEXT NOT NULL, appearance TEXT NOT NULL, languages TEXT NOT NULL,
                health_notes TEXT NOT NULL, risk_notes TEXT NOT NULL, needs TEXT NOT NULL, helps TEXT NOT NULL,
                anonymized_at TEXT)""",
            """CREATE TABLE person_identities (
                person_id TEXT PRIMARY KEY REFERENCES persons (person_id),
                name TEXT, phone TEXT, id_number TEXT)""",
            """CREATE TABLE person_links (
                incident_id TEXT NOT NULL, person_id TEXT NOT NULL REFERENCES persons (person_id),
                linked_at TEXT NOT NULL, linked_by TEXT NOT NULL,
                PRIMARY KEY (incident_id, person_id))""",
            "CREATE INDEX person_links_person ON person_links (person_id)",
            """CREATE TABLE person_notes (
                note_id TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES persons (person_id),
                at TEXT NOT NULL, by_whom TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL)""",
            "CREATE INDEX person_notes_person ON person_notes (person_id, at)",
            """CREATE TABLE ledger_escalations (
                escalation_id TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES persons (person_id),
                at TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL)""",
            """CREATE TABLE read_audit (
                audit_id TEXT PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL,
                person_id TEXT NOT NULL, what TEXT NOT NULL)""",
            "CREATE INDEX read_audit_person ON read_audit (person_id, at)",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        3,
        "sweep tasks: a place of tonight's sweep list sent to a team",
        (
            """CREATE TABLE sweep_tasks (
                task_id TEXT PRIMARY KEY, night TEXT NOT NULL, team_id TEXT NOT NULL, rank INTEGER NOT NULL,
                lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL, district TEXT NOT NULL, hours TEXT NOT NULL,
                persons TEXT NOT NULL, reasons TEXT NOT NULL, sent_by TEXT NOT NULL, sent_at TEXT NOT NULL,
                status TEXT NOT NULL, note TEXT NOT NULL, done_at TEXT)""",
            "CREATE INDEX sweep_tasks_team ON sweep_tasks (team_id, status)",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        4,
        "sweep tasks on the team's phone: accepted, then found or not found",
        (
            "ALTER TABLE sweep_tasks ADD COLUMN accepted_at TEXT",
            "ALTER TABLE sweep_tasks ADD COLUMN result TEXT NOT NULL DEFAULT ''",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        5,
        "incidents name their dispatch centre (the desk's, from its events; '' for events written before)",
        ("ALTER TABLE incidents ADD COLUMN centre TEXT NOT NULL DEFAULT ''",),
    ),
)

MIGRATIONS += (
    Migration(
        6,
        "conditions name their dispatch centre: two cities' city-wide weather ('*') at the same time are two rows",
        (
            """CREATE TABLE conditions_by_centre (
                centre TEXT NOT NULL, region TEXT NOT NULL, at TEXT NOT NULL, cold_wave_level TEXT NOT NULL,
                night INTEGER NOT NULL, temp_c DOUBLE PRECISION, wind_chill_c DOUBLE PRECISION,
                PRIMARY KEY (centre, region, at))""",
            "INSERT INTO conditions_by_centre (centre, region, at, cold_wave_level, night, temp_c, wind_chill_c) "
            "SELECT '', region, at, cold_wave_level, night, temp_c, wind_chill_c FROM conditions",
            "DROP TABLE conditions",
            "ALTER TABLE conditions_by_centre RENAME TO conditions",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        7,
        "incidents say when retention blanked their free text (NULL: not since their last event), so each is blanked once",
        ("ALTER TABLE incidents ADD COLUMN text_cleared_at TEXT",),
    ),
)

MIGRATIONS += (
    Migration(
        8,
        "reports name their dispatch centre: two centres' tips with one id (each desk took its own) are two rows",
        (
            """CREATE TABLE reports_by_centre (
                centre TEXT NOT NULL, report_id TEXT NOT NULL, source TEXT NOT NULL, channel TEXT NOT NULL, at TEXT NOT NULL,
                district TEXT NOT NULL, lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (centre, report_id))""",
            "INSERT INTO reports_by_centre (centre, report_id, source, channel, at, district, lat, lon) "
            "SELECT '', report_id, source, channel, at, district, lat, lon FROM reports",
            "DROP TABLE reports",
            "ALTER TABLE reports_by_centre RENAME TO reports",
            "CREATE INDEX reports_at ON reports (at)",
        ),
    ),
)

LATEST = MIGRATIONS[-1].version


def current_version(db: Database) -> int:
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    row = db.one("SELECT MAX(version) AS v FROM schema_migrations")
    return int(row["v"]) if row and row["v"] is not None else 0


def migrate(db: Database, target: int = LATEST) -> list[int]:
    """Apply the missing migrations up to `target`; returns the versions applied."""
    applied = []
    for migration in MIGRATIONS:
        if migration.version > target:
            break
        with db.transaction():
            # Locked and re-read inside the transaction: two processes migrating at once apply each version once.
            db.lock_schema()
            if migration.version <= current_version(db):
                continue
            for statement in migration.statements:
                db.execute(statement)
            db.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (migration.version, migration.name))
        applied.append(migration.version)
    return applied
