"""The ledger feeder's one entry for a record (`apply_record`): a bad record is a RecordError, never a crash or a poisoned row."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.errors import RecordError
from core.records import DispatchEvent
from ledger.store import PersonInput, Store, apply_record
from tests.policies import ledger_policy
from tests.unit.ledger.builders import T0, event, incident_story, store_as_legacy


@pytest.mark.parametrize(
    ("topic", "raw"),
    [
        ("dispatch", b"[" * 100_000 + b"]" * 100_000),
        ("reports", b'{"report_id": "\\ud800", "source": "tip", "channel": "hotline", "at": "2026-12-20T23:00:00+08:00", "lat": 45.7, "lon": 126.6}'),
        ("reports", b'{"report_id": "r1", "source": "tip", "channel": "hotline", "at": "2026-12-20T23:00:00+08:00", "lat": NaN, "lon": 126.6}'),
        ("reports", b'{"report_id": "r1", "source": "tip", "channel": "hotline", "at": "2026-12-20T23:00:00+08:00", "lat": 1' + b"0" * 400 + b', "lon": 1}'),
        ("conditions", b'{"region": "daoli", "at": "2026-12-20T23:00:00+08:00", "cold_wave_level": "red", "temp_c": 1' + b"0" * 400 + b"}"),
        # PostgreSQL refused the NUL (DataError), SQLite the 2**70 (OverflowError), the second only when the incident was folded
        ("dispatch", json.dumps({**event("inc-1", 1, "dispatch", T0), "text": "老人\u0000"}).encode()),
        ("dispatch", json.dumps({**event("inc-1", 1, "dispatch", T0), "persons": 2**70}).encode()),
        ("dispatch", json.dumps({**event("inc-1", 1, "dispatch", T0), "revision": 2**70}).encode()),
        # past PostgreSQL's 32-bit INTEGER, refused only when the incident row was folded, outside the record's savepoint
        ("dispatch", json.dumps({**event("inc-1", 1, "dispatch", T0), "persons": 3_000_000_000}).encode()),
    ],
)
def test_a_hostile_record_is_a_record_error(tmp_path: Path, topic: str, raw: bytes) -> None:
    """Each of these raised RecursionError, UnicodeEncodeError, a database error or OverflowError: the feeder
    catches RecordError only, so it died, and read the same record again at its restart."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    with pytest.raises(RecordError):
        apply_record(store, topic, raw)


def test_a_deeply_nested_field_is_taken_or_refused_never_a_crash(tmp_path: Path) -> None:
    """Nested 500 deep, json reads it, and a recursive check for unstorable values raised RecursionError: the feeder stopped."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    nested = b'{"region": "daoli", "at": "2026-12-20T23:00:00+08:00", "cold_wave_level": "red", "x": ' + b"[" * 500 + b"77777" + b"]" * 500 + b"}"
    with contextlib.suppress(RecordError):
        apply_record(store, "conditions", nested)
    deep_nul = nested.replace(b"77777", b'"\\u0000"')
    with pytest.raises(RecordError, match="NUL"):
        apply_record(store, "conditions", deep_nul)


@pytest.mark.parametrize(("field", "bad"), [("revision", "x"), ("revision", True), ("event_id", ["a"]), ("kind", {}), ("lat", "north"),
                                           ("rules", "cold_wave:red"), ("flags", [1]), ("persons", 2.5), ("team_id", 7)])
def test_a_mistyped_dispatch_event_is_refused_before_it_poisons_its_incident(tmp_path: Path, field: str, bad: object) -> None:
    """A revision "x" was stored, then every later event of its incident failed to sort: a TypeError each time."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    first = event("inc-1", 1, "dispatch", T0)
    with pytest.raises(RecordError, match=field):
        apply_record(store, "dispatch", json.dumps({**first, field: bad}).encode())
    assert apply_record(store, "dispatch", json.dumps(first).encode()) is not None
    assert apply_record(store, "dispatch", json.dumps(event("inc-1", 2, "update", T0)).encode()) is not None


