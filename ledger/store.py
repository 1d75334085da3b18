"""Ledger storage: idempotent upserts from the stream, person files, links, audit.

Every write from the stream is keyed by the id it carries (event id, report
id, region + time), so applying a record twice changes nothing. Person
identities (name, phone, ID number) live in their own table and leave it only
masked.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import topics as names
from core.errors import RecordError
from core.records import COLD_WAVE_LEVELS, REPORT_CHANNELS, REPORT_SOURCES, DispatchEvent, TaskHint, maybe_time
from core.validate import id_problem
from ledger.db import Database, RowRefused
from ledger.fold import fold_incident, parse_dispatch, stored_dispatch, utc_text
from ledger.hints import task_hint, task_teams
from ledger.migrations import migrate
from ledger.policy import LedgerPolicy
from ledger.profile import Contact, Profile, Sighting, social_work_due
from ledger.report import Report, ReportScope, aggregate, day_of, in_city, report_day
from ledger.sweep import Gathering, Seen, SweepStop, sweep_list

log = logging.getLogger(__name__)

INCIDENT_COLUMNS: tuple[str, ...] = (
    "incident_id", "first_report_at", "district", "zone_id", "key_area", "lat", "lon", "category", "priority",
    "flags", "channels", "persons", "text", "cold_wave", "dispatched_at", "on_scene_at", "resolved_at", "team_id",
    "outcome", "escalations", "followups", "status", "last_revision", "last_at",
)  # fmt: skip
PROFILE_TEXT: tuple[str, ...] = ("appearance", "languages", "health_notes", "risk_notes", "needs", "helps")
SEXES: tuple[str, ...] = ("unknown", "male", "female")
AGE_GROUPS: tuple[str, ...] = ("unknown", "child", "minor", "adult", "elderly")
NOTE_KINDS: tuple[str, ...] = ("note", "followup", "referral", "refusal")
# What the ledger reads from the stream (unprefixed topic names).
LEDGER_TOPICS: tuple[str, ...] = (names.DISPATCH, names.REPORTS, names.CONDITIONS)


# What a team reports on a sweep task from its phone.
SWEEP_REPORTS: tuple[str, ...] = ("accepted", "found", "not_found")


def upsert(table: str, key: Sequence[str], row: dict[str, Any], *, update: bool = True) -> tuple[str, list[Any]]:
    """Portable `INSERT ... ON CONFLICT (key) DO UPDATE` (or `DO NOTHING`: first write wins) for one row."""
    columns = list(row)
    updates = [c for c in columns if c not in key] if update else []
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) ON CONFLICT ({', '.join(key)}) "
    sql += f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in updates)}" if updates else "DO NOTHING"
    return sql, [row[c] for c in columns]


def stable_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


def mask(value: str | None, keep_end: int = 0) -> str | None:
    """`张三丰` -> `张**`, `13812345678` -> `*******5678`: enough to recognise, not to copy."""
    if not value:
        return None
    if keep_end:
        return "*" * max(0, len(value) - keep_end) + value[-keep_end:]
    return value[0] + "*" * (len(value) - 1)


@dataclass
class PersonInput:
    """What an operator or team records when opening a file."""

    sex: str = "unknown"
    age_group: str = "unknown"
    appearance: str = ""
    languages: str = ""
    health_notes: str = ""
    risk_notes: str = ""
    needs: str = ""
    helps: str = ""
    identity: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if self.sex not in SEXES:
            raise RecordError(f"sex: one of {', '.join(SEXES)}", kind="invalid")
        if self.age_group not in AGE_GROUPS:
            raise RecordError(f"age_group: one of {', '.join(AGE_GROUPS)}", kind="invalid")
        for name in PROFILE_TEXT:
            value = getattr(self, name)
            if not isinstance(value, str) or len(value) > 2000 or "\x00" in value:
                raise RecordError(f"{name}: a text of at most 2000 characters, without NUL", kind="invalid")
        for name, value in self.identity.items():
            if name not in ("name", "phone", "id_number") or not isinstance(value, str) or len(value) > 100 or "\x00" in value:
                raise RecordError(f"identity.{name}: name, phone or id_number, a short text", kind="invalid")


@dataclass(frozen=True)
class Anonymized:
    """What one run of the retention rule (`Store.anonymize`) did."""

    persons: list[str]  # the files anonymized
    incidents: list[str]  # the incidents whose free text was blanked (events and row)
    sweep_notes: int  # the teams' sweep-task notes blanked


class Store:
    """The ledger on one database connection."""

    def __init__(self, db: Database, policy: LedgerPolicy) -> None:
        self.db = db
        self.policy = policy
        self._stale: set[str] | None = None  # inside `batch()`: incidents whose rows wait for its end
        self._unfolded: list[tuple[str, str]] = []  # (incident id, why) of rows `settle` could not fold

    @classmethod
    def open(cls, url: str, policy: LedgerPolicy) -> Store:
        db = Database(url)
        migrate(db)
        return cls(db, policy)

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ read positions

    def offsets(self) -> dict[tuple[str, int], int]:
        return {(r["topic"], int(r["part"])): int(r["next_offset"]) for r in self.db.query("SELECT topic, part, next_offset FROM ledger_offsets")}

    def set_offset(self, topic: str, part: int, next_offset: int) -> None:
        self.db.execute(*upsert("ledger_offsets", ("topic", "part"), {"topic": topic, "part": part, "next_offset": next_offset}))

    # ------------------------------------------------------------ stream records

    def apply_dispatch(self, data: Any) -> DispatchEvent:
        """One dispatch event: stored once by event id, then its incident row recomputed; returns the event."""
        event = parse_dispatch(data, self.policy.max_ahead_min)
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
        row = {"event_id": event.event_id, "incident_id": event.incident_id, "revision": event.revision, "kind": event.kind, "at": utc_text(event.at), "payload": payload}
        with self.db.transaction():
            # Events are immutable by id: a replay neither doubles nor rewrites one (nor undoes an anonymization),
            # and an event already stored leaves its incident's row as it is.
            if self.db.execute(*upsert("dispatch_events", ("event_id",), row, update=False)):
                if self._stale is None:
                    self.refresh_incident(event.incident_id)
                else:
                    self._stale.add(event.incident_id)
        return event

    @contextlib.contextmanager
    def batch(self) -> Iterator[Store]:
        """One transaction whose incident rows are folded once each, at its end.

        Folding reads every event of the incident, so a feeder catching up on an
        incident with hundreds of events (a night of missed acknowledgements)
        would otherwise fold it once per event: quadratic in its events.
        """
        with self.db.transaction():
            if self._stale is not None:  # nested: the outer batch folds
                yield self
                return
            self._stale = set()
            try:
                yield self
                self.settle()
            finally:
                self._stale = None

    def settle(self) -> None:
        """Fold the incidents this batch has changed so far (reads of incident rows need them).

        Each incident folds in its own savepoint, after its records' savepoints have closed: one whose
        row cannot be made or stored keeps its last row and waits in `take_unfolded` (the feeder
        dead-letters it) instead of stopping the feeder, which would meet the same events at each restart.
        """
        if self._stale:
            for incident_id in sorted(self._stale):
                try:
                    with self.db.savepoint():
                        self.refresh_incident(incident_id)
                except (RowRefused, RecordError, TypeError, ValueError, OverflowError) as exc:
                    log.warning("incident %s keeps its last row: %s: %s", incident_id, type(exc).__name__, exc)
                    self._unfolded.append((incident_id, f"{type(exc).__name__}: {exc}"))
            self._stale.clear()

    def take_unfolded(self) -> list[tuple[str, str]]:
        """The incidents whose rows `settle` could not fold since the last call, with why."""
        out, self._unfolded = self._unfolded, []
        return out

    def refresh_incident(self, incident_id: str) -> None:
        rows = self.db.query("SELECT payload FROM dispatch_events WHERE incident_id = ?", (incident_id,))
        folded = fold_incident([stored_dispatch(json.loads(r["payload"])) for r in rows], dict(self.policy.outcomes).get("not_found", ()))
        folded["text_cleared_at"] = None  # a new event may bring new text: retention looks at the incident again
        self.db.execute(*upsert("incidents", ("incident_id",), folded))
        for link in self.db.query("SELECT person_id FROM person_links WHERE incident_id = ?", (incident_id,)):
            self.check_refusals(link["person_id"])

    def apply_report(self, data: Any) -> None:
        _check_report_names(data)
        try:
            at = maybe_time(data["at"])
            row = {
                "centre": str(data.get("centre") or ""),
                "report_id": str(data["report_id"]),
                "source": str(data["source"]),
                "channel": str(data["channel"]),
                "at": utc_text(at) if at and at.tzinfo else None,
                "district": str(data.get("district") or ""),
                "lat": _real(data["lat"]),
                "lon": _real(data["lon"]),
            }
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise RecordError(f"report: {type(exc).__name__}: {exc}", kind="invalid") from exc
        if row["at"] is None:
            raise RecordError("at: not an ISO 8601 time with offset", kind="invalid")
        # A report is its centre's (two desks each take their own `t-1`) and immutable by id: the desk refuses a resend
        # with other content as a `duplicate` and keeps the first, and so does the ledger.
        self.db.execute(*upsert("reports", ("centre", "report_id"), row, update=False))

    def apply_conditions(self, data: Any) -> None:
        try:
            at = maybe_time(data["at"])
            level = str(data["cold_wave_level"])
            row = {
                "centre": str(data.get("centre") or ""),
                "region": str(data["region"]),
                "at": utc_text(at) if at and at.tzinfo else None,
                "cold_wave_level": level,
                "night": 1 if data.get("night") else 0,
                "temp_c": None if data.get("temp_c") is None else _real(data["temp_c"]),
                "wind_chill_c": None if data.get("wind_chill_c") is None else _real(data["wind_chill_c"]),
            }
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise RecordError(f"conditions: {type(exc).__name__}: {exc}", kind="invalid") from exc
        if row["at"] is None or level not in COLD_WAVE_LEVELS:
            raise RecordError("conditions: bad time or cold-wave level", kind="invalid")
        self.db.execute(*upsert("conditions", ("centre", "region", "at"), row))

    # ------------------------------------------------------------ person files

    def open_person(self, person: PersonInput, *, by: str, at: datetime, request_id: str | None = None) -> str:
        """A new file; the same `request_id` twice opens it once."""
        person.validate()
        person_id = stable_id("P", request_id) if request_id else f"P-{uuid.uuid4().hex[:12]}"
        row = {"person_id": person_id, "created_at": utc_text(at), "created_by": by, "sex": person.sex, "age_group": person.age_group}
        row.update({name: getattr(person, name) for name in PROFILE_TEXT})
        with self.db.transaction():
            self.db.execute(*upsert("persons", ("person_id",), row, update=False))
            if person.identity:
                ident = {"person_id": person_id, **{k: person.identity.get(k) for k in ("name", "phone", "id_number")}}
                self.db.execute(*upsert("person_identities", ("person_id",), ident, update=False))  # a resend rewrites nothing
        return person_id

    def person_exists(self, person_id: str) -> bool:
        return self.db.one("SELECT 1 AS x FROM persons WHERE person_id = ?", (person_id,)) is not None

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM incidents WHERE incident_id = ?", (incident_id,))

    def link(self, incident_id: str, person_id: str, *, by: str, at: datetime) -> bool:
        """Link an incident to a file (idempotent); True if the link is new."""
        with self.db.transaction():
            changed = self.db.execute(
                "INSERT INTO person_links (incident_id, person_id, linked_at, linked_by) VALUES (?, ?, ?, ?) ON CONFLICT (incident_id, person_id) DO NOTHING",
                (incident_id, person_id, utc_text(at), by),
            )
            self.check_refusals(person_id)
        return changed > 0

    def add_note(self, person_id: str, kind: str, text: str, *, by: str, at: datetime, note_id: str | None = None) -> str:
        if kind not in NOTE_KINDS:
            raise RecordError(f"kind: one of {', '.join(NOTE_KINDS)}", kind="invalid")
        if not isinstance(text, str) or not text.strip() or len(text) > 2000 or "\x00" in text:
            raise RecordError("text: 1 to 2000 characters, without NUL", kind="invalid")
        note_id = note_id or stable_id("N", person_id, kind, text, utc_text(at), by)
        self.db.execute(
            "INSERT INTO person_notes (note_id, person_id, at, by_whom, kind, text) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (note_id) DO NOTHING",
            (note_id, person_id, utc_text(at), by, kind, text.strip()),
        )
        return note_id

    def contacts(self, person_id: str) -> list[Contact]:
        return self._contacts("WHERE l.person_id = ?", (person_id,)).get(person_id, [])

    def _contacts(self, where: str, params: Sequence[Any]) -> dict[str, list[Contact]]:
        """Linked incidents per file, in time order (one query for any number of files)."""
        rows = self.db.query(
            "SELECT l.person_id, i.incident_id, i.first_report_at, i.lat, i.lon, i.outcome, i.cold_wave, i.flags, i.team_id "
            f"FROM person_links l JOIN incidents i ON i.incident_id = l.incident_id {where} ORDER BY i.first_report_at, i.incident_id",
            params,
        )
        out: dict[str, list[Contact]] = {}
        for r in rows:
            contact = Contact(
                incident_id=r["incident_id"],
                at=datetime.fromisoformat(r["first_report_at"]),
                lat=float(r["lat"]),
                lon=float(r["lon"]),
                outcome=r["outcome"],
                cold_wave=r["cold_wave"],
                flags=tuple(f for f in (r["flags"] or "").split(",") if f),
                team_id=r["team_id"],
            )
            out.setdefault(r["person_id"], []).append(contact)
        return out

    def check_refusals(self, person_id: str) -> str | None:
        """Escalate the file for a social-work plan when refusals pile up in a cold wave (once per run of refusals)."""
        reason = social_work_due(self.contacts(person_id), self.policy)
        if reason is None:
            return None
        first_incident, text, at = reason
        escalation_id = stable_id("SW", person_id, first_incident)
        self.db.execute(
            "INSERT INTO ledger_escalations (escalation_id, person_id, at, reason, status) VALUES (?, ?, ?, ?, 'open') ON CONFLICT (escalation_id) DO NOTHING",
            (escalation_id, person_id, utc_text(at), text),
        )
        return escalation_id

    def escalations(self, status: str | None = "open") -> list[dict[str, Any]]:
        if status is None:
            return self.db.query("SELECT * FROM ledger_escalations ORDER BY at, escalation_id")
        return self.db.query("SELECT * FROM ledger_escalations WHERE status = ? ORDER BY at, escalation_id", (status,))

    def close_escalation(self, escalation_id: str) -> bool:
        return self.db.execute("UPDATE ledger_escalations SET status = 'closed' WHERE escalation_id = ?", (escalation_id,)) > 0

    def profiles(self, person_ids: Iterable[str] | None = None) -> list[Profile]:
        """What matching and sweeps need of every live (not anonymized) file."""
        rows = self.db.query("SELECT * FROM persons WHERE anonymized_at IS NULL ORDER BY person_id")
        wanted = set(person_ids) if person_ids is not None else None
        every = self._contacts("", ())
        out = []
        for r in rows:
            if wanted is not None and r["person_id"] not in wanted:
                continue
            contacts = every.get(r["person_id"], [])
            out.append(
                Profile(
                    person_id=r["person_id"],
                    sex=r["sex"],
                    age_group=r["age_group"],
                    appearance=r["appearance"],
                    languages=r["languages"],
                    health_notes=r["health_notes"],
                    helps=r["helps"],
                    risk_notes=r["risk_notes"],
                    needs=r["needs"],
                    sightings=tuple(Sighting(c.lat, c.lon, c.at) for c in contacts),
                    refusals=sum(1 for c in contacts if c.outcome in self.policy.refusal_outcomes),
                    flags=tuple(sorted({f for c in contacts for f in c.flags})),
                )
            )
        return out

    def person_file(self, person_id: str) -> dict[str, Any] | None:
        """The whole file as a supervisor reads it: identity masked, every contact and note."""
        person = self.db.one("SELECT * FROM persons WHERE person_id = ?", (person_id,))
        if person is None:
            return None
        ident = self.db.one("SELECT name, phone, id_number FROM person_identities WHERE person_id = ?", (person_id,)) or {}
        contacts = self.contacts(person_id)
        return {
            **person,
            "identity": {"name": mask(ident.get("name")), "phone": mask(ident.get("phone"), 4), "id_number": mask(ident.get("id_number"), 4)},
            "contacts": [c.to_dict() for c in contacts],
            "refusals": sum(1 for c in contacts if c.outcome in self.policy.refusal_outcomes),
            "notes": self.db.query("SELECT note_id, at, by_whom, kind, text FROM person_notes WHERE person_id = ? ORDER BY at, note_id", (person_id,)),
            "escalations": self.db.query("SELECT * FROM ledger_escalations WHERE person_id = ? ORDER BY at", (person_id,)),
        }

    def places_of(self, person_id: str) -> list[tuple[str, float, float]]:
        """The centre (its desk's, '' before events named one) and position of each incident linked to a file."""
        rows = self.db.query("SELECT i.centre, i.lat, i.lon FROM person_links l JOIN incidents i ON i.incident_id = l.incident_id "
                             "WHERE l.person_id = ? ORDER BY i.incident_id", (person_id,))
        return [(str(r["centre"] or ""), float(r["lat"]), float(r["lon"])) for r in rows]

    def persons_of(self, incident_id: str) -> list[str]:
        return [r["person_id"] for r in self.db.query("SELECT person_id FROM person_links WHERE incident_id = ? ORDER BY person_id", (incident_id,))]

    def log_read(self, *, who: str, role: str, person_id: str, what: str, at: datetime, audit_id: str | None = None) -> None:
        """Every read of a file leaves a row: who, when, what (`audit_id` given: once, however often it is replayed)."""
        row = {"audit_id": audit_id or uuid.uuid4().hex, "at": utc_text(at), "who": who, "role": role, "person_id": person_id, "what": what}
        self.db.execute(*upsert("read_audit", ("audit_id",), row, update=False))

    def task_hints(self, events: Sequence[DispatchEvent], zone: Callable[[DispatchEvent], ZoneInfo]) -> list[TaskHint]:
        """The hints for the tasks these events hand to teams (`hints.task_hint`), each read logged for its team, once."""
        return self.hints_for([(ev, team, ev.event_id, ev.at) for ev in events for team in task_teams(ev)], zone)

    def hints_for(self, tasks: Sequence[tuple[DispatchEvent, str, str, datetime]], zone: Callable[[DispatchEvent], ZoneInfo]) -> list[TaskHint]:
        """Hints for (incident as it stands, team, the team's task event id, time): the linked file, else the likely one.

        `zone` is the time zone of the incident's city (its hours read as local time).
        """
        if not tasks:
            return []
        self.settle()
        profiles = self.profiles()
        by_id = {p.person_id: p for p in profiles}
        out = []
        for ev, team, task_event_id, at in tasks:
            linked = [by_id[p] for p in self.persons_of(ev.incident_id) if p in by_id]
            hint = task_hint(ev, team, linked, profiles, self.policy, zone(ev), task_event_id=task_event_id, at=at)
            if hint is not None:
                what = f"task hint for {ev.incident_id} ({'linked' if hint.linked else 'suggested'})"
                self.log_read(who=team, role="team", person_id=hint.person_id, what=what, at=hint.at, audit_id=stable_id("AUD", hint.hint_id))
                out.append(hint)
        return out

    def audit_log(self, person_id: str | None = None) -> list[dict[str, Any]]:
        if person_id is None:
            return self.db.query("SELECT * FROM read_audit ORDER BY at, audit_id")
        return self.db.query("SELECT * FROM read_audit WHERE person_id = ? ORDER BY at, audit_id", (person_id,))

    def audit_page(self, person_id: str | None = None, *, limit: int, before: str | None = None,
                   keep: Callable[[dict[str, Any]], bool] | None = None) -> tuple[list[dict[str, Any]], bool]:
        """The newest `limit` reads (of one file, or all) older than the read `before` (an audit id: the oldest of the
        previous page), oldest first, and whether older ones were left out: the audit gains a row per file of every
        summary opened, and answered whole it grew without bound. `keep` (a reader's scope) is applied while the page
        is filled, so a page holds `limit` rows whenever that many older ones are kept; a KeyError for an unknown
        `before`."""
        cursor: tuple[str, str] | None = None
        if before is not None:
            row = self.db.query("SELECT at, audit_id FROM read_audit WHERE audit_id = ?", (before,))
            if not row:
                raise KeyError(before)
            cursor = (str(row[0]["at"]), str(row[0]["audit_id"]))
        kept: list[dict[str, Any]] = []
        while len(kept) <= limit:
            where = ["person_id = ?"] if person_id is not None else []
            params: list[Any] = [person_id] if person_id is not None else []
            if cursor is not None:
                where.append("(at < ? OR (at = ? AND audit_id < ?))")
                params += [cursor[0], cursor[0], cursor[1]]
            clause = f"WHERE {' AND '.join(where)} " if where else ""
            rows = self.db.query(f"SELECT * FROM read_audit {clause}ORDER BY at DESC, audit_id DESC LIMIT ?", (*params, limit + 1))
            kept += [r for r in rows if keep is None or keep(r)]
            if len(rows) <= limit:
                break
            cursor = (str(rows[-1]["at"]), str(rows[-1]["audit_id"]))
        return kept[:limit][::-1], len(kept) > limit

    # ------------------------------------------------------------ reports and sweeps

    def report(self, kind: str, start: datetime, end: datetime, tz: ZoneInfo, scope: ReportScope | None = None) -> Report:
        """Counts of the incidents first reported in [start, end): the whole ledger's, or one centre's (`scope`)."""
        lo, hi = utc_text(start - timedelta(days=1)), utc_text(end + timedelta(days=1))  # coarse in SQL, exact in `aggregate`
        incidents = self.db.query("SELECT * FROM incidents WHERE first_report_at >= ? AND first_report_at < ?", (lo, hi))
        reports = self.db.query("SELECT * FROM reports WHERE at >= ? AND at < ?", (lo, hi))
        conditions = self.db.query("SELECT * FROM conditions WHERE at < ? ORDER BY region, at", (hi,))
        links = self.db.query(
            "SELECT l.person_id, i.first_report_at, i.centre, i.lat, i.lon FROM person_links l JOIN incidents i ON i.incident_id = l.incident_id "
            "WHERE i.first_report_at < ?",
            (hi,),
        )
        escalations = self.db.query("SELECT person_id FROM ledger_escalations WHERE at >= ? AND at < ?", (utc_text(start), utc_text(end)))
        if scope is not None:
            incidents = [i for i in incidents if scope.keep(i)]
            reports = [r for r in reports if r["district"] in scope.districts]
            conditions = [c for c in conditions if in_city(c, scope.centre, scope.districts)]
            links = [link for link in links if scope.keep(link)]
            persons = {link["person_id"] for link in links}
            escalations = [e for e in escalations if e["person_id"] in persons]
        return aggregate(
            kind,
            start,
            end,
            incidents=incidents,
            reports=reports,
            conditions=conditions,
            links=links,
            social_work=len(escalations),
            policy=self.policy,
            tz=tz,
        )

    def span(self) -> tuple[datetime, datetime] | None:
        """First and last first-report time in the ledger."""
        row = self.db.one("SELECT MIN(first_report_at) AS lo, MAX(first_report_at) AS hi FROM incidents")
        if not row or row["lo"] is None:
            return None
        return datetime.fromisoformat(row["lo"]), datetime.fromisoformat(row["hi"])

    def seen_before(self, tonight: date, tz: ZoneInfo) -> list[Seen]:
        """Incidents of the policy's last nights before `tonight`, with their linked files."""
        start = report_day(tonight - timedelta(days=self.policy.sweep_nights), self.policy, tz)[0]
        end = report_day(tonight, self.policy, tz)[0]
        rows = self.db.query(
            "SELECT incident_id, lat, lon, first_report_at, district, flags, outcome, centre FROM incidents WHERE first_report_at >= ? AND first_report_at < ? ORDER BY first_report_at, incident_id",
            (utc_text(start), utc_text(end)),
        )
        linked: dict[str, list[str]] = {}
        for link in self.db.query(
            "SELECT l.incident_id, l.person_id FROM person_links l JOIN incidents i ON i.incident_id = l.incident_id WHERE i.first_report_at >= ? AND i.first_report_at < ?",
            (utc_text(start), utc_text(end)),
        ):
            linked.setdefault(link["incident_id"], []).append(link["person_id"])
        not_people = set(dict(self.policy.outcomes).get("not_found", ()))
        return [
            Seen(
                incident_id=r["incident_id"],
                lat=float(r["lat"]),
                lon=float(r["lon"]),
                at=datetime.fromisoformat(r["first_report_at"]),
                night=day_of(datetime.fromisoformat(r["first_report_at"]), self.policy, tz),
                district=r["district"],
                flags=tuple(f for f in (r["flags"] or "").split(",") if f),
                persons=tuple(sorted(linked.get(r["incident_id"], []))),
                centre=r["centre"],
            )
            for r in rows
            if r["outcome"] not in not_people
        ]

    def sweep(self, tonight: date, level: str, tz: ZoneInfo, gathering: Sequence[Gathering] = (),
              keep: Callable[[Seen], bool] | None = None) -> list[SweepStop]:
        """Tonight's list from the last nights' incidents and files, with the city's unseen gathering places.

        `keep`: which incidents count (`sweep.of_centre`: one centre's, for its city's list); None: all.
        """
        seen = self.seen_before(tonight, tz)
        return sweep_list([s for s in seen if keep(s)] if keep else seen, level, self.policy, tz, gathering)

    def send_sweep(self, night: date, stop: SweepStop, team_id: str, *, by: str, at: datetime) -> tuple[str, bool]:
        """A place of the night's list as a task for a team (once per night, place and team); True if new."""
        task_id = stable_id("SWT", night.isoformat(), f"{stop.lat:.5f},{stop.lon:.5f}", team_id)
        row = {
            "task_id": task_id, "night": night.isoformat(), "team_id": team_id, "rank": stop.rank, "lat": stop.lat, "lon": stop.lon,
            "district": stop.district, "hours": stop.hours, "persons": ",".join(stop.persons), "reasons": "; ".join(stop.reasons),
            "sent_by": by, "sent_at": utc_text(at), "status": "open", "note": "", "done_at": None,
        }  # fmt: skip
        return task_id, self.db.execute(*upsert("sweep_tasks", ("task_id",), row, update=False)) > 0

    def sweep_tasks(self, team_id: str | None = None, status: str | None = "open") -> list[dict[str, Any]]:
        where, params = [], []
        for column, value in (("team_id", team_id), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        return self.db.query(f"SELECT * FROM sweep_tasks {clause}ORDER BY night, rank, task_id", params)

    def report_sweep(self, task_id: str, team_id: str, status: str, note: str, *, at: datetime) -> dict[str, Any] | None:
        """The team's phone on its own sweep task: `accepted`, then `found` or `not_found` (with a note).

        Returns the task as it now stands, None if the team has no such task.
        A repeated report changes nothing; a task already swept keeps its
        first result (the phone shows what the ledger has).
        """
        if status not in SWEEP_REPORTS:
            raise RecordError(f"status must be one of {', '.join(SWEEP_REPORTS)}", kind="invalid_status")
        _check_note(note)
        task = self.db.one("SELECT * FROM sweep_tasks WHERE task_id = ? AND team_id = ?", (task_id, team_id))
        if task is None:
            return None
        if task["status"] == "open" and status == "accepted":
            self.db.execute("UPDATE sweep_tasks SET status = 'accepted', accepted_at = ? WHERE task_id = ? AND status = 'open'", (utc_text(at), task_id))
        elif task["status"] in ("open", "accepted") and status != "accepted":
            self.db.execute(
                "UPDATE sweep_tasks SET status = 'done', result = ?, note = ?, done_at = ? WHERE task_id = ? AND status IN ('open', 'accepted')",
                (status, note, utc_text(at), task_id),
            )
        return self.db.one("SELECT * FROM sweep_tasks WHERE task_id = ?", (task_id,))

    def finish_sweep(self, task_id: str, team_id: str, note: str, *, at: datetime) -> bool:
        """The team swept the place (its own task only); the note says whom it met."""
        _check_note(note)
        return self.db.execute(
            "UPDATE sweep_tasks SET status = 'done', note = ?, done_at = ? WHERE task_id = ? AND team_id = ? AND status IN ('open', 'accepted')",
            (note, utc_text(at), task_id, team_id),
        ) > 0

    def latest_level(self, at: datetime, city: tuple[str, Collection[str]] | None = None) -> str:
        """The highest cold-wave level in force at `at` in any region, or in one city's (`city`: its centre and
        district ids; its city-wide weather counts too); tonight's forecast when none is given."""
        rows = self.db.query("SELECT centre, region, cold_wave_level, at FROM conditions WHERE at <= ? ORDER BY centre, region, at", (utc_text(at),))
        latest = {(r["centre"], r["region"]): r["cold_wave_level"] for r in rows if city is None or in_city(r, *city)}
        return max(latest.values(), key=COLD_WAVE_LEVELS.index, default="none")

    # ------------------------------------------------------------ retention

    def anonymize(self, as_of: datetime) -> Anonymized:
        """The retention rule at `as_of`: files with no contact (or creation) within the retention period are
        anonymized, and free text goes from the incidents no live file holds (`_text_due`) and from the
        teams' notes on sweep tasks done (or sent) before the same cutoff. Counts stay."""
        cutoff = utc_text(as_of - timedelta(days=self.policy.retention_days))
        rows = self.db.query(
            "SELECT p.person_id, p.created_at, MAX(i.first_report_at) AS last_seen FROM persons p "
            "LEFT JOIN person_links l ON l.person_id = p.person_id LEFT JOIN incidents i ON i.incident_id = l.incident_id "
            "WHERE p.anonymized_at IS NULL GROUP BY p.person_id, p.created_at ORDER BY p.person_id"
        )
        due = [r["person_id"] for r in rows if max(r["created_at"], r["last_seen"] or "") < cutoff]
        with self.db.transaction():
            for person_id in due:
                self.db.execute("DELETE FROM person_identities WHERE person_id = ?", (person_id,))
                self.db.execute(
                    "UPDATE persons SET appearance = '', languages = '', health_notes = '', risk_notes = '', needs = '', helps = '', anonymized_at = ? WHERE person_id = ?",
                    (utc_text(as_of), person_id),
                )
                self.db.execute("UPDATE person_notes SET text = '' WHERE person_id = ?", (person_id,))
            incidents = self._text_due(cutoff)
            for incident_id in incidents:
                self._clear_incident_text(incident_id, utc_text(as_of))
            notes = self.db.execute("UPDATE sweep_tasks SET note = '' WHERE note <> '' AND COALESCE(done_at, sent_at) < ?", (cutoff,))
        return Anonymized(persons=due, incidents=incidents, sweep_notes=notes)

    def _text_due(self, cutoff: str) -> list[str]:
        """The incidents whose free text goes now, of those not blanked since their last event: every one an
        anonymized file holds, and one no file holds once its last event is older than `cutoff`; one held by
        live files only stays with them. An incident the desk merged into another is the same person (the
        survivor took its text): the files of either hold both."""
        root = self._merge_roots()
        held, anonymized = set(), set()  # merge groups a file holds; those an anonymized file holds
        for r in self.db.query("SELECT l.incident_id, p.anonymized_at FROM person_links l JOIN persons p ON p.person_id = l.person_id"):
            held.add(root(r["incident_id"]))
            if r["anonymized_at"] is not None:
                anonymized.add(root(r["incident_id"]))
        rows = self.db.query("SELECT incident_id, last_at FROM incidents WHERE text_cleared_at IS NULL ORDER BY incident_id")
        return [
            r["incident_id"] for r in rows
            if root(r["incident_id"]) in anonymized or (root(r["incident_id"]) not in held and r["last_at"] < cutoff)
        ]  # fmt: skip

    def _merge_roots(self) -> Callable[[str], str]:
        """incident id -> the incident its merge group lives on in (itself when it was never merged)."""
        into: dict[str, str] = {}
        rows = self.db.query(
            "SELECT e.incident_id, e.payload FROM dispatch_events e JOIN incidents i ON i.incident_id = e.incident_id "
            "WHERE e.kind = 'merged' AND i.status = 'merged' ORDER BY e.incident_id, e.revision"
        )
        for r in rows:
            survivor = json.loads(r["payload"]).get("merged_into")
            if isinstance(survivor, str) and survivor and survivor != r["incident_id"]:
                into[r["incident_id"]] = survivor  # the last merge of the incident wins

        def root(incident_id: str) -> str:
            seen = {incident_id}
            while (survivor := into.get(incident_id)) is not None and survivor not in seen:  # a cycle ends the walk
                seen.add(survivor)
                incident_id = survivor
            return incident_id

        return root

    def _clear_incident_text(self, incident_id: str, at: str) -> None:
        """The reporters' free text and the operators' reasons (`reason`: "assigned by 调度员: <anything typed>") may
        describe the person: blank them in the events and the row. A resolution's outcome, which events written
        before it had a field of its own carry only in the reason's tail, is kept in its field."""
        for r in self.db.query("SELECT event_id, payload FROM dispatch_events WHERE incident_id = ?", (incident_id,)):
            payload = json.loads(r["payload"])
            if payload.get("reason") and not payload.get("outcome") and payload.get("kind") == "resolved":
                with contextlib.suppress(RecordError):
                    payload["outcome"] = stored_dispatch(payload).outcome_code()
            payload["text"] = ""
            payload["reason"] = ""
            self.db.execute("UPDATE dispatch_events SET payload = ? WHERE event_id = ?", (json.dumps(payload, ensure_ascii=False, sort_keys=True), r["event_id"]))
        self.db.execute("UPDATE incidents SET text = '', text_cleared_at = ? WHERE incident_id = ?", (at, incident_id))


def _check_note(note: str) -> None:
    """A team's sweep note: a NUL is no part of one, and no PostgreSQL text holds it (SQLite did: the two disagreed)."""
    if "\x00" in note:
        raise RecordError("note: a text without NUL (\\u0000)", kind="invalid_note")


def _check_report_names(data: dict[str, Any]) -> None:
    """A report's source, channel and ids as the desk takes them: any producer can write `reports`, and the ledger
    stored `str()` of whatever came (a channel `{'a': 1}`, 300 kB, a right-to-left override), counted as a tip of
    that channel in the report for the superior department."""
    for name, allowed in (("source", REPORT_SOURCES), ("channel", REPORT_CHANNELS)):
        if data.get(name) not in allowed:
            raise RecordError(f"report {name}: {data.get(name)!r:.40} is not one of {', '.join(allowed)}", kind="invalid")
    for name in ("report_id", "district", "centre"):
        value = data.get(name)
        if name != "report_id" and value in (None, ""):
            continue  # a report outside every district; one written before reports named their centre
        if not isinstance(value, str) or (why := id_problem(value)) is not None:
            raise RecordError(f"report {name}: {why if isinstance(value, str) else 'not a text'}", kind="invalid")


def _real(value: Any) -> float:
    """A finite number (a numeric string as well); NaN, infinity and too large an integer raise ValueError/OverflowError."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r:.20}")
    return number


_INT32 = 2**31 - 1  # the ledger's INTEGER columns (persons, revisions, counts) are 32-bit on PostgreSQL


def _unstorable(value: Any) -> str | None:
    """Why no database row can hold a value of this record: a lone surrogate (\\ud800 decodes, no UTF-8 holds it),
    a NUL in PostgreSQL text, a whole number past an INTEGER column's 32 bits (refused when its incident's row is
    folded, outside the record's own savepoint). Walked with a list, not recursion: a record nested a few hundred
    deep must be refused, not crash the feeder."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return "invalid Unicode (a lone surrogate escape)"
            if "\x00" in item:
                return "a NUL character (\\u0000) in a key or value"
        elif isinstance(item, int) and not isinstance(item, bool):
            if abs(item) > _INT32:
                return f"a whole number past 32 bits ({len(str(abs(item)))} digits)"
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
    return None


def apply_record(store: Store, topic: str, raw: bytes | None) -> DispatchEvent | None:
    """One record of a topic the ledger reads (unprefixed name), or a RecordError; a dispatch event is returned."""
    try:
        data = json.loads(raw) if raw is not None else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(f"not JSON: {exc}", kind="malformed") from exc
    except RecursionError as exc:
        raise RecordError("not JSON: nested too deeply", kind="malformed") from exc
    if not isinstance(data, dict):
        raise RecordError("expected a JSON object", kind="malformed")
    if (why := _unstorable(data)) is not None:  # caught here, not by the database when its incident is folded
        raise RecordError(why, kind="malformed")
    if topic == names.DISPATCH:
        return store.apply_dispatch(data)
    if topic == names.REPORTS:
        store.apply_report(data)
    elif topic == names.CONDITIONS:
        store.apply_conditions(data)
    else:
        raise RecordError(f"the ledger does not read topic {topic!r}", kind="invalid")
    return None
