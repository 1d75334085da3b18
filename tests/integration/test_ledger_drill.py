"""The multi-night ledger drill on the real broker, with SQLite and with PostgreSQL: the issue's goals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from core.settings import Settings
from drill.ledger_drill import run_ledger_drill
from ledger.store import Store
from ledger.sweep import of_centre
from rules.context import Context
from tests.policies import ledger_policy

pytestmark = pytest.mark.integration


def test_three_nights_returning_people_are_suggested_sweeps_cover_known_places_and_reports_equal_truth(broker: str, ctx: Context, ledger_url: str, tmp_path: Path) -> None:
    settings = replace(Settings.from_env({}), broker=broker, topic_prefix=f"{tmp_path.name[-12:]}-")
    result = run_ledger_drill(settings, {"harbin": ctx}, database=ledger_url, nights=3, seed=7, out=tmp_path / "report")
    assert result["returning_people"] >= 10
    assert result["linked_by_suggestion"] >= 0.9
    assert result["wrong_links"] == 0
    # What reached the teams: the task hint of a returning person names their file, and never another's.
    hints = result["task_hints"]
    assert hints["returning_people"] == result["returning_people"] and hints["linked_on_the_task"] >= 0.9 and hints["wrong"] == 0
    # Every place where someone had been found before is on the list, and with the city's gathering places the goal is met.
    assert result["sweep_coverage_of_places_with_history_by_night"] == [1.0, 1.0]
    assert result["sweep_coverage"] >= 0.8
    assert result["daily_reports_equal_truth"], result["daily_reports"]
    assert result["unmatched_incidents"] == 0
    assert result["social_work_escalations"] >= 1
    assert (tmp_path / "report" / "daily-2026-12-16-zh.html").exists()


def test_two_cities_one_ledger_each_city_gets_its_own_sweep_list_and_hints(broker: str, tmp_path: Path) -> None:
    from rules.context import province_from_settings

    settings = replace(Settings.from_env({}), broker=broker, topic_prefix=f"{tmp_path.name[-12:]}-", cities="harbin,qiqihar")
    province = province_from_settings(settings)
    database = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    result = run_ledger_drill(settings, province.centres, database=database, nights=2, regulars=8, newcomers=2, seed=7, out=tmp_path / "report")
    assert result["returning_people"] >= 8 and result["wrong_links"] == 0
    assert result["linked_by_suggestion"] >= 0.9
    hints = result["task_hints"]
    assert hints["returning_people"] == result["returning_people"] and hints["linked_on_the_task"] >= 0.9 and hints["wrong"] == 0
    # each city's list, from its own incidents and gathering places, covers where its people were found
    by_centre = result["sweep_coverage_by_centre_by_night"]
    assert set(by_centre) == {"harbin", "qiqihar"} and all(c is not None and c >= 0.8 for night in by_centre.values() for c in night), by_centre
    assert result["sweep_coverage_of_places_with_history_by_night"] == [1.0]
    assert result["daily_reports_equal_truth"], result["daily_reports"]
    assert result["unmatched_incidents"] == 0
    store = Store.open(database, ledger_policy(settings.ledger_policy_file))
    try:
        centres = {r["centre"] for r in store.db.query("SELECT centre FROM incidents")}
        assert centres == {"harbin", "qiqihar"}, "every incident names its desk's centre"
        for centre, ctx in province.centres.items():
            stops = store.sweep(date(2026, 12, 16), "none", ctx.city.timezone, (), of_centre(centre, lambda lat, lon: None))
            assert stops and all(ctx.index.in_service_area(s.lat, s.lon) for s in stops), f"{centre}'s list has another city's places"
    finally:
        store.close()
