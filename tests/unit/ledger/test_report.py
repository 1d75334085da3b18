from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ledger.report import aggregate, cold_wave_days, day_of, percentile, report_day, to_csv, to_html
from ledger.store import PersonInput, Store
from tests.policies import ledger_policy
from tests.unit.ledger.builders import T0, event, incident_story

POLICY = ledger_policy()
TZ = ZoneInfo("Asia/Shanghai")
START, END = report_day(date(2026, 12, 20), POLICY, TZ)


def incident(n: int, first: str, *, dispatched: str | None, on_scene: str | None, outcome: str | None, resolved: str | None = "x") -> dict:
    return {
        "incident_id": f"i{n}", "first_report_at": first, "dispatched_at": dispatched, "on_scene_at": on_scene,
        "outcome": outcome, "resolved_at": resolved if outcome else None, "category": "medical" if n % 2 else "guidance",
        "priority": "P1", "district": "daoli", "escalations": n % 2,
    }  # fmt: skip


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile([1, 2, 3, 4], 90) == 4 and percentile([7], 90) == 7


def test_a_night_after_midnight_belongs_to_the_day_it_started() -> None:
    assert day_of(datetime.fromisoformat("2026-12-21T03:00:00+08:00"), POLICY, TZ) == date(2026, 12, 20)
    assert day_of(datetime.fromisoformat("2026-12-21T13:00:00+08:00"), POLICY, TZ) == date(2026, 12, 21)


def test_aggregate_counts_the_period_only() -> None:
    incidents = [
        incident(1, "2026-12-20T11:00:00+00:00", dispatched="2026-12-20T11:04:00+00:00", on_scene="2026-12-20T11:20:00+00:00", outcome="taken_to_hospital"),
        incident(2, "2026-12-20T18:00:00+00:00", dispatched="2026-12-20T18:10:00+00:00", on_scene=None, outcome="refused_supplies_given"),
        incident(3, "2026-12-20T19:00:00+00:00", dispatched=None, on_scene=None, outcome=None),
        incident(4, "2026-12-19T19:00:00+00:00", dispatched=None, on_scene=None, outcome="not_found"),  # the day before
        incident(5, "2026-12-20T20:00:00+00:00", dispatched=None, on_scene=None, outcome="danced"),
    ]
    reports = [
        {"source": "tip", "channel": "hotline", "at": "2026-12-20T11:00:00+00:00"},
        {"source": "tip", "channel": "wechat", "at": "2026-12-20T18:00:00+00:00"},
        {"source": "detection", "channel": "thermal", "at": "2026-12-20T18:00:00+00:00"},
        {"source": "tip", "channel": "hotline", "at": "2026-12-19T01:00:00+00:00"},
    ]
    links = [
        {"person_id": "A", "first_report_at": "2026-12-19T19:00:00+00:00"},
        {"person_id": "A", "first_report_at": "2026-12-20T11:00:00+00:00"},
        {"person_id": "B", "first_report_at": "2026-12-20T18:00:00+00:00"},
    ]
    conditions = [{"region": "daoli", "at": "2026-12-20T14:00:00+00:00", "cold_wave_level": "orange"}]
    r = aggregate("daily", START, END, incidents=incidents, reports=reports, conditions=conditions, links=links, social_work=1, policy=POLICY, tz=TZ)
    assert r.incidents == 4 and r.tips_by_channel == {"hotline": 1, "wechat": 1}
    assert r.by_category == {"medical": 3, "guidance": 1}
    assert r.report_to_dispatch == (2, 4.0, 10.0) and r.report_to_arrival == (1, 20.0, 20.0)
    assert r.outcomes == {"hospital": 1, "refused": 1, "supplies": 1, "open": 1, "other": 1}
    assert (r.persons_new, r.persons_returning, r.dispatch_escalations, r.social_work) == (1, 1, 3, 1)
    assert r.cold_wave_days == {"orange": 1}
    csv_zh = to_csv(r, "zh")
    assert "处置结果,送医,1" in csv_zh and "线索来源（渠道）,热线,1" in csv_zh
    assert "Outcomes,taken to hospital,1" in to_csv(r, "en")
    page = to_html(r, "en")
    assert page.startswith("<!doctype html>") and "<script" not in page and page.count("<svg") >= 4


def test_cold_wave_days_carry_the_level_in_force_into_later_days() -> None:
    start, _ = report_day(date(2026, 12, 18), POLICY, TZ)
    _, end = report_day(date(2026, 12, 21), POLICY, TZ)
    rows = [
        {"region": "a", "at": "2026-12-18T13:00:00+08:00", "cold_wave_level": "yellow"},
        {"region": "b", "at": "2026-12-19T20:00:00+08:00", "cold_wave_level": "red"},
        {"region": "b", "at": "2026-12-20T11:00:00+08:00", "cold_wave_level": "none"},
    ]
    assert cold_wave_days(rows, start, end, POLICY, TZ) == {"yellow": 3, "red": 1}


