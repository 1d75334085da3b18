"""A short drill end to end on the real embedded broker: scored, reported, repeatable."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from cli.main import main
from core.settings import Settings
from drill.runner import run_drill
from rules.context import Context
from tests.unit.drill.test_scoring_audit import assert_report_matches_audit


def _decisions(folder: Path) -> list[dict]:
    """Events without wall-clock fields: what must repeat for the same seed."""
    return [json.loads(line) for line in (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()]


def test_short_drill_scores_and_repeats(broker: str, ctx: Context, tmp_path: Path) -> None:
    settings = replace(Settings.from_env({}), broker=broker)
    first, second = tmp_path / "one", tmp_path / "two"
    assert run_drill(settings, ctx, scenario="short", seed=3, report=first, progress=False) == 0
    assert run_drill(settings, ctx, scenario="short", seed=3, report=second, progress=False) == 0

    assert _decisions(first) == _decisions(second), "same scenario and seed must give the same decisions"
    scores = json.loads((first / "scores.json").read_text(encoding="utf-8"))
    again = json.loads((second / "scores.json").read_text(encoding="utf-8"))
    for key in ("persons", "persons_reached", "category_accuracy", "incidents", "escalations", "accounting"):
        assert scores[key] == again[key], key
    assert scores["accounting"]["lost"] == 0, scores["accounting"]["lost_items"]
    assert scores["persons"] > 5 and scores["persons_reached"] >= 1
    assert scores["accounting"]["dead_lettered"] >= 1  # the scenario's malformed tips
    assert_report_matches_audit(first)  # every figure as an organizer computes it again from the report's files
    for key in ("unreached", "queue_wait_min", "p1_to_dispatch_min", "false_merges", "escalations_by_cause"):
        assert scores[key] == again[key], key
    html = (first / "index.html").read_text(encoding="utf-8")
    assert html.index("What went wrong") < html.index("<h2>Scores</h2>")  # the failures lead
    for png in ("map.png", "timeline.png", "latency.png"):
        assert (first / png).stat().st_size > 1000 and png in html


def test_drill_with_a_bad_scenario_file_names_file_and_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nstart = 18:00:00x\n', encoding="utf-8")
    assert main(["drill", "--scenario", str(bad), "--report", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and ":2" in err


def test_two_centres_in_one_drill_never_share_an_incident(broker: str, tmp_path: Path) -> None:
    from rules.context import province_from_settings

    settings = replace(Settings.from_env({}), broker=broker, cities="harbin,qiqihar")
    province = province_from_settings(settings)
    assert run_drill(settings, province.centres, scenario="short", seed=3, report=tmp_path, progress=False) == 0
    combined = json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))
    assert combined["incidents_crossing_centres"] == []
    for centre, ctx in province.centres.items():
        scores = combined["centres"][centre]
        assert scores["accounting"]["lost"] == 0, (centre, scores["accounting"]["lost_items"])
        assert scores["persons_reached"] >= 1 and scores["incidents"] >= 1
        own_teams = {t.team_id for t in ctx.city.teams}
        units = {u["team_id"] for e in _decisions(tmp_path / centre) for u in e.get("assignments") or ()}
        assert units and units <= own_teams, f"{centre} dispatched another city's team: {sorted(units - own_teams)}"
        assert (tmp_path / centre / "index.html").exists()
