"""The ledger on both databases (SQLite file and a real PostgreSQL cluster): same calls, same answers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ledger.db import Database, DatabaseError, RowRefused
from ledger.migrations import LATEST, current_version, migrate
from ledger.report import report_day
from ledger.store import PersonInput, Store, apply_record
from tests.policies import ledger_policy
from tests.unit.ledger.builders import T0, incident_story

TZ = ZoneInfo("Asia/Shanghai")
POLICY = ledger_policy()


def dump(store: Store) -> dict[str, list[dict]]:
    """Every stream-fed table, sorted: what "identical" means."""
    out = {}
    for table, key in (("dispatch_events", "event_id"), ("incidents", "incident_id"), ("reports", "report_id"), ("conditions", "centre, region, at")):
        out[table] = store.db.query(f"SELECT * FROM {table} ORDER BY {key}")
    return out


def test_migrations_are_versioned_and_run_once(ledger_url: str) -> None:
    with Database(ledger_url) as db:
        assert current_version(db) == 0
        assert migrate(db, target=1) == [1]
        assert current_version(db) == 1
        assert migrate(db) == list(range(2, LATEST + 1))
        assert migrate(db) == []
        assert current_version(db) == LATEST


def test_conditions_kept_through_migration_6_and_each_centres_city_wide_weather_is_its_own(ledger_url: str) -> None:
    with Database(ledger_url) as db:
        migrate(db, target=5)
        db.execute("INSERT INTO conditions (region, at, cold_wave_level, night) VALUES ('*', '2026-12-20T10:00:00+00:00', 'yellow', 1)")
    store = Store.open(ledger_url, POLICY)
    try:
        assert store.db.query("SELECT centre, region, cold_wave_level FROM conditions") == [{"centre": "", "region": "*", "cold_wave_level": "yellow"}]
        for centre, level in (("harbin", "red"), ("qiqihar", "none")):  # the same hour, both cities' desks
            store.apply_conditions({"region": "*", "at": "2026-12-20T12:00:00+00:00", "cold_wave_level": level, "night": True, "centre": centre})
        rows = store.db.query("SELECT centre, cold_wave_level FROM conditions WHERE at = '2026-12-20T12:00:00+00:00' ORDER BY centre")
        assert rows == [{"centre": "harbin", "cold_wave_level": "red"}, {"centre": "qiqihar", "cold_wave_level": "none"}]
        later = T0 + timedelta(hours=6)
        assert store.latest_level(later, ("qiqihar", {"longsha"})) == "yellow"  # its own "none", and the centre-less row
        assert store.latest_level(later, ("harbin", {"daoli"})) == "red"
        assert store.latest_level(later) == "red"
    finally:
        store.close()


def test_applying_events_twice_changes_nothing(ledger_url: str) -> None:
    store = Store.open(ledger_url, POLICY)
    events = incident_story("inc-a", T0, escalations=1) + incident_story("inc-b", T0 + timedelta(minutes=30), outcome="refused")
    for e in events:
        store.apply_dispatch(e)
    first = dump(store)
    for e in reversed(events):  # a replay, even out of order
        store.apply_dispatch(e)
    assert dump(store) == first
    rows = {r["incident_id"]: r for r in first["incidents"]}
    assert len(first["dispatch_events"]) == len(events)
    assert rows["inc-a"]["outcome"] == "taken_to_station" and rows["inc-a"]["escalations"] == 1
    assert rows["inc-a"]["dispatched_at"] == "2026-12-20T11:05:00+00:00"
    assert rows["inc-a"]["on_scene_at"] == "2026-12-20T11:12:00+00:00"
    assert rows["inc-b"]["outcome"] == "refused"
    store.close()


def test_bad_records_are_refused_whole(ledger_url: str) -> None:
    from core.errors import RecordError

    store = Store.open(ledger_url, POLICY)
    for raw in (b"not json", b"[]", b'{"event_id": "x"}', b'{"event_id": "x", "incident_id": "i", "kind": "dispatch", "revision": 1, "at": "yesterday", "lat": 1, "lon": 2}'):
        with pytest.raises(RecordError):
            apply_record(store, "dispatch", raw)
    assert store.db.query("SELECT COUNT(*) AS n FROM dispatch_events")[0]["n"] == 0
    store.close()


def test_person_file_link_refusals_escalate_and_reads_are_audited(ledger_url: str) -> None:
    store = Store.open(ledger_url, POLICY)
    for n, day in enumerate(range(3)):
        for e in incident_story(f"inc-{n}", T0 + timedelta(days=day), outcome="refused", level="orange"):
            store.apply_dispatch(e)
    person = PersonInput(sex="male", age_group="elderly", appearance="军大衣 grey beard", languages="dialect only", health_notes="diabetic", identity={"name": "张三丰", "phone": "13812345678"})
    pid = store.open_person(person, by="op-1", at=T0, request_id="req-1")
    assert store.open_person(person, by="op-1", at=T0, request_id="req-1") == pid  # same request, same file
    assert store.link("inc-0", pid, by="T1", at=T0) is True
    assert store.link("inc-0", pid, by="T1", at=T0) is False
    assert store.escalations() == []  # one refusal is not a pattern
    store.link("inc-1", pid, by="T1", at=T0 + timedelta(days=1))
    escalations = store.escalations()
    assert len(escalations) == 1 and escalations[0]["person_id"] == pid and "social-work" in escalations[0]["reason"]
    store.link("inc-2", pid, by="T1", at=T0 + timedelta(days=2))
    assert len(store.escalations()) == 1  # the same run of refusals escalates once
    file = store.person_file(pid)
    assert file is not None
    assert file["identity"] == {"name": "张**", "phone": "*******5678", "id_number": None}
    assert file["refusals"] == 3 and len(file["contacts"]) == 3
    store.log_read(who="sup-1", role="supervisor", person_id=pid, what="file", at=T0)
    assert [(a["who"], a["what"]) for a in store.audit_log(pid)] == [("sup-1", "file")]
    store.close()


def test_report_and_sweep_and_anonymize(ledger_url: str) -> None:
    store = Store.open(ledger_url, POLICY)
    for n in range(4):
        for e in incident_story(f"inc-{n}", T0 + timedelta(days=n, minutes=n), outcome=("taken_to_station" if n % 2 else "refused_supplies_given"), flags=("elderly",)):
            store.apply_dispatch(e)
    apply_record(store, "reports", b'{"report_id": "tip-1", "source": "tip", "channel": "wechat", "at": "2026-12-20T19:00:00+08:00", "district": "daoli", "lat": 45.77, "lon": 126.62}')
    apply_record(store, "conditions", b'{"region": "daoli", "at": "2026-12-20T13:00:00+08:00", "cold_wave_level": "orange", "night": false}')
    pid = store.open_person(PersonInput(age_group="elderly"), by="op", at=T0)
    store.link("inc-0", pid, by="op", at=T0)
    store.link("inc-1", pid, by="op", at=T0)
    day1 = store.report("daily", *report_day(date(2026, 12, 20), POLICY, TZ), TZ)
    assert day1.incidents == 1 and day1.tips_by_channel == {"wechat": 1}
    assert day1.outcomes.get("refused") == 1 and day1.outcomes.get("supplies") == 1
    assert day1.report_to_dispatch == (1, 5.0, 5.0) and day1.report_to_arrival == (1, 12.0, 12.0)
    assert day1.cold_wave_days == {"orange": 1}
    assert (day1.persons_new, day1.persons_returning) == (1, 0)
    day2 = store.report("daily", *report_day(date(2026, 12, 21), POLICY, TZ), TZ)
    assert (day2.persons_new, day2.persons_returning) == (0, 1)
    stops = store.sweep(date(2026, 12, 24), "red", TZ)
    assert len(stops) == 1 and stops[0].nights_seen == 4 and stops[0].persons == (pid,)
    assert store.anonymize(T0 + timedelta(days=POLICY.retention_days - 1)).persons == []
    assert store.anonymize(T0 + timedelta(days=POLICY.retention_days + 10)).persons == [pid]
    file = store.person_file(pid)
    assert file is not None and file["anonymized_at"] and file["identity"]["name"] is None and file["health_notes"] == ""
    store.close()


def test_sqlite_url_forms(tmp_path: Path) -> None:
    with Database(f"sqlite:///{tmp_path}/a/b.sqlite3") as db:
        migrate(db)
    assert (tmp_path / "a" / "b.sqlite3").exists()


def test_a_row_the_database_refuses_undoes_only_its_own_record(ledger_url: str) -> None:
    """The feeder applies each record in a savepoint: a refusal (RowRefused, not a dead database) costs that record
    alone, and the batch's other rows commit with it."""
    db = Database(ledger_url)
    db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT)")
    with pytest.raises(DatabaseError, match="transaction"):
        with db.savepoint():
            pass
    with db.transaction():
        db.execute("INSERT INTO t VALUES ('a', 1)")
        with pytest.raises(RowRefused):
            with db.savepoint():
                db.execute("INSERT INTO t VALUES ('b', 2)")
                db.execute("INSERT INTO t VALUES ('a', 3)")  # the key is taken: a constraint
        with pytest.raises(RowRefused):
            with db.savepoint():
                db.execute("INSERT INTO t VALUES ('c', ?)", (2**70,))
        with pytest.raises(RowRefused):
            with db.savepoint():
                db.execute("INSERT INTO t VALUES (?, 5)", ("e\x00" if db.dialect == "postgresql" else "a",))
        with db.savepoint():
            db.execute("INSERT INTO t VALUES ('d', 4)")
    assert db.query("SELECT k, n FROM t ORDER BY k") == [{"k": "a", "n": 1}, {"k": "d", "n": 4}]
    db.close()
