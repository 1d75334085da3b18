"""Retention reaches every free text the ledger keeps, on both databases, through the feeder's own entry.

`Store.anonymize` cleared the files due and the incidents linked to them. The
free text of an incident no file was ever linked to (the reporter's words,
an operator's typed reason), of an incident the desk merged into a linked one,
and the teams' notes on sweep tasks stayed in the database for good.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ledger.report import report_day
from ledger.store import PersonInput, Store, apply_record
from tests.policies import ledger_policy
from tests.unit.ledger.builders import T0, event, incident_story

TZ = ZoneInfo("Asia/Shanghai")
POLICY = ledger_policy()
KEEP = timedelta(days=POLICY.retention_days)


def feed(store: Store, events: list[dict[str, Any]]) -> None:
    """As `patrol ledger run` does: one batch, each record through `apply_record`."""
    with store.batch():
        for data in events:
            apply_record(store, "dispatch", json.dumps(data, ensure_ascii=False, default=str).encode())


def stored_text(store: Store) -> str:
    """Every place free text can sit: the events as received, the incident rows, the teams' sweep notes."""
    events = [r["payload"] for r in store.db.query("SELECT payload FROM dispatch_events ORDER BY event_id")]
    incidents = [r["text"] for r in store.db.query("SELECT text FROM incidents ORDER BY incident_id")]
    notes = [r["note"] for r in store.db.query("SELECT note FROM sweep_tasks ORDER BY task_id")]
    return "\n".join(events + incidents + notes)


def reports(store: Store, *days: date) -> list[Any]:
    return [store.report("daily", *report_day(day, POLICY, TZ), TZ) for day in days]


def test_the_free_text_of_an_incident_no_file_holds_is_blanked_after_the_retention_period(ledger_url: str) -> None:
    store = Store.open(ledger_url, POLICY)
    try:
        old = incident_story("inc-old", T0, text="老人张德贵 军大衣", outcome="refused", level="orange")
        old[0]["reason"] = "assigned by 调度员: 张德贵 糖尿病，女儿电话13812345678"
        recent = incident_story("inc-new", T0 + KEEP, text="穿红羽绒服的李桂兰", outcome="taken_to_station")
        kept = incident_story("inc-kept", T0 + KEEP, text="王建国 常在桥下")  # linked to a file still in contact
        feed(store, old + recent + kept)
        person = store.open_person(PersonInput(age_group="elderly"), by="op", at=T0 + KEEP)
        store.link("inc-kept", person, by="op", at=T0 + KEEP)
        days = (T0.date(), (T0 + KEEP).date())
        before = reports(store, *days)
        assert before[0].incidents == 1 and before[0].outcomes.get("refused") == 1

        done = store.anonymize(T0 + KEEP + timedelta(days=10))
        text = stored_text(store)
        assert "张德贵" not in text and "13812345678" not in text and "军大衣" not in text
        assert "李桂兰" in text and "王建国" in text  # within the retention period, and a live file's
        assert reports(store, *days) == before  # the counts stay, the old outcome with them
        assert done.persons == [] and done.incidents == ["inc-old"]
        assert store.anonymize(T0 + KEEP + timedelta(days=10)).incidents == []  # each incident once
    finally:
        store.close()


def test_an_incident_merged_into_an_anonymized_files_incident_loses_its_text_with_the_file(ledger_url: str) -> None:
    """The desk merged a second report of the same man into the incident his file is linked to; the merged
    incident is linked to no file, and its events kept what the caller said about him after the file was
    anonymized. It goes with the file, not some hours later by its own age."""
    store = Store.open(ledger_url, POLICY)
    try:
        said = "赵大海 电话13900001111"
        m = timedelta(minutes=1)
        mine = {"first_report_at": T0}
        theirs = {"first_report_at": T0 + 6 * m, "text": said}
        feed(store, [
            event("inc-s", 1, "dispatch", T0 + 5 * m, team_id="T1", status="assigned", **mine),
            event("inc-s", 2, "update", T0 + 8 * m, team_id="T1", status="accepted", **mine),
            event("inc-m", 1, "dispatch", T0 + 7 * m, team_id="T3", status="assigned", **theirs),
            event("inc-m", 2, "merged", T0 + 10 * m, status="merged", merged_into="inc-s", reason="same person as inc-s (linked by report tip-inc-m)", **theirs),
            event("inc-s", 3, "update", T0 + 10 * m, team_id="T1", status="accepted", text=said, reason="inc-m merged in by 调度员: 赵大海", **mine),
            event("inc-s", 4, "update", T0 + 12 * m, team_id="T1", status="on_scene", text=said, **mine),
            event("inc-s", 5, "resolved", T0 + 40 * m, status="resolved", text=said, reason="resolved by T1: persuaded", **mine),
        ])  # fmt: skip
        person = store.open_person(PersonInput(sex="male"), by="op", at=T0)
        store.link("inc-s", person, by="op", at=T0 + timedelta(hours=2))
        before = reports(store, T0.date())
        assert before[0].incidents == 1  # the merged one is the survivor's

        store.anonymize(T0 + KEEP - timedelta(days=1))  # the file is still in contact: its incidents keep their text
        assert "赵大海" in stored_text(store)
        done = store.anonymize(T0 + KEEP + 5 * m)  # the file is due; the merged incident's own last event is younger
        assert "赵大海" not in stored_text(store) and "13900001111" not in stored_text(store)
        assert reports(store, T0.date()) == before
        assert done.persons == [person] and sorted(done.incidents) == ["inc-m", "inc-s"]
    finally:
        store.close()


def test_a_teams_sweep_note_is_blanked_after_the_retention_period(ledger_url: str) -> None:
    store = Store.open(ledger_url, POLICY)
    try:
        feed(store, incident_story("inc-1", T0, text="桥下"))
        stop = store.sweep(T0.date() + timedelta(days=1), "red", TZ)[0]
        tasks = []
        for night in (T0.date() + timedelta(days=1), (T0 + KEEP).date()):
            at = datetime.combine(night, T0.timetz())
            task_id, new = store.send_sweep(night, stop, "T1", by="sup", at=at)
            assert new
            tasks.append((task_id, at))
        (old_task, old_at), (new_task, new_at) = tasks
        assert store.report_sweep(old_task, "T1", "found", "见到刘长顺，左腿冻伤，不肯去站", at=old_at + timedelta(hours=1))
        assert store.finish_sweep(new_task, "T1", "孙秀英 在地下通道", at=new_at + timedelta(hours=1))

        done = store.anonymize(T0 + KEEP + timedelta(days=10))
        notes = {r["task_id"]: r for r in store.sweep_tasks(status=None)}
        assert notes[old_task]["note"] == "" and notes[old_task]["result"] == "found" and notes[old_task]["status"] == "done"
        assert notes[new_task]["note"] == "孙秀英 在地下通道"
        assert done.sweep_notes == 1
        assert store.anonymize(T0 + KEEP + timedelta(days=10)).sweep_notes == 0
    finally:
        store.close()
