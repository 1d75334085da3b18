"""`patrol ledger`, `patrol report` and `patrol sweep` on an embedded SQLite ledger (no broker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from core.settings import DATA_DIR
from ledger.migrations import LATEST
from ledger.store import PersonInput, Store
from tests.policies import ledger_policy
from tests.unit.ledger.builders import T0, incident_story


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATROL_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("PATROL_DATABASE_URL", raising=False)
    store = Store.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ledger_policy())
    for e in incident_story("inc-1", T0, outcome="taken_to_hospital"):
        store.apply_dispatch(e)
    person = store.open_person(PersonInput(age_group="elderly"), by="op", at=T0)
    store.link("inc-1", person, by="op", at=T0)
    store.close()
    return tmp_path


def test_report_daily_prints_csv_and_writes_html(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "daily", "--date", "2026-12-20", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "incidents,total,1" in out and "Outcomes,taken to hospital,1" in out and "Persons in the ledger,new files,1" in out
    assert main(["report", "campaign", "--out", str(state / "r")]) == 0
    assert any(p.suffix == ".html" for p in (state / "r").iterdir())


def test_sweep_and_migrate_and_anonymize(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--date", "2026-12-21", "--level", "red"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if ". risk" in line]
    assert lines[0].strip().startswith("1. risk") and "nights 1" in lines[0]  # the place of the night before first
    assert len(lines) == 25 and any("station: " in line and "nights 0" in line for line in lines[1:])  # then the city's gathering places
    assert main(["ledger", "migrate"]) == 0
    assert f"schema version {LATEST} (sqlite)" in capsys.readouterr().out
    assert main(["ledger", "anonymize", "--as-of", "2026-12-25"]) == 0
    assert "anonymized 0 file(s)" in capsys.readouterr().out
    assert main(["ledger", "anonymize", "--as-of", "2027-12-25"]) == 0
    out = capsys.readouterr().out
    assert "anonymized 1 file(s)" in out and "blanked the free text of 1 incident(s) and 0 sweep note(s)" in out


def test_a_bad_ledger_policy_names_file_and_line(state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    bad = state / "ledger.toml"
    bad.write_text((DATA_DIR / "ledger.toml").read_text(encoding="utf-8").replace("days = 180", "days = -3"), encoding="utf-8")
    monkeypatch.setenv("PATROL_LEDGER_POLICY", str(bad))
    assert main(["report", "daily", "--date", "2026-12-20"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "retention.days" in err


def test_report_daily_needs_a_date(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "daily"]) == 2
    assert "--date" in capsys.readouterr().err


def test_a_bad_database_url_is_a_clear_error(state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATROL_DATABASE_URL", "mysql://nope")
    assert main(["ledger", "migrate"]) == 2
    assert "unknown scheme" in capsys.readouterr().err


def test_report_of_one_centre(state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATROL_CITIES", "harbin,qiqihar")
    assert main(["report", "daily", "--date", "2026-12-20", "--lang", "en", "--centre", "qiqihar"]) == 0
    assert "incidents,total,0" in capsys.readouterr().out  # the ledger's one incident is Harbin's (by position)
    assert main(["report", "daily", "--date", "2026-12-20", "--lang", "en", "--centre", "harbin", "--out", str(state / "r")]) == 0
    assert (state / "r" / "harbin-daily-2026-12-20-en.csv").read_text(encoding="utf-8-sig").count("incidents,total,1") == 1
    assert main(["report", "daily", "--date", "2026-12-20", "--centre", "nowhere"]) == 2
    assert "--centre: 'nowhere' is not a centre of PATROL_CITIES (harbin, qiqihar)" in capsys.readouterr().err


def test_a_date_no_report_day_can_hold_is_refused_by_name(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 0001-01-01 and 9999-12-31 are valid dates, but the report day's bounds (a day before, the next noon) overflowed: a traceback.
    for argv in (["report", "daily", "--date", "0001-01-01"], ["sweep", "--date", "9999-12-31"]):
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        assert stopped.value.code == 2 and "--date" in capsys.readouterr().err