def test_a_batch_folds_each_incident_once_into_the_same_rows_as_event_by_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A night of missed acknowledgements gave an incident ~380 escalations: folding it per event made catching up quadratic."""
    policy = ledger_policy()
    events = [*incident_story("inc-a", T0, escalations=40), *incident_story("inc-b", T0, escalations=3)]
    one_by_one = Store.open(f"sqlite:///{tmp_path / 'one.sqlite3'}", policy)
    for e in events:
        one_by_one.apply_dispatch(e)
    batched = Store.open(f"sqlite:///{tmp_path / 'batch.sqlite3'}", policy)
    folds: list[str] = []
    refresh = Store.refresh_incident

    def counted(self: Store, incident_id: str) -> None:
        folds.append(incident_id)
        refresh(self, incident_id)

    monkeypatch.setattr(Store, "refresh_incident", counted)
    with batched.batch():
        for e in events:
            batched.apply_dispatch(e)
        assert folds == []
    assert folds == ["inc-a", "inc-b"]
    rows = "SELECT * FROM incidents ORDER BY incident_id"
    assert batched.db.query(rows) == one_by_one.db.query(rows)
    assert batched.incident("inc-a")["escalations"] == 40  # type: ignore[index]
    # Events already stored change nothing and fold nothing, in a batch or alone.
    with batched.batch():
        for e in events:
            batched.apply_dispatch(e)
    batched.apply_dispatch(events[0])
    assert folds == ["inc-a", "inc-b"]


def test_hints_asked_inside_a_batch_read_the_incident_as_folded_so_far(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    with store.batch():
        store.apply_dispatch(event("inc-1", 1, "dispatch", T0, team_id="T1", status="assigned"))
        assert store.incident("inc-1") is None  # folded at the batch's end
        handed = event("inc-1", 2, "escalation", T0, team_id="T2", status="assigned")
        store.apply_dispatch(handed)
        store.task_hints([DispatchEvent.from_dict(handed)], lambda ev: ZoneInfo("Asia/Shanghai"))
        assert store.incident("inc-1")["team_id"] == "T2"  # type: ignore[index]


def test_a_naive_time_in_a_dispatch_event_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    """A first report time without its offset was stored, then every fold of its incident compared it with aware times
    (TypeError, outside the record's savepoint): the feeder stopped at each restart."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    with store.batch():
        apply_record(store, "dispatch", json.dumps(event("inc-1", 1, "dispatch", T0)).encode())
        with pytest.raises(RecordError, match="first_report_at: time has no UTC offset"):
            apply_record(store, "dispatch", json.dumps({**event("inc-1", 2, "update", T0), "first_report_at": "2026-12-20T19:00:00"}).encode())
    assert store.incident("inc-1")["last_revision"] == 1  # type: ignore[index]


@pytest.mark.parametrize(("name", "value"), [("at", "0001-01-01T00:00:00+08:00"), ("first_report_at", "0001-01-01T00:00:00+08:00"),
                                             ("at", "9999-12-31T23:59:59+00:00")])
def test_a_dispatch_time_in_an_implausible_year_is_refused_before_it_is_stored(tmp_path: Path, name: str, value: str) -> None:
    """Year 1 at +08:00 overflowed storing it in UTC (OverflowError, out of the feeder at each restart: its event `at`
    when applied, its first report when the batch folded it); year 9999, stored, `patrol report campaign`."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    with store.batch():
        apply_record(store, "dispatch", json.dumps(event("inc-1", 1, "dispatch", T0)).encode())
        with pytest.raises(RecordError, match=f"{name}: implausible time"):
            apply_record(store, "dispatch", json.dumps({**event("inc-1", 2, "update", T0), name: value}).encode())
    assert store.incident("inc-1")["last_revision"] == 1  # type: ignore[index]
    assert store.span() == (T0, T0)


def test_a_first_report_dated_past_its_event_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    """An event whose first report was dated next year (no desk writes one: it takes a report at most max_ahead_min past
    its clock, which stamps the event) was stored: the person's latest contact showed 2027, and the campaign report's
    span ran to it. Refused `future_time` naming the field; a report up to max_ahead_min ahead is still taken."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    with store.batch():
        apply_record(store, "dispatch", json.dumps(event("inc-1", 1, "dispatch", T0)).encode())
        ahead = {**event("inc-2", 1, "dispatch", T0), "first_report_at": (T0 + timedelta(days=365)).isoformat()}
        with pytest.raises(RecordError, match=r"first_report_at: 2027-12-20T19:00:00\+08:00 is 525600 min after") as refused:
            apply_record(store, "dispatch", json.dumps(ahead).encode())
        assert refused.value.kind == "future_time"
        apply_record(store, "dispatch", json.dumps({**ahead, "first_report_at": (T0 + timedelta(minutes=60)).isoformat()}).encode())
    assert store.span() == (T0, T0 + timedelta(minutes=60))


def test_an_incident_whose_row_cannot_be_folded_keeps_its_last_row_and_stops_nothing(tmp_path: Path) -> None:
    """Events stored before a check existed can make an incident's fold fail at a batch's end: that incident keeps its
    last row and is handed back to be dead-lettered; the batch's other incidents fold and commit."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    store.apply_dispatch(event("inc-old", 1, "dispatch", T0))
    with store.batch():
        store_as_legacy(store.db, {**event("inc-old", 2, "update", T0), "first_report_at": "2026-12-20T19:00:00"})
        store.apply_dispatch(event("inc-old", 3, "update", T0))
        store.apply_dispatch(event("inc-new", 1, "dispatch", T0))
    unfolded = store.take_unfolded()
    assert [incident for incident, _ in unfolded] == ["inc-old"] and "offset" in unfolded[0][1]
    assert store.take_unfolded() == []
    assert store.incident("inc-old")["last_revision"] == 1  # type: ignore[index]
    assert store.incident("inc-new")["last_revision"] == 1  # type: ignore[index]
    assert store.db.one("SELECT COUNT(*) AS n FROM dispatch_events")["n"] == 4  # type: ignore[index]


def test_an_event_stored_before_the_time_checks_still_folds_when_the_fold_does_not_use_its_time(tmp_path: Path) -> None:
    """The admission check refuses a deadline without its offset, but an event an older version stored with one
    still folds (the fold compares only `at` and `first_report_at`): its incident goes on updating."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    store.apply_dispatch(event("inc-1", 1, "dispatch", T0))
    with store.batch():
        store_as_legacy(store.db, {**event("inc-1", 2, "update", T0), "ack_deadline": "2026-12-20T19:30:00"})
        store.apply_dispatch(event("inc-1", 3, "update", T0, status="accepted"))
    assert store.take_unfolded() == []
    assert store.incident("inc-1")["last_revision"] == 3  # type: ignore[index]


def test_anonymizing_a_file_blanks_the_operators_free_text_in_its_incidents_events(tmp_path: Path) -> None:
    """An operator raised the priority with a reason naming the man and his daughter's phone (the desk writes it
    into the event's `reason`). Anonymization blanked the events' `text` only: the name and the number stayed in
    `dispatch_events` for good, past the retention period. The outcome, read from the reason's tail for events
    written before they carried it, must survive."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    story = incident_story("inc-1", T0, text="老人张德贵", outcome="refused")
    story[0]["reason"] = "assigned by 调度员: 张德贵 糖尿病，女儿电话13812345678"  # an operator's assign with its reason
    for data in story:
        store.apply_dispatch(data)
    person = store.open_person(PersonInput(sex="male", identity={"name": "张德贵"}), by="op", at=T0)
    store.link("inc-1", person, by="op", at=T0)
    assert store.anonymize(T0 + timedelta(days=400)).persons == [person]
    stored = " ".join(r["payload"] for r in store.db.query("SELECT payload FROM dispatch_events"))
    assert "张德贵" not in stored and "13812345678" not in stored
    store.apply_dispatch(event("inc-1", 20, "followup", T0 + timedelta(days=401), first_report_at=T0))  # refolds the row
    assert store.incident("inc-1")["outcome"] == "refused"  # type: ignore[index]
    store.close()


def test_the_read_audit_answers_its_latest_rows_only(tmp_path: Path) -> None:
    """Every summary an operator opens logs a read per suggested file: over a season the audit holds hundreds of
    thousands of rows, and `/api/ledger/audit` answered them all in one body. The newest `limit` come, oldest first."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    t0 = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
    for n in range(30):
        store.log_read(who="op", role="operator", person_id="P-a" if n % 2 else "P-b", what=f"read {n}", at=t0 + timedelta(minutes=n))
    rows, more = store.audit_page(limit=5)
    assert [r["what"] for r in rows] == [f"read {n}" for n in range(25, 30)] and more
    rows, more = store.audit_page("P-a", limit=5)
    assert [r["what"] for r in rows] == [f"read {n}" for n in (21, 23, 25, 27, 29)] and more
    rows, more = store.audit_page("P-a", limit=100)
    assert len(rows) == 15 and not more
    # a reader's scope fills the page before it is cut, and the oldest row of a page is where the next one starts
    rows, more = store.audit_page(limit=5, keep=lambda r: r["person_id"] == "P-b")
    assert [r["what"] for r in rows] == [f"read {n}" for n in (20, 22, 24, 26, 28)] and more
    rows, more = store.audit_page(limit=5, keep=lambda r: r["person_id"] == "P-b", before=rows[0]["audit_id"])
    assert [r["what"] for r in rows] == [f"read {n}" for n in (10, 12, 14, 16, 18)] and more
    rows, more = store.audit_page("P-a", limit=100, before=rows[0]["audit_id"])
    assert [r["what"] for r in rows] == [f"read {n}" for n in (1, 3, 5, 7, 9)] and not more
    with pytest.raises(KeyError):
        store.audit_page(limit=5, before="no-such-read")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://patrol:s3cr%zzet@127.0.0.1:1/ledger",  # libpq: invalid percent-encoded token: "s3cr%zzet"
        "postgresql://patrol:s3cr%zzet@127.0.0.1:1/ledger?sslmode=require",
        "postgresql://patrol@127.0.0.1:1/ledger?password=s3cr%zzet",
        "s3cr%zzet",  # the password pasted alone was printed whole as the URL's "scheme"
    ],
)
def test_a_database_url_s_password_never_reaches_the_error_the_console_logs(url: str) -> None:
    from ledger.db import Database, DatabaseError

    with pytest.raises(DatabaseError) as err:
        Database(url)
    shown = str(err.value)
    assert "PATROL_DATABASE_URL" in shown or "cannot connect to PostgreSQL" in shown
    assert "s3cr" not in shown and err.value.__cause__ is None, "no chained error quotes it either"