def test_an_incident_merged_into_another_is_not_a_second_incident_nor_still_open(tmp_path: Path) -> None:
    """Two tips about one man: the desk opens two incidents, dispatches to both, then a third report links them and
    `inc-b` closes as merged into `inc-a`. The daily report counted two incidents (two in the district, two report
    → dispatch samples) and one of them "still open", for one person taken to the station."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", POLICY)
    for data in incident_story("inc-a", T0):
        store.apply_dispatch(data)
    store.apply_dispatch(event("inc-b", 1, "dispatch", T0 + timedelta(minutes=3), team_id="T9", status="assigned"))
    store.apply_dispatch(event("inc-b", 2, "merged", T0 + timedelta(minutes=9), status="merged", merged_into="inc-a",
                               first_report_at=T0 + timedelta(minutes=2)))
    r = store.report("daily", *report_day(T0.date(), POLICY, TZ), TZ)
    assert r.incidents == 1 and r.by_district == {"daoli": 1} and r.by_category == {"escort_station": 1}
    assert r.outcomes.get("open", 0) == 0 and r.outcomes["station"] == 1
    assert r.report_to_dispatch[0] == 1 and r.report_to_arrival[0] == 1
    store.close()


def test_a_follow_up_visit_that_finds_nobody_does_not_undo_what_the_team_did_that_night(tmp_path: Path) -> None:
    """A man refused the station and took supplies (the desk schedules a follow-up visit); 12 h later the visit
    finds nobody there. The ledger kept the last resolution's code: that night's report then showed one "not found"
    and no refusal, no supplies; the place left the next sweep list (nobody "found" there) and the refusal no
    longer counted towards his social-work referral."""
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", POLICY)
    story = incident_story("inc-a", T0, outcome="refused_supplies_given", level="orange")
    later = T0 + timedelta(hours=13)
    common = {"rules": ("category:escort_station", "cold_wave:orange"), "first_report_at": T0}
    story += [
        event("inc-a", 5, "followup", later, team_id="T3", status="assigned", **common),
        event("inc-a", 6, "update", later + timedelta(minutes=20), team_id="T3", status="on_scene", **common),
        event("inc-a", 7, "resolved", later + timedelta(minutes=25), status="resolved", outcome="not_found", reason="resolved by T3: not_found", **common),
    ]
    for data in story:
        store.apply_dispatch(data)
    r = store.report("daily", *report_day(T0.date(), POLICY, TZ), TZ)
    assert r.outcomes.get("refused") == 1 and r.outcomes.get("supplies") == 1 and r.outcomes.get("not_found", 0) == 0
    assert [s.incident_id for s in store.seen_before(T0.date() + timedelta(days=1), TZ)] == ["inc-a"]
    person = store.open_person(PersonInput(sex="male"), by="op", at=T0)
    store.link("inc-a", person, by="op", at=T0)
    assert store.person_file(person)["refusals"] == 1  # type: ignore[index]
    store.close()


def test_a_follow_up_visit_that_takes_the_person_in_is_the_incidents_outcome(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", POLICY)
    story = incident_story("inc-a", T0, outcome="refused_supplies_given")
    later = T0 + timedelta(hours=13)
    story += [
        event("inc-a", 5, "followup", later, team_id="T3", status="assigned", first_report_at=T0),
        event("inc-a", 6, "resolved", later + timedelta(minutes=25), status="resolved", outcome="taken_to_station", first_report_at=T0),
    ]
    for data in story:
        store.apply_dispatch(data)
    assert store.incident("inc-a")["outcome"] == "taken_to_station"  # type: ignore[index]
    store.close()



def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text(tmp_path: Path) -> None:
    """A report on `reports` names its own channel and district (the ledger stores them as sent): a cell starting
    with = + - @ (or a tab or CR) opened in Excel or WPS ran as a formula in the superior department's sheet."""
    store = Store.open(f"sqlite:///{tmp_path / 'l.db'}", POLICY)
    r = store.report("daily", START, END, TZ)
    # the ledger now refuses a channel no desk takes (test_store.py); the CSV still guards every cell
    r.tips_by_channel = {'=HYPERLINK("http://x","y")': 1}
    r.by_district = {cell: 1 for cell in ("+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "daoli")}
    r.report_to_dispatch = (1, -3.5, 2.0)
    cells = {(row[0], row[1]): row[2] for row in csv.reader(io.StringIO(to_csv(r, "en"), newline=""))}
    assert cells[("Tips by channel", "\'=HYPERLINK(\"http://x\",\"y\")")] == "1"
    districts = {key for section, key in cells if section == "Incidents by district"}
    assert districts == {"\'+1", "\'-2+3", "\'@SUM(A1)", "\'\t=1", "\'\r=1", "daoli"}
    assert cells[("report → dispatch", "p50")] == "-3.5", "a number is still a number"