def _tip_report(report_id: str, centre: str, channel: str, minute: int, **extra: object) -> bytes:
    at = (T0 + timedelta(minutes=minute)).isoformat()
    return json.dumps({"report_id": report_id, "source": "tip", "channel": channel, "at": at, "lat": 45.7, "lon": 126.6,
                       "district": "daoli", "centre": centre, **extra}).encode()


def test_two_centres_tips_with_one_id_are_two_reports_and_a_resend_with_other_content_rewrites_none(tmp_path: Path) -> None:
    """Reports were keyed by their id alone, last write winning: Qiqihar's tip `t-1` replaced Harbin's `t-1` (each desk
    took its own; the campaign report lost one), and a resend of `t-1` with other content (the desk refuses it as a
    `duplicate` and keeps the first) rewrote the ledger's row. Keyed by centre and id, the first write kept."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    apply_record(store, "reports", _tip_report("t-1", "harbin", "hotline", 0))
    apply_record(store, "reports", _tip_report("t-1", "qiqihar", "hotline_12345", 5))
    apply_record(store, "reports", _tip_report("t-1", "harbin", "volunteer", 9))
    report = store.report("daily", T0 - timedelta(hours=1), T0 + timedelta(hours=1), ZoneInfo("Asia/Shanghai"))
    assert report.tips_by_channel == {"hotline": 1, "hotline_12345": 1}


@pytest.mark.parametrize(("field", "bad"), [("channel", {"a": 1}), ("channel", 5), ("channel", "\u202eenilton"), ("channel", "h" * 300_000),
                                            ("report_id", 5), ("report_id", "t\n1"), ("source", "made-up"), ("district", ["daoli"])])
def test_a_report_field_no_desk_takes_is_refused_before_the_campaign_report_counts_it(tmp_path: Path, field: str, bad: object) -> None:
    """Any producer can write `reports`: the desk dead-letters a channel 5 or an id with a newline, but the ledger
    stored `str()` of whatever came (`{'a': 1}`, 300 kB, a right-to-left override turning the name round) and the
    daily report for the superior department counted it as a tip of that channel."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    good = json.loads(_tip_report("t-1", "harbin", "hotline", 0))
    with pytest.raises(RecordError, match=field):
        apply_record(store, "reports", json.dumps({**good, field: bad}).encode())
    apply_record(store, "reports", json.dumps({**good, "district": ""}).encode())  # a report outside every district
    report = store.report("daily", T0 - timedelta(hours=1), T0 + timedelta(hours=1), ZoneInfo("Asia/Shanghai"))
    assert report.tips_by_channel == {"hotline": 1}
